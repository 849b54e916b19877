"""What both cascade estimators share: the steps of a run, the cells' alterations, one step's simulation.

A run is a list of steps: ``prepare`` (step 0, no pass rule), then the stages of the
mode.  :func:`plan_run` checks the arguments, compiles the model once and resolves
each step's perturbations; :meth:`Plan.simulate_step` runs any set of cells (given by
their numbers, which key their random streams) through one step from their states,
with their heritable alterations applied unless the user's perturbations fix the same
node in that step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from metastasim.cascade.rules import PassRule
from metastasim.cascade.spec import CascadeSpec, Mode
from metastasim.engine import compile_model, simulate
from metastasim.engine.compile import CompiledModel
from metastasim.engine.rng import uniforms_of
from metastasim.errors import SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import (
    ForceOn,
    Knockout,
    Perturbation,
    SetInput,
    describe,
    resolve_perturbations,
)

__all__ = ["Plan", "Step", "plan_run", "ALTERATION_STREAM"]

#: Alteration ``j`` of cell ``i`` is drawn from stream ``(seed, ALTERATION_STREAM + j, i)``.
ALTERATION_STREAM = 2000


@dataclass(frozen=True)
class Step:
    name: str
    context: str
    duration: float
    perturbations: tuple[Perturbation, ...]
    fixed: frozenset[str]  # nodes the user's perturbations fix in this step (they win over alterations)
    stream: int
    rule: PassRule | None


@dataclass(frozen=True)
class Plan:
    """A checked run: its model compiled once, its steps, and the alterations the cells may carry."""

    model: Model
    spec: CascadeSpec
    mode: Mode
    compiled: CompiledModel
    steps: tuple[Step, ...]
    alterations: tuple
    alteration_nodes: np.ndarray  # node position of each alteration
    alteration_values: np.ndarray  # 0 (loss) or 1 (gain)
    overridden: tuple[tuple[int, ...], ...]  # per step, the alterations the user's perturbations override
    phenotype_positions: tuple[int, ...]
    last: int  # number of stages run
    perturbation_labels: tuple[str, ...]
    treatment_labels: tuple[str, ...]
    treatment_from: str | None

    @property
    def n_nodes(self) -> int:
        return self.compiled.n_nodes

    def draw_alterations(self, seed: int, ids: np.ndarray) -> np.ndarray:
        """``[cells, alterations]``: which alterations each cell (by number) carries."""
        carry = np.zeros((len(ids), len(self.alterations)), bool)
        for j, alt in enumerate(self.alterations):
            carry[:, j] = uniforms_of(seed, ALTERATION_STREAM + j, ids) < alt.frequency
        return carry

    def simulate_step(
        self,
        k: int,
        ids: np.ndarray,
        state: np.ndarray | None,
        carry: np.ndarray,
        *,
        seed: int,
        stream: int,
        threads: int,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The packed final states of cells ``ids`` after step ``k``, from ``state`` (None: the model's initial),
        and their ``[cell, node]`` occupancies of the nodes the step's graded pass rule reads (None: none)."""
        step = self.steps[k]
        forcing = np.full((len(ids), self.n_nodes), -1, np.int64)
        for j in range(len(self.alterations)):
            if j not in self.overridden[k]:
                forcing[carry[:, j], self.alteration_nodes[j]] = self.alteration_values[j]
        # continuous time: one averaging window per step (only final states are used); discrete: the model's tick
        tick = None if self.model.settings.discrete_time else step.duration
        result = simulate(
            self.model,
            step.perturbations,
            sample_count=len(ids),
            max_time=step.duration,
            time_tick=tick,
            seed=seed,
            threads=threads,
            record_states=False,
            keep_final_states=True,
            initial_states=state,
            trajectory_forcing=forcing,
            trajectory_ids=ids,
            stream=stream,
            compiled=self.compiled,
            chunk_size=len(ids),
            occupancy=step.rule.occupancy if step.rule is not None else (),
        )
        return result.final_states, result.occupancy


def _steps(
    model: Model,
    spec: CascadeSpec,
    mode: Mode,
    whole: tuple[Perturbation, ...],
    treatment: tuple[Perturbation, ...],
    treatment_from: str | None,
    position,
) -> list[Step]:
    settings = [("prepare", mode.prepare.context, mode.prepare.duration, mode.prepare.inputs, None)]
    settings += [(s.name, s.context, s.duration, s.inputs, s) for s in (spec.stages[name] for name in mode.stages)]
    start = mode.stages.index(treatment_from) + 1 if treatment_from is not None else 1
    steps = []
    for k, (name, context, duration, inputs, stage) in enumerate(settings):
        user = whole + (treatment if k >= start else ())
        fixed = frozenset(model.resolve(p.node) for p in user if isinstance(p, (Knockout, ForceOn, SetInput)))
        given = tuple(SetInput(model.resolve(n), v) for n, v in inputs if model.resolve(n) not in fixed) + user
        perts = resolve_perturbations(model, given, context=context)
        rule = PassRule.compile(stage, position, model) if stage is not None else None
        steps.append(Step(name, context, duration, perts, fixed, k, rule))
    return steps


def plan_run(
    model: Model,
    spec: CascadeSpec,
    *,
    mode: str,
    perturbations: Iterable[Perturbation] = (),
    treatment: Iterable[Perturbation] = (),
    treatment_from: str | None = None,
    alterations: bool = True,
    until: str | None = None,
    chunk_size: int = 1,
) -> Plan:
    """Check a run's arguments against the model and cascade and prepare its steps."""
    if chunk_size < 1:
        raise SimulationError(f"chunk_size must be at least 1, not {chunk_size}")
    m = spec.mode(mode)
    spec.check(model)
    if until is not None and until not in m.stages:
        raise SimulationError(f"until: mode {mode} has no stage {until!r}; stages: {', '.join(m.stages)}")
    last = m.stages.index(until) + 1 if until is not None else len(m.stages)
    whole, treatment = tuple(perturbations), tuple(treatment)
    if treatment_from is not None and treatment_from not in m.stages:
        raise SimulationError(
            f"treatment_from: mode {mode} has no stage {treatment_from!r}; stages: {', '.join(m.stages)}"
        )
    compiled = compile_model(model)
    position = compiled.position
    steps = _steps(model, spec, m, whole, treatment, treatment_from, position)[: last + 1]
    alts = tuple(spec.alterations) if alterations else ()
    alt_ids = [model.resolve(a.node) for a in alts]
    return Plan(
        model=model,
        spec=spec,
        mode=m,
        compiled=compiled,
        steps=tuple(steps),
        alterations=alts,
        alteration_nodes=np.array([position[node] for node in alt_ids], np.int64),
        alteration_values=np.array([a.value for a in alts], np.int64),
        overridden=tuple(tuple(j for j, node in enumerate(alt_ids) if node in step.fixed) for step in steps),
        phenotype_positions=tuple(position[model.resolve(p)] for p in spec.phenotypes),
        last=last,
        perturbation_labels=tuple(describe(p) for p in resolve_perturbations(model, whole)),
        treatment_labels=tuple(describe(p) for p in resolve_perturbations(model, treatment)),
        treatment_from=(treatment_from or m.stages[0]) if treatment else None,
    )
