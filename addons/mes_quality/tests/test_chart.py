# This file is part of Tryton MES.  See README.md for license terms.
"""Control chart pictures on their own."""
import unittest
import xml.etree.ElementTree as ET

from trytond.modules.mes_quality import chart

SVG = '{http://www.w3.org/2000/svg}'


def elements(svg, name, cls):
    root = ET.fromstring(svg)
    return [e for e in root.iter(SVG + name) if e.get('class') == cls]


class ControlChartTestCase(unittest.TestCase):

    def test_limits_in_order_and_violation_marked(self):
        svg = chart.control_chart(
            [25.0, 25.01, 24.99, 25.06], centre=25.0, lower=24.97,
            upper=25.03, lower_spec=24.95, upper_spec=25.05,
            violations=[3], title="Shaft <diameter>")
        self.assertEqual(len(elements(svg, 'circle', 'point')), 3)
        violation, = elements(svg, 'circle', 'violation')
        y = {name: float(elements(svg, 'line', name)[0].get('y1'))
            for name in ['usl', 'ucl', 'centre', 'lcl', 'lsl']}
        # SVG's y grows downwards: the upper limits are drawn higher.
        self.assertLess(y['usl'], y['ucl'])
        self.assertLess(y['ucl'], y['centre'])
        self.assertLess(y['centre'], y['lcl'])
        self.assertLess(y['lcl'], y['lsl'])
        # The out-of-limits point is above the upper control limit.
        self.assertLess(float(violation.get('cy')), y['ucl'])
        title, = elements(svg, 'text', 'title')
        self.assertEqual(title.text, "Shaft <diameter>")

    def test_empty_and_flat(self):
        svg = chart.control_chart([])
        self.assertEqual(len(elements(svg, 'text', 'empty')), 1)
        svg = chart.control_chart([5.0, 5.0, None, 5.0], centre=5.0)
        self.assertEqual(len(elements(svg, 'circle', 'point')), 3)
        line, = elements(svg, 'line', 'centre')
        point = elements(svg, 'circle', 'point')[0]
        self.assertAlmostEqual(float(line.get('y1')), float(point.get('cy')),
            delta=0.1)

    def test_histogram(self):
        svg = chart.histogram([1, 4, 2], [24.9, 24.95, 25.0, 25.05],
            lower_spec=24.95, upper_spec=25.05, mean=25.0)
        bins = elements(svg, 'rect', 'bin')
        self.assertEqual(len(bins), 3)
        heights = [float(b.get('height')) for b in bins]
        self.assertEqual(heights.index(max(heights)), 1)
        usl, = elements(svg, 'line', 'usl')
        lsl, = elements(svg, 'line', 'lsl')
        self.assertLess(float(lsl.get('x1')), float(usl.get('x1')))
