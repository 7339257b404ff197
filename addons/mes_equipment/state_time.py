# This file is part of Tryton MES.  See README.md for license terms.
"""The seconds each machine spent per day in each state, kept in step with
its state log.

When an interval of the log closes, is written closed or is superseded by
a correction, the days it covers are summed again from the log (rollup.py)
and stored; a change of a machine's shifts or small-stop threshold sums its
whole log again. Daily OEE of any number of machines and days is then read
from these sums in one query, not from the intervals.
"""
import datetime as dt
from collections import defaultdict

import numpy as np
from sql import Literal, Null
from sql.aggregate import Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp, DateTrunc

from trytond import backend
from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from . import oee, rollup, shifts
from .state import STATE_NAMES, STATES

# The loss classes a stop's time can count in (a reason may name any).
STOP_CLASSES = (
    'breakdown', 'setup_adjustment', 'small_stop', 'reduced_speed',
    'startup_reject', 'production_reject')


def _datetime(value):
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _day_index(dates, first):
    "The number of days from first of each date (or datetime or text)."
    if dates and isinstance(dates[0], str):
        dates = [_date(d) for d in dates]
    origin = first.toordinal()
    return np.array([d.toordinal() - origin for d in dates], dtype=np.int64)


def _midnight(date):
    return dt.datetime.combine(date, dt.time())


def stop_class(state, loss_class, small):
    """The loss class a piece of a state counts in: '' for running and
    planned stops, small_stop for small stops, else the reason's loss class
    (setup and adjustment for setups, breakdown by default)."""
    if small:
        return 'small_stop'
    if state in {'running', 'planned_stop'}:
        return ''
    return loss_class or (
        'setup_adjustment' if state == 'setup' else 'breakdown')


