#!/usr/bin/env python3
"""Daily OEE of 50 machines over a year of state intervals on PostgreSQL.

A Tryton database with mes_equipment gets 50 machines and a year of their
state log (about 2.6 million intervals, mostly running, with stops,
setups and planned stops, some across midnight) and of their counts,
written with COPY. The module sums the log per machine, day and state once
(as it does when a machine's shifts change, and interval by interval as
the log grows). Then, in the same run:

* the module's daily OEE of every machine and day, from those sums
  (`mes.equipment.state.time.daily_figures`);
* what a first version would write: fetch every interval and count, and
  loop over them in Python, one interval at a time.

Both must give the same figures. Printed: both times and their ratio (goal:
under 10 s, at least 20x), the time to sum the log, and what appending an
interval to the log costs now that its day is summed again.
"""
import argparse
import datetime as dt
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PG_URI = os.environ.get(
    'BENCH_PG_URI', 'postgresql://postgres@127.0.0.1:5432/')
# trytond reads its database from the environment when it is imported.
os.environ['TRYTOND_DATABASE__URI'] = PG_URI
os.environ.pop('TRYTOND_DATABASE_URI', None)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(__file__))

from _common import PG_DSN, Timer, create_company  # noqa: E402
import psycopg  # noqa: E402

from tests.server import TrytondServer  # noqa: E402
from trytond.modules.mes_equipment import oee  # noqa: E402

DAY = 86400.0
ORIGIN = dt.datetime(2025, 1, 1)


def synthetic_log(machines, days, seed=7):
    """Return machine index, start, end, state arrays (seconds from
    ORIGIN): contiguous intervals per machine, mostly running with stops,
    setups and breaks, some spanning midnight."""
    rng = np.random.default_rng(seed)
    per_machine = int(days * DAY / 600) + 1  # mean interval 10 min
    rows = []
    for machine in range(machines):
        lengths = np.round(rng.exponential(600, per_machine)) + 1
        ends = np.cumsum(lengths)
        starts = ends - lengths
        keep = starts < days * DAY
        starts, ends = starts[keep], np.minimum(ends[keep], days * DAY)
        states = rng.choice(
            len(oee.STATES), size=len(starts),
            p=[.70, .05, .08, .04, .06, .03, .02, .02])
        rows.append((np.full(len(starts), machine), starts, ends, states))
    return [np.concatenate(column) for column in zip(*rows)]


def prepare(database, n_machines):
    "A company and its machines, through the ORM; return the machine ids."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    pool.init()
    rng = np.random.default_rng(11)
    with Transaction().start(database, 0) as transaction:
        company = create_company(pool)
        Equipment = pool.get('mes.equipment')
        machines = Equipment.create([{
                    'code': f'M{i:02d}', 'name': f"Machine {i}",
                    'kind': 'machine', 'company': company.id,
                    'ideal_cycle_time': round(float(rng.uniform(20, 60)), 3),
                    # The loop below has no small stops.
                    'small_stop_threshold': 0,
                    } for i in range(n_machines)])
        transaction.commit()
        return pool, [m.id for m in machines]


def load(database, ids, machines, starts, ends, states, days):
    "The log and one count row per machine and day, with COPY."
    rng = np.random.default_rng(13)
    total = rng.integers(500, 2000, (len(ids), days))
    reject = rng.integers(0, 50, (len(ids), days))
    now = dt.datetime.now()
    names = oee.STATES
    with psycopg.connect(PG_DSN + f' dbname={database}') as connection:
        with connection.cursor() as cursor:
            with cursor.copy(
                    'COPY mes_equipment_state (equipment, start, "end", '
                    'state, source, create_uid, create_date) '
                    'FROM STDIN') as copy:
                for machine, start, end, state in zip(
                        machines.tolist(), starts.tolist(), ends.tolist(),
                        states.tolist()):
                    copy.write_row((ids[machine],
                            ORIGIN + dt.timedelta(seconds=start),
                            ORIGIN + dt.timedelta(seconds=end),
                            names[state], 'connector', 0, now))
            with cursor.copy(
                    'COPY mes_equipment_count (equipment, at, total, '
                    'reject, source, create_uid, create_date) '
                    'FROM STDIN') as copy:
                for row, equipment in enumerate(ids):
                    for day in range(days):
                        copy.write_row((equipment,
                                ORIGIN + dt.timedelta(days=day, hours=12),
                                int(total[row, day]), int(reject[row, day]),
                                'connector', 0, now))
        connection.commit()
        connection.autocommit = True
        connection.execute('ANALYZE')


