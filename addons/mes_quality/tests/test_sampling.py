# This file is part of Tryton MES.  See README.md for license terms.
"""Sampling plans on their own."""
import unittest

from hypothesis import given
from hypothesis import strategies as st

from trytond.modules.mes_quality import sampling


class ExpectedSamplesTestCase(unittest.TestCase):

    def test_plans(self):
        expected = sampling.expected_samples
        self.assertEqual(expected('first_piece', 0, 0), 0)
        self.assertEqual(expected('first_piece', 0, 1), 1)
        self.assertEqual(expected('first_piece', 500, 600), 1)
        self.assertEqual(expected('every_units', 0, 1, every_units=10), 1)
        self.assertEqual(expected('every_units', 10, 1, every_units=10), 1)
        self.assertEqual(expected('every_units', 11, 1, every_units=10), 2)
        self.assertEqual(expected('every_minutes', 0, 59,
                every_minutes=30), 2)
        self.assertEqual(expected('percentage', 30, 5, percentage=10), 3)
        self.assertEqual(expected('percentage', 31, 5, percentage=10), 4)
        self.assertEqual(expected(None, 100, 100), 0)

    def test_bad_plans(self):
        for plan, values in [
                ('every_units', {'every_units': 0}),
                ('every_minutes', {}),
                ('percentage', {'percentage': 120}),
                ('sometimes', {})]:
            with self.assertRaises(ValueError):
                sampling.expected_samples(plan, 1, 1, **values)

    def test_partial_subgroups_do_not_count(self):
        self.assertEqual(sampling.samples_due(3, 8, 3), 1)
        self.assertEqual(sampling.samples_due(3, 9, 3), 0)
        self.assertEqual(sampling.samples_due(1, 5, 1), 0)

    @given(st.sampled_from(['every_units', 'percentage', 'first_piece']),
        st.integers(0, 10 ** 5), st.integers(0, 10 ** 5),
        st.integers(1, 1000), st.integers(1, 100))
    def test_more_made_never_fewer_samples(
            self, plan, made, more, every, percentage):
        expected = sampling.expected_samples
        values = {'every_units': every, 'percentage': percentage}
        self.assertLessEqual(
            expected(plan, made, 1, **values),
            expected(plan, made + more, 1, **values))
