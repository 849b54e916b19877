"""Simulate every fact and score the model.

Both arms of a fact run with the same seed, so trajectory ``k`` of the control and of
the test arm share their random numbers (common random numbers): the difference in
the readout is estimated from paired trajectories, with a much smaller standard error
than two independent runs.  A fact is reproduced when the readout's probability of
being on at ``max_time`` moves in the expected direction by at least ``min_effect``
and by at least ``z_min`` standard errors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metastasim._version import __version__
from metastasim.engine import compile_model, simulate
from metastasim.network.drugs import Drug
from metastasim.network.model import Model
from metastasim.network.perturbations import describe
from metastasim.validation.facts import Fact, check_facts
from metastasim.validation.invivo import TOLERANCE_LOG2, InVivoResult

__all__ = ["FactResult", "ValidationReport", "validate", "MIN_EFFECT", "Z_MIN", "CASCADE_MIN_RELATIVE"]

#: Smallest change in the readout's probability that counts as reproducing a fact.
MIN_EFFECT = 0.02
#: Smallest paired z-score that counts.
Z_MIN = 3.0
#: Cascade facts: smallest relative change of the fraction of cells through the readout stage.
CASCADE_MIN_RELATIVE = 0.1


@dataclass(frozen=True)
class FactResult:
    """How the model did on one fact."""

    fact: Fact
    control: float
    test: float
    se: float
    min_effect: float = MIN_EFFECT
    z_min: float = Z_MIN

    @property
    def delta(self) -> float:
        return self.test - self.control

    @property
    def z(self) -> float:
        if self.se == 0:
            return 0.0 if self.delta == 0 else float("inf") * np.sign(self.delta)
        return self.delta / self.se

    @property
    def observed(self) -> str:
        """``up``, ``down`` or ``none`` (no clear change)."""
        if abs(self.delta) < self.min_effect or abs(self.z) < self.z_min:
            return "none"
        return "up" if self.delta > 0 else "down"

    @property
    def reproduced(self) -> bool:
        return self.observed == self.fact.expected

    @property
    def status(self) -> str:
        if self.fact.known_failure:
            return "known failure (now passes)" if self.reproduced else "known failure"
        return "pass" if self.reproduced else "FAIL"


@dataclass
class ValidationReport:
    """The results of all facts, and the provenance of the run."""

    results: list[FactResult]
    samples: int
    seed: int
    model_hash: str
    elapsed: float
    version: str = __version__
    extra: dict = field(default_factory=dict)
    invivo: list[InVivoResult] = field(default_factory=list)

    @property
    def invivo_passed(self) -> int:
        return sum(r.reproduced for r in self.invivo)

    @property
    def invivo_score(self) -> float:
        """Fraction of the in-vivo (effect-size) facts the model matches within 2x."""
        return self.invivo_passed / len(self.invivo) if self.invivo else 0.0

    def invivo_table(self) -> pd.DataFrame:
        return pd.DataFrame([r.row() for r in self.invivo])

    @property
    def reproduced(self) -> int:
        return sum(r.reproduced for r in self.results)

    @property
    def score(self) -> float:
        """Fraction of all facts reproduced (known failures count as not reproduced)."""
        return self.reproduced / len(self.results) if self.results else 0.0

    @property
    def unexpected_failures(self) -> list[FactResult]:
        """Facts not reproduced that are not marked as known failures."""
        return [r for r in self.results if not r.reproduced and not r.fact.known_failure]

    def table(self) -> pd.DataFrame:
        rows = []
        for r in self.results:
            f = r.fact
            rows.append(
                {
                    "fact": f.id,
                    "level": f.level,
                    "context": f.where,
                    "perturbation": f.perturbation.describe(),
                    "baseline": f.baseline.describe(),
                    "readout": f.readout,
                    "expected": f.expected,
                    "control": r.control,
                    "test": r.test,
                    "change": r.delta,
                    "z": r.z,
                    "observed": r.observed,
                    "status": r.status,
                    "reference": f.reference.id,
                    "finding": f.finding,
                    "known_failure": f.known_failure,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        table = self.table()
        return {
            "score": self.score,
            "reproduced": self.reproduced,
            "facts": len(self.results),
            "known_failures": sum(bool(r.fact.known_failure) for r in self.results),
            "unexpected_failures": [r.fact.id for r in self.unexpected_failures],
            "samples": self.samples,
            "seed": self.seed,
            "model_hash": self.model_hash,
            "version": self.version,
            "min_effect": MIN_EFFECT,
            "cascade_min_relative": CASCADE_MIN_RELATIVE,
            "z_min": Z_MIN,
            "results": [
                {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
                for row in table.to_dict(orient="records")
            ],
            "invivo": {
                "passed": self.invivo_passed,
                "facts": len(self.invivo),
                "score": self.invivo_score,
                "tolerance_log2": TOLERANCE_LOG2,
                "results": [r.row() for r in self.invivo],
            },
        }


def validate(
    model: Model,
    facts: list[Fact],
    drugs: dict[str, Drug],
    *,
    samples: int = 10000,
    seed: int = 1,
    threads: int | None = None,
    cascade=None,
    progress: Callable[[int, int], None] | None = None,
    invivo_cells: int | None = None,
) -> ValidationReport:
    """Simulate both arms of every fact (each distinct arm once) and compare the readouts.

    Cell facts use ``samples`` trajectories per arm; cascade facts (which need
    ``cascade``, a :class:`~metastasim.cascade.CascadeSpec`) send their own number
    of cells through it, the same cells in both arms, and compare cell by cell.
    In-vivo facts compare the size of the change (log2 ratio of the efficiencies,
    splitting estimator, paired replicates) with the published one; ``invivo_cells``,
    when given, replaces every in-vivo fact's own working population.
    """
    started = time.perf_counter()
    check_facts(facts, model, drugs, cascade)
    compiled = compile_model(model)
    cascade_facts = [f for f in facts if f.level == "cascade"]
    cascade_plan = _cascade_plan(cascade_facts, model, drugs, cascade)
    invivo_facts = [f for f in facts if f.level == "invivo"]
    invivo_plan = _invivo_arms(invivo_facts, model, drugs, invivo_cells)
    arms: dict[tuple, int] = {}
    plan = []
    for fact in (f for f in facts if f.level == "cell"):
        control, test = fact.arms(model, drugs)
        keys = []
        for ctx, perts in (control, test):
            key = (ctx, tuple(sorted(describe(p) for p in perts)))
            arms.setdefault(key, len(arms))
            keys.append((key, ctx, perts))
        plan.append((fact, keys))
    finals: dict[tuple, np.ndarray] = {}
    todo = {key: (ctx, perts) for _, keys in plan for key, ctx, perts in keys}
    total = len(todo) + len(cascade_plan[1]) + len(invivo_plan[1])
    for i, (key, (_, perts)) in enumerate(todo.items()):
        # the context's inputs are already folded into ``perts`` by Fact.arms
        result = simulate(
            model,
            perts,
            sample_count=samples,
            seed=seed,
            threads=threads,
            compiled=compiled,
            keep_final_states=True,
            record_states=False,
        )
        finals[key] = result.final_states
        if progress is not None:
            progress(i + 1, total)
    by_fact = _run_cascade_arms(model, cascade, cascade_plan, seed, threads, compiled, progress, len(todo), total)
    index = {name: i for i, name in enumerate(model.nodes)}
    results = []
    for fact, ((c_key, _, _), (t_key, _, _)) in plan:
        i = index[model.resolve(fact.readout)]
        word, bit = i >> 6, np.uint64(i & 63)
        c = ((finals[c_key][:, word] >> bit) & np.uint64(1)).astype(np.int8)
        t = ((finals[t_key][:, word] >> bit) & np.uint64(1)).astype(np.int8)
        d = (t - c).astype(np.float64)
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
        results.append(FactResult(fact, float(c.mean()), float(t.mean()), se))
    results += by_fact
    order = {f.id: i for i, f in enumerate(facts)}
    results.sort(key=lambda r: order[r.fact.id])
    invivo = _run_invivo(
        model, cascade, invivo_facts, invivo_plan, seed, threads, progress, total - len(invivo_plan[1]), total
    )
    return ValidationReport(results, samples, seed, model.hash(), time.perf_counter() - started, invivo=invivo)


def _cascade_key(mode: str, cells: int, whole, treatment, start) -> tuple:
    """What identifies one arm of the cascade (cascade and in-vivo facts run each distinct arm once)."""
    return (
        mode,
        cells,
        tuple(sorted(describe(p) for p in whole)),
        tuple(sorted(describe(p) for p in treatment)),
        start,
    )


def _readout_stage(fact: Fact, cascade) -> str:
    """The stage a cascade or in-vivo fact reads (``efficiency``: the mode's last)."""
    return cascade.mode(fact.mode).stages[-1] if fact.readout == "efficiency" else fact.readout


def _invivo_arms(facts, model, drugs, cells):
    """``(keys, arms)``: per in-vivo fact the keys of its two arms; per distinct arm, what to run."""
    keys, arms = {}, {}
    for fact in facts:
        pair = []
        for whole, treatment, start in fact.cascade_arms(model, drugs):
            key = _cascade_key(fact.mode, cells or fact.cells, whole, treatment, start)
            arms.setdefault(key, (whole, treatment, start))
            pair.append(key)
        keys[fact.id] = tuple(pair)
    return keys, arms


def _run_invivo(model, cascade, facts, plan, seed, threads, progress, done, total) -> list[InVivoResult]:
    """Both arms of every in-vivo fact by splitting (same seed and replicates); the log2 ratio per fact."""
    from metastasim.cascade import run_cascade
    from metastasim.cascade.stats import replicate_log2

    keys, arms = plan
    runs = {}
    for key, (whole, treatment, start) in arms.items():
        runs[key] = run_cascade(
            model,
            cascade,
            mode=key[0],
            cells=key[1],
            seed=seed,
            perturbations=whole,
            treatment=treatment,
            treatment_from=start,
            threads=threads,
            estimator="splitting",
        )
        done += 1
        if progress is not None:
            progress(done, total)
    results = []
    for fact in facts:
        stage = _readout_stage(fact, cascade)
        control, test = (next(s.cumulative for s in runs[key].stages if s.name == stage) for key in keys[fact.id])
        log2 = replicate_log2([test, control], [1, -1]) if control.mean() > 0 else (math.nan,) * 3
        results.append(InVivoResult(fact, *log2, cells=keys[fact.id][0][1]))
    return results


def _cascade_plan(facts, model, drugs, cascade):
    """Each cascade fact's two arm keys, and per distinct arm what to run: ``(facts, arms)``."""
    plan, arms = [], {}
    for fact in facts:
        keys = []
        for whole, treatment, start in fact.cascade_arms(model, drugs):
            key = _cascade_key(fact.mode, fact.cells, whole, treatment, start)
            stage = _readout_stage(fact, cascade)
            entry = arms.setdefault(key, {"whole": whole, "treatment": treatment, "from": start, "keep": set()})
            entry["keep"].add(stage)
            keys.append((key, stage))
        plan.append((fact, keys))
    return plan, arms


def _run_cascade_arms(model, cascade, cascade_plan, seed, threads, compiled, progress, done, total):
    from metastasim.cascade import run_cascade

    plan, arms = cascade_plan
    survivors: dict[tuple, dict] = {}
    for i, (key, arm) in enumerate(arms.items()):
        mode, cells = key[0], key[1]
        survivors[key] = {}
        for stage in arm["keep"]:  # only the cells that can get through this stage: the same cells as a full run
            result = run_cascade(
                model,
                cascade,
                mode=mode,
                cells=cells,
                seed=seed,
                perturbations=arm["whole"],
                treatment=arm["treatment"],
                treatment_from=arm["from"],
                until=stage,
                keep_survivors=[stage],
                threads=threads,
                viable_only=True,
                estimator="direct",
            )
            survivors[key][stage] = result.survivors[stage]
        if progress is not None:
            progress(done + i + 1, total)
    results = []
    for fact, ((c_key, stage), (t_key, _)) in plan:
        c = np.zeros(fact.cells, np.int8)
        t = np.zeros(fact.cells, np.int8)
        c[survivors[c_key][stage].astype(np.int64)] = 1
        t[survivors[t_key][stage].astype(np.int64)] = 1
        d = (t - c).astype(np.float64)
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
        control = float(c.mean())
        results.append(
            FactResult(
                fact, control, float(t.mean()), se, min_effect=max(CASCADE_MIN_RELATIVE * control, 1.0 / fact.cells)
            )
        )
    return results