def naive_daily(database, ids, days):
    """Fetch every interval and count, and loop: one Python step per
    interval and per day it touches."""
    with psycopg.connect(PG_DSN + f' dbname={database}') as connection:
        cursor = connection.cursor()
        # Seconds as float8, the cheapest type to fetch: the loop is given
        # every chance.
        cursor.execute(
            'SELECT equipment, EXTRACT(EPOCH FROM start - %s)::float8, '
            'EXTRACT(EPOCH FROM "end" - %s)::float8, state '
            'FROM mes_equipment_state WHERE superseded_by IS NULL',
            (ORIGIN, ORIGIN))
        intervals = cursor.fetchall()
        cursor.execute(
            'SELECT equipment, at, total, reject FROM mes_equipment_count')
        counts = cursor.fetchall()
        cursor.execute(
            'SELECT id, ideal_cycle_time FROM mes_equipment '
            'WHERE id = ANY(%s)', (ids,))
        ideal = dict(cursor.fetchall())
    run = defaultdict(float)
    planned_stop = defaultdict(float)
    for machine, start, end, state in intervals:
        day = int(start // DAY)
        while start < end and day < days:
            piece_end = min(end, (day + 1) * DAY)
            if state == 'running':
                run[machine, day] += piece_end - start
            elif state == 'planned_stop':
                planned_stop[machine, day] += piece_end - start
            start, day = piece_end, day + 1
    total = defaultdict(int)
    good = defaultdict(int)
    for machine, at, t, r in counts:
        day = (at - ORIGIN).days
        total[machine, day] += t
        good[machine, day] += t - r
    result = np.zeros((len(ids), days))
    for row, machine in enumerate(ids):
        for day in range(days):
            planned = DAY - planned_stop[machine, day]
            r = run[machine, day]
            a = r / planned if planned > 0 else 0.0
            t = total[machine, day]
            p = ideal[machine] * t / r if r > 0 else 0.0
            q = good[machine, day] / t if t else 0.0
            result[row, day] = a * p * q
    return result, len(intervals)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--machines', type=int, default=50)
    parser.add_argument('--days', type=int, default=365)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()

    from trytond.transaction import Transaction
    server = TrytondServer(modules=['mes_equipment'])
    server.create_database()
    try:
        pool, ids = prepare(server.database, args.machines)
        machines, starts, ends, states = synthetic_log(
            args.machines, args.days)
        with Timer() as loading:
            load(server.database, ids, machines, starts, ends, states,
                args.days)
        print(f"state log: {len(starts):,} intervals and "
            f"{args.machines * args.days:,} counts of {args.machines} "
            f"machines over {args.days} days, written with COPY in "
            f"{loading.seconds:.0f} s", flush=True)

        with Transaction().start(server.database, 0) as transaction:
            Equipment = pool.get('mes.equipment')
            StateTime = pool.get('mes.equipment.state.time')
            with Timer() as summing:
                StateTime.rebuild(Equipment.browse(ids))
            transaction.commit()
        # What autovacuum does after a table gains many rows.
        with psycopg.connect(PG_DSN + f' dbname={server.database}',
                autocommit=True) as connection:
            connection.execute('ANALYZE mes_equipment_state_time')
        print(f"the module summed the log per machine, day and state in "
            f"{summing.seconds:.1f} s (once; then day by day as "
            f"intervals close)", flush=True)

        first = ORIGIN.date()
        last = first + dt.timedelta(days=args.days - 1)
        times = []
        for _ in range(args.repeats):
            with Transaction().start(server.database, 0, readonly=True):
                Equipment = pool.get('mes.equipment')
                StateTime = pool.get('mes.equipment.state.time')
                with Timer() as fast:
                    figures = StateTime.daily_figures(
                        Equipment.browse(ids), first, last)
                times.append(fast.seconds)
        module = sorted(times)[len(times) // 2]
        with Timer() as slow:
            naive, n_intervals = naive_daily(server.database, ids, args.days)
        np.testing.assert_allclose(
            figures['oee'], naive, rtol=1e-9, atol=1e-12)
        print(f"daily OEE, {args.machines * args.days:,} machine-days: "
            f"the module {module:.3f} s (median of {args.repeats}; goal "
            f"< 10 s); fetch + per-interval loop over {n_intervals:,} "
            f"intervals {slow.seconds:.2f} s; ratio "
            f"{slow.seconds / module:.0f}x (goal >= 20x); same figures, "
            f"mean daily OEE {naive.mean() * 100:.1f} %", flush=True)

        # What the sums cost the log: append to a machine's log.
        appends = 200
        # The state log locks its machine: say so when starting.
        with Transaction().start(server.database, 0, _lock_records={
                    'mes_equipment': [ids[0]]}) as transaction:
            Equipment = pool.get('mes.equipment')
            State = pool.get('mes.equipment.state')
            machine = Equipment(ids[0])
            at = ORIGIN + dt.timedelta(days=args.days)
            State.record(machine, 'running', at=at)
            start = time.perf_counter()
            for n in range(appends):
                at += dt.timedelta(minutes=7)
                State.record(machine, 'down' if n % 2 else 'running', at=at)
            per_append = (time.perf_counter() - start) / appends
            transaction.commit()
        print(f"appending to the log, the day's sums included: "
            f"{per_append * 1000:.1f} ms per interval ({appends} appends)",
            flush=True)
    finally:
        from trytond.pool import Pool
        Pool.stop(server.database)
        server.stop()


if __name__ == '__main__':
    main()
