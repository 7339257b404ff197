# This file is part of Tryton MES.  See README.md for license terms.
"""Overall Equipment Effectiveness, without the ORM.

Time model (ISO 22400 / Nakajima), all durations in seconds:

    calendar time
    └─ planned production time = calendar time − planned stops (breaks...)
       ├─ down time           stops, setup, idle, blocked, starved, offline
       │                      and time no interval covers
       └─ run time            running, plus stops shorter than the small-stop
          │                   threshold (they are speed losses, not downtime)
          ├─ speed loss       run time − ideal cycle time × total count
          └─ net run time     ideal cycle time × total count
             ├─ quality loss  ideal cycle time × reject count
             └─ fully productive time

    Availability = run time / planned production time
    Performance  = ideal cycle time × total count / run time
    Quality      = good count / total count
    OEE          = Availability × Performance × Quality
    TEEP         = OEE × planned production time / calendar time

Machine states are small integers (STATES) so that whole years of intervals
are summed with numpy in one pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATES = (
    'running', 'idle', 'down', 'setup', 'planned_stop', 'blocked', 'starved',
    'offline')
STATE_INDEX = {name: index for index, name in enumerate(STATES)}
RUNNING = STATE_INDEX['running']
DOWN = STATE_INDEX['down']
PLANNED_STOP = STATE_INDEX['planned_stop']

LOSS_CLASSES = (
    'breakdown', 'setup_adjustment', 'small_stop', 'reduced_speed',
    'startup_reject', 'production_reject', 'planned')


@dataclass(frozen=True)
class OEE:
    "The OEE figures of one window, with the times and counts behind them."
    calendar_time: float
    planned_time: float
    run_time: float
    total_count: int
    good_count: int
    ideal_cycle_time: float

    @property
    def down_time(self) -> float:
        return self.planned_time - self.run_time

    @property
    def reject_count(self) -> int:
        return self.total_count - self.good_count

    @property
    def availability(self) -> float:
        if self.planned_time <= 0:
            return 0.0
        return self.run_time / self.planned_time

    @property
    def performance(self) -> float:
        if self.run_time <= 0:
            return 0.0
        return self.ideal_cycle_time * self.total_count / self.run_time

    @property
    def quality(self) -> float:
        if self.total_count <= 0:
            return 0.0
        return self.good_count / self.total_count

    @property
    def oee(self) -> float:
        return self.availability * self.performance * self.quality

    @property
    def utilization(self) -> float:
        if self.calendar_time <= 0:
            return 0.0
        return self.planned_time / self.calendar_time

    @property
    def teep(self) -> float:
        return self.oee * self.utilization

    @property
    def speed_loss_time(self) -> float:
        return self.run_time - self.ideal_cycle_time * self.total_count

    @property
    def quality_loss_time(self) -> float:
        return self.ideal_cycle_time * self.reject_count

    @property
    def fully_productive_time(self) -> float:
        return self.ideal_cycle_time * self.good_count

    def __add__(self, other: OEE) -> OEE:
        """Combine two windows (or machines): times and counts add up;
        the ideal cycle time is weighted by the counts so that the
        net run time of the sum is the sum of the net run times."""
        total = self.total_count + other.total_count
        if total:
            ideal = (self.ideal_cycle_time * self.total_count
                + other.ideal_cycle_time * other.total_count) / total
        else:
            ideal = self.ideal_cycle_time or other.ideal_cycle_time
        return OEE(
            calendar_time=self.calendar_time + other.calendar_time,
            planned_time=self.planned_time + other.planned_time,
            run_time=self.run_time + other.run_time,
            total_count=total,
            good_count=self.good_count + other.good_count,
            ideal_cycle_time=ideal)


def overlap(starts, ends, window_start: float, window_end: float):
    "Return the part of each interval [start, end) inside the window."
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    return np.clip(
        np.minimum(ends, window_end) - np.maximum(starts, window_start),
        0, None)


def state_times(
        starts, ends, states, window_start: float, window_end: float,
        small_stop_threshold: float = 0.0) -> np.ndarray:
    """Return the seconds spent in each of STATES inside the window.

    Down intervals shorter than small_stop_threshold are counted as running:
    they are small stops, a speed loss. Intervals must not overlap (the
    state log guarantees it); time no interval covers is left out, and
    `summarize` counts it as down time.
    """
    states = np.asarray(states, dtype=np.int64)
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    durations = overlap(starts, ends, window_start, window_end)
    if small_stop_threshold > 0:
        small = (states == DOWN) & ((ends - starts) < small_stop_threshold)
        states = np.where(small, RUNNING, states)
    return np.bincount(states, weights=durations, minlength=len(STATES))


def summarize(
        times: np.ndarray, calendar_time: float, total_count: int,
        good_count: int, ideal_cycle_time: float) -> OEE:
    "Return the OEE of a window from the seconds spent in each state."
    planned_time = calendar_time - times[PLANNED_STOP]
    return OEE(
        calendar_time=calendar_time,
        planned_time=float(planned_time),
        run_time=float(times[RUNNING]),
        total_count=int(total_count),
        good_count=int(good_count),
        ideal_cycle_time=float(ideal_cycle_time))


def window_oee(
        starts, ends, states, window_start: float, window_end: float,
        total_count: int, good_count: int, ideal_cycle_time: float,
        small_stop_threshold: float = 0.0) -> OEE:
    "Return the OEE of one machine over one window."
    times = state_times(
        starts, ends, states, window_start, window_end,
        small_stop_threshold=small_stop_threshold)
    return summarize(
        times, window_end - window_start, total_count, good_count,
        ideal_cycle_time)


def bucket_state_times(
        machines, starts, ends, states, origin: float, bucket: float,
        n_machines: int, n_buckets: int,
        small_stop_threshold: float = 0.0) -> np.ndarray:
    """Return seconds per (machine, bucket, state) as an array of shape
    (n_machines, n_buckets, len(STATES)).

    Buckets are consecutive windows of `bucket` seconds from `origin` (days,
    shifts of equal length...). An interval that spans a bucket boundary is
    split by computation: each piece counts in its own bucket.
    """
    machines = np.asarray(machines, dtype=np.int64)
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    states = np.asarray(states, dtype=np.int64)
    if small_stop_threshold > 0:
        small = (states == DOWN) & ((ends - starts) < small_stop_threshold)
        states = np.where(small, RUNNING, states)

    first = np.floor((starts - origin) / bucket).astype(np.int64)
    # An interval ending exactly on a boundary does not reach the next one.
    last = np.ceil((ends - origin) / bucket).astype(np.int64) - 1
    last = np.maximum(last, first)
    pieces = last - first + 1
    index = np.repeat(np.arange(len(starts)), pieces)
    offsets = np.arange(len(index)) - np.repeat(
        np.cumsum(pieces) - pieces, pieces)
    buckets = first[index] + offsets
    bucket_starts = origin + buckets * bucket
    durations = np.clip(
        np.minimum(ends[index], bucket_starts + bucket)
        - np.maximum(starts[index], bucket_starts), 0, None)

    inside = (buckets >= 0) & (buckets < n_buckets)
    n_states = len(STATES)
    keys = ((machines[index] * n_buckets + buckets) * n_states
        + states[index])[inside]
    totals = np.bincount(
        keys, weights=durations[inside],
        minlength=n_machines * n_buckets * n_states)
    return totals.reshape(n_machines, n_buckets, n_states)


def bucket_oee(
        times: np.ndarray, bucket: float, total_counts, good_counts,
        ideal_cycle_times) -> dict[str, np.ndarray]:
    """Return availability, performance, quality and OEE arrays of shape
    (n_machines, n_buckets) from `bucket_state_times` and counts of the same
    shape (ideal cycle times per machine, or per machine and bucket)."""
    total = np.asarray(total_counts, dtype=float)
    good = np.asarray(good_counts, dtype=float)
    ideal = np.asarray(ideal_cycle_times, dtype=float)
    if ideal.ndim == 1:
        ideal = ideal[:, None]
    planned = bucket - times[..., PLANNED_STOP]
    run = times[..., RUNNING]
    with np.errstate(divide='ignore', invalid='ignore'):
        availability = np.where(planned > 0, run / planned, 0.0)
        performance = np.where(run > 0, ideal * total / run, 0.0)
        quality = np.where(total > 0, good / total, 0.0)
    return {
        'planned_time': planned,
        'run_time': run,
        'availability': availability,
        'performance': performance,
        'quality': quality,
        'oee': availability * performance * quality,
        }


def loss_times(
        result: OEE, stop_times: dict[str, float],
        small_stop_time: float = 0.0,
        startup_rejects: int = 0) -> dict[str, float]:
    """Split the time lost in a window over the Six Big Losses.

    stop_times gives the down time per loss class of the reasons given to
    the stops (breakdown, setup_adjustment...); down time with no reason
    counts as breakdown. small_stop_time is the part of the run time spent
    in small stops; the rest of the speed loss is reduced speed. Rejects
    made while starting up are startup rejects, the others production
    rejects. The losses and the fully productive time add up to the planned
    production time.
    """
    losses = dict.fromkeys(LOSS_CLASSES, 0.0)
    for loss_class, seconds in stop_times.items():
        # Planned stops are outside the planned production time.
        if loss_class not in losses or loss_class == 'planned':
            raise ValueError(f"not a down time loss class: {loss_class!r}")
        losses[loss_class] += seconds
    explained = sum(losses.values())
    losses['breakdown'] += result.down_time - explained
    losses['small_stop'] = small_stop_time
    losses['reduced_speed'] = result.speed_loss_time - small_stop_time
    startup = min(startup_rejects, result.reject_count)
    losses['startup_reject'] = result.ideal_cycle_time * startup
    losses['production_reject'] = (
        result.quality_loss_time - losses['startup_reject'])
    return losses


def pareto(values: dict[str, float]) -> list[tuple[str, float, float]]:
    """Return (name, value, cumulative share) from the largest value down;
    zero and negative values are left out."""
    items = sorted(
        ((k, v) for k, v in values.items() if v > 0),
        key=lambda item: (-item[1], item[0]))
    total = sum(v for _, v in items)
    result, cumulative = [], 0.0
    for name, value in items:
        cumulative += value
        result.append((name, value, cumulative / total))
    return result
