# This file is part of Tryton MES.  See README.md for license terms.
"""Daily OEE of each machine, kept as rows the backend lists and charts.

A machine-day is computed once from the day sums the state log keeps
(state_time.py: shifts, small stops and losses as for any OEE window) and
the counts, many days of many machines in a few queries, and stored. A
state or count written for a day that already has its row deletes the row,
so the hourly job computes it again: late events and corrections reach the
figures without a full rebuild.
"""
import datetime as dt

from sql import Literal, Null
from sql.aggregate import Min, Sum
from sql.conditionals import Case, Coalesce, NullIf

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .downtime import LOSS_CLASS_NAMES

LOSSES = [
    'breakdown', 'setup_adjustment', 'small_stop', 'reduced_speed',
    'startup_reject', 'production_reject']
# How far back the job fills missing days of a machine at most.
MAX_DAYS_BACK = 400


HOURS_DIGITS = 4
RATIO_DIGITS = 6


def _percent(string):
    return fields.Float(string, digits=(16, RATIO_DIGITS), readonly=True)


def _hours(string):
    return fields.Float(string, digits=(16, HOURS_DIGITS), readonly=True)


def _h(seconds):
    return round(seconds / 3600, HOURS_DIGITS)


def _r(ratio):
    return round(ratio, RATIO_DIGITS)


