"""Output-state recording for the kernel: counting modes and the post-processing kernels.

:func:`~metastasim.engine.kernel.simulate_block` counts output states in one of the
``STATES_*`` modes.  In the record modes it writes, per trajectory, the times the
output state changed; :func:`map_state_codes` gives each recorded state a dense row
and :func:`accumulate_state_intervals` adds the records' intervals to per-row
accumulators, as the kernel adds node intervals, with :func:`_add_interval`.

numba caches each kernel keyed on its own file only: after editing
:func:`_add_interval`, which ``simulate_block`` inlines, touch ``kernel.py`` (or clear
``__pycache__``) so that its cached build is refreshed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "map_state_codes",
    "accumulate_state_intervals",
    "STATES_NONE",
    "STATES_DIRECT",
    "STATES_RECORD",
    "STATES_RECORD_WIDE",
]

# How output states are counted: not at all, straight into per-code accumulators
# (few outputs), or as per-trajectory change records hashed afterwards (many outputs);
# past 64 outputs a record holds the flipped node instead of the state code, and the
# states are rebuilt backwards from the final state (metastasim.engine.wide_states).
STATES_NONE, STATES_DIRECT, STATES_RECORD, STATES_RECORD_WIDE = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _add_interval(acc_full, acc_part, s, i, a, b, tick, inv_tick, fx, n_win):
    if b <= a:
        return
    ka = int(a * inv_tick)
    if ka >= n_win:
        ka = n_win - 1
    kb = int(b * inv_tick)
    if kb > n_win:
        kb = n_win
    if kb <= ka:
        acc_part[s, ka, i] += np.int64((b - a) * fx + 0.5)
        return
    acc_part[s, ka, i] += np.int64(((ka + 1) * tick - a) * fx + 0.5)
    acc_full[s, ka + 1, i] += 1
    acc_full[s, kb, i] -= 1
    if kb < n_win:
        acc_part[s, kb, i] += np.int64((b - kb * tick) * fx + 0.5)


@njit(cache=True)
def map_state_codes(rec_code, rec_n, count, cap, keys, rows_of, used, n_rows, rows):
    """Give every output-state code in the records a dense row number.

    ``keys``/``rows_of``/``used`` form an open-addressing hash table (capacity a
    power of two) that persists across blocks; it is grown here when half full.
    Fills ``rows[k, j]`` with the row of record ``j`` of trajectory ``k`` and returns
    ``(keys, rows_of, used, n_rows)``.
    """
    for k in range(count):
        m = min(rec_n[k], cap)
        for j in range(m):
            code = rec_code[k, j]
            if 2 * (n_rows + 1) > keys.shape[0]:
                size = keys.shape[0] * 2
                new_keys = np.zeros(size, np.uint64)
                new_rows = np.zeros(size, np.int64)
                new_used = np.zeros(size, np.bool_)
                for h in range(keys.shape[0]):
                    if used[h]:
                        slot = np.int64((keys[h] * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) & (size - 1)
                        while new_used[slot]:
                            slot = (slot + 1) & (size - 1)
                        new_used[slot] = True
                        new_keys[slot] = keys[h]
                        new_rows[slot] = rows_of[h]
                keys, rows_of, used = new_keys, new_rows, new_used
            mask = keys.shape[0] - 1
            slot = np.int64((code * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) & mask
            while used[slot] and keys[slot] != code:
                slot = (slot + 1) & mask
            if not used[slot]:
                used[slot] = True
                keys[slot] = code
                rows_of[slot] = n_rows
                n_rows += 1
            rows[k, j] = rows_of[slot]
    return keys, rows_of, used, n_rows


@njit(cache=True)
def accumulate_state_intervals(rows, rec_time, rec_n, count, cap, max_time, tick, n_win, fx, full, part):
    """Add the output-state intervals of a block to dense per-state accumulators.

    ``rows[k, j]`` is the accumulator row of the ``j``-th record of trajectory ``k``;
    record ``j`` holds from ``rec_time[k, j]`` until the next record (or ``max_time``).
    Trajectories with more than ``cap`` records are skipped (the caller handles them).
    """
    inv_tick = 1.0 / tick
    for k in range(count):
        m = rec_n[k]
        if m > cap:
            continue
        for j in range(m):
            a = rec_time[k, j]
            b = rec_time[k, j + 1] if j + 1 < m else max_time
            _add_interval(full, part, 0, rows[k, j], a, b, tick, inv_tick, fx, n_win)
