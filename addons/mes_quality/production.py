# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.model import ModelView
from trytond.modules.quality.quality import ControlledMixin
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import SamplingError


class Production(metaclass=PoolMeta):
    __name__ = 'production'

    @classmethod
    def _get_lot_refusal(cls, production, lot):
        pool = Pool()
        Hold = pool.get('mes.quality.hold')
        reason = super()._get_lot_refusal(production, lot)
        if reason:
            return reason
        holds = Hold.search([
                ('lot', '=', lot.id), ('state', '=', 'open')], limit=1)
        if holds:
            return gettext('mes_quality.msg_lot_on_hold',
                lot=lot.rec_name, reason=holds[0].reason)


class Work(ControlledMixin, metaclass=PoolMeta):
    __name__ = 'production.work'

    @classmethod
    @ModelView.button
    @ControlledMixin.control(
        'finish', 'mes_quality.wizard_work_inspect_finish')
    def stop(cls, works):
        cls.check_gating_samples(works)
        super().stop(works)

    def quality_control_pattern(self, operation):
        pattern = super().quality_control_pattern(operation)
        if self.production:
            pattern['company'] = self.production.company.id
            pattern['products'] = {self.production.product.id} | {
                m.product.id for m in self.production.inputs}
        pattern['routing_operation'] = (
            self.operation.id if self.operation else None)
        return pattern

    @classmethod
    def create_finish_inspections(cls, works):
        """Create the inspections the quality controls ask of the works
        before they are finished, so that quality can do them while the
        works run."""
        pool = Pool()
        Control = pool.get('quality.control')
        Inspection = pool.get('quality.inspection')
        inspections = Control.get_inspections(works, 'finish')
        Inspection.save(inspections)
        return inspections

    @classmethod
    def check_gating_samples(cls, works):
        "A work is not finished while a gating characteristic owes samples."
        pool = Pool()
        Characteristic = pool.get('mes.quality.characteristic')
        for work_id, dues in Characteristic.samples_due(works).items():
            missing = [f'{c.rec_name} ({due})' for c, due in dues
                if c.gating and due]
            if missing:
                raise SamplingError(gettext(
                        'mes_quality.msg_work_samples_due',
                        work=cls(work_id).rec_name,
                        samples=', '.join(missing)))

    @classmethod
    def _get_blocking_reasons(cls, rows):
        pool = Pool()
        Hold = pool.get('mes.quality.hold')
        reasons = super()._get_blocking_reasons(rows)
        centers = list({r.work_center for r in rows if r.work_center})
        if not centers:
            return reasons
        hold = Hold.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*hold.select(
                hold.work_center, hold.reason,
                where=hold.work_center.in_(centers) & (hold.state == 'open')))
        held = {}
        for center, reason in cursor:
            held.setdefault(center, []).append(gettext(
                    'mes_quality.msg_work_quality_hold', reason=reason))
        for row in rows:
            reasons[row.id].extend(held.get(row.work_center, []))
        return reasons
