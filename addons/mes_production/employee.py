# This file is part of Tryton MES.  See README.md for license terms.
from pwdlib import PasswordHash

from trytond.i18n import gettext
from trytond.model import Unique, fields
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

from .exceptions import TerminalError

_hasher = PasswordHash.recommended()
MIN_PIN_LENGTH = 4


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'
    mes_badge = fields.Char(
        "Badge", strip=True,
        help="The code on the operator's badge, scanned at terminals.")
    mes_pin = fields.Function(fields.Char(
            "PIN", help="Set a new PIN; it is stored only hashed."),
        'get_mes_pin', setter='set_mes_pin')
    mes_pin_hash = fields.Char("PIN Hash", readonly=True, strip=False)
    mes_qualifications = fields.One2Many(
        'mes.employee.qualification', 'employee', "Qualifications")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('mes_badge_unique', Unique(t, t.mes_badge),
                'mes_production.msg_employee_badge_unique'),
            ]

    def get_mes_pin(self, name):
        return None

    @classmethod
    def set_mes_pin(cls, employees, name, value):
        if not value:
            return
        if not value.isdigit() or len(value) < MIN_PIN_LENGTH:
            raise TerminalError(gettext(
                    'mes_production.msg_employee_pin_format',
                    length=MIN_PIN_LENGTH))
        cls.write(employees, {'mes_pin_hash': _hasher.hash(value)})

    @classmethod
    def read(cls, ids, fields_names):
        # Like res.user's password hash, the PIN hash never leaves the server.
        result = super().read(ids, fields_names)
        cache = Transaction().get_cache().get(cls.__name__)
        for values in result:
            if 'mes_pin_hash' in values:
                values['mes_pin_hash'] = None
            if cache and values['id'] in cache:
                cache[values['id']]['mes_pin_hash'] = None
        return result

    def check_mes_pin(self, pin):
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.mes_pin_hash, where=table.id == self.id))
        row = cursor.fetchone()
        if not row or not row[0] or not pin:
            return False
        return _hasher.verify(str(pin), row[0])
