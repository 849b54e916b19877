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

import numpy as np
import pandas as pd

from metastasim.cascade.stats import binomial_ci
from metastasim.screen.evaluate import NORMAL_CONTEXT, ScreenParams, unpack_bits
from metastasim.screen.scores import fit_ic50, paired_counts, paired_log2_ratio, synergy

__all__ = ["ScreenResult", "SINGLE_KINDS"]

SINGLE_KINDS = ("knockout", "overexpression", "drug")


@dataclass
class ScreenResult:
    """A screen's arms (as stored: key, kind, target, dose, members, perturbations, payload) and its parameters.

    ``rank_mode`` (the first mode screened) is the cascade the ranking reads.
    """

    params: ScreenParams
    arms: Sequence[dict]
    run_id: int = 0
    run_key: str = ""
    model_hash: str = ""
    store: str = ""
    computed: int = 0          # arms simulated by this call (the rest came from the store)
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
        """How many cells of arm ``key`` formed a metastasis in ``mode`` (default: the ranked mode)."""
        return len(self._by_key[key]["payload"]["modes"][mode or self.rank_mode]["metastatic"])

    def _metastatic(self, key: str, mode: str) -> np.ndarray:
        return np.asarray(self._by_key[key]["payload"]["modes"][mode]["metastatic"], np.int64)

    def _normal(self, key: str) -> np.ndarray:
        return unpack_bits(self._by_key[key]["payload"]["normal_fit"], self.params.samples)

    # -- one row per arm ------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """Every arm: efficiency (exact 95% CI) and its log2 change (95% CI) per mode, normal-cell readout, score."""
        control_normal = self._normal("control")
        rows = []
        for arm in self.arms:
            row = {"arm": arm["key"], "kind": arm["kind"], "target": arm["target"], "dose": arm["dose"],
                   "perturbations": "; ".join(arm["perturbations"])}
            for mode in self.params.modes:
                cells = self.params.cells_of(mode)
                control, treated = self._metastatic("control", mode), self._metastatic(arm["key"], mode)
                lfc = paired_log2_ratio(*paired_counts(control, treated))
                low, high = binomial_ci(len(treated), cells)
                row.update({f"{mode}_metastatic": len(treated), f"{mode}_efficiency": len(treated) / cells,
                            f"{mode}_efficiency_low": low, f"{mode}_efficiency_high": high,
                            f"{mode}_lfc": lfc.estimate, f"{mode}_lfc_low": lfc.low, f"{mode}_lfc_high": lfc.high})
            normal = self._normal(arm["key"])
            sel = paired_log2_ratio(*paired_counts(np.flatnonzero(control_normal), np.flatnonzero(normal)))
            row.update({"normal_fit": float(normal.mean()), "normal_lfc": sel.estimate,
                        "normal_lfc_low": sel.low, "normal_lfc_high": sel.high})
            ctx = arm["payload"]["contexts"][NORMAL_CONTEXT]
            base = self._by_key["control"]["payload"]["contexts"][NORMAL_CONTEXT]
            row["normal_proliferation_change"] = ctx["Proliferation"] - base["Proliferation"]
            row["normal_apoptosis_change"] = ctx["Apoptosis"] - base["Apoptosis"]
            # observed ratios (the log-fold changes add 0.5 to an empty arm: a bound, right for a CI, not a share)
            base_count = len(self._metastatic("control", self.rank_mode))
            count = row[f"{self.rank_mode}_metastatic"]
            prevented = 1.0 - count / base_count if base_count else math.nan
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
        t = t.sort_values(["score", f"{self.rank_mode}_lfc_high", "arm"], ascending=[False, True, True],
                          kind="stable").set_index("arm")
        t.insert(0, "rank", np.arange(1, len(t) + 1))
        return t

    # -- pairs, doses, phenotypes ---------------------------------------------------------
    def synergy(self, *, boot: int = 2000) -> pd.DataFrame:
        """Each pair: efficiency ratios of its members and itself, Bliss and HSA excess with 95% CIs (ranked mode)."""
        mode = self.rank_mode
        control = self._metastatic("control", mode)
        rows = []
        for arm in (a for a in self.arms if a["kind"] == "pair"):
            a_key, b_key = arm["members"]
            if a_key not in self._by_key or b_key not in self._by_key:
                continue
            s = synergy(control, self._metastatic(a_key, mode), self._metastatic(b_key, mode),
                        self._metastatic(arm["key"], mode), cells=self.params.cells_of(mode), boot=boot,
                        seed=[self.params.seed, zlib.crc32(arm["key"].encode())])
            rows.append({"pair": arm["key"], "a": a_key, "b": b_key, "f_a": s.f_a, "f_b": s.f_b, "f_ab": s.f_ab,
                         "bliss": s.bliss, "bliss_low": s.bliss_low, "bliss_high": s.bliss_high,
                         "hsa": s.hsa, "hsa_low": s.hsa_low, "hsa_high": s.hsa_high})
        columns = ["pair", "a", "b", "f_a", "f_b", "f_ab", "bliss", "bliss_low", "bliss_high", "hsa", "hsa_low",
                   "hsa_high"]
        t = pd.DataFrame(rows, columns=columns)
        return t.sort_values(["bliss", "bliss_low"], ascending=False, kind="stable").set_index("pair")

    def dose_response(self) -> pd.DataFrame:
        """Each dosed target at each dose (0 = control): efficiency ratio and its log2 change with CI (ranked mode)."""
        mode = self.rank_mode
        control = self._metastatic("control", mode)
        targets = {a["target"] for a in self.arms if a["kind"] == "dose"}
        rows = []
        for target in sorted(targets):
            rows.append({"target": target, "dose": 0.0, "ratio": 1.0, "lfc": 0.0, "lfc_low": 0.0, "lfc_high": 0.0})
            for arm in self.arms:
                if arm["target"] != target or arm["kind"] not in ("dose", "drug"):
                    continue
                treated = self._metastatic(arm["key"], mode)
                lfc = paired_log2_ratio(*paired_counts(control, treated))
                ratio = len(treated) / len(control) if len(control) else math.nan  # no control cell: no ratio
                rows.append({"target": target, "dose": arm["dose"], "ratio": ratio,
                             "lfc": lfc.estimate, "lfc_low": lfc.low, "lfc_high": lfc.high})
        t = pd.DataFrame(rows, columns=["target", "dose", "ratio", "lfc", "lfc_low", "lfc_high"])
        return t.drop_duplicates(["target", "dose"]).sort_values(["target", "dose"], kind="stable").reset_index(drop=True)

    def ic50(self) -> pd.DataFrame:
        """A Hill fit per dosed target: IC50 (dose halving the efficiency; NaN if no dose did; the lowest dose with
        ``ic50_below`` if that one already did), Hill slope, max effect."""
        rows = []
        for target, group in self.dose_response().groupby("target", sort=True):
            fit = fit_ic50(group["dose"], group["ratio"])
            rows.append({"target": target, "ic50": fit.ic50, "ic50_below": fit.below, "hill": fit.hill,
                         "max_effect": fit.max_effect})
        columns = ["target", "ic50", "ic50_below", "hill", "max_effect"]
        return pd.DataFrame(rows, columns=columns).set_index("target")

    def phenotypes(self) -> pd.DataFrame:
        """Long table: arm, context, phenotype, probability, change from the control."""
        base = self._by_key["control"]["payload"]["contexts"]
        rows = [{"arm": arm["key"], "context": ctx, "phenotype": p, "probability": v, "change": v - base[ctx][p]}
                for arm in self.arms for ctx, values in arm["payload"]["contexts"].items() for p, v in values.items()]
        return pd.DataFrame(rows, columns=["arm", "context", "phenotype", "probability", "change"])

    def to_dict(self) -> dict:
        """JSON-ready: parameters, provenance, ranking, pairs, dose fits (NaN as null)."""
        def records(df: pd.DataFrame, index: str | None) -> list[dict]:
            df = df.reset_index() if index else df
            return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                    for r in df.to_dict(orient="records")]

        return {
            "run": self.run_id, "run_key": self.run_key, "store": self.store, "model_hash": self.model_hash,
            "params": self.params.to_dict(), "rank_mode": self.rank_mode, "arms": len(self.arms),
            "computed": self.computed, "elapsed_s": round(self.elapsed, 3),
            "ranking": records(self.ranking(), "arm"),
            "synergy": records(self.synergy(), "pair"),
            "dose_response": records(self.dose_response(), None),
            "ic50": records(self.ic50(), "target"),
        }