class StateTime(ModelSQL):
    "The time a machine spent in a state on a day, from its state log."
    __name__ = 'mes.equipment.state.time'
    __string__ = "Equipment State Time"
    equipment = fields.Many2One(
        'mes.equipment', "Machine", required=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    state = fields.Selection(
        [(s, STATE_NAMES[s]) for s in STATES], "State", required=True)
    reason = fields.Many2One(
        'mes.downtime.reason', "Reason", ondelete='CASCADE')
    loss_class = fields.Char(
        "Loss Class", help="The loss class the time counts in, if lost.")
    small_stop = fields.Boolean("Small Stop")
    planned = fields.Boolean(
        "Planned", help="In the planned production time of the day.")
    seconds = fields.Float("Seconds", required=True)
    stops = fields.Integer(
        "Stops", required=True,
        help="The intervals with planned time in this day.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.equipment, Index.Equality()), (t.date, Index.Range())))

    @classmethod
    def update(cls, spans):
        """Sum again the days that {equipment id: (first date, last date)}
        cover, from the closed intervals of the log."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for equipment_id, (first, last) in sorted(spans.items()):
            cursor.execute(*table.delete(
                    where=(table.equipment == equipment_id)
                    & (table.date >= first) & (table.date <= last)))
            rows = cls._sum(Equipment(equipment_id), first, last)
            for sub in grouped_slice(rows, backend.MAX_QUERY_PARAMS // 12):
                cursor.execute(*table.insert([
                            table.equipment, table.date, table.state,
                            table.reason, table.loss_class, table.small_stop,
                            table.planned, table.seconds, table.stops,
                            table.create_uid, table.create_date],
                        [r + [Transaction().user, CurrentTimestamp()]
                            for r in sub]))

    @classmethod
    def add(cls, intervals):
        """Add the time of intervals that just closed to the sums of their
        days: a few updates instead of summing the days again."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        for interval in intervals:
            for row in cls._interval_rows(interval):
                (equipment, date, state, reason, loss, small, planned,
                    seconds, stops) = row
                where = ((table.equipment == equipment)
                    & (table.date == date) & (table.state == state)
                    & ((table.reason == reason) if reason
                        else (table.reason == Null))
                    & (table.loss_class == loss)
                    & (table.small_stop == small)
                    & (table.planned == planned))
                cursor.execute(*table.select(table.id, where=where, limit=1))
                found = cursor.fetchone()
                if found:
                    cursor.execute(*table.update(
                            [table.seconds, table.stops],
                            [table.seconds + seconds, table.stops + stops],
                            where=table.id == found[0]))
                else:
                    cursor.execute(*table.insert([
                                table.equipment, table.date, table.state,
                                table.reason, table.loss_class,
                                table.small_stop, table.planned,
                                table.seconds, table.stops,
                                table.create_uid, table.create_date],
                            [row + [user, CurrentTimestamp()]]))

    @classmethod
    def _interval_rows(cls, interval):
        "The day sum rows of one closed interval."
        first = interval.start.date()
        last = interval.end.date()
        if interval.end == _midnight(last) and last > first:
            last -= dt.timedelta(days=1)
        return cls._rows(interval.equipment, first, last, [(
                    interval.start, interval.end, interval.state,
                    interval.reason.id if interval.reason else None,
                    interval.reason.loss_class if interval.reason else None,
                    )])

    @classmethod
    def rebuild(cls, equipments):
        "Sum the whole log of the machines again."
        pool = Pool()
        State = pool.get('mes.equipment.state')
        state = State.__table__()
        cursor = Transaction().connection.cursor()
        spans = {}
        for sub in grouped_slice(
                [e.id for e in equipments], backend.MAX_QUERY_PARAMS):
            cursor.execute(*state.select(
                    state.equipment, Min(state.start),
                    Max(Coalesce(state.end, state.start)),
                    where=reduce_ids(state.equipment, list(sub)),
                    group_by=[state.equipment]))
            for equipment_id, first, last in cursor:
                spans[equipment_id] = (
                    _datetime(first).date(), _datetime(last).date())
        cls.update(spans)

    @classmethod
    def _sum(cls, equipment, first, last):
        "The rows of the machine's day sums from first to last dates."
        pool = Pool()
        State = pool.get('mes.equipment.state')
        Reason = pool.get('mes.downtime.reason')
        origin = _midnight(first)
        n_days = (last - first).days + 1
        end = origin + dt.timedelta(days=n_days)
        table = State.__table__()
        reason = Reason.__table__()
        cursor = Transaction().connection.cursor()
        valid = ((table.equipment == equipment.id)
            & (table.superseded_by == Null))
        # The valid intervals of a machine never overlap: those that start
        # in the days, and the one before them if it reaches into them.
        # Both are found from the (machine, start) index, not by reading
        # the machine's whole log.
        rows = []
        for where, order, limit in [
                (table.start < origin, [table.start.desc], 1),
                ((table.start >= origin) & (table.start < end), None, None),
                ]:
            cursor.execute(*table.join(reason, 'LEFT',
                    condition=table.reason == reason.id).select(
                    table.start, table.end, table.state, table.reason,
                    reason.loss_class,
                    where=valid & where, order_by=order, limit=limit))
            rows.extend(cursor)
        return cls._rows(equipment, first, last, rows)

    @classmethod
    def _rows(cls, equipment, first, last, intervals):
        """The day sum rows from first to last dates of (start, end, state,
        reason, loss class) intervals of the machine."""
        origin = _midnight(first)
        n_days = (last - first).days + 1
        end = origin + dt.timedelta(days=n_days)
        threshold = equipment.small_stop_threshold or 0
        kinds, codes = [], {}
        starts, ends, kind_codes = [], [], []
        for begin, finish, state, reason_id, loss_class in intervals:
            if finish is None:
                # Still open: it counts when it closes.
                continue
            begin, finish = _datetime(begin), _datetime(finish)
            small = (state == 'down'
                and (finish - begin).total_seconds() < threshold)
            kind = (state, reason_id, stop_class(state, loss_class, small),
                small)
            if kind not in codes:
                codes[kind] = len(kinds)
                kinds.append(kind)
            starts.append((begin - origin).total_seconds())
            ends.append((finish - origin).total_seconds())
            kind_codes.append(codes[kind])
        if not starts:
            return []
        sums = rollup.day_sums(starts, ends, kind_codes, n_days,
            cls._planned_windows(equipment, origin, end))
        rows = []
        for day, kind, planned, seconds, stops in zip(
                sums.days.tolist(), sums.kinds.tolist(),
                sums.planned.tolist(), sums.seconds.tolist(),
                sums.intervals.tolist()):
            state, reason_id, loss, small = kinds[kind]
            rows.append([equipment.id, first + dt.timedelta(days=day),
                    state, reason_id, loss, small, planned, seconds, stops])
        return rows

    @staticmethod
    def _planned_windows(equipment, origin, end):
        """The planned windows of the machine in [origin, end) as seconds
        from origin, or None when it has no shifts (all time planned)."""
        pattern = equipment.shift_spec()
        if pattern is None:
            return None
        return [((a - origin).total_seconds(), (b - origin).total_seconds())
            for a, b in shifts.planned_windows(pattern, origin, end)]

    @classmethod
    def daily_figures(cls, equipments, first, last, now=None):
        """The daily OEE of the machines from first to last dates, as
        arrays of shape (machines, days) by name: calendar, planned, run,
        planned_stop, small_stop and stop_<loss class> seconds, the total,
        reject and startup reject counts, the net run (ideal) seconds, the
        ideal cycle time, availability, performance, quality and oee.

        Read from the day sums (one query), the intervals still open and
        the counts (one query), never from the closed intervals."""
        pool = Pool()
        State = pool.get('mes.equipment.state')
        CycleTime = pool.get('mes.equipment.cycle_time')
        now = now or dt.datetime.now()
        ids = [e.id for e in equipments]
        n_days = (last - first).days + 1
        origin = _midnight(first)
        end = origin + dt.timedelta(days=n_days)
        shape = (len(ids), n_days)
        row_of = {i: n for n, i in enumerate(ids)}
        names = ['run', 'planned_stop', 'small_stop',
            *(f'stop_{c}' for c in STOP_CLASSES)]
        figures = {name: np.zeros(shape) for name in [
                *names, 'total', 'reject', 'startup', 'ideal']}

        table = cls.__table__()
        planned = table.planned == Literal(True)

        def total(condition):
            return Sum(Case((planned & condition, table.seconds), else_=0))
        small = table.small_stop == Literal(True)
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.equipment, table.date,
                    total((table.state == 'running') | small),
                    total(table.state == 'planned_stop'),
                    total(small),
                    *(total(~small & (table.loss_class == c))
                        for c in STOP_CLASSES),
                    where=reduce_ids(table.equipment, list(sub))
                    & (table.date >= first) & (table.date <= last),
                    group_by=[table.equipment, table.date]))
            rows = cursor.fetchall()
            if not rows:
                continue
            columns = list(zip(*rows))
            index = (np.array([row_of[i] for i in columns[0]]),
                _day_index(columns[1], first))
            for name, values in zip(names, columns[2:]):
                figures[name][index] = np.array(values, dtype=float)

        by_id = {e.id: e for e in equipments}
        for interval in State.search([
                    ('equipment', 'in', ids),
                    ('end', '=', None),
                    ('superseded_by', '=', None),
                    ('start', '<', min(end, now)),
                    ]):
            cls._add_open(figures, row_of[interval.equipment.id],
                by_id[interval.equipment.id], interval, origin,
                min(end, now), n_days)

        ideal_times = CycleTime.ideal_times(ids)
        ideal_of = {}
        counts = cls._day_counts(ids, origin, end)
        if counts:
            columns = list(zip(*counts))
            index = (np.array([row_of[i] for i in columns[0]]),
                _day_index(columns[1], first))
            for name, values in zip(
                    ['total', 'reject', 'startup'], columns[4:]):
                np.add.at(figures[name], index,
                    np.array(values, dtype=float))
            keys = list(zip(columns[0], columns[2], columns[3]))
            for key in set(keys):
                ideal_of[key] = ideal_times(*key)
            np.add.at(figures['ideal'], index,
                np.array(columns[4], dtype=float)
                * np.array([ideal_of[k] for k in keys]))
        default_ideal = np.array(
            [[e.ideal_cycle_time or 0] for e in equipments], dtype=float)

        figures['calendar'] = np.full(shape, rollup.DAY)
        planned_time = np.array([
                cls._planned_seconds(e, origin, end, n_days)
                for e in equipments], dtype=float).reshape(shape)
        planned_time = planned_time - figures['planned_stop']
        figures['planned'] = planned_time
        run, count = figures['run'], figures['total']
        with np.errstate(divide='ignore', invalid='ignore'):
            figures['ideal_cycle_time'] = np.where(
                count > 0, figures['ideal'] / count, default_ideal)
            figures['availability'] = np.where(
                planned_time > 0, run / planned_time, 0.0)
            figures['performance'] = np.where(
                run > 0, figures['ideal_cycle_time'] * count / run, 0.0)
            figures['quality'] = np.where(
                count > 0, (count - figures['reject']) / count, 0.0)
        figures['oee'] = (figures['availability'] * figures['performance']
            * figures['quality'])
        return figures

    @classmethod
    def daily_oee(cls, equipments, first, last, now=None):
        """{(equipment id, date): (oee.OEE, losses per loss class)} of each
        machine on each day from first to last dates."""
        if not equipments:
            return {}
        figures = cls.daily_figures(equipments, first, last, now=now)
        results = {}
        for row, equipment in enumerate(equipments):
            for day in range(figures['run'].shape[1]):
                value = {k: float(v[row, day]) for k, v in figures.items()}
                result = oee.OEE(
                    calendar_time=value['calendar'],
                    planned_time=value['planned'],
                    run_time=value['run'],
                    total_count=int(value['total']),
                    good_count=int(value['total'] - value['reject']),
                    ideal_cycle_time=value['ideal_cycle_time'])
                results[equipment.id, first + dt.timedelta(days=day)] = (
                    result, oee.loss_times(
                        result,
                        {c: value[f'stop_{c}'] for c in STOP_CLASSES
                            if value[f'stop_{c}']},
                        small_stop_time=value['small_stop'],
                        startup_rejects=int(value['startup'])))
        return results

    @classmethod
    def daily_reasons(cls, equipments, first, last, now=None):
        """{(equipment id, date): {reason id: (seconds, stops)}}: the time
        in planned production time each stop reason took on each day."""
        pool = Pool()
        State = pool.get('mes.equipment.state')
        now = now or dt.datetime.now()
        ids = [e.id for e in equipments]
        n_days = (last - first).days + 1
        origin = _midnight(first)
        end = origin + dt.timedelta(days=n_days)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = defaultdict(dict)
        for sub in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.equipment, table.date, table.reason,
                    Sum(table.seconds), Sum(table.stops),
                    where=reduce_ids(table.equipment, list(sub))
                    & (table.date >= first) & (table.date <= last)
                    & (table.planned == Literal(True))
                    & (table.reason != Null)
                    & (table.state != 'planned_stop'),
                    group_by=[table.equipment, table.date, table.reason]))
            for equipment_id, date, reason, seconds, stops in cursor:
                result[equipment_id, _date(date)][reason] = (
                    float(seconds), int(stops))
        by_id = {e.id: e for e in equipments}
        for interval in State.search([
                    ('equipment', 'in', ids),
                    ('end', '=', None),
                    ('superseded_by', '=', None),
                    ('reason', '!=', None),
                    ('state', '!=', 'planned_stop'),
                    ('start', '<', min(end, now)),
                    ]):
            equipment = by_id[interval.equipment.id]
            sums = rollup.day_sums(
                [(interval.start - origin).total_seconds()],
                [(min(end, now) - origin).total_seconds()], [0], n_days,
                cls._planned_windows(equipment, origin, end))
            for day, is_planned, seconds in zip(
                    sums.days.tolist(), sums.planned.tolist(),
                    sums.seconds.tolist()):
                if not is_planned:
                    continue
                reasons = result[equipment.id,
                    first + dt.timedelta(days=day)]
                before = reasons.get(interval.reason.id, (0.0, 0))
                reasons[interval.reason.id] = (
                    before[0] + seconds, before[1] + 1)
        return result

    @classmethod
    def _add_open(cls, figures, row, equipment, interval, origin, until,
            n_days):
        "Add the part of an open interval up to `until` to the figures."
        if until <= interval.start:
            return
        state = interval.state
        loss = stop_class(state,
            interval.reason.loss_class if interval.reason else None, False)
        sums = rollup.day_sums(
            [(interval.start - origin).total_seconds()],
            [(until - origin).total_seconds()], [0], n_days,
            cls._planned_windows(equipment, origin,
                origin + dt.timedelta(days=n_days)))
        name = {'running': 'run', 'planned_stop': 'planned_stop'}.get(
            state, f'stop_{loss}')
        if name not in figures:
            return
        for day, is_planned, seconds in zip(
                sums.days.tolist(), sums.planned.tolist(),
                sums.seconds.tolist()):
            if is_planned:
                figures[name][row, day] += seconds

    @classmethod
    def _day_counts(cls, ids, origin, end):
        """The (equipment, day, product, operation, total, reject, startup
        rejects) rows of the counts of the machines, from one query."""
        Count = Pool().get('mes.equipment.count')
        count = Count.__table__()
        cursor = Transaction().connection.cursor()
        result = []
        for sub in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            # The day is a column of a subquery: PostgreSQL does not see
            # two parametrized DATE_TRUNC as the same grouping expression.
            rows = count.select(
                count.equipment, DateTrunc('day', count.at).as_('day'),
                count.product, count.operation, count.total, count.reject,
                Coalesce(count.startup_reject, 0).as_('startup_reject'),
                where=reduce_ids(count.equipment, list(sub))
                & (count.at >= origin) & (count.at < end))
            cursor.execute(*rows.select(
                    rows.equipment, rows.day, rows.product, rows.operation,
                    Sum(rows.total), Sum(rows.reject),
                    Sum(rows.startup_reject),
                    group_by=[rows.equipment, rows.day, rows.product,
                        rows.operation]))
            result.extend(cursor.fetchall())
        return result

    @classmethod
    def _planned_seconds(cls, equipment, origin, end, n_days):
        "The planned production time of each day, in seconds."
        windows = cls._planned_windows(equipment, origin, end)
        if windows is None:
            return [rollup.DAY] * n_days
        seconds = [0.0] * n_days
        if windows:
            sums = rollup.day_sums(
                [a for a, _ in windows], [b for _, b in windows],
                [0] * len(windows), n_days)
            for day, value in zip(sums.days.tolist(), sums.seconds.tolist()):
                seconds[day] += value
        return seconds


