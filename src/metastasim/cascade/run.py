"""Run the metastatic cascade on a heterogeneous population, in chunks, on the compiled engine.

Each cell is numbered ``0 .. cells - 1``.  Everything random about a cell — which
alterations it carries, its trajectory in every stage, whether it passes each
stage — is drawn from Philox streams keyed by the seed and the cell's number (see
:mod:`metastasim.engine.rng`), so a seed gives the same cells and the same counts
whatever the chunk size and number of threads.  Streams: the simulation of step
``k`` (0 is ``prepare``) uses stream ``k``, the pass decision of step ``k``
stream ``1000 + k``, alteration ``j`` stream ``2000 + j``.

Cells that fail a stage are dropped from their chunk; survivors carry their final
network state and their alterations into the next stage.  Memory is bounded by
the chunk: no Python object per cell.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metastasim._version import __version__
from metastasim.cascade.direct import DECISION_STREAM, cell_chunks, run_chunk
from metastasim.cascade.plan import ALTERATION_STREAM, Plan, plan_run
from metastasim.cascade.spec import CascadeSpec
from metastasim.cascade.splitting import DEFAULT_ESS_THRESHOLD, DEFAULT_REPLICATES, SplittingResult, run_splitting
from metastasim.cascade.stats import OddsRatio, binomial_ci, odds_ratio
from metastasim.cascade.views import CascadeViews
from metastasim.engine.simulator import DEFAULT_CHUNK, resolve_threads
from metastasim.errors import SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation

__all__ = [
    "run_cascade",
    "CascadeResult",
    "StageResult",
    "AlterationResult",
    "DECISION_STREAM",
    "ALTERATION_STREAM",
    "ESTIMATORS",
    "default_estimator",
]

#: ``auto`` picks an estimator per mode (:func:`default_estimator`).
ESTIMATORS = ("auto", "direct", "splitting")


def default_estimator(mode: str) -> str:
    """The estimator ``auto`` means for ``mode``: splitting for the whole (spontaneous) cascade, direct otherwise.

    In the spontaneous mode (efficiency about 5e-6) splitting reaches a given interval
    width about ten times sooner than counting cells (``benchmarks/bench_rare.py``).
    In the experimental mode (about 2e-4) it is faster too, about seven times at equal
    width, but the direct estimator stays the default there: it gives every cell's
    fate (numbered survivors, ``viable_only``) and exact binomial intervals, which the
    calibration and the validation's cascade facts read.
    """
    return "splitting" if mode == "spontaneous" else "direct"


@dataclass
class StageResult:
    """Counts of one stage (all chunks added)."""

    name: str
    context: str
    duration: float
    entered: int = 0
    passed: int = 0
    phenotypes: dict[str, int] = field(default_factory=dict)  # node -> survivors with it on
    case_entered: list[int] = field(default_factory=list)  # cells meeting each case first
    case_passed: list[int] = field(default_factory=list)
    cases: tuple = ()

    @property
    def fraction(self) -> float:
        return self.passed / self.entered if self.entered else float("nan")

    @property
    def ci95(self) -> tuple[float, float]:
        return binomial_ci(self.passed, self.entered)


@dataclass
class AlterationResult:
    id: str
    node: str
    change: str
    frequency: float
    carriers: int = 0
    carriers_metastatic: int = 0


@dataclass(repr=False)  # CascadeViews gives a short repr
class CascadeResult(CascadeViews):
    """The outcome of :func:`run_cascade`."""

    mode: str
    cells: int
    seed: int
    perturbations: tuple[str, ...]
    treatment: tuple[str, ...]
    treatment_from: str | None
    stages: list[StageResult]
    alterations: list[AlterationResult]
    model_hash: str
    survivors: dict[str, np.ndarray] = field(default_factory=dict)  # stage -> ids of the cells that passed it
    complete: bool = True  # False when the run stopped early (``until``)
    elapsed: float = 0.0
    threads: int = 1
    simulated: int = -1  # cells simulated (== cells unless ``viable_only``)
    viable_only: bool = False
    version: str = __version__
    estimator = "direct"

    def __post_init__(self) -> None:
        if self.simulated < 0:
            self.simulated = self.cells

    @property
    def metastatic(self) -> int:
        """Cells that got through every stage (through the last one run, if stopped early)."""
        return self.stages[-1].passed

    @property
    def efficiency(self) -> float:
        """Fraction of cells that formed a metastasis (nan when the run stopped early)."""
        return self.metastatic / self.cells if self.complete else float("nan")

    @property
    def efficiency_ci95(self) -> tuple[float, float]:
        return binomial_ci(self.metastatic, self.cells)

    def _whole_population(self, what: str) -> None:
        if self.viable_only:
            raise SimulationError(
                f"{what} needs every cell simulated; this run simulated only the cells that could "
                "form a metastasis (viable_only): it gives the metastatic cells and efficiency"
            )

    def stage(self, name: str) -> StageResult:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"no stage {name!r}; stages: {', '.join(s.name for s in self.stages)}")

    def cumulative(self, name: str) -> float:
        """Fraction of all cells that got through stage ``name``."""
        self._whole_population("the fraction through a stage")
        return self.stage(name).passed / self.cells

    def cumulative_ci95(self, name: str) -> tuple[float, float]:
        """95% CI of :meth:`cumulative` (exact binomial)."""
        self._whole_population("the fraction through a stage")
        return binomial_ci(self.stage(name).passed, self.cells)

    def stage_table(self) -> pd.DataFrame:
        """One row per stage: entered, passed, fraction and cumulative fraction with 95% CIs."""
        self._whole_population("the stage table")
        rows = []
        for s in self.stages:
            lo, hi = s.ci95
            clo, chi = binomial_ci(s.passed, self.cells)
            rows.append(
                {
                    "stage": s.name,
                    "context": s.context,
                    "entered": s.entered,
                    "passed": s.passed,
                    "fraction": s.fraction,
                    "ci95_low": lo,
                    "ci95_high": hi,
                    "cumulative": s.passed / self.cells,
                    "cumulative_low": clo,
                    "cumulative_high": chi,
                }
            )
        return pd.DataFrame(rows).set_index("stage")

    def phenotype_table(self) -> pd.DataFrame:
        """Fraction of each stage's survivors (columns) with each phenotype node on (rows)."""
        self._whole_population("the phenotype table")
        return pd.DataFrame(
            {
                s.name: {k: (v / s.passed if s.passed else float("nan")) for k, v in s.phenotypes.items()}
                for s in self.stages
            }
        )

    def odds_ratio(self, alt: AlterationResult) -> OddsRatio:
        self._whole_population("an odds ratio")
        a = alt.carriers_metastatic
        b = alt.carriers - a
        c = self.metastatic - a
        d = self.cells - alt.carriers - c
        return odds_ratio(a, b, c, d)

    def enrichment(self) -> pd.DataFrame:
        """Each alteration's frequency among all cells and among metastasis-forming cells, odds ratio and CI."""
        self._whole_population("the enrichment table")
        rows = []
        for alt in self.alterations:
            o = self.odds_ratio(alt)
            rows.append(
                {
                    "alteration": alt.id,
                    "node": alt.node,
                    "change": alt.change,
                    "frequency": alt.frequency,
                    "carriers": alt.carriers,
                    "carriers_metastatic": alt.carriers_metastatic,
                    "frequency_metastatic": alt.carriers_metastatic / self.metastatic
                    if self.metastatic
                    else float("nan"),
                    "odds_ratio": o.estimate,
                    "ci95_low": o.low,
                    "ci95_high": o.high,
                }
            )
        columns = [
            "alteration",
            "node",
            "change",
            "frequency",
            "carriers",
            "carriers_metastatic",
            "frequency_metastatic",
            "odds_ratio",
            "ci95_low",
            "ci95_high",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("alteration")

    def to_dict(self) -> dict:
        """JSON-ready summary (the ``--json`` output of ``metastasim cascade``)."""
        self._whole_population("the summary")

        def num(x: float):
            return x if math.isfinite(x) else None  # NaN and infinity -> null (JSON has neither)

        stages = []
        for s in self.stages:
            stages.append(
                {
                    "name": s.name,
                    "context": s.context,
                    "duration": s.duration,
                    "entered": s.entered,
                    "passed": s.passed,
                    "fraction": num(s.fraction),
                    "ci95": list(s.ci95),
                    "cumulative": s.passed / self.cells,
                    "cumulative_ci95": list(binomial_ci(s.passed, self.cells)),
                    "phenotypes": {k: num(v / s.passed) if s.passed else None for k, v in s.phenotypes.items()},
                    "cases": [
                        {"when": c.when, "p": c.p, "entered": e, "passed": p}
                        for c, e, p in zip(s.cases, s.case_entered, s.case_passed)
                    ],
                }
            )
        enrichment = []
        for alt in self.alterations:
            o = self.odds_ratio(alt)
            enrichment.append(
                {
                    "id": alt.id,
                    "node": alt.node,
                    "change": alt.change,
                    "frequency": alt.frequency,
                    "carriers": alt.carriers,
                    "carriers_metastatic": alt.carriers_metastatic,
                    "odds_ratio": num(o.estimate),
                    "ci95": [num(o.low), num(o.high)],
                }
            )
        return {
            "estimator": "direct",
            "mode": self.mode,
            "cells": self.cells,
            "seed": self.seed,
            "perturbations": list(self.perturbations),
            "treatment": {"perturbations": list(self.treatment), "from_stage": self.treatment_from},
            "stages": stages,
            "efficiency": num(self.efficiency),
            "efficiency_ci95": list(self.efficiency_ci95) if self.complete else None,
            "metastatic_cells": self.metastatic,
            "enrichment": enrichment,
            "model_hash": self.model_hash,
            "version": self.version,
            "threads": self.threads,
            "elapsed_s": round(self.elapsed, 3),
        }


def compare_anchors(spec: CascadeSpec, result: CascadeResult) -> list[dict]:
    """The spec's calibration anchors of ``result``'s mode beside the simulated cumulative fractions.

    Anchors of stages the run did not reach (a run stopped early with ``until``) are left out.
    """
    out = []
    ran = {s.name for s in result.stages}
    for a in spec.anchors:
        if a.mode != result.mode or a.stage not in ran:
            continue
        sim = result.cumulative(a.stage)
        low, high = result.cumulative_ci95(a.stage)
        out.append(
            {
                "stage": a.stage,
                "measured": a.fraction,
                "simulated": sim,
                "simulated_ci95": [low, high],
                "ratio": sim / a.fraction if a.fraction else None,
                "reference": a.reference.id,
                "citation": a.reference.short if a.reference.citation else "",
            }
        )
    return out


def run_cascade(
    model: Model,
    spec: CascadeSpec,
    *,
    mode: str = "experimental",
    cells: int = 100_000,
    seed: int = 0,
    perturbations: Iterable[Perturbation] = (),
    treatment: Iterable[Perturbation] = (),
    treatment_from: str | None = None,
    alterations: bool = True,
    until: str | None = None,
    keep_survivors: Iterable[str] = (),
    chunk_size: int = DEFAULT_CHUNK,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    viable_only: bool = False,
    estimator: str = "auto",
    replicates: int = DEFAULT_REPLICATES,
    ess_threshold: float = DEFAULT_ESS_THRESHOLD,
) -> CascadeResult | SplittingResult:
    """Send ``cells`` cells through the cascade of ``spec`` in ``mode``.

    Parameters
    ----------
    model
        The model whose contexts and nodes the cascade names.
    spec
        The cascade (:func:`metastasim.cascade.load_cascade` for the curated one).
    mode
        ``experimental`` (cells injected into the circulation) or ``spontaneous``
        (cells leaving the primary tumour).
    cells, seed
        Population size and seed; the result depends on nothing else random.
    perturbations
        Applied to every cell from ``prepare`` to the last stage (genetic changes,
        drugs given throughout).  A knock-out or over-expression here wins over a
        cell's own alteration of the same node.
    treatment, treatment_from
        Perturbations given only from stage ``treatment_from`` on (e.g. adjuvant
        therapy after dissemination); ``None`` means from the first stage (not
        during ``prepare``).
    alterations
        Draw the spec's heritable alterations (False: a homogeneous population).
    until
        Stop after this stage (the result then ends there; the stages before it
        are exactly those of the full run).
    keep_survivors
        Stages whose survivors' cell numbers are kept (``result.survivors``), e.g.
        to compare two arms cell by cell.
    chunk_size
        Cells per chunk (bounds memory; does not change the result).
    threads
        Threads for the engine (0 or None: all cores; does not change the result).
    progress
        Called as ``progress(cells_done, cells)`` after each chunk.
    viable_only
        Simulate only the cells that can still form a metastasis.  Whether a cell
        passes a stage is decided by comparing a uniform number drawn from its own
        stream with the pass probability of the case its state meets; a cell whose
        number is at or above the highest pass probability of some stage fails that
        stage whatever its state, so it cannot form a metastasis and need not be
        simulated.  The metastatic cells (``survivors`` of the last stage,
        ``metastatic``, ``efficiency``, ``carriers_metastatic``) are then exactly
        those of the full run, at a fraction of its cost (about 0.4% of the cells
        are simulated in the curated experimental cascade); the counts of every
        other stage and the alteration carriers cover only the simulated cells
        (``result.simulated``), so the tables that need them raise.  Used by screens
        and the cascade facts, which read the cells through one stage only.
    estimator
        ``direct`` counts the cells that pass every stage (the result is a
        :class:`CascadeResult`); ``splitting`` follows weighted clones resampled
        between stages, for rare outcomes (a
        :class:`~metastasim.cascade.splitting.SplittingResult`: the same tables, as
        estimates with intervals from replicates; ``cells`` is then the working
        population of every stage); ``auto``: :func:`default_estimator` of the mode,
        or ``direct`` when ``keep_survivors`` or ``viable_only`` ask for numbered cells.
    replicates, ess_threshold
        Splitting only: independent replicates (at least 2), and the effective
        sample size, as a fraction of a replicate's clones, below which a replicate
        is resampled after a stage (see :func:`~metastasim.cascade.splitting.run_splitting`).

    Returns
    -------
    CascadeResult or SplittingResult
        As ``estimator`` chooses.
    """
    started = time.perf_counter()
    estimator = _resolve_estimator(estimator, mode, keep_survivors=keep_survivors, viable_only=viable_only)
    if estimator == "splitting":
        return run_splitting(
            model,
            spec,
            mode=mode,
            cells=cells,
            replicates=replicates,
            seed=seed,
            perturbations=perturbations,
            treatment=treatment,
            treatment_from=treatment_from,
            alterations=alterations,
            until=until,
            chunk_size=chunk_size,
            threads=threads,
            progress=progress,
            ess_threshold=ess_threshold,
        )
    cells = int(cells)
    if cells < 1:
        raise SimulationError(f"a cascade needs at least one cell, not {cells}")
    plan = plan_run(
        model,
        spec,
        mode=mode,
        perturbations=perturbations,
        treatment=treatment,
        treatment_from=treatment_from,
        alterations=alterations,
        until=until,
        chunk_size=chunk_size,
    )
    kept = _survivor_lists(plan, keep_survivors, viable_only=viable_only)
    stage_results, alt_results = _empty_counts(model, spec, plan)
    n_threads = resolve_threads(threads)

    done = simulated = 0
    for ids in cell_chunks(seed, plan.steps, cells, chunk_size, viable_only=viable_only):
        done = cells if viable_only else done + len(ids)
        simulated += len(ids)
        run_chunk(plan, ids, seed=seed, threads=n_threads, stages=stage_results, alterations=alt_results, kept=kept)
        if progress is not None:
            progress(done, cells)

    return CascadeResult(
        mode=mode,
        cells=cells,
        seed=int(seed),
        perturbations=plan.perturbation_labels,
        treatment=plan.treatment_labels,
        treatment_from=plan.treatment_from,
        stages=stage_results,
        alterations=alt_results,
        model_hash=plan.compiled.model_hash,
        complete=plan.last == len(plan.mode.stages),
        survivors={name: np.concatenate(parts) if parts else np.zeros(0, np.uint64) for name, parts in kept.items()},
        elapsed=time.perf_counter() - started,
        threads=n_threads,
        simulated=simulated,
        viable_only=viable_only,
    )


def _resolve_estimator(estimator: str, mode: str, *, keep_survivors: Iterable[str], viable_only: bool) -> str:
    """``direct`` or ``splitting``: ``estimator`` checked, ``auto`` resolved (numbered cells need ``direct``)."""
    if estimator not in ESTIMATORS:
        raise SimulationError(f"unknown estimator {estimator!r}; choose from {', '.join(ESTIMATORS)}")
    if estimator == "auto":  # numbered cells (survivors, viable_only) exist in the direct estimator only
        estimator = "direct" if keep_survivors or viable_only else default_estimator(mode)
    if estimator == "splitting" and (keep_survivors or viable_only):
        raise SimulationError(
            "the splitting estimator follows weighted clones, not numbered cells: "
            "keep_survivors and viable_only go with estimator='direct'"
        )
    return estimator


def _survivor_lists(plan: Plan, keep_survivors: Iterable[str], *, viable_only: bool) -> dict[str, list[np.ndarray]]:
    """An empty list of survivors' numbers per stage in ``keep_survivors``, checked against the run."""
    m = plan.mode
    keep = set(keep_survivors)
    if keep - set(m.stages[: plan.last]):
        raise SimulationError(f"keep_survivors names stages the run does not reach: {', '.join(sorted(keep))}")
    if viable_only and keep - {m.stages[plan.last - 1]}:
        raise SimulationError(
            "viable_only keeps the survivors of the last stage run only (run with until=STAGE for another)"
        )
    return {name: [] for name in keep}


def _empty_counts(model: Model, spec: CascadeSpec, plan: Plan) -> tuple[list[StageResult], list[AlterationResult]]:
    """Zero counts for each stage the plan runs and each alteration its cells may carry."""
    stage_results = [
        StageResult(
            s.name,
            s.context,
            s.duration,
            phenotypes=dict.fromkeys(spec.phenotypes, 0),
            case_entered=[0] * len(spec.stages[s.name].cases),
            case_passed=[0] * len(spec.stages[s.name].cases),
            cases=spec.stages[s.name].cases,
        )
        for s in plan.steps[1:]
    ]
    alt_results = [AlterationResult(a.id, model.resolve(a.node), a.change, a.frequency) for a in plan.alterations]
    return stage_results, alt_results
