"""The report's figures, drawn with matplotlib and returned as SVG text.

Colours are the Okabe-Ito palette for categories and cividis / a purple-orange
diverging map for values, all distinguishable with the common colour-vision
deficiencies; line styles and markers repeat the distinction where it matters.
Figures are drawn on :class:`matplotlib.figure.Figure` objects, never through pyplot,
so building a report leaves the caller's matplotlib backend and figures alone.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from metastasim.screen.scores import fit_ic50

__all__ = ["OKABE_ITO", "svg", "subplots", "phenotype_heatmap", "time_courses", "funnel", "enrichment", "ranking",
           "synergy_heatmap", "dose_response", "stage_heatmap"]

#: Okabe & Ito (2008) colour-blind-safe palette (its yellow darkened: lines on white must stay visible).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999", "#9C8500")
_STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: small, selectable, drawn in the reader's sans-serif
    "svg.hashsalt": "metastasim",  # the same figure gives the same SVG
}


def svg(fig) -> str:
    """The figure as standalone SVG text (no XML prolog; scales with its container)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def subplots(figsize: tuple[float, float], **kwargs):
    """A figure and its axes, without pyplot (no global state, no backend switch)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(**kwargs)


def _label_colour(value: float, vmin: float, vmax: float, cmap) -> str:
    r, g, b, _ = cmap((value - vmin) / (vmax - vmin) if vmax > vmin else 0.5)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def phenotype_heatmap(table: pd.DataFrame) -> str:
    """Phenotypes (rows) x contexts (columns): probability of the phenotype at the end of the run."""
    with rc_context(_STYLE):
        fig, ax = subplots((1.0 + 0.85 * table.shape[1], 0.9 + 0.42 * table.shape[0]))
        cmap = colormaps["cividis"]
        image = ax.imshow(table.values, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(table.shape[1]), [c.replace("_", " ") for c in table.columns], rotation=35, ha="right")
        ax.set_yticks(range(table.shape[0]), table.index)
        for (i, j), v in np.ndenumerate(table.values):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9, color=_label_colour(v, 0, 1, cmap))
        ax.spines[:].set_visible(False)
        fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="probability at the end of the run")
        return svg(fig)


def time_courses(courses: dict[str, pd.DataFrame], groups: dict[str, dict[str, tuple[str, ...]]]) -> str:
    """One row per group of nodes (e.g. the UPR arms, glutamine metabolism), one column per context.

    ``groups`` maps a row title to ``{sub-group: nodes}``; nodes of one sub-group (an
    arm of the UPR) share a line style, each node has its own colour.
    """
    contexts = list(courses)
    styles = ("-", "--", "-.", ":")
    with rc_context(_STYLE):
        fig, axes = subplots((3.6 * len(contexts) + 2.2, 3.0 * len(groups)), nrows=len(groups), ncols=len(contexts),
                             sharex=True, sharey=True, squeeze=False)
        for row, (title, subgroups) in enumerate(groups.items()):
            for col, ctx in enumerate(contexts):
                ax = axes[row, col]
                table = courses[ctx]
                k = 0
                for s, (sub, nodes) in enumerate(subgroups.items()):
                    for node in (n for n in nodes if n in table.columns):
                        ax.plot(table.index, table[node], color=OKABE_ITO[k % len(OKABE_ITO)],
                                linestyle=styles[s % len(styles)], linewidth=1.6, label=f"{node} ({sub})" if sub
                                else node)
                        k += 1
                ax.set_ylim(-0.02, 1.02)
                ax.grid(alpha=0.25)
                if row == 0:
                    ax.set_title(ctx.replace("_", " "))
                if col == 0:
                    ax.set_ylabel(f"{title}\nprobability on")
                if row == len(groups) - 1:
                    ax.set_xlabel("time (h)")
            axes[row, -1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=8.5)
        fig.tight_layout()
        return svg(fig)


def funnel(stages: dict[str, pd.DataFrame], anchors: dict[str, list[dict]], titles: dict[str, str] | None = None) -> str:
    """Per mode: the fraction of all cells through each stage (log scale, 95% CIs) and the measured anchors.

    ``titles`` names each panel (default: the mode and, for counted cells, how many).
    """
    modes = list(stages)
    with rc_context(_STYLE):
        fig, axes = subplots((5.4 * len(modes), 4.0), nrows=1, ncols=len(modes), squeeze=False)
        for ax, mode in zip(axes[0], modes):
            t = stages[mode]
            x = np.arange(len(t) + 1)
            y = np.concatenate([[1.0], t["cumulative"].to_numpy()])
            lo = np.concatenate([[1.0], t["cumulative_low"].to_numpy()])
            hi = np.concatenate([[1.0], t["cumulative_high"].to_numpy()])
            shown = y > 0
            ax.fill_between(x, np.maximum(lo, 1e-9), hi, color=OKABE_ITO[0], alpha=0.18, linewidth=0,
                            label="95% CI")
            ax.plot(x[shown], y[shown], "o-", color=OKABE_ITO[0], label="simulated")
            for xi in x[~shown]:
                ax.annotate("none", (xi, hi[xi]), textcoords="offset points", xytext=(0, -12), ha="center",
                            fontsize=8)
            for k, a in enumerate(anchors.get(mode, [])):
                xi = 1 + list(t.index).index(a["stage"])
                ax.plot([xi], [a["measured"]], "D", markersize=8, markerfacecolor="none", markeredgewidth=1.6,
                        color=OKABE_ITO[5], label=f"measured ({a['citation'] or a['reference']})" if k == 0 else None)
            ax.set_yscale("log")
            ax.set_xticks(x, ["start"] + list(t.index), rotation=35, ha="right")
            ax.set_ylabel("fraction of all cells still in")
            ax.set_title((titles or {}).get(mode) or (f"{mode} ({int(t['entered'].iloc[0]):,} cells)"
                                                     if "entered" in t else mode))
            ax.grid(alpha=0.25, which="both", axis="y")
            ax.legend(frameon=False, fontsize=8.5, loc="lower left")
        fig.tight_layout()
        return svg(fig)


def enrichment(tables: dict[str, pd.DataFrame]) -> str:
    """Odds ratio (log scale, 95% CI) of forming a metastasis for carriers of each alteration, per mode."""
    modes = list(tables)
    names = list(dict.fromkeys(a for t in tables.values() for a in t.index))
    markers = ("o", "s", "^")
    with rc_context(_STYLE):
        fig, ax = subplots((7.0, 0.9 + 0.45 * len(names)))
        finite = [v for t in tables.values() for v in (*t["ci95_low"], *t["ci95_high"], *t["odds_ratio"])
                  if np.isfinite(v) and v > 0]
        lo_lim, hi_lim = (min(finite) / 1.5, max(finite) * 1.5) if finite else (0.1, 10.0)
        lo_lim, hi_lim = min(lo_lim, 0.5), max(hi_lim, 2.0)
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
        ax.legend([Line2D([], [], color=OKABE_ITO[m], marker=markers[m % 3]) for m in range(len(modes))], modes,
                  frameon=False, fontsize=9, loc="lower right")
        ax.grid(alpha=0.25, axis="x", which="both")
        fig.tight_layout()
        return svg(fig)


def ranking(table: pd.DataFrame, mode: str, other: str | None = None, top: int = 20) -> str:
    """Best single targets: log2 change of metastatic efficiency (95% CI), coloured by normal cells spared.

    An arm with no metastasis left (a log2 change of minus infinity, from splitting) is
    drawn as a left-pointing marker at the left edge, labelled "none left".
    """
    t = table.head(top).copy()
    columns = [f"{m}_lfc{s}" for m in (mode, other) if m for s in ("", "_low", "_high")]
    values = t[columns].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    edge = (float(finite.min()) if finite.size else 0.0) - 1.0
    abolished = t[f"{mode}_lfc"].to_numpy(dtype=float) == -np.inf
    t[columns] = t[columns].replace(-np.inf, edge)
    with rc_context(_STYLE):
        fig, ax = subplots((8.0, 1.0 + 0.34 * len(t)))
        cmap = colormaps["cividis"].with_extremes(bad="#FFFFFF")  # selectivity undefined: an open marker
        y = np.arange(len(t))
        for yi, (_, r) in zip(y, t.iterrows()):
            ax.plot([r[f"{mode}_lfc_low"], r[f"{mode}_lfc_high"]], [yi, yi], color="#444444", linewidth=1.2)
            if other is not None:
                ax.plot([r[f"{other}_lfc"]], [yi + 0.22], "|", color=OKABE_ITO[5], markersize=7, markeredgewidth=1.6)
        spared = t["spared"].to_numpy(dtype=float)
        points = ax.scatter(t[f"{mode}_lfc"][~abolished], y[~abolished], c=spared[~abolished], cmap=cmap, vmin=0,
                            vmax=1, s=46, zorder=3, plotnonfinite=True, edgecolors="black", linewidths=0.5)
        if abolished.any():
            ax.scatter(np.full(abolished.sum(), edge), y[abolished], c=spared[abolished], cmap=cmap, vmin=0, vmax=1,
                       s=60, marker="<", zorder=3, plotnonfinite=True, edgecolors="black", linewidths=0.5)
            for yi in y[abolished]:
                ax.annotate("none left", (edge, yi), textcoords="offset points", xytext=(8, -3), fontsize=7.5)
        if other is not None:
            ax.plot([], [], "|", color=OKABE_ITO[5], markersize=7, markeredgewidth=1.6, label=f"{other} cascade")
            ax.plot([], [], "o", color="#888888", markeredgecolor="black", label=f"{mode} cascade (95% CI)")
            ax.legend(frameon=False, fontsize=8.5, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
        ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_yticks(y, [f"{r['rank']}. {arm}" for arm, r in t.iterrows()])
        ax.invert_yaxis()
        ax.set_xlabel("log2 change of metastatic efficiency vs control")
        ax.grid(alpha=0.25, axis="x")
        fig.colorbar(points, ax=ax, fraction=0.035, pad=0.02, label="normal cells spared (selectivity)")
        fig.tight_layout()
        return svg(fig)


def synergy_heatmap(table: pd.DataFrame, order: list[str]) -> str:
    """Bliss excess of each pair of ``order`` (upper triangle), marked where its 95% CI excludes 0."""
    n = len(order)
    values = np.full((n, n), np.nan)
    significant = np.zeros((n, n), bool)
    for _, r in table.iterrows():
        if r.a in order and r.b in order:
            i, j = sorted((order.index(r.a), order.index(r.b)))
            values[i, j] = r.bliss
            significant[i, j] = r.bliss_low > 0 or r.bliss_high < 0
    with rc_context(_STYLE):
        fig, ax = subplots((2.2 + 0.75 * n, 1.6 + 0.6 * n))
        finite = np.abs(values[np.isfinite(values)])
        limit = max(float(finite.max()) if finite.size else 0.0, 0.05)
        cmap = colormaps["PuOr_r"]
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=-limit, vmax=limit)
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:+.2f}" + ("*" if significant[i, j] else ""), ha="center", va="center",
                        fontsize=8.5, color=_label_colour(v, -limit, limit, cmap))
        ax.set_xticks(range(n), order, rotation=40, ha="right")
        ax.set_yticks(range(n), order)
        ax.spines[:].set_visible(False)
        fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02,
                     label="Bliss excess (> 0: synergy; * 95% CI excludes 0)")
        fig.tight_layout()
        return svg(fig)


def dose_response(table: pd.DataFrame) -> str:
    """Efficiency relative to the control at each dose (95% CI) with the fitted Hill curve and IC50."""
    targets = list(dict.fromkeys(table["target"]))
    markers = ("o", "s", "^", "D", "v", "P")
    with rc_context(_STYLE):
        fig, ax = subplots((6.8, 4.2))
        grid = np.linspace(0, 1, 201)
        for k, target in enumerate(targets):
            g = table[table["target"] == target].sort_values("dose")
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            ratio = g["ratio"].to_numpy()
            low, high = 2.0 ** g["lfc_low"].to_numpy(), 2.0 ** g["lfc_high"].to_numpy()
            ax.errorbar(g["dose"], ratio, yerr=[np.clip(ratio - low, 0, None), np.clip(high - ratio, 0, None)],
                        fmt=markers[k % len(markers)], color=colour, capsize=3, label=target)
            fit = fit_ic50(g["dose"], g["ratio"])
            if math.isfinite(fit.hill):
                ax.plot(grid, 1.0 / (1.0 + (np.maximum(grid, 1e-12) / fit.ic50) ** fit.hill), color=colour,
                        linewidth=1.2)
                ax.axvline(fit.ic50, color=colour, linestyle=":", linewidth=1.0)
            else:
                ax.plot(g["dose"], ratio, color=colour, linewidth=1.0, alpha=0.6)
        ax.axhline(0.5, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_xlabel("dose (fraction of the drug's maximal effect)")
        ax.set_ylabel("metastatic efficiency / control")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.25)
        ax.legend(frameon=False, fontsize=9, loc="upper right")
        fig.tight_layout()
        return svg(fig)


def stage_heatmap(table: pd.DataFrame, arms: list[str]) -> str:
    """Where each target acts: log2 change of each stage's pass fraction (columns) for each arm of ``arms`` (rows).

    ``table`` is :meth:`~metastasim.screen.ScreenResult.stage_effects` (long: arm,
    stage, log2, log2_low, log2_high).  Cells are marked * where the 95% CI excludes
    0; a stage no cell of the arm gets through reads "none" (log2 change of minus
    infinity), one the arm's cells never reach is left blank.
    """
    stages = list(dict.fromkeys(table["stage"]))
    arms = [a for a in arms if a in set(table["arm"])]
    values = np.full((len(arms), len(stages)), np.nan)
    labels = np.full(values.shape, "", dtype=object)
    for r in table[table["arm"].isin(arms)].itertuples():
        i, j = arms.index(r.arm), stages.index(r.stage)
        values[i, j] = r.log2
        sure = (r.log2_low > 0 or r.log2_high < 0) if np.isfinite(r.log2) else False
        labels[i, j] = ("none" if r.log2 == -np.inf else f"{r.log2:+.1f}" + ("*" if sure else "")) \
            if not np.isnan(r.log2) else ""
    with rc_context(_STYLE):
        fig, ax = subplots((2.6 + 0.95 * len(stages), 1.0 + 0.32 * len(arms)))
        finite = np.abs(values[np.isfinite(values)])
        limit = max(min(float(finite.max()) if finite.size else 0.0, 4.0), 0.5)
        cmap = colormaps["PuOr_r"]
        shown = np.clip(np.where(np.isneginf(values), -limit, values), -limit, limit)
        image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
        for (i, j), text in np.ndenumerate(labels):
            if text:
                ax.text(j, i, text, ha="center", va="center", fontsize=7.5,
                        color=_label_colour(shown[i, j], -limit, limit, cmap))
        ax.set_xticks(range(len(stages)), stages, rotation=35, ha="right")
        ax.set_yticks(range(len(arms)), arms)
        ax.spines[:].set_visible(False)
        fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02,
                     label="log2 change of the stage's pass fraction\n(< 0: fewer cells through; * 95% CI excludes 0)")
        fig.tight_layout()
        return svg(fig)
