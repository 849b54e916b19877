"""Ensembles of models (MaBoSS's ``--ensemble``) against the exact Markov chains of their members.

An ensemble's trajectories are shared among its models (MaBoSS's ``EnsembleEngine``: equal
shares, the first model taking the remainder, or a model drawn per trajectory with
``--random-sampling``), so the combined time course is the mixture of the members' exact
distributions weighted by their shares.  The members here differ in rules, rates,
initial states and node order; the run settings and the outputs are the first model's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from exact_chain import exact_continuous  # tests/exact_chain.py: the exact solution
from metastasim.engine import ensemble_counts, simulate, simulate_ensemble
from metastasim.errors import ModelError, SimulationError
from metastasim.io import parse_bnet, parse_maboss
from metastasim.network import Knockout

Z = 4.0

# D is internal in the first model, so the ensemble counts states over A, B, C
FIRST_BND = """
Node A { logic = !C; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 0.7; }
Node B { logic = A; rate_up = @logic ? 3 : 0; rate_down = @logic ? 0 : 0.5; }
Node C { logic = B & !D; rate_up = @logic ? 1.5 : 0; rate_down = @logic ? 0 : 2.5; }
Node D { logic = C; rate_up = @logic ? 0.4 : 0; rate_down = @logic ? 0 : 0.4; }
"""
FIRST_CFG = """
A.istate = 1; B.istate = 0; C.istate = 0; D.istate = 0;
D.is_internal = 1;
max_time = 6; time_tick = 0.5; sample_count = 20000; seed_pseudorandom = 11;
"""
# the same nodes in another order, other rules and rates; its own settings are ignored
SECOND_BND = """
Node D { logic = !A; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 3; }
Node C { logic = D | B; rate_up = @logic ? 0.8 : 0.1; rate_down = @logic ? 0 : 1.2; }
Node B { logic = !C; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 1; }
Node A { logic = A; }
"""
SECOND_CFG = "[A].istate = 0.3 [1], 0.7 [0]; B.istate = 1; C.istate = 0; D.istate = -1; max_time = 99; time_tick = 3;"
THIRD_BNET = "A, A & !B\nB, A | D\nC, !B\nD, C"


@pytest.fixture(scope="module")
def members():
    return [
        parse_maboss(FIRST_BND, FIRST_CFG),
        parse_maboss(SECOND_BND, SECOND_CFG),
        parse_bnet(THIRD_BNET),
    ]


def marginals(dist: np.ndarray, model, names) -> np.ndarray:
    """``[.., node]`` probabilities that each of ``names`` is on, from full-state distributions of ``model``."""
    ids = list(model.nodes)
    states = np.arange(dist.shape[-1])
    return np.stack([dist @ ((states >> ids.index(x)) & 1) for x in names], axis=-1)


def projected(dist: np.ndarray, model, outputs) -> np.ndarray:
    """Full-state distributions of ``model`` summed onto output-state codes (bit ``b`` is ``outputs[b]``)."""
    ids = list(model.nodes)
    states = np.arange(dist.shape[-1])
    codes = sum(((states >> ids.index(x)) & 1) << b for b, x in enumerate(outputs))
    out = np.zeros(dist.shape[:-1] + (1 << len(outputs),))
    for s, c in enumerate(codes):
        out[..., c] += dist[..., s]
    return out


def mismatches(observed, exact, n: int, what: str) -> list[str]:
    """Entries farther from ``exact`` than Z binomial SEs plus Bernstein's ``Z**2 / 3N`` allow."""
    observed, exact = np.asarray(observed, float), np.clip(np.asarray(exact, float), 0, 1)
    tol = Z * np.sqrt(exact * (1 - exact) / n) + Z**2 / (3 * n)
    return [
        f"{what}{idx}: {observed[idx]:.5f} vs exact {exact[idx]:.5f}"
        for idx in zip(*np.nonzero(np.abs(observed - exact) > tol))
    ]


def exact_mixture(members, weights, settings, names, outputs):
    """Weighted node marginals and output-state probabilities: ``[window, ..]`` and final."""
    nodes_w = nodes_f = states_w = states_f = 0.0
    for w, m in zip(weights, members):
        ex = exact_continuous(m, (), settings.max_time, settings.time_tick)
        nodes_w = nodes_w + w * marginals(ex.windows, m, names)
        nodes_f = nodes_f + w * marginals(ex.final, m, names)
        states_w = states_w + w * projected(ex.windows, m, outputs)
        states_f = states_f + w * projected(ex.final, m, outputs)
    return nodes_w, nodes_f, states_w, states_f


