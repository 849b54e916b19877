"""What a robustness ensemble found: each target's rank and effect across the kept draws.

Every kept draw is a full screen of the targets (a :class:`~metastasim.screen.ScreenResult`);
this module reads their rankings side by side.  A target's *rank* in a draw is its place
in that draw's ranking (1: best); its *effect* is the log2 change of the metastatic
efficiency in the ranked cascade mode (``{mode}_lfc`` of the ranking).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["RobustnessResult"]


def _num(x):
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _quantile(effects: pd.DataFrame, q: float) -> pd.Series:
    """Row quantiles (linear interpolation) where a log2 change of minus infinity (none left) stays minus infinity.

    numpy interpolates between -inf and a number as nan; any positive weight on -inf is -inf.
    """
    floor = -1e300
    out = effects.replace(-np.inf, floor).quantile(q, axis=1)
    return out.mask(out < -1e290, -np.inf)


@dataclass
class RobustnessResult:
    """A finished ensemble.

    Attributes
    ----------
    table
        The draws: one row per draw (index ``draw``), one column per uncertain number.
    validation
        Per draw: validation ``score``, whether it was ``kept``, the facts the nominal
        model reproduces that it ``broke``, and those it ``gained`` (``;``-separated ids).
    screens
        The screen of each kept draw by draw number, and the nominal one under ``-1``.
    """

    table: pd.DataFrame
    validation: pd.DataFrame
    screens: dict
    top: int = 10
    tolerance: float = 0.05
    seed: int = 1
    method: str = "lhs"
    params: object = None
    facts: int = 0
    validation_samples: int = 0
    computed: int = 0  # tasks simulated by this call (the rest came from the store)
    elapsed: float = 0.0
    store: str = ""
    _rankings: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rankings = {i: s.ranking() for i, s in self.screens.items()}

    # -- the pieces ---------------------------------------------------------------
    @property
    def rank_mode(self) -> str:
        return self.screens[-1].rank_mode

    @property
    def kept(self) -> list[int]:
        """Numbers of the kept draws."""
        return [int(i) for i in self.validation.index[self.validation["kept"]]]

    @property
    def dropped(self) -> pd.DataFrame:
        """The draws the behavioural filter dropped, with their score and the facts they broke."""
        return self.validation[~self.validation["kept"]]

    @property
    def nominal_score(self) -> float:
        return float(self.validation.attrs.get("nominal_score", math.nan))

    def nominal(self) -> pd.DataFrame:
        """The nominal model's ranking (:meth:`metastasim.screen.ScreenResult.ranking`)."""
        return self._rankings[-1]

    def ranks(self) -> pd.DataFrame:
        """Rank of each target (rows, in nominal order) in each kept draw (columns)."""
        order = self.nominal().index
        return pd.DataFrame({i: self._rankings[i]["rank"] for i in self.kept}, index=order, columns=self.kept)

    def effects(self) -> pd.DataFrame:
        """log2 change of the metastatic efficiency of each target (rows) in each kept draw (columns)."""
        order, col = self.nominal().index, f"{self.rank_mode}_lfc"
        return pd.DataFrame({i: self._rankings[i][col] for i in self.kept}, index=order, columns=self.kept)

    # -- the summaries ------------------------------------------------------------
    def targets(self) -> pd.DataFrame:
        """Per target: nominal rank and effect, median rank, top-K fraction, log2 median with its 5-95% range.

        ``top_fraction`` is the fraction of kept draws in which the target is among the
        first ``top``; ``log2_low``/``log2_high`` the 5th and 95th percentiles of its effect
        across the kept draws (linear interpolation).  Sorted by median rank, then
        nominal rank.
        """
        ranks, effects, nominal = self.ranks(), self.effects(), self.nominal()
        n = ranks.shape[1]
        with np.errstate(all="ignore"):
            out = pd.DataFrame(
                {
                    "nominal_rank": nominal["rank"],
                    "nominal_log2": nominal[f"{self.rank_mode}_lfc"],
                    "median_rank": ranks.median(axis=1) if n else math.nan,
                    "top_fraction": (ranks <= self.top).mean(axis=1) if n else math.nan,
                    "log2_median": effects.median(axis=1) if n else math.nan,
                    "log2_low": _quantile(effects, 0.05) if n else math.nan,
                    "log2_high": _quantile(effects, 0.95) if n else math.nan,
                },
                index=nominal.index,
            )
        out.index.name = "target"
        return out.sort_values(["median_rank", "nominal_rank"], kind="stable")

    def agreement(self) -> pd.DataFrame:
        """Per kept draw: Kendall's tau of its ranking against the nominal one, and the top-K overlap (0 to 1)."""
        nominal = self.nominal()["rank"]
        best = set(nominal.index[nominal <= self.top])
        rows = []
        for i in self.kept:
            r = self._rankings[i]["rank"].reindex(nominal.index)
            tau = stats.kendalltau(nominal.to_numpy(), r.to_numpy())[0] if len(r) > 1 else math.nan
            rows.append(
                {
                    "draw": i,
                    "tau": float(tau),
                    "overlap": len(best & set(r.index[r <= self.top])) / max(1, len(best)),
                }
            )
        return pd.DataFrame(rows, columns=["draw", "tau", "overlap"]).set_index("draw")

    def summary(self) -> dict:
        """Counts and medians: draws, kept, dropped, median tau and overlap."""
        a = self.agreement()
        return {
            "draws": len(self.table),
            "kept": len(self.kept),
            "dropped": len(self.table) - len(self.kept),
            "tau_median": float(a["tau"].median()) if len(a) else math.nan,
            "overlap_median": float(a["overlap"].median()) if len(a) else math.nan,
        }

    def to_dict(self) -> dict:
        """JSON-ready: ``draws``, ``kept``, ``targets[]`` (``median_rank``, ``top_fraction``, ``log2_median``,
        ``log2_low``, ``log2_high``, ...), per-draw details and the settings."""
        s = self.summary()
        agreement = self.agreement()
        targets = self.targets().reset_index()
        per_draw = []
        for i, row in self.table.iterrows():
            v = self.validation.loc[i]
            entry = {
                "draw": int(i),
                "values": {k: float(x) for k, x in row.items()},
                "score": float(v["score"]),
                "kept": bool(v["kept"]),
                "broken": [x for x in v["broken"].split(";") if x],
            }
            if i in agreement.index:
                entry["tau"] = _num(agreement.loc[i, "tau"])
                entry["overlap"] = _num(agreement.loc[i, "overlap"])
            per_draw.append(entry)
        return {
            "draws": s["draws"],
            "kept": s["kept"],
            "dropped": s["dropped"],
            "top": self.top,
            "tau_median": _num(s["tau_median"]),
            "overlap_median": _num(s["overlap_median"]),
            "targets": [{k: _num(x) for k, x in r.items()} for r in targets.to_dict(orient="records")],
            "draw_table": per_draw,
            "filter": {
                "nominal_score": self.nominal_score,
                "tolerance": self.tolerance,
                "facts": self.facts,
                "samples": self.validation_samples,
            },
            "seed": self.seed,
            "method": self.method,
            "rank_mode": self.rank_mode,
            "params": self.params.to_dict() if self.params is not None else None,
            "computed": self.computed,
            "elapsed": self.elapsed,
        }

    # -- sensitivity and plots ----------------------------------------------------
    def sensitivity(self, targets=None, *, top: int = 3, seed: int = 0):
        """First-order sensitivity of the best targets' effects to each uncertain number (RBD-FAST).

        See :func:`metastasim.robustness.sensitivity`; ``targets`` default: the ``top`` best
        by median rank.
        """
        from metastasim.robustness.sensitivity import sensitivity

        chosen = list(targets) if targets is not None else list(self.targets().index[:top])
        return sensitivity(self.table.loc[self.kept], self.effects().loc[chosen].T, seed=seed)

    def plot_rank_stability(self, ax: Axes | None = None, *, rows: int = 20) -> Axes:
        """Each of the best ``rows`` targets' rank across the kept draws, with its nominal rank."""
        from metastasim.plots import rank_stability

        order = list(self.targets().index[:rows])
        return rank_stability(self.ranks().loc[order], self.nominal()["rank"], top=self.top, ax=ax)

    def plot_sensitivity(self, ax: Axes | None = None, *, targets=None, top: int = 3) -> Axes:
        """Bar chart of :meth:`sensitivity`."""
        from metastasim.plots import sensitivity_bars

        return sensitivity_bars(self.sensitivity(targets, top=top), ax=ax)
