"""Run the compiled kernel over many trajectories and gather a :class:`Result`.

Examples
--------
>>> from metastasim.io import parse_bnet
>>> from metastasim.engine import simulate
>>> model = parse_bnet("A, A\\nB, A & !C\\nC, B")
>>> result = simulate(model, sample_count=2000, max_time=5, seed=1)
>>> round(float(result.final_nodes()["A"]), 1)    # the input starts on half of the time
0.5
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

import numba
import numpy as np

from metastasim.engine._checks import (
    DEFAULT_STATE_OUTPUTS,
    _check_numbering,
    _check_schedules,
    _checked_trajectories,
    _observed,
    _occupancy,
    _output_bits,
    _perturbed_model,
    _state_mode,
)
from metastasim.engine._gather import _collect, _Gathered, _run_chunks
from metastasim.engine.chunks import SimulationRun
from metastasim.engine.compile import CompiledModel
from metastasim.engine.kernel import MAX_NODES_PER_WORD
from metastasim.engine.result import Result
from metastasim.engine.statdist import trajectory_distributions
from metastasim.errors import SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation, resolve_perturbations

__all__ = ["simulate", "warm_up", "resolve_threads", "DEFAULT_CHUNK", "DEFAULT_STATE_OUTPUTS"]

#: Trajectories per kernel call (bounds memory and sets the progress granularity).
DEFAULT_CHUNK = 1 << 16


def resolve_threads(requested: int | None) -> int:
    """Threads to use: ``requested`` (0 or None: all cores), capped at numba's pool size."""
    available = numba.config.NUMBA_NUM_THREADS
    if requested is None or requested == 0:
        return available
    if requested < 0:
        raise SimulationError(f"threads must be 0 (all cores) or positive, not {requested}")
    return min(int(requested), available)


