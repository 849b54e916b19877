"""The compiled Gillespie kernel (MaBoSS semantics), written for numba.

One call simulates a contiguous block of trajectories, split over ``n_slots``
threads.  Work per transition is proportional to what changes:

- rules with at most ``TABLE_MAX_INPUTS`` inputs are truth tables indexed by an
  integer that each flip of an input updates with one XOR, so re-evaluating a
  dependent rule costs one table read;
- larger rules run as a small postfix program;
- a node whose rates read other nodes (MaBoSS allows ``rate_up = $k * (A + B)``)
  has its rates tabulated per truth-table row, so they too cost one read;
- only nodes with a positive rate sit in the *active* list that the next event is
  drawn from.

Time-averaged node probabilities are accumulated as integers (fixed point, 2**32
units per time window) through difference arrays, so an interval that spans many
windows costs O(1) and the sums do not depend on how trajectories are shared among
threads.  Random numbers come from :mod:`metastasim.engine.rng`, one stream per
trajectory.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from metastasim.engine.kernel_states import (
    STATES_DIRECT,
    STATES_NONE,
    STATES_RECORD,
    STATES_RECORD_WIDE,
    _add_interval,
    accumulate_state_intervals,
    map_state_codes,
)
from metastasim.engine.rng import _MASK, _S32, philox4x32

__all__ = [
    "simulate_block",
    "map_state_codes",
    "accumulate_state_intervals",
    "STATES_NONE",
    "STATES_DIRECT",
    "STATES_RECORD",
    "STATES_RECORD_WIDE",
    "TABLE_MAX_INPUTS",
    "MAX_NODES_PER_WORD",
]

#: Rules reading at most this many distinct nodes are compiled to truth tables.
TABLE_MAX_INPUTS = 16
MAX_NODES_PER_WORD = 64

# Postfix opcodes (same numbering as metastasim.network.expr).
_VAR, _CONST, _NOT, _AND, _OR, _XOR = 0, 1, 2, 3, 4, 5

_S5 = np.uint64(5)
_S6 = np.uint64(6)
_S26 = np.uint64(26)
_ONE = np.uint64(1)
_TWO_M53 = 1.0 / 9007199254740992.0
_TWO_M32 = 1.0 / 4294967296.0
_EXACT_LIMIT = 1e6  # rates above this are never added to or removed from the running total


@njit(cache=True, inline="always")
def _eval_program(i, x, code_ptr, code_op, code_arg, stack):
    sp = 0
    for pc in range(code_ptr[i], code_ptr[i + 1]):
        op = code_op[pc]
        a = code_arg[pc]
        if op == _VAR:
            stack[sp] = x[a]
            sp += 1
        elif op == _CONST:
            stack[sp] = a
            sp += 1
        elif op == _NOT:
            stack[sp - 1] = 1 - stack[sp - 1]
        else:
            v = stack[sp - 1]
            for j in range(2, a + 1):
                w = stack[sp - j]
                if op == _AND:
                    v = v & w
                elif op == _OR:
                    v = v | w
                else:
                    v = v ^ w
            sp -= a
            stack[sp] = v
            sp += 1
    return stack[0]


@njit(cache=True, inline="always")
def _rate(i, x, L, frozen, up_t, up_f, dn_t, dn_f, gr_off, gr_up, gr_dn, idx):
    if frozen[i]:
        return 0.0
    g = gr_off[i]
    if g >= 0:  # graded node: its rates read other nodes, tabulated by its truth-table row
        return gr_dn[g + idx[i]] if x[i] else gr_up[g + idx[i]]
    if x[i]:
        return dn_t[i] if L[i] else dn_f[i]
    return up_t[i] if L[i] else up_f[i]


@njit(cache=True, inline="always")
def _set_active(i, rate, r, act, pos, na, total):
    old = r[i]
    if rate > _EXACT_LIMIT or old > _EXACT_LIMIT:
        total = -np.inf  # a huge rate came or went: the caller recomputes the sum exactly
    else:
        total += rate - old
    r[i] = rate
    if rate > 0.0:
        if pos[i] < 0:
            pos[i] = na
            act[na] = i
            na += 1
    elif pos[i] >= 0:
        last = act[na - 1]
        act[pos[i]] = last
        pos[last] = pos[i]
        pos[i] = -1
        na -= 1
    return na, total


@njit(cache=True, inline="always")
def _overlap(a, b, t0, t1):
    """Length of the intersection of [a, b] with [t0, t1]."""
    lo = a if a > t0 else t0
    hi = b if b < t1 else t1
    return hi - lo if hi > lo else 0.0


@njit(cache=True, inline="always")
def _transition_entropy(r, act, na, th_on):
    """MaBoSS's TH of the current state: entropy (bits) of which counted node flips next."""
    tot = 0.0
    for q in range(na):
        if th_on[act[q]]:
            tot += r[act[q]]
    h = 0.0
    if tot > 0.0:
        for q in range(na):
            if th_on[act[q]]:
                p = r[act[q]] / tot
                h -= p * np.log2(p)
    return h