class EquipmentDay(ModelSQL, ModelView):
    "The OEE of one machine on one day."
    __name__ = 'mes.equipment.day'
    __string__ = "Equipment Day"
    equipment = fields.Many2One(
        'mes.equipment', "Machine", required=True, ondelete='CASCADE',
        readonly=True)
    work_center = fields.Function(fields.Many2One(
            'production.work.center', "Work Center"), 'get_work_center',
        searcher='search_work_center')
    date = fields.Date("Date", required=True, readonly=True)
    calendar_hours = _hours("Calendar Hours")
    planned_hours = _hours("Planned Hours")
    run_hours = _hours("Run Hours")
    availability = _percent("Availability")
    performance = _percent("Performance")
    quality = _percent("Quality")
    oee = _percent("OEE")
    teep = _percent("TEEP")
    ideal_hours = _hours("Net Run Hours")
    total_count = fields.Integer("Total", readonly=True)
    good_count = fields.Integer("Good", readonly=True)
    loss_breakdown = _hours("Breakdowns")
    loss_setup_adjustment = _hours("Setup and Adjustment")
    loss_small_stop = _hours("Small Stops")
    loss_reduced_speed = _hours("Reduced Speed")
    loss_startup_reject = _hours("Startup Rejects")
    loss_production_reject = _hours("Production Rejects")
    reasons = fields.One2Many(
        'mes.equipment.day.reason', 'day', "Stop Reasons", readonly=True)
    intervals = fields.Function(fields.Many2Many(
            'mes.equipment.state', None, None, "State Intervals"),
        'get_intervals')
    counts = fields.Function(fields.Many2Many(
            'mes.equipment.count', None, None, "Counts"), 'get_counts')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('equipment_date_unique', Unique(t, t.equipment, t.date),
                'mes_equipment.msg_equipment_day_unique'),
            ]
        cls._sql_indexes.add(Index(t,
                (t.date, Index.Range()), (t.equipment, Index.Equality())))
        cls._order = [('date', 'DESC'), ('equipment', 'ASC'), ('id', 'ASC')]
        cls.__rpc__.update({
                'compute_days': RPC(readonly=False),
                'update_days': RPC(readonly=False, result=len),
                })

    def get_work_center(self, name):
        return self.equipment.work_center.id if (
            self.equipment.work_center) else None

    @classmethod
    def search_work_center(cls, name, clause):
        return [('equipment.work_center' + clause[0][len(name):],)
            + tuple(clause[1:])]

    def _window(self):
        start = dt.datetime.combine(self.date, dt.time())
        return start, start + dt.timedelta(days=1)

    def get_intervals(self, name):
        "Drill-down: the intervals behind the day's figures."
        State = Pool().get('mes.equipment.state')
        start, end = self._window()
        return [s.id for s in State.search([
                    ('equipment', '=', self.equipment.id),
                    ('superseded_by', '=', None),
                    ('start', '<', end),
                    ['OR', ('end', '=', None), ('end', '>', start)],
                    ], order=[('start', 'ASC')])]

    def get_counts(self, name):
        Count = Pool().get('mes.equipment.count')
        start, end = self._window()
        return [c.id for c in Count.search([
                    ('equipment', '=', self.equipment.id),
                    ('at', '>=', start), ('at', '<', end),
                    ], order=[('at', 'ASC')])]

    @classmethod
    def invalidate(cls, equipment_ids, start, end):
        """Forget the days of the machines that [start, end] touches, so the
        job computes them again."""
        if not equipment_ids:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice(list(equipment_ids)):
            cursor.execute(*table.delete(
                    where=reduce_ids(table.equipment, list(sub))
                    & (table.date >= start.date())
                    & (table.date <= end.date())))

    @classmethod
    def compute_days(cls, equipment_ids, from_date, to_date):
        """RPC: compute (again) the days from_date to to_date included of
        the machines; return how many rows were written."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        equipments = Equipment.browse(equipment_ids)
        dates = []
        day = from_date
        while day <= to_date:
            dates.append(day)
            day += dt.timedelta(days=1)
        return len(cls._compute({e: dates for e in equipments}))

    @classmethod
    def _compute(cls, days_of):
        """Compute and store the days of each machine ({machine: dates})
        from the day sums of the state log and the counts."""
        pool = Pool()
        StateTime = pool.get('mes.equipment.state.time')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        days_of = {e: sorted(set(d)) for e, d in days_of.items() if d}
        if not days_of:
            return []
        first = min(d[0] for d in days_of.values())
        last = max(d[-1] for d in days_of.values())
        machines = sorted(days_of, key=lambda e: e.id)
        results = StateTime.daily_oee(machines, first, last)
        reasons = StateTime.daily_reasons(machines, first, last)
        to_create = []
        for equipment in machines:
            dates = days_of[equipment]
            for sub in grouped_slice(dates, backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.delete(
                        where=(table.equipment == equipment.id)
                        & table.date.in_(list(sub))))
            for date in dates:
                result, losses = results[equipment.id, date]
                values = {
                    'equipment': equipment.id,
                    'date': date,
                    'calendar_hours': _h(result.calendar_time),
                    'planned_hours': _h(result.planned_time),
                    'run_hours': _h(result.run_time),
                    'ideal_hours': _h(
                        result.ideal_cycle_time * result.total_count),
                    'availability': _r(result.availability),
                    'performance': _r(result.performance),
                    'quality': _r(result.quality),
                    'oee': _r(result.oee),
                    'teep': _r(result.teep),
                    'total_count': int(result.total_count),
                    'good_count': int(result.good_count),
                    }
                for loss in LOSSES:
                    values['loss_' + loss] = _h(losses[loss])
                values['reasons'] = [('create', [
                            {'reason': r, 'hours': _h(h), 'stops': n}
                            for r, (h, n) in sorted(reasons.get(
                                    (equipment.id, date), {}).items())
                            ])]
                to_create.append(values)
        return cls.create(to_create)

    @classmethod
    def update_days(cls, today=None):
        """Fill the missing days of every active machine up to yesterday
        (cron), from its first state at most MAX_DAYS_BACK days back."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        State = pool.get('mes.equipment.state')
        Date = pool.get('ir.date')
        today = today or Date.today()
        yesterday = today - dt.timedelta(days=1)
        machines = Equipment.search([('kind', '=', 'machine')])
        if not machines:
            return []
        state = State.__table__()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*state.select(
                state.equipment, Min(state.start),
                where=state.equipment.in_([m.id for m in machines]),
                group_by=[state.equipment]))
        first = {}
        for equipment, start in cursor:
            if isinstance(start, str):
                start = dt.datetime.fromisoformat(start)
            first[equipment] = start.date()
        earliest = today - dt.timedelta(days=MAX_DAYS_BACK)
        cursor.execute(*table.select(
                table.equipment, table.date,
                where=table.equipment.in_([m.id for m in machines])
                & (table.date >= earliest)))
        done = set()
        for equipment, date in cursor:
            if isinstance(date, str):
                date = dt.date.fromisoformat(date)
            done.add((equipment, date))
        days_of = {}
        for machine in machines:
            if machine.id not in first:
                continue
            day = max(first[machine.id], earliest)
            dates = []
            while day <= yesterday:
                if (machine.id, day) not in done:
                    dates.append(day)
                day += dt.timedelta(days=1)
            days_of[machine] = dates
        return cls._compute(days_of)


