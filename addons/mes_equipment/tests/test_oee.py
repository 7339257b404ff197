# This file is part of Tryton MES.  See README.md for license terms.
"""The OEE module on its own: worked examples and properties."""
import math
import unittest

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trytond.modules.mes_equipment import oee

MIN = 60.0
S = oee.STATE_INDEX


def worked_example_intervals():
    """The classic worked example (Vorne, "OEE calculation", oee.com): a
    480 min shift with two 15 min breaks and a 30 min meal, 47 min down,
    ideal rate 60 units/min, 19,271 units of which 423 rejected."""
    log = [
        (0, 60, 'running'), (60, 75, 'planned_stop'),
        (75, 150, 'running'), (150, 197, 'down'),
        (197, 240, 'running'), (240, 270, 'planned_stop'),
        (270, 390, 'running'), (390, 405, 'planned_stop'),
        (405, 480, 'running'),
        ]
    starts = [a * MIN for a, _, _ in log]
    ends = [b * MIN for _, b, _ in log]
    states = [S[name] for _, _, name in log]
    return starts, ends, states


class WorkedExampleTestCase(unittest.TestCase):

    def test_worked_example(self):
        starts, ends, states = worked_example_intervals()
        result = oee.window_oee(
            starts, ends, states, 0, 480 * MIN, total_count=19271,
            good_count=19271 - 423, ideal_cycle_time=1.0)
        self.assertEqual(result.planned_time, 420 * MIN)
        self.assertEqual(result.run_time, 373 * MIN)
        self.assertEqual(round(result.availability * 100, 2), 88.81)
        self.assertEqual(round(result.performance * 100, 2), 86.11)
        self.assertEqual(round(result.quality * 100, 2), 97.80)
        self.assertEqual(round(result.oee * 100, 2), 74.79)
        # TEEP over the 480 min of the shift.
        self.assertAlmostEqual(result.teep, result.oee * 420 / 480)

    def test_losses_add_up_to_planned_time(self):
        starts, ends, states = worked_example_intervals()
        result = oee.window_oee(
            starts, ends, states, 0, 480 * MIN, 19271, 18848, 1.0)
        losses = oee.loss_times(
            result, {'setup_adjustment': 10 * MIN}, small_stop_time=120,
            startup_rejects=23)
        self.assertEqual(losses['breakdown'], 37 * MIN)
        self.assertEqual(losses['setup_adjustment'], 10 * MIN)
        self.assertEqual(losses['small_stop'], 120)
        self.assertEqual(losses['startup_reject'], 23)
        self.assertEqual(losses['production_reject'], 400)
        self.assertAlmostEqual(
            sum(losses.values()) + result.fully_productive_time,
            result.planned_time)
        names = [name for name, _, _ in oee.pareto(losses)]
        self.assertEqual(names[:2], ['reduced_speed', 'breakdown'])

    def test_small_stops_are_speed_losses(self):
        starts = [0, 100, 130, 1000]
        ends = [100, 130, 1000, 3600]
        states = [S['running'], S['down'], S['running'], S['down']]
        short = oee.state_times(starts, ends, states, 0, 3600,
            small_stop_threshold=60)
        self.assertEqual(short[S['running']], 1000)
        self.assertEqual(short[S['down']], 2600)

    def test_bucket_split_at_boundary(self):
        # A stop from 22:00 to 02:00 counts 2 h on each day.
        day = 86400.0
        times = oee.bucket_state_times(
            [0], [22 * 3600], [26 * 3600], [S['down']], origin=0,
            bucket=day, n_machines=1, n_buckets=2)
        self.assertEqual(times[0, 0, S['down']], 2 * 3600)
        self.assertEqual(times[0, 1, S['down']], 2 * 3600)


@st.composite
def state_logs(draw, horizon=86400.0):
    "Non-overlapping intervals covering [0, horizon) in random states."
    cuts = sorted(set(draw(st.lists(
        st.floats(min_value=1, max_value=horizon - 1,
            allow_nan=False), max_size=40))))
    bounds = [0.0, *cuts, horizon]
    states = draw(st.lists(
        st.integers(min_value=0, max_value=len(oee.STATES) - 1),
        min_size=len(bounds) - 1, max_size=len(bounds) - 1))
    return bounds[:-1], bounds[1:], states


counts = st.tuples(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6)).map(
        lambda c: (max(c), min(c)))


class OEEPropertiesTestCase(unittest.TestCase):

    @settings(max_examples=200, deadline=None)
    @given(state_logs(), counts,
        st.floats(min_value=0.01, max_value=100), st.floats(0, 600))
    def test_ratios_within_bounds(self, log, count, ideal, threshold):
        total, good = count
        result = oee.window_oee(
            *log, 0, 86400, total, good, ideal,
            small_stop_threshold=threshold)
        self.assertGreaterEqual(result.availability, 0)
        self.assertLessEqual(result.availability, 1 + 1e-12)
        self.assertGreaterEqual(result.quality, 0)
        self.assertLessEqual(result.quality, 1)

    @settings(max_examples=200, deadline=None)
    @given(state_logs())
    def test_time_is_conserved(self, log):
        times = oee.state_times(*log, 0, 86400)
        result = oee.summarize(times, 86400, 0, 0, 1.0)
        losses = times.sum() - times[oee.RUNNING] - times[oee.PLANNED_STOP]
        self.assertTrue(math.isclose(
            result.run_time + losses, result.planned_time, abs_tol=1e-6))

    @settings(max_examples=200, deadline=None)
    @given(state_logs(), st.floats(min_value=1, max_value=86399))
    def test_split_window_sums_to_whole(self, log, cut):
        whole = oee.state_times(*log, 0, 86400)
        left = oee.state_times(*log, 0, cut)
        right = oee.state_times(*log, cut, 86400)
        np.testing.assert_allclose(left + right, whole, atol=1e-6)
        combined = (oee.summarize(left, cut, 0, 0, 1.0)
            + oee.summarize(right, 86400 - cut, 0, 0, 1.0))
        self.assertAlmostEqual(
            combined.availability,
            oee.summarize(whole, 86400, 0, 0, 1.0).availability)

    @settings(max_examples=100, deadline=None)
    @given(state_logs(horizon=3 * 86400.0))
    def test_buckets_match_windows(self, log):
        times = oee.bucket_state_times(
            np.zeros(len(log[0])), *log, origin=0, bucket=86400,
            n_machines=1, n_buckets=3)
        for day in range(3):
            window = oee.state_times(
                *log, day * 86400, (day + 1) * 86400)
            np.testing.assert_allclose(times[0, day], window, atol=1e-6)
