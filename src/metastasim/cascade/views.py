"""What both cascade estimators' results show: the funnel figure and a compact HTML summary.

:class:`~metastasim.cascade.CascadeResult` and
:class:`~metastasim.cascade.SplittingResult` answer the same questions
(``stage_table()``, ``efficiency``, ``efficiency_ci95``), so one function serves each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metastasim.cascade.spec import CascadeSpec
from metastasim.display import summary_html

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["size_in_words", "plot_funnel", "cascade_html"]


def size_in_words(result) -> str:
    """How many cells (direct) or clones (splitting) the result estimated from."""
    if result.estimator == "splitting":
        return f"{result.cells:,} clones per stage in {result.replicates} replicates"
    return f"{result.cells:,} cells"


def plot_funnel(result, *, spec: CascadeSpec | None = None, ax: Axes | None = None) -> Axes:
    """The fraction of all cells through each stage of ``result`` (log scale, 95% CIs), with ``spec``'s anchors."""
    from metastasim import plots
    from metastasim.cascade.run import compare_anchors

    anchors = compare_anchors(spec, result) if spec is not None else []
    return plots.funnel(result.stage_table(), anchors, title=f"{result.mode} ({size_in_words(result)})", ax=ax)


def cascade_html(result) -> str:
    """Mode, estimator, size, efficiency with its 95% CI, seed, and the stage table."""
    low, high = result.efficiency_ci95
    facts = {"mode": result.mode, "estimator": result.estimator, "size": size_in_words(result),
             "efficiency": result.efficiency, "95% CI": f"{low:.4g} to {high:.4g}", "seed": result.seed,
             "perturbations": ", ".join(result.perturbations) or "none", "model hash": result.model_hash[:12]}
    if getattr(result, "viable_only", False):
        return summary_html("metastasim cascade result", facts, caption="only the cells that could form a "
                            "metastasis were simulated (viable_only): no stage table")
    columns = ["context", "fraction", "ci95_low", "ci95_high", "cumulative", "cumulative_low", "cumulative_high"]
    return summary_html("metastasim cascade result", facts, result.stage_table()[columns])
