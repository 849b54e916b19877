"""One arm's effect in one cascade mode against the control, whichever estimator the mode used.

A mode estimated directly keeps the numbers of the cells that formed a metastasis:
effects are matched-pairs comparisons of cells (:func:`.scores.paired_log2_ratio`).
A mode estimated by splitting keeps each replicate's estimated fraction of cells
through each stage; the arm's replicate ``r`` and the control's share seed and
starting cells, so effects are paired comparisons of replicates, with delta-method
intervals (:func:`metastasim.cascade.stats.replicate_ci`).  Either way an effect is
the same :class:`Effect`, and the tables built on it never ask which.

Examples
--------
>>> control = {"estimator": "splitting", "cells": 40, "replicates": 4, "stages": ["a", "b"],
...            "cumulative": [[0.5, 0.4, 0.6, 0.5], [0.1, 0.08, 0.12, 0.1]]}
>>> arm = {**control, "cumulative": [[0.5, 0.4, 0.6, 0.5], [0.05, 0.04, 0.06, 0.05]]}
>>> e = effect(control, arm)
>>> round(e.ratio, 3), round(e.lfc, 3)
(0.5, -1.0)
>>> {k: round(v[0], 3) for k, v in stage_log2(control, arm).items()}
{'a': 0.0, 'b': -1.0}
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from metastasim.cascade.stats import binomial_ci, replicate_ci, replicate_log2
from metastasim.screen.scores import Synergy, paired_counts, paired_log2_ratio

__all__ = ["Effect", "effect", "stage_log2", "replicate_synergy", "is_splitting"]

_LN2 = math.log(2.0)


@dataclass(frozen=True)
class Effect:
    """An arm's metastatic efficiency (95% CI) and its change against the control."""

    metastatic: float  # metastatic cells counted (direct); nan for splitting, which counts none
    efficiency: float
    efficiency_low: float
    efficiency_high: float
    ratio: float  # efficiency / the control's (nan when the control has none)
    lfc: float  # log2 change, with its 95% CI
    lfc_low: float
    lfc_high: float


def is_splitting(payload: dict) -> bool:
    return payload.get("estimator") == "splitting"


def _last(payload: dict) -> np.ndarray:
    return np.asarray(payload["cumulative"][-1], np.float64)


def effect(control: dict, arm: dict) -> Effect:
    """The effect of ``arm`` (one mode's payload of :func:`.evaluate_arm`) against ``control``'s."""
    if is_splitting(arm):
        a, c = _last(arm), _last(control)
        eff, low, high = replicate_ci([a], [1])
        if c.mean() > 0:
            lfc = replicate_log2([a, c], [1, -1])
            ratio = float(a.mean() / c.mean())
        else:
            lfc, ratio = (math.nan,) * 3, math.nan
        return Effect(math.nan, eff, low, high, ratio, *lfc)
    cells = arm["cells"]
    treated = np.asarray(arm["metastatic"], np.int64)
    base = np.asarray(control["metastatic"], np.int64)
    lfc = paired_log2_ratio(*paired_counts(base, treated))
    low, high = binomial_ci(len(treated), cells)
    ratio = len(treated) / len(base) if len(base) else math.nan
    return Effect(float(len(treated)), len(treated) / cells, low, high, ratio, lfc.estimate, lfc.low, lfc.high)


def stage_log2(control: dict, arm: dict) -> dict[str, tuple[float, float, float]]:
    """Per stage, the log2 change of the fraction of entering cells that pass it (estimate, 95% CI).

    Splitting payloads only (a direct screen keeps the metastatic cells, not every
    stage's).  A stage that no clone of the arm or the control reaches has no
    fraction to compare: ``nan``.
    """
    out: dict[str, tuple[float, float, float]] = {}
    entered_a = entered_c = None
    for name, a, c in zip(arm["stages"], arm["cumulative"], control["cumulative"]):
        a, c = np.asarray(a, np.float64), np.asarray(c, np.float64)
        if entered_a is None:
            terms, powers = [a, c], [1, -1]
            reached = c.mean() > 0
        else:
            terms, powers = [a, entered_a, c, entered_c], [1, -1, -1, 1]
            reached = entered_a.mean() > 0 and entered_c.mean() > 0 and c.mean() > 0
        out[name] = replicate_log2(terms, powers) if reached else (math.nan,) * 3
        entered_a, entered_c = a, c
    return out


def replicate_synergy(control: dict, a: dict, b: dict, ab: dict) -> Synergy:
    """Bliss and HSA excess of the pair ``ab`` from paired replicates (splitting payloads), delta-method CIs.

    ``f_x = mean(x) / mean(control)``; ``bliss = f_a f_b - f_ab``, ``hsa = min(f_a, f_b) - f_ab``
    (as :func:`.scores.synergy`); each interval is ``estimate +- t * se`` with the
    standard error from the replicates' covariance of the four arms' final estimates.
    """
    x = np.column_stack([_last(p) for p in (control, a, b, ab)])
    mc, ma, mb, mab = x.mean(axis=0)
    if mc <= 0:
        return Synergy(*(math.nan,) * 9)
    fa, fb, fab = ma / mc, mb / mc, mab / mc
    cov = np.atleast_2d(np.cov(x, rowvar=False, ddof=1)) / x.shape[0]
    t = float(stats.t.ppf(0.975, x.shape[0] - 1))
    # gradients in (control, a, b, ab)
    g_bliss = np.array([-2 * ma * mb / mc**3 + mab / mc**2, mb / mc**2, ma / mc**2, -1 / mc])
    m_low = ma if fa <= fb else mb
    g_hsa = np.array([-m_low / mc**2 + mab / mc**2, 1 / mc if fa <= fb else 0.0, 0.0 if fa <= fb else 1 / mc, -1 / mc])
    bliss, hsa = fa * fb - fab, min(fa, fb) - fab
    hb = t * math.sqrt(max(float(g_bliss @ cov @ g_bliss), 0.0))
    hh = t * math.sqrt(max(float(g_hsa @ cov @ g_hsa), 0.0))
    return Synergy(
        float(fa),
        float(fb),
        float(fab),
        float(bliss),
        float(bliss - hb),
        float(bliss + hb),
        float(hsa),
        float(hsa - hh),
        float(hsa + hh),
    )
