# This file is part of Tryton MES.  See README.md for license terms.
"""The machine state log: append-only intervals that never overlap.

A new state closes the open interval at its start and opens the next one,
so intervals follow each other by construction. History is never edited: a
correction is a new interval over the same time that supersedes the old
one, with who made it and why.
"""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction

from .exceptions import StateLogError
from .oee import STATES

STATE_NAMES = {
    'running': "Running",
    'idle': "Idle",
    'down': "Down",
    'setup': "Setup / Changeover",
    'planned_stop': "Planned Stop",
    'blocked': "Blocked",
    'starved': "Starved",
    'offline': "Offline",
    }


class EquipmentState(ModelSQL, ModelView):
    "An interval of one machine in one state."
    __name__ = 'mes.equipment.state'
    __string__ = "Equipment State"
    equipment = fields.Many2One(
        'mes.equipment', "Equipment", required=True, ondelete='CASCADE',
        readonly=True)
    start = fields.DateTime("Start", required=True, readonly=True)
    end = fields.DateTime(
        "End", readonly=True, help="Empty while the machine is in the state.")
    state = fields.Selection(
        [(s, STATE_NAMES[s]) for s in STATES], "State", required=True,
        readonly=True)
    reason = fields.Many2One(
        'mes.downtime.reason', "Reason", ondelete='RESTRICT', readonly=True)
    source = fields.Selection([
            ('operator', "Operator"),
            ('connector', "Connector"),
            ('system', "System"),
            ('correction', "Correction"),
            ], "Source", required=True, readonly=True)
    note = fields.Text("Note", readonly=True)
    superseded_by = fields.Many2One(
        'mes.equipment.state', "Superseded By", ondelete='RESTRICT',
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.equipment, Index.Equality()),
                    (t.start, Index.Range()),
                    where=t.superseded_by == None),  # noqa: E711
                # The one open interval of each machine, among years of log.
                Index(t,
                    (t.equipment, Index.Equality()),
                    where=(t.end == None)  # noqa: E711
                    & (t.superseded_by == None)),  # noqa: E711
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls.__rpc__.update({
                'log_state': RPC(readonly=False),
                'correct_interval': RPC(readonly=False),
                })

    @classmethod
    def log_state(cls, equipment_id, state, at=None, reason_id=None,
            source='operator', note=None):
        "RPC: record a state of a machine; return the new interval's id."
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        Reason = pool.get('mes.downtime.reason')
        return cls.record(
            Equipment(equipment_id), state, at=at,
            reason=Reason(reason_id) if reason_id else None,
            source=source, note=note).id

    @classmethod
    def correct_interval(cls, interval_id, state, reason_id=None, note=None):
        "RPC: correct an interval; return the new interval's id."
        pool = Pool()
        Reason = pool.get('mes.downtime.reason')
        new, _ = cls.correct(
            cls(interval_id), state,
            reason=Reason(reason_id) if reason_id else None, note=note)
        return new.id

    @classmethod
    def check_modification(cls, mode, intervals, values=None,
            external=False):
        super().check_modification(
            mode, intervals, values=values, external=external)
        if mode == 'delete' or (mode == 'write'
                and set(values) - {'end', 'superseded_by'}):
            raise StateLogError(gettext(
                    'mes_equipment.msg_state_log_append_only'))

    @classmethod
    def record(cls, equipment, state, at=None, reason=None,
            source='system', note=None):
        """Put the machine in the state from `at` (now by default): close
        its open interval there and open a new one. Return the new one."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        at = at or dt.datetime.now()
        if state not in STATES:
            raise StateLogError(gettext(
                    'mes_equipment.msg_state_unknown', state=state))
        if reason and (reason.children or not reason.loss_class):
            raise StateLogError(gettext(
                    'mes_equipment.msg_state_reason_leaf',
                    reason=reason.rec_name))
        if reason and reason.loss_class == 'planned':
            # A planned stop is outside the planned production time.
            state = 'planned_stop'
        Equipment.lock([equipment])
        current = cls.current(equipment)
        if current:
            if at < current.start:
                raise StateLogError(gettext(
                        'mes_equipment.msg_state_out_of_order',
                        equipment=equipment.rec_name,
                        at=at, start=current.start))
            if current.state == state and current.reason == reason:
                return current
            cls.write([current], {'end': at})
        interval, = cls.create([{
                    'equipment': equipment.id, 'start': at, 'state': state,
                    'reason': reason.id if reason else None,
                    'source': source, 'note': note,
                    }])
        return interval

    @classmethod
    def record_series(cls, equipment, changes, source='system'):
        """Put the machine in each state of changes, [(at, state, reason)]
        in time order, with one write and one create: what a batch of
        machine data needs. Changes older than the machine's open interval
        are left out (late data never rewrites the log); a change to the
        state the machine is in is no change. Return the open interval."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        Equipment.lock([equipment])
        current = cls.current(equipment)
        last = ((current.state, current.reason.id if current.reason else None,
                current.start) if current else None)
        starts = []
        for at, state, reason in changes:
            if state not in STATES:
                raise StateLogError(gettext(
                        'mes_equipment.msg_state_unknown', state=state))
            if reason and (reason.children or not reason.loss_class):
                raise StateLogError(gettext(
                        'mes_equipment.msg_state_reason_leaf',
                        reason=reason.rec_name))
            if reason and reason.loss_class == 'planned':
                state = 'planned_stop'
            reason_id = reason.id if reason else None
            if last and at < last[2]:
                continue
            if last and (state, reason_id) == last[:2]:
                continue
            starts.append({
                    'equipment': equipment.id, 'start': at, 'state': state,
                    'reason': reason_id, 'source': source,
                    })
            last = (state, reason_id, at)
        if not starts:
            return current
        for interval, following in zip(starts, starts[1:]):
            interval['end'] = following['start']
        if current:
            cls.write([current], {'end': starts[0]['start']})
        return cls.create(starts)[-1]

    @classmethod
    def current(cls, equipment):
        intervals = cls.search([
                ('equipment', '=', equipment.id),
                ('end', '=', None),
                ('superseded_by', '=', None),
                ], order=[('start', 'DESC')], limit=1)
        return intervals[0] if intervals else None

    @classmethod
    def correct(cls, interval, state, reason=None, note=None):
        """Record what the machine really did over an interval: a new
        interval over the same time supersedes it."""
        if interval.superseded_by:
            raise StateLogError(gettext(
                    'mes_equipment.msg_state_already_corrected'))
        if not note:
            raise StateLogError(gettext(
                    'mes_equipment.msg_state_correction_note'))
        user = Transaction().user
        new, = cls.create([{
                    'equipment': interval.equipment.id,
                    'start': interval.start, 'end': interval.end,
                    'state': state, 'reason': reason.id if reason else None,
                    'source': 'correction', 'note': note,
                    }])
        cls.write([interval], {'superseded_by': new.id})
        return new, user

    @classmethod
    def intervals(cls, equipment_ids, start, end):
        """The valid intervals of the machines overlapping [start, end), as
        (equipment, start, end, state, loss class) rows, open ones ending
        at `end`, from one query."""
        pool = Pool()
        Reason = pool.get('mes.downtime.reason')
        if not equipment_ids:
            return []
        table = cls.__table__()
        reason = Reason.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.join(reason, 'LEFT',
                condition=table.reason == reason.id).select(
                table.equipment, table.start, table.end, table.state,
                reason.loss_class,
                where=table.equipment.in_(list(equipment_ids))
                & (table.superseded_by == None)  # noqa: E711
                & (table.start < end)
                & ((table.end == None) | (table.end > start))))  # noqa: E711
        rows = []
        for equipment, begin, finish, state, loss_class in cursor:
            if isinstance(begin, str):
                begin = dt.datetime.fromisoformat(begin)
            if isinstance(finish, str):
                finish = dt.datetime.fromisoformat(finish)
            rows.append((equipment, begin, min(finish or end, end), state,
                    loss_class))
        return rows


