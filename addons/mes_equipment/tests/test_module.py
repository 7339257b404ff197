# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt
import random

from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.mes_production.tests.database import (
    OnProductionDatabase)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class MesEquipmentTestCase(
        OnProductionDatabase, CompanyTestMixin, ModuleTestCase):
    "Test mes_equipment module"
    module = 'mes_equipment'

    def _random_log(self, machine, start, days, seed, jam, tooling):
        """A random state log from start over days, with stops of every
        length and reason, setups, planned stops, a correction and an
        interval still open."""
        pool = Pool()
        State = pool.get('mes.equipment.state')
        Count = pool.get('mes.equipment.count')
        rng = random.Random(seed)
        at = start
        end = start + dt.timedelta(days=days)
        while at < end:
            state = rng.choice(
                ['running', 'running', 'running', 'down', 'setup', 'idle',
                    'planned_stop'])
            reason = rng.choice([None, jam, tooling]) if state in {
                'down', 'setup'} else None
            State.record(machine, state, at=at, reason=reason)
            total = rng.randint(0, 40)
            Count.create([{
                        'equipment': machine.id, 'at': at, 'total': total,
                        'reject': rng.randint(0, min(total, 2))}])
            at += dt.timedelta(seconds=rng.choice([20, 45, 300, 2400, 7200]))
        # Down with a jam since then, and still.
        State.record(machine, 'down', at=at, reason=jam)
        wrong = State.search([
                ('equipment', '=', machine.id), ('state', '=', 'idle'),
                ('end', '!=', None)], limit=1)
        if wrong:
            State.correct(wrong[0], 'down', reason=jam, note="Was a jam")

    @with_transaction()
    def test_daily_oee_is_the_oee_of_each_day(self):
        "The day sums give each day the OEE and losses of its window"
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        Pattern = pool.get('mes.shift.pattern')
        Reason = pool.get('mes.downtime.reason')
        StateTime = pool.get('mes.equipment.state.time')
        company = create_company()
        with set_company(company):
            pattern, = Pattern.create([{
                        'name': "Two shifts",
                        'shifts': [('create', [{
                                        'name': "Early",
                                        'start_time': dt.time(6),
                                        'duration': dt.timedelta(hours=8),
                                        'breaks': [('create', [{
                                                        'name': "Meal",
                                                        'offset':
                                                        dt.timedelta(
                                                            hours=4),
                                                        'duration':
                                                        dt.timedelta(
                                                            minutes=30),
                                                        }])],
                                        }, {
                                        'name': "Night",
                                        'start_time': dt.time(22),
                                        'duration': dt.timedelta(hours=8),
                                        }])],
                        }])
            with_shifts, round_the_clock = Equipment.create([{
                        'code': 'M1', 'name': "Lathe", 'kind': 'machine',
                        'ideal_cycle_time': 2.0, 'small_stop_threshold': 60,
                        'shift_pattern': pattern.id,
                        }, {
                        'code': 'M2', 'name': "Press", 'kind': 'machine',
                        'ideal_cycle_time': 3.0,
                        }])
            jam, tooling = Reason.create([{
                        'code': 'JAM', 'name': "Jam",
                        'loss_class': 'breakdown',
                        }, {
                        'code': 'TOOL', 'name': "Tool change",
                        'loss_class': 'setup_adjustment',
                        }])
            start = dt.datetime(2026, 3, 2, 3, 17)
            for seed, machine in enumerate([with_shifts, round_the_clock]):
                self._random_log(machine, start, 3, seed, jam, tooling)
            # Added interval by interval as the log grew, the sums are
            # those of the whole log summed again.
            def sums():
                return sorted(
                    (t.equipment.id, t.date, t.state,
                        t.reason.id if t.reason else 0, t.loss_class,
                        bool(t.small_stop), bool(t.planned),
                        round(t.seconds, 6), t.stops)
                    for t in StateTime.search([]))
            grown = sums()
            StateTime.rebuild([with_shifts, round_the_clock])
            self.assertEqual(sums(), grown)
            first = start.date() - dt.timedelta(days=1)
            last = start.date() + dt.timedelta(days=5)
            now = start + dt.timedelta(days=5, hours=5)
            machines = [with_shifts, round_the_clock]
            days = StateTime.daily_oee(machines, first, last, now=now)
            reasons = StateTime.daily_reasons(machines, first, last, now=now)
            for machine in machines:
                date = first
                while date <= last:
                    begin = dt.datetime.combine(date, dt.time())
                    finish = min(begin + dt.timedelta(days=1), now)
                    # The windows' OEE counts an open interval up to the
                    # end of its window: compare days before now only.
                    if finish == begin + dt.timedelta(days=1):
                        expected, losses = Equipment.compute_oee(
                            [machine], begin, finish)[machine.id]
                        result, day_losses = days[machine.id, date]
                        for name in ['planned_time', 'run_time',
                                'total_count', 'good_count',
                                'ideal_cycle_time']:
                            self.assertAlmostEqual(
                                getattr(result, name),
                                getattr(expected, name), places=6,
                                msg=f"{machine.code} {date} {name}")
                        for loss, seconds in losses.items():
                            self.assertAlmostEqual(
                                day_losses[loss], seconds, places=6,
                                msg=f"{machine.code} {date} {loss}")
                        self.assertEqual(
                            {r: (round(s, 6), n) for r, (s, n) in reasons.get(
                                    (machine.id, date), {}).items()},
                            self._reasons_by_window(machine, begin, finish))
                    date += dt.timedelta(days=1)

    def _reasons_by_window(self, machine, start, end):
        "{reason: (seconds, stops)} of the stops of a window, one by one."
        pool = Pool()
        State = pool.get('mes.equipment.state')
        from trytond.modules.mes_equipment import shifts
        pattern = machine.shift_spec()
        planned = (shifts.planned_windows(pattern, start, end)
            if pattern is not None else [(start, end)])
        result = {}
        for interval in State.search([
                    ('equipment', '=', machine.id),
                    ('superseded_by', '=', None),
                    ('reason', '!=', None),
                    ('state', '!=', 'planned_stop'),
                    ('start', '<', end),
                    ['OR', ('end', '=', None), ('end', '>', start)],
                    ]):
            finish = interval.end or end
            seconds = sum(max(
                    (min(finish, b) - max(interval.start, a)
                        ).total_seconds(), 0) for a, b in planned)
            if seconds > 0:
                time, stops = result.get(interval.reason.id, (0.0, 0))
                result[interval.reason.id] = (time + seconds, stops + 1)
        return {r: (round(s, 6), n) for r, (s, n) in result.items()}

    @with_transaction()
    def test_changing_shifts_sums_the_log_again(self):
        "A new shift pattern on a machine changes its planned time"
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        Pattern = pool.get('mes.shift.pattern')
        State = pool.get('mes.equipment.state')
        StateTime = pool.get('mes.equipment.state.time')
        company = create_company()
        with set_company(company):
            machine, = Equipment.create([{
                        'code': 'M1', 'name': "Lathe", 'kind': 'machine'}])
            monday = dt.datetime(2026, 3, 2)
            State.record(machine, 'running', at=monday)
            State.record(machine, 'idle', at=monday + dt.timedelta(hours=20))
            date = monday.date()
            result, _ = StateTime.daily_oee(
                [machine], date, date, now=monday + dt.timedelta(days=2))[
                machine.id, date]
            self.assertEqual(result.planned_time, 86400)
            pattern, = Pattern.create([{
                        'name': "Day shift",
                        'shifts': [('create', [{
                                        'name': "Day",
                                        'start_time': dt.time(6),
                                        'duration': dt.timedelta(hours=8),
                                        }])],
                        }])
            Equipment.write([machine], {'shift_pattern': pattern.id})
            result, _ = StateTime.daily_oee(
                [machine], date, date, now=monday + dt.timedelta(days=2))[
                machine.id, date]
            self.assertEqual(
                (result.planned_time, result.run_time),
                (8 * 3600, 8 * 3600))


del ModuleTestCase
