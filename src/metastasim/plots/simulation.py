"""Figures of simulations: node probabilities over time, final states, phenotypes across contexts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes

from metastasim.plots.style import OKABE_ITO, drawing, label_colour

__all__ = [
    "trajectory",
    "piechart",
    "phenotype_heatmap",
    "time_courses",
    "TRAJECTORY_SIZE",
    "piechart_size",
    "phenotype_heatmap_size",
    "time_courses_size",
]

#: Size (inches) of :func:`trajectory` when it makes its own figure.
TRAJECTORY_SIZE = (6.4, 3.6)
_LINE_STYLES = ("-", "--", "-.", ":")
_OTHERS_COLOUR = "#DDDDDD"
_LEGEND_ROWS = 18  # entries per legend column of the pie chart


def _wedges(probabilities: pd.Series, top: int) -> int:
    """How many wedges :func:`piechart` draws: ``top`` and "others", or every state when at most one is left."""
    return min(len(probabilities), top + 1)


def piechart_size(probabilities: pd.Series, top: int = 8) -> tuple[float, float]:
    """Size (inches) of :func:`piechart`: room for the pie and its legend (a column per 18 states, as wide as the
    longest name)."""
    n = _wedges(probabilities, top)
    longest = max((len(str(k)) for k in probabilities.index[:n]), default=0) + len(" (00.0%)")
    column = 0.5 + 0.06 * longest  # about 0.06 inch a character at 8.5 points
    return 4.2 + column * math.ceil(n / _LEGEND_ROWS), max(4.0, 0.22 * min(n, _LEGEND_ROWS) + 0.6)


def phenotype_heatmap_size(table: pd.DataFrame) -> tuple[float, float]:
    """Size (inches) of :func:`phenotype_heatmap` for ``table``."""
    return 1.0 + 0.85 * table.shape[1], 0.9 + 0.42 * table.shape[0]


def time_courses_size(courses: Mapping[str, pd.DataFrame], groups: Mapping) -> tuple[float, float]:
    """Size (inches) of :func:`time_courses`."""
    return 3.6 * len(courses) + 2.2, 3.0 * len(groups)


def _lines(ax: Axes, table: pd.DataFrame, entries: Sequence[tuple[str, str, str, str]]) -> None:
    """One line per ``(node, label, colour, line style)`` of ``entries``, probabilities on a 0-1 axis."""
    marker = "o" if len(table) < 2 else None  # a single time window is a point, not a line
    for node, label, colour, style in entries:
        ax.plot(table.index, table[node], color=colour, linestyle=style, linewidth=1.6, label=label, marker=marker)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.25)


def trajectory(table: pd.DataFrame, nodes: Sequence[str] | None = None, *, ax: Axes | None = None) -> Axes:
    """Probability of each node being on over time, one line per node.

    Parameters
    ----------
    table
        One row per time (the index), one column per node, as
        :meth:`metastasim.engine.Result.node_probabilities` gives.
    nodes
        Columns to draw, in legend order (default: all).  Colours repeat after nine
        nodes, with another line style.
    ax
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"A": [0.0, 0.5, 0.8], "B": [1.0, 0.6, 0.3]}, index=[0.0, 1.0, 2.0])
    >>> [line.get_label() for line in trajectory(t).get_lines()]
    ['A', 'B']
    """
    nodes = list(table.columns if nodes is None else nodes)
    missing = [n for n in nodes if n not in table.columns]
    if missing:
        raise KeyError(f"not in the table: {', '.join(missing)}")
    n = len(OKABE_ITO)
    with drawing(ax, TRAJECTORY_SIZE) as ax:
        _lines(
            ax,
            table,
            [(node, node, OKABE_ITO[k % n], _LINE_STYLES[k // n % len(_LINE_STYLES)]) for k, node in enumerate(nodes)],
        )
        ax.set_xlabel(f"{table.index.name or 'time'}")
        ax.set_ylabel("probability on")
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=8.5)
    return ax


def piechart(probabilities: pd.Series, *, top: int = 8, ax: Axes | None = None) -> Axes:
    """The distribution of final states as a pie: the ``top`` most likely states, the rest as one "others" wedge.

    Parameters
    ----------
    probabilities
        Probability of each state (index: the state's name), as
        :meth:`metastasim.engine.Result.final_state_distribution` gives.
    top
        States drawn on their own; the others are grouped (only when more than one
        is left).
    ax
        Axes to draw on (default: a new figure of :func:`piechart_size`).

    Returns
    -------
    matplotlib.axes.Axes
        Its wedges (``ax.patches``) carry the states' names as labels, in the legend's order.

    Examples
    --------
    >>> p = pd.Series({"EMT": 0.5, "<nil>": 0.3, "Apoptosis": 0.15, "Dormancy": 0.05})
    >>> [w.get_label() for w in piechart(p, top=2).patches]
    ['EMT', '<nil>', 'others']
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    p = probabilities.sort_values(ascending=False, kind="stable")
    shown = p.iloc[:top] if _wedges(p, top) < len(p) else p
    values = list(shown.to_numpy(dtype=float))
    labels = [str(k) for k in shown.index]
    palette = [c for c in OKABE_ITO if c != "#999999"]
    colours = [palette[k % len(palette)] for k in range(len(shown))]
    if len(shown) < len(p):
        values.append(float(p.iloc[top:].sum()))
        labels.append("others")
        colours.append(_OTHERS_COLOUR)
    with drawing(ax, piechart_size(p, top)) as ax:
        wedges, *_ = ax.pie(
            values,
            colors=colours,
            startangle=90,
            counterclock=False,
            autopct=lambda pct: f"{pct:.0f}%" if pct >= 4 else "",
            pctdistance=0.75,
            wedgeprops={"edgecolor": "white", "linewidth": 1.0},
            textprops={"fontsize": 8.5},
        )
        for wedge, label in zip(wedges, labels):
            wedge.set_label(label)
        ax.legend(
            handles=wedges,
            labels=[f"{name} ({v:.1%})" for name, v in zip(labels, values)],
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            frameon=False,
            fontsize=8.5,
            ncol=math.ceil(len(wedges) / _LEGEND_ROWS),
        )
        ax.set_aspect("equal")
        ax.set_anchor("W")  # the pie on the left, its legend right beside it
    return ax


def phenotype_heatmap(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Phenotypes (rows) x contexts (columns): probability of the phenotype at the end of the run.

    Parameters
    ----------
    table
        Probabilities in 0-1, rows and columns labelled.
    ax
        Axes to draw on (default: a new figure of :func:`phenotype_heatmap_size`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    with drawing(ax, phenotype_heatmap_size(table)) as ax:
        cmap = colormaps["cividis"]
        image = ax.imshow(table.values, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(table.shape[1]), [c.replace("_", " ") for c in table.columns], rotation=35, ha="right")
        ax.set_yticks(range(table.shape[0]), table.index)
        for (i, j), v in np.ndenumerate(table.values):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9, color=label_colour(v, 0, 1, cmap))
        ax.spines[:].set_visible(False)
        ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="probability at the end of the run")
    return ax


def time_courses(
    courses: Mapping[str, pd.DataFrame],
    groups: Mapping[str, Mapping[str, Sequence[str]]],
    *,
    axes: np.ndarray | None = None,
) -> np.ndarray:
    """One row per group of nodes (e.g. the UPR arms, glutamine metabolism), one column per context.

    Parameters
    ----------
    courses
        Context name -> node probabilities over time (as :func:`trajectory` reads).
    groups
        Row title -> ``{sub-group: nodes}``; nodes of one sub-group (an arm of the
        UPR) share a line style, each node of a row has its own colour; nodes a table
        lacks are left out.
    axes
        ``[groups, contexts]`` array of axes to draw on (default: a new figure of
        :func:`time_courses_size`, axes shared).

    Returns
    -------
    numpy.ndarray
        The ``[groups, contexts]`` axes.
    """
    contexts = list(courses)
    with drawing(
        axes,
        time_courses_size(courses, groups),
        nrows=len(groups),
        ncols=len(contexts),
        sharex=True,
        sharey=True,
        squeeze=False,
    ) as axes:
        for row, (title, subgroups) in enumerate(groups.items()):
            for col, ctx in enumerate(contexts):
                ax = axes[row, col]
                table = courses[ctx]
                entries = [
                    (node, f"{node} ({sub})" if sub else node, _LINE_STYLES[s % len(_LINE_STYLES)])
                    for s, (sub, nodes) in enumerate(subgroups.items())
                    for node in nodes
                    if node in table.columns
                ]
                _lines(
                    ax,
                    table,
                    [
                        (node, label, OKABE_ITO[k % len(OKABE_ITO)], style)
                        for k, (node, label, style) in enumerate(entries)
                    ],
                )
                if row == 0:
                    ax.set_title(ctx.replace("_", " "))
                if col == 0:
                    ax.set_ylabel(f"{title}\nprobability on")
                if row == len(groups) - 1:
                    ax.set_xlabel("time (h)")
            axes[row, -1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, fontsize=8.5)
    return axes
