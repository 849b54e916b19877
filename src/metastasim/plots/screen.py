"""Figures of screens: ranked targets, synergy of pairs, dose responses, where each target acts."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes

from metastasim.plots.style import OKABE_ITO, drawing, label_colour

__all__ = [
    "ranking",
    "synergy_heatmap",
    "dose_response",
    "stage_heatmap",
    "ranking_size",
    "synergy_heatmap_size",
    "DOSE_RESPONSE_SIZE",
    "stage_heatmap_size",
]

#: Size (inches) of :func:`dose_response`.
DOSE_RESPONSE_SIZE = (6.8, 4.2)


def ranking_size(table: pd.DataFrame, top: int = 20) -> tuple[float, float]:
    """Size (inches) of :func:`ranking`."""
    return 8.0, 1.0 + 0.34 * len(table.head(top))


def synergy_heatmap_size(order: Sequence[str]) -> tuple[float, float]:
    """Size (inches) of :func:`synergy_heatmap`."""
    return 2.2 + 0.75 * len(order), 1.6 + 0.6 * len(order)


def stage_heatmap_size(table: pd.DataFrame, arms: Sequence[str]) -> tuple[float, float]:
    """Size (inches) of :func:`stage_heatmap`."""
    shown = set(table["arm"])
    return 2.6 + 0.95 * table["stage"].nunique(), 1.0 + 0.32 * sum(a in shown for a in arms)


def ranking(
    table: pd.DataFrame,
    mode: str,
    other: str | None = None,
    *,
    top: int = 20,
    spread: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Best targets first: log2 change of metastatic efficiency (95% CI), coloured by normal cells spared.

    Parameters
    ----------
    table
        One row per arm (the index), best first, with ``rank``, ``spared`` and
        ``{mode}_lfc``, ``{mode}_lfc_low``, ``{mode}_lfc_high`` (and the same for
        ``other``), as :meth:`metastasim.screen.ScreenResult.ranking` gives.
    mode
        The cascade mode ranked (points with their CIs).
    other
        A second mode, drawn as ticks beside each arm (default: none).
    top
        Arms drawn, from the first row.
    spread
        Optional ``low`` and ``high`` log2 changes per arm (index), e.g. the 5-95% range
        of the effect across a robustness ensemble's parameter draws
        (:meth:`metastasim.robustness.RobustnessResult.targets`): drawn as a wide pale
        band behind the arm's CI.  Arms not in it have no band.
    ax
        Axes to draw on (default: a new figure of :func:`ranking_size`).

    Returns
    -------
    matplotlib.axes.Axes
        Its y tick labels read ``"rank. arm"``, best at the top.  An arm with no
        metastasis left (a log2 change of minus infinity, from splitting) is drawn as a
        left-pointing marker at the left edge, labelled "none left".
    """
    t = table.head(top).copy()
    columns = [f"{m}_lfc{s}" for m in (mode, other) if m for s in ("", "_low", "_high")]
    band = None
    if spread is not None:
        band = spread.reindex(t.index)[["low", "high"]].astype(float)
        t["_band_low"], t["_band_high"] = band["low"], band["high"]
        columns += ["_band_low", "_band_high"]
    values = t[columns].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    edge = (float(finite.min()) if finite.size else 0.0) - 1.0
    abolished = t[f"{mode}_lfc"].to_numpy(dtype=float) == -np.inf
    t[columns] = t[columns].replace(-np.inf, edge)
    with drawing(ax, ranking_size(table, top)) as ax:
        cmap = colormaps["cividis"].with_extremes(bad="#FFFFFF")  # selectivity undefined: an open marker
        y = np.arange(len(t))
        for yi, (_, r) in zip(y, t.iterrows()):
            if band is not None and np.isfinite(r["_band_low"]) and np.isfinite(r["_band_high"]):
                ax.plot(
                    [r["_band_low"], r["_band_high"]],
                    [yi, yi],
                    color=OKABE_ITO[4],
                    alpha=0.5,
                    linewidth=7,
                    solid_capstyle="butt",
                    zorder=1,
                )
            ax.plot([r[f"{mode}_lfc_low"], r[f"{mode}_lfc_high"]], [yi, yi], color="#444444", linewidth=1.2)
            if other is not None:
                ax.plot([r[f"{other}_lfc"]], [yi + 0.22], "|", color=OKABE_ITO[5], markersize=7, markeredgewidth=1.6)
        spared = t["spared"].to_numpy(dtype=float)
        points = ax.scatter(
            t[f"{mode}_lfc"][~abolished],
            y[~abolished],
            c=spared[~abolished],
            cmap=cmap,
            vmin=0,
            vmax=1,
            s=46,
            zorder=3,
            plotnonfinite=True,
            edgecolors="black",
            linewidths=0.5,
        )
        if abolished.any():
            ax.scatter(
                np.full(abolished.sum(), edge),
                y[abolished],
                c=spared[abolished],
                cmap=cmap,
                vmin=0,
                vmax=1,
                s=60,
                marker="<",
                zorder=3,
                plotnonfinite=True,
                edgecolors="black",
                linewidths=0.5,
            )
            for yi in y[abolished]:
                ax.annotate("none left", (edge, yi), textcoords="offset points", xytext=(8, -3), fontsize=7.5)
        if other is not None:
            ax.plot([], [], "|", color=OKABE_ITO[5], markersize=7, markeredgewidth=1.6, label=f"{other} cascade")
        if other is not None or band is not None:
            ax.plot([], [], "o", color="#888888", markeredgecolor="black", label=f"{mode} cascade (95% CI)")
        if band is not None:
            ax.plot([], [], color=OKABE_ITO[4], alpha=0.5, linewidth=7, label="5–95% over parameter draws")
        if other is not None or band is not None:
            ax.legend(frameon=False, fontsize=8.5, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)
        ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_yticks(y, [f"{r['rank']}. {arm}" for arm, r in t.iterrows()])
        ax.invert_yaxis()
        ax.set_xlabel("log2 change of metastatic efficiency vs control")
        ax.grid(alpha=0.25, axis="x")
        ax.figure.colorbar(points, ax=ax, fraction=0.035, pad=0.02, label="normal cells spared (selectivity)")
    return ax


