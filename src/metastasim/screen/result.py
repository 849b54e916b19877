"""Tables of a finished screen, scored from the raw outcomes kept in the store.

Every table is tidy (one row per arm, or per arm and context) and carries the seed
and sample sizes; the ranking is also written as CSV by ``metastasim screen --out`` and
``metastasim results --csv``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from metastasim.errors import NothingToPlotError
from metastasim.screen.effects import effect, is_splitting, replicate_synergy, stage_log2
from metastasim.screen.evaluate import NORMAL_CONTEXT, ScreenParams, unpack_bits
from metastasim.screen.scores import fit_ic50, paired_counts, paired_log2_ratio, synergy

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ScreenResult", "SINGLE_KINDS"]

SINGLE_KINDS = ("knockout", "overexpression", "drug")


@dataclass
class ScreenResult:
    """A screen's arms (as stored: key, kind, target, dose, members, perturbations, payload) and its parameters.

    ``rank_mode`` (the first mode screened) is the cascade the ranking reads.
    """

    params: ScreenParams
    arms: Sequence[dict] = field(repr=False)  # payloads are large: the repr gives the rest
    run_id: int = 0
    run_key: str = ""
    model_hash: str = ""
    store: str = ""
    computed: int = 0  # arms simulated by this call (the rest came from the store)
    elapsed: float = 0.0
    _by_key: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # one order whatever order the arms finished in (back-ends differ): control, then by kind and key
        self.arms = sorted(self.arms, key=lambda a: (a["key"] != "control", a["kind"], a["key"]))
        self._by_key = {a["key"]: a for a in self.arms}
        if "control" not in self._by_key:
            raise ValueError("a screen result needs its control arm")

    @property
    def rank_mode(self) -> str:
        return self.params.modes[0]

    def metastatic_cells(self, key: str, mode: str | None = None) -> int:
        """How many cells of arm ``key`` formed a metastasis in ``mode`` (default: the ranked mode; direct modes)."""
        return len(self._by_key[key]["payload"]["modes"][mode or self.rank_mode]["metastatic"])

    def _mode(self, key: str, mode: str) -> dict:
        return self._by_key[key]["payload"]["modes"][mode]

    def effect(self, key: str, mode: str | None = None):
        """Arm ``key``'s :class:`~metastasim.screen.effects.Effect` against the control in ``mode`` [ranked]."""
        mode = mode or self.rank_mode
        return effect(self._mode("control", mode), self._mode(key, mode))

    @property
    def stages_mode(self) -> str | None:
        """The mode whose per-stage changes the tables carry: the ranked one if splitting estimated it, else the
        first that splitting did (None: no mode has per-stage estimates)."""
        modes = sorted(self.params.modes, key=lambda m: m != self.rank_mode)
        return next((m for m in modes if is_splitting(self._mode("control", m))), None)

    def stage_effects(self) -> pd.DataFrame:
        """Long table: arm, stage, log2 change of the stage's pass fraction against the control, 95% CI."""
        mode = self.stages_mode
        rows = []
        if mode is not None:
            control = self._mode("control", mode)
            for arm in self.arms:
                for stage, (v, lo, hi) in stage_log2(control, self._mode(arm["key"], mode)).items():
                    rows.append(
                        {
                            "arm": arm["key"],
                            "kind": arm["kind"],
                            "mode": mode,
                            "stage": stage,
                            "log2": v,
                            "log2_low": lo,
                            "log2_high": hi,
                        }
                    )
        return pd.DataFrame(rows, columns=["arm", "kind", "mode", "stage", "log2", "log2_low", "log2_high"])

    def _metastatic(self, key: str, mode: str) -> np.ndarray:
        return np.asarray(self._by_key[key]["payload"]["modes"][mode]["metastatic"], np.int64)

    def _normal(self, key: str) -> np.ndarray:
        return unpack_bits(self._by_key[key]["payload"]["normal_fit"], self.params.samples)

    # -- one row per arm ------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """Every arm: efficiency (95% CI) and its log2 change (95% CI) per mode, per-stage log2 changes,
        normal-cell readout, score.

        ``{mode}_metastatic`` counts cells in a mode estimated directly (NaN under
        splitting); ``log2_{stage}`` (with ``_low``, ``_high``) is the change of the
        stage's pass fraction in :attr:`stages_mode`.
        """
        control_normal = self._normal("control")
        stages = self.stage_effects()
        by_arm = {k: g for k, g in stages.groupby("arm", sort=False)} if len(stages) else {}
        rows = []
        for arm in self.arms:
            row = {
                "arm": arm["key"],
                "kind": arm["kind"],
                "target": arm["target"],
                "dose": arm["dose"],
                "perturbations": "; ".join(arm["perturbations"]),
            }
            for mode in self.params.modes:
                e = self.effect(arm["key"], mode)
                row.update(
                    {
                        f"{mode}_metastatic": e.metastatic,
                        f"{mode}_efficiency": e.efficiency,
                        f"{mode}_efficiency_low": e.efficiency_low,
                        f"{mode}_efficiency_high": e.efficiency_high,
                        f"{mode}_lfc": e.lfc,
                        f"{mode}_lfc_low": e.lfc_low,
                        f"{mode}_lfc_high": e.lfc_high,
                    }
                )
            for r in by_arm.get(arm["key"], pd.DataFrame()).itertuples():
                row.update(
                    {f"log2_{r.stage}": r.log2, f"log2_{r.stage}_low": r.log2_low, f"log2_{r.stage}_high": r.log2_high}
                )
            normal = self._normal(arm["key"])
            sel = paired_log2_ratio(*paired_counts(np.flatnonzero(control_normal), np.flatnonzero(normal)))
            row.update(
                {
                    "normal_fit": float(normal.mean()),
                    "normal_lfc": sel.estimate,
                    "normal_lfc_low": sel.low,
                    "normal_lfc_high": sel.high,
                }
            )
            ctx = arm["payload"]["contexts"][NORMAL_CONTEXT]
            base = self._by_key["control"]["payload"]["contexts"][NORMAL_CONTEXT]
            row["normal_proliferation_change"] = ctx["Proliferation"] - base["Proliferation"]
            row["normal_apoptosis_change"] = ctx["Apoptosis"] - base["Apoptosis"]
            # observed ratios (the log-fold changes add 0.5 to an empty arm: a bound, right for a CI, not a share)
            prevented = 1.0 - self.effect(arm["key"]).ratio
            base_fit = float(control_normal.mean())
            spared = min(1.0, row["normal_fit"] / base_fit) if base_fit > 0 else math.nan
            row["prevented"] = prevented
            row["spared"] = spared
            # no normal cell proliferating in the control: selectivity undefined, the score is the effect alone
            row["score"] = prevented * spared if prevented > 0 and math.isfinite(spared) else prevented
            row["seed"] = self.params.seed
            rows.append(row)
        return pd.DataFrame(rows).set_index("arm")

    def ranking(self) -> pd.DataFrame:
        """Single targets and drugs, best first.

        ``score`` = fraction of the control's metastases prevented (``1 - treated /
        control`` cells in the ranked mode; NaN without any in the control) times the
        fraction of normal cells spared (proliferating and alive in ``normoxia``,
        relative to the control, at most 1); arms that raise the
        efficiency keep their negative ``prevented`` as score.  Ties are broken by the
        upper end of the log-fold change's CI (more certainly lower first).
        """
        t = self.table()
        t = t[t["kind"].isin(SINGLE_KINDS)].rename_axis("arm").reset_index()
        t = t.sort_values(
            ["score", f"{self.rank_mode}_lfc_high", "arm"], ascending=[False, True, True], kind="stable"
        ).set_index("arm")
        t.insert(0, "rank", np.arange(1, len(t) + 1))
        return t

    # -- pairs, doses, phenotypes ---------------------------------------------------------
    def synergy(self, *, boot: int = 2000) -> pd.DataFrame:
        """Each pair: efficiency ratios of its members and itself, Bliss and HSA excess with 95% CIs (ranked mode)."""
        mode = self.rank_mode
        rows = []
        for arm in (a for a in self.arms if a["kind"] == "pair"):
            a_key, b_key = arm["members"]
            if a_key not in self._by_key or b_key not in self._by_key:
                continue
            if is_splitting(self._mode("control", mode)):
                s = replicate_synergy(*(self._mode(k, mode) for k in ("control", a_key, b_key, arm["key"])))
            else:
                s = synergy(
                    *(self._metastatic(k, mode) for k in ("control", a_key, b_key, arm["key"])),
                    cells=self.params.cells_of(mode),
                    boot=boot,
                    seed=[self.params.seed, zlib.crc32(arm["key"].encode())],
                )
            rows.append(
                {
                    "pair": arm["key"],
                    "a": a_key,
                    "b": b_key,
                    "f_a": s.f_a,
                    "f_b": s.f_b,
                    "f_ab": s.f_ab,
                    "bliss": s.bliss,
                    "bliss_low": s.bliss_low,
                    "bliss_high": s.bliss_high,
                    "hsa": s.hsa,
                    "hsa_low": s.hsa_low,
                    "hsa_high": s.hsa_high,
                }
            )
        columns = [
            "pair",
            "a",
            "b",
            "f_a",
            "f_b",
            "f_ab",
            "bliss",
            "bliss_low",
            "bliss_high",
            "hsa",
            "hsa_low",
            "hsa_high",
        ]
        t = pd.DataFrame(rows, columns=columns)
        return t.sort_values(["bliss", "bliss_low"], ascending=False, kind="stable").set_index("pair")

    def dose_response(self) -> pd.DataFrame:
        """Each dosed target at each dose (0 = control): efficiency ratio and its log2 change with CI (ranked mode)."""
        targets = {a["target"] for a in self.arms if a["kind"] == "dose"}
        rows = []
        for target in sorted(targets):
            rows.append({"target": target, "dose": 0.0, "ratio": 1.0, "lfc": 0.0, "lfc_low": 0.0, "lfc_high": 0.0})
            for arm in self.arms:
                if arm["target"] != target or arm["kind"] not in ("dose", "drug"):
                    continue
                e = self.effect(arm["key"])  # no metastasis in the control: no ratio (nan)
                rows.append(
                    {
                        "target": target,
                        "dose": arm["dose"],
                        "ratio": e.ratio,
                        "lfc": e.lfc,
                        "lfc_low": e.lfc_low,
                        "lfc_high": e.lfc_high,
                    }
                )
        t = pd.DataFrame(rows, columns=["target", "dose", "ratio", "lfc", "lfc_low", "lfc_high"])
        return (
            t.drop_duplicates(["target", "dose"]).sort_values(["target", "dose"], kind="stable").reset_index(drop=True)
        )

    def ic50(self) -> pd.DataFrame:
        """A Hill fit per dosed target: IC50 (dose halving the efficiency; NaN if no dose did; the lowest dose with
        ``ic50_below`` if that one already did), Hill slope, max effect."""
        rows = []
        for target, group in self.dose_response().groupby("target", sort=True):
            fit = fit_ic50(group["dose"], group["ratio"])
            rows.append(
                {
                    "target": target,
                    "ic50": fit.ic50,
                    "ic50_below": fit.below,
                    "hill": fit.hill,
                    "max_effect": fit.max_effect,
                }
            )
        columns = ["target", "ic50", "ic50_below", "hill", "max_effect"]
        return pd.DataFrame(rows, columns=columns).set_index("target")

    def phenotypes(self) -> pd.DataFrame:
        """Long table: arm, context, phenotype, probability, change from the control."""
        base = self._by_key["control"]["payload"]["contexts"]
        rows = [
            {"arm": arm["key"], "context": ctx, "phenotype": p, "probability": v, "change": v - base[ctx][p]}
            for arm in self.arms
            for ctx, values in arm["payload"]["contexts"].items()
            for p, v in values.items()
        ]
        return pd.DataFrame(rows, columns=["arm", "context", "phenotype", "probability", "change"])

    def _ranking_records(self, records) -> list[dict]:
        """Ranking rows, each with ``stage_log2`` and ``stage_log2_ci95``.

        ``stage_log2`` maps each stage to its log2 change, ``stage_log2_ci95`` to its [low, high].
        """
        rows = records(self.ranking(), "arm")
        stages = [s for s in self.stage_effects()["stage"].unique()] if self.stages_mode else []
        for row in rows:
            row["stage_log2"] = {s: row.pop(f"log2_{s}") for s in stages}
            row["stage_log2_ci95"] = {s: [row.pop(f"log2_{s}_low"), row.pop(f"log2_{s}_high")] for s in stages}
        return rows

    def to_dict(self) -> dict:
        """JSON-ready: parameters, provenance, ranking, pairs, dose fits (NaN as null)."""

        def records(df: pd.DataFrame, index: str | None) -> list[dict]:
            df = df.reset_index() if index else df
            return [
                {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                for r in df.to_dict(orient="records")
            ]

        return {
            "run": self.run_id,
            "run_key": self.run_key,
            "store": self.store,
            "model_hash": self.model_hash,
            "params": self.params.to_dict(),
            "rank_mode": self.rank_mode,
            "arms": len(self.arms),
            "computed": self.computed,
            "elapsed_s": round(self.elapsed, 3),
            "ranking": self._ranking_records(records),
            "stages_mode": self.stages_mode,
            "synergy": records(self.synergy(), "pair"),
            "dose_response": records(self.dose_response(), None),
            "ic50": records(self.ic50(), "target"),
        }

    # -- pictures ------------------------------------------------------------
    @property
    def other_mode(self) -> str | None:
        """The mode screened beside the ranked one (None when only one was)."""
        return next((m for m in self.params.modes if m != self.rank_mode), None)

    def _check_control(self) -> None:
        """Raise when the control has no metastasis in the ranked mode: no change can be measured from it."""
        if not self.effect("control", self.rank_mode).efficiency > 0:
            raise NothingToPlotError(
                f"the control formed no metastasis in the {self.rank_mode} cascade, so no arm's change can be "
                "measured: screen more cells"
            )

    def plot_ranking(self, *, top: int = 20, ax: Axes | None = None) -> Axes:
        """The ``top`` arms of :meth:`ranking`: log2 change of metastatic efficiency (95% CI), coloured by normal
        cells spared, the other mode's change as a tick beside each.

        Parameters
        ----------
        top
            Arms drawn, best first (at the top).
        ax
            Matplotlib axes to draw on (default: a new figure).

        Returns
        -------
        matplotlib.axes.Axes
            Its y tick labels read ``"rank. arm"`` in the ranking's order.

        Raises
        ------
        NothingToPlotError
            When the control formed no metastasis (too few cells), so no change is defined.

        Examples
        --------
        >>> from metastasim.models import load_drugs, load_model
        >>> from metastasim.cascade import load_cascade
        >>> from metastasim.screen import ScreenParams, run_screen, singles
        >>> model, drugs = load_model(), load_drugs()
        >>> params = ScreenParams(cells=20_000, modes=("experimental",), samples=50, seed=1)
        >>> screen = run_screen(model, load_cascade(), singles(model, drugs, ["ATF4", "ITGB1"]), params)
        >>> ax = screen.plot_ranking()
        >>> len(ax.get_yticklabels())
        2
        """
        from metastasim import plots

        self._check_control()
        return plots.ranking(self.ranking(), self.rank_mode, self.other_mode, top=top, ax=ax)

    def plot_synergy(self, *, ax: Axes | None = None) -> Axes:
        """Bliss excess of each pair (:meth:`synergy`) as a heat map over the pairs' members, in ranking order.

        Parameters
        ----------
        ax
            Matplotlib axes to draw on (default: a new figure).

        Returns
        -------
        matplotlib.axes.Axes
            Its image holds the Bliss excess of the pair of row ``i`` and column ``j``
            (``i < j``); cells are marked * where the 95% CI excludes 0.

        Raises
        ------
        NothingToPlotError
            When the screen has no pairs (run it with :func:`metastasim.screen.pairs`), or
            its control formed no metastasis.
        """
        from metastasim import plots

        table = self.synergy()
        members = {k for pair in table.itertuples() for k in (pair.a, pair.b)}
        order = [k for k in self.ranking().index if k in members]
        if len(order) < 2:
            raise NothingToPlotError(
                "this screen has no pairs of ranked arms: add them with "
                "metastasim.screen.pairs (metastasim screen --pairs)"
            )
        self._check_control()
        return plots.synergy_heatmap(table, order, ax=ax)

    def _repr_html_(self) -> str:
        from metastasim.display import summary_html

        p, mode = self.params, self.rank_mode
        unit = {"splitting": "clones per stage", "direct": "cells"}
        facts = {
            "run": self.run_id,
            "arms": len(self.arms),
            "ranked mode": mode,
            "modes": ", ".join(f"{m} ({p.cells_of(m):,} {unit[p.estimator_of(m)]})" for m in p.modes),
            "seed": p.seed,
            "model hash": self.model_hash[:12],
        }
        ranking = self.ranking()
        columns = [
            "rank",
            "kind",
            f"{mode}_efficiency",
            f"{mode}_lfc",
            f"{mode}_lfc_low",
            f"{mode}_lfc_high",
            "prevented",
            "spared",
            "score",
        ]
        return summary_html(
            "metastasim screen result",
            facts,
            ranking.head(10)[columns],
            caption=f"the {min(10, len(ranking))} best of {len(ranking)} ranked arms",
        )
