"""Kernel calls over chunks of trajectories, and the accumulators they add to.

:func:`~metastasim.engine.simulate` is the public entry point; this module holds
what one of its calls keeps between chunks: the per-trajectory output buffers
(:class:`Outputs`), the output-state records of runs with many outputs
(:class:`RecordedStates`) and the arrays that every chunk adds to
(:class:`SimulationRun`).
"""

from __future__ import annotations

import numpy as np

from metastasim.engine.compile import CompiledModel
from metastasim.engine.kernel import (
    STATES_DIRECT,
    STATES_RECORD,
    STATES_RECORD_WIDE,
    accumulate_state_intervals,
    map_state_codes,
    simulate_block,
)
from metastasim.engine.rng import split_seed
from metastasim.engine.wide_states import WideRecordedStates
from metastasim.network.settings import Settings

__all__ = ["FIXED_POINT", "Outputs", "RecordedStates", "SimulationRun", "window_probabilities", "words"]

#: Time is accumulated in fixed point: this many units per time tick.
FIXED_POINT = float(1 << 32)


def words(n_nodes: int) -> int:
    """uint64 words per packed state."""
    return (n_nodes + 63) // 64


def window_probabilities(full: np.ndarray, part: np.ndarray, units: np.ndarray, n: int) -> np.ndarray:
    """``[window, item]`` probabilities from difference counts of full windows and partial units."""
    n_win = part.shape[0]
    counts = np.cumsum(full, axis=0)[:n_win].astype(np.float64)
    return (counts * units[:, None] + part) / (n * units[:, None])


class Outputs:
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


