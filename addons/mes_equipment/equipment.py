# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, tree)
from trytond.modules.mes_production.reason import CodeNameMixin
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction

from . import oee, reliability, shifts
from .exceptions import EquipmentValidationError

KINDS = [
    ('site', "Site"),
    ('line', "Line"),
    ('cell', "Cell"),
    ('machine', "Machine"),
    ]
# A child must sit strictly below its parent in the ISA-95 hierarchy.
KIND_LEVEL = {kind: level for level, (kind, _) in enumerate(KINDS)}


class Equipment(
        CodeNameMixin, DeactivableMixin, tree(separator=' / '), ModelSQL,
        ModelView):
    __name__ = 'mes.equipment'
    __string__ = "Equipment"
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True)
    kind = fields.Selection(KINDS, "Kind", required=True, sort=False)
    parent = fields.Many2One(
        'mes.equipment', "Parent", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))])
    children = fields.One2Many('mes.equipment', 'parent', "Children")
    company = fields.Many2One('company.company', "Company", required=True)
    work_center = fields.Many2One(
        'production.work.center', "Work Center", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))])
    manufacturer = fields.Char("Manufacturer")
    model_number = fields.Char("Model")
    serial_number = fields.Char("Serial Number")
    ideal_cycle_time = fields.Float(
        "Ideal Cycle Time", digits=(16, 3),
        domain=['OR',
            ('ideal_cycle_time', '=', None),
            ('ideal_cycle_time', '>', 0),
            ],
        help="Seconds per unit at the machine's nameplate speed.")
    small_stop_threshold = fields.Integer(
        "Small Stop Threshold", required=True,
        domain=[('small_stop_threshold', '>=', 0)],
        help="Stops shorter than these seconds are small stops: a speed "
        "loss, not downtime.")
    states = fields.One2Many(
        'mes.equipment.state', 'equipment', "State Log", readonly=True,
        filter=[('superseded_by', '=', None)])
    status = fields.Selection([
            ('operational', "Operational"),
            ('maintenance', "Under Maintenance"),
            ('decommissioned', "Decommissioned"),
            ], "Status", required=True, sort=False)
    shift_pattern = fields.Many2One(
        'mes.shift.pattern', "Shift Pattern", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="When the machine is planned to produce; empty takes the "
        "pattern of the line above, and without any pattern every hour is "
        "planned.")
    cycle_times = fields.One2Many(
        'mes.equipment.cycle_time', 'equipment', "Cycle Times",
        help="Ideal cycle times per product and operation; the machine's "
        "own applies to the others.")
    maintenance_plans = fields.One2Many(
        'mes.maintenance.plan', 'equipment', "Maintenance Plans")
    maintenance_requests = fields.One2Many(
        'mes.maintenance.request', 'equipment', "Maintenance Requests",
        readonly=True)
    failures = fields.Function(fields.Integer(
            "Failures",
            help="Breakdowns in the reliability window (the last 30 days "
            "unless the context gives reliability_start/end)."),
        'get_reliability')
    mtbf = fields.Function(fields.Float(
            "MTBF", digits=(16, 2),
            help="Mean running hours between failures in the window."),
        'get_reliability')
    mttr = fields.Function(fields.Float(
            "MTTR", digits=(16, 2),
            help="Mean hours to repair a failure in the window."),
        'get_reliability')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_company_unique', Unique(t, t.company, t.code),
                'mes_equipment.msg_equipment_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))
        cls.__rpc__.update({
                'oee': RPC(),
                'oee_by_shift': RPC(),
                'oee_total': RPC(),
                'oee_of_productions': RPC(),
                'reliability': RPC(),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'machine'

    @classmethod
    def default_status(cls):
        return 'operational'

    @classmethod
    def default_small_stop_threshold(cls):
        return 120

    @classmethod
    def oee(cls, equipment_ids, start, end):
        """RPC: the OEE figures of each machine over [start, end) with the
        times (seconds) and counts behind them and the loss per class."""
        results = cls.compute_oee(cls.browse(equipment_ids), start, end)
        return {
            equipment_id: _figures(result, losses)
            for equipment_id, (result, losses) in results.items()}

    @classmethod
    def oee_by_shift(cls, equipment_ids, start, end):
        """RPC: the OEE figures of each machine per shift occurrence
        overlapping [start, end), as {equipment id: [{'shift', 'start',
        'end', figures...}, ...]}; time outside shifts is left out."""
        result = {}
        for equipment in cls.browse(equipment_ids):
            pattern = equipment.shift_spec()
            rows = []
            for occurrence in shifts.occurrences(pattern or (), start, end):
                window_start = max(occurrence.start, start)
                window_end = min(occurrence.end, end)
                (figures, losses), = cls.compute_oee(
                    [equipment], window_start, window_end).values()
                rows.append({
                        'shift': occurrence.name,
                        'start': window_start,
                        'end': window_end,
                        **_figures(figures, losses),
                        })
            result[equipment.id] = rows
        return result

    @classmethod
    def oee_total(cls, equipment_ids, start, end):
        """RPC: the OEE of the machines at or below the equipments (a line,
        a cell, a site) taken together over [start, end): their times and
        counts added up."""
        machines = cls.search([
                ('parent', 'child_of', list(equipment_ids)),
                ('kind', '=', 'machine'),
                ])
        return _figures(*_add_up(
                cls.compute_oee(machines, start, end).values()))

    @classmethod
    def oee_of_productions(cls, production_ids):
        """RPC: {production id: OEE figures} of each production order: for
        each of its works, the machines of the work center over the time the
        work ran, with the parts counted for that work."""
        pool = Pool()
        Production = pool.get('production')
        result = {}
        now = dt.datetime.now()
        for production in Production.browse(production_ids):
            parts = []
            for work in production.works:
                machines = [e for e in (work.work_center.equipments
                        if work.work_center else [])
                    if e.kind == 'machine' and e.active]
                starts = [c.started_at for c in work.cycles if c.started_at]
                if not machines or not starts:
                    continue
                ends = [c.ended_at or now for c in work.cycles
                    if c.started_at]
                parts.extend(cls.compute_oee(
                        machines, min(starts), max(ends),
                        works=[work.id]).values())
            result[production.id] = _figures(*_add_up(parts))
        return result

    def shift_spec(self):
        "The shifts of the machine's pattern or of the nearest above."
        equipment = self
        while equipment:
            if equipment.shift_pattern:
                return equipment.shift_pattern.spec()
            equipment = equipment.parent
        return None

    @classmethod
    def compute_oee(cls, equipments, start, end, works=None):
        """Return {equipment id: oee.OEE} over [start, end) from the state
        log and the counts, each gathered in one query, and the loss time
        per loss class. With `works`, only the parts counted for those
        works count."""
        pool = Pool()
        State = pool.get('mes.equipment.state')
        Count = pool.get('mes.equipment.count')
        CycleTime = pool.get('mes.equipment.cycle_time')
        if not equipments:
            return {}
        ids = [e.id for e in equipments]
        intervals = {}
        for equipment, begin, finish, state, loss_class in State.intervals(
                ids, start, end):
            intervals.setdefault(equipment, []).append(
                (max(begin, start), finish, state, loss_class))
        count = Count.__table__()
        cursor = Transaction().connection.cursor()
        where = (count.equipment.in_(ids)
            & (count.at >= start) & (count.at < end))
        if works is not None:
            where &= count.work.in_(list(works) or [-1])
        cursor.execute(*count.select(
                count.equipment, count.product, count.operation,
                Sum(count.total), Sum(count.reject),
                Sum(Coalesce(count.startup_reject, 0)),
                where=where,
                group_by=[count.equipment, count.product, count.operation]))
        ideal_times = CycleTime.ideal_times(ids)
        counts, ideal = {}, {}
        for equipment, product, operation, t, r, s in cursor:
            t, r, s = t or 0, r or 0, s or 0
            before = counts.get(equipment, (0, 0, 0))
            counts[equipment] = (before[0] + t, before[1] + r, before[2] + s)
            ideal[equipment] = ideal.get(equipment, 0) + t * ideal_times(
                equipment, product, operation)
        seconds = (end - start).total_seconds()
        results = {}
        for equipment in equipments:
            rows = intervals.get(equipment.id, [])
            threshold = dt.timedelta(
                seconds=equipment.small_stop_threshold or 0)
            starts = [(r[0] - start).total_seconds() for r in rows]
            ends = [(r[1] - start).total_seconds() for r in rows]
            # (state, loss class, small stop): small stops are classified
            # on the whole stop before any cut at a shift or break.
            kinds = [(oee.STATE_INDEX[r[2]], r[3],
                    r[2] == 'down' and r[1] - r[0] < threshold)
                for r in rows]
            pattern = equipment.shift_spec()
            if pattern is not None:
                planned = [
                    ((a - start).total_seconds(), (b - start).total_seconds())
                    for a, b in shifts.planned_windows(pattern, start, end)]
                starts, ends, kinds = shifts.overlay_planned_stops(
                    starts, ends, kinds, planned, 0, seconds)
                kinds = [k if isinstance(k, tuple)
                    else (oee.PLANNED_STOP, 'planned', False) for k in kinds]
            states = [oee.RUNNING if small else state
                for state, _, small in kinds]
            total, reject, startup = counts.get(equipment.id, (0, 0, 0))
            # Parts of several products: the ideal cycle time weighted by
            # the counts gives the net run time of the mix.
            ideal_cycle_time = (ideal[equipment.id] / total if total
                else equipment.ideal_cycle_time or 0)
            result = oee.window_oee(
                starts, ends, states, 0, seconds, total, total - reject,
                ideal_cycle_time)
            stop_times = {}
            small_stop_time = 0.0
            for (state, loss_class, small), s, e in zip(kinds, starts, ends):
                length = max(min(e, seconds) - max(s, 0), 0)
                if state in {oee.RUNNING, oee.PLANNED_STOP}:
                    continue
                if small:
                    small_stop_time += length
                    continue
                stop_class = loss_class or (
                    'setup_adjustment' if state == oee.STATE_INDEX['setup']
                    else 'breakdown')
                stop_times[stop_class] = stop_times.get(stop_class, 0) + length
            results[equipment.id] = (result, oee.loss_times(
                    result, stop_times, small_stop_time=small_stop_time,
                    startup_rejects=startup))
        return results

    @classmethod
    def get_reliability(cls, equipments, names):
        context = Transaction().context
        end = context.get('reliability_end') or dt.datetime.now()
        start = context.get('reliability_start') or (
            end - dt.timedelta(days=30))
        results = cls.compute_reliability(equipments, start, end)
        values = {name: {} for name in names}
        for equipment in equipments:
            result = results[equipment.id]
            for name in names:
                value = getattr(result, name)
                # As many decimals as the field shows.
                values[name][equipment.id] = (
                    round(value, 2) if isinstance(value, float) else value)
        return values

    @classmethod
    def reliability(cls, equipment_ids, start, end):
        """RPC: failures, MTBF and MTTR (hours) of each machine over
        [start, end), with the run and repair hours behind them."""
        return {
            equipment_id: {
                'failures': result.failures,
                'mtbf': result.mtbf,
                'mttr': result.mttr,
                'run_hours': result.run_time / 3600,
                'repair_hours': result.repair_time / 3600,
                }
            for equipment_id, result in cls.compute_reliability(
                cls.browse(equipment_ids), start, end).items()}

    @classmethod
    def compute_reliability(cls, equipments, start, end):
        """Return {equipment id: reliability.Reliability} over [start,
        end) from the state log: a failure is a stop classed breakdown (or
        a down without reason) longer than the small-stop threshold."""
        pool = Pool()
        State = pool.get('mes.equipment.state')
        if not equipments:
            return {}
        rows = {}
        for equipment, begin, finish, state, loss_class in State.intervals(
                [e.id for e in equipments], start, end):
            begin = max(begin, start)
            if state == 'down' and loss_class in {None, 'breakdown'}:
                kind = 'failure'
            else:
                kind = state
            rows.setdefault(equipment, []).append((
                    (begin - start).total_seconds(),
                    (finish - start).total_seconds(), kind))
        return {
            e.id: reliability.reliability(
                rows.get(e.id, []),
                small_stop_threshold=e.small_stop_threshold or 0)
            for e in equipments}

    @classmethod
    def validate_fields(cls, equipments, field_names):
        super().validate_fields(equipments, field_names)
        if field_names & {'kind', 'parent'}:
            for equipment in equipments:
                equipment.check_hierarchy_level()

    def check_hierarchy_level(self):
        if (self.parent
                and KIND_LEVEL[self.parent.kind] >= KIND_LEVEL[self.kind]):
            raise EquipmentValidationError(
                gettext('mes_equipment.msg_equipment_hierarchy_level',
                    equipment=self.rec_name,
                    parent=self.parent.rec_name))


def _figures(result, losses):
    return {
        'availability': result.availability,
        'performance': result.performance,
        'quality': result.quality,
        'oee': result.oee,
        'teep': result.teep,
        'calendar_time': result.calendar_time,
        'planned_time': result.planned_time,
        'run_time': result.run_time,
        'total_count': result.total_count,
        'good_count': result.good_count,
        'losses': losses,
        }


def _add_up(results):
    "One OEE and its losses from several (OEE, losses) of machines."
    total, losses = None, {}
    for result, result_losses in results:
        total = result if total is None else total + result
        for name, value in result_losses.items():
            losses[name] = losses.get(name, 0) + value
    if total is None:
        total = oee.OEE(0, 0, 0, 0, 0, 0)
    return total, losses
