#!/usr/bin/env python3
"""Daily OEE of 50 machines over a year of state intervals on PostgreSQL.

Prints the time to compute daily OEE for all machines (one set-based fetch,
then the numpy OEE module) and its ratio to a naive per-interval Python
loop over the same rows, in the same run. Goal: under 10 s, at least 20x.
"""
import argparse
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import Timer, scratch_database  # noqa: E402

from trytond.modules.mes_equipment import oee  # noqa: E402

DAY = 86400.0


def synthetic_log(machines, days, seed=7):
    """Return machine, start, end, state arrays: contiguous intervals per
    machine, mostly running with stops, setups and breaks, some spanning
    midnight."""
    rng = np.random.default_rng(seed)
    per_machine = int(days * DAY / 600) + 1  # mean interval 10 min
    rows = []
    for machine in range(machines):
        lengths = rng.exponential(600, per_machine) + 1
        ends = np.cumsum(lengths)
        starts = ends - lengths
        keep = starts < days * DAY
        starts, ends = starts[keep], np.minimum(ends[keep], days * DAY)
        states = rng.choice(
            len(oee.STATES), size=len(starts),
            p=[.70, .05, .08, .04, .06, .03, .02, .02])
        rows.append((np.full(len(starts), machine), starts, ends, states))
    return [np.concatenate(column) for column in zip(*rows)]


def load(connection, machines, starts, ends, states):
    connection.execute(
        'CREATE TABLE state_interval (machine integer, start_at double '
        'precision, end_at double precision, state smallint)')
    with connection.cursor().copy(
            'COPY state_interval (machine, start_at, end_at, state) '
            'FROM STDIN') as copy:
        for row in zip(machines.tolist(), starts.tolist(), ends.tolist(),
                states.tolist()):
            copy.write_row(row)
    connection.execute(
        'CREATE INDEX ON state_interval (machine, start_at)')
    connection.commit()


def fetch(connection, days):
    cursor = connection.cursor()
    cursor.execute(
        'SELECT machine, start_at, end_at, state FROM state_interval '
        'WHERE start_at < %s AND end_at > 0', (days * DAY,))
    return cursor.fetchall()


# PostgreSQL sums the time per machine, day and state, splitting at midnight
# only the few intervals that cross it: only the sums leave the database.
DAILY_STATE_TIMES = """
WITH bounded AS (
    SELECT machine, state, start_at, end_at,
        floor(start_at / %(bucket)s)::int AS first_day,
        ceil(end_at / %(bucket)s)::int - 1 AS last_day
    FROM state_interval
    WHERE start_at < %(days)s * %(bucket)s AND end_at > 0)
SELECT machine, first_day, state, SUM(end_at - start_at)
FROM bounded
WHERE first_day = last_day
GROUP BY machine, first_day, state
UNION ALL
SELECT machine, day, state,
    SUM(LEAST(end_at, (day + 1) * %(bucket)s)
        - GREATEST(start_at, day * %(bucket)s))
FROM bounded,
    generate_series(
        GREATEST(first_day, 0), LEAST(last_day, %(days)s - 1)) AS day
WHERE first_day < last_day
GROUP BY machine, day, state
"""


def set_based_daily(connection, n_machines, days, ideal, total, good):
    cursor = connection.cursor()
    cursor.execute(DAILY_STATE_TIMES, {'bucket': DAY, 'days': days})
    sums = np.array(cursor.fetchall(), dtype=float).reshape(-1, 4)
    times = np.zeros((n_machines, days, len(oee.STATES)))
    # A (machine, day, state) may come from both halves of the union.
    np.add.at(times, (sums[:, 0].astype(int), sums[:, 1].astype(int),
        sums[:, 2].astype(int)), sums[:, 3])
    return oee.bucket_oee(times, DAY, total, good, ideal)['oee']


def numpy_daily(rows, n_machines, days, ideal, total, good):
    "The OEE module on rows already in memory (no SQL aggregation)."
    data = np.array(rows, dtype=float)
    times = oee.bucket_state_times(
        data[:, 0], data[:, 1], data[:, 2], data[:, 3], origin=0,
        bucket=DAY, n_machines=n_machines, n_buckets=days)
    return oee.bucket_oee(times, DAY, total, good, ideal)['oee']


def naive_daily(rows, n_machines, days, ideal, total, good):
    "What a first version would write: one Python step per interval."
    run = defaultdict(float)
    planned_stop = defaultdict(float)
    for machine, start, end, state in rows:
        day = int(start // DAY)
        while start < end and day < days:
            piece_end = min(end, (day + 1) * DAY)
            if state == oee.RUNNING:
                run[machine, day] += piece_end - start
            elif state == oee.PLANNED_STOP:
                planned_stop[machine, day] += piece_end - start
            start, day = piece_end, day + 1
    result = np.zeros((n_machines, days))
    for machine in range(n_machines):
        for day in range(days):
            planned = DAY - planned_stop[machine, day]
            r = run[machine, day]
            a = r / planned if planned > 0 else 0.0
            p = ideal[machine] * total[machine, day] / r if r > 0 else 0.0
            q = (good[machine, day] / total[machine, day]
                if total[machine, day] else 0.0)
            result[machine, day] = a * p * q
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--machines', type=int, default=50)
    parser.add_argument('--days', type=int, default=365)
    args = parser.parse_args()

    machines, starts, ends, states = synthetic_log(args.machines, args.days)
    rng = np.random.default_rng(11)
    ideal = rng.uniform(20, 60, args.machines)
    total = rng.integers(500, 2000, (args.machines, args.days))
    good = total - rng.integers(0, 50, (args.machines, args.days))

    with scratch_database('mes_bench_oee') as connection:
        with Timer() as t_load:
            load(connection, machines, starts, ends, states)
        print(f"state intervals: {len(starts):,} rows "
            f"({args.machines} machines x {args.days} days), "
            f"loaded with COPY in {t_load.seconds:.1f} s")

        with Timer() as t_fast:
            fast = set_based_daily(
                connection, args.machines, args.days, ideal, total, good)
        with Timer() as t_naive:
            rows = fetch(connection, args.days)
            naive = naive_daily(
                rows, args.machines, args.days, ideal, total, good)
        with Timer() as t_numpy:
            in_memory = numpy_daily(
                rows, args.machines, args.days, ideal, total, good)

    np.testing.assert_allclose(fast, naive, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(in_memory, naive, rtol=1e-9, atol=1e-12)
    print(f"daily OEE, {args.machines * args.days:,} machine-days, "
        f"SQL sums + numpy: {t_fast.seconds:.2f} s (goal < 10 s)")
    print(f"naive fetch + per-interval loop: {t_naive.seconds:.2f} s; "
        f"ratio {t_naive.seconds / t_fast.seconds:.1f}x (goal >= 20x)")
    print(f"numpy module on the {len(rows):,} rows in memory: "
        f"{t_numpy.seconds:.2f} s")
    print(f"mean daily OEE {fast.mean() * 100:.1f} %")


if __name__ == '__main__':
    main()
