# This file is part of Tryton MES.  See README.md for license terms.
"""Maintenance due points and MTBF/MTTR on their own."""
import datetime as dt
import unittest

from hypothesis import given, settings
from hypothesis import strategies as st

from trytond.modules.mes_equipment import reliability

HOUR = 3600.0


class DueDateTestCase(unittest.TestCase):

    def test_month_end_does_not_drift(self):
        start = dt.date(2026, 1, 31)
        self.assertEqual(
            [reliability.add_interval(start, k, 'month') for k in range(4)],
            [dt.date(2026, 1, 31), dt.date(2026, 2, 28),
                dt.date(2026, 3, 31), dt.date(2026, 4, 30)])
        self.assertEqual(
            reliability.add_interval(dt.date(2027, 11, 30), 3, 'month'),
            dt.date(2028, 2, 29))

    def test_weeks_and_days(self):
        start = dt.date(2026, 11, 2)
        self.assertEqual(reliability.add_interval(start, 2, 'week'),
            dt.date(2026, 11, 16))
        self.assertEqual(reliability.add_interval(start, 30, 'day'),
            dt.date(2026, 12, 2))

    def test_horizon(self):
        today = dt.date(2026, 11, 25)
        # Monthly from 1 December, 7 days ahead: nothing yet.
        self.assertEqual(reliability.date_due_points(
                dt.date(2026, 11, 1), 1, 'month', 1, today, 5), [])
        self.assertEqual(reliability.date_due_points(
                dt.date(2026, 11, 1), 1, 'month', 0, today, 7),
            [(1, dt.date(2026, 12, 1))])

    def test_overdue_points_collapse_to_the_latest(self):
        today = dt.date(2026, 11, 25)
        # A year missed: the latest missed one, and the one due today.
        points = reliability.date_due_points(
            dt.date(2025, 11, 25), 1, 'month', 0, today, 0)
        self.assertEqual(points, [(11, dt.date(2026, 10, 25)), (12, today)])
        points = reliability.date_due_points(
            dt.date(2025, 11, 26), 1, 'month', 0, today, 0)
        self.assertEqual(points, [(11, dt.date(2026, 10, 26))])

    def test_bad_interval(self):
        with self.assertRaises(ValueError):
            reliability.date_due_points(
                dt.date(2026, 1, 1), 0, 'day', 0, dt.date(2026, 2, 1), 0)
        with self.assertRaises(ValueError):
            reliability.add_interval(dt.date(2026, 1, 1), 1, 'year')
        with self.assertRaises(ValueError):
            reliability.meter_due_points(0, 0, 10)


class MeterTestCase(unittest.TestCase):

    def test_lead(self):
        self.assertEqual(reliability.meter_due_points(1000, 0, 850, 100), [])
        self.assertEqual(
            reliability.meter_due_points(1000, 0, 900, 100), [(1, 1000)])
        self.assertEqual(reliability.meter_due_points(1000, 1, 950, 100), [])

    def test_passed_points_collapse(self):
        self.assertEqual(
            reliability.meter_due_points(1000, 0, 3500, 600),
            [(3, 3000), (4, 4000)])

    @settings(max_examples=300, deadline=None)
    @given(st.integers(min_value=1, max_value=10 ** 6),
        st.lists(st.integers(min_value=0, max_value=10 ** 5), max_size=20),
        st.integers(min_value=0, max_value=10 ** 5))
    def test_each_due_point_once(self, every, increments, lead):
        """However the meter moves and however often the job runs, a due
        point is generated at most once, in increasing order, and the
        last one reached is always generated."""
        reading, last, generated = 0.0, 0, []
        for increment in increments:
            reading += increment
            points = reliability.meter_due_points(every, last, reading, lead)
            for index, due in points:
                self.assertGreater(index, last)
                self.assertAlmostEqual(due, index * every)
                last = index
                generated.append(index)
            self.assertEqual(last, max(
                    [0] + [k for k in range(1, last + 2)
                        if k * every <= reading + lead]))
        self.assertEqual(len(generated), len(set(generated)))
        self.assertEqual(generated, sorted(generated))


class ReliabilityTestCase(unittest.TestCase):

    def test_hand_computed(self):
        # 8 h: run 2, breakdown 0.5, run 3.5, breakdown 1 + 0.25 (one
        # failure), run 0.75.
        log = [
            (0, 2, 'running'), (2, 2.5, 'failure'), (2.5, 6, 'running'),
            (6, 7, 'failure'), (7, 7.25, 'failure'), (7.25, 8, 'running'),
            ]
        result = reliability.reliability(
            [(a * HOUR, b * HOUR, kind) for a, b, kind in log])
        self.assertEqual(result.failures, 2)
        self.assertAlmostEqual(result.mtbf, 6.25 / 2)
        self.assertAlmostEqual(result.mttr, 1.75 / 2)

    def test_three_failures(self):
        # Failures of 1 h, 2 h and 3 h in 300 h of running.
        log = [(0, 100, 'running'), (100, 101, 'failure'),
            (101, 201, 'running'), (201, 203, 'failure'),
            (203, 303, 'running'), (303, 306, 'failure')]
        result = reliability.reliability(
            [(a * HOUR, b * HOUR, kind) for a, b, kind in log])
        self.assertEqual((result.mtbf, result.mttr), (100, 2))

    def test_small_stops_are_not_failures(self):
        log = [(0, 100, 'running'), (100, 130, 'failure'),
            (130, 3600, 'running')]
        result = reliability.reliability(log, small_stop_threshold=60)
        self.assertEqual(result.failures, 0)
        self.assertIsNone(result.mtbf)
        self.assertIsNone(result.mttr)

    def test_idle_between_stops_separates_failures(self):
        log = [(0, 10, 'failure'), (10, 20, 'idle'), (20, 30, 'failure')]
        self.assertEqual(reliability.reliability(log).failures, 2)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(
                st.floats(min_value=1, max_value=10 * HOUR),
                st.sampled_from(['running', 'failure', 'idle', 'setup'])),
            max_size=40),
        st.floats(min_value=0, max_value=HOUR))
    def test_time_is_conserved(self, pieces, threshold):
        """Run and repair time never exceed the log, and without a
        threshold every failure's time is repair time."""
        log, t = [], 0.0
        for length, kind in pieces:
            log.append((t, t + length, kind))
            t += length
        result = reliability.reliability(log, small_stop_threshold=threshold)
        run = sum(b - a for a, b, k in log if k == 'running')
        down = sum(b - a for a, b, k in log if k == 'failure')
        self.assertAlmostEqual(result.run_time, run, delta=1e-6 * t + 1e-9)
        self.assertLessEqual(result.repair_time, down + 1e-6 * t)
        unfiltered = reliability.reliability(log)
        self.assertAlmostEqual(
            unfiltered.repair_time, down, delta=1e-6 * t + 1e-9)
        self.assertLessEqual(result.failures, unfiltered.failures)
