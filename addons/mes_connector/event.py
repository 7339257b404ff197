# This file is part of Tryton MES.  See README.md for license terms.
"""The one entry point through which machine data enters the MES.

`mes.connector.event.ingest(events)` takes a batch of events, stores the
ones it does not hold yet with set-based inserts and derives the MES facts
from them: state intervals, counts, measurements and alarms. The
connector worker calls it; so may any other data source, over RPC.
"""
import datetime as dt
import json
from collections import defaultdict, namedtuple

from sql import Literal
from sql.aggregate import Max
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from trytond.modules.mes_equipment.day import invalidate_days

from . import codec
from .exceptions import IngestError

UID_SIZE = 64
TagInfo = namedtuple('TagInfo', [
        'id', 'role', 'equipment', 'counter_kind', 'characteristic',
        'sample_interval', 'company', 'work_center', 'raise_maintenance'])


class Event(ModelSQL, ModelView):
    "One value a machine sent, as it arrived."
    __name__ = 'mes.connector.event'
    __string__ = "Machine Event"
    uid = fields.Char(
        "UID", required=True, readonly=True, size=UID_SIZE,
        help="Given by the source; an event with a known UID is ignored.")
    tag = fields.Many2One(
        'mes.connector.tag', "Tag", required=True, readonly=True,
        ondelete='CASCADE')
    at = fields.DateTime("At", required=True, readonly=True,
        help="The time at the source (UTC).")
    value = fields.Char("Value", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('uid_unique', Unique(t, t.uid),
                'mes_connector.msg_event_uid_unique'),
            ]
        cls._sql_indexes.add(Index(t,
                (t.tag, Index.Equality()), (t.at, Index.Range())))
        cls._order = [('at', 'DESC'), ('id', 'DESC')]
        cls.__rpc__.update({
                'ingest': RPC(readonly=False),
                })

    @classmethod
    def check_modification(cls, mode, events, values=None, external=False):
        super().check_modification(
            mode, events, values=values, external=external)
        if mode == 'write':
            raise IngestError(gettext('mes_connector.msg_event_immutable'))

    @classmethod
    def ingest(cls, events):
        """Store a batch of events and derive the MES facts from them.

        events: a list of {'uid': str, 'tag': tag id, 'at': ISO 8601 time,
        'value': number, bool or str}. Counter values are the parts made
        since the previous event of the tag (the worker handles rollover
        and resets). A malformed batch is refused as a whole. Returns
        {'accepted': n, 'duplicates': n, 'rejected': [{'uid', 'error'}]}:
        events of unknown or inactive tags are rejected, never stored.
        """
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        ModelAccess.check(cls.__name__, 'create')
        parsed = cls._parse(events)
        tags = cls._tags({e['tag'] for e in parsed})
        rejected, known = [], []
        for event in parsed:
            if event['tag'] not in tags:
                rejected.append({'uid': event['uid'], 'error': gettext(
                            'mes_connector.msg_event_unknown_tag',
                            tag=event['tag'])})
            else:
                known.append(event)
        # The facts derived from accepted events are the system's, not
        # the caller's: an API user may send events, not edit state logs.
        with without_check_access():
            cls._lock_machines(known, tags)
            new = cls._insert_new(known)
            cls._derive(new, tags)
        return {
            'accepted': len(new),
            'duplicates': len(known) - len(new),
            'rejected': rejected,
            }

    @classmethod
    def _tags(cls, tag_ids):
        """The active tags among tag_ids as plain rows, from one query:
        a batch of a thousand events must not instantiate records."""
        pool = Pool()
        Tag = pool.get('mes.connector.tag')
        Connection = pool.get('mes.connector.connection')
        Equipment = pool.get('mes.equipment')
        tag = Tag.__table__()
        connection = Connection.__table__()
        equipment = Equipment.__table__()
        cursor = Transaction().connection.cursor()
        tags = {}
        for sub in grouped_slice(list(tag_ids), backend.MAX_QUERY_PARAMS):
            cursor.execute(*tag.join(connection,
                    condition=tag.connection == connection.id
                    ).join(equipment, 'LEFT',
                    condition=tag.equipment == equipment.id
                    ).select(
                    tag.id, tag.role, tag.equipment, tag.counter_kind,
                    tag.characteristic, tag.sample_interval,
                    connection.company, equipment.work_center,
                    tag.raise_maintenance,
                    where=tag.id.in_(list(sub))
                    & (tag.active == Literal(True))))
            for row in cursor:
                info = TagInfo(*row)
                tags[info.id] = info
        return tags

    @classmethod
    def _parse(cls, events):
        if not isinstance(events, (list, tuple)):
            raise IngestError(gettext('mes_connector.msg_ingest_not_list'))
        parsed = []
        for index, event in enumerate(events, 1):
            try:
                uid = event['uid']
                tag = event['tag']
                at = event['at']
                value = event['value']
            except (KeyError, TypeError):
                raise IngestError(gettext(
                        'mes_connector.msg_ingest_malformed', index=index,
                        error="uid, tag, at and value are required"))
            error = None
            if not isinstance(uid, str) or not 0 < len(uid) <= UID_SIZE:
                error = "uid must be a text of 1 to %s characters" % UID_SIZE
            elif not isinstance(tag, int) or isinstance(tag, bool):
                error = "tag must be a tag id"
            elif not isinstance(value, (int, float, str, bool)):
                error = "value must be a number, a Boolean or a text"
            else:
                try:
                    at = codec.naive_utc(at)
                except (TypeError, ValueError):
                    error = "at must be an ISO 8601 time"
            if error:
                raise IngestError(gettext(
                        'mes_connector.msg_ingest_malformed', index=index,
                        error=error))
            parsed.append({'uid': uid, 'tag': tag, 'at': at, 'value': value})
        return parsed

    @classmethod
    def _insert_new(cls, events):
        "Insert the events whose uid is new; return them."
        # A uid twice in one batch is one event.
        unique, seen = [], set()
        for event in events:
            if event['uid'] not in seen:
                seen.add(event['uid'])
                unique.append(event)
        if not unique:
            return unique
        if backend.name == 'postgresql':
            inserted = cls._insert_new_postgresql(unique)
        else:
            inserted = cls._insert_new_sql(unique)
        return [e for e in unique if e['uid'] in inserted]

    @classmethod
    def _insert_new_postgresql(cls, events):
        """COPY the batch into a staging table and insert from it what is
        not there yet, in one statement: the uid's unique index says what
        is new. Return the uids inserted."""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute(
            'CREATE TEMPORARY TABLE IF NOT EXISTS mes_connector_event_stage '
            '(uid varchar, tag integer, at timestamp, value varchar) '
            'ON COMMIT DELETE ROWS')
        with cursor.copy(
                'COPY mes_connector_event_stage (uid, tag, at, value) '
                'FROM STDIN') as copy:
            for event in events:
                copy.write_row((event['uid'], event['tag'], event['at'],
                        json.dumps(event['value'])))
        cursor.execute(
            'INSERT INTO "%s" (uid, tag, at, value, create_uid, '
            'create_date) SELECT uid, tag, at, value, %%s, '
            'CURRENT_TIMESTAMP FROM mes_connector_event_stage '
            'ON CONFLICT (uid) DO NOTHING RETURNING uid' % cls._table,
            (transaction.user,))
        inserted = {uid for uid, in cursor}
        cursor.execute('TRUNCATE mes_connector_event_stage')
        return inserted

    @classmethod
    def _insert_new_sql(cls, events):
        "Insert the events whose uid is new; return the uids inserted."
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        uids = [e['uid'] for e in events]
        known = set()
        for sub in grouped_slice(uids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.uid, where=table.uid.in_(list(sub))))
            known.update(uid for uid, in cursor)
        new = [e for e in events if e['uid'] not in known]
        user = transaction.user
        # Each row takes 6 parameters.
        for sub in grouped_slice(new, backend.MAX_QUERY_PARAMS // 6):
            cursor.execute(*table.insert(
                    [table.uid, table.tag, table.at, table.value,
                        table.create_uid, table.create_date],
                    [[e['uid'], e['tag'], e['at'],
                            json.dumps(e['value']), user, CurrentTimestamp()]
                        for e in sub]))
        return {e['uid'] for e in new}

    @classmethod
    def _derive(cls, events, tags):
        by_role = defaultdict(list)
        for event in events:
            by_role[tags[event['tag']].role].append(event)
        cls._derive_states(by_role['state'] + by_role['alarm'], tags)
        cls._derive_maintenance(by_role['alarm'], tags)
        cls._derive_counts(by_role['counter'], tags)
        cls._derive_machine_cycles(by_role['machine_counter'], tags)
        cls._derive_measurements(by_role['process_value'], tags)

    @classmethod
    def _lock_machines(cls, events, tags):
        """Lock the machines whose state log the events may change, all at
        once and before any work: a transaction asks for its row locks
        before it starts, so a new machine here restarts it, and the
        restart must not redo a batch's insert."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        machines = {tags[e['tag']].equipment for e in events
            if tags[e['tag']].role in {'state', 'alarm'}}
        if machines:
            Equipment.lock(Equipment.browse(sorted(machines)))

    @classmethod
    def _derive_states(cls, events, tags):
        pool = Pool()
        State = pool.get('mes.equipment.state')
        Equipment = pool.get('mes.equipment')
        Mapping = pool.get('mes.connector.tag.mapping')
        Reason = pool.get('mes.downtime.reason')
        if not events:
            return
        mappings = defaultdict(dict)
        for mapping in Mapping.search(
                [('tag', 'in', list({e['tag'] for e in events}))]):
            mappings[mapping.tag.id][mapping.value] = (
                mapping.state, mapping.reason.id if mapping.reason else None)
        changes = defaultdict(list)
        for event in sorted(events, key=lambda e: (e['at'], e['uid'])):
            tag = tags[event['tag']]
            value = event['value']
            if not isinstance(value, (int, bool)):
                continue
            state, reason = mappings[tag.id].get(int(value), (None, None))
            if tag.role == 'alarm':
                if not value:
                    continue
                state = 'down'
            elif not state:
                continue
            changes[tag.equipment].append(
                (event['at'], state, Reason(reason) if reason else None))
        # One write and one create per machine and batch. Events older than
        # what the machine's log already says (late events) are kept, the
        # log is not rewritten.
        for equipment_id, series in sorted(changes.items()):
            State.record_series(
                Equipment(equipment_id), series, source='connector')

    @classmethod
    def _derive_maintenance(cls, events, tags):
        """Open a corrective machine-down request for each machine whose
        alarm went on, unless one for the same alarm is still open.

        Runs under the machines' row locks taken by _lock_machines, so two
        batches of the same alarm cannot both open a request."""
        pool = Pool()
        Mapping = pool.get('mes.connector.tag.mapping')
        Request = pool.get('mes.maintenance.request')
        Reason = pool.get('mes.downtime.reason')
        events = [e for e in events if tags[e['tag']].raise_maintenance
            and isinstance(e['value'], (int, bool)) and e['value']]
        if not events:
            return
        reasons = {}
        for mapping in Mapping.search(
                [('tag', 'in', list({e['tag'] for e in events}))]):
            if mapping.reason:
                reasons[mapping.tag.id, mapping.value] = mapping.reason.id
        raised = {}
        for event in sorted(events, key=lambda e: (e['at'], e['uid'])):
            tag = tags[event['tag']]
            reason = reasons.get((tag.id, int(event['value'])))
            raised.setdefault((tag.equipment, reason), (tag, event))
        open_ = {(r.equipment.id, r.alarm_reason.id if r.alarm_reason
                else None) for r in Request.search([
                    ('equipment', 'in', list({k[0] for k in raised})),
                    ('kind', '=', 'corrective'),
                    ('source', '=', 'connector'),
                    ('state', 'in', ['draft', 'confirmed', 'in_progress']),
                    ])}
        to_create = []
        for (equipment, reason), (tag, event) in sorted(
                raised.items(), key=lambda i: (i[0][0], i[0][1] or 0)):
            if (equipment, reason) in open_:
                continue
            name = (Reason(reason).rec_name if reason
                else gettext('mes_connector.msg_alarm_unmapped',
                    value=event['value']))
            to_create.append({
                    'equipment': equipment,
                    'company': tag.company,
                    'kind': 'corrective',
                    'source': 'connector',
                    'machine_down': True,
                    'priority': 'urgent',
                    'alarm_reason': reason,
                    'description': gettext(
                        'mes_connector.msg_alarm_request',
                        alarm=name, at=event['at']),
                    })
        Request.create(to_create)

    @classmethod
    def _derive_machine_cycles(cls, events, tags):
        "One count row of machine cycles per machine and batch."
        pool = Pool()
        Count = pool.get('mes.equipment.count')
        table = Count.__table__()
        cycles = defaultdict(lambda: [0, None])
        for event in events:
            value = event['value']
            if (not isinstance(value, int) or isinstance(value, bool)
                    or value <= 0):
                continue
            row = cycles[tags[event['tag']].equipment]
            row[0] += value
            row[1] = max(row[1] or event['at'], event['at'])
        if not cycles:
            return
        user = Transaction().user
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.insert(
                [table.equipment, table.at, table.total, table.reject,
                    table.cycles, table.source, table.create_uid,
                    table.create_date],
                [[equipment, at, 0, 0, number, 'connector', user,
                        CurrentTimestamp()]
                    for equipment, (number, at) in sorted(cycles.items())]))

    @classmethod
    def _derive_counts(cls, events, tags):
        "One count row per machine and batch, inserted set-based."
        pool = Pool()
        Count = pool.get('mes.equipment.count')
        table = Count.__table__()
        totals = defaultdict(lambda: {
                'total': 0, 'good': 0, 'reject': 0, 'at': None,
                'has_total': False})
        for event in events:
            tag = tags[event['tag']]
            value = event['value']
            if (not isinstance(value, int) or isinstance(value, bool)
                    or value < 0):
                continue
            row = totals[tag.equipment]
            row[tag.counter_kind] += value
            row['has_total'] |= tag.counter_kind == 'total'
            row['at'] = max(row['at'] or event['at'], event['at'])
        rows = []
        user = Transaction().user
        running = cls._running_works(
            {tags[e['tag']].work_center for e in events} - {None})
        for equipment, row in sorted(totals.items()):
            total = row['total'] + row['good']
            if not row['has_total']:
                total += row['reject']
            if not total and not row['reject']:
                continue
            center = next(t.work_center for t in tags.values()
                if t.equipment == equipment)
            work, product, operation = running.get(center, (None,) * 3)
            rows.append([equipment, row['at'], total, row['reject'],
                    work, product, operation,
                    'connector', user, CurrentTimestamp()])
        if rows:
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.insert(
                    [table.equipment, table.at, table.total, table.reject,
                        table.work, table.product, table.operation,
                        table.source, table.create_uid, table.create_date],
                    rows))
            invalidate_days((row[0], row[1], row[1]) for row in rows)

    @classmethod
    def _running_works(cls, work_centers):
        """{work center: (work, product, operation)} of the centers where
        exactly one work is running: the machine's parts are that work's, and
        their ideal cycle time is the product's on that operation."""
        pool = Pool()
        Work = pool.get('production.work')
        Production = pool.get('production')
        if not work_centers:
            return {}
        work = Work.__table__()
        production = Production.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*work.join(production,
                condition=work.production == production.id).select(
                work.work_center, work.id, production.product,
                work.operation,
                where=work.work_center.in_(list(work_centers))
                & (work.state == 'running')))
        found = defaultdict(list)
        for center, *row in cursor:
            found[center].append(tuple(row))
        return {c: rows[0] for c, rows in found.items() if len(rows) == 1}

    @classmethod
    def _derive_measurements(cls, events, tags):
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        table = Measurement.__table__()
        cursor = Transaction().connection.cursor()
        last = {}
        to_create = []
        for event in sorted(events, key=lambda e: (e['at'], e['uid'])):
            tag = tags[event['tag']]
            value = event['value']
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            key = tag.characteristic
            if key not in last:
                cursor.execute(*table.select(Max(table.measured_at),
                        where=(table.characteristic == key)
                        & (table.source == Literal('connector'))))
                previous, = cursor.fetchone()
                if isinstance(previous, str):
                    previous = dt.datetime.fromisoformat(previous)
                last[key] = previous
            interval = tag.sample_interval
            if (interval and last[key]
                    and (event['at'] - last[key]).total_seconds()
                    < interval):
                continue
            last[key] = event['at']
            to_create.append({
                    'characteristic': key,
                    'value': float(value),
                    'measured_at': event['at'],
                    'work_center': tag.work_center,
                    'equipment': tag.equipment,
                    'source': 'connector',
                    'company': tag.company,
                    })
        if to_create:
            Measurement.create(to_create)

