"""The exact continuous-time Markov chain of a small model, from its public description only.

Shared by the tests that compare a simulator with exact answers
(``tests/engine/test_exact.py``, ``tests/cascade/test_splitting.py``); the semantics
are described in ``tests/engine/test_exact.py``.  In short: a model of ``n`` nodes is a
chain on its ``2**n`` states (bit ``i`` of a state is node ``i`` of ``model.nodes``);
in state ``s`` an off node turns on at its ``rate_up`` and an on node turns off at its
``rate_down``, evaluated with its rule and the states of the nodes its rate reads; a
fixed node (Knockout, ForceOn, SetInput, a heritable alteration) never flips and is
moved onto its value at the start (:func:`move_onto`); ``Inhibit(X, e)`` multiplies
the up rates of ``X`` by ``1 - e``.  Nothing here reads the package's compiled arrays.

Examples
--------
>>> from metastasim.io import parse_bnet
>>> model = parse_bnet("A, !A")
>>> model.nodes["A"].initial = 0.0
>>> q_t = generator_t(chain_rates(model, {}, {}))
>>> float(q_t[1, 0]), float(q_t[0, 0])
(1.0, -1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import expm_multiply

from metastasim.network import ForceOn, Inhibit, Knockout, SetInput

__all__ = [
    "fixed_values",
    "up_factors",
    "chain_rates",
    "flip_rates",
    "move_onto",
    "base_distribution",
    "initial_distribution",
    "transition_matrix",
    "generator_t",
    "Exact",
    "exact_continuous",
    "exact_discrete",
]


def fixed_values(model, perturbations) -> dict[str, int]:
    """Nodes that perturbations fix, and their values."""
    fixed = {}
    for p in tuple(model.perturbations) + tuple(perturbations):
        if isinstance(p, Knockout):
            fixed[p.node] = 0
        elif isinstance(p, ForceOn):
            fixed[p.node] = 1
        elif isinstance(p, SetInput):
            fixed[p.node] = p.value
    return fixed


def up_factors(model, perturbations) -> dict[str, float]:
    """Factor on the up rates of each inhibited node."""
    factor = {name: 1.0 for name in model.nodes}
    for p in perturbations:
        if isinstance(p, Inhibit):
            factor[p.node] *= 1.0 - p.efficacy
    return factor


def chain_rates(model, fixed: dict[str, int], factor: dict[str, float]) -> np.ndarray:
    """``[state, node]`` rate at which the node flips in the state, with the nodes of ``fixed`` frozen and the
    up rates of each node multiplied by ``factor[node]`` (default 1)."""
    ids = list(model.nodes)
    n = len(ids)
    rates = np.zeros((1 << n, n))
    for s in range(1 << n):
        values = {name: (s >> i) & 1 for i, name in enumerate(ids)}
        for i, name in enumerate(ids):
            if name in fixed:
                continue
            up_t, up_f, down_t, down_f = model.rate_values(name, values)
            logic = model.nodes[name].rule.evaluate(values)
            if values[name]:
                rates[s, i] = down_t if logic else down_f
            else:
                rates[s, i] = factor.get(name, 1.0) * (up_t if logic else up_f)
    return rates


def flip_rates(model, perturbations) -> np.ndarray:
    """``[state, node]`` rate at which the node flips in the state (bit ``i`` of a state is node ``i``)."""
    return chain_rates(model, fixed_values(model, perturbations), up_factors(model, perturbations))


def move_onto(p: np.ndarray, model, fixed: dict[str, int]) -> np.ndarray:
    """The distribution ``p`` with every node of ``fixed`` set to its value (mass moved, not dropped)."""
    bit = {name: i for i, name in enumerate(model.nodes)}
    states = np.arange(p.size)
    for name, v in fixed.items():
        mask = 1 << bit[name]
        moved = np.zeros_like(p)
        np.add.at(moved, (states & ~mask) | (mask if v else 0), p)
        p = moved
    return p


def base_distribution(model) -> np.ndarray:
    """The model's initial distribution over the 2**n states, before any node is fixed."""
    ids = list(model.nodes)
    n = len(ids)
    bit = {name: i for i, name in enumerate(ids)}
    states = np.arange(1 << n)
    p0 = np.ones(1 << n)
    grouped = {name for g in model.joint_initial for name in g.nodes}
    for name in ids:
        if name not in grouped:
            on = (states >> bit[name]) & 1
            q = model.nodes[name].initial
            p0 *= np.where(on == 1, q, 1.0 - q)
    for group in model.joint_initial:
        weight = np.zeros(1 << n)
        for values, q in group.outcomes:
            match = np.ones(1 << n, dtype=bool)
            for name, v in zip(group.nodes, values):
                match &= ((states >> bit[name]) & 1) == v
            weight += np.where(match, q, 0.0)
        p0 *= weight
    return p0


def initial_distribution(model, perturbations) -> np.ndarray:
    """``p0`` over the 2**n states."""
    return move_onto(base_distribution(model), model, fixed_values(model, perturbations))


def transition_matrix(rates: np.ndarray) -> sparse.csr_matrix:
    """Sparse ``[from, to]`` matrix of flip rates (no diagonal)."""
    n_states, n = rates.shape
    src, node = np.nonzero(rates)
    return sparse.csr_matrix((rates[src, node], (src, src ^ (1 << node))), shape=(n_states, n_states))


def generator_t(rates: np.ndarray) -> sparse.csr_matrix:
    """The generator ``Q`` transposed (it acts on column vectors: ``p(t) = expm(Q^T t) p(0)``)."""
    return (transition_matrix(rates) - sparse.diags(rates.sum(axis=1))).T.tocsr()


@dataclass
class Exact:
    """Exact distributions over full states: per window (averaged) and at ``max_time``."""

    windows: np.ndarray  # [window, state]
    final: np.ndarray  # [state]


def exact_continuous(model, perturbations, max_time: float, tick: float) -> Exact:
    q_t = generator_t(flip_rates(model, perturbations))
    size = q_t.shape[0]
    # [p(t + h); integral of p over [t, t + h)] = expm(B^T h) [p(t); 0]
    b_t = sparse.bmat(
        [[q_t, sparse.csr_matrix((size, size))], [sparse.identity(size, format="csr"), sparse.csr_matrix((size, size))]]
    ).tocsr()
    n_win = max(1, math.ceil(max_time / tick - 1e-9))
    p = initial_distribution(model, perturbations)
    windows = np.empty((n_win, size))
    for k in range(n_win):
        length = min(tick, max_time - k * tick)
        out = expm_multiply(b_t * length, np.concatenate([p, np.zeros(size)]))
        p, windows[k] = out[:size], out[size:] / length
    return Exact(windows=windows, final=p)


def exact_discrete(model, perturbations, max_time: float, tick: float) -> Exact:
    rates = flip_rates(model, perturbations)
    total = rates.sum(axis=1)
    stuck = total == 0
    jump = transition_matrix(rates / np.where(stuck, 1.0, total)[:, None]) + sparse.diags(stuck.astype(float))
    jump_t = jump.T.tocsr()
    n_win = max(1, math.ceil(max_time / tick - 1e-9))
    p = initial_distribution(model, perturbations)
    windows = np.empty((n_win, p.size))
    for k in range(n_win):
        windows[k] = p  # window k: the state after k jumps, one jump per tick
        p = jump_t @ p
    return Exact(windows=windows, final=windows[-1])
