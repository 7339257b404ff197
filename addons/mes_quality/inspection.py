# This file is part of Tryton MES.  See README.md for license terms.
"""Attribute checks at routing operations through Tryton's own quality
controls and inspections: a control for "Production Work Finished" (on an
operation, a product or a category) asks for an inspection of each work
before it may be finished."""
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

WORK_FINISH = 'production.work:finish'


class Control(metaclass=PoolMeta):
    __name__ = 'quality.control'
    routing_operation = fields.Many2One(
        'production.routing.operation', "Routing Operation",
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('operations', []).contains(WORK_FINISH),
            },
        help="Only the works of this operation are inspected; empty "
        "inspects every operation.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.operations.selection.append(
            (WORK_FINISH, "Production Work Finished"))


class Inspection(metaclass=PoolMeta):
    __name__ = 'quality.inspection'

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['production.work']


class Inspect(metaclass=PoolMeta):
    __name__ = 'quality.inspect'

    @property
    def _operations(self):
        return super()._operations | {
            'mes_quality.wizard_work_inspect_finish': 'finish',
            }