class EquipmentState(metaclass=PoolMeta):
    __name__ = 'mes.equipment.state'

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        StateTime = pool.get('mes.equipment.state.time')
        intervals = super().create(vlist)
        # New closed intervals (a batch of machine data, a correction) add
        # their time; the write that marks a corrected one superseded sums
        # its days again.
        StateTime.add([i for i in intervals
                if i.end and not i.superseded_by])
        return intervals

    @classmethod
    def write(cls, *args):
        pool = Pool()
        StateTime = pool.get('mes.equipment.state.time')
        super().write(*args)
        closed, touched = [], []
        for records, values in zip(args[::2], args[1::2]):
            if 'superseded_by' in values:
                touched.extend(records)
            elif 'end' in values:
                closed.extend(records)
        # The log's usual write: its open interval closes. Its time is
        # added to its days; a correction sums its days again.
        StateTime.add([i for i in closed
                if i.end and not i.superseded_by and i not in touched])
        update_state_times(touched)


def update_state_times(intervals):
    "Sum again the days the intervals cover, one update per machine."
    StateTime = Pool().get('mes.equipment.state.time')
    spans = {}
    for interval in intervals:
        first = interval.start.date()
        last = (interval.end or interval.start).date()
        if interval.equipment.id in spans:
            a, b = spans[interval.equipment.id]
            first, last = min(a, first), max(b, last)
        spans[interval.equipment.id] = (first, last)
    if spans:
        StateTime.update(spans)