class EquipmentCount(ModelSQL, ModelView):
    "Parts a machine made in an interval: total, good and reject."
    __name__ = 'mes.equipment.count'
    __string__ = "Equipment Count"
    equipment = fields.Many2One(
        'mes.equipment', "Equipment", required=True, ondelete='CASCADE')
    at = fields.DateTime("At", required=True)
    total = fields.Integer(
        "Total", required=True, domain=[('total', '>=', 0)])
    reject = fields.Integer(
        "Reject", required=True,
        domain=[('reject', '>=', 0), ('reject', '<=', Eval('total', 0))])
    startup_reject = fields.Integer(
        "Startup Reject", domain=['OR',
            ('startup_reject', '=', None),
            [('startup_reject', '>=', 0),
                ('startup_reject', '<=', Eval('reject', 0))]])
    product = fields.Many2One(
        'product.product', "Product", ondelete='RESTRICT',
        help="What was made: its ideal cycle time may differ.")
    operation = fields.Many2One(
        'production.routing.operation', "Operation", ondelete='RESTRICT')
    work = fields.Many2One(
        'production.work', "Work", ondelete='SET NULL')
    cycles = fields.Integer(
        "Machine Cycles", domain=['OR',
            ('cycles', '=', None), ('cycles', '>=', 0)],
        help="Strokes, shots or cycles of the machine itself, from its "
        "machine counter; counter-based maintenance plans count them.")
    source = fields.Selection([
            ('terminal', "Terminal"),
            ('connector', "Connector"),
            ('manual', "Manual"),
            ], "Source", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.equipment, Index.Equality()), (t.at, Index.Range())))
        cls._order = [('at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_source(cls):
        return 'manual'

    @classmethod
    def default_reject(cls):
        return 0
