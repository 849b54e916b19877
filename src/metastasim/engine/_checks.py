"""``simulate``'s arguments checked and turned into the kernel's per-node arrays.

Each step raises :class:`~metastasim.errors.SimulationError` naming the argument at
fault: the compiled model, outputs, per-trajectory arrays, random-stream numbers,
occupancy window, schedules and observed nodes; and chooses how output states are
counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metastasim.engine.chunks import words
from metastasim.engine.compile import CompiledModel, compile_model
from metastasim.engine.kernel import (
    MAX_NODES_PER_WORD,
    STATES_DIRECT,
    STATES_NONE,
    STATES_RECORD,
    STATES_RECORD_WIDE,
)
from metastasim.errors import SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation
from metastasim.network.settings import Settings

#: Output-state probabilities are recorded by default up to this many outputs.
DEFAULT_STATE_OUTPUTS = 16
_DIRECT_BUDGET = 64 << 20  # bytes of per-thread, per-code accumulators for direct state counting


def _perturbed_model(model: Model, compiled: CompiledModel | None, perts: tuple[Perturbation, ...]) -> CompiledModel:
    """``model`` compiled (or ``compiled``, checked to belong to it) with ``perts`` applied."""
    base = compiled if compiled is not None else compile_model(model)
    if base.model_hash != model.hash():
        raise SimulationError("the compiled model does not belong to this model")
    return base.perturbed(perts)


def _output_bits(
    model: Model, cm: CompiledModel, outputs: Sequence[str] | None, record_states: bool | None
) -> tuple[tuple[str, ...], np.ndarray, bool, bool]:
    """The output nodes, each node's bit in an output-state code (-1: none), whether final output states
    are counted and whether time-course output states are recorded."""
    out_ids = tuple(model.outputs if outputs is None else dict.fromkeys(model.resolve(o) for o in outputs))
    if record_states is None:
        record_states = len(out_ids) <= DEFAULT_STATE_OUTPUTS
    out_bit = np.full(cm.n_nodes, -1, np.int64)
    # past 64 outputs, states are multi-word keys, counted only on request
    track_final = len(out_ids) <= MAX_NODES_PER_WORD or bool(record_states)
    if track_final:
        for b, name in enumerate(out_ids):
            out_bit[cm.position[name]] = b
    return out_ids, out_bit, track_final, record_states


def _checked_trajectories(
    N: int, n: int, initial_states, trajectory_forcing, trajectory_ids, first_trajectory: int
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The per-trajectory arrays, checked against ``N`` trajectories of ``n`` nodes, as contiguous kernel dtypes."""
    for name, array, shape in (
        ("initial_states", initial_states, (N, words(n))),
        ("trajectory_forcing", trajectory_forcing, (N, n)),
    ):
        if array is not None and np.shape(array) != shape:
            raise SimulationError(f"{name} must have shape {shape}, not {np.shape(array)}")
    if initial_states is not None:
        initial_states = np.ascontiguousarray(initial_states, dtype=np.uint64)
    if trajectory_forcing is not None:
        trajectory_forcing = np.ascontiguousarray(trajectory_forcing, dtype=np.int64)
        if not np.isin(trajectory_forcing, (-1, 0, 1)).all():
            raise SimulationError("trajectory_forcing may hold only -1 (free), 0 and 1")
    if trajectory_ids is not None:
        if np.shape(trajectory_ids) != (N,):
            raise SimulationError(f"trajectory_ids must have shape {(N,)}, not {np.shape(trajectory_ids)}")
        if first_trajectory:
            raise SimulationError("give trajectory_ids or first_trajectory, not both")
        trajectory_ids = np.ascontiguousarray(trajectory_ids, dtype=np.uint64)
    return initial_states, trajectory_forcing, trajectory_ids


def _check_numbering(N: int, stream: int, first_trajectory: int, chunk_size: int) -> None:
    """Check the random-stream numbers of ``N`` trajectories and the chunk size."""
    if not 0 <= stream < 2**32:
        raise SimulationError(f"stream must be from 0 to 2**32 - 1, not {stream}")
    if first_trajectory < 0 or first_trajectory + N > 2**64:
        raise SimulationError(f"first_trajectory must be from 0 to 2**64 - sample_count, not {first_trajectory}")
    if chunk_size < 1:
        raise SimulationError(f"chunk_size must be at least 1, not {chunk_size}")


def _occupancy(
    model: Model, cm: CompiledModel, nodes: Sequence[str], window: tuple[float, float] | None, max_time: float
) -> tuple[tuple[str, ...], np.ndarray, tuple[float, float]]:
    """Checked occupancy request: node ids, each node's column (-1: not measured), the window."""
    ids = tuple(dict.fromkeys(model.resolve(name) for name in nodes))
    slot = np.full(cm.n_nodes, -1, np.int64)
    for k, name in enumerate(ids):
        slot[cm.position[name]] = k
    t0, t1 = (0.0, max_time) if window is None else (float(window[0]), float(window[1]))
    if not (np.isfinite(t0) and np.isfinite(t1) and 0.0 <= t0 < t1 <= max_time):
        raise SimulationError(
            f"occupancy_window must satisfy 0 <= start < end <= max_time ({max_time:g}), not ({t0:g}, {t1:g})"
        )
    return ids, slot, (t0, t1)


def _check_schedules(cm: CompiledModel, max_time: float) -> None:
    """Scheduled changes must fall within the run."""
    late = np.flatnonzero(cm.sched_time >= max_time)
    if len(late):
        name, t = cm.node_ids[cm.sched_node[late[0]]], cm.sched_time[late[0]]
        raise SimulationError(f"the schedule of {name} changes it at time {t:g}, not before max_time ({max_time:g})")


def _observed(
    model: Model, cm: CompiledModel, nodes: Sequence[str] | None
) -> tuple[tuple[str, ...], np.ndarray | None]:
    """Nodes of the observed graph (default: those ``in_graph``) and each node's bit in it (None: no graph)."""
    if nodes is None:
        ids = tuple(n.id for n in model.nodes.values() if n.in_graph)
    else:
        ids = tuple(dict.fromkeys(model.resolve(o) for o in nodes))
    if not ids:
        return (), None
    if len(ids) > 12:
        raise SimulationError(f"the observed graph can hold at most 12 nodes (4096 states), not {len(ids)}")
    g_bit = np.full(cm.n_nodes, -1, np.int64)
    ids = tuple(sorted(ids, key=cm.position.__getitem__))  # model order, as MaBoSS names states
    for b, name in enumerate(ids):
        g_bit[cm.position[name]] = b
    return ids, g_bit


def _state_mode(record_states: bool, n_outputs: int, settings: Settings, n_threads: int, N: int) -> int:
    """How output states are counted: not at all, directly (a row per possible state) or from records."""
    if not record_states:
        return STATES_NONE
    if n_outputs > MAX_NODES_PER_WORD:
        return STATES_RECORD_WIDE
    # Direct counting allocates a row per possible output state: worth it only
    # while those rows are few, in bytes and compared with the trajectories.
    codes = 1 << n_outputs
    direct_bytes = codes * (2 * settings.n_windows + 1) * 8 * n_threads
    direct = direct_bytes <= _DIRECT_BUDGET and codes <= max(256, N)
    return STATES_DIRECT if direct else STATES_RECORD
