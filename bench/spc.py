#!/usr/bin/env python3
"""All Nelson rules over 1,000,000 points.

Prints the time of the vectorized SPC module and its ratio to a
straightforward pure-Python loop over the same points, in the same run, and
checks that both flag the same points. Goal: under 1 s, at least 20x.
"""
import argparse
import time

import numpy as np

from trytond.modules.mes_quality import spc

NELSON_CODES = [rule.code for rule in spc.NELSON.values()]


def loop_flags(z, code):
    """The rule as one would first write it: walk the points, look back
    over the window. The reference the vectorized rules are checked with."""
    z = [float(v) for v in z]
    flags = [False] * len(z)

    def last(i, k):
        return z[i - k + 1:i + 1] if i >= k - 1 else None

    for i, value in enumerate(z):
        if code in ('nelson_1', 'we_1'):
            flags[i] = abs(value) > 3
        elif code in ('nelson_2', 'we_4'):
            k = 9 if code == 'nelson_2' else 8
            window = last(i, k)
            flags[i] = window is not None and (
                all(v > 0 for v in window) or all(v < 0 for v in window))
        elif code == 'nelson_3':
            window = last(i, 6)
            flags[i] = window is not None and (
                all(b > a for a, b in zip(window, window[1:]))
                or all(b < a for a, b in zip(window, window[1:])))
        elif code == 'nelson_4':
            window = last(i, 14)
            if window is not None:
                diffs = [b - a for a, b in zip(window, window[1:])]
                flags[i] = all(
                    d1 * d2 < 0 for d1, d2 in zip(diffs, diffs[1:]))
        elif code in ('nelson_5', 'we_2', 'nelson_6', 'we_3'):
            m, k, t = (2, 3, 2) if code in ('nelson_5', 'we_2') else (4, 5, 1)
            window = z[max(0, i - k + 1):i + 1]
            flags[i] = (
                (value > t and sum(v > t for v in window) >= m)
                or (value < -t and sum(v < -t for v in window) >= m))
        elif code == 'nelson_7':
            window = last(i, 15)
            flags[i] = window is not None and all(abs(v) < 1 for v in window)
        elif code == 'nelson_8':
            window = last(i, 8)
            flags[i] = window is not None and all(abs(v) > 1 for v in window)
        else:
            raise ValueError(code)
    return np.array(flags, dtype=bool)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--points', type=int, default=1_000_000)
    args = parser.parse_args()

    rng = np.random.default_rng(3)
    values = rng.normal(10.0, 0.2, args.points)
    # A shift and a trend so that every rule has something to find.
    values[400_000:400_050] += 0.5
    values[700_000:700_010] += np.linspace(0, 0.6, 10)
    limits = spc.i_mr(values[:1000])

    start = time.perf_counter()
    z = limits.location.standardize(values)
    fast = {code: spc.rule_flags(z, code) for code in NELSON_CODES}
    fast_seconds = time.perf_counter() - start

    start = time.perf_counter()
    slow = {code: loop_flags(z, code) for code in NELSON_CODES}
    slow_seconds = time.perf_counter() - start

    for code in NELSON_CODES:
        if not np.array_equal(fast[code], slow[code]):
            raise SystemExit(f"{code}: vectorized and loop disagree")
    found = ', '.join(
        f"{code.split('_')[1]}: {int(fast[code].sum())}"
        for code in NELSON_CODES)
    print(f"Nelson rules 1-8 over {args.points:,} points: "
        f"{fast_seconds:.3f} s (goal < 1 s)")
    print(f"pure-Python loop: {slow_seconds:.2f} s; "
        f"ratio {slow_seconds / fast_seconds:.0f}x (goal >= 20x)")
    print(f"points flagged per rule (identical in both): {found}")


if __name__ == '__main__':
    main()
