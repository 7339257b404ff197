# This file is part of Tryton MES.  See README.md for license terms.
"""Statistical process control, without the ORM.

Control charts (X̄-R, X̄-S, I-MR, p, np, c, u), run rules (Western Electric
1-4, Nelson 1-8) and capability indices (Cp, Cpk, Pp, Ppk).

Charts are computed in two phases: `*_limits` functions turn baseline
statistics into `Limits` (phase I); the limits are then frozen and new points
are judged against them with `evaluate_rules` (phase II).

Rules work on standardized points z = (x − centre) / σ, where σ may vary
per point (p and u charts with varying sample sizes). A rule flags the
point that completes its pattern.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Control chart constants for subgroup sizes n = 2..25, computed by
# `chart_constants` (numerical integration of the range distribution of
# normal samples and the exact c4), rounded to 4 decimals. They agree with
# the published tables (Montgomery, Introduction to Statistical Quality
# Control, Appendix VI; ASTM STP 15D) to their 3 or 4 printed decimals:
# tests/test_spc.py checks both.
#   n: (d2, d3, c4)
_D2_D3_C4 = {
    2: (1.1284, 0.8525, 0.7979),
    3: (1.6926, 0.8884, 0.8862),
    4: (2.0588, 0.8798, 0.9213),
    5: (2.3259, 0.8641, 0.9400),
    6: (2.5344, 0.8481, 0.9515),
    7: (2.7044, 0.8332, 0.9594),
    8: (2.8472, 0.8198, 0.9650),
    9: (2.9700, 0.8078, 0.9693),
    10: (3.0775, 0.7971, 0.9727),
    11: (3.1729, 0.7873, 0.9754),
    12: (3.2585, 0.7785, 0.9776),
    13: (3.3360, 0.7704, 0.9794),
    14: (3.4068, 0.7630, 0.9810),
    15: (3.4718, 0.7562, 0.9823),
    16: (3.5320, 0.7499, 0.9835),
    17: (3.5879, 0.7441, 0.9845),
    18: (3.6401, 0.7386, 0.9854),
    19: (3.6890, 0.7335, 0.9862),
    20: (3.7350, 0.7287, 0.9869),
    21: (3.7783, 0.7242, 0.9876),
    22: (3.8194, 0.7199, 0.9882),
    23: (3.8583, 0.7159, 0.9887),
    24: (3.8953, 0.7121, 0.9892),
    25: (3.9306, 0.7085, 0.9896),
    }


@dataclass(frozen=True)
class Constants:
    n: int
    d2: float
    d3: float
    c4: float

    @property
    def A2(self) -> float:
        return 3 / (self.d2 * math.sqrt(self.n))

    @property
    def A3(self) -> float:
        return 3 / (self.c4 * math.sqrt(self.n))

    @property
    def D3(self) -> float:
        return max(0.0, 1 - 3 * self.d3 / self.d2)

    @property
    def D4(self) -> float:
        return 1 + 3 * self.d3 / self.d2

    @property
    def B3(self) -> float:
        return max(0.0, 1 - 3 * math.sqrt(1 - self.c4 ** 2) / self.c4)

    @property
    def B4(self) -> float:
        return 1 + 3 * math.sqrt(1 - self.c4 ** 2) / self.c4


def constants(n: int) -> Constants:
    "Return the control chart constants for subgroups of n (2 to 25)."
    if n not in _D2_D3_C4:
        raise ValueError(f"subgroup size must be 2 to 25, not {n}")
    return Constants(n, *_D2_D3_C4[n])


def c4_exact(n: int) -> float:
    "c4 = E[s]/σ for samples of n normal values."
    return math.sqrt(2 / (n - 1)) * math.exp(
        math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def chart_constants(n: int, points: int = 1201) -> tuple[float, float]:
    """Compute d2 = E[R]/σ and d3 = sd[R]/σ of the range of n standard
    normal values by numerical integration (slow: for tests and tables).

    E[R] = ∫ 1 − Φ(x)ⁿ − (1 − Φ(x))ⁿ dx
    E[R²] = 2 ∫∫_{x<y} 1 − Φ(y)ⁿ − (1 − Φ(x))ⁿ + (Φ(y) − Φ(x))ⁿ dx dy
    """
    x = np.linspace(-9, 9, points)
    step = x[1] - x[0]
    phi = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    d2 = float(np.trapezoid(1 - phi ** n - (1 - phi) ** n, dx=step))
    fx, fy = phi[:, None], phi[None, :]
    integrand = 1 - fy ** n - (1 - fx) ** n + np.clip(fy - fx, 0, None) ** n
    # Integrate over the triangle x < y: the diagonal is its edge and takes
    # half weight, as the trapezoidal rule would give it.
    below = x[:, None] < x[None, :]
    diagonal = x[:, None] == x[None, :]
    integrand = np.where(
        below, integrand, np.where(diagonal, integrand / 2, 0))
    second = 2 * float(np.trapezoid(
        np.trapezoid(integrand, dx=step, axis=1), dx=step))
    return d2, math.sqrt(max(second - d2 ** 2, 0.0))


@dataclass(frozen=True)
class Limits:
    """Centre line and 3σ limits of one chart; arrays where the limits vary
    per point (p and u charts with varying sample sizes)."""
    centre: float
    lower: float | np.ndarray
    upper: float | np.ndarray
    sigma: float | np.ndarray

    def standardize(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        sigma = np.asarray(self.sigma, dtype=float)
        with np.errstate(divide='ignore', invalid='ignore'):
            z = (values - self.centre) / sigma
        # A zero σ (a perfectly constant baseline) makes any change infinite
        # and no change zero: that is what a chart would show.
        return np.where(sigma > 0, z, np.sign(values - self.centre) * np.inf)


@dataclass(frozen=True)
class VariableLimits:
    "Limits of a variables chart pair and the σ estimate behind them."
    location: Limits
    dispersion: Limits
    sigma: float
    sigma_method: str


def _limits(centre, spread, lower_floor=None) -> Limits:
    lower = centre - 3 * spread
    if lower_floor is not None:
        lower = np.maximum(lower, lower_floor)
        if np.ndim(lower) == 0:
            lower = float(lower)
    return Limits(centre, lower, centre + 3 * spread, spread)


def xbar_r_limits(grand_mean: float, r_bar: float, n: int) -> VariableLimits:
    "X̄ and R chart limits from the grand mean and mean range."
    k = constants(n)
    sigma = r_bar / k.d2
    return VariableLimits(
        location=_limits(grand_mean, sigma / math.sqrt(n)),
        dispersion=Limits(r_bar, k.D3 * r_bar, k.D4 * r_bar,
            k.d3 * sigma),
        sigma=sigma, sigma_method='R̄/d2')


def xbar_s_limits(grand_mean: float, s_bar: float, n: int) -> VariableLimits:
    "X̄ and S chart limits from the grand mean and mean standard deviation."
    k = constants(n)
    sigma = s_bar / k.c4
    return VariableLimits(
        location=_limits(grand_mean, sigma / math.sqrt(n)),
        dispersion=Limits(s_bar, k.B3 * s_bar, k.B4 * s_bar,
            sigma * math.sqrt(1 - k.c4 ** 2)),
        sigma=sigma, sigma_method='S̄/c4')


def i_mr_limits(mean: float, mr_bar: float) -> VariableLimits:
    "Individuals and moving range chart limits (moving ranges of 2)."
    k = constants(2)
    sigma = mr_bar / k.d2
    return VariableLimits(
        location=_limits(mean, sigma),
        dispersion=Limits(mr_bar, 0.0, k.D4 * mr_bar, k.d3 * sigma),
        sigma=sigma, sigma_method='MR̄/d2')


def subgroup_statistics(subgroups) -> dict[str, np.ndarray]:
    "Means, ranges and standard deviations of equal-size subgroups."
    data = np.asarray(subgroups, dtype=float)
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError("subgroups must be a 2-D array with n >= 2")
    return {
        'mean': data.mean(axis=1),
        'range': np.ptp(data, axis=1),
        'std': data.std(axis=1, ddof=1),
        }


def xbar_r(subgroups) -> VariableLimits:
    "Phase I X̄-R limits from baseline subgroups."
    stats = subgroup_statistics(subgroups)
    n = np.shape(subgroups)[1]
    return xbar_r_limits(
        float(stats['mean'].mean()), float(stats['range'].mean()), n)


def xbar_s(subgroups) -> VariableLimits:
    "Phase I X̄-S limits from baseline subgroups."
    stats = subgroup_statistics(subgroups)
    n = np.shape(subgroups)[1]
    return xbar_s_limits(
        float(stats['mean'].mean()), float(stats['std'].mean()), n)


def moving_ranges(values) -> np.ndarray:
    return np.abs(np.diff(np.asarray(values, dtype=float)))


def i_mr(values) -> VariableLimits:
    "Phase I I-MR limits from baseline individual values."
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        raise ValueError("an I-MR chart needs at least 2 values")
    return i_mr_limits(
        float(values.mean()), float(moving_ranges(values).mean()))


def p_limits(p_bar: float, sizes) -> Limits:
    "p chart (fraction defective) limits for each sample size."
    sizes = np.asarray(sizes, dtype=float)
    return _limits(p_bar, np.sqrt(p_bar * (1 - p_bar) / sizes), 0.0)


def p_chart(defectives, sizes) -> Limits:
    defectives = np.asarray(defectives, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    return p_limits(float(defectives.sum() / sizes.sum()), sizes)


def np_limits(p_bar: float, n: int) -> Limits:
    "np chart (number defective) limits for a constant sample size."
    return _limits(n * p_bar, math.sqrt(n * p_bar * (1 - p_bar)), 0.0)


def np_chart(defectives, n: int) -> Limits:
    defectives = np.asarray(defectives, dtype=float)
    return np_limits(float(defectives.mean() / n), n)


def c_limits(c_bar: float) -> Limits:
    "c chart (defects per inspection unit) limits."
    return _limits(c_bar, math.sqrt(c_bar), 0.0)


def c_chart(defects) -> Limits:
    return c_limits(float(np.mean(defects)))


def u_limits(u_bar: float, units) -> Limits:
    "u chart (defects per unit) limits for each number of units."
    units = np.asarray(units, dtype=float)
    return _limits(u_bar, np.sqrt(u_bar / units), 0.0)


def u_chart(defects, units) -> Limits:
    defects = np.asarray(defects, dtype=float)
    units = np.asarray(units, dtype=float)
    return u_limits(float(defects.sum() / units.sum()), units)


# Run rules ------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    window: int


NELSON = {
    1: Rule('nelson_1', "One point beyond 3σ", 1),
    2: Rule('nelson_2', "Nine points in a row on one side of the centre", 9),
    3: Rule('nelson_3', "Six points in a row steadily rising or falling", 6),
    4: Rule('nelson_4', "Fourteen points in a row alternating up and down",
        14),
    5: Rule('nelson_5', "Two of three points beyond 2σ on one side", 3),
    6: Rule('nelson_6', "Four of five points beyond 1σ on one side", 5),
    7: Rule('nelson_7', "Fifteen points in a row within 1σ", 15),
    8: Rule('nelson_8', "Eight points in a row beyond 1σ, either side", 8),
    }
WESTERN_ELECTRIC = {
    1: Rule('we_1', "One point beyond 3σ", 1),
    2: Rule('we_2', "Two of three points beyond 2σ on one side", 3),
    3: Rule('we_3', "Four of five points beyond 1σ on one side", 5),
    4: Rule('we_4', "Eight points in a row on one side of the centre", 8),
    }
RULES = {r.code: r for r in [*NELSON.values(), *WESTERN_ELECTRIC.values()]}


def _window_count(flags: np.ndarray, window: int) -> np.ndarray:
    "How many of the last `window` points (this one included) are flagged."
    counts = np.cumsum(flags, dtype=np.int64)
    shifted = np.concatenate(
        [np.zeros(window, dtype=np.int64), counts[:-window]]) \
        if window <= len(flags) else np.zeros(len(flags), dtype=np.int64)
    return counts - shifted[:len(flags)]


def _in_a_row(flags: np.ndarray, length: int) -> np.ndarray:
    return _window_count(flags, length) >= length


def _m_of_k_same_side(z, m, k, threshold):
    above, below = z > threshold, z < -threshold
    return (((_window_count(above, k) >= m) & above)
        | ((_window_count(below, k) >= m) & below))


def rule_flags(z, code: str) -> np.ndarray:
    """Return a boolean array: True where the point completes the rule's
    pattern. z are the standardized points."""
    z = np.asarray(z, dtype=float)
    if code in ('nelson_1', 'we_1'):
        return np.abs(z) > 3
    if code == 'nelson_2':
        return _in_a_row(z > 0, 9) | _in_a_row(z < 0, 9)
    if code == 'we_4':
        return _in_a_row(z > 0, 8) | _in_a_row(z < 0, 8)
    if code in ('nelson_3', 'nelson_4'):
        diff = np.diff(z)
        if code == 'nelson_3':
            # Six points rising = five rises in a row; a tie breaks a trend.
            flags = _in_a_row(diff > 0, 5) | _in_a_row(diff < 0, 5)
        else:
            alternating = (diff[1:] * diff[:-1]) < 0
            flags = np.concatenate(
                [[False], _in_a_row(alternating, 12)])
        return np.concatenate([[False], flags])[:len(z)]
    if code in ('nelson_5', 'we_2'):
        return _m_of_k_same_side(z, 2, 3, 2)
    if code in ('nelson_6', 'we_3'):
        return _m_of_k_same_side(z, 4, 5, 1)
    if code == 'nelson_7':
        return _in_a_row(np.abs(z) < 1, 15)
    if code == 'nelson_8':
        return _in_a_row(np.abs(z) > 1, 8)
    raise ValueError(f"unknown rule: {code!r}")


@dataclass(frozen=True)
class Violation:
    rule: str
    index: int
    points: tuple[int, ...]


def evaluate_rules(z, codes) -> list[Violation]:
    """Return every violation of the rules, in point order, with the
    indices of the points of its window."""
    violations = []
    for code in codes:
        window = RULES[code].window
        for index in np.flatnonzero(rule_flags(z, code)):
            first = max(0, int(index) - window + 1)
            violations.append(Violation(
                code, int(index), tuple(range(first, int(index) + 1))))
    violations.sort(key=lambda v: (v.index, v.rule))
    return violations


# Capability -----------------------------------------------------------------

@dataclass(frozen=True)
class Capability:
    mean: float
    sigma_within: float
    sigma_within_method: str
    sigma_overall: float
    lower: float | None
    upper: float | None

    def _index(self, sigma, one_sided):
        if sigma <= 0:
            return None
        sides = []
        if self.upper is not None:
            sides.append((self.upper - self.mean) / (3 * sigma))
        if self.lower is not None:
            sides.append((self.mean - self.lower) / (3 * sigma))
        if not sides:
            return None
        if one_sided:
            return min(sides)
        if self.lower is None or self.upper is None:
            return None
        return (self.upper - self.lower) / (6 * sigma)

    @property
    def cp(self):
        return self._index(self.sigma_within, False)

    @property
    def cpk(self):
        return self._index(self.sigma_within, True)

    @property
    def pp(self):
        return self._index(self.sigma_overall, False)

    @property
    def ppk(self):
        return self._index(self.sigma_overall, True)


def capability(
        values, lower: float | None, upper: float | None,
        sigma_within: float | None = None,
        sigma_within_method: str | None = None) -> Capability:
    """Capability of the values against the specification limits.

    σ within comes from the control chart (R̄/d2, S̄/c4, MR̄/d2); without one,
    it is estimated from the moving ranges of the values in order.
    σ overall is the sample standard deviation of all values.
    """
    values = np.asarray(values, dtype=float).ravel()
    if len(values) < 2:
        raise ValueError("capability needs at least 2 values")
    if sigma_within is None:
        sigma_within = float(moving_ranges(values).mean() / constants(2).d2)
        sigma_within_method = 'MR̄/d2'
    return Capability(
        mean=float(values.mean()),
        sigma_within=float(sigma_within),
        sigma_within_method=sigma_within_method or '',
        sigma_overall=float(values.std(ddof=1)),
        lower=lower, upper=upper)


def histogram(values, lower=None, upper=None, bins: int = 20):
    """Counts and bin edges of the values over a range that also shows the
    specification limits."""
    values = np.asarray(values, dtype=float)
    low = min([values.min(), *(x for x in (lower,) if x is not None)])
    high = max([values.max(), *(x for x in (upper,) if x is not None)])
    if high <= low:
        high = low + 1
    return np.histogram(values, bins=bins, range=(low, high))