@pytest.mark.parametrize("random_sampling", [False, True])
def test_combined_probabilities_are_the_exact_mixture(members, random_sampling):
    ens = simulate_ensemble(members, random_sampling=random_sampling)
    res, N = ens.combined, ens.combined.sample_count
    assert N == 20_000 and ens.counts.sum() == N
    assert [r.sample_count for r in ens.individual] == ens.counts.tolist()
    assert res.outputs == ("A", "B", "C") and res.node_ids == ("A", "B", "C", "D")
    assert res.max_time == 6 and res.time_tick == 0.5 and res.seed == 11
    names, outputs = list(res.node_ids), list(res.outputs)
    nodes_w, nodes_f, states_w, states_f = exact_mixture(members, ens.counts / N, members[0].settings, names, outputs)
    course = np.zeros((res.times.size, 8))
    course[:, res.state_codes.astype(np.int64)] = res.state_probs
    final = np.zeros(8)
    final[res.final_state_codes.astype(np.int64)] = res.final_state_counts / N
    bad = mismatches(res.node_probs, nodes_w, N, "node window/index ")
    bad += mismatches(course, states_w, N, "state window/code ")
    bad += mismatches(res.final_node_probs, nodes_f, N, "final node ")
    bad += mismatches(final, states_f, N, "final state ")
    assert not bad, "\n".join(bad[:20])
    # the mixture differs from every member alone: the test can tell a wrong weighting
    for m in members:
        alone = marginals(exact_continuous(m, (), 6, 0.5).windows, m, names)
        assert np.abs(alone - nodes_w).max() > 0.05


def test_each_members_result_is_its_own_exact_chain(members):
    ens = simulate_ensemble(members, sample_count=6000)
    for m, r in zip(members, ens.individual):
        ex = exact_continuous(m, (), 6, 0.5)
        names = list(r.node_ids)
        assert names == list(m.nodes)  # a member's result keeps its own node order
        bad = mismatches(r.node_probs, marginals(ex.windows, m, names), r.sample_count, "node window/index ")
        assert not bad, "\n".join(bad[:20])


def test_equal_shares_as_maboss():
    assert ensemble_counts(10, 3).tolist() == [4, 3, 3]  # the first model takes the remainder
    assert ensemble_counts(9, 3).tolist() == [3, 3, 3]
    assert ensemble_counts(2, 3).tolist() == [2, 0, 0]


def test_random_shares_are_uniform_multinomial():
    n, m, seeds = 3000, 3, 200
    counts = np.array([ensemble_counts(n, m, random_sampling=True, seed=s) for s in range(seeds)])
    assert (counts.sum(axis=1) == n).all()
    assert len({tuple(c) for c in counts}) > seeds // 2  # the seed matters
    assert (counts == ensemble_counts(n, m, random_sampling=True, seed=0)).all(axis=1)[0]  # and fixes the draw
    # pooled fractions within 4 SE of 1/3, and the per-seed spread of a multinomial (chi-square test)
    frac = counts.sum(axis=0) / (n * seeds)
    assert np.all(np.abs(frac - 1 / m) < Z * math.sqrt((1 / m) * (1 - 1 / m) / (n * seeds)))
    chi2 = (((counts - n / m) ** 2) / (n / m)).sum()
    assert stats.chi2.sf(chi2, seeds * (m - 1)) > 1e-4
    assert stats.chi2.cdf(chi2, seeds * (m - 1)) > 1e-4  # not suspiciously even either


def test_seeded_result_does_not_depend_on_threads(members):
    one = simulate_ensemble(members, sample_count=3001, threads=1, keep_final_states=True, random_sampling=True)
    two = simulate_ensemble(members, sample_count=3001, threads=2, keep_final_states=True, random_sampling=True)
    for a, b in ((one.combined, two.combined), *zip(one.individual, two.individual)):
        assert np.array_equal(a.node_probs, b.node_probs)
        assert np.array_equal(a.state_probs, b.state_probs)
        assert np.array_equal(a.final_state_counts, b.final_state_counts)
        assert np.array_equal(a.final_states, b.final_states)


