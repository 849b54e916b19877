"""Philox4x32-10, the counter-based generator of Salmon et al. (SC'11, Random123).

Each trajectory draws from its own stream: the key is the seed and the counter is
``(draw number, stream id, trajectory index low, trajectory index high)``.  A draw
therefore depends only on the seed, the trajectory and how many draws that
trajectory made before, never on which thread ran it, so a seed gives
bit-identical results with any number of threads, processes or machines.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["philox4x32", "split_seed", "uniform_block", "uniforms_of"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


@njit(cache=True, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Ten Philox rounds on a 4x32-bit counter with a 2x32-bit key (uint64 holders)."""
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> _S32
        lo0 = p0 & _MASK
        hi1 = p1 >> _S32
        lo1 = p1 & _MASK
        c0 = hi1 ^ c1 ^ k0
        c1 = lo1
        c2 = hi0 ^ c3 ^ k1
        c3 = lo0
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


def split_seed(seed: int) -> tuple[np.uint64, np.uint64]:
    """The two 32-bit key words of a 64-bit seed."""
    seed = int(seed)
    return np.uint64(seed & 0xFFFFFFFF), np.uint64((seed >> 32) & 0xFFFFFFFF)


@njit(cache=True)
def uniform_block(seed_lo, seed_hi, stream, traj, n):
    """``n`` uniforms in [0, 1) of a trajectory's stream (32-bit resolution; for tests)."""
    out = np.empty(n, np.float64)
    t = np.uint64(traj)
    c2 = t & _MASK
    c3 = t >> _S32
    i = 0
    ctr = np.uint64(0)
    while i < n:
        r0, r1, r2, r3 = philox4x32(ctr, np.uint64(stream), c2, c3, seed_lo, seed_hi)
        ctr += np.uint64(1)
        for r in (r0, r1, r2, r3):
            if i < n:
                out[i] = r * 2.3283064365386963e-10
                i += 1
    return out


@njit(cache=True)
def _uniforms_of(seed_lo, seed_hi, stream, ids, out):
    st = np.uint64(stream)
    for k in range(ids.shape[0]):
        t = ids[k]
        r0, r1, _, _ = philox4x32(np.uint64(0), st, t & _MASK, t >> _S32, seed_lo, seed_hi)
        out[k] = ((r0 >> np.uint64(5)) << np.uint64(26) | (r1 >> np.uint64(6))) * (1.0 / 9007199254740992.0)
    return out


def uniforms_of(seed: int, stream: int, ids: np.ndarray) -> np.ndarray:
    """One uniform in [0, 1) (53 bits) per entry of ``ids``, from stream ``(seed, stream, id)``.

    The value for an id depends only on the seed, the stream and the id, so a
    decision drawn this way for a cell is the same whichever chunk, thread or
    machine handles it.
    """
    lo, hi = split_seed(seed)
    ids = np.ascontiguousarray(ids, dtype=np.uint64)
    return _uniforms_of(lo, hi, np.uint64(stream), ids, np.empty(ids.shape[0], np.float64))
