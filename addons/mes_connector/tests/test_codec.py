# This file is part of Tryton MES.  See README.md for license terms.
"""Register decoding, counters and read planning, checked by hand and by
property: what the simulator encodes the worker decodes."""
import datetime as dt
import math
import unittest

from hypothesis import given
from hypothesis import strategies as st

from trytond.modules.mes_connector import codec

ORDERS = st.sampled_from(['big', 'little'])


class DecodeTestCase(unittest.TestCase):

    def test_known_registers(self):
        # 0x41C8 0x0000 is 25.0 as an IEEE 754 float32, high word first.
        self.assertEqual(codec.decode([0x41C8, 0], 'float32'), 25.0)
        self.assertEqual(codec.decode([0, 0x41C8], 'float32',
                word_order='little'), 25.0)
        self.assertEqual(codec.decode([0x0001, 0x86A0], 'uint32'), 100000)
        self.assertEqual(codec.decode([0xFFFF], 'int16'), -1)
        self.assertEqual(codec.decode([0xFFFF], 'uint16'), 65535)
        self.assertEqual(codec.decode([0x4142, 0x4300], 'string',
                length=2), 'ABC')
        self.assertIs(codec.decode([3], 'bool'), True)

    def test_wrong_replies(self):
        with self.assertRaises(codec.DecodeError):
            codec.decode([1], 'uint32')
        with self.assertRaises(codec.DecodeError):
            codec.decode([70000], 'uint16')
        with self.assertRaises(codec.DecodeError):
            codec.decode([1, 2], 'string')
        # NaN is what a PLC shows for a broken sensor: not a measurement.
        with self.assertRaises(codec.DecodeError):
            codec.decode(codec.encode(math.nan, 'float32'), 'float32')

    @given(st.integers(0, 2 ** 32 - 1), ORDERS, ORDERS)
    def test_uint32_round_trip(self, value, byte_order, word_order):
        registers = codec.encode(value, 'uint32', byte_order, word_order)
        self.assertEqual(
            codec.decode(registers, 'uint32', byte_order, word_order), value)

    @given(st.floats(allow_nan=False, allow_infinity=False, width=64),
        ORDERS, ORDERS)
    def test_float64_round_trip(self, value, byte_order, word_order):
        registers = codec.encode(value, 'float64', byte_order, word_order)
        self.assertEqual(
            codec.decode(registers, 'float64', byte_order, word_order), value)

    def test_coerce(self):
        self.assertEqual(codec.coerce(3, 'float64'), 3.0)
        self.assertEqual(codec.coerce(7, 'uint16'), 7)
        for value, data_type in [
                ('7', 'uint16'), (True, 'uint16'), (1.5, 'int32'),
                (math.inf, 'float64'), (1, 'string'), (None, 'bool')]:
            with self.assertRaises(codec.DecodeError):
                codec.coerce(value, data_type)

    def test_scale_and_deadband(self):
        self.assertEqual(codec.scale(250, 0.1, -5), 20.0)
        self.assertEqual(codec.scale(250), 250)
        self.assertTrue(codec.outside_deadband(None, 1.0, 0.5))
        self.assertFalse(codec.outside_deadband(1.0, 1.4, 0.5))
        self.assertTrue(codec.outside_deadband(1.0, 1.6, 0.5))


class TimeTestCase(unittest.TestCase):

    def test_naive_utc(self):
        expected = dt.datetime(2026, 11, 25, 9, 30)
        self.assertEqual(
            codec.naive_utc('2026-11-25T10:30:00+01:00'), expected)
        self.assertEqual(codec.naive_utc('2026-11-25T09:30:00Z'), expected)
        self.assertEqual(codec.naive_utc(expected), expected)
        with self.assertRaises(ValueError):
            codec.naive_utc('yesterday')


class CounterTestCase(unittest.TestCase):

    def test_counter(self):
        self.assertEqual(codec.counter_delta(None, 500, 'uint16'),
            (0, 'first'))
        self.assertEqual(codec.counter_delta(500, 520, 'uint16'),
            (20, 'count'))
        self.assertEqual(codec.counter_delta(65530, 4, 'uint16'),
            (10, 'rollover'))
        self.assertEqual(codec.counter_delta(1200, 3, 'uint16'),
            (3, 'reset'))
        self.assertEqual(codec.counter_delta(2 ** 32 - 1, 0, 'uint32'),
            (1, 'rollover'))

    @given(st.integers(0, 2 ** 16 - 1), st.lists(
            st.integers(0, 5000), min_size=1, max_size=50))
    def test_rollover_conserves_parts(self, start, increments):
        "Reading a wrapping counter often enough loses and adds nothing."
        counted, reading = 0, start
        previous = reading
        for increment in increments:
            reading = (reading + increment) % 2 ** 16
            delta, _ = codec.counter_delta(previous, reading, 'uint16')
            counted += delta
            previous = reading
        self.assertEqual(counted, sum(increments))


class PlanTestCase(unittest.TestCase):

    def test_contiguous_tags_share_a_read(self):
        reads = codec.plan_reads([
                ('state', 'holding_register', 0, 1),
                ('good', 'holding_register', 2, 2),
                ('alarm', 'holding_register', 1, 1),
                ('far', 'holding_register', 100, 1),
                ('coil', 'coil', 5, 1),
                ])
        self.assertEqual(reads, [
                ('coil', 5, 1, [('coil', 0, 1)]),
                ('holding_register', 0, 4, [
                        ('state', 0, 1), ('alarm', 1, 1), ('good', 2, 2)]),
                ('holding_register', 100, 1, [('far', 0, 1)]),
                ])

    def test_reads_hold_at_most_125_registers(self):
        tags = [(i, 'input_register', i * 2, 2) for i in range(200)]
        reads = codec.plan_reads(tags)
        self.assertTrue(all(count <= 125 for _, _, count, _ in reads))
        self.assertEqual(sum(len(items) for *_, items in reads), 200)
        self.assertEqual(len(reads), 4)
