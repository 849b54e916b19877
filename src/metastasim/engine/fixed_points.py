"""The fixed points that trajectories reached, as MaBoSS's ``_fp.csv`` lists them.

MaBoSS counts a trajectory as having reached a fixed point when no node of its
state has a positive rate (it then stays there until ``max_time``): the fixed
points are the stable final states, with the fraction of trajectories that ended
in each.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from numba import njit

from metastasim.engine.compile import CompiledModel, compile_model
from metastasim.engine.kernel import _eval_program, _rate
from metastasim.engine.result import Result, state_label, unpack_states
from metastasim.errors import SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation, resolve_perturbations

__all__ = ["reached_fixed_points", "stable_states"]


@njit(cache=True)
def _stable(states, kind, in_ptr, in_var, tab_off, tables, code_ptr, code_op, code_arg, max_stack, up_t, up_f,
            dn_t, dn_f, gr_off, gr_up, gr_dn, forced):  # fmt: skip
    """``[row]`` whether no node of ``states[row]`` (0/1 per node) has a positive rate."""
    rows, n = states.shape
    out = np.ones(rows, np.bool_)
    x = np.zeros(n, np.int64)
    L = np.zeros(n, np.int64)
    idx = np.zeros(n, np.int64)
    stack = np.zeros(max_stack + 1, np.int64)
    frozen = forced >= 0
    for k in range(rows):
        for i in range(n):
            x[i] = states[k, i]
        for i in range(n):
            if kind[i] == 0:
                v = 0
                for j in range(in_ptr[i], in_ptr[i + 1]):
                    v |= x[in_var[j]] << (j - in_ptr[i])
                idx[i] = v
                L[i] = np.int64(tables[tab_off[i] + v])
            else:
                L[i] = _eval_program(i, x, code_ptr, code_op, code_arg, stack)
        for i in range(n):
            if _rate(i, x, L, frozen, up_t, up_f, dn_t, dn_f, gr_off, gr_up, gr_dn, idx) > 0.0:
                out[k] = False
                break
    return out


def stable_states(cm: CompiledModel, states: np.ndarray) -> np.ndarray:
    """Which rows of ``states`` (``[row, node]`` 0/1, in ``cm``'s node order) no node can leave."""
    return _stable(
        np.ascontiguousarray(states, np.int64),
        cm.kind, cm.in_ptr, cm.in_var, cm.tab_off, cm.tables, cm.code_ptr, cm.code_op, cm.code_arg, cm.max_stack,
        cm.up_t, cm.up_f, cm.dn_t, cm.dn_f, cm.gr_off, cm.gr_up, cm.gr_dn, cm.forced,
    )  # fmt: skip


def reached_fixed_points(
    model: Model,
    result: Result,
    perturbations: Iterable[Perturbation] = (),
    *,
    context: str | None = None,
    compiled: CompiledModel | None = None,
) -> pd.DataFrame:
    """The fixed points the trajectories of ``result`` ended in, most frequent first.

    Parameters
    ----------
    model, perturbations, context, compiled
        As given to the :func:`~metastasim.engine.simulate` call that made ``result``.
    result
        A result simulated with ``keep_final_states=True``.

    Returns
    -------
    pandas.DataFrame
        One row per fixed point: ``probability`` (fraction of trajectories),
        ``state`` (the nodes on, all nodes, named as MaBoSS names states) and one
        0/1 column per node.
    """
    if result.final_states is None:
        raise SimulationError("fixed points need the final states: simulate with keep_final_states=True")
    cm = (compiled or compile_model(model)).perturbed(resolve_perturbations(model, perturbations, context=context))
    if cm.node_ids != result.node_ids:
        raise SimulationError("the result was not simulated from this model")
    words, counts = np.unique(result.final_states, axis=0, return_counts=True)
    states = unpack_states(words, cm.n_nodes)
    stable = stable_states(cm, states)
    states, counts = states[stable], counts[stable]
    codes = [sum(1 << b for b in np.flatnonzero(row).tolist()) for row in states]
    order = sorted(range(len(codes)), key=lambda r: (-counts[r], codes[r]))
    table = pd.DataFrame(states[order].astype(np.int8), columns=list(cm.node_ids))
    table.insert(0, "state", [state_label(codes[r], cm.node_ids) for r in order])
    table.insert(0, "probability", counts[order] / result.sample_count)
    table.index = pd.RangeIndex(1, len(table) + 1, name="fixed_point")
    return table
