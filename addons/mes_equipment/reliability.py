# This file is part of Tryton MES.  See README.md for license terms.
"""Maintenance due points and machine reliability, without the ORM.

Due points are numbered: the k-th due point of a plan is k intervals after
its start, so a request can be tied to exactly one due point and never be
generated twice for it. Every due point is computed from the start, not
from the previous one, so month ends do not drift (31 Jan, 28 Feb, 31 Mar).

MTBF and MTTR come from the state log, not from request dates: a failure is
a run of consecutive breakdown intervals (a machine going from one stop
reason to another is still one failure), its repair time is that run's
length, and the time between failures is the running time of the window.
"""
import calendar
import datetime as dt
import math
from typing import NamedTuple

UNITS = ('day', 'week', 'month')


def add_interval(start: dt.date, number: int, unit: str) -> dt.date:
    "`start` plus `number` days, weeks or months (clamped to month end)."
    if unit == 'day':
        return start + dt.timedelta(days=number)
    if unit == 'week':
        return start + dt.timedelta(weeks=number)
    if unit == 'month':
        months = start.month - 1 + number
        year, month = start.year + months // 12, months % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return start.replace(year=year, month=month, day=day)
    raise ValueError(f"unknown interval unit {unit!r}")


def date_due_points(start: dt.date, every: int, unit: str,
        last_index: int, today: dt.date, horizon_days: int):
    """The (index, date) due points after `last_index` to generate now.

    Due point k falls on start + k × every unit. Those falling on or
    before today + horizon are due for a request; of the ones already in
    the past only the latest is kept: a plan activated late, or a cron
    that did not run for a while, gives one overdue request, not a pile.
    """
    if every <= 0:
        raise ValueError("the interval must be positive")
    limit = today + dt.timedelta(days=horizon_days)
    points = []
    index = last_index + 1
    while True:
        due = add_interval(start, index * every, unit)
        if due > limit:
            break
        points.append((index, due))
        index += 1
    overdue = [p for p in points if p[1] < today]
    if len(overdue) > 1:
        points = [overdue[-1]] + [p for p in points if p[1] >= today]
    return points


def meter_due_points(every: float, last_index: int, reading: float,
        lead: float = 0):
    """The (index, meter value) due points after `last_index` to generate
    now, for a meter (cycles, parts, running hours) counted from the plan's
    start. Due point k is at k × every; it is due for a request once the
    reading is within `lead` of it. As with dates, of several due points
    already passed only the latest is kept."""
    if every <= 0:
        raise ValueError("the interval must be positive")
    # The epsilon keeps a reading exactly on a due point from falling a
    # rounding error short of it.
    reached = math.floor((reading + max(lead, 0)) / every + 1e-9)
    points = [(k, k * every) for k in range(last_index + 1, reached + 1)]
    passed = [p for p in points if p[1] <= reading]
    if len(passed) > 1:
        points = [passed[-1]] + [p for p in points if p[1] > reading]
    return points


class Reliability(NamedTuple):
    failures: int
    run_time: float  # seconds
    repair_time: float  # seconds

    @property
    def mtbf(self):
        "Mean time between failures in hours, None without a failure."
        if not self.failures:
            return None
        return self.run_time / self.failures / 3600

    @property
    def mttr(self):
        "Mean time to repair in hours, None without a failure."
        if not self.failures:
            return None
        return self.repair_time / self.failures / 3600


def reliability(intervals, small_stop_threshold=0):
    """Failures, running time and repair time of one machine.

    `intervals` are (start, end, kind) in time order with `kind` one of
    'running', 'failure' or anything else (idle, planned stop, setup...),
    start and end in seconds. Consecutive failure intervals form one
    failure; a failure shorter than `small_stop_threshold` seconds is a
    small stop, not a failure.
    """
    failures = 0
    run_time = repair_time = 0.0
    current = None  # [start, end] of the failure being built
    for start, end, kind in sorted(intervals, key=lambda i: i[0]):
        if kind == 'failure':
            if current and start <= current[1]:
                current[1] = max(current[1], end)
                continue
            if current:
                failures, repair_time = _close(
                    current, failures, repair_time, small_stop_threshold)
            current = [start, end]
            continue
        if current:
            failures, repair_time = _close(
                current, failures, repair_time, small_stop_threshold)
            current = None
        if kind == 'running':
            run_time += end - start
    if current:
        failures, repair_time = _close(
            current, failures, repair_time, small_stop_threshold)
    return Reliability(failures, run_time, repair_time)


def _close(failure, failures, repair_time, small_stop_threshold):
    length = failure[1] - failure[0]
    if length < small_stop_threshold:
        return failures, repair_time
    return failures + 1, repair_time + length
