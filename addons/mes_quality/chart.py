# This file is part of Tryton MES.  See README.md for license terms.
"""Control charts drawn as SVG on the server, without the ORM.

The picture is the chart a quality engineer expects on paper: the points
joined in time order, the centre line, the control limits dashed, the
specification limits dotted, and the points of a violation in red. Every
element carries a class (point, violation, centre, ucl, lcl, usl, lsl) so that
a test or a stylesheet can find it.
"""
import math
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 92, 34, 30


def _fmt(value, decimals):
    return f'{value:.{decimals}f}'


def control_chart(values, centre=None, lower=None, upper=None,
        lower_spec=None, upper_spec=None, violations=(), title='',
        decimals=3, labels=None):
    """Return the SVG (str) of a control chart of `values` (None for a
    missing point), with the indexes in `violations` marked."""
    levels = [v for v in values if v is not None and math.isfinite(v)]
    lines = [(name, level) for name, level in [
            ('ucl', upper), ('centre', centre), ('lcl', lower),
            ('usl', upper_spec), ('lsl', lower_spec)]
        if level is not None and math.isfinite(level)]
    span = levels + [level for _, level in lines]
    if span:
        low, high = min(span), max(span)
    else:
        low, high = 0.0, 1.0
    if high - low < 1e-12:
        low, high = low - 1, high + 1
    margin = (high - low) * 0.08
    low, high = low - margin, high + margin
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM

    def x(index):
        if len(values) < 2:
            return LEFT + plot_width / 2
        return LEFT + plot_width * index / (len(values) - 1)

    def y(value):
        return TOP + plot_height * (high - value) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect class="background" x="0" y="0" width="{WIDTH}" '
        f'height="{HEIGHT}" fill="#ffffff"/>',
        f'<text class="title" x="{LEFT}" y="20" font-size="14" '
        f'font-weight="bold">{escape(title)}</text>',
        f'<rect class="frame" x="{LEFT}" y="{TOP}" width="{plot_width}" '
        f'height="{plot_height}" fill="none" stroke="#bbbbbb"/>',
        ]
    styles = {
        'ucl': ('#c62828', '6,4', "UCL"),
        'lcl': ('#c62828', '6,4', "LCL"),
        'centre': ('#2e7d32', '', "CL"),
        'usl': ('#1565c0', '2,3', "USL"),
        'lsl': ('#1565c0', '2,3', "LSL"),
        }
    for name, level in lines:
        colour, dash, label = styles[name]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ''
        parts.append(
            f'<line class="{name}" x1="{LEFT}" x2="{LEFT + plot_width}" '
            f'y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="{colour}"'
            f'{dash_attr}/>')
        parts.append(
            f'<text class="{name}-label" x="{LEFT + plot_width + 6}" '
            f'y="{y(level) + 4:.1f}" fill="{colour}">{label} '
            f'{_fmt(level, decimals)}</text>')
    path = []
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            continue
        path.append(f'{x(index):.1f},{y(value):.1f}')
    if len(path) > 1:
        parts.append(
            '<polyline class="series" fill="none" stroke="#424242" '
            f'stroke-width="1.5" points="{" ".join(path)}"/>')
    marked = set(violations)
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            continue
        name = 'violation' if index in marked else 'point'
        colour = '#d50000' if index in marked else '#424242'
        radius = 5 if index in marked else 3
        tip = labels[index] if labels else f'#{index + 1}'
        parts.append(
            f'<circle class="{name}" cx="{x(index):.1f}" '
            f'cy="{y(value):.1f}" r="{radius}" fill="{colour}">'
            f'<title>{escape(str(tip))}: {_fmt(value, decimals)}</title>'
            '</circle>')
    for value in (low + margin, high - margin):
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end" fill="#616161">{_fmt(value, decimals)}'
            '</text>')
    parts.append(
        f'<text class="axis" x="{LEFT}" y="{HEIGHT - 10}" fill="#616161">'
        f'{len(levels)} points</text>')
    if not levels:
        parts.append(
            f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" '
            f'text-anchor="middle" fill="#9e9e9e">'
            f'{escape("No measurement yet")}</text>')
    parts.append('</svg>')
    return '\n'.join(parts)



def histogram(counts, edges, lower_spec=None, upper_spec=None, mean=None,
        title='', decimals=3):
    """Return the SVG (str) of a histogram (counts of the bins between
    edges) with the specification limits and the mean as lines."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    low, high = float(edges[0]), float(edges[-1])
    if high - low < 1e-12:
        high = low + 1
    top = max(max(counts, default=0), 1)

    def x(value):
        return LEFT + plot_width * (value - low) / (high - low)

    def y(count):
        return TOP + plot_height * (1 - count / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect class="background" x="0" y="0" width="{WIDTH}" '
        f'height="{HEIGHT}" fill="#ffffff"/>',
        f'<text class="title" x="{LEFT}" y="20" font-size="14" '
        f'font-weight="bold">{escape(title)}</text>',
        ]
    for count, left, right in zip(counts, edges[:-1], edges[1:]):
        parts.append(
            f'<rect class="bin" x="{x(left):.1f}" y="{y(count):.1f}" '
            f'width="{max(x(right) - x(left) - 1, 1):.1f}" '
            f'height="{TOP + plot_height - y(count):.1f}" fill="#90a4ae">'
            f'<title>{_fmt(left, decimals)} – {_fmt(right, decimals)}: '
            f'{int(count)}</title></rect>')
    for name, value, colour, label in [
            ('lsl', lower_spec, '#1565c0', "LSL"),
            ('usl', upper_spec, '#1565c0', "USL"),
            ('mean', mean, '#2e7d32', "x̄")]:
        if value is None or not math.isfinite(value):
            continue
        parts.append(
            f'<line class="{name}" x1="{x(value):.1f}" x2="{x(value):.1f}" '
            f'y1="{TOP}" y2="{TOP + plot_height}" stroke="{colour}" '
            'stroke-dasharray="4,3"/>')
        parts.append(
            f'<text class="{name}-label" x="{x(value) + 3:.1f}" '
            f'y="{TOP + 12}" fill="{colour}">{label} '
            f'{_fmt(value, decimals)}</text>')
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{LEFT + plot_width}" '
        f'y1="{TOP + plot_height}" y2="{TOP + plot_height}" '
        'stroke="#616161"/>')
    for value in (low, high):
        parts.append(
            f'<text class="axis" x="{x(value):.1f}" y="{HEIGHT - 10}" '
            f'text-anchor="middle" fill="#616161">{_fmt(value, decimals)}'
            '</text>')
    parts.append('</svg>')
    return '\n'.join(parts)
