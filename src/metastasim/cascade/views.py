"""What both cascade estimators' results show: the funnel figure and a compact HTML summary.

:class:`~metastasim.cascade.CascadeResult` and
:class:`~metastasim.cascade.SplittingResult` answer the same questions
(``stage_table()``, ``efficiency``, ``efficiency_ci95``), so both take their
pictures from one mixin, :class:`CascadeViews`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metastasim.cascade.spec import CascadeSpec
from metastasim.display import summary_html

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CascadeViews", "size_in_words"]


def size_in_words(result) -> str:
    """How many cells (direct) or clones (splitting) a cascade result was estimated from."""
    if result.estimator == "splitting":
        return f"{result.cells:,} clones per stage in {result.replicates} replicates"
    return f"{result.cells:,} cells"


class CascadeViews:
    """The pictures of a cascade result (mixed into both estimators' result classes)."""

    def plot_funnel(self, *, spec: CascadeSpec | None = None, ax: Axes | None = None) -> Axes:
        """The fraction of all cells still in after each stage, log scale, with 95% CIs.

        Parameters
        ----------
        spec
            The cascade that was run: its calibration anchors of this mode (measured
            fractions, e.g. Luzzi 1998 for the experimental mode) are drawn beside the
            simulated ones (default: none drawn).
        ax
            Matplotlib axes to draw on (default: a new figure).

        Returns
        -------
        matplotlib.axes.Axes
            Its first line holds 1 (all cells) then the ``cumulative`` column of
            ``stage_table()``; stages no cell got through are left out and marked "none".

        Examples
        --------
        >>> from metastasim.models import load_model
        >>> from metastasim.cascade import load_cascade, run_cascade
        >>> spec = load_cascade()
        >>> result = run_cascade(load_model(), spec, mode="experimental", cells=2000, seed=1, estimator="splitting")
        >>> ax = result.plot_funnel(spec=spec)
        >>> [t.get_text() for t in ax.get_xticklabels()][:2]
        ['start', 'circulation']
        """
        from metastasim import plots
        from metastasim.cascade.run import compare_anchors

        anchors = compare_anchors(spec, self) if spec is not None else []
        return plots.funnel(self.stage_table(), anchors, title=f"{self.mode} ({size_in_words(self)})", ax=ax)

    def __repr__(self) -> str:
        """One line: mode, estimator, size, efficiency with its 95% CI, seed, perturbations."""
        low, high = self.efficiency_ci95
        return (
            f"{type(self).__name__}(mode={self.mode!r}, estimator={self.estimator!r}, size={size_in_words(self)!r}, "
            f"efficiency={self.efficiency:.4g}, ci95=({low:.4g}, {high:.4g}), seed={self.seed}, "
            f"perturbations={self.perturbations!r}, stages={len(self.stages)})"
        )

    def _repr_html_(self) -> str:
        """Mode, estimator, size, efficiency with its 95% CI, seed, and the stage table."""
        low, high = self.efficiency_ci95
        facts = {
            "mode": self.mode,
            "estimator": self.estimator,
            "size": size_in_words(self),
            "efficiency": self.efficiency,
            "95% CI": f"{low:.4g} to {high:.4g}" if high == high else "undefined: no clone got through",
            "seed": self.seed,
            "perturbations": ", ".join(self.perturbations) or "none",
            "model hash": self.model_hash[:12],
        }
        title = "metastasim cascade result"
        if getattr(self, "viable_only", False):
            return summary_html(
                title,
                facts,
                caption="only the cells that could form a metastasis were simulated (viable_only): no stage table",
            )
        columns = ["context", "fraction", "ci95_low", "ci95_high", "cumulative", "cumulative_low", "cumulative_high"]
        return summary_html(title, facts, self.stage_table()[columns])
