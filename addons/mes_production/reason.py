# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields


class CodeNameMixin:
    "Records known by a short code and a name: \"[CODE] Name\"."
    __slots__ = ()

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('code',) + tuple(clause[1:]),
            ('name',) + tuple(clause[1:]),
            ]


class UniqueCodeMixin(CodeNameMixin, DeactivableMixin):
    """Records with a unique code and a name, listed by code. A model sets
    _code_unique_message to the message of its duplicate-code error."""
    __slots__ = ()
    _code_unique_message = None
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True, translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code), cls._code_unique_message),
            ]
        cls._order.insert(0, ('code', 'ASC'))


class _CodedReason(UniqueCodeMixin, ModelSQL, ModelView):
    _code_unique_message = 'mes_production.msg_reason_code_unique'
    code = fields.Char("Code", required=True, strip=True,
        help="Short code operators pick or scan on the terminal.")


class ScrapReason(_CodedReason):
    "Why parts were scrapped."
    __name__ = 'mes.scrap.reason'
    __string__ = "Scrap Reason"


class PauseReason(_CodedReason):
    "Why an operator paused a work."
    __name__ = 'mes.pause.reason'
    __string__ = "Pause Reason"
