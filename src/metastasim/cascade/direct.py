"""The direct estimator's chunks: numbered cells through every step of a run, counted per stage.

:func:`~metastasim.cascade.run_cascade` (``estimator='direct'``) splits the cells
into chunks and runs each through the plan's steps with :func:`run_chunk`, which
drops the cells that fail a stage and adds to the stage and alteration counts.
The pass decision of the cell numbered ``i`` at step ``k`` compares a uniform
number from stream ``(seed, DECISION_STREAM + k, i)`` with the pass probability of
the case its state meets, so a cell's fate does not depend on its chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from metastasim.cascade.plan import Plan, Step
from metastasim.engine.result import unpack_states
from metastasim.engine.rng import uniforms_of

if TYPE_CHECKING:
    from metastasim.cascade.run import AlterationResult, StageResult

__all__ = ["DECISION_STREAM", "viable_cells", "cell_chunks", "run_chunk"]

#: The pass decision of step ``k`` draws from stream ``DECISION_STREAM + k``.
DECISION_STREAM = 1000


def viable_cells(seed: int, steps: tuple[Step, ...], cells: int, block: int = 1 << 20) -> np.ndarray:
    """Numbers of the cells whose pass draw is below the best pass probability of every stage."""
    out = []
    for lo in range(0, cells, block):
        ids = np.arange(lo, min(lo + block, cells), dtype=np.uint64)
        for step in steps:
            if step.rule is not None and len(ids):
                ids = ids[uniforms_of(seed, DECISION_STREAM + step.stream, ids) < step.rule.p.max()]
        out.append(ids)
    return np.concatenate(out) if out else np.zeros(0, np.uint64)


def cell_chunks(
    seed: int, steps: tuple[Step, ...], cells: int, chunk_size: int, *, viable_only: bool
) -> Iterator[np.ndarray]:
    """The numbers of the cells to simulate, ``chunk_size`` at a time: every cell, or only the viable ones.

    Parameters
    ----------
    seed, steps, cells
        The run's seed, steps and population size.
    chunk_size
        Cells per chunk.
    viable_only
        Only the cells that can still form a metastasis (:func:`viable_cells`).

    Returns
    -------
    Iterator[numpy.ndarray]
        uint64 cell numbers, in increasing order.
    """
    if viable_only:
        return _slices(viable_cells(seed, steps, cells), chunk_size)
    return (np.arange(lo, min(lo + chunk_size, cells), dtype=np.uint64) for lo in range(0, cells, chunk_size))


def _slices(ids: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Consecutive pieces of ``ids``, ``size`` at a time."""
    for lo in range(0, len(ids), size):
        yield ids[lo : lo + size]


def run_chunk(
    plan: Plan,
    ids: np.ndarray,
    *,
    seed: int,
    threads: int,
    stages: list[StageResult],
    alterations: list[AlterationResult],
    kept: dict[str, list[np.ndarray]],
) -> None:
    """Run the cells ``ids`` through the steps of ``plan`` and add them to the counts.

    Parameters
    ----------
    plan
        The run.
    ids
        Numbers of the cells (they key the cells' random streams).
    seed, threads
        The run's seed; threads for the engine.
    stages
        The counts of each stage of the plan (steps after ``prepare``), added to.
    alterations
        The carriers of each of the plan's alterations, added to.
    kept
        Stage name -> survivors' numbers, one array per chunk, appended to.
    """
    carry = plan.draw_alterations(seed, ids)
    for j, res in enumerate(alterations):
        res.carriers += int(carry[:, j].sum())
    state = None
    for k, step in enumerate(plan.steps):
        if len(ids) == 0:
            break
        state, occupancy = plan.simulate_step(k, ids, state, carry, seed=seed, stream=step.stream, threads=threads)
        if step.rule is None:
            continue
        passed = _decide(plan, step, ids, state, occupancy, stages[k - 1], seed)
        ids, state, carry = ids[passed], state[passed], carry[passed]
        if step.name in kept:
            kept[step.name].append(ids)
    if len(ids) and len(plan.alterations):
        for j, res in enumerate(alterations):
            res.carriers_metastatic += int(carry[:, j].sum())


def _decide(
    plan: Plan,
    step: Step,
    ids: np.ndarray,
    state: np.ndarray,
    occupancy: np.ndarray | None,
    counts: StageResult,
    seed: int,
) -> np.ndarray:
    """Which of the cells ``ids`` (final ``state``, ``occupancy``) pass ``step``; add them to its ``counts``."""
    bits = unpack_states(state, plan.n_nodes)
    case, p = step.rule.probability(bits, occupancy)
    passed = uniforms_of(seed, DECISION_STREAM + step.stream, ids) < p
    counts.entered += len(ids)
    counts.passed += int(passed.sum())
    for c in range(len(counts.case_entered)):
        counts.case_entered[c] += int((case == c).sum())
        counts.case_passed[c] += int((passed & (case == c)).sum())
    for name, position in zip(plan.spec.phenotypes, plan.phenotype_positions):
        counts.phenotypes[name] += int(bits[passed, position].sum())
    return passed
