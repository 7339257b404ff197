# This file is part of Tryton MES.  See README.md for license terms.
"""Day sums of a machine's state log, without the ORM.

Every interval is cut at midnight and at the edges of the planned
production time (shifts less breaks); each piece adds its seconds to the
sum of its day, its kind (state, reason, small stop...: any small integer
the caller gives) and whether it lies in planned time. A year of a
machine's intervals is summed in one numpy pass, and the sums of a day
answer its OEE without reading its intervals again.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400.0


@dataclass(frozen=True)
class DaySums:
    """The non-zero sums: day index (0 is the first day), kind, planned
    flag, seconds, and how many intervals have planned time in that day
    and kind (the stops of a stop kind)."""
    days: np.ndarray
    kinds: np.ndarray
    planned: np.ndarray
    seconds: np.ndarray
    intervals: np.ndarray


def _segments(n_days, planned_windows):
    """The edges of the segments of [0, n_days) days in seconds, cut at
    midnights and at the planned windows, and each segment's planned
    flag."""
    edges = np.arange(n_days + 1, dtype=float) * DAY
    windows = None
    if planned_windows is not None:
        windows = np.asarray(planned_windows, dtype=float).reshape(-1, 2)
        windows = np.clip(windows, 0, n_days * DAY)
        edges = np.union1d(edges, windows.ravel())
    if windows is None:
        flags = np.ones(len(edges) - 1, dtype=bool)
    elif not len(windows):
        flags = np.zeros(len(edges) - 1, dtype=bool)
    else:
        middles = (edges[:-1] + edges[1:]) / 2
        # The windows are sorted and do not overlap.
        index = np.searchsorted(windows[:, 0], middles, side='right') - 1
        flags = (index >= 0) & (
            middles < windows[np.maximum(index, 0), 1])
    return edges, flags


def day_sums(starts, ends, kinds, n_days: int,
        planned_windows=None) -> DaySums:
    """Sum the intervals [start, end) (seconds from the first midnight)
    per day, kind and planned flag over [0, n_days) days.

    planned_windows: sorted, non-overlapping (start, end) seconds of the
    planned production time, or None when all time is planned. Parts of
    intervals outside the days are left out."""
    starts = np.clip(np.asarray(starts, dtype=float), 0, n_days * DAY)
    ends = np.clip(np.asarray(ends, dtype=float), 0, n_days * DAY)
    kinds = np.asarray(kinds, dtype=np.int64)
    keep = ends > starts
    starts, ends, kinds = starts[keep], ends[keep], kinds[keep]
    numbers = np.flatnonzero(keep)
    edges, flags = _segments(n_days, planned_windows)
    first = np.searchsorted(edges, starts, side='right') - 1
    last = np.searchsorted(edges, ends, side='left') - 1
    pieces = last - first + 1
    index = np.repeat(np.arange(len(starts)), pieces)
    offsets = np.arange(len(index)) - np.repeat(
        np.cumsum(pieces) - pieces, pieces)
    segment = first[index] + offsets
    seconds = (np.minimum(ends[index], edges[segment + 1])
        - np.maximum(starts[index], edges[segment]))
    day = np.minimum((edges[segment] // DAY).astype(np.int64), n_days - 1)
    planned = flags[segment]
    n_kinds = int(kinds.max()) + 1 if len(kinds) else 1
    keys = (day * n_kinds + kinds[index]) * 2 + planned
    totals = np.bincount(keys, weights=seconds,
        minlength=n_days * n_kinds * 2)
    # An interval counts once per day it has planned time in, however
    # many breaks cut it there.
    counted = np.unique(
        (numbers[index] * n_days + day)[planned & (seconds > 0)],
        return_index=True)[1]
    counted = np.flatnonzero(planned & (seconds > 0))[counted]
    intervals = np.bincount(keys[counted], minlength=n_days * n_kinds * 2)
    found = np.flatnonzero(totals > 0)
    return DaySums(
        days=found // 2 // n_kinds,
        kinds=found // 2 % n_kinds,
        planned=(found % 2).astype(bool),
        seconds=totals[found],
        intervals=intervals[found])