class EquipmentDayReason(ModelSQL, ModelView):
    "The time a machine stood still for one reason on one day."
    __name__ = 'mes.equipment.day.reason'
    __string__ = "Equipment Day Reason"
    day = fields.Many2One(
        'mes.equipment.day', "Day", required=True, ondelete='CASCADE',
        readonly=True)
    reason = fields.Many2One(
        'mes.downtime.reason', "Reason", required=True, ondelete='CASCADE',
        readonly=True)
    hours = _hours("Hours")
    stops = fields.Integer("Stops", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('hours', 'DESC'), ('id', 'ASC')]


class OEEContext(ModelView):
    "OEE Context"
    __name__ = 'mes.equipment.oee.context'
    __string__ = "OEE Context"
    from_date = fields.Date("From Date", required=True)
    to_date = fields.Date("To Date", required=True)
    equipment = fields.Many2One('mes.equipment', "Machine")
    work_center = fields.Many2One('production.work.center', "Work Center")

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today() - dt.timedelta(days=30)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()


class _PeriodMixin:
    "The day rows of the context's period, machine and work center."
    __slots__ = ()

    @classmethod
    def _day_where(cls, day, equipment):
        context = Transaction().context
        where = Literal(True)
        if context.get('from_date'):
            where &= day.date >= context['from_date']
        if context.get('to_date'):
            where &= day.date <= context['to_date']
        if context.get('equipment'):
            where &= day.equipment == context['equipment']
        if context.get('work_center'):
            where &= equipment.work_center == context['work_center']
        return where


