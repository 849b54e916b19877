"""Figures of the metastatic cascade: the funnel of cells through its stages, enriched alterations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from metastasim.plots.style import OKABE_ITO, drawing

__all__ = ["funnel", "enrichment", "FUNNEL_SIZE", "enrichment_size"]

#: Size (inches) of one panel of :func:`funnel`.
FUNNEL_SIZE = (5.4, 4.0)


def enrichment_size(tables: Mapping[str, pd.DataFrame]) -> tuple[float, float]:
    """Size (inches) of :func:`enrichment`."""
    names = {a for t in tables.values() for a in t.index}
    return 7.0, 0.9 + 0.45 * len(names)


def funnel(
    table: pd.DataFrame, anchors: Sequence[Mapping] = (), *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """The fraction of all cells still in after each stage (log scale, 95% CI), and the measured anchors.

    Parameters
    ----------
    table
        One row per stage (the index), in order, with columns ``cumulative``,
        ``cumulative_low`` and ``cumulative_high`` (as a cascade result's
        ``stage_table()`` gives).
    anchors
        Measured fractions to compare with: mappings with ``stage``, ``measured``,
        ``citation`` and ``reference`` (as :func:`metastasim.cascade.compare_anchors`
        gives); drawn as open diamonds.
    title
        The panel's title (default: none).
    ax
        Axes to draw on (default: a new figure of :data:`FUNNEL_SIZE`).

    Returns
    -------
    matplotlib.axes.Axes
        The simulated fractions are its first line (``ax.get_lines()[0]``), starting
        at 1 for all cells; a stage no cell got through is left out and marked "none".

    Examples
    --------
    >>> t = pd.DataFrame({"cumulative": [0.5, 0.01], "cumulative_low": [0.4, 0.005],
    ...                   "cumulative_high": [0.6, 0.02]}, index=["leave", "grow"])
    >>> funnel(t).get_lines()[0].get_ydata().tolist()
    [1.0, 0.5, 0.01]
    """
    x = np.arange(len(table) + 1)
    y = np.concatenate([[1.0], table["cumulative"].to_numpy()])
    lo = np.concatenate([[1.0], table["cumulative_low"].to_numpy()])
    hi = np.concatenate([[1.0], table["cumulative_high"].to_numpy()])
    shown = y > 0
    # The band's floor: below every positive value drawn, so a small run's few cells are not squeezed.
    positive = np.concatenate([y[shown], lo[lo > 0], hi[np.isfinite(hi) & (hi > 0)]])
    floor = positive.min() / 10
    with drawing(ax, FUNNEL_SIZE) as ax:
        ax.fill_between(x, np.maximum(lo, floor), hi, color=OKABE_ITO[0], alpha=0.18, linewidth=0, label="95% CI")
        ax.plot(x[shown], y[shown], "o-", color=OKABE_ITO[0], label="simulated")
        for xi in x[~shown]:
            # at the interval's top when it has one, else just above the band's floor (a splitting run with no
            # clone left has no upper bound)
            at = hi[xi] if np.isfinite(hi[xi]) and hi[xi] > 0 else floor * 10
            ax.annotate("none", (xi, at), textcoords="offset points", xytext=(0, -12), ha="center", fontsize=8)
        for k, a in enumerate(anchors):
            xi = 1 + list(table.index).index(a["stage"])
            ax.plot(
                [xi],
                [a["measured"]],
                "D",
                markersize=8,
                markerfacecolor="none",
                markeredgewidth=1.6,
                color=OKABE_ITO[5],
                label=f"measured ({a['citation'] or a['reference']})" if k == 0 else None,
            )
        ax.set_yscale("log")
        ax.set_xticks(x, ["start"] + list(table.index), rotation=35, ha="right")
        ax.set_ylabel("fraction of all cells still in")
        if title is not None:
            ax.set_title(title)
        ax.grid(alpha=0.25, which="both", axis="y")
        ax.legend(frameon=False, fontsize=8.5, loc="lower left")
    return ax


def _limits(tables: Mapping[str, pd.DataFrame]) -> tuple[float, float]:
    """The odds-ratio axis: every finite positive value and 0.5 to 2 at least, with some room."""
    finite = [
        v
        for t in tables.values()
        for v in (*t["ci95_low"], *t["ci95_high"], *t["odds_ratio"])
        if np.isfinite(v) and v > 0
    ]
    lo_lim, hi_lim = (min(finite) / 1.5, max(finite) * 1.5) if finite else (0.1, 10.0)
    return min(lo_lim, 0.5), max(hi_lim, 2.0)


def enrichment(tables: Mapping[str, pd.DataFrame], *, ax: Axes | None = None) -> Axes:
    """Odds ratio (log scale, 95% CI) of forming a metastasis for carriers of each alteration, one colour per mode.

    Parameters
    ----------
    tables
        Mode -> one row per alteration (the index) with ``odds_ratio``, ``ci95_low``
        and ``ci95_high`` (a cascade result's ``enrichment()``).  An odds ratio of 0
        (no metastatic carrier) sits at the left edge, an infinite one at the right.
    ax
        Axes to draw on (default: a new figure of :func:`enrichment_size`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    modes = list(tables)
    names = list(dict.fromkeys(a for t in tables.values() for a in t.index))
    markers = ("o", "s", "^")
    with drawing(ax, enrichment_size(tables)) as ax:
        lo_lim, hi_lim = _limits(tables)
        for m, mode in enumerate(modes):
            t = tables[mode]
            offset = (m - (len(modes) - 1) / 2) * 0.25
            for i, name in enumerate(names):
                if name not in t.index:
                    continue
                r = t.loc[name]
                y = i + offset
                low = r.ci95_low if np.isfinite(r.ci95_low) and r.ci95_low > 0 else lo_lim
                high = r.ci95_high if np.isfinite(r.ci95_high) else hi_lim
                ax.plot([low, high], [y, y], color=OKABE_ITO[m], linewidth=1.5)
                est = r.odds_ratio
                if np.isfinite(est):  # an estimate of 0 (no metastatic carrier) sits at the left edge
                    ax.plot([max(est, lo_lim)], [y], markers[m % 3] if est > 0 else "<", color=OKABE_ITO[m])
                elif est == np.inf:  # every metastatic cell a carrier: at the right edge
                    ax.plot([hi_lim], [y], ">", color=OKABE_ITO[m])
        ax.axvline(1.0, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        ax.set_xlim(lo_lim, hi_lim)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.set_xlabel("odds ratio of forming a metastasis, carriers vs non-carriers (95% CI)")
        ax.legend(
            [Line2D([], [], color=OKABE_ITO[m], marker=markers[m % 3]) for m in range(len(modes))],
            modes,
            frameon=False,
            fontsize=9,
            loc="lower right",
        )
        ax.grid(alpha=0.25, axis="x", which="both")
    return ax
