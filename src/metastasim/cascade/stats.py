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

__all__ = ["binomial_ci", "OddsRatio", "odds_ratio", "replicate_ci", "replicate_log2", "Z95", "SPARSE"]

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


#: Below this smallest cell count the odds ratio is the exact conditional one.
SPARSE = 10


@dataclass(frozen=True)
class OddsRatio:
    """Odds of an outcome with an alteration over the odds without it, with a 95% CI."""

    estimate: float
    low: float
    high: float
    exact: bool  # conditional maximum-likelihood estimate and exact interval (a sparse table)


def odds_ratio(a: int, b: int, c: int, d: int) -> OddsRatio:
    """Odds ratio of the 2x2 table ``[[a, b], [c, d]]`` (rows: with/without, columns: outcome yes/no).

    The sample estimate with Woolf's log interval; when a cell holds fewer than
    ``SPARSE`` counts (metastatic carriers of a rare alteration, typically), the
    conditional maximum-likelihood estimate with its exact interval (Fisher), which
    stays honest at zero counts: 0 metastatic carriers give an estimate of 0 and an
    interval from 0, where adding 0.5 to every cell would report an enrichment.
    A row or column that is empty gives an undefined ratio (nan, with the interval 0..inf).
    """
    if (a + b) == 0 or (c + d) == 0 or (a + c) == 0 or (b + d) == 0:
        return OddsRatio(math.nan, 0.0, math.inf, False)
    if min(a, b, c, d) < SPARSE:
        result = stats.contingency.odds_ratio([[a, b], [c, d]], kind="conditional")
        ci = result.confidence_interval(0.95)
        return OddsRatio(float(result.statistic), float(ci.low), float(ci.high), True)
    estimate = (a * d) / (b * c)
    log_or = math.log(estimate)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return OddsRatio(float(estimate), float(np.exp(log_or - Z95 * se)), float(np.exp(log_or + Z95 * se)), False)


def replicate_ci(terms, powers, level: float = 0.95) -> tuple[float, float, float]:
    """A product of powers of means over independent replicates, with its delta-method log interval.

    ``terms`` holds ``m`` arrays, one per quantity, each with one unbiased estimate of
    the quantity per replicate (paired: entry ``r`` of every array comes from replicate
    ``r``); ``powers`` the
    exponent of each quantity's mean in the statistic ``prod(mean_j ** powers_j)``.
    The interval is ``log(statistic) +- t * se`` with Student's ``t`` on
    ``replicates - 1`` degrees of freedom and the delta-method standard error from the
    replicates' sample covariance, so it is exact in the limit of many cells per
    replicate and honest for few replicates (``t`` instead of the normal quantile).
    A mean of 0 with a positive power gives ``(0, 0, nan)``; with a negative one
    ``(inf, nan, inf)``; with both (0 / 0: a stage no clone reached, an alteration no
    cell carries) ``(nan, nan, nan)``: there is nothing to put an interval on.

    Examples
    --------
    >>> est, lo, hi = replicate_ci([[1.0, 1.2, 0.8, 1.0], [2.0, 2.0, 2.0, 2.0]], [1, -1])
    >>> round(est, 3), lo < 0.5 < hi
    (0.5, True)
    """
    x = np.column_stack([np.asarray(t, np.float64) for t in terms])
    c = np.asarray(powers, np.float64)
    if x.shape[1] != len(c):
        raise ValueError(f"{x.shape[1]} quantities but {len(c)} powers")
    reps = x.shape[0]
    if reps < 2:
        raise ValueError("an interval from replicates needs at least 2 of them")
    mean = x.mean(axis=0)
    zero_num, zero_den = np.any((mean <= 0) & (c > 0)), np.any((mean <= 0) & (c < 0))
    if zero_num and zero_den:
        return math.nan, math.nan, math.nan
    if zero_num:
        return 0.0, 0.0, math.nan
    if zero_den:
        return math.inf, math.nan, math.inf
    used = c != 0
    log_est = float(np.sum(c[used] * np.log(mean[used])))
    grad = np.where(used, c / np.where(mean > 0, mean, 1.0), 0.0)
    cov = np.atleast_2d(np.cov(x, rowvar=False, ddof=1))
    var = float(grad @ cov @ grad) / reps
    half = float(stats.t.ppf(0.5 + level / 2.0, reps - 1)) * math.sqrt(max(var, 0.0))
    return math.exp(log_est), math.exp(log_est - half), math.exp(log_est + half)


def replicate_log2(terms, powers, level: float = 0.95) -> tuple[float, float, float]:
    """:func:`replicate_ci` on the log2 scale: a 0 becomes ``-inf``, an undefined value stays ``nan``.

    Examples
    --------
    >>> est, lo, hi = replicate_log2([[1.0, 1.2, 0.8, 1.0], [2.0, 2.0, 2.0, 2.0]], [1, -1])
    >>> est, lo < -1 < hi
    (-1.0, True)
    """

    def lg(x: float) -> float:
        if x != x:
            return math.nan
        return math.log2(x) if x > 0 else (-math.inf if x == 0 else math.nan)

    est, low, high = replicate_ci(terms, powers, level)
    return lg(est), lg(low), lg(high)
