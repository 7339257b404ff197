# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import HoldError


class Hold(Workflow, ModelSQL, ModelView):
    "A lot and a work center held until quality dispositions them."
    __name__ = 'mes.quality.hold'
    __string__ = "Quality Hold"
    lot = fields.Many2One(
        'stock.lot', "Lot", ondelete='RESTRICT', readonly=True)
    work_center = fields.Many2One(
        'production.work.center', "Work Center", ondelete='RESTRICT',
        readonly=True)
    violation = fields.Many2One(
        'mes.quality.violation', "Violation", ondelete='RESTRICT',
        readonly=True)
    reason = fields.Char("Reason", required=True, readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    state = fields.Selection([
            ('open', "On Hold"),
            ('released', "Released"),
            ('rework', "To Rework"),
            ('scrapped', "Scrapped"),
            ], "State", required=True, readonly=True, sort=False)
    comment = fields.Text(
        "Disposition Comment",
        states={'readonly': Eval('state') != 'open'})
    dispositioned_by = fields.Many2One(
        'res.user', "Dispositioned By", readonly=True)
    dispositioned_at = fields.DateTime("Dispositioned At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.lot, Index.Equality()), where=t.state == 'open'),
                Index(t, (t.work_center, Index.Equality()),
                    where=t.state == 'open'),
                })
        cls._transitions |= {
            ('open', 'released'), ('open', 'rework'), ('open', 'scrapped')}
        for button in ['release', 'rework', 'scrap']:
            cls._buttons[button] = {
                'invisible': Eval('state') != 'open',
                'depends': ['state'],
                }
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_rec_name(self, name):
        what = self.lot.rec_name if self.lot else (
            self.work_center.rec_name if self.work_center else '')
        return f'{what}: {self.reason}'

    @classmethod
    def _disposition(cls, holds):
        for hold in holds:
            if not hold.comment:
                raise HoldError(gettext(
                        'mes_quality.msg_hold_comment',
                        hold=hold.rec_name))
        cls.write(holds, {
                'dispositioned_by': Transaction().user,
                'dispositioned_at': dt.datetime.now(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('released')
    def release(cls, holds):
        cls._disposition(holds)

    @classmethod
    @ModelView.button
    @Workflow.transition('rework')
    def rework(cls, holds):
        cls._disposition(holds)

    @classmethod
    @ModelView.button
    @Workflow.transition('scrapped')
    def scrap(cls, holds):
        cls._disposition(holds)
