# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class WorkCenter(metaclass=PoolMeta):
    __name__ = 'production.work.center'
    equipments = fields.One2Many(
        'mes.equipment', 'work_center', "Machines", readonly=True)