def synergy_heatmap(table: pd.DataFrame, order: Sequence[str], *, ax: Axes | None = None) -> Axes:
    """Bliss excess of each pair of ``order`` (upper triangle), marked * where its 95% CI excludes 0.

    Parameters
    ----------
    table
        One row per pair with its members ``a`` and ``b``, ``bliss``, ``bliss_low``
        and ``bliss_high`` (as :meth:`metastasim.screen.ScreenResult.synergy` gives).
    order
        The members, in the order of the rows and columns; pairs of others are left out.
    ax
        Axes to draw on (default: a new figure of :func:`synergy_heatmap_size`).

    Returns
    -------
    matplotlib.axes.Axes
        Its image (``ax.images[0]``) holds the Bliss excess of ``order[i]`` with
        ``order[j]`` at ``[i, j]``, ``i < j``, and is masked elsewhere.
    """
    order = list(order)
    n = len(order)
    values = np.full((n, n), np.nan)
    significant = np.zeros((n, n), bool)
    for _, r in table.iterrows():
        if r.a in order and r.b in order:
            i, j = sorted((order.index(r.a), order.index(r.b)))
            values[i, j] = r.bliss
            significant[i, j] = r.bliss_low > 0 or r.bliss_high < 0
    with drawing(ax, synergy_heatmap_size(order)) as ax:
        finite = np.abs(values[np.isfinite(values)])
        limit = max(float(finite.max()) if finite.size else 0.0, 0.05)
        cmap = colormaps["PuOr_r"]
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=-limit, vmax=limit)
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:+.2f}" + ("*" if significant[i, j] else ""),
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=label_colour(v, -limit, limit, cmap),
                )
        ax.set_xticks(range(n), order, rotation=40, ha="right")
        ax.set_yticks(range(n), order)
        ax.spines[:].set_visible(False)
        ax.figure.colorbar(
            image, ax=ax, fraction=0.04, pad=0.02, label="Bliss excess (> 0: synergy; * 95% CI excludes 0)"
        )
    return ax


