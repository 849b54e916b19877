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
from metastasim.engine.compile import CompiledModel, compile_model
from metastasim.engine.kernel import (
    MAX_NODES_PER_WORD,
    STATES_DIRECT,
    STATES_NONE,
    STATES_RECORD,
    accumulate_state_intervals,
    map_state_codes,
    simulate_block,
)
from metastasim.engine.result import Result
from metastasim.engine.rng import split_seed
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
_FIXED_POINT = float(1 << 32)


def resolve_threads(requested: int | None) -> int:
    """Threads to use: ``requested`` (0 or None: all cores), capped at numba's pool size."""
    available = numba.config.NUMBA_NUM_THREADS
    if requested is None or requested == 0:
        return available
    if requested < 0:
        raise SimulationError(f"threads must be 0 (all cores) or positive, not {requested}")
    return min(int(requested), available)


def _words(n_nodes: int) -> int:
    """uint64 words per packed state."""
    return (n_nodes + 63) // 64


def _window_probabilities(full: np.ndarray, part: np.ndarray, units: np.ndarray, n: int) -> np.ndarray:
    """``[window, item]`` probabilities from difference counts of full windows and partial units."""
    n_win = part.shape[0]
    counts = np.cumsum(full, axis=0)[:n_win].astype(np.float64)
    return (counts * units[:, None] + part) / (n * units[:, None])


class _Outputs:
    """Per-trajectory output buffers of kernel calls, allocated once and reused."""

    def __init__(self, rows: int, n_words: int, cap: int | None, n_occ: int = 0):
        self.cap = cap or 1
        self.occ = np.empty((rows, n_occ), np.float64)
        rec_rows = rows if cap else 1
        self.final_words = np.empty((rows, n_words), np.uint64)
        self.final_code = np.empty(rows, np.uint64)
        self.rec_code = np.empty((rec_rows, self.cap), np.uint64)
        self.rec_time = np.empty((rec_rows, self.cap), np.float64)
        self.rows = np.empty((rec_rows, self.cap), np.int64)
        self.rec_n = np.empty(rows, np.int64)
        self.n_trans = np.empty(rows, np.int64)


