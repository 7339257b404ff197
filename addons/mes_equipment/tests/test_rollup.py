# This file is part of Tryton MES.  See README.md for license terms.
"""Day sums of the state log on their own: cases by hand and properties."""
import unittest
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from trytond.modules.mes_equipment.rollup import DAY, day_sums

HOUR = 3600.0


def as_dict(sums):
    return {(int(d), int(k), bool(p)): (round(float(s), 6), int(n))
        for d, k, p, s, n in zip(sums.days, sums.kinds, sums.planned,
            sums.seconds, sums.intervals)}


def by_hand(starts, ends, kinds, n_days, windows):
    "Each interval against each day and each window, one at a time."
    result = defaultdict(lambda: [0.0, set()])
    for number, (start, end, kind) in enumerate(zip(starts, ends, kinds)):
        for day in range(n_days):
            a = max(start, day * DAY)
            b = min(end, (day + 1) * DAY)
            if b <= a:
                continue
            inside = b - a
            if windows is not None:
                inside = sum(max(min(b, w_end) - max(a, w_start), 0)
                    for w_start, w_end in windows)
            for planned, seconds in [(True, inside), (False, b - a - inside)]:
                if seconds > 0:
                    entry = result[day, kind, planned]
                    entry[0] += seconds
                    if planned:
                        entry[1].add(number)
    return {key: (round(seconds, 6), len(numbers))
        for key, (seconds, numbers) in result.items()}


class DaySumsTestCase(unittest.TestCase):

    def test_interval_over_midnight_and_a_break(self):
        # Down from 22:00 to 02:00; the shift plans 06:00-23:00 each day.
        windows = [(6 * HOUR, 23 * HOUR), (DAY + 6 * HOUR, DAY + 23 * HOUR)]
        sums = day_sums([22 * HOUR], [DAY + 2 * HOUR], [3], 2, windows)
        self.assertEqual(as_dict(sums), {
                (0, 3, True): (HOUR, 1),
                (0, 3, False): (HOUR, 0),
                (1, 3, False): (2 * HOUR, 0),
                })

    def test_all_planned_without_windows(self):
        sums = day_sums([0, 10 * HOUR], [10 * HOUR, DAY], [0, 1], 1)
        self.assertEqual(as_dict(sums), {
                (0, 0, True): (10 * HOUR, 1),
                (0, 1, True): (14 * HOUR, 1),
                })

    def test_parts_outside_the_days_are_left_out(self):
        sums = day_sums([-HOUR], [2 * DAY], [0], 1)
        self.assertEqual(as_dict(sums), {(0, 0, True): (DAY, 1)})

    def test_a_stop_cut_by_a_break_counts_once(self):
        windows = [(0, 2 * HOUR), (3 * HOUR, DAY)]
        sums = day_sums([HOUR], [4 * HOUR], [2], 1, windows)
        self.assertEqual(as_dict(sums), {
                (0, 2, True): (2 * HOUR, 1),
                (0, 2, False): (HOUR, 0),
                })

    @settings(max_examples=200, deadline=None)
    @given(st.data())
    def test_matches_by_hand(self, data):
        n_days = data.draw(st.integers(1, 4))
        span = int(n_days * DAY)
        # The state log keeps times to the second.
        cuts = sorted(data.draw(st.lists(
                    st.integers(-3600, span + 3600), min_size=2,
                    max_size=30)))
        starts, ends = cuts[:-1], cuts[1:]
        kinds = data.draw(st.lists(
                st.integers(0, 5), min_size=len(starts),
                max_size=len(starts)))
        windows = None
        if data.draw(st.booleans()):
            points = sorted(set(data.draw(st.lists(
                            st.integers(0, span), min_size=2,
                            max_size=12))))
            windows = [(a, b) for a, b in zip(points[::2], points[1::2])]
        self.assertEqual(
            as_dict(day_sums(starts, ends, kinds, n_days, windows)),
            by_hand(starts, ends, kinds, n_days, windows))