@njit(cache=True, inline="always")
def _window_length(k, tick, max_time):
    end = (k + 1) * tick
    return (end if end < max_time else max_time) - k * tick


@njit(cache=True, inline="always")
def _add_entropy(th_acc, s, a, b, h, cur, cw, tick, inv_tick, fx, n_win, max_time):
    """Add TH ``h`` held over ``[a, b]`` of one trajectory; return its running integral in window ``cw``.

    ``th_acc`` holds, per slot, the integral of TH (full windows as a difference array
    of ``h * 2**20``, partial windows in ``fx`` units) and the sum over trajectories of
    the squared window average (full windows as a difference array, partial windows
    when the trajectory leaves them; ``2**24`` units), all integers.
    """
    if b <= a:
        return cur, cw
    ka = int(a * inv_tick)
    if ka >= n_win:
        ka = n_win - 1
    kb = int(b * inv_tick)
    if kb > n_win:
        kb = n_win
    if kb <= ka:
        th_acc[s, 1, ka] += np.int64((b - a) * h * fx + 0.5)
        return cur + (b - a) * h, ka
    piece = ((ka + 1) * tick - a) * h
    th_acc[s, 1, ka] += np.int64(piece * fx + 0.5)
    w = (cur + piece) / _window_length(ka, tick, max_time)
    th_acc[s, 3, ka] += np.int64(w * w * 16777216.0 + 0.5)
    hq = np.int64(h * 1048576.0 + 0.5)
    hsq = np.int64(h * h * 16777216.0 + 0.5)
    th_acc[s, 0, ka + 1] += hq
    th_acc[s, 0, kb] -= hq
    th_acc[s, 2, ka + 1] += hsq
    th_acc[s, 2, kb] -= hsq
    if kb < n_win:
        piece = (b - kb * tick) * h
        th_acc[s, 1, kb] += np.int64(piece * fx + 0.5)
        return piece, kb
    return 0.0, -1


