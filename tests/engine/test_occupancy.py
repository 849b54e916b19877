"""Per-trajectory occupancy (time each node spends on within a window) against the exact Markov chain.

For a window ``[t0, t1]`` the occupancy of node ``i`` in one trajectory is
``O_i = (1 / (t1 - t0)) * integral over [t0, t1] of 1{X_i(t) = 1} dt``.  Its exact mean is
``(1 / (t1 - t0)) * integral of P(X_i(t) = 1) dt``, which is the second half of
``[p(t0), 0] expm(B (t1 - t0))`` with ``B = [[Q, I], [0, 0]]`` (as in test_exact.py).  The
chance that a node is never on in the window (``O_i = 0``) is the mass left in the
node-off states of the chain started from ``p(t0)`` restricted to them, in which the
transitions that turn the node on are removed (killed), after ``t1 - t0``.  Both must lie
within 4 standard errors of the simulated values (sample standard deviation of ``O_i``,
binomial for the zero fraction).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import expm_multiply
from test_exact import GRADED_BND, GRADED_CFG, OSCILLATOR_BND, OSCILLATOR_CFG, TEN_BND, TEN_CFG

from exact_chain import flip_rates, generator_t, initial_distribution, transition_matrix
from metastasim.engine import simulate
from metastasim.errors import SimulationError
from metastasim.io import parse_maboss

Z = 4.0
SAMPLES = 20_000


def exact_occupancy(model, perturbations, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean occupancy and P(occupancy = 0) of every node over ``[t0, t1]``."""
    rates = flip_rates(model, perturbations)
    q_t = generator_t(rates)
    size = q_t.shape[0]
    p = initial_distribution(model, perturbations)
    if t0 > 0:
        p = expm_multiply(q_t * t0, p)
    b_t = sparse.bmat(
        [[q_t, sparse.csr_matrix((size, size))], [sparse.identity(size, format="csr"), sparse.csr_matrix((size, size))]]
    ).tocsr()
    integral = expm_multiply(b_t * (t1 - t0), np.concatenate([p, np.zeros(size)]))[size:]
    states = np.arange(size)
    n = len(model.nodes)
    mean, never = np.empty(n), np.empty(n)
    for i in range(n):
        on = ((states >> i) & 1).astype(bool)
        mean[i] = integral[on].sum() / (t1 - t0)
        killed = rates.copy()
        killed[~on, i] = 0.0  # the transition that turns node i on leaves the chain
        off_rates = transition_matrix(killed)
        q_killed = (off_rates - sparse.diags(rates.sum(axis=1))).T.tocsr()  # total outflow still includes it
        start = np.where(on, 0.0, p)
        never[i] = expm_multiply(q_killed * (t1 - t0), start)[~on].sum()
    return mean, never


def check_occupancy(model, perturbations, t0, t1, seed):
    names = tuple(model.nodes)
    result = simulate(model, perturbations, sample_count=SAMPLES, seed=seed, occupancy=names, occupancy_window=(t0, t1))
    assert result.occupancy.shape == (SAMPLES, len(names))
    assert result.occupancy_nodes == names and result.occupancy_window == (t0, t1)
    mean, never = exact_occupancy(model, perturbations, t0, t1)
    occ = result.occupancy
    se = occ.std(axis=0, ddof=1) / np.sqrt(SAMPLES) + 1.0 / SAMPLES
    bad = [
        f"{n}: mean {m:.4f} vs exact {e:.4f}"
        for n, m, e, s in zip(names, occ.mean(axis=0), mean, se)
        if abs(m - e) > Z * s
    ]
    zero = (occ == 0).mean(axis=0)
    se0 = np.sqrt(never * (1 - never) / SAMPLES) + 1.0 / SAMPLES
    bad += [
        f"{n}: P(never on) {z:.4f} vs exact {e:.4f}"
        for n, z, e, s in zip(names, zero, never, se0)
        if abs(z - e) > Z * s
    ]
    assert not bad, "\n".join(bad)
    return result


@pytest.mark.parametrize(
    "bnd, cfg, window, seed",
    [
        (OSCILLATOR_BND, OSCILLATOR_CFG, (0.0, None), 3),
        (OSCILLATOR_BND, OSCILLATOR_CFG, (1.3, 4.1), 5),
        (GRADED_BND, GRADED_CFG, (2.0, 7.5), 7),
        (TEN_BND, TEN_CFG, (0.0, None), 11),
        (TEN_BND, TEN_CFG, (3.0, 5.0), 13),
    ],
    ids=["oscillator-whole", "oscillator-inner", "graded-inner", "ten-whole", "ten-inner"],
)
def test_occupancy_matches_exact_chain(bnd, cfg, window, seed):
    model = parse_maboss(bnd, cfg)
    t0, t1 = window
    check_occupancy(model, (), t0, t1 if t1 is not None else model.settings.max_time, seed)


def test_occupancy_of_the_whole_run_averages_the_time_course():
    """Over ``[0, max_time]`` the mean occupancy is the average of the windows' node probabilities."""
    model = parse_maboss(TEN_BND, TEN_CFG)
    result = simulate(model, sample_count=4000, seed=2, occupancy=("R2", "R4"))
    tick, T = result.time_tick, result.max_time
    lengths = np.minimum(tick, T - result.times)
    cols = [result.node_ids.index(n) for n in ("R2", "R4")]
    average = (result.node_probs[:, cols] * lengths[:, None]).sum(axis=0) / T
    assert np.allclose(result.occupancy.mean(axis=0), average, atol=1e-6)


def test_occupancy_does_not_depend_on_threads_or_chunks():
    model = parse_maboss(GRADED_BND, GRADED_CFG)
    runs = [
        simulate(
            model, sample_count=3000, seed=4, threads=t, chunk_size=c, occupancy=("C", "D"), occupancy_window=(1.0, 6.0)
        ).occupancy
        for t, c in ((1, 3000), (4, 700))
    ]
    assert np.array_equal(runs[0], runs[1])
    assert ((runs[0] >= 0) & (runs[0] <= 1)).all()


@pytest.mark.parametrize("window", [(-1.0, 2.0), (3.0, 3.0), (2.0, 1e9), (float("nan"), 1.0)])
def test_bad_occupancy_window(window):
    model = parse_maboss(GRADED_BND, GRADED_CFG)
    with pytest.raises(SimulationError, match="occupancy_window"):
        simulate(model, sample_count=10, seed=1, occupancy=("C",), occupancy_window=window)