class RecordedStates:
    """Output-state accumulators for many outputs: codes hashed to rows, grown on demand."""

    def __init__(self, n_win: int):
        self.n_win = n_win
        self.keys = np.zeros(64, np.uint64)
        self.rows_of = np.zeros(64, np.int64)
        self.used = np.zeros(64, np.bool_)
        self.n_rows = 0
        self.full = np.zeros((1, n_win + 1, 8), np.int64)
        self.part = np.zeros((1, n_win, 8), np.int64)

    def add(self, out: Outputs, count: int, settings: Settings, fx: float) -> None:
        """Add the output-state records of the first ``count`` trajectories of ``out``."""
        self.keys, self.rows_of, self.used, self.n_rows = map_state_codes(
            out.rec_code, out.rec_n, count, out.cap, self.keys, self.rows_of, self.used, self.n_rows, out.rows
        )
        if self.n_rows > self.full.shape[2]:
            grow = max(self.n_rows, 2 * self.full.shape[2]) - self.full.shape[2]
            self.full = np.concatenate([self.full, np.zeros((1, self.n_win + 1, grow), np.int64)], axis=2)
            self.part = np.concatenate([self.part, np.zeros((1, self.n_win, grow), np.int64)], axis=2)
        accumulate_state_intervals(
            out.rows,
            out.rec_time,
            out.rec_n,
            count,
            out.cap,
            settings.max_time,
            settings.time_tick,
            self.n_win,
            fx,
            self.full,
            self.part,
        )

    def probabilities(self, units: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The output states seen, in code order, and their ``[window, state]`` probabilities."""
        codes = np.zeros(self.n_rows, np.uint64)
        codes[self.rows_of[self.used]] = self.keys[self.used]
        probs = window_probabilities(self.full[0, :, : self.n_rows], self.part[0, :, : self.n_rows], units, n)
        order = np.argsort(codes, kind="stable")
        return codes[order], probs[:, order]


class SimulationRun:
    """The arrays and bookkeeping of one :func:`~metastasim.engine.simulate` call."""

    def __init__(
        self,
        cm: CompiledModel,
        settings: Settings,
        out_bit: np.ndarray,
        state_mode: int,
        n_threads: int,
        stream: int,
        first: int,
        initial_states,
        trajectory_forcing,
        trajectory_ids,
        occ_slot: np.ndarray,
        occ_window: tuple[float, float],
        th_on: np.ndarray | None = None,
        g_bit: np.ndarray | None = None,
    ):
        self.cm, self.settings, self.out_bit, self.state_mode = cm, settings, out_bit, state_mode
        self.occ_slot, self.occ_window = occ_slot, occ_window
        self.n_occ = int((occ_slot >= 0).sum())
        self.n_threads, self.stream, self.first = n_threads, stream, first
        self.initial_states, self.trajectory_forcing = initial_states, trajectory_forcing
        self.trajectory_ids = trajectory_ids
        n = cm.n_nodes
        self.n_words = words(n)
        self.keys = split_seed(settings.seed)
        self.n_win = settings.n_windows
        tick = float(settings.time_tick)
        self.fx = FIXED_POINT / tick
        lengths = np.minimum(tick, settings.max_time - np.arange(self.n_win) * tick)
        self.units = np.rint(lengths * self.fx).astype(np.float64)
        self.acc = self._accumulators(n_threads)
        n_codes = 1 << int((out_bit >= 0).sum()) if state_mode == STATES_DIRECT else 1
        self.sacc = (
            np.zeros((n_threads, self.n_win + 1, n_codes), np.int64),
            np.zeros((n_threads, self.n_win, n_codes), np.int64),
        )
        self.recorded = RecordedStates(self.n_win) if state_mode == STATES_RECORD else None
        if state_mode == STATES_RECORD_WIDE:  # the kernel records flipped nodes: it needs to know only which
            n_out = int((out_bit >= 0).sum())
            out_nodes = np.argsort(np.where(out_bit >= 0, out_bit, n), kind="stable")[:n_out]
            self.recorded = WideRecordedStates(self.n_win, out_nodes, n)
            self.out_bit = np.where(out_bit >= 0, 0, -1).astype(np.int64)
        self.no_init = np.zeros((0, self.n_words), np.uint64)
        self.no_forcing = np.zeros((0, n), np.int64)
        self.no_ids = np.zeros(0, np.uint64)
        self.th_on = th_on if th_on is not None else np.zeros(0, np.bool_)
        self.g_bit = g_bit if g_bit is not None else np.full(0, -1, np.int64)
        self.n_graph = 1 << int((self.g_bit >= 0).sum()) if self.g_bit.shape[0] else 0
        self.extra = self._extra(n_threads)

    def _extra(self, slots: int):
        """Zeroed accumulators of the optional outputs: transition entropy, observed-graph counts and durations."""
        th = self.n_win + 1 if self.th_on.shape[0] else 0
        return (
            np.zeros((slots, 4, th), np.int64),
            np.zeros((slots, self.n_graph, self.n_graph), np.int64),
            np.zeros((slots, self.n_graph, self.n_graph), np.int64),
        )

    def _accumulators(self, slots: int):
        """Zeroed node accumulators (full windows, partial units, final on-counts) for ``slots`` threads."""
        n = self.cm.n_nodes
        return (
            np.zeros((slots, self.n_win + 1, n), np.int64),
            np.zeros((slots, self.n_win, n), np.int64),
            np.zeros((slots, n), np.int64),
        )

    def _inputs(self, lo: int, hi: int):
        """Initial states, forcing and trajectory numbers of trajectories ``lo .. hi - 1`` (empty when not given)."""
        init = self.initial_states[lo:hi] if self.initial_states is not None else self.no_init
        forcing = self.trajectory_forcing[lo:hi] if self.trajectory_forcing is not None else self.no_forcing
        ids = self.trajectory_ids[lo:hi] if self.trajectory_ids is not None else self.no_ids
        return init, forcing, ids

    def block(self, lo: int, count: int, out: Outputs, *, slots: int | None = None, acc=None, sacc=None) -> None:
        """Run trajectories ``lo .. lo + count - 1`` of this call into ``out``."""
        cm, s = self.cm, self.settings
        acc_full, acc_part, final_on = acc if acc is not None else self.acc
        s_full, s_part = sacc if sacc is not None else self.sacc
        th_acc, g_count, g_dur = self.extra if acc is None else self._extra(1)  # scratch for re-runs
        init, forcing, ids = self._inputs(lo, lo + count)
        simulate_block(
            self.first + lo,
            count,
            slots or self.n_threads,
            self.stream,
            self.keys[0],
            self.keys[1],
            cm.kind,
            cm.in_ptr,
            cm.in_var,
            cm.tab_off,
            cm.tables,
            cm.code_ptr,
            cm.code_op,
            cm.code_arg,
            cm.max_stack,
            cm.dep_ptr,
            cm.dep_node,
            cm.dep_bit,
            cm.up_t,
            cm.up_f,
            cm.dn_t,
            cm.dn_f,
            cm.gr_off,
            cm.gr_up,
            cm.gr_dn,
            cm.base,
            cm.grp_ptr,
            cm.grp_node,
            cm.oc_ptr,
            cm.oc_cum,
            cm.oc_vptr,
            cm.oc_val,
            cm.forced,
            forcing,
            init,
            ids,
            self.out_bit,
            float(s.max_time),
            float(s.time_tick),
            self.n_win,
            bool(s.discrete_time),
            self.fx,
            self.state_mode,
            out.cap,
            s_full,
            s_part,
            acc_full,
            acc_part,
            final_on,
            out.final_words,
            out.final_code,
            out.rec_code,
            out.rec_time,
            out.rec_n,
            out.n_trans,
            self.occ_slot,
            float(self.occ_window[0]),
            float(self.occ_window[1]),
            out.occ,
            cm.sched_time,
            cm.sched_node,
            cm.sched_val,
            self.th_on,
            th_acc,
            self.g_bit,
            g_count,
            g_dur,
        )

    def record_block(self, lo: int, count: int, out: Outputs) -> int:
        """Hash a block's output-state records; re-run alone the trajectories that overflowed.

        Returns how many overflowed.  A re-run trajectory draws the same random
        numbers, so it repeats exactly; its node statistics go to scratch arrays.
        """
        self.recorded.add(out, count, self.settings, self.fx)
        overflow = np.flatnonzero(out.rec_n[:count] > out.cap)
        dummy = (np.zeros((1, 1, 1), np.int64), np.zeros((1, 1, 1), np.int64))
        for k in overflow.tolist():
            alone = Outputs(1, self.n_words, int(out.rec_n[k]), self.n_occ)
            self.block(lo + k, 1, alone, slots=1, acc=self._accumulators(1), sacc=dummy)
            self.recorded.add(alone, 1, self.settings, self.fx)
        return len(overflow)

    def node_probabilities(self, n: int) -> np.ndarray:
        """``[window, node]`` probabilities over the ``n`` trajectories run."""
        acc_full, acc_part, _ = self.acc
        return window_probabilities(acc_full.sum(axis=0), acc_part.sum(axis=0), self.units, n)

    def transition_entropy(self, n: int) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """MaBoSS's TH per window (mean over trajectories of its time average) and its standard error."""
        if not self.th_on.shape[0]:
            return None, None
        acc = self.extra[0].sum(axis=0)
        mean = (np.cumsum(acc[0])[: self.n_win] / float(1 << 20) + acc[1, : self.n_win] / self.units) / n
        mean_sq = (np.cumsum(acc[2])[: self.n_win] + acc[3, : self.n_win]) / float(1 << 24) / n
        var = np.maximum(mean_sq - mean**2, 0.0) * n / max(n - 1, 1)
        return mean, np.sqrt(var / n)

    def observed_graph(self) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """``[from, to]`` counts of changes of the observed nodes' joint state, and the mean time spent before each."""
        if not self.n_graph:
            return None, None
        counts = self.extra[1].sum(axis=0)
        total = self.extra[2].sum(axis=0) * (float(self.settings.time_tick) / (1 << 20))
        return counts, np.divide(total, counts, out=np.zeros(counts.shape), where=counts > 0)

    def state_probabilities(self, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Output-state codes and their ``[window, state]`` probabilities; ``(None, None)`` when not counted."""
        if self.state_mode in (STATES_RECORD, STATES_RECORD_WIDE):
            return self.recorded.probabilities(self.units, n)
        if self.state_mode == STATES_DIRECT:
            full, part = self.sacc[0].sum(axis=0), self.sacc[1].sum(axis=0)
            seen = np.flatnonzero(np.abs(full).sum(axis=0) + part.sum(axis=0))
            probs = window_probabilities(full[:, seen], part[:, seen], self.units, n)
            return seen.astype(np.uint64), probs
        return None, None
