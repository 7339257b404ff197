# This file is part of Tryton MES.  See README.md for license terms.
"""Shift patterns and planned production time on their own."""
import datetime as dt
import unittest

from hypothesis import given, settings
from hypothesis import strategies as st

from trytond.modules.mes_equipment import oee, shifts

H = dt.timedelta(hours=1)
WEEKDAYS = frozenset(range(5))
MONDAY = dt.datetime(2026, 11, 2)


def three_shifts():
    return (
        shifts.Shift("Early", WEEKDAYS, dt.time(6), 8 * H, (
                shifts.Break(H, dt.timedelta(minutes=15)),
                shifts.Break(4 * H, dt.timedelta(minutes=30)),
                shifts.Break(6.5 * H, dt.timedelta(minutes=15)))),
        shifts.Shift("Late", WEEKDAYS, dt.time(14), 8 * H),
        shifts.Shift("Night", WEEKDAYS, dt.time(22), 8 * H),
        )


class PlannedTimeTestCase(unittest.TestCase):

    def test_week(self):
        week = shifts.planned_seconds(
            three_shifts(), MONDAY, MONDAY + dt.timedelta(days=7))
        # 5 days × 24 h less 5 × 1 h of breaks.
        self.assertEqual(week, (5 * 24 - 5) * 3600)

    def test_sunday_night_belongs_to_no_shift(self):
        sunday = MONDAY - dt.timedelta(days=1)
        self.assertEqual(shifts.planned_seconds(
                three_shifts(), sunday, MONDAY + 6 * H), 0)

    def test_night_shift_crosses_midnight(self):
        found = shifts.occurrences(
            three_shifts(), MONDAY + dt.timedelta(days=4, hours=23),
            MONDAY + dt.timedelta(days=5, hours=1))
        self.assertEqual([(o.name, o.start, o.end) for o in found], [
                ("Night", MONDAY + dt.timedelta(days=4, hours=22),
                    MONDAY + dt.timedelta(days=5, hours=6))])

    def test_overlapping_shifts_count_once(self):
        pattern = (
            shifts.Shift("A", WEEKDAYS, dt.time(6), 10 * H),
            shifts.Shift("B", WEEKDAYS, dt.time(14), 10 * H))
        self.assertEqual(shifts.planned_seconds(
                pattern, MONDAY, MONDAY + dt.timedelta(days=1)), 18 * 3600)

    def test_break_of_one_shift_leaves_an_overlapping_shift_planned(self):
        # Found by hypothesis: a break running past its shift's end once
        # took planned time from the shift still running.
        pattern = (
            shifts.Shift("Long", WEEKDAYS, dt.time(4), 12 * H),
            shifts.Shift("Short", WEEKDAYS, dt.time(15), H, (
                    shifts.Break(dt.timedelta(0), 2 * H),)))
        self.assertEqual(shifts.planned_seconds(
                pattern, MONDAY, MONDAY + dt.timedelta(days=1)), 12 * 3600)

    def test_overlay_turns_breaks_into_planned_stops(self):
        starts, ends, states = shifts.overlay_planned_stops(
            [0, 50], [50, 100], [oee.RUNNING, oee.DOWN],
            [(10, 40), (60, 90)], 0, 100)
        self.assertEqual(list(zip(starts, ends, states)), [
                (0, 10, oee.PLANNED_STOP), (10, 40, oee.RUNNING),
                (40, 60, oee.PLANNED_STOP), (60, 90, oee.DOWN),
                (90, 100, oee.PLANNED_STOP)])


@st.composite
def patterns(draw):
    result = []
    for index in range(draw(st.integers(min_value=0, max_value=3))):
        duration = dt.timedelta(minutes=draw(
                st.integers(min_value=1, max_value=24 * 60)))
        breaks = []
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            offset = draw(st.integers(
                    min_value=0, max_value=duration.seconds // 60 or 1))
            length = draw(st.integers(min_value=1, max_value=60))
            breaks.append(shifts.Break(
                    dt.timedelta(minutes=offset),
                    dt.timedelta(minutes=length)))
        result.append(shifts.Shift(
                str(index),
                frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                dt.time(draw(st.integers(0, 23)), draw(st.integers(0, 59))),
                duration, tuple(breaks)))
    return tuple(result)


class PropertiesTestCase(unittest.TestCase):

    @settings(max_examples=200, deadline=None)
    @given(patterns(), st.integers(min_value=0, max_value=14 * 24 * 60),
        st.integers(min_value=0, max_value=7 * 24 * 60),
        st.integers(min_value=0, max_value=7 * 24 * 60))
    def test_split_window_sums_to_whole(self, pattern, offset, first, second):
        start = MONDAY + dt.timedelta(minutes=offset)
        middle = start + dt.timedelta(minutes=first)
        end = middle + dt.timedelta(minutes=second)
        whole = shifts.planned_seconds(pattern, start, end)
        self.assertAlmostEqual(whole,
            shifts.planned_seconds(pattern, start, middle)
            + shifts.planned_seconds(pattern, middle, end))
        self.assertLessEqual(whole, (end - start).total_seconds())
        self.assertGreaterEqual(whole, 0)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.integers(1, 100),
                st.sampled_from(range(len(oee.STATES)))), max_size=20),
        st.lists(st.tuples(st.integers(0, 1000), st.integers(1, 100)),
            max_size=5))
    def test_overlay_conserves_time(self, pieces, windows):
        starts, ends, states, t = [], [], [], 0
        for length, state in pieces:
            starts.append(t)
            ends.append(t + length)
            states.append(state)
            t += length
        planned = shifts.merge((a, a + b) for a, b in windows)
        out_starts, out_ends, out_states = shifts.overlay_planned_stops(
            starts, ends, states, planned, 0, 1000)
        for (a, b), (c, _) in zip(
                zip(out_starts, out_ends), zip(out_starts[1:], out_ends[1:])):
            self.assertLess(a, b)
            self.assertLessEqual(b, c)
        self.assertTrue(all(0 <= a and b <= 1000
                for a, b in zip(out_starts, out_ends)))
        times = oee.state_times(out_starts, out_ends, out_states, 0, 1000)
        inside = sum(max(0, min(b, 1000) - min(a, 1000)) for a, b in planned)
        # Planned stops are the time outside the planned windows plus the
        # planned stops the log had inside them.
        logged = sum(max(0, min(e, b, 1000) - max(s, a))
            for s, e, state in zip(starts, ends, states)
            if state == oee.PLANNED_STOP
            for a, b in planned)
        self.assertAlmostEqual(
            times[oee.PLANNED_STOP], 1000 - inside + logged)
