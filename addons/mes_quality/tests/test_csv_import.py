# This file is part of Tryton MES.  See README.md for license terms.
"""The lab CSV reader on its own."""
import datetime as dt
import unittest

from trytond.modules.mes_quality import csv_import

HEADER = 'characteristic,value,measured_at\n'


class ReadTestCase(unittest.TestCase):

    def test_byte_order_mark_and_blank_lines(self):
        rows, errors = csv_import.read(
            ('\ufeff' + HEADER + 'D,25.0,2026-11-23T06:00:00\n\n'
                'D,25.1,2026-11-23T06:01:00\n').encode('utf-8'))
        self.assertEqual(errors, [])
        self.assertEqual([(r.line, r.value) for r in rows],
            [(2, 25.0), (4, 25.1)])

    def test_tab_and_decimal_comma(self):
        rows, errors = csv_import.read(
            'characteristic\tvalue\tmeasured_at\tsubgroup\n'
            'D\t25,5\t2026-11-23 06:00\t3\n')
        self.assertEqual(errors, [])
        row, = rows
        self.assertEqual((row.value, row.subgroup, row.measured_at),
            (25.5, 3, dt.datetime(2026, 11, 23, 6, 0)))

    def test_every_bad_line_is_named(self):
        rows, errors = csv_import.read(
            HEADER
            + 'D,nan,2026-11-23T06:00:00\n'
            + 'D,25\n'
            + ',25,yesterday\n'
            + 'D,25,2026-11-23T06:03:00\n')
        self.assertEqual([(line, code) for line, code, _ in errors], [
                (2, 'value'), (3, 'cell_count'),
                (4, 'characteristic_empty'), (4, 'measured_at')])
        self.assertEqual([r.line for r in rows], [5])

    def test_empty_and_headless(self):
        self.assertEqual(csv_import.read(''), ([], [(1, 'empty', {})]))
        self.assertEqual(csv_import.read(HEADER)[1], [(2, 'no_rows', {})])
        _, errors = csv_import.read('value,when\n1,2\n')
        self.assertEqual([code for _, code, _ in errors],
            ['missing_columns', 'unknown_columns'])

    def test_not_utf8(self):
        self.assertEqual(csv_import.read(b'\xff\xfe\x00bad')[1],
            [(1, 'not_utf8', {})])