class _RecordedStates:
    """Output-state accumulators for many outputs: codes hashed to rows, grown on demand."""

    def __init__(self, n_win: int):
        self.n_win = n_win
        self.keys = np.zeros(64, np.uint64)
        self.rows_of = np.zeros(64, np.int64)
        self.used = np.zeros(64, np.bool_)
        self.n_rows = 0
        self.full = np.zeros((1, n_win + 1, 8), np.int64)
        self.part = np.zeros((1, n_win, 8), np.int64)

    def add(self, out: _Outputs, count: int, settings: Settings, fx: float) -> None:
        self.keys, self.rows_of, self.used, self.n_rows = map_state_codes(
            out.rec_code, out.rec_n, count, out.cap, self.keys, self.rows_of, self.used, self.n_rows, out.rows)
        if self.n_rows > self.full.shape[2]:
            grow = max(self.n_rows, 2 * self.full.shape[2]) - self.full.shape[2]
            self.full = np.concatenate([self.full, np.zeros((1, self.n_win + 1, grow), np.int64)], axis=2)
            self.part = np.concatenate([self.part, np.zeros((1, self.n_win, grow), np.int64)], axis=2)
        accumulate_state_intervals(out.rows, out.rec_time, out.rec_n, count, out.cap, settings.max_time,
                                   settings.time_tick, self.n_win, fx, self.full, self.part)

    def probabilities(self, units: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        codes = np.zeros(self.n_rows, np.uint64)
        codes[self.rows_of[self.used]] = self.keys[self.used]
        probs = _window_probabilities(self.full[0, :, : self.n_rows], self.part[0, :, : self.n_rows], units, n)
        order = np.argsort(codes, kind="stable")
        return codes[order], probs[:, order]


class _Run:
    """The arrays and bookkeeping of one :func:`simulate` call."""

    def __init__(self, cm: CompiledModel, settings: Settings, out_bit: np.ndarray, state_mode: int,
                 n_threads: int, stream: int, first: int, initial_states, trajectory_forcing, trajectory_ids,
                 occ_slot: np.ndarray, occ_window: tuple[float, float]):
        self.cm, self.settings, self.out_bit, self.state_mode = cm, settings, out_bit, state_mode
        self.occ_slot, self.occ_window = occ_slot, occ_window
        self.n_occ = int((occ_slot >= 0).sum())
        self.n_threads, self.stream, self.first = n_threads, stream, first
        self.initial_states, self.trajectory_forcing = initial_states, trajectory_forcing
        self.trajectory_ids = trajectory_ids
        n = cm.n_nodes
        self.n_words = _words(n)
        self.keys = split_seed(settings.seed)
        self.n_win = settings.n_windows
        tick = float(settings.time_tick)
        self.fx = _FIXED_POINT / tick
        lengths = np.minimum(tick, settings.max_time - np.arange(self.n_win) * tick)
        self.units = np.rint(lengths * self.fx).astype(np.float64)
        self.acc = self._accumulators(n_threads)
        n_codes = 1 << int((out_bit >= 0).sum()) if state_mode == STATES_DIRECT else 1
        self.sacc = (np.zeros((n_threads, self.n_win + 1, n_codes), np.int64),
                     np.zeros((n_threads, self.n_win, n_codes), np.int64))
        self.recorded = _RecordedStates(self.n_win) if state_mode == STATES_RECORD else None
        self.no_init = np.zeros((0, self.n_words), np.uint64)
        self.no_forcing = np.zeros((0, n), np.int64)
        self.no_ids = np.zeros(0, np.uint64)

    def _accumulators(self, slots: int):
        n = self.cm.n_nodes
        return (np.zeros((slots, self.n_win + 1, n), np.int64), np.zeros((slots, self.n_win, n), np.int64),
                np.zeros((slots, n), np.int64))

    def _inputs(self, lo: int, hi: int):
        init = self.initial_states[lo:hi] if self.initial_states is not None else self.no_init
        forcing = self.trajectory_forcing[lo:hi] if self.trajectory_forcing is not None else self.no_forcing
        ids = self.trajectory_ids[lo:hi] if self.trajectory_ids is not None else self.no_ids
        return init, forcing, ids

    def block(self, lo: int, count: int, out: _Outputs, *, slots: int | None = None, acc=None, sacc=None) -> None:
        """Run trajectories ``lo .. lo + count - 1`` of this call into ``out``."""
        cm, s = self.cm, self.settings
        acc_full, acc_part, final_on = acc if acc is not None else self.acc
        s_full, s_part = sacc if sacc is not None else self.sacc
        init, forcing, ids = self._inputs(lo, lo + count)
        simulate_block(
            self.first + lo, count, slots or self.n_threads, self.stream, self.keys[0], self.keys[1],
            cm.kind, cm.in_ptr, cm.in_var, cm.tab_off, cm.tables, cm.code_ptr, cm.code_op, cm.code_arg,
            cm.max_stack, cm.dep_ptr, cm.dep_node, cm.dep_bit,
            cm.up_t, cm.up_f, cm.dn_t, cm.dn_f, cm.gr_off, cm.gr_up, cm.gr_dn,
            cm.base, cm.grp_ptr, cm.grp_node, cm.oc_ptr, cm.oc_cum, cm.oc_vptr, cm.oc_val,
            cm.forced, forcing, init, ids,
            self.out_bit, float(s.max_time), float(s.time_tick), self.n_win, bool(s.discrete_time), self.fx,
            self.state_mode, out.cap, s_full, s_part,
            acc_full, acc_part, final_on, out.final_words, out.final_code, out.rec_code, out.rec_time,
            out.rec_n, out.n_trans, self.occ_slot, float(self.occ_window[0]), float(self.occ_window[1]), out.occ,
        )

    def record_block(self, lo: int, count: int, out: _Outputs) -> int:
        """Hash a block's output-state records; re-run alone the trajectories that overflowed.

        Returns how many overflowed.  A re-run trajectory draws the same random
        numbers, so it repeats exactly; its node statistics go to scratch arrays.
        """
        self.recorded.add(out, count, self.settings, self.fx)
        overflow = np.flatnonzero(out.rec_n[:count] > out.cap)
        dummy = (np.zeros((1, 1, 1), np.int64), np.zeros((1, 1, 1), np.int64))
        for k in overflow.tolist():
            alone = _Outputs(1, self.n_words, int(out.rec_n[k]), self.n_occ)
            self.block(lo + k, 1, alone, slots=1, acc=self._accumulators(1), sacc=dummy)
            self.recorded.add(alone, 1, self.settings, self.fx)
        return len(overflow)

    def node_probabilities(self, n: int) -> np.ndarray:
        acc_full, acc_part, _ = self.acc
        return _window_probabilities(acc_full.sum(axis=0), acc_part.sum(axis=0), self.units, n)

    def state_probabilities(self, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        if self.state_mode == STATES_RECORD:
            return self.recorded.probabilities(self.units, n)
        if self.state_mode == STATES_DIRECT:
            full, part = self.sacc[0].sum(axis=0), self.sacc[1].sum(axis=0)
            seen = np.flatnonzero(np.abs(full).sum(axis=0) + part.sum(axis=0))
            probs = _window_probabilities(full[:, seen], part[:, seen], self.units, n)
            return seen.astype(np.uint64), probs
        return None, None


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
        Knock-outs, over-expressions, inhibitions and input settings.
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
        are at most :data:`DEFAULT_STATE_OUTPUTS` outputs; at most 64).
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

    Returns
    -------
    Result
    """
    started = time.perf_counter()
    settings = model.settings.with_(
        sample_count=sample_count, max_time=max_time, time_tick=time_tick,
        discrete_time=discrete_time, seed=seed,
    )
    perts = resolve_perturbations(model, perturbations, context=context)
    base = compiled if compiled is not None else compile_model(model)
    if base.model_hash != model.hash():
        raise SimulationError("the compiled model does not belong to this model")
    cm = base.perturbed(perts)
    n, N = cm.n_nodes, settings.sample_count
    n_words = _words(n)

    out_ids = tuple(model.outputs if outputs is None else dict.fromkeys(model.resolve(o) for o in outputs))
    if record_states is None:
        record_states = len(out_ids) <= DEFAULT_STATE_OUTPUTS
    out_bit = np.full(n, -1, np.int64)
    track_final = len(out_ids) <= MAX_NODES_PER_WORD
    if track_final:
        for b, name in enumerate(out_ids):
            out_bit[cm.position[name]] = b
    elif record_states:
        raise SimulationError(f"full states can be counted over at most {MAX_NODES_PER_WORD} outputs, not {len(out_ids)}")
    for name, array, shape in (("initial_states", initial_states, (N, n_words)),
                               ("trajectory_forcing", trajectory_forcing, (N, n))):
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
    if not 0 <= stream < 2**32:
        raise SimulationError(f"stream must be from 0 to 2**32 - 1, not {stream}")
    if first_trajectory < 0 or first_trajectory + N > 2**64:
        raise SimulationError(f"first_trajectory must be from 0 to 2**64 - sample_count, not {first_trajectory}")
    if chunk_size < 1:
        raise SimulationError(f"chunk_size must be at least 1, not {chunk_size}")
    occ_ids, occ_slot, occ_window = _occupancy(model, cm, occupancy, occupancy_window, float(settings.max_time))

    n_threads = resolve_threads(threads if threads is not None else settings.thread_count)
    numba.set_num_threads(n_threads)
    state_mode = STATES_NONE
    if record_states:
        # Direct counting allocates a row per possible output state: worth it only
        # while those rows are few, in bytes and compared with the trajectories.
        codes = 1 << len(out_ids)
        direct_bytes = codes * (2 * settings.n_windows + 1) * 8 * n_threads
        direct = direct_bytes <= _DIRECT_BUDGET and codes <= max(256, N)
        state_mode = STATES_DIRECT if direct else STATES_RECORD
    run = _Run(cm, settings, out_bit, state_mode, n_threads, stream, first_trajectory,
               initial_states, trajectory_forcing, trajectory_ids, occ_slot, occ_window)

    final_counts: dict[int, int] = {}
    kept: list[np.ndarray] = []
    occ_kept: list[np.ndarray] = []
    transitions = 0
    cap = 16 if state_mode == STATES_RECORD else None
    out: _Outputs | None = None
    done = 0
    while done < N:
        rows = min(chunk_size, N)
        if cap is not None:
            rows = min(rows, max(1024, _RECORD_BUDGET // (24 * cap)))
        if out is None or out.final_code.shape[0] != rows or (cap is not None and out.cap != cap):
            out = _Outputs(rows, n_words, cap, len(occ_ids))
        count = min(rows, N - done)
        run.block(done, count, out)
        if cap is not None and run.record_block(done, count, out) > count // 100:
            cap *= 2
        if track_final:
            codes, counts = np.unique(out.final_code[:count], return_counts=True)
            for c, k in zip(codes.tolist(), counts.tolist()):
                final_counts[c] = final_counts.get(c, 0) + k
        if keep_final_states:
            kept.append(out.final_words[:count].copy())
        if occ_ids:
            occ_kept.append(out.occ[:count].copy())
        transitions += int(out.n_trans[:count].sum())
        done += count
        if progress is not None:
            progress(done, N)

    state_codes, state_probs = run.state_probabilities(N)
    fcodes = fcounts = None
    if track_final:
        fcodes = np.array(sorted(final_counts), dtype=np.uint64)
        fcounts = np.array([final_counts[int(c)] for c in fcodes], dtype=np.int64)
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
        final_states=np.concatenate(kept) if keep_final_states else None,
        sample_count=N,
        seed=settings.seed,
        max_time=float(settings.max_time),
        time_tick=float(settings.time_tick),
        discrete_time=bool(settings.discrete_time),
        perturbations=tuple(describe(p) for p in perts),
        context=context,
        model_hash=cm.model_hash,
        version=__version__,
        n_transitions=transitions,
        elapsed=time.perf_counter() - started,
        threads=n_threads,
        occupancy=np.clip(np.concatenate(occ_kept) / (occ_window[1] - occ_window[0]), 0.0, 1.0) if occ_ids else None,
        occupancy_nodes=occ_ids,
        occupancy_window=occ_window if occ_ids else None,
    )


def _occupancy(model: Model, cm: CompiledModel, nodes: Sequence[str], window: tuple[float, float] | None,
               max_time: float) -> tuple[tuple[str, ...], np.ndarray, tuple[float, float]]:
    """Checked occupancy request: node ids, each node's column (-1: not measured), the window."""
    ids = tuple(dict.fromkeys(model.resolve(name) for name in nodes))
    slot = np.full(cm.n_nodes, -1, np.int64)
    for k, name in enumerate(ids):
        slot[cm.position[name]] = k
    t0, t1 = (0.0, max_time) if window is None else (float(window[0]), float(window[1]))
    if not (np.isfinite(t0) and np.isfinite(t1) and 0.0 <= t0 < t1 <= max_time):
        raise SimulationError(f"occupancy_window must satisfy 0 <= start < end <= max_time ({max_time:g}), "
                              f"not ({t0:g}, {t1:g})")
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
