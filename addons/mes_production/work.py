# This file is part of Tryton MES.  See README.md for license terms.
import contextvars
import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.rpc import RPC
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .exceptions import DispatchError, QuantityError
from .scheduling import dispatch_key, waits_for_predecessor

OPEN_STATES = ('request', 'draft', 'waiting', 'running')

# The ids of the works whose state an outer set_state is saving.
_saving_state = contextvars.ContextVar('saving_state', default=frozenset())


class DispatchRow(NamedTuple):
    "What readiness hooks know of a work, read in one query."
    id: int
    state: str
    production: int
    work_center: int | None
    operation: int


class Work(metaclass=PoolMeta):
    __name__ = 'production.work'
    priority = fields.Selection([
            ('0', "Low"),
            ('1', "Normal"),
            ('2', "High"),
            ('3', "Urgent"),
            ], "Priority", required=True, sort=False)
    planned_start = fields.DateTime("Planned Start")
    planned_end = fields.DateTime(
        "Planned End",
        domain=[If(Eval('planned_start') & Eval('planned_end'),
                ('planned_end', '>=', Eval('planned_start')),
                ())])
    planned_duration = fields.TimeDelta("Planned Duration")
    planned_hours = fields.Function(
        fields.Float("Planned Hours", digits=(16, 2)), 'get_planned_hours')
    dispatch_sequence = fields.Integer(
        "Dispatch Sequence",
        help="The supervisor's manual order within the dispatch list.")
    completed = fields.Boolean(
        "Completed", readonly=True,
        help="The operation is finished: no more cycles are expected.")
    due_date = fields.Function(fields.Date("Due Date"), 'get_production_info')
    quantity = fields.Function(fields.Float(
            "Quantity", digits='unit'), 'get_production_info')
    unit = fields.Function(fields.Many2One(
            'product.uom', "Unit"), 'get_production_info')
    quantity_good = fields.Function(fields.Float(
            "Good", digits='unit'), 'get_quantities')
    quantity_scrap = fields.Function(fields.Float(
            "Scrap", digits='unit'), 'get_quantities')
    quantity_remaining = fields.Function(fields.Float(
            "Remaining", digits='unit'), 'get_quantities')
    ready = fields.Function(fields.Boolean("Ready"), 'get_readiness')
    blocking_reasons = fields.Function(
        fields.Text("Blocked Because"), 'get_readiness')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.work_center, Index.Range()),
                (t.state, Index.Equality(cardinality='low')),
                where=t.state.in_(OPEN_STATES)))
        cls.__rpc__.update({
                'dispatch_list': RPC(),
                })

    @classmethod
    def default_priority(cls):
        return '1'

    @classmethod
    def default_completed(cls):
        return False

    @staticmethod
    def order_due_date(tables):
        pool = Pool()
        Production = pool.get('production')
        table, _ = tables[None]
        if 'production' not in tables:
            production = Production.__table__()
            tables['production'] = {
                None: (production, table.production == production.id),
                }
        else:
            production, _ = tables['production'][None]
        return [production.planned_date]

    def get_planned_hours(self, name):
        if self.planned_duration is not None:
            return self.planned_duration.total_seconds() / 3600

    @classmethod
    def get_production_info(cls, works, names):
        result = {n: {} for n in names}
        for work in works:
            production = work.production
            if 'due_date' in result:
                result['due_date'][work.id] = production.planned_date
            if 'quantity' in result:
                result['quantity'][work.id] = production.quantity
            if 'unit' in result:
                result['unit'][work.id] = (
                    production.unit.id if production.unit else None)
        return result

    @classmethod
    def reported_quantities(cls, work_ids):
        """Return {work id: (good, scrap)} summed over the cycles that are
        not cancelled, in one query per slice of works."""
        pool = Pool()
        Cycle = pool.get('production.work.cycle')
        Scrap = pool.get('mes.work.cycle.scrap')
        cycle = Cycle.__table__()
        scrap = Scrap.__table__()
        cursor = Transaction().connection.cursor()
        totals = defaultdict(lambda: [0.0, 0.0])
        for sub_ids in grouped_slice(work_ids, backend.MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            cursor.execute(*cycle.select(
                    cycle.work, Sum(Coalesce(cycle.good_quantity, 0)),
                    where=reduce_ids(cycle.work, sub_ids)
                    & (cycle.state != 'cancelled'),
                    group_by=cycle.work))
            for work_id, good in cursor:
                totals[work_id][0] = float(good or 0)
            cursor.execute(*scrap.join(
                    cycle, condition=scrap.cycle == cycle.id).select(
                    cycle.work, Sum(scrap.quantity),
                    where=reduce_ids(cycle.work, sub_ids)
                    & (cycle.state != 'cancelled'),
                    group_by=cycle.work))
            for work_id, quantity in cursor:
                totals[work_id][1] = float(quantity or 0)
        return {k: tuple(v) for k, v in totals.items()}

    @classmethod
    def get_quantities(cls, works, names):
        reported = cls.reported_quantities([w.id for w in works])
        result = {n: {} for n in names}
        for work in works:
            good, scrap = reported.get(work.id, (0.0, 0.0))
            if 'quantity_good' in result:
                result['quantity_good'][work.id] = good
            if 'quantity_scrap' in result:
                result['quantity_scrap'][work.id] = scrap
            if 'quantity_remaining' in result:
                result['quantity_remaining'][work.id] = max(
                    (work.production.quantity or 0) - good - scrap, 0)
        return result

    @classmethod
    def get_readiness(cls, works, names):
        reasons = cls.get_blocking_reasons(works)
        result = {n: {} for n in names}
        for work in works:
            if 'ready' in result:
                result['ready'][work.id] = not reasons[work.id]
            if 'blocking_reasons' in result:
                result['blocking_reasons'][work.id] = (
                    '\n'.join(reasons[work.id]) or None)
        return result

    @classmethod
    def get_blocking_reasons(cls, works):
        "Return {work id: [reason, ...]}; an empty list means ready."
        return cls.blocking_reasons_of(
            cls.dispatch_rows([w.id for w in works]))

    @classmethod
    def dispatch_rows(cls, work_ids):
        work = cls.__table__()
        cursor = Transaction().connection.cursor()
        rows = []
        for sub_ids in grouped_slice(work_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*work.select(
                    work.id, work.state, work.production, work.work_center,
                    work.operation,
                    where=reduce_ids(work.id, list(sub_ids))))
            rows.extend(DispatchRow(*r) for r in cursor)
        return rows

    @classmethod
    def blocking_reasons_of(cls, rows):
        reasons = defaultdict(list)
        for work_id, messages in cls._get_blocking_reasons(rows).items():
            reasons[work_id].extend(messages)
        return reasons

    @classmethod
    def _get_blocking_reasons(cls, rows):
        """Return {work id: [reason, ...]} of the works that may not start.

        The one hook of dispatch readiness: other modules extend it with
        their own reasons (a quality hold, a machine down...). It gets
        DispatchRow tuples, not records, and must stay set-based: the
        dispatch list calls it for thousands of works."""
        pool = Pool()
        Production = pool.get('production')
        Operation = pool.get('production.routing.operation')
        work = cls.__table__()
        production = Production.__table__()
        operation = Operation.__table__()
        cursor = Transaction().connection.cursor()

        reasons = defaultdict(list)
        rows = [r for r in rows if r.state in OPEN_STATES]
        if not rows:
            return reasons
        production_ids = {r.production for r in rows}
        # Three single-table queries rather than one join: once psycopg has
        # prepared the statement, PostgreSQL may plan `= ANY($1)` for any
        # number of ids, and the join's generic plan scans every production
        # (12 ms at 50,000 productions, against 0.1 ms).
        works, operation_ids = [], set()
        for sub_ids in grouped_slice(production_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*work.select(
                    work.id, work.production, work.sequence, work.state,
                    work.completed, work.operation,
                    where=reduce_ids(work.production, sub_ids)))
            for row in cursor:
                works.append(row)
                operation_ids.add(row[-1])
        states = {}
        for sub_ids in grouped_slice(production_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*production.select(
                    production.id, production.state, production.number,
                    where=reduce_ids(production.id, sub_ids)))
            for production_id, production_state, number in cursor:
                states[production_id] = (production_state, number)
        operation_names = {}
        for sub_ids in grouped_slice(operation_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*operation.select(
                    operation.id, operation.name,
                    where=reduce_ids(operation.id, sub_ids)))
            operation_names.update(cursor)
        siblings = defaultdict(list)
        for (work_id, production_id, sequence, state, completed,
                operation_id) in works:
            siblings[production_id].append(
                (sequence or 0, work_id, state, bool(completed),
                    operation_names.get(operation_id)))
        all_ids = [s[1] for group in siblings.values() for s in group]
        reported = cls.reported_quantities(all_ids)

        for w in rows:
            production_state, number = states[w.production]
            if production_state not in {'assigned', 'running'}:
                reasons[w.id].append(gettext(
                        'mes_production.msg_work_components_unavailable',
                        production=number or w.production))
            ordered = sorted(siblings[w.production])
            index = [s[1] for s in ordered].index(w.id)
            if index:
                _, pred_id, pred_state, pred_completed, pred_name = (
                    ordered[index - 1])
                pred_good = reported.get(pred_id, (0.0, 0.0))[0]
                own = sum(reported.get(w.id, (0.0, 0.0)))
                if waits_for_predecessor(
                        pred_good,
                        pred_completed or pred_state in {'finished', 'done'},
                        own):
                    reasons[w.id].append(gettext(
                            'mes_production.msg_work_waits_predecessor',
                            work=pred_name))
        cls._add_qualification_reasons(rows, reasons)
        return reasons

    @classmethod
    def _add_qualification_reasons(cls, rows, reasons):
        "Block the works that no employee is qualified to run today."
        pool = Pool()
        Date = pool.get('ir.date')
        Qualification = pool.get('mes.employee.qualification')
        Skill = pool.get('mes.skill')
        required = Qualification.required_skills({r.operation for r in rows})
        if not required:
            return
        held = Qualification.skills_held(
            set().union(*required.values()), Date.today())
        names = {}
        for operation_id, skills in required.items():
            if not any(skills <= h for h in held.values()):
                names[operation_id] = ', '.join(sorted(
                        s.rec_name for s in Skill.browse(skills)))
        for w in rows:
            if w.operation in names:
                reasons[w.id].append(gettext(
                        'mes_production.msg_work_no_qualified_operator',
                        skills=names[w.operation]))

    @classmethod
    def check_ready(cls, works):
        reasons = cls.get_blocking_reasons(works)
        for work in works:
            if reasons[work.id]:
                raise DispatchError(gettext(
                        'mes_production.msg_work_blocked',
                        work=work.rec_name,
                        reasons='; '.join(reasons[work.id])))

    @classmethod
    def dispatch_list(cls, work_center_id, limit=None):
        """The open works of a work center in dispatch order, each with its
        readiness: a list of dicts for terminals and other clients."""
        pool = Pool()
        Production = pool.get('production')
        Operation = pool.get('production.routing.operation')
        work = cls.__table__()
        production = Production.__table__()
        operation = Operation.__table__()
        cursor = Transaction().connection.cursor()

        # Apply the record rules and access of the user.
        cls.search([('work_center', '=', work_center_id)], limit=1)
        cursor.execute(*work.join(
                production, condition=work.production == production.id
                ).join(operation, condition=work.operation == operation.id
                ).select(
                work.id, work.priority, work.planned_start,
                production.planned_date, work.dispatch_sequence,
                work.state, operation.name, production.number,
                production.quantity, work.production, work.operation,
                where=(work.work_center == work_center_id)
                & work.state.in_(OPEN_STATES)
                & (production.state.in_(
                        ['waiting', 'assigned', 'running']))))
        rows = cursor.fetchall()
        rows.sort(key=lambda r: dispatch_key(
                r[1], _as_datetime(r[2]), _as_date(r[3]), r[4], r[0]))
        if limit:
            rows = rows[:limit]
        reasons = cls.blocking_reasons_of([
                DispatchRow(r[0], r[5], r[9], work_center_id, r[10])
                for r in rows])
        reported = cls.reported_quantities([r[0] for r in rows])
        result = []
        for (id_, priority, planned_start, due, sequence, state, op_name,
                number, quantity, production_id, _) in rows:
            good, scrap = reported.get(id_, (0.0, 0.0))
            result.append({
                    'id': id_,
                    'operation': op_name,
                    'production': number or str(production_id),
                    'priority': priority,
                    'planned_start': _as_datetime(planned_start),
                    'due_date': _as_date(due),
                    'dispatch_sequence': sequence,
                    'state': state,
                    'quantity': quantity,
                    'good': good,
                    'scrap': scrap,
                    'remaining': max((quantity or 0) - good - scrap, 0),
                    'ready': not reasons[id_],
                    'blocking_reasons': reasons[id_],
                    })
        return result

    @property
    def _state(self):
        state = super()._state
        # All cycles done means paused, unless the operation was finished.
        if state == 'finished' and not self.completed:
            return 'waiting'
        return state

    @classmethod
    def set_state(cls, works):
        # Saving the state modifies the works, and Tryton's on_modification
        # would compute their state again from their production and cycles.
        saving = _saving_state.get()
        works = [w for w in works if w.id not in saving]
        if not works:
            return
        token = _saving_state.set(saving | {w.id for w in works})
        try:
            super().set_state(works)
        finally:
            _saving_state.reset(token)

    @classmethod
    @ModelView.button
    def stop(cls, works):
        # Tryton's stop button finishes the operation.
        cls.write(works, {'completed': True})
        super().stop(works)

    @classmethod
    def copy(cls, works, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('completed', False)
        return super().copy(works, default=default)

    @classmethod
    def check_quantities(cls, work, good, scrap, confirm_over_production):
        "Refuse negative quantities and unconfirmed over-production."
        if good < 0 or scrap < 0:
            raise QuantityError(gettext(
                    'mes_production.msg_quantity_negative',
                    work=work.rec_name))
        remaining = work.quantity_remaining or 0
        if good + scrap > remaining + 1e-9 and not confirm_over_production:
            raise QuantityError(gettext(
                    'mes_production.msg_quantity_over_production',
                    work=work.rec_name, quantity=good + scrap,
                    remaining=remaining))


def _as_datetime(value):
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _as_date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


class WorkCycle(metaclass=PoolMeta):
    __name__ = 'production.work.cycle'
    started_at = fields.DateTime("Started At", readonly=True)
    ended_at = fields.DateTime("Ended At", readonly=True)
    good_quantity = fields.Float(
        "Good Quantity", required=True,
        domain=[('good_quantity', '>=', 0)],
        states={'readonly': Eval('state').in_(['done', 'cancelled'])})
    scraps = fields.One2Many(
        'mes.work.cycle.scrap', 'cycle', "Scraps",
        states={'readonly': Eval('state').in_(['done', 'cancelled'])})
    scrap_quantity = fields.Function(
        fields.Float("Scrap Quantity"), 'get_scrap_quantity')
    pause_reason = fields.Many2One(
        'mes.pause.reason', "Pause Reason", ondelete='RESTRICT',
        states={'readonly': Eval('state') != 'running'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.run_by, Index.Equality()),
                (t.started_at, Index.Range())))

    @classmethod
    def default_good_quantity(cls):
        return 0.0

    def get_scrap_quantity(self, name):
        return sum((s.quantity for s in self.scraps), 0.0)

    @classmethod
    def check_runnable(cls, cycles):
        """Refuse to run cycles of blocked works or by employees who are not
        qualified for the operation."""
        pool = Pool()
        Qualification = pool.get('mes.employee.qualification')
        User = pool.get('res.user')
        Work = pool.get('production.work')
        Work.check_ready(list({c.work for c in cycles}))
        # Who runs the cycle: the operator it is for, or else the user's
        # employee, whom Tryton records as running it.
        user_employee = None
        if any(not c.run_by for c in cycles):
            user_employee = User(Transaction().user).employee
        by_employee = defaultdict(list)
        for cycle in cycles:
            if employee := cycle.run_by or user_employee:
                by_employee[employee].append(cycle.work)
        for employee, works in by_employee.items():
            Qualification.check_qualified(works, employee)

    # run and do filter the cycles Tryton's transitions would take, instead
    # of declaring those transitions again: a transition declared twice
    # writes each cycle's new state twice.

    @classmethod
    @ModelView.button
    def run(cls, cycles):
        cycles = [c for c in cycles if c.state == 'draft']
        if not cycles:
            return
        cls.check_runnable(cycles)
        to_stamp = [c for c in cycles if not c.started_at]
        if to_stamp:
            cls.write(to_stamp, {'started_at': dt.datetime.now()})
        super().run(cycles)

    @classmethod
    def start(cls, cycles):
        """Create running cycles for the operators they name, in one insert.

        This is how terminals start work: the terminal's action records who
        started what and when, so the cycles are not also written to Tryton's
        model log as run's button and transition would; the checks are
        run's."""
        pool = Pool()
        Work = pool.get('production.work')
        assert all(c.id is None or c.id < 0 for c in cycles), \
            "start creates cycles"
        assert all(c.run_by for c in cycles), "start needs run_by"
        if not cycles:
            return cycles
        cls.check_runnable(cycles)
        now = dt.datetime.now()
        for cycle in cycles:
            cycle.state = 'running'
            if not cycle.started_at:
                cycle.started_at = now
        cls.save(cycles)
        Work.set_state(Work.browse({c.work.id for c in cycles}))
        return cycles

    @classmethod
    @ModelView.button
    def do(cls, cycles):
        cycles = [c for c in cycles if c.state == 'running']
        if not cycles:
            return
        now = dt.datetime.now()
        for cycle in cycles:
            cycle.ended_at = now
            if cycle.duration is None and cycle.started_at:
                cycle.duration = now - cycle.started_at
        cls.save(cycles)
        super().do(cycles)

    @classmethod
    def copy(cls, cycles, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('started_at')
        default.setdefault('ended_at')
        default.setdefault('scraps')
        return super().copy(cycles, default=default)


class WorkCycleScrap(ModelSQL, ModelView):
    "Parts scrapped during a work cycle, for one reason."
    __name__ = 'mes.work.cycle.scrap'
    __string__ = "Cycle Scrap"
    cycle = fields.Many2One(
        'production.work.cycle', "Cycle", required=True, ondelete='CASCADE')
    reason = fields.Many2One(
        'mes.scrap.reason', "Reason", required=True, ondelete='RESTRICT')
    quantity = fields.Float(
        "Quantity", required=True, domain=[('quantity', '>', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.cycle, Index.Equality())))