def plan_changed(equipments):
    """The planned time or the small stops of the machines (and of the
    machines below them) changed: sum their logs again and forget their
    daily OEE rows, which the job computes again."""
    pool = Pool()
    Equipment = pool.get('mes.equipment')
    StateTime = pool.get('mes.equipment.state.time')
    Day = pool.get('mes.equipment.day')
    if not equipments:
        return
    machines = Equipment.search([
            ('parent', 'child_of', [e.id for e in equipments]),
            ('kind', '=', 'machine'),
            ])
    if not machines:
        return
    StateTime.rebuild(machines)
    day = Day.__table__()
    cursor = Transaction().connection.cursor()
    for sub in grouped_slice(
            [m.id for m in machines], backend.MAX_QUERY_PARAMS):
        cursor.execute(*day.delete(
                where=reduce_ids(day.equipment, list(sub))))


def _pattern_machines(pattern_ids):
    Equipment = Pool().get('mes.equipment')
    if not pattern_ids:
        return []
    return Equipment.search([('shift_pattern', 'in', list(pattern_ids))])


class Equipment(metaclass=PoolMeta):
    __name__ = 'mes.equipment'

    @classmethod
    def on_modification(cls, mode, equipments, field_names=None):
        super().on_modification(mode, equipments, field_names=field_names)
        if mode == 'write' and field_names & {
                'shift_pattern', 'small_stop_threshold', 'parent'}:
            plan_changed(equipments)