class OEESummary(_PeriodMixin, ModelSQL, ModelView):
    "The OEE of each machine over a period, from its days."
    __name__ = 'mes.equipment.oee.summary'
    __string__ = "OEE Summary"
    equipment = fields.Many2One('mes.equipment', "Machine", readonly=True)
    planned_hours = _hours("Planned Hours")
    run_hours = _hours("Run Hours")
    availability = _percent("Availability")
    performance = _percent("Performance")
    quality = _percent("Quality")
    oee = _percent("OEE")
    total_count = fields.Integer("Total", readonly=True)
    good_count = fields.Integer("Good", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('oee', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Day = pool.get('mes.equipment.day')
        Equipment = pool.get('mes.equipment')
        day = Day.__table__()
        equipment = Equipment.__table__()
        planned = Sum(day.planned_hours)
        run = Sum(day.run_hours)
        ideal = Sum(day.ideal_hours)
        total = Sum(day.total_count)
        good = Sum(day.good_count)
        availability = Coalesce(run / NullIf(planned, 0), 0)
        performance = Coalesce(ideal / NullIf(run, 0), 0)
        quality = Coalesce(
            Case((total > 0, good * 1.0 / NullIf(total, 0)), else_=0), 0)
        return day.join(equipment,
            condition=day.equipment == equipment.id).select(
            day.equipment.as_('id'),
            day.equipment.as_('equipment'),
            planned.as_('planned_hours'),
            run.as_('run_hours'),
            availability.as_('availability'),
            performance.as_('performance'),
            quality.as_('quality'),
            (Coalesce(ideal / NullIf(planned, 0), 0)
                * quality).as_('oee'),
            total.as_('total_count'),
            good.as_('good_count'),
            where=cls._day_where(day, equipment),
            group_by=[day.equipment])


class OEELoss(_PeriodMixin, ModelSQL, ModelView):
    "Time lost per loss class over a period: the Pareto of losses."
    __name__ = 'mes.equipment.oee.loss'
    __string__ = "OEE Loss"
    loss_class = fields.Selection(
        [(c, LOSS_CLASS_NAMES[c]) for c in LOSSES], "Loss Class",
        readonly=True)
    hours = _hours("Hours")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('hours', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Day = pool.get('mes.equipment.day')
        Equipment = pool.get('mes.equipment')
        queries = []
        for index, loss in enumerate(LOSSES, 1):
            day = Day.__table__()
            equipment = Equipment.__table__()
            queries.append(day.join(equipment,
                    condition=day.equipment == equipment.id).select(
                    Literal(index).as_('id'),
                    Literal(loss).as_('loss_class'),
                    Coalesce(Sum(getattr(day, 'loss_' + loss)), 0).as_(
                        'hours'),
                    where=cls._day_where(day, equipment)))
        query = queries[0]
        for other in queries[1:]:
            query = query | other
        return query.select(
            query.id, query.loss_class, query.hours,
            where=query.hours != Null)


class ReasonPareto(_PeriodMixin, ModelSQL, ModelView):
    "Stop time per downtime reason over a period: the Pareto of reasons."
    __name__ = 'mes.equipment.oee.reason'
    __string__ = "OEE Loss by Reason"
    reason = fields.Many2One('mes.downtime.reason', "Reason", readonly=True)
    loss_class = fields.Function(fields.Selection(
            'get_loss_classes', "Loss Class"), 'get_loss_class')
    hours = _hours("Hours")
    stops = fields.Integer("Stops", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('hours', 'DESC'), ('id', 'ASC')]

    @classmethod
    def get_loss_classes(cls):
        pool = Pool()
        Reason = pool.get('mes.downtime.reason')
        return Reason.fields_get(['loss_class'])['loss_class']['selection']

    def get_loss_class(self, name):
        return self.reason.loss_class

    @classmethod
    def table_query(cls):
        pool = Pool()
        Day = pool.get('mes.equipment.day')
        DayReason = pool.get('mes.equipment.day.reason')
        Equipment = pool.get('mes.equipment')
        day = Day.__table__()
        day_reason = DayReason.__table__()
        equipment = Equipment.__table__()
        return day_reason.join(day, condition=day_reason.day == day.id
            ).join(equipment, condition=day.equipment == equipment.id
            ).select(
            day_reason.reason.as_('id'),
            day_reason.reason.as_('reason'),
            Sum(day_reason.hours).as_('hours'),
            Sum(day_reason.stops).as_('stops'),
            where=cls._day_where(day, equipment),
            group_by=[day_reason.reason])


class EquipmentState(metaclass=PoolMeta):
    __name__ = 'mes.equipment.state'

    @classmethod
    def create(cls, vlist):
        intervals = super().create(vlist)
        invalidate_days(
            (i.equipment.id, i.start, i.end or i.start) for i in intervals)
        return intervals

    @classmethod
    def write(cls, *args):
        super().write(*args)
        records = sum(args[::2], [])
        invalidate_days(
            (i.equipment.id, i.start, i.end or i.start) for i in records)


class EquipmentCount(metaclass=PoolMeta):
    __name__ = 'mes.equipment.count'

    @classmethod
    def create(cls, vlist):
        counts = super().create(vlist)
        invalidate_days((c.equipment.id, c.at, c.at) for c in counts)
        return counts


def invalidate_days(spans):
    """Forget the machine-days that (equipment id, start, end) spans
    touch, grouped into one statement per range of days."""
    Day = Pool().get('mes.equipment.day')
    by_range = {}
    for equipment, start, end in spans:
        by_range.setdefault((start.date(), end.date()), set()).add(equipment)
    for (start, end), equipment_ids in by_range.items():
        Day.invalidate(
            equipment_ids, dt.datetime.combine(start, dt.time()),
            dt.datetime.combine(end, dt.time()))


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('mes.equipment.day|update_days', "Compute Daily OEE"))


class WorkCenter(metaclass=PoolMeta):
    __name__ = 'production.work.center'
    oee_today = fields.Function(
        fields.Float("OEE Today", digits=(16, 4)), 'get_today')
    availability_today = fields.Function(
        fields.Float("Availability Today", digits=(16, 4)), 'get_today')
    performance_today = fields.Function(
        fields.Float("Performance Today", digits=(16, 4)), 'get_today')
    quality_today = fields.Function(
        fields.Float("Quality Today", digits=(16, 4)), 'get_today')

    @classmethod
    def get_today(cls, centers, names):
        """The OEE of the work centers' machines together since midnight
        (their times and counts added up)."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        now = dt.datetime.now()
        start = dt.datetime.combine(now.date(), dt.time())
        machines = Equipment.search([
                ('work_center', 'in', [c.id for c in centers]),
                ('kind', '=', 'machine'),
                ])
        results = Equipment.compute_oee(machines, start, now)
        totals = {}
        for machine in machines:
            result, _ = results[machine.id]
            center = machine.work_center.id
            totals[center] = (totals[center] + result
                if center in totals else result)
        values = {name: {} for name in names}
        for center in centers:
            result = totals.get(center.id)
            for name in names:
                values[name][center.id] = (
                    round(getattr(result, name[:-len('_today')]), 4)
                    if result else None)
        return values
