"""The report's figures as SVG text, drawn by :mod:`metastasim.plots`.

Each function makes a figure of the size :mod:`metastasim.plots` gives, has the
plots function draw on it and returns the figure as SVG.  Figures are
:class:`matplotlib.figure.Figure` objects, never pyplot's, so building a report
leaves the caller's matplotlib backend and figures alone.
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from metastasim import plots
from metastasim.plots import OKABE_ITO
from metastasim.screen.scores import fit_ic50

__all__ = [
    "OKABE_ITO",
    "svg",
    "subplots",
    "phenotype_heatmap",
    "time_courses",
    "funnel",
    "enrichment",
    "ranking",
    "synergy_heatmap",
    "dose_response",
    "ic50_fits",
    "stage_heatmap",
    "rank_stability",
    "sensitivity_bars",
]


def svg(fig) -> str:
    """The figure as standalone SVG text (no XML prolog; scales with its container)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def subplots(figsize: tuple[float, float], **kwargs):
    """A figure and its axes, without pyplot (no global state, no backend switch)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(**kwargs)


def _drawn(figsize: tuple[float, float], draw, *, tight: bool = True, **kwargs) -> str:
    """SVG of a new figure of ``figsize`` on whose axes ``draw`` drew (in the plots' style)."""
    with rc_context(plots.STYLE):
        fig, axes = subplots(figsize, **kwargs)
        draw(axes)
        if tight:
            fig.tight_layout()
        return svg(fig)


def phenotype_heatmap(table: pd.DataFrame) -> str:
    """Phenotypes (rows) x contexts (columns): probability of the phenotype at the end of the run."""
    return _drawn(plots.phenotype_heatmap_size(table), lambda ax: plots.phenotype_heatmap(table, ax=ax), tight=False)


def time_courses(courses: dict[str, pd.DataFrame], groups: dict[str, dict[str, tuple[str, ...]]]) -> str:
    """One row per group of nodes (e.g. the UPR arms, glutamine metabolism), one column per context."""
    return _drawn(
        plots.time_courses_size(courses, groups),
        lambda axes: plots.time_courses(courses, groups, axes=axes),
        nrows=len(groups),
        ncols=len(courses),
        sharex=True,
        sharey=True,
        squeeze=False,
    )


def funnel(
    stages: dict[str, pd.DataFrame], anchors: dict[str, list[dict]], titles: dict[str, str] | None = None
) -> str:
    """Per mode, side by side: the fraction of all cells through each stage (log scale, 95% CIs) and the anchors.

    ``titles`` names each panel (default: the mode and, for counted cells, how many).
    """

    def draw(axes) -> None:
        for ax, (mode, t) in zip(axes[0], stages.items()):
            title = (titles or {}).get(mode) or (
                f"{mode} ({int(t['entered'].iloc[0]):,} cells)" if "entered" in t else mode
            )
            plots.funnel(t, anchors.get(mode, []), title=title, ax=ax)

    width, height = plots.FUNNEL_SIZE
    return _drawn((width * len(stages), height), draw, nrows=1, ncols=len(stages), squeeze=False)


def enrichment(tables: dict[str, pd.DataFrame]) -> str:
    """Odds ratio (log scale, 95% CI) of forming a metastasis for carriers of each alteration, per mode."""
    return _drawn(plots.enrichment_size(tables), lambda ax: plots.enrichment(tables, ax=ax))


def ranking(
    table: pd.DataFrame, mode: str, other: str | None = None, top: int = 20, spread: pd.DataFrame | None = None
) -> str:
    """Best single targets: log2 change of metastatic efficiency (95% CI), coloured by normal cells spared.

    ``spread`` (``low``, ``high`` per arm): the 5-95% range across parameter draws, drawn as a band.
    """
    return _drawn(
        plots.ranking_size(table, top), lambda ax: plots.ranking(table, mode, other, top=top, spread=spread, ax=ax)
    )


def synergy_heatmap(table: pd.DataFrame, order: list[str]) -> str:
    """Bliss excess of each pair of ``order`` (upper triangle), marked where its 95% CI excludes 0."""
    return _drawn(plots.synergy_heatmap_size(order), lambda ax: plots.synergy_heatmap(table, order, ax=ax))


def ic50_fits(table: pd.DataFrame) -> pd.DataFrame:
    """The Hill fit (``ic50``, ``hill``) of each target of a dose-response table, as the report draws it."""
    fits: dict[str, dict[str, float]] = {}
    for target in dict.fromkeys(table["target"]):
        g = table[table["target"] == target].sort_values("dose")
        fit = fit_ic50(g["dose"], g["ratio"])
        fits[target] = {"ic50": fit.ic50, "hill": fit.hill}
    return pd.DataFrame.from_dict(fits, orient="index", columns=["ic50", "hill"])


def dose_response(table: pd.DataFrame) -> str:
    """Efficiency relative to the control at each dose (95% CI) with the fitted Hill curve and IC50."""
    fits = ic50_fits(table)
    return _drawn(plots.DOSE_RESPONSE_SIZE, lambda ax: plots.dose_response(table, fits, ax=ax))


def stage_heatmap(table: pd.DataFrame, arms: list[str]) -> str:
    """Where each target acts: log2 change of each stage's pass fraction (columns) for each arm of ``arms`` (rows)."""
    return _drawn(plots.stage_heatmap_size(table, arms), lambda ax: plots.stage_heatmap(table, arms, ax=ax))


def rank_stability(ranks: pd.DataFrame, nominal: pd.Series, top: int) -> str:
    """Each target's rank in every kept draw of a robustness ensemble, its median and its nominal rank."""
    return _drawn(plots.rank_stability_size(ranks), lambda ax: plots.rank_stability(ranks, nominal, top=top, ax=ax))


def sensitivity_bars(table: pd.DataFrame, numbers: int = 6) -> str:
    """First-order sensitivity indices (RBD-FAST, 95% CI) of each output's ``numbers`` most influential inputs."""
    return _drawn(
        plots.sensitivity_bars_size(table, numbers), lambda ax: plots.sensitivity_bars(table, numbers=numbers, ax=ax)
    )
