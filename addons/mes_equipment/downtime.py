# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, tree)
from trytond.modules.mes_production.reason import CodeNameMixin

from .oee import LOSS_CLASSES

LOSS_CLASS_NAMES = {
    'breakdown': "Breakdown",
    'setup_adjustment': "Setup and Adjustment",
    'small_stop': "Small Stop",
    'reduced_speed': "Reduced Speed",
    'startup_reject': "Startup Reject",
    'production_reject': "Production Reject",
    'planned': "Planned Stop",
    }


class DowntimeReason(
        CodeNameMixin, DeactivableMixin, tree(separator=' / '), ModelSQL,
        ModelView):
    "Why a machine stopped, in a tree of any depth."
    __name__ = 'mes.downtime.reason'
    __string__ = "Downtime Reason"
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True, translate=True)
    parent = fields.Many2One(
        'mes.downtime.reason', "Parent", ondelete='RESTRICT')
    children = fields.One2Many('mes.downtime.reason', 'parent', "Children")
    loss_class = fields.Selection(
        [(None, "")] + [(c, LOSS_CLASS_NAMES[c]) for c in LOSS_CLASSES],
        "Loss Class",
        help="The Six Big Losses class of the stops given this reason; "
        "required on the reasons operators and machines pick (the leaves).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'mes_equipment.msg_downtime_reason_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

