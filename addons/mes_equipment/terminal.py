# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from trytond import backend
from trytond.i18n import gettext
from trytond.modules.mes_production.exceptions import TerminalError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# How far back the terminal shows stops still waiting for a reason.
UNEXPLAINED_HORIZON = dt.timedelta(hours=24)


class Terminal(metaclass=PoolMeta):
    __name__ = 'mes.terminal'

    @classmethod
    def action_kinds(cls):
        return super().action_kinds() + [('explain_stop', "Explain Stop")]

    @classmethod
    def workless_action_kinds(cls):
        return super().workless_action_kinds() | {'explain_stop'}

    def machines(self):
        "The active machines of the terminal's work centers."
        return [e for wc in self.work_centers for e in wc.equipments
            if e.kind == 'machine' and e.active]

    def unexplained_stops(self):
        """The machines' stops of the last day that have no reason yet and
        are not small stops (those are speed losses, nobody explains
        them)."""
        pool = Pool()
        State = pool.get('mes.equipment.state')
        machines = self.machines()
        if not machines:
            return []
        now = dt.datetime.now()
        stops = State.search([
                ('equipment', 'in', [m.id for m in machines]),
                ('state', '=', 'down'),
                ('reason', '=', None),
                ('superseded_by', '=', None),
                ('start', '>=', now - UNEXPLAINED_HORIZON),
                ], order=[('start', 'ASC')])
        return [s for s in stops
            if ((s.end or now) - s.start).total_seconds()
            >= (s.equipment.small_stop_threshold or 0)]

    def state_extra(self):
        pool = Pool()
        Reason = pool.get('mes.downtime.reason')
        extra = super().state_extra()
        now = dt.datetime.now()
        extra['unexplained_stops'] = [{
                'id': s.id,
                'machine': s.equipment.rec_name,
                'start': s.start,
                'end': s.end,
                'minutes': round(
                    ((s.end or now) - s.start).total_seconds() / 60, 1),
                } for s in self.unexplained_stops()]
        extra['downtime_reasons'] = [
            {'code': r.code, 'name': r.rec_name}
            for r in Reason.search([
                    ('children', '=', None),
                    ('loss_class', '!=', None),
                    ('loss_class', '!=', 'planned'),
                    ])]
        return extra

    def _serialize_workless(self, kind, data):
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        super()._serialize_workless(kind, data)
        if kind != 'explain_stop':
            return
        # Two operators explaining the same stop at once: one wins, the
        # other is told it is explained already.
        machines = self.machines()
        Equipment.lock(machines)
        if backend.name == 'sqlite' and machines:
            table = Equipment.__table__()
            Transaction().connection.cursor().execute(*table.update(
                    [table.id], [table.id],
                    where=table.id == machines[0].id))

    def _do_explain_stop(self, work, employee, data):
        pool = Pool()
        State = pool.get('mes.equipment.state')
        Reason = pool.get('mes.downtime.reason')
        try:
            interval_id = int(data.get('interval'))
        except (TypeError, ValueError):
            interval_id = None
        stops = State.search([
                ('id', '=', interval_id),
                ('equipment', 'in', [m.id for m in self.machines()]),
                ('state', '=', 'down'),
                ]) if interval_id else []
        if not stops:
            raise TerminalError(gettext(
                    'mes_equipment.msg_terminal_stop_unknown',
                    stop=data.get('interval')))
        stop, = stops
        if stop.superseded_by or stop.reason:
            raise TerminalError(gettext(
                    'mes_equipment.msg_terminal_stop_explained',
                    machine=stop.equipment.rec_name))
        reasons = Reason.search([
                ('code', '=', str(data.get('reason') or '')),
                ('children', '=', None),
                ('loss_class', '!=', None),
                ('loss_class', '!=', 'planned'),
                ], limit=1)
        if not reasons:
            raise TerminalError(gettext(
                    'mes_equipment.msg_terminal_stop_reason_unknown',
                    reason=data.get('reason')))
        reason, = reasons
        new, _ = State.correct(
            stop, 'down', reason=reason,
            note=gettext('mes_equipment.msg_terminal_stop_note',
                employee=employee.rec_name, terminal=self.rec_name))
        return {'interval': new.id, 'reason': reason.code}

    def _do_report(self, work, employee, data):
        pool = Pool()
        Count = pool.get('mes.equipment.count')
        result = super()._do_report(work, employee, data)
        machines = [e for e in work.work_center.equipments
            if e.kind == 'machine' and e.active]
        if machines:
            good = float(data.get('good') or 0)
            scrap = sum(float(s.get('quantity') or 0)
                for s in data.get('scraps') or [])
            # Parts made at a work center count on its (first) machine.
            Count.create([{
                        'equipment': machines[0].id,
                        'at': dt.datetime.now(),
                        'total': round(good + scrap),
                        'reject': round(scrap),
                        'source': 'terminal',
                        'work': work.id,
                        'product': work.production.product.id,
                        'operation': work.operation.id,
                        }])
        return result
