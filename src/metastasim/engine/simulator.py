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

from metastasim._version import __version__
from metastasim.engine.chunks import Outputs, SimulationRun, words
from metastasim.engine.compile import CompiledModel, compile_model
from metastasim.engine.kernel import (
    MAX_NODES_PER_WORD,
    STATES_DIRECT,
    STATES_NONE,
    STATES_RECORD,
    STATES_RECORD_WIDE,
)
from metastasim.engine.result import Result
from metastasim.engine.statdist import trajectory_distributions
from metastasim.engine.wide_states import key_words, output_keys
from metastasim.errors import SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation, describe, resolve_perturbations
from metastasim.network.settings import Settings

__all__ = ["simulate", "warm_up", "resolve_threads", "DEFAULT_CHUNK", "DEFAULT_STATE_OUTPUTS"]

#: Trajectories per kernel call (bounds memory and sets the progress granularity).
DEFAULT_CHUNK = 1 << 16
#: Output-state probabilities are recorded by default up to this many outputs.
DEFAULT_STATE_OUTPUTS = 16
_DIRECT_BUDGET = 64 << 20  # bytes of per-thread, per-code accumulators for direct state counting
_RECORD_BUDGET = 64 << 20  # bytes of per-trajectory output-state records in one call


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
    result = _collect(run, gathered, out_ids=out_ids, perts=perts, context=context, occ_ids=occ_ids, started=started)
    result.transition_entropy, result.transition_entropy_se = run.transition_entropy(N)
    result.graph_counts, result.graph_durations = run.observed_graph()
    result.graph_nodes = graph_ids
    if settings.statdist_traj_count:  # MaBoSS's stationary distributions of the first trajectories, run again
        bits = _output_bits(model, cm, outputs, True)[1]
        count = min(settings.statdist_traj_count, N)
        result.statdist_codes, result.statdist_probs = trajectory_distributions(run, bits, count)
        result.statdist_cluster_threshold = settings.statdist_cluster_threshold
    return result


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


class _Gathered:
    """What the chunks leave besides the run's accumulators: final output states, final states, occupancies."""

    def __init__(self, *, track_final: bool, keep_final_states: bool, occupancy: bool, out_nodes=None):
        self.track_final, self.keep_final_states, self.occupancy = track_final, keep_final_states, occupancy
        self.out_nodes = out_nodes  # past 64 outputs: the output nodes, whose final states are multi-word keys
        self.final_counts: dict[int, int] = {}
        self.kept: list[np.ndarray] = []
        self.occ_kept: list[np.ndarray] = []
        self.transitions = 0

    def add(self, out: Outputs, count: int) -> None:
        """Take the first ``count`` trajectories of a chunk's ``out``."""
        if self.track_final:
            codes, counts = _final_codes(out, count, self.out_nodes)
            for c, k in zip(codes.tolist(), counts.tolist()):
                self.final_counts[c] = self.final_counts.get(c, 0) + k
        if self.keep_final_states:
            self.kept.append(out.final_words[:count].copy())
        if self.occupancy:
            self.occ_kept.append(out.occ[:count].copy())
        self.transitions += int(out.n_trans[:count].sum())

    def final_state_counts(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Final output-state codes, in order, and how many trajectories ended in each (None: not counted)."""
        if not self.track_final:
            return None, None
        if self.out_nodes is not None:
            return _wide_final_counts(self.final_counts, key_words(len(self.out_nodes)))
        fcodes = np.array(sorted(self.final_counts), dtype=np.uint64)
        fcounts = np.array([self.final_counts[int(c)] for c in fcodes], dtype=np.int64)
        return fcodes, fcounts


def _final_codes(out: Outputs, count: int, out_nodes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct final output states of a chunk's first ``count`` trajectories (codes, or key bytes past 64
    outputs) and how many trajectories ended in each."""
    if out_nodes is None:
        return np.unique(out.final_code[:count], return_counts=True)
    keys = output_keys(out.final_words[:count], out_nodes)
    return np.unique(keys.view(np.dtype((np.void, keys.shape[1] * 8))).ravel(), return_counts=True)


def _wide_final_counts(counts: dict, n_kw: int) -> tuple[np.ndarray, np.ndarray]:
    """``[state, word]`` final output states in numeric order and their counts, from counts keyed by state bytes."""
    keys = list(counts)
    codes = np.array([np.frombuffer(k, np.uint64) for k in keys], np.uint64).reshape(len(keys), n_kw)
    order = np.lexsort(codes.T)
    return codes[order], np.array([counts[keys[i]] for i in order], np.int64)


def _run_chunks(
    run: SimulationRun, N: int, chunk_size: int, gathered: _Gathered, progress: Callable[[int, int], None] | None
) -> None:
    """Run the ``N`` trajectories chunk by chunk into ``run`` and ``gathered``.

    With recorded output states, a chunk is bounded by the records' memory and the
    record capacity doubles when more than 1% of a chunk's trajectories overflowed it.
    """
    cap = 16 if run.state_mode in (STATES_RECORD, STATES_RECORD_WIDE) else None
    out: Outputs | None = None
    done = 0
    while done < N:
        rows = min(chunk_size, N)
        if cap is not None:
            rows = min(rows, max(1024, _RECORD_BUDGET // (24 * cap)))
        if out is None or out.final_code.shape[0] != rows or (cap is not None and out.cap != cap):
            out = Outputs(rows, run.n_words, cap, run.n_occ)
        count = min(rows, N - done)
        run.block(done, count, out)
        if cap is not None and run.record_block(done, count, out) > count // 100:
            cap *= 2
        gathered.add(out, count)
        done += count
        if progress is not None:
            progress(done, N)


def _collect(
    run: SimulationRun,
    gathered: _Gathered,
    *,
    out_ids: tuple[str, ...],
    perts: tuple[Perturbation, ...],
    context: str | None,
    occ_ids: tuple[str, ...],
    started: float,
) -> Result:
    """The :class:`Result` of a finished run."""
    settings, cm, occ_window = run.settings, run.cm, run.occ_window
    N = settings.sample_count
    state_codes, state_probs = run.state_probabilities(N)
    fcodes, fcounts = gathered.final_state_counts()
    return Result(
        node_ids=cm.node_ids,
        outputs=out_ids,
        times=np.arange(run.n_win) * float(settings.time_tick),
        node_probs=run.node_probabilities(N),
        final_node_probs=run.acc[2].sum(axis=0) / N,
        state_codes=state_codes,
        state_probs=state_probs,
        final_state_codes=fcodes,
        final_state_counts=fcounts,
        final_states=np.concatenate(gathered.kept) if gathered.keep_final_states else None,
        sample_count=N,
        seed=settings.seed,
        max_time=float(settings.max_time),
        time_tick=float(settings.time_tick),
        discrete_time=bool(settings.discrete_time),
        perturbations=tuple(describe(p) for p in perts),
        context=context,
        model_hash=cm.model_hash,
        version=__version__,
        n_transitions=gathered.transitions,
        elapsed=time.perf_counter() - started,
        threads=run.n_threads,
        occupancy=np.clip(np.concatenate(gathered.occ_kept) / (occ_window[1] - occ_window[0]), 0.0, 1.0)
        if occ_ids
        else None,
        occupancy_nodes=occ_ids,
        occupancy_window=occ_window if occ_ids else None,
    )


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
