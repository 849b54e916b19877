"""Confidence intervals for the counts a cascade produces.

Examples
--------
>>> lo, hi = binomial_ci(2, 10_000)
>>> round(lo, 6), round(hi, 6)
(2.4e-05, 0.000722)
>>> odds_ratio(30, 70, 100, 800).estimate
3.4285714285714284
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["binomial_ci", "OddsRatio", "odds_ratio", "Z95"]

#: Two-sided 95% normal quantile.
Z95 = float(stats.norm.ppf(0.975))


def binomial_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) confidence interval of a proportion ``k / n``.

    Exact rather than normal-approximation intervals, because the fractions of the
    cascade's last stages are small (1e-4) and a normal interval would go below 0.
    ``n == 0`` gives ``(0, 1)``: nothing is known.
    """
    if n == 0:
        return 0.0, 1.0
    a = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1.0 - a, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True)
class OddsRatio:
    """Odds of an outcome with an alteration over the odds without it, with a 95% CI."""

    estimate: float
    low: float
    high: float
    corrected: bool  # a zero cell was replaced by 0.5 (Haldane-Anscombe)


def odds_ratio(a: int, b: int, c: int, d: int) -> OddsRatio:
    """Odds ratio of the 2x2 table ``[[a, b], [c, d]]`` (rows: with/without, columns: outcome yes/no).

    Woolf's log interval; when a cell is 0, 0.5 is added to every cell
    (Haldane–Anscombe) so the estimate and interval stay finite.  A row or column
    that is empty gives an undefined ratio (nan, with the interval 0..inf).
    """
    if (a + b) == 0 or (c + d) == 0 or (a + c) == 0 or (b + d) == 0:
        return OddsRatio(math.nan, 0.0, math.inf, False)
    corrected = min(a, b, c, d) == 0
    if corrected:
        a, b, c, d = (x + 0.5 for x in (a, b, c, d))
    estimate = (a * d) / (b * c)
    log_or = math.log(estimate)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return OddsRatio(float(estimate), float(np.exp(log_or - Z95 * se)), float(np.exp(log_or + Z95 * se)), corrected)
