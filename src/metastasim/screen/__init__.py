"""Screens: rank single targets, drugs, pairs and doses by how much they cut metastatic efficiency.

Built on the cascade (:mod:`metastasim.cascade`): every arm is simulated on the same
cells, its raw outcomes go to a SQLite store as soon as they exist, and scores
(log-fold changes, Bliss and HSA excess, IC50) are computed from what is stored.
"""

from metastasim.screen.arms import CONTROL, Arm, dose_series, gene_nodes, pairs, resolve_targets, singles
from metastasim.screen.evaluate import NORMAL_CONTEXT, ScreenParams, evaluate_arm
from metastasim.screen.result import ScreenResult
from metastasim.screen.run import load_result, run_screen
from metastasim.screen.scores import DoseFit, Interval, Synergy, fit_ic50, paired_log2_ratio, synergy
from metastasim.screen.store import ResultStore

__all__ = [
    "Arm",
    "CONTROL",
    "singles",
    "pairs",
    "dose_series",
    "gene_nodes",
    "resolve_targets",
    "ScreenParams",
    "evaluate_arm",
    "NORMAL_CONTEXT",
    "run_screen",
    "load_result",
    "ScreenResult",
    "ResultStore",
    "paired_log2_ratio",
    "synergy",
    "fit_ic50",
    "Interval",
    "Synergy",
    "DoseFit",
]
