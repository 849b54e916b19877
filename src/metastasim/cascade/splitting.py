"""The splitting estimator of the cascade: a sequential Monte Carlo over weighted clones.

The direct estimator draws, for every cell at the end of every stage, whether it
passes; a cascade whose efficiency is 1e-6 then needs millions of cells for a
handful of metastases.  Here a cell never fails a draw: its weight is multiplied by
the pass probability of the case its state meets, and when the weights grow uneven
(effective sample size below ``ess_threshold`` of the population) the population is
resampled back to its working size in proportion to the weights (systematic
resampling), so the simulation effort goes to the cells that can still get through.
The fraction of all cells that get through stage ``k`` is estimated by the product
of the mean weights over the resampling epochs up to ``k``, which is unbiased
(Del Moral 2004, *Feynman-Kac formulae*, Thm 7.4.2; with adaptive resampling
Whiteley, Lee & Heine 2016, Bernoulli 22:494).  The cost grows with the number of
stages, not with one over the efficiency.

Intervals come from ``replicates`` independent populations of ``cells / replicates``
clones each: the estimate is their mean, and every interval is a delta-method
interval on the log scale with Student's t (:func:`~metastasim.cascade.stats.replicate_ci`);
bias and coverage are tested against exact answers in ``tests/cascade/test_splitting.py``.

Random streams: clone ``i`` of the population at step ``k`` (replicates hold
consecutive blocks of clone numbers) simulates from stream ``(seed, SPLIT_STREAM + k, i)``;
the resampling after step ``k`` of replicate ``r`` draws its one uniform from
``(seed, RESAMPLE_STREAM + k, r)``; the initial cells draw their alterations as the
direct estimator's cells of the same numbers do.  Nothing depends on the chunk size,
the threads or the machine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metastasim._version import __version__
from metastasim.cascade.plan import Plan, plan_run
from metastasim.cascade.spec import CascadeSpec, Case
from metastasim.cascade.stats import replicate_ci
from metastasim.cascade.views import CascadeViews
from metastasim.engine.result import unpack_states
from metastasim.engine.rng import uniforms_of
from metastasim.engine.simulator import resolve_threads
from metastasim.errors import SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation

__all__ = [
    "run_splitting",
    "SplittingResult",
    "SplitStage",
    "SplitAlteration",
    "SPLIT_STREAM",
    "RESAMPLE_STREAM",
    "DEFAULT_REPLICATES",
    "DEFAULT_ESS_THRESHOLD",
]

SPLIT_STREAM = 3000
RESAMPLE_STREAM = 4000
#: Independent replicates of a run (their spread gives the intervals).
DEFAULT_REPLICATES = 10
#: A replicate is resampled after a stage when its effective sample size falls below this share of its clones.
DEFAULT_ESS_THRESHOLD = 0.5


def _num(x: float):
    return x if math.isfinite(x) else None  # NaN and infinity -> null (JSON has neither)


@dataclass
class SplitStage:
    """One stage, per replicate: estimated fractions of *all* cells (not of the stage's entrants)."""

    name: str
    context: str
    duration: float
    cases: tuple[Case, ...]
    entered: np.ndarray  # [R] fraction of all cells that entered the stage
    cumulative: np.ndarray  # [R] fraction of all cells that got through it
    ess: np.ndarray  # [R] effective sample size of the weights at its end
    resampled: np.ndarray  # [R] whether the replicate was resampled after it
    phenotypes: dict[str, np.ndarray]  # node -> [R] fraction of all cells through it with the node on
    case_entered: np.ndarray  # [cases, R] fraction of all cells meeting each case at its end
    case_passed: np.ndarray  # [cases, R]

    @property
    def fraction(self) -> float:
        """Estimated fraction of the cells entering the stage that get through it."""
        return self.fraction_ci[0]

    @property
    def fraction_ci(self) -> tuple[float, float, float]:
        return replicate_ci([self.cumulative, self.entered], [1, -1])

    @property
    def ci95(self) -> tuple[float, float]:
        return self.fraction_ci[1:]


@dataclass
class SplitAlteration:
    id: str
    node: str
    change: str
    frequency: float
    carriers: np.ndarray  # [R] fraction of each replicate's initial cells carrying it
    metastatic: np.ndarray  # [R] fraction of all cells that carry it and form a metastasis


@dataclass(repr=False)  # CascadeViews gives a short repr
class SplittingResult(CascadeViews):
    """The outcome of :func:`run_splitting`: the same questions as :class:`~metastasim.cascade.CascadeResult`
    answers (efficiency, stage table, phenotypes, enrichment, all with 95% CIs), as weighted estimates."""

    mode: str
    cells: int
    replicates: int
    seed: int
    perturbations: tuple[str, ...]
    treatment: tuple[str, ...]
    treatment_from: str | None
    stages: list[SplitStage]
    alterations: list[SplitAlteration]
    model_hash: str
    ess_threshold: float
    complete: bool = True
    elapsed: float = 0.0
    threads: int = 1
    simulated: int = 0  # clone-steps simulated (clones of weight 0 are not)
    version: str = __version__
    estimator = "splitting"

    def stage(self, name: str) -> SplitStage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"no stage {name!r}; stages: {', '.join(s.name for s in self.stages)}")

    @property
    def efficiency(self) -> float:
        """Estimated fraction of cells that form a metastasis (nan when the run stopped early)."""
        return self.cumulative(self.stages[-1].name) if self.complete else float("nan")

    @property
    def efficiency_ci95(self) -> tuple[float, float]:
        return self.cumulative_ci95(self.stages[-1].name) if self.complete else (math.nan, math.nan)

    def cumulative(self, name: str) -> float:
        """Estimated fraction of all cells that get through stage ``name``."""
        return float(self.stage(name).cumulative.mean())

    def cumulative_ci95(self, name: str) -> tuple[float, float]:
        return replicate_ci([self.stage(name).cumulative], [1])[1:]

    def stage_table(self) -> pd.DataFrame:
        """One row per stage: fraction passing and cumulative fraction with 95% CIs, effective sample size."""
        rows = []
        for s in self.stages:
            f, lo, hi = s.fraction_ci
            _, clo, chi = replicate_ci([s.cumulative], [1])
            rows.append(
                {
                    "stage": s.name,
                    "context": s.context,
                    "fraction": f,
                    "ci95_low": lo,
                    "ci95_high": hi,
                    "cumulative": float(s.cumulative.mean()),
                    "cumulative_low": clo,
                    "cumulative_high": chi,
                    "ess": float(s.ess.mean()),
                    "resampled": int(s.resampled.sum()),
                }
            )
        return pd.DataFrame(rows).set_index("stage")

    def phenotype_table(self) -> pd.DataFrame:
        """Fraction of each stage's survivors (columns) with each phenotype node on (rows)."""
        return pd.DataFrame(
            {
                s.name: {
                    k: (float(v.sum() / s.cumulative.sum()) if s.cumulative.sum() > 0 else float("nan"))
                    for k, v in s.phenotypes.items()
                }
                for s in self.stages
            }
        )

    def _odds_ratio(self, alt: SplitAlteration) -> tuple[float, float, float]:
        z = self.stages[-1].cumulative
        # odds of metastasis among carriers over odds among the others; each term's mean is unbiased
        return replicate_ci(
            [
                alt.metastatic,
                alt.carriers - alt.metastatic,
                z - alt.metastatic,
                (1.0 - alt.carriers) - (z - alt.metastatic),
            ],
            [1, -1, -1, 1],
        )

    def enrichment(self) -> pd.DataFrame:
        """Each alteration's frequency among all and among metastasis-forming cells, odds ratio and CI."""
        z = self.stages[-1].cumulative.mean()  # through the last stage run, as the direct estimator reads it
        rows = []
        for alt in self.alterations:
            o, lo, hi = self._odds_ratio(alt)
            rows.append(
                {
                    "alteration": alt.id,
                    "node": alt.node,
                    "change": alt.change,
                    "frequency": alt.frequency,
                    "frequency_metastatic": float(alt.metastatic.mean() / z) if z > 0 else float("nan"),
                    "odds_ratio": o,
                    "ci95_low": lo,
                    "ci95_high": hi,
                }
            )
        columns = [
            "alteration",
            "node",
            "change",
            "frequency",
            "frequency_metastatic",
            "odds_ratio",
            "ci95_low",
            "ci95_high",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("alteration")

    def to_dict(self) -> dict:
        """JSON-ready summary (the ``--json`` output of ``metastasim cascade --estimator splitting``)."""
        table, phenotypes = self.stage_table(), self.phenotype_table()
        stages = []
        for s in self.stages:
            r = table.loc[s.name]
            stages.append(
                {
                    "name": s.name,
                    "context": s.context,
                    "duration": s.duration,
                    "fraction": _num(r.fraction),
                    "ci95": [_num(r.ci95_low), _num(r.ci95_high)],
                    "cumulative": r.cumulative,
                    "cumulative_ci95": [_num(r.cumulative_low), _num(r.cumulative_high)],
                    "ess": r.ess,
                    "ess_fraction": float(s.ess.sum() / self.cells),
                    "resampled_replicates": int(r.resampled),
                    "phenotypes": {k: _num(v) for k, v in phenotypes[s.name].items()},
                    "cases": [
                        {"when": case.when, "p": case.p, "entered": float(e.mean()), "passed": float(p.mean())}
                        for case, e, p in zip(s.cases, s.case_entered, s.case_passed)
                    ],
                }
            )
        enrich = self.enrichment()
        enrichment = [
            {
                "id": aid,
                "node": r.node,
                "change": r.change,
                "frequency": r.frequency,
                "frequency_metastatic": _num(r.frequency_metastatic),
                "odds_ratio": _num(r.odds_ratio),
                "ci95": [_num(r.ci95_low), _num(r.ci95_high)],
            }
            for aid, r in enrich.iterrows()
        ]
        return {
            "estimator": "splitting",
            "mode": self.mode,
            "cells": self.cells,
            "replicates": self.replicates,
            "ess_threshold": self.ess_threshold,
            "seed": self.seed,
            "perturbations": list(self.perturbations),
            "treatment": {"perturbations": list(self.treatment), "from_stage": self.treatment_from},
            "stages": stages,
            "efficiency": _num(self.efficiency),
            "efficiency_ci95": [_num(x) for x in self.efficiency_ci95] if self.complete else None,
            "enrichment": enrichment,
            "model_hash": self.model_hash,
            "version": self.version,
            "threads": self.threads,
            "simulated": self.simulated,
            "elapsed_s": round(self.elapsed, 3),
        }


def _systematic(weights: np.ndarray, u: float) -> np.ndarray:
    """Indices of ``len(weights)`` clones drawn in proportion to ``weights`` (systematic resampling).

    Clone ``i`` gets ``floor`` or ``ceil`` of ``n * w_i / sum(w)`` offspring, with that
    expectation, so the estimator stays unbiased; a weight of 0 gets none.
    """
    n = len(weights)
    cum = np.cumsum(weights)
    positions = (u + np.arange(n)) * (cum[-1] / n)
    idx = np.searchsorted(cum, positions, side="right")
    return np.minimum(idx, np.flatnonzero(weights)[-1])


@dataclass
class _Population:
    """The clones of every replicate, in consecutive blocks (replicate ``r`` holds ``bounds[r]:bounds[r + 1]``)."""

    bounds: np.ndarray
    replicate: np.ndarray  # [P] replicate of each clone
    state: np.ndarray | None  # [P, words] packed network states (None before the first step)
    carry: np.ndarray  # [P, alterations]
    weight: np.ndarray  # [P]
    base: np.ndarray  # [R] product of the mean weights of the epochs before the current one
    sizes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.sizes = np.diff(self.bounds).astype(np.float64)

    def per_replicate(self, values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """``base[r] * sum(values over replicate r) / size[r]``.

        An estimate per replicate of a fraction of all cells.
        """
        reps = self.replicate if where is None else self.replicate[where]
        return self.base * np.bincount(reps, weights=values, minlength=len(self.base)) / self.sizes

    def resample(self, seed: int, k: int, which: np.ndarray) -> None:
        """Resample the replicates ``which`` to their working size (their weights become 1)."""
        u = uniforms_of(seed, RESAMPLE_STREAM + k, np.flatnonzero(which).astype(np.uint64))
        index = np.arange(len(self.weight))
        for r, ur in zip(np.flatnonzero(which), u):
            lo, hi = self.bounds[r], self.bounds[r + 1]
            w = self.weight[lo:hi]
            total = w.sum()
            self.base[r] *= total / (hi - lo)
            index[lo:hi] = lo + _systematic(w, float(ur))
            self.weight[lo:hi] = 1.0
        self.state, self.carry = self.state[index], self.carry[index]


def run_splitting(
    model: Model,
    spec: CascadeSpec,
    *,
    mode: str = "spontaneous",
    cells: int = 100_000,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    perturbations: Iterable[Perturbation] = (),
    treatment: Iterable[Perturbation] = (),
    treatment_from: str | None = None,
    alterations: bool = True,
    until: str | None = None,
    chunk_size: int = 1 << 16,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    ess_threshold: float = DEFAULT_ESS_THRESHOLD,
) -> SplittingResult:
    """Estimate the cascade of ``spec`` in ``mode`` by splitting (see the module notes).

    ``cells`` is the working population of every stage, shared out among
    ``replicates`` independent replicates (at least 2, with at least 2 cells each);
    the other arguments mean what they mean for
    :func:`~metastasim.cascade.run_cascade`.  A replicate is resampled after a stage
    when the effective sample size of its weights falls below ``ess_threshold`` times
    its size (1: after every stage; 0: never).
    """
    started = time.perf_counter()
    cells, replicates = int(cells), int(replicates)
    if replicates < 2:
        raise SimulationError(f"splitting needs at least 2 replicates (its intervals come from them), not {replicates}")
    if cells < 2 * replicates:
        raise SimulationError(
            f"splitting needs at least 2 cells per replicate: {cells} cells for {replicates} replicates"
        )
    if not 0.0 <= ess_threshold <= 1.0:
        raise SimulationError(f"ess_threshold must be in [0, 1], not {ess_threshold}")
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
    n_threads = resolve_threads(threads)
    sizes = np.full(replicates, cells // replicates) + (np.arange(replicates) < cells % replicates)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    ids = np.arange(cells, dtype=np.uint64)
    pop = _Population(
        bounds=bounds,
        replicate=np.repeat(np.arange(replicates), sizes),
        state=None,
        carry=plan.draw_alterations(seed, ids),
        weight=np.ones(cells),
        base=np.ones(replicates),
    )
    carriers = [pop.per_replicate(pop.carry[:, j].astype(np.float64)) for j in range(len(plan.alterations))]
    entered = np.ones(replicates)
    stages: list[SplitStage] = []
    simulated = 0
    total_work, done = cells * len(plan.steps), 0
    for k, step in enumerate(plan.steps):
        active = np.flatnonzero(pop.weight > 0)
        if pop.state is None:
            pop.state = np.zeros((cells, (plan.n_nodes + 63) // 64), np.uint64)
        first = k == 0
        rule = step.rule
        occupancy = np.zeros((cells, len(rule.occupancy))) if rule is not None and rule.occupancy else None
        for lo in range(0, len(active), chunk_size):
            sub = active[lo : lo + chunk_size]
            pop.state[sub], occ = plan.simulate_step(
                k,
                sub.astype(np.uint64),
                None if first else pop.state[sub],
                pop.carry[sub],
                seed=seed,
                stream=SPLIT_STREAM + k,
                threads=n_threads,
            )
            if occ is not None:
                occupancy[sub] = occ
            simulated += len(sub)
            if progress is not None:
                progress(done + int((lo + len(sub)) * cells / max(len(active), 1)), total_work)
        done += cells
        if step.rule is None:
            continue
        stages.append(_weigh(pop, plan, k, active, entered, occupancy))
        entered = stages[-1].cumulative
        if k < len(plan.steps) - 1:
            which = (stages[-1].cumulative > 0) & (stages[-1].ess < ess_threshold * sizes)
            stages[-1].resampled = which
            if which.any():
                pop.resample(seed, k, which)
    if progress is not None:
        progress(total_work, total_work)
    alts = [
        SplitAlteration(
            a.id,
            model.resolve(a.node),
            a.change,
            a.frequency,
            carriers[j],
            pop.per_replicate(pop.weight * pop.carry[:, j]),
        )
        for j, a in enumerate(plan.alterations)
    ]
    return SplittingResult(
        mode=mode,
        cells=cells,
        replicates=replicates,
        seed=int(seed),
        perturbations=plan.perturbation_labels,
        treatment=plan.treatment_labels,
        treatment_from=plan.treatment_from,
        stages=stages,
        alterations=alts,
        model_hash=plan.compiled.model_hash,
        ess_threshold=ess_threshold,
        complete=plan.last == len(plan.mode.stages),
        elapsed=time.perf_counter() - started,
        threads=n_threads,
        simulated=simulated,
    )


def _weigh(
    pop: _Population, plan: Plan, k: int, active: np.ndarray, entered: np.ndarray, occupancy: np.ndarray | None
) -> SplitStage:
    """Multiply the active clones' weights by their pass probabilities; the stage's estimates per replicate."""
    step = plan.steps[k]
    rule = step.rule
    bits = unpack_states(pop.state[active], plan.n_nodes)
    case, p = rule.probability(bits, occupancy[active] if occupancy is not None else None)
    before = pop.weight[active].copy()
    after = before * p
    pop.weight[active] = after
    cases = np.stack([pop.per_replicate(np.where(case == c, before, 0.0), active) for c in range(len(rule.p))])
    passed = np.stack([pop.per_replicate(np.where(case == c, after, 0.0), active) for c in range(len(rule.p))])
    phenotypes = {
        name: pop.per_replicate(after * bits[:, p], active)
        for name, p in zip(plan.spec.phenotypes, plan.phenotype_positions)
    }
    replicates = len(pop.base)
    total = np.bincount(pop.replicate, weights=pop.weight, minlength=replicates)
    square = np.bincount(pop.replicate, weights=pop.weight * pop.weight, minlength=replicates)
    ess = np.divide(total * total, square, out=np.zeros(replicates), where=square > 0)
    return SplitStage(
        name=step.name,
        context=step.context,
        duration=step.duration,
        cases=tuple(plan.spec.stages[step.name].cases),
        entered=entered,
        cumulative=pop.per_replicate(after, active),
        ess=ess,
        resampled=np.zeros(replicates, bool),
        phenotypes=phenotypes,
        case_entered=cases,
        case_passed=passed,
    )
