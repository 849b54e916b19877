"""Figures of robustness ensembles: each target's rank across parameter draws, and sensitivity indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from metastasim.plots.style import OKABE_ITO, drawing

__all__ = ["rank_stability", "rank_stability_size", "sensitivity_bars", "sensitivity_bars_size"]


def rank_stability_size(ranks: pd.DataFrame) -> tuple[float, float]:
    """Size (inches) of :func:`rank_stability`."""
    return 8.0, 1.0 + 0.34 * len(ranks)


def rank_stability(ranks: pd.DataFrame, nominal: pd.Series, *, top: int = 10, ax: Axes | None = None) -> Axes:
    """Each target's rank in every draw (one row per target, one dot per draw), its median and nominal rank.

    Parameters
    ----------
    ranks
        One row per target (drawn top to bottom in this order), one column per draw.
    nominal
        The targets' nominal ranks (drawn as open diamonds).
    top
        K of the top K: ranks up to it are shaded.
    ax
        Axes to draw on (default: a new figure of :func:`rank_stability_size`).
    """
    with drawing(ax, rank_stability_size(ranks)) as ax:
        rng = np.random.default_rng(0)  # jitter only: the positions are ranks
        ax.axvspan(0.5, top + 0.5, color=OKABE_ITO[2], alpha=0.12, linewidth=0, label=f"top {top}")
        for y, (_, row) in enumerate(ranks.iterrows()):
            r = row.dropna().to_numpy(float)
            ax.scatter(r, y + rng.uniform(-0.18, 0.18, len(r)), s=9, color="#666666", alpha=0.6, linewidths=0)
            if len(r):
                ax.plot([np.median(r)], [y], "|", color="black", markersize=12, markeredgewidth=2)
        ax.scatter(
            nominal.reindex(ranks.index),
            np.arange(len(ranks)),
            marker="D",
            s=30,
            facecolors="none",
            edgecolors=OKABE_ITO[5],
            linewidths=1.3,
            zorder=3,
            label="nominal",
        )
        ax.plot([], [], "|", color="black", markersize=10, markeredgewidth=2, label="median over draws")
        ax.set_yticks(np.arange(len(ranks)), list(ranks.index))
        ax.set_ylim(len(ranks) - 0.5, -0.5)
        ax.set_xlabel("rank in each kept draw (1: best)")
        ax.legend(frameon=False, fontsize=8.5, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)
    return ax


def sensitivity_bars_size(table: pd.DataFrame, numbers: int = 8) -> tuple[float, float]:
    """Size (inches) of :func:`sensitivity_bars`."""
    outputs = table["output"].nunique() if len(table) else 1
    return 8.0, 1.2 + 0.22 * numbers * outputs


def sensitivity_bars(table: pd.DataFrame, *, numbers: int = 8, ax: Axes | None = None) -> Axes:
    """First-order sensitivity indices with their 95% CIs: for each output, its ``numbers`` largest.

    ``table`` is long (``output``, ``number``, ``S1``, ``S1_low``, ``S1_high``), as
    :func:`metastasim.robustness.sensitivity` returns it.  Bars are grouped by output (one
    colour each), largest index at the top of its group.
    """
    with drawing(ax, sensitivity_bars_size(table, numbers)) as ax:
        labels, y = [], 0
        for k, (output, group) in enumerate(table.groupby("output", sort=False)):
            g = group.dropna(subset=["S1"]).sort_values("S1", ascending=False).head(numbers)
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            ys = y + np.arange(len(g))
            ax.barh(ys, g["S1"], color=colour, label=str(output), height=0.8)
            low = (g["S1"] - g["S1_low"]).clip(lower=0)
            high = (g["S1_high"] - g["S1"]).clip(lower=0)
            ax.errorbar(g["S1"], ys, xerr=[low, high], fmt="none", ecolor="#333333", linewidth=0.9)
            labels += list(g["number"])
            y += len(g) + 1
            labels += [""]
        ax.set_yticks(np.arange(len(labels)), labels)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_xlabel("first-order sensitivity index S1 (RBD-FAST, 95% CI)")
        ax.legend(frameon=False, fontsize=8.5, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)
    return ax
