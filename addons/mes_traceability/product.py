# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'
    serial_numbers = fields.Boolean(
        "Serial Numbers",
        help="Each unit made is a lot of its own, tracked one at a time.")

    @classmethod
    def default_serial_numbers(cls):
        return False