def test_trajectory_k_runs_stream_k(members):
    """Model i runs the block of trajectory numbers after the earlier models' (as MaBoSS); states repacked by name."""
    ens = simulate_ensemble(members, sample_count=900, keep_final_states=True)
    states = ens.combined.trajectory_states()
    offset = 0
    for m, n in zip(members, ens.counts.tolist()):
        alone = simulate(
            m, sample_count=n, max_time=6, time_tick=0.5, seed=11, first_trajectory=offset, keep_final_states=True
        ).trajectory_states()
        block = states.iloc[offset : offset + n].reset_index(drop=True)
        assert block.equals(alone[list(states.columns)])
        offset += n


def test_one_model_is_a_plain_simulation(members):
    ens = simulate_ensemble(members[:1], sample_count=2000)
    plain = simulate(members[0], sample_count=2000)
    assert np.array_equal(ens.combined.node_probs, plain.node_probs)
    assert np.array_equal(ens.combined.final_state_counts, plain.final_state_counts)


def test_perturbations_apply_to_every_model(members):
    ens = simulate_ensemble(members, (p for p in [Knockout("B")]), sample_count=300)  # any iterable, used once
    assert all(r.final_nodes()["B"] == 0 for r in ens.individual)
    assert all("B" in " ".join(r.perturbations) for r in ens.individual)


def test_fewer_trajectories_than_models(members):
    ens = simulate_ensemble(members, sample_count=2)
    assert ens.counts.tolist() == [2, 0, 0] and ens.individual[1] is None
    assert ens.combined.sample_count == 2


def test_models_with_other_nodes_are_refused(members, tmp_path):
    other = tmp_path / "other.bnet"
    other.write_text("A, A\nB, A\nC, B\nE, C\n")
    from metastasim.io import read_model

    with pytest.raises(ModelError, match=r"other\.bnet: .*same nodes.*has node E and lacks node D"):
        simulate_ensemble([members[0], read_model(other)], sample_count=10)
    with pytest.raises(SimulationError, match="at least one model"):
        simulate_ensemble([], sample_count=10)
    with pytest.raises(SimulationError, match="labels"):
        simulate_ensemble(members, labels=["x"], sample_count=10)


def test_side_by_side_with_maboss_members(tmp_path):
    """cmaboss exposes no ensemble engine (``MaBoSSSim`` takes one network), so MaBoSS runs each member on its
    share of the trajectories with the ensemble's configuration, as its ``EnsembleEngine`` does, and the
    members' time courses are pooled; ours must agree in every window (two-proportion z-test, |z| <= 4.5)."""
    cmaboss = pytest.importorskip("cmaboss")
    cfg = FIRST_CFG.replace("sample_count = 20000; seed_pseudorandom = 11;", "")
    bnds = [FIRST_BND, SECOND_BND]
    N = 20_000
    counts = ensemble_counts(N, len(bnds))
    pooled = 0.0
    for i, (bnd, n) in enumerate(zip(bnds, counts.tolist())):
        (tmp_path / f"m{i}.bnd").write_text(bnd)
        (tmp_path / f"m{i}.cfg").write_text(cfg + f"\nsample_count = {n}; thread_count = 1; seed_pseudorandom = {i};")
        sim = cmaboss.MaBoSSSim(network=str(tmp_path / f"m{i}.bnd"), configs=[str(tmp_path / f"m{i}.cfg")])
        probs, _, labels = sim.run().get_nodes_probtraj()[:3]
        pooled = pooled + (n / N) * probs[:, [list(labels).index(x) for x in "ABC"]]
    ours = simulate_ensemble([parse_maboss(b, cfg) for b in bnds], sample_count=N, seed=3).combined
    mine = ours.node_probs[:, [ours.node_ids.index(x) for x in "ABC"]]
    assert mine.shape == pooled.shape
    p = (mine + pooled) / 2
    se = np.sqrt(p * (1 - p) * 2 / N)
    z = np.abs(mine - pooled) / np.where(se > 0, se, np.inf)
    assert z.max() <= 4.5, np.unravel_index(z.argmax(), z.shape)
