"""Output-state tables over more than 64 outputs.

With at most 64 outputs a state is one uint64 code (bit ``b`` is ``outputs[b]``).
Past that, a state is a row of ``ceil(outputs / 64)`` words (bit ``b % 64`` of word
``b // 64``), the kernel's records hold the node that flipped instead of the state
code (``STATES_RECORD_WIDE``), and the states are rebuilt here, backwards from each
trajectory's final state.  The states that occur get dense accumulator rows, as
:class:`~metastasim.engine.chunks.RecordedStates` does for one-word codes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from metastasim.engine.kernel import accumulate_state_intervals

__all__ = ["WideRecordedStates", "output_keys", "key_words"]


def key_words(n_outputs: int) -> int:
    """uint64 words per output state."""
    return (n_outputs + 63) // 64


def output_keys(final_words: np.ndarray, out_nodes: np.ndarray) -> np.ndarray:
    """``[rows, key_words]`` output states from packed full states (``out_nodes[b]`` is output ``b``'s node)."""
    rows = final_words.shape[0]
    n_kw = key_words(len(out_nodes))
    bits = np.unpackbits(np.ascontiguousarray(final_words).view(np.uint8), axis=1, bitorder="little")
    on = np.zeros((rows, 64 * n_kw), np.uint8)
    on[:, : len(out_nodes)] = bits[:, out_nodes]
    return np.packbits(on, axis=1, bitorder="little").view(np.uint64).reshape(rows, n_kw)


@njit(cache=True)
def _rebuild(rec_code, rec_n, count, cap, final_keys, out_slot, keys):
    """Fill ``keys[k, j]`` with the output state of record ``j`` of trajectory ``k`` (records up to ``cap``)."""
    n_kw = final_keys.shape[1]
    cur = np.empty(n_kw, np.uint64)
    for k in range(count):
        m = rec_n[k]
        if m > cap:
            continue
        for w in range(n_kw):
            cur[w] = final_keys[k, w]
        for j in range(m - 1, -1, -1):
            for w in range(n_kw):
                keys[k, j, w] = cur[w]
            if j > 0:
                b = out_slot[np.int64(rec_code[k, j])]
                cur[b >> 6] ^= np.uint64(1) << np.uint64(b & 63)


class WideRecordedStates:
    """Output-state accumulators over many outputs: multi-word states given dense rows, grown on demand."""

    def __init__(self, n_win: int, out_nodes: np.ndarray, n_nodes: int):
        self.n_win = n_win
        self.out_nodes = np.asarray(out_nodes, np.int64)
        self.out_slot = np.full(n_nodes, -1, np.int64)
        self.out_slot[self.out_nodes] = np.arange(len(self.out_nodes))
        self.n_kw = key_words(len(self.out_nodes))
        self.row_of: dict[bytes, int] = {}
        self.full = np.zeros((1, n_win + 1, 8), np.int64)
        self.part = np.zeros((1, n_win, 8), np.int64)

    def _rows(self, keys: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Dense rows of the ``valid`` records' states, new states numbered in order of appearance."""
        flat = np.ascontiguousarray(keys[valid])
        uniq, inverse = np.unique(flat.view(np.dtype((np.void, 8 * self.n_kw))).ravel(), return_inverse=True)
        ids = np.empty(len(uniq), np.int64)
        for u, key in enumerate(uniq.tolist()):
            ids[u] = self.row_of.setdefault(bytes(key), len(self.row_of))
        rows = np.zeros(valid.shape, np.int64)
        rows[valid] = ids[inverse.ravel()]
        return rows

    def add(self, out, count: int, settings, fx: float) -> None:
        """Add the records of the first ``count`` trajectories of ``out`` (an ``Outputs`` of a wide run)."""
        cap = out.cap
        keys = np.zeros((count, cap, self.n_kw), np.uint64)
        final = output_keys(out.final_words[:count], self.out_nodes)
        _rebuild(out.rec_code, out.rec_n, count, cap, final, self.out_slot, keys)
        n = out.rec_n[:count]
        valid = (np.arange(cap)[None, :] < n[:, None]) & (n[:, None] <= cap)
        rows = self._rows(keys, valid)
        n_rows = len(self.row_of)
        if n_rows > self.full.shape[2]:
            grow = max(n_rows, 2 * self.full.shape[2]) - self.full.shape[2]
            self.full = np.concatenate([self.full, np.zeros((1, self.n_win + 1, grow), np.int64)], axis=2)
            self.part = np.concatenate([self.part, np.zeros((1, self.n_win, grow), np.int64)], axis=2)
        accumulate_state_intervals(
            rows,
            out.rec_time,
            out.rec_n,
            count,
            cap,
            settings.max_time,
            settings.time_tick,
            self.n_win,
            fx,
            self.full,
            self.part,
        )

    def probabilities(self, units: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The output states seen (``[state, word]``, in numeric order) and their ``[window, state]`` probabilities."""
        from metastasim.engine.chunks import window_probabilities

        n_rows = len(self.row_of)
        codes = np.zeros((n_rows, self.n_kw), np.uint64)
        for key, row in self.row_of.items():
            codes[row] = np.frombuffer(key, np.uint64)
        probs = window_probabilities(self.full[0, :, :n_rows], self.part[0, :, :n_rows], units, n)
        order = np.lexsort(codes.T) if n_rows else np.zeros(0, np.int64)
        return codes[order], probs[:, order]