class ShiftPattern(metaclass=PoolMeta):
    __name__ = 'mes.shift.pattern'

    @classmethod
    def on_modification(cls, mode, patterns, field_names=None):
        super().on_modification(mode, patterns, field_names=field_names)
        if mode == 'write':
            plan_changed(_pattern_machines([p.id for p in patterns]))


class Shift(metaclass=PoolMeta):
    __name__ = 'mes.shift'

    @classmethod
    def on_modification(cls, mode, shifts, field_names=None):
        super().on_modification(mode, shifts, field_names=field_names)
        if mode in {'create', 'write'}:
            plan_changed(_pattern_machines({s.pattern.id for s in shifts}))

    @classmethod
    def on_delete(cls, shifts):
        machines = _pattern_machines({s.pattern.id for s in shifts})
        return super().on_delete(shifts) + [lambda: plan_changed(machines)]


class ShiftBreak(metaclass=PoolMeta):
    __name__ = 'mes.shift.break'

    @classmethod
    def on_modification(cls, mode, breaks, field_names=None):
        super().on_modification(mode, breaks, field_names=field_names)
        if mode in {'create', 'write'}:
            plan_changed(_pattern_machines(
                    {b.shift.pattern.id for b in breaks}))

    @classmethod
    def on_delete(cls, breaks):
        machines = _pattern_machines({b.shift.pattern.id for b in breaks})
        return super().on_delete(breaks) + [lambda: plan_changed(machines)]
