# This file is part of Tryton MES.  See README.md for license terms.
"""Shift patterns and planned production time, without the ORM.

A pattern is a set of shifts, each on some weekdays from a start time for a
duration (a night shift runs past midnight into the next day), with planned
breaks at offsets from its start. The planned production time of a window is
the time inside shifts less their breaks. Everything else (nights off,
weekends, breaks) is a planned stop for OEE.

The state log is never edited to follow shifts: intervals are cut at shift
and break boundaries here, when a figure is computed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import oee


@dataclass(frozen=True)
class Break:
    offset: dt.timedelta  # from the shift's start
    duration: dt.timedelta
    name: str = ''


@dataclass(frozen=True)
class Shift:
    name: str
    weekdays: frozenset  # 0 = Monday
    start: dt.time
    duration: dt.timedelta
    breaks: tuple = field(default=())


@dataclass(frozen=True)
class Occurrence:
    "One shift on one day."
    name: str
    start: dt.datetime
    end: dt.datetime
    breaks: tuple  # ((start, end), ...) as datetimes


def occurrences(shifts, start: dt.datetime, end: dt.datetime):
    """The shift occurrences overlapping [start, end), in time order."""
    result = []
    longest = max((s.duration for s in shifts), default=dt.timedelta())
    day = (start - longest).date()
    while day <= end.date():
        for shift in shifts:
            if day.weekday() not in shift.weekdays:
                continue
            begin = dt.datetime.combine(day, shift.start)
            finish = begin + shift.duration
            if finish <= start or begin >= end:
                continue
            breaks = tuple(
                (begin + b.offset, begin + b.offset + b.duration)
                for b in sorted(shift.breaks, key=lambda b: b.offset))
            result.append(Occurrence(shift.name, begin, finish, breaks))
        day += dt.timedelta(days=1)
    result.sort(key=lambda o: (o.start, o.name))
    return result


def merge(windows):
    "Sorted, non-overlapping union of (start, end) windows."
    merged = []
    for begin, finish in sorted(w for w in windows if w[1] > w[0]):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def subtract(windows, holes):
    "The parts of sorted, merged `windows` outside the `holes`."
    result = []
    holes = merge(holes)
    for begin, finish in windows:
        cursor = begin
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= finish:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < finish:
            result.append((cursor, finish))
    return result


def planned_windows(shifts, start: dt.datetime, end: dt.datetime):
    """The planned production time in [start, end) as sorted (start, end)
    windows: shifts less their breaks."""
    # Each shift less its own breaks: a crew's break does not stop a
    # machine another shift keeps running.
    pieces = []
    for occurrence in occurrences(shifts, start, end):
        pieces.extend(subtract(
                [(occurrence.start, occurrence.end)], occurrence.breaks))
    return [(max(a, start), min(b, end)) for a, b in merge(pieces)
        if b > start and a < end]


def planned_seconds(shifts, start, end):
    return sum(
        (b - a).total_seconds() for a, b in planned_windows(
            shifts, start, end))


def overlay_planned_stops(starts, ends, states, planned, window_start,
        window_end):
    """Cut intervals (seconds) at the planned windows (seconds, sorted and
    merged): the parts inside keep their state, and all the time of
    [window_start, window_end) outside the planned windows becomes planned
    stop. Return starts, ends, states in time order."""
    pieces = []
    for begin, finish, state in zip(starts, ends, states):
        for planned_start, planned_end in planned:
            a = max(begin, planned_start, window_start)
            b = min(finish, planned_end, window_end)
            if a < b:
                pieces.append((a, b, state))
    gaps = subtract([(window_start, window_end)], planned)
    pieces.extend((a, b, oee.PLANNED_STOP) for a, b in gaps)
    pieces.sort(key=lambda piece: piece[0])
    return ([p[0] for p in pieces], [p[1] for p in pieces],
        [p[2] for p in pieces])
