"""Scheduled changes of nodes (MaBoSS's ``X.schedule = t1:v1, t2:v2;``).

At each scheduled time the node is set on with probability ``v`` (else off) in each
trajectory; between those times every node, the scheduled one included, follows its
rule and rates.  The truth is the exact Markov chain evolved piecewise: up to each
scheduled time, then the schedule's map applied to the distribution, then on.  Side by
side with cmaboss on a model where MaBoSS 1.0.0b34's extra transition at each scheduled
time (see docs/simulator.md) cannot show.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import expm_multiply

from exact_chain import flip_rates, generator_t, initial_distribution, move_onto
from metastasim.engine import simulate
from metastasim.errors import ModelError, SimulationError
from metastasim.io import parse_maboss, to_maboss
from metastasim.network import Knockout, Schedule, describe

Z = 4.0
N = 20_000

CYCLE = """
Node I { logic = I; rate_up = 0; rate_down = 0; }
Node A { logic = I & !C; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 1; }
Node B { logic = A; rate_up = @logic ? 1.5 : 0; rate_down = @logic ? 0 : 0.7; }
Node C { logic = B; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 0.8; }
Node D { logic = A | C; }
"""
CYCLE_CFG = "I.istate = 0; A.istate = 0; B.istate = 1; C.istate = 0; D.istate = 0; max_time = 6; time_tick = 0.5;"


def exact_scheduled(model, perturbations, schedules, max_time: float, tick: float) -> np.ndarray:
    """Exact ``[window, node]`` probabilities: the chain evolved piecewise between window ends and schedule times."""
    q_t = generator_t(flip_rates(model, perturbations))
    size = q_t.shape[0]
    b_t = sparse.bmat(
        [[q_t, sparse.csr_matrix((size, size))], [sparse.identity(size, format="csr"), sparse.csr_matrix((size, size))]]
    ).tocsr()
    n_win = math.ceil(max_time / tick - 1e-9)
    changes = sorted((t, k, s.node, v) for k, s in enumerate(schedules) for t, v in s.changes)
    cuts = sorted({k * tick for k in range(n_win + 1)} | {c[0] for c in changes})
    p = initial_distribution(model, perturbations)
    windows = np.zeros((n_win, size))
    for a, b in zip(cuts[:-1], cuts[1:]):
        for t, _, node, v in changes:
            if t == a:
                p = v * move_onto(p, model, {node: 1}) + (1 - v) * move_onto(p, model, {node: 0})
        out = expm_multiply(b_t * (b - a), np.concatenate([p, np.zeros(size)]))
        p = out[:size]
        windows[min(int(a / tick + 1e-9), n_win - 1)] += out[size:]
    windows /= np.minimum(tick, max_time - np.arange(n_win) * tick)[:, None]
    states = np.arange(size)
    on = np.stack([(states >> i) & 1 for i in range(len(model.nodes))], axis=1)
    return windows @ on


def test_schedules_follow_the_exact_chain():
    model = parse_maboss(CYCLE, CYCLE_CFG)
    schedules = (Schedule("I", ((1.0, 0.7), (3.25, 0.2))), Schedule("B", ((2.0, 0.0), (4.6, 0.9))))
    ko = (Knockout("D"),)
    exact = exact_scheduled(model, ko, schedules, 6.0, 0.5)
    ours = simulate(model, ko + schedules, sample_count=N, seed=3).node_probs
    se = np.sqrt(np.maximum(exact * (1 - exact), 1 / N) / N)
    assert np.all(np.abs(ours - exact) <= Z * se + 2 / N), np.max(np.abs(ours - exact) / se)
    # the schedules matter: without them the chain is far from this
    plain = exact_scheduled(model, ko, (), 6.0, 0.5)
    assert np.max(np.abs(plain - exact)) > 0.3


def test_schedule_results_do_not_depend_on_threads():
    model = parse_maboss(CYCLE, CYCLE_CFG + "I.schedule = 1:0.7, 3.25:0.2;")
    one = simulate(model, sample_count=3000, seed=5, threads=1)
    two = simulate(model, sample_count=3000, seed=5, threads=2, chunk_size=1000)
    assert np.array_equal(one.node_probs, two.node_probs)
    assert np.array_equal(one.state_probs, two.state_probs)


def test_cfg_schedule_is_a_perturbation():
    model = parse_maboss(CYCLE, CYCLE_CFG + "$t = 3; I.schedule = 1 : 0.7, $t: 1/5;")
    assert model.perturbations == (Schedule("I", ((1.0, 0.7), (3.0, 0.2))),)
    assert describe(model.perturbations[0]) == "schedule(I=1:0.7,3:0.2)"
    # a schedule given to simulate replaces the file's on the same node
    a = simulate(model, [Schedule("I", ((0.5, 1.0),))], sample_count=200, seed=1)
    assert a.perturbations == ("schedule(I=0.5:1)",)
    assert a.node_probs[1, 0] == 1.0


def test_schedules_and_in_graph_survive_a_round_trip():
    model = parse_maboss(CYCLE, CYCLE_CFG + "I.schedule = 1:0.7, 3.25:0.2; B.in_graph = TRUE; C.in_graph = 1;")
    again = parse_maboss(*to_maboss(model))
    assert again.perturbations == model.perturbations
    assert [n.id for n in again.nodes.values() if n.in_graph] == ["B", "C"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (((2, 0.5), (1, 1)), "increase"),
        (((2, 0.5), (2, 1)), "increase"),
        (((1, 1.5),), "[0, 1]"),
        (((-1, 0.5),), "at least 0"),
        (((math.nan, 0.5),), "finite"),
        ((), "empty"),
        (((1,),), "pairs"),
    ],
)
def test_bad_schedules(changes, words):
    with pytest.raises(ModelError, match=words.replace("[", r"\[").replace("]", r"\]")):
        Schedule("A", changes)


def test_schedule_after_the_run_is_refused():
    model = parse_maboss(CYCLE, CYCLE_CFG + "I.schedule = 1:0.7, 8:0.2;")
    with pytest.raises(SimulationError, match="max_time"):
        simulate(model, sample_count=10)


# A cascade that settles well before each scheduled time, and a last node that nothing reads:
# MaBoSS 1.0.0b34 also makes, at each scheduled time, the transition it had drawn (or, in a
# fixed point, flips its last node), which such a model cannot show outside D.
SETTLING = """
Node I { logic = I; rate_up = 0; rate_down = 0; }
Node X { logic = I; rate_up = @logic ? 4 : 0; rate_down = @logic ? 0 : 3; }
Node Y { logic = X; rate_up = @logic ? 3 : 0; rate_down = @logic ? 0 : 2.5; }
Node Z { logic = X & !Y; rate_up = @logic ? 5 : 0; rate_down = @logic ? 0 : 4; }
Node D { logic = D; rate_up = 0; rate_down = 0; }
"""
SETTLING_CFG = (
    "I.istate = 0; X.istate = 0; Y.istate = 0; Z.istate = 0; D.istate = 0; D.is_internal = 1;\n"
    "I.schedule = 3:0.7, 6.25:0.2; max_time = 9; time_tick = 0.5;"
)


def test_schedules_agree_with_maboss(tmp_path):
    cmaboss = pytest.importorskip("cmaboss")
    (tmp_path / "m.bnd").write_text(SETTLING)
    (tmp_path / "m.cfg").write_text(SETTLING_CFG + f"\nsample_count = {N}; thread_count = 1; seed_pseudorandom = 7;")
    result = cmaboss.MaBoSSSim(network=str(tmp_path / "m.bnd"), configs=[str(tmp_path / "m.cfg")]).run()
    theirs, times, labels = result.get_nodes_probtraj()[:3]
    ours = simulate(parse_maboss(SETTLING, SETTLING_CFG), sample_count=N, seed=1).node_probabilities()
    assert np.allclose(ours.index, times)
    worst = 0.0
    for j, node in enumerate(labels):
        if node == "D":
            continue
        p, q = ours[node].to_numpy(), theirs[:, j]
        se = np.sqrt(np.maximum((p + q) / 2 * (1 - (p + q) / 2), 1 / N) * 2 / N)
        worst = max(worst, float(np.max(np.abs(p - q) / se)))
    assert worst <= Z, worst
    assert ours["I"].iloc[7] == pytest.approx(0.7, abs=4 * math.sqrt(0.21 / N))