def simulate(
    model: Model,
    perturbations: Iterable[Perturbation] = (),
    *,
    context: str | None = None,
    sample_count: int | None = None,
    max_time: float | None = None,
    time_tick: float | None = None,
    discrete_time: bool | None = None,
    seed: int | None = None,
    threads: int | None = None,
    outputs: Sequence[str] | None = None,
    record_states: bool | None = None,
    keep_final_states: bool = False,
    initial_states: np.ndarray | None = None,
    trajectory_forcing: np.ndarray | None = None,
    trajectory_ids: np.ndarray | None = None,
    stream: int = 0,
    first_trajectory: int = 0,
    compiled: CompiledModel | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    occupancy: Sequence[str] = (),
    occupancy_window: tuple[float, float] | None = None,
    entropy: bool = False,
    observed: Sequence[str] | None = None,
) -> Result:
    """Simulate a model with MaBoSS semantics.

    Settings not given are taken from ``model.settings`` (a MaBoSS ``.cfg`` fills
    them).  Perturbations the model file applies (``model.perturbations``) come
    first, then ``perturbations``.

    Parameters
    ----------
    model
        The model.
    perturbations
        Knock-outs, over-expressions, inhibitions, input settings and schedules.
    context
        Name of one of the model's contexts: its input settings apply first, and
        ``perturbations`` may override them.
    sample_count, max_time, time_tick, discrete_time, seed
        Override the model's settings.
    threads
        Threads (0 or None: the model's ``thread_count``, where 0 means all cores).
        The result does not depend on it.
    outputs
        Nodes whose joint states are counted (default: non-internal nodes).
    record_states
        Record time-course probabilities of output states (default: when there
        are at most :data:`DEFAULT_STATE_OUTPUTS` outputs).  Past 64 outputs the
        states are rows of 64-bit words (:attr:`Result.state_codes`), and final
        output states are counted only when this is true.
    keep_final_states
        Keep every trajectory's final state (:meth:`Result.trajectory_states`).
    initial_states
        Optional ``[sample_count, words]`` packed initial states (one bit per node,
        as :attr:`Result.final_states`), replacing the model's initial
        distribution; used to continue trajectories.
    trajectory_forcing
        Optional ``[sample_count, n_nodes]`` int array: -1 leaves a node free, 0 or 1
        fixes it in that trajectory (heritable alterations of single cells).
    trajectory_ids
        Optional ``[sample_count]`` trajectory numbers: trajectory ``k`` of this
        call draws from the stream of trajectory ``trajectory_ids[k]`` (any
        subset of a population, in any order), instead of ``first_trajectory + k``.
    stream, first_trajectory
        Select the random streams: trajectory ``k`` of this call uses stream
        ``(seed, stream, first_trajectory + k)``.
    compiled
        A :func:`compile_model` of ``model``, to skip recompiling.
    chunk_size
        Trajectories per kernel call.
    progress
        Called as ``progress(done, total)`` after each chunk.
    occupancy
        Nodes whose time on is measured per trajectory: :attr:`Result.occupancy`
        holds, for each trajectory and each of these nodes, the fraction of
        ``occupancy_window`` (default ``(0, max_time)``) it spent on.
    entropy
        Also estimate MaBoSS's transition entropy TH per window
        (:attr:`Result.transition_entropy`); it costs time per transition.
    observed
        Nodes whose joint-state changes are counted (:meth:`Result.observed_graph`);
        default: the nodes marked ``in_graph`` (MaBoSS's ``X.in_graph = TRUE;``).

    Returns
    -------
    Result
    """
    started = time.perf_counter()
    settings = model.settings.with_(
        sample_count=sample_count,
        max_time=max_time,
        time_tick=time_tick,
        discrete_time=discrete_time,
        seed=seed,
    )
    perts = resolve_perturbations(model, perturbations, context=context)
    cm = _perturbed_model(model, compiled, perts)
    N = settings.sample_count
    out_ids, out_bit, track_final, record_states = _output_bits(model, cm, outputs, record_states)
    initial_states, trajectory_forcing, trajectory_ids = _checked_trajectories(
        N, cm.n_nodes, initial_states, trajectory_forcing, trajectory_ids, first_trajectory
    )
    _check_numbering(N, stream, first_trajectory, chunk_size)
    occ_ids, occ_slot, occ_window = _occupancy(model, cm, occupancy, occupancy_window, float(settings.max_time))
    _check_schedules(cm, float(settings.max_time))
    graph_ids, g_bit = _observed(model, cm, observed)
    th_on = np.array([not node.is_internal for node in model.nodes.values()], np.bool_) if entropy else None

    n_threads = resolve_threads(threads if threads is not None else settings.thread_count)
    numba.set_num_threads(n_threads)
    state_mode = _state_mode(record_states, len(out_ids), settings, n_threads, N)
    run = SimulationRun(
        cm,
        settings,
        out_bit,
        state_mode,
        n_threads,
        stream,
        first_trajectory,
        initial_states,
        trajectory_forcing,
        trajectory_ids,
        occ_slot,
        occ_window,
        th_on,
        g_bit,
    )
    gathered = _Gathered(
        track_final=track_final,
        keep_final_states=keep_final_states,
        occupancy=bool(occ_ids),
        out_nodes=np.array([cm.position[o] for o in out_ids]) if len(out_ids) > MAX_NODES_PER_WORD else None,
    )
    _run_chunks(run, N, chunk_size, gathered, progress)
    result = _collect(
        run,
        gathered,
        out_ids=out_ids,
        perts=perts,
        context=context,
        occ_ids=occ_ids,
        graph_ids=graph_ids,
        started=started,
    )
    if settings.statdist_traj_count:  # MaBoSS's stationary distributions of the first trajectories, run again
        bits = _output_bits(model, cm, outputs, True)[1]
        count = min(settings.statdist_traj_count, N)
        result.statdist_codes, result.statdist_probs = trajectory_distributions(run, bits, count)
        result.statdist_cluster_threshold = settings.statdist_cluster_threshold
    return result


def warm_up() -> float:
    """Compile the kernels, or load them from numba's on-disk cache; return the seconds it took.

    The first simulation on a machine compiles them (about half a minute); later
    processes load them in well under a second.  Calling this first keeps that time
    out of a measured run.
    """
    from metastasim.network.expr import Var, parse_rule
    from metastasim.network.model import Node

    started = time.perf_counter()
    tiny = Model([Node("A", Var("A"), is_input=True), Node("B", parse_rule("A & !B"))])
    simulate(tiny, sample_count=2, max_time=1.0, time_tick=0.5, threads=1)
    return time.perf_counter() - started
