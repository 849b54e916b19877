"""Transition entropy TH and the observed transition graph, against the exact chain and cmaboss.

- TH of a state: entropy (bits) of which non-internal node flips next, from the
  non-internal nodes' rates; a window's TH is its time average over the window and the
  trajectories.  Exactly: the TH of each state weighted by the chain's occupancy of the
  window.
- Observed graph: changes of the joint state of the ``in_graph`` nodes, summed over
  trajectories; exactly, per trajectory, the integral over the run of the occupancy of
  each state times its rate of flipping each observed node.  Durations: mean time spent
  in a state before each change (compared with cmaboss only).

Standard errors of our counts and durations come from ten batches of trajectories.
"""

from __future__ import annotations

import numpy as np
import pytest

from exact_chain import exact_continuous, flip_rates
from metastasim.engine import simulate
from metastasim.io import parse_maboss

Z = 4.0
N = 20_000
BATCHES = 10

BND = """
Node A { logic = !C; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 1; }
Node B { logic = A; rate_up = @logic ? 1.5 : 0; rate_down = @logic ? 0 : 0.7; }
Node C { logic = A & B; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 0.5; }
Node D { logic = B | C; rate_up = @logic ? 3 : 0; rate_down = @logic ? 0 : 1; }
"""
CFG = """A.istate = -1; B.istate = 0; C.istate = 0; D.istate = 1; D.is_internal = 1;
A.in_graph = TRUE; B.in_graph = 1; max_time = 5; time_tick = 0.5;"""


def model():
    return parse_maboss(BND, CFG)


def state_entropy(rates: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """MaBoSS's TH of each state from its ``[state, node]`` flip rates."""
    r = rates * counted
    total = r.sum(axis=1, keepdims=True)
    p = np.divide(r, total, out=np.zeros_like(r), where=total > 0)
    return -(p * np.log2(np.where(p > 0, p, 1))).sum(axis=1)


def batches(m):
    """Our run in ``BATCHES`` batches (together the trajectories of one run of ``N``): counts and total durations."""
    size = N // BATCHES
    counts, totals = [], []
    for b in range(BATCHES):
        r = simulate(m, sample_count=size, first_trajectory=b * size, seed=1)
        counts.append(r.graph_counts)
        totals.append(r.graph_durations * r.graph_counts)
    return np.array(counts, float), np.array(totals)


def test_entropy_follows_the_exact_chain():
    m = model()
    r = simulate(m, sample_count=N, seed=2, entropy=True)
    exact = exact_continuous(m, (), 5.0, 0.5)
    counted = np.array([not n.is_internal for n in m.nodes.values()])
    th = exact.windows @ state_entropy(flip_rates(m, ()), counted)
    z = np.abs(r.transition_entropy - th) / np.maximum(r.transition_entropy_se, 1e-4)
    assert np.all(z <= Z), z.max()
    assert th.max() > 0.2  # the test has something to see


def test_graph_counts_follow_the_exact_chain():
    m = model()
    ids = list(m.nodes)
    exact = exact_continuous(m, (), 5.0, 0.5)
    occupancy = exact.windows.sum(axis=0) * 0.5  # expected time in each full state per trajectory
    rates = flip_rates(m, ())
    states = np.arange(occupancy.size)
    code = ((states >> ids.index("A")) & 1) | ((states >> ids.index("B")) & 1) << 1
    expected = np.zeros((4, 4))
    for bit, node in enumerate(("A", "B")):
        np.add.at(expected, (code, code ^ (1 << bit)), occupancy * rates[:, ids.index(node)])
    counts, _ = batches(m)
    mean = counts.sum(axis=0) / N
    se = counts.std(axis=0, ddof=1) / np.sqrt(BATCHES) / (N / BATCHES)
    assert np.all(np.abs(mean - expected) <= Z * se + 1e-12), np.max(np.abs(mean - expected) / np.maximum(se, 1e-9))
    assert expected.max() > 1.0


def test_entropy_and_graph_agree_with_maboss(tmp_path):
    cmaboss = pytest.importorskip("cmaboss")
    (tmp_path / "m.bnd").write_text(BND)
    (tmp_path / "m.cfg").write_text(CFG + f"\nsample_count = {N}; thread_count = 1; seed_pseudorandom = 7;")
    result = cmaboss.MaBoSSSim(network=str(tmp_path / "m.bnd"), configs=[str(tmp_path / "m.cfg")]).run()
    entropy, _, columns = result.get_entropy_trajectory()
    th, th_se = entropy[:, columns.index("TH")], entropy[:, columns.index("ErrorTH")]
    m = model()
    ours = simulate(m, sample_count=N, seed=1, entropy=True)
    z = np.abs(ours.transition_entropy - th) / np.sqrt(ours.transition_entropy_se**2 + th_se**2 + 1e-12)
    assert np.all(z <= Z), z.max()
    assert np.allclose(ours.transition_entropy_se, th_se, rtol=0.2, atol=2e-4)

    their_counts, labels = result.get_observed_graph()
    their_durations, labels2 = result.get_observed_durations()
    assert list(labels) == list(labels2) == list(ours.observed_graph().index)
    counts, totals = batches(m)
    # counts per trajectory: combined SE of two runs of N with our batch variance
    se = counts.std(axis=0, ddof=1) / np.sqrt(BATCHES) / (N / BATCHES) * np.sqrt(2)
    diff = np.abs(counts.sum(axis=0) / N - their_counts / N)
    assert np.all(diff <= Z * se + 1e-12), np.max(diff / np.maximum(se, 1e-9))
    ratio = np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)
    mean = np.divide(totals.sum(axis=0), counts.sum(axis=0), out=np.zeros((4, 4)), where=counts.sum(0) > 0)
    dse = ratio.std(axis=0, ddof=1) / np.sqrt(BATCHES) * np.sqrt(2)
    assert np.all(np.abs(mean - their_durations) <= Z * dse + 1e-12)
    assert np.allclose(ours.graph_counts, counts.sum(axis=0))  # the batches are that run's trajectories


def test_no_entropy_or_graph_unless_asked():
    m = parse_maboss(BND, "A.istate = -1; max_time = 2;")
    r = simulate(m, sample_count=100, seed=1)
    assert r.transition_entropy is None and r.transition_entropy_se is None
    with pytest.raises(ValueError, match="observed"):
        r.observed_graph()
    chosen = simulate(m, sample_count=100, seed=1, observed=["C", "A"])
    assert chosen.graph_nodes == ("A", "C")
    assert list(chosen.observed_durations().columns) == ["<nil>", "A", "C", "A -- C"]


def test_results_do_not_depend_on_threads():
    m = model()
    one = simulate(m, sample_count=3000, seed=4, threads=1, entropy=True)
    two = simulate(m, sample_count=3000, seed=4, threads=2, chunk_size=1000, entropy=True)
    for name in ("transition_entropy", "transition_entropy_se", "graph_counts", "graph_durations"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
