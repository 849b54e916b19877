"""Figures of tables and arrays, drawn with matplotlib; the one place metastasim draws.

Each function takes plain data (pandas tables, numpy arrays, mappings) and an
optional ``ax`` (a new pyplot figure when none is given, so that Jupyter shows it),
draws in the package's style and returns the matplotlib ``Axes`` (an array of them
for a multi-panel figure).  This package knows only numpy, pandas and matplotlib:
result objects offer ``plot_*`` methods that call it with their own tables, and the
HTML report (:mod:`metastasim.report.figures`) draws its figures with the same
functions and sizes (``*_size``, ``*_SIZE``).

Examples
--------
>>> import pandas as pd
>>> from metastasim import plots
>>> table = pd.DataFrame({"XBP1": [0.0, 0.4, 0.7]}, index=pd.Index([0.0, 1.0, 2.0], name="time"))
>>> ax = plots.trajectory(table)
>>> ax.get_xlabel(), ax.get_lines()[0].get_label()
('time', 'XBP1')
"""

from metastasim.plots.cascade import FUNNEL_SIZE, enrichment, enrichment_size, funnel
from metastasim.plots.robustness import rank_stability, rank_stability_size, sensitivity_bars, sensitivity_bars_size
from metastasim.plots.screen import (
    DOSE_RESPONSE_SIZE,
    dose_response,
    ranking,
    ranking_size,
    stage_heatmap,
    stage_heatmap_size,
    synergy_heatmap,
    synergy_heatmap_size,
)
from metastasim.plots.simulation import (
    TRAJECTORY_SIZE,
    phenotype_heatmap,
    phenotype_heatmap_size,
    piechart,
    piechart_size,
    time_courses,
    time_courses_size,
    trajectory,
)
from metastasim.plots.style import OKABE_ITO, STYLE, drawing, label_colour, new_axes, styled

__all__ = [
    "trajectory",
    "piechart",
    "phenotype_heatmap",
    "time_courses",
    "funnel",
    "enrichment",
    "ranking",
    "synergy_heatmap",
    "dose_response",
    "stage_heatmap",
    "rank_stability",
    "sensitivity_bars",
    "rank_stability_size",
    "sensitivity_bars_size",
    "TRAJECTORY_SIZE",
    "piechart_size",
    "phenotype_heatmap_size",
    "time_courses_size",
    "FUNNEL_SIZE",
    "enrichment_size",
    "ranking_size",
    "synergy_heatmap_size",
    "DOSE_RESPONSE_SIZE",
    "stage_heatmap_size",
    "OKABE_ITO",
    "STYLE",
    "styled",
    "drawing",
    "new_axes",
    "label_colour",
]
