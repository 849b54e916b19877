"""The report's robustness parts: each ensembled target's top-K fraction and 5-95% range, and its section.

The ensemble (:class:`~metastasim.robustness.RobustnessResult`) screens the best single
targets of the report's screen on parameter sets drawn from their declared ranges; these
functions turn it into the ranking table's columns, the band of the ranking figure, the
"Robustness to parameter uncertainty" subsection and the ``robustness`` block of
``summary.json``.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
from scipy import stats

from metastasim.report import figures
from metastasim.robustness import MIN_DRAWS, RobustnessResult

__all__ = ["columns", "spread", "section", "summary_block", "fraction_ci"]

#: Uncertain numbers shown per target in the sensitivity chart.
SENSITIVITY_NUMBERS = 6
#: Targets whose sensitivity indices are shown.
SENSITIVITY_TARGETS = 3


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _log2(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return "none left" if x == -math.inf else f"{x:+.2f}"


def fraction_ci(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a fraction ``k / n`` (``nan`` for ``n = 0``)."""
    if n == 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _table(result: RobustnessResult) -> pd.DataFrame:
    """:meth:`RobustnessResult.targets` with the count of draws in the top K."""
    t = result.targets()
    n = len(result.kept)
    t["in_top"] = (t["top_fraction"] * n).round().fillna(0).astype(int) if n else 0
    return t


def columns(result: RobustnessResult | None) -> dict[str, dict]:
    """For each ensembled arm: its top-K fraction (with the count and a 95% CI) and its log2 5-95% range."""
    if result is None:
        return {}
    n = len(result.kept)
    out = {}
    for arm, r in _table(result).iterrows():
        low, high = fraction_ci(r["in_top"], n)
        out[arm] = {
            "top": f"{int(r['in_top'])}/{n}" + (f" ({low:.2f}–{high:.2f})" if n else ""),
            "top_fraction": _finite(r["top_fraction"]),
            "range": f"{_log2(r['log2_median'])} ({_log2(r['log2_low'])} to {_log2(r['log2_high'])})",
        }
    return out


def spread(result: RobustnessResult | None) -> pd.DataFrame | None:
    """``low``, ``high`` (5th and 95th percentiles of the log2 change across kept draws) per ensembled arm."""
    if result is None or not result.kept:
        return None
    t = result.targets()
    return pd.DataFrame({"low": t["log2_low"], "high": t["log2_high"]})


def _dropped(result: RobustnessResult) -> dict:
    """Why the filter dropped draws: their scores and the facts they broke most often."""
    dropped = result.dropped
    broken = Counter(f for v in dropped["broken"] for f in v.split(";") if f)
    return {
        "count": len(dropped),
        "scores": ", ".join(f"{s:.3f}" for s in dropped["score"]),
        "common": [f"{fact} ({k} of {len(dropped)})" for fact, k in broken.most_common(5)],
        "broken_median": float(np.median([len([f for f in v.split(";") if f]) for v in dropped["broken"]]))
        if len(dropped)
        else 0.0,
    }


def _spread_of(values: pd.Series, fmt: str) -> str:
    v = values.dropna()
    if not len(v):
        return "–"
    return f"{fmt.format(v.median())} (range {fmt.format(v.min())} to {fmt.format(v.max())})"


def section(result: RobustnessResult | None, settings, command: str) -> dict | None:
    """What the "Robustness to parameter uncertainty" subsection shows: counts, agreement, figures."""
    if result is None:
        return None
    s = result.summary()
    agreement = result.agreement()
    t = _table(result)
    figs = {"stability": None, "sensitivity": None}
    if result.kept:
        order = list(t.index)
        figs["stability"] = html_img(
            figures.rank_stability(result.ranks().loc[order], result.nominal()["rank"], result.top),
            "Rank of each ensembled target in every kept draw",
            "fig-rank-stability",
        )
    sens = None
    if len(result.kept) >= MIN_DRAWS:
        sens = result.sensitivity(top=SENSITIVITY_TARGETS)
        if sens["S1"].notna().any():
            figs["sensitivity"] = html_img(
                figures.sensitivity_bars(sens, SENSITIVITY_NUMBERS),
                "First-order sensitivity of the best targets' effects",
                "fig-sensitivity",
            )
    dominant = []
    if sens is not None:
        for output, g in sens.dropna(subset=["S1"]).groupby("output", sort=False):
            r = g.iloc[0]
            ci = f"95% CI {r['S1_low']:.2f} to {r['S1_high']:.2f}"
            dominant.append(f"{output}: {r['number']} (S1 {r['S1']:.2f}, {ci})")
    return {
        "draws": s["draws"],
        "kept": s["kept"],
        "targets": len(t),
        "top": result.top,
        "tau": _spread_of(agreement["tau"], "{:.2f}"),
        "overlap": _spread_of(agreement["overlap"], "{:.0%}"),
        "nominal_score": f"{result.nominal_score:.3f}",
        "tolerance": f"{result.tolerance:.2f}",
        "facts": result.facts,
        "filter_samples": result.validation_samples,
        "filtered": result.facts > 0,
        "dropped": _dropped(result),
        "cells": result.params.spontaneous_cells if result.params is not None else 0,
        "step": f"{1 / max(1, s['kept']):.2f}",
        "figures": figs,
        "sensitivity_reason": _why_no_sensitivity(result, settings) if figs["sensitivity"] is None else "",
        "dominant": dominant,
        "min_draws": MIN_DRAWS,
        "numbers": SENSITIVITY_NUMBERS,
        "command": command,
        "computed": result.computed,
    }


def _why_no_sensitivity(result: RobustnessResult, settings) -> str:
    kept = len(result.kept)
    if kept < MIN_DRAWS:
        small = "the quick report's ensemble" if settings.quick else "this ensemble"
        return (
            f"Sensitivity indices are not computed: {small} has {kept} kept draw{'s' if kept != 1 else ''}, "
            f"fewer than the {MIN_DRAWS} at which RBD-FAST's indices become usable."
        )
    return "Sensitivity indices are not defined here: no ensembled target's effect varies across the draws."


def summary_block(result: RobustnessResult | None) -> dict | None:
    """The ``robustness`` block of ``summary.json``: counts, median tau and overlap, each ensembled target's robustness.

    Non-finite numbers (a log2 change of minus infinity: no metastasis left) are ``null``.
    """
    if result is None:
        return None
    s = result.summary()
    n = len(result.kept)
    targets = []
    for arm, r in _table(result).iterrows():
        low, high = fraction_ci(r["in_top"], n)
        targets.append(
            {
                "arm": arm,
                "nominal_rank": int(r["nominal_rank"]),
                "median_rank": _finite(r["median_rank"]),
                "top_fraction": _finite(r["top_fraction"]),
                "top_fraction_ci95": [_finite(low), _finite(high)],
                "log2_median": _finite(r["log2_median"]),
                "log2_low": _finite(r["log2_low"]),
                "log2_high": _finite(r["log2_high"]),
            }
        )
    return {
        "draws": s["draws"],
        "kept": s["kept"],
        "top": result.top,
        "tau_median": _finite(s["tau_median"]),
        "overlap_median": _finite(s["overlap_median"]),
        "targets": targets,
    }


def html_img(svg_text: str, alt: str, figure_id: str) -> str:
    from metastasim.report.html import _img

    return _img(svg_text, alt, figure_id)
