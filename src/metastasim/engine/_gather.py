"""Run a simulation's chunks and gather them into a :class:`~metastasim.engine.result.Result`.

The run's accumulators (:class:`~metastasim.engine.chunks.SimulationRun`) hold the
time courses; :class:`_Gathered` keeps what each chunk leaves per trajectory (final
output states, final states, occupancies) until :func:`_collect` builds the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from metastasim._version import __version__
from metastasim.engine.chunks import Outputs, SimulationRun
from metastasim.engine.kernel import STATES_RECORD, STATES_RECORD_WIDE
from metastasim.engine.result import Result
from metastasim.engine.wide_states import key_words, output_keys
from metastasim.network.perturbations import Perturbation, describe

_RECORD_BUDGET = 64 << 20  # bytes of per-trajectory output-state records in one call


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
    graph_ids: tuple[str, ...],
    started: float,
) -> Result:
    """The :class:`Result` of a finished run (its transition entropy and observed graph included)."""
    settings, cm, occ_window = run.settings, run.cm, run.occ_window
    N = settings.sample_count
    state_codes, state_probs = run.state_probabilities(N)
    fcodes, fcounts = gathered.final_state_counts()
    result = Result(
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
    result.transition_entropy, result.transition_entropy_se = run.transition_entropy(N)
    result.graph_counts, result.graph_durations = run.observed_graph()
    result.graph_nodes = graph_ids
    return result