@njit(cache=True, parallel=True)
def simulate_block(
    first,
    count,
    n_slots,
    stream,
    key0,
    key1,
    kind,
    in_ptr,
    in_var,
    tab_off,
    tables,
    code_ptr,
    code_op,
    code_arg,
    max_stack,
    dep_ptr,
    dep_node,
    dep_bit,
    up_t,
    up_f,
    dn_t,
    dn_f,
    gr_off,
    gr_up,
    gr_dn,
    base,
    grp_ptr,
    grp_node,
    oc_ptr,
    oc_cum,
    oc_vptr,
    oc_val,
    forced,
    traj_forced,
    init_words,
    traj_ids,
    out_bit,
    max_time,
    tick,
    n_win,
    discrete,
    fx,
    state_mode,
    rec_cap,
    acc_sfull,
    acc_spart,
    acc_full,
    acc_part,
    final_on,
    final_words,
    final_code,
    rec_code,
    rec_time,
    rec_n,
    n_trans,
    occ_slot,
    occ_t0,
    occ_t1,
    occ_out,
    sched_time,
    sched_node,
    sched_val,
    th_on,
    th_acc,
    g_bit,
    g_count,
    g_dur,
):
    """Simulate trajectories ``first .. first + count - 1``.

    When ``traj_ids`` is not empty, row ``k`` is trajectory ``traj_ids[k]``
    instead (its random stream), so a subset of cells can be continued.

    Accumulates node occupancy into ``acc_full``/``acc_part`` (per slot), final
    on-counts into ``final_on`` (per slot), output-state occupancy into
    ``acc_sfull``/``acc_spart`` (``state_mode`` direct, indexed by state code), and
    writes per trajectory (row ``k`` for trajectory ``first + k``) the packed final
    state, the final output-state code, the output-state change records
    (``state_mode`` record), the number of transitions and, for each node with
    ``occ_slot[i] >= 0``, the time it was on within ``[occ_t0, occ_t1]``
    (``occ_out[k, occ_slot[i]]``).

    Optional (empty arrays: off, at no cost): scheduled changes (at
    ``sched_time[m]``, node ``sched_node[m]`` is set on with probability
    ``sched_val[m]``, else off; times in increasing order); the transition entropy
    (MaBoSS's TH over the nodes with ``th_on``, see :func:`_add_entropy` for
    ``th_acc[slot, 4, n_win + 1]``); the observed transition graph over the nodes
    with ``g_bit >= 0`` (``g_count[slot, from, to]`` changes of their joint state
    and ``g_dur[slot, from, to]`` the time spent in ``from`` before them, in units of
    ``tick / 2**20``).
    """
    n = kind.shape[0]
    n_words = final_words.shape[1]
    inv_tick = 1.0 / tick
    has_traj_forced = traj_forced.shape[0] > 0
    has_init = init_words.shape[0] > 0
    has_ids = traj_ids.shape[0] > 0
    n_groups = grp_ptr.shape[0] - 1
    n_occ = occ_out.shape[1]
    n_sc = sched_time.shape[0]
    has_th = th_on.shape[0] > 0
    has_graph = g_bit.shape[0] > 0
    gfx = fx * (1.0 / 4096.0)
    for s in prange(n_slots):
        x = np.zeros(n, np.int64)
        L = np.zeros(n, np.int64)
        idx = np.zeros(n, np.int64)
        r = np.zeros(n, np.float64)
        act = np.zeros(n, np.int64)
        pos = np.full(n, -1, np.int64)
        frozen = np.zeros(n, np.bool_)
        on_since = np.zeros(n, np.float64)
        stack = np.zeros(max_stack + 1, np.int64)
        lo = (count * s) // n_slots
        hi = (count * (s + 1)) // n_slots
        for k in range(lo, hi):
            traj = traj_ids[k] if has_ids else np.uint64(first + k)
            c2 = traj & _MASK
            c3 = traj >> _S32
            st = np.uint64(stream)
            ctr = np.uint64(0)
            # ---- initial state ------------------------------------------------
            if has_init:
                for i in range(n):
                    x[i] = np.int64((init_words[k, i >> 6] >> np.uint64(i & 63)) & _ONE)
            else:
                for i in range(n):
                    x[i] = base[i]
                b0 = np.uint64(0)
                b1 = np.uint64(0)
                b2 = np.uint64(0)
                b3 = np.uint64(0)
                used = 4
                for g in range(n_groups):
                    if used == 4:
                        b0, b1, b2, b3 = philox4x32(ctr, st, c2, c3, key0, key1)
                        ctr += _ONE
                        used = 0
                    if used == 0:
                        bits = b0
                    elif used == 1:
                        bits = b1
                    elif used == 2:
                        bits = b2
                    else:
                        bits = b3
                    used += 1
                    u = bits * _TWO_M32
                    o = oc_ptr[g]
                    while o < oc_ptr[g + 1] - 1 and u >= oc_cum[o]:
                        o += 1
                    size = grp_ptr[g + 1] - grp_ptr[g]
                    for j in range(size):
                        x[grp_node[grp_ptr[g] + j]] = oc_val[oc_vptr[o] + j]
            for i in range(n):
                f = forced[i]
                if has_traj_forced and traj_forced[k, i] >= 0:
                    f = traj_forced[k, i]
                if f >= 0:
                    x[i] = f
                    frozen[i] = True
                else:
                    frozen[i] = False
            # ---- rules, rates, active set --------------------------------------
            for i in range(n):
                if kind[i] == 0:
                    v = 0
                    for j in range(in_ptr[i], in_ptr[i + 1]):
                        v |= x[in_var[j]] << (j - in_ptr[i])
                    idx[i] = v
                    L[i] = np.int64(tables[tab_off[i] + v])
                else:
                    L[i] = _eval_program(i, x, code_ptr, code_op, code_arg, stack)
            na = 0
            total = 0.0
            for i in range(n):
                pos[i] = -1
                r[i] = 0.0
            for i in range(n):
                na, total = _set_active(
                    i, _rate(i, x, L, frozen, up_t, up_f, dn_t, dn_f, gr_off, gr_up, gr_dn, idx), r, act, pos, na, total
                )
            code = np.uint64(0)
            for i in range(n):
                if out_bit[i] >= 0 and x[i]:
                    code |= _ONE << np.uint64(out_bit[i])
                on_since[i] = 0.0
            for o in range(n_occ):
                occ_out[k, o] = 0.0
            nrec = 0
            state_since = 0.0
            sc = 0
            th_now = _transition_entropy(r, act, na, th_on) if has_th else 0.0
            th_since = 0.0
            th_cur = 0.0
            th_win = 0
            gcode = 0
            g_since = 0.0
            if has_graph:
                for i in range(n):
                    if g_bit[i] >= 0 and x[i]:
                        gcode |= 1 << g_bit[i]
            if state_mode >= STATES_RECORD:
                rec_code[k, 0] = code
                rec_time[k, 0] = 0.0
                nrec = 1
            # ---- Gillespie loop -------------------------------------------------
            t = 0.0
            transitions = 0
            while na > 0 or sc < n_sc:
                if transitions & 15 == 0 or total < 0.0:
                    # the running total drifts by rounding: recompute it now and then,
                    # and whenever a huge rate entered or left it
                    total = 0.0
                    for q in range(na):
                        total += r[act[q]]
                if total <= 0.0 and sc >= n_sc:
                    break
                r0, r1, r2, r3 = philox4x32(ctr, st, c2, c3, key0, key1)
                ctr += _ONE
                if total <= 0.0:
                    dt = np.inf  # nothing can flip before the next scheduled change
                elif discrete:
                    dt = tick  # MaBoSS's discrete time: every transition takes one time tick
                else:
                    u1 = ((r0 >> _S5) << _S26 | (r1 >> _S6)) * _TWO_M53
                    dt = -np.log(1.0 - u1) / total
                if sc < n_sc and t + dt >= sched_time[sc]:
                    # a scheduled change comes first: the drawn transition is dropped (the
                    # process is memoryless) and the clock restarts from the change
                    t = sched_time[sc]
                    j = sched_node[sc]
                    v = 1 if (((r2 >> _S5) << _S26 | (r3 >> _S6)) * _TWO_M53) < sched_val[sc] else 0
                    sc += 1
                    if x[j] == v:
                        continue
                else:
                    if t + dt >= max_time:  # as MaBoSS: no transition at max_time itself
                        break
                    t += dt
                    target = (((r2 >> _S5) << _S26 | (r3 >> _S6)) * _TWO_M53) * total
                    q = 0
                    acc = r[act[0]]
                    while acc <= target and q < na - 1:
                        q += 1
                        acc += r[act[q]]
                    j = act[q]
                if has_th:
                    th_cur, th_win = _add_entropy(
                        th_acc, s, th_since, t, th_now, th_cur, th_win, tick, inv_tick, fx, n_win, max_time
                    )
                    th_since = t
                if has_graph and g_bit[j] >= 0:
                    g_new = gcode ^ (1 << g_bit[j])
                    g_count[s, gcode, g_new] += 1
                    g_dur[s, gcode, g_new] += np.int64((t - g_since) * gfx + 0.5)
                    gcode = g_new
                    g_since = t
                # flip j
                if x[j]:
                    _add_interval(acc_full, acc_part, s, j, on_since[j], t, tick, inv_tick, fx, n_win)
                    if occ_slot[j] >= 0:
                        occ_out[k, occ_slot[j]] += _overlap(on_since[j], t, occ_t0, occ_t1)
                    x[j] = 0
                else:
                    on_since[j] = t
                    x[j] = 1
                transitions += 1
                if out_bit[j] >= 0:
                    if state_mode == STATES_DIRECT:
                        _add_interval(
                            acc_sfull, acc_spart, s, np.int64(code), state_since, t, tick, inv_tick, fx, n_win
                        )
                        state_since = t
                    code ^= _ONE << np.uint64(out_bit[j])
                    if state_mode == STATES_RECORD:
                        if nrec < rec_cap:
                            rec_code[k, nrec] = code
                            rec_time[k, nrec] = t
                        nrec += 1
                    elif state_mode == STATES_RECORD_WIDE:
                        if nrec < rec_cap:
                            rec_code[k, nrec] = np.uint64(j)
                            rec_time[k, nrec] = t
                        nrec += 1
                for e in range(dep_ptr[j], dep_ptr[j + 1]):
                    d = dep_node[e]
                    bit = dep_bit[e]
                    if bit >= 0:
                        idx[d] ^= np.int64(1) << bit
                        newl = np.int64(tables[tab_off[d] + idx[d]])
                    else:
                        newl = _eval_program(d, x, code_ptr, code_op, code_arg, stack)
                    if newl != L[d] or gr_off[d] >= 0:
                        L[d] = newl
                        if d != j:
                            na, total = _set_active(
                                d,
                                _rate(d, x, L, frozen, up_t, up_f, dn_t, dn_f, gr_off, gr_up, gr_dn, idx),
                                r,
                                act,
                                pos,
                                na,
                                total,
                            )
                na, total = _set_active(
                    j, _rate(j, x, L, frozen, up_t, up_f, dn_t, dn_f, gr_off, gr_up, gr_dn, idx), r, act, pos, na, total
                )
                if has_th:
                    th_now = _transition_entropy(r, act, na, th_on)
            # ---- close the trajectory ------------------------------------------
            if has_th:
                th_cur, th_win = _add_entropy(
                    th_acc, s, th_since, max_time, th_now, th_cur, th_win, tick, inv_tick, fx, n_win, max_time
                )
                if th_win >= 0:
                    w = th_cur / _window_length(th_win, tick, max_time)
                    th_acc[s, 3, th_win] += np.int64(w * w * 16777216.0 + 0.5)
            for i in range(n):
                if x[i]:
                    _add_interval(acc_full, acc_part, s, i, on_since[i], max_time, tick, inv_tick, fx, n_win)
                    final_on[s, i] += 1
                    if occ_slot[i] >= 0:
                        occ_out[k, occ_slot[i]] += _overlap(on_since[i], max_time, occ_t0, occ_t1)
            for w in range(n_words):
                final_words[k, w] = np.uint64(0)
            for i in range(n):
                if x[i]:
                    final_words[k, i >> 6] |= _ONE << np.uint64(i & 63)
            if state_mode == STATES_DIRECT:
                _add_interval(acc_sfull, acc_spart, s, np.int64(code), state_since, max_time, tick, inv_tick, fx, n_win)
            final_code[k] = code
            rec_n[k] = nrec
            n_trans[k] = transitions
    return 0
