# This file is part of Tryton MES.  See README.md for license terms.
"""Planning and dispatch order of works, without the ORM."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence

PRIORITIES = ('0', '1', '2', '3')  # low, normal, high, urgent
_FAR_FUTURE = dt.datetime.max
_FAR_DATE = dt.date.max


@dataclass(frozen=True)
class Step:
    "One operation of a production, in routing order."
    setup: dt.timedelta
    run_per_unit: dt.timedelta


def planned_duration(step: Step, quantity: float) -> dt.timedelta:
    "Setup once, then the run time for each unit."
    return step.setup + step.run_per_unit * max(quantity, 0)


def schedule(
        start: dt.datetime, steps: Sequence[Step], quantity: float
        ) -> list[tuple[dt.datetime, dt.datetime, dt.timedelta]]:
    """Plan the steps one after the other from start: (start, end,
    duration) per step. Later hand-offs may overlap them in practice; the
    plan is the conservative, serial one."""
    plan = []
    for step in steps:
        duration = planned_duration(step, quantity)
        plan.append((start, start + duration, duration))
        start += duration
    return plan


def dispatch_key(
        priority: str | None, planned_start: dt.datetime | None,
        due_date: dt.date | None, sequence: int | None, id_: int):
    """Sort key of the dispatch list: highest priority first, then the
    earliest planned start, the earliest due date, the supervisor's manual
    sequence and finally the record id so that the order is stable."""
    return (
        -int(priority or 1),
        planned_start or _FAR_FUTURE,
        due_date or _FAR_DATE,
        sequence if sequence is not None else 2 ** 31,
        id_)


def waits_for_predecessor(
        predecessor_good: float | None, predecessor_finished: bool,
        own_reported: float) -> bool:
    """Whether a work must wait for the operation before it.

    A work may start on a partial hand-off: as soon as its predecessor has
    reported more good parts than this work has reported itself. None means
    there is no predecessor."""
    if predecessor_good is None or predecessor_finished:
        return False
    return predecessor_good <= own_reported


def over_production(
        remaining: float, good: float, scrap: float) -> bool:
    "Whether reporting good and scrap exceeds what remains to be made."
    return good + scrap > remaining + 1e-9


def order_works(rows: Iterable[dict]) -> list[dict]:
    "Sort dispatch rows (dicts with the dispatch_key fields) in place."
    return sorted(rows, key=lambda r: dispatch_key(
            r.get('priority'), r.get('planned_start'), r.get('due_date'),
            r.get('dispatch_sequence'), r['id']))
