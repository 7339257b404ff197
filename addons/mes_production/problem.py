# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Problem(Workflow, ModelSQL, ModelView):
    "A problem an operator raised from a terminal."
    __name__ = 'mes.problem'
    __string__ = "Problem"
    terminal = fields.Many2One(
        'mes.terminal', "Terminal", ondelete='SET NULL', readonly=True)
    work = fields.Many2One(
        'production.work', "Work", ondelete='SET NULL', readonly=True)
    work_center = fields.Many2One(
        'production.work.center', "Work Center", ondelete='SET NULL',
        readonly=True)
    employee = fields.Many2One(
        'company.employee', "Raised By", ondelete='RESTRICT', readonly=True)
    company = fields.Many2One('company.company', "Company", required=True)
    kind = fields.Selection('get_kinds', "Kind", required=True)
    description = fields.Text("Description", required=True)
    state = fields.Selection([
            ('open', "Open"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._transitions |= {('open', 'closed')}
        cls._buttons.update({
                'close': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })
        cls._order.insert(0, ('create_date', 'DESC'))

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def get_kinds(cls):
        "The kinds of problem; mes_quality and mes_equipment add theirs."
        return [('other', "Other")]

    @classmethod
    def raise_(cls, problems):
        """React to problems just raised from a terminal.

        The hook other modules extend, e.g. to open a corrective request
        for a machine problem."""

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, problems):
        pass
