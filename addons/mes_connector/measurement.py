# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Measurement(metaclass=PoolMeta):
    __name__ = 'mes.quality.measurement'
    equipment = fields.Many2One(
        'mes.equipment', "Machine", ondelete='RESTRICT',
        help="The machine whose sensor gave the value.")