def dose_response(table: pd.DataFrame, fits: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Efficiency relative to the control at each dose (95% CI) with the fitted Hill curve and IC50.

    Parameters
    ----------
    table
        One row per target and dose with ``target``, ``dose``, ``ratio``, ``lfc_low``
        and ``lfc_high`` (as :meth:`metastasim.screen.ScreenResult.dose_response` gives).
    fits
        One row per target (the index) with ``ic50`` and ``hill`` (as
        :meth:`metastasim.screen.ScreenResult.ic50` gives); a target without a finite
        Hill slope has its points joined instead of a curve.
    ax
        Axes to draw on (default: a new figure of :data:`DOSE_RESPONSE_SIZE`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    targets = list(dict.fromkeys(table["target"]))
    markers = ("o", "s", "^", "D", "v", "P")
    with drawing(ax, DOSE_RESPONSE_SIZE) as ax:
        grid = np.linspace(0, 1, 201)
        for k, target in enumerate(targets):
            g = table[table["target"] == target].sort_values("dose")
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            ratio = g["ratio"].to_numpy()
            low, high = 2.0 ** g["lfc_low"].to_numpy(), 2.0 ** g["lfc_high"].to_numpy()
            ax.errorbar(
                g["dose"],
                ratio,
                yerr=[np.clip(ratio - low, 0, None), np.clip(high - ratio, 0, None)],
                fmt=markers[k % len(markers)],
                color=colour,
                capsize=3,
                label=target,
            )
            ic50, hill = (
                (fits.at[target, "ic50"], fits.at[target, "hill"]) if target in fits.index else (math.nan, math.nan)
            )
            if math.isfinite(hill):
                ax.plot(grid, 1.0 / (1.0 + (np.maximum(grid, 1e-12) / ic50) ** hill), color=colour, linewidth=1.2)
                ax.axvline(ic50, color=colour, linestyle=":", linewidth=1.0)
            else:
                ax.plot(g["dose"], ratio, color=colour, linewidth=1.0, alpha=0.6)
        ax.axhline(0.5, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_xlabel("dose (fraction of the drug's maximal effect)")
        ax.set_ylabel("metastatic efficiency / control")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.25)
        ax.legend(frameon=False, fontsize=9, loc="upper right")
    return ax


def _stage_cells(table: pd.DataFrame, arms: list[str], stages: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The ``[arm, stage]`` log2 changes and their labels ("none", "+0.2", "-1.5*" or blank)."""
    values = np.full((len(arms), len(stages)), np.nan)
    labels = np.full(values.shape, "", dtype=object)
    for r in table[table["arm"].isin(arms)].itertuples():
        i, j = arms.index(r.arm), stages.index(r.stage)
        values[i, j] = r.log2
        sure = (r.log2_low > 0 or r.log2_high < 0) if np.isfinite(r.log2) else False
        labels[i, j] = (
            ("none" if r.log2 == -np.inf else f"{r.log2:+.1f}" + ("*" if sure else "")) if not np.isnan(r.log2) else ""
        )
    return values, labels


def stage_heatmap(table: pd.DataFrame, arms: Sequence[str], *, ax: Axes | None = None) -> Axes:
    """Where each target acts: log2 change of each stage's pass fraction (columns) for each arm of ``arms`` (rows).

    Parameters
    ----------
    table
        Long table with ``arm``, ``stage``, ``log2``, ``log2_low``, ``log2_high``
        (as :meth:`metastasim.screen.ScreenResult.stage_effects` gives).
    arms
        Rows, in order; arms the table lacks are left out.
    ax
        Axes to draw on (default: a new figure of :func:`stage_heatmap_size`).

    Returns
    -------
    matplotlib.axes.Axes
        Cells are marked * where the 95% CI excludes 0; a stage no cell of the arm
        gets through reads "none" (log2 change of minus infinity), one the arm's cells
        never reach is left blank.
    """
    stages = list(dict.fromkeys(table["stage"]))
    arms = [a for a in arms if a in set(table["arm"])]
    values, labels = _stage_cells(table, arms, stages)
    with drawing(ax, stage_heatmap_size(table, arms)) as ax:
        finite = np.abs(values[np.isfinite(values)])
        limit = max(min(float(finite.max()) if finite.size else 0.0, 4.0), 0.5)
        cmap = colormaps["PuOr_r"]
        shown = np.clip(np.where(np.isneginf(values), -limit, values), -limit, limit)
        image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
        for (i, j), text in np.ndenumerate(labels):
            if text:
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color=label_colour(shown[i, j], -limit, limit, cmap),
                )
        ax.set_xticks(range(len(stages)), stages, rotation=35, ha="right")
        ax.set_yticks(range(len(arms)), arms)
        ax.spines[:].set_visible(False)
        ax.figure.colorbar(
            image,
            ax=ax,
            fraction=0.035,
            pad=0.02,
            label="log2 change of the stage's pass fraction\n(< 0: fewer cells through; * 95% CI excludes 0)",
        )
    return ax
