"""Scores of a screen, from paired per-cell outcomes: log-fold changes, Bliss and HSA excess, IC50.

All arms of a screen share their cells (same seed, same cell numbers), so each
comparison is a matched-pairs comparison.  A cell's outcome in two arms is one of
four patterns; the counts of the discordant ones carry the uncertainty.

Examples
--------
>>> lfc = paired_log2_ratio(both=80, control_only=20, treated_only=0)
>>> round(lfc.estimate, 3), lfc.low < lfc.estimate < lfc.high
(-0.322, True)
>>> independent = synergy(np.arange(1000), np.arange(500), np.arange(250, 750),
...                       np.arange(250, 500), cells=10_000, seed=0)
>>> independent.bliss, independent.hsa
(0.0, 0.25)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["Interval", "paired_log2_ratio", "paired_counts", "Synergy", "synergy", "DoseFit", "fit_ic50"]

_Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% confidence interval."""

    estimate: float
    low: float
    high: float


def paired_counts(control: np.ndarray, treated: np.ndarray) -> tuple[int, int, int]:
    """``(both, control_only, treated_only)`` for two sorted sets of cell numbers with the event."""
    both = len(np.intersect1d(control, treated, assume_unique=True))
    return both, len(control) - both, len(treated) - both


def paired_log2_ratio(both: int, control_only: int, treated_only: int) -> Interval:
    """log2 of (cells with the event when treated) / (cells with it in the control), matched pairs.

    Variance of the log ratio of two paired proportions (delta method):
    ``(b + c) / ((a + b)(a + c))`` with ``a`` cells with the event in both arms,
    ``b`` in the control only, ``c`` in the treated arm only; the cells with the
    event in neither arm do not enter.  When either arm has no cell with the event,
    0.5 is added to each of ``a``, ``b``, ``c`` (Haldane), so the estimate stays
    finite and its interval wide.  Both arms empty: no information, ``nan``.
    """
    a, b, c = float(both), float(control_only), float(treated_only)
    if a + b == 0 and a + c == 0:
        return Interval(math.nan, math.nan, math.nan)
    if a + b == 0 or a + c == 0:
        a, b, c = a + 0.5, b + 0.5, c + 0.5
    est = math.log((a + c) / (a + b))
    se = math.sqrt((b + c) / ((a + b) * (a + c)))
    ln2 = math.log(2.0)
    return Interval(est / ln2, (est - _Z95 * se) / ln2, (est + _Z95 * se) / ln2)


@dataclass(frozen=True)
class Synergy:
    """Efficiency ratios (arm / control) of two single arms and their pair, and the excess over two null models.

    ``bliss = f_a * f_b - f_ab``: positive when the pair prevents more metastases
    than two independent actions would; ``hsa = min(f_a, f_b) - f_ab``: positive
    when the pair beats its better member.  CIs are percentile intervals of a
    bootstrap over cells (all four arms resampled together).
    """

    f_a: float
    f_b: float
    f_ab: float
    bliss: float
    bliss_low: float
    bliss_high: float
    hsa: float
    hsa_low: float
    hsa_high: float


def synergy(
    control: np.ndarray, a: np.ndarray, b: np.ndarray, ab: np.ndarray, *, cells: int, boot: int = 2000, seed: int = 0
) -> Synergy:
    """Bliss and HSA excess of the pair ``ab`` from the cells that formed a metastasis in each arm."""
    arms = (control, a, b, ab)
    union = np.unique(np.concatenate([np.asarray(x, np.int64) for x in arms]))
    if len(union) > cells:
        raise ValueError("more cells with a metastasis than cells")
    pattern = np.zeros(len(union), np.int64)
    for bit, ids in enumerate(arms):
        pattern |= np.isin(union, ids).astype(np.int64) << bit
    counts = np.bincount(pattern, minlength=16).astype(np.float64)
    counts[0] = cells - len(union)
    member = np.array([[(p >> bit) & 1 for p in range(16)] for bit in range(4)], np.float64)  # [arm, pattern]

    def scores(n: np.ndarray) -> np.ndarray:  # n: [..., 16] pattern counts -> [..., 5] f_a, f_b, f_ab, bliss, hsa
        e = n @ member.T
        with np.errstate(invalid="ignore", divide="ignore"):
            f = e[..., 1:] / e[..., :1]
        bliss = f[..., 0] * f[..., 1] - f[..., 2]
        hsa = np.minimum(f[..., 0], f[..., 1]) - f[..., 2]
        return np.stack([f[..., 0], f[..., 1], f[..., 2], bliss, hsa], axis=-1)

    point = scores(counts)
    rng = np.random.default_rng(seed)
    draws = scores(rng.multinomial(cells, counts / cells, size=boot).astype(np.float64))
    draws = draws[np.isfinite(draws).all(axis=1)]
    if len(draws):
        low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    else:
        low = high = np.full(5, math.nan)
    return Synergy(
        *(float(v) for v in point[:3]),
        float(point[3]),
        float(low[3]),
        float(high[3]),
        float(point[4]),
        float(low[4]),
        float(high[4]),
    )


@dataclass(frozen=True)
class DoseFit:
    """A Hill curve ``f(d) = 1 / (1 + (d / ic50) ** hill)`` fitted to efficiency ratios.

    The IC50 is never extrapolated: ``nan`` when no tested dose halves the
    efficiency; when the lowest tested dose already does, ``ic50`` is that dose and
    ``below`` is true (the IC50 lies below it).
    """

    ic50: float
    hill: float
    max_effect: float  # 1 - the lowest efficiency ratio observed
    below: bool = False


def _hill(d, ic50, hill):
    return 1.0 / (1.0 + (d / ic50) ** hill)


def fit_ic50(doses, ratios) -> DoseFit:
    """Fit a Hill curve through ``(0, 1)`` and the ``(dose, efficiency ratio)`` points (doses > 0)."""
    d = np.asarray(doses, np.float64)
    f = np.asarray(ratios, np.float64)
    keep = (d > 0) & np.isfinite(f)
    d, f = d[keep], f[keep]
    max_effect = float(1.0 - f.min()) if len(f) else math.nan
    if not len(f) or f.min() > 0.5:
        return DoseFit(math.nan, math.nan, max_effect)
    order = np.argsort(d)
    d, f = d[order], f[order]
    if f[0] <= 0.5:
        return DoseFit(float(d[0]), math.nan, max_effect, below=True)
    # first crossing of one half, by linear interpolation from (0, 1): the start of the fit and its fallback
    xs, ys = np.concatenate([[0.0], d]), np.concatenate([[1.0], f])
    k = int(np.argmax(ys <= 0.5))
    guess = xs[k - 1] + (ys[k - 1] - 0.5) * (xs[k] - xs[k - 1]) / (ys[k - 1] - ys[k])
    try:
        with warnings.catch_warnings():  # two or three points: no covariance, which is not used
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            (ic50, hill), _ = optimize.curve_fit(
                _hill, d, f, p0=(max(guess, 1e-6), 2.0), bounds=([1e-6, 0.1], [d.max(), 20.0]), maxfev=5000
            )
    except (RuntimeError, ValueError):
        return DoseFit(float(guess), math.nan, max_effect)
    return DoseFit(float(ic50), float(hill), max_effect)
