"""A seed gives bit-identical results whatever the threads, chunking or counting mode."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import MABOSS_REFERENCE, PEER_MODELS
from metastasim.engine import _checks as simulate_checks
from metastasim.engine import compile_model, kernel, simulate
from metastasim.engine.rng import philox4x32, uniform_block
from metastasim.io import read_bnet, read_maboss
from metastasim.models import load_example

ARRAYS = (
    "node_probs",
    "final_node_probs",
    "state_codes",
    "state_probs",
    "final_state_codes",
    "final_state_counts",
    "final_states",
)


def assert_identical(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
        else:
            assert np.array_equal(x, y), name
    assert a.n_transitions == b.n_transitions


@pytest.fixture(scope="module")
def cohen():
    return load_example("cohen2015")


@pytest.fixture(scope="module")
def montagud():
    return read_maboss(
        MABOSS_REFERENCE / "montagud2022/Montagud2022_Prostate_Cancer.bnd",
        MABOSS_REFERENCE / "montagud2022/montagud2022_model.cfg",
    )


def test_philox_matches_random123_known_answers():
    u = np.uint64
    f = 0xFFFFFFFF
    vectors = [
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((f, f, f, f), (f, f), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ]
    for ctr, key, expected in vectors:
        out = philox4x32(*(u(c) for c in ctr), *(u(k) for k in key))
        assert tuple(int(v) for v in out) == expected


def test_streams_are_uniform_and_distinct():
    a = uniform_block(np.uint64(1), np.uint64(0), 0, 7, 40_000)
    assert 0.49 < a.mean() < 0.51 and a.min() >= 0 and a.max() < 1
    assert not np.array_equal(a[:100], uniform_block(np.uint64(1), np.uint64(0), 0, 8, 100))
    assert not np.array_equal(a[:100], uniform_block(np.uint64(1), np.uint64(0), 1, 7, 100))
    assert not np.array_equal(a[:100], uniform_block(np.uint64(2), np.uint64(0), 0, 7, 100))


@pytest.mark.parametrize("which", ["cohen", "montagud"])
def test_same_seed_same_result_with_one_or_two_threads(which, request):
    model = request.getfixturevalue(which)
    kw = dict(sample_count=6000, seed=11, keep_final_states=True)
    one = simulate(model, threads=1, **kw)
    two = simulate(model, threads=2, **kw)
    assert (one.threads, two.threads) == (1, 2)
    assert_identical(one, two)


def test_chunking_does_not_change_results(cohen):
    kw = dict(sample_count=5000, seed=3, keep_final_states=True)
    assert_identical(simulate(cohen, **kw), simulate(cohen, chunk_size=777, **kw))


def test_different_seeds_give_different_trajectories(cohen):
    a = simulate(cohen, sample_count=2000, seed=1, keep_final_states=True)
    b = simulate(cohen, sample_count=2000, seed=2, keep_final_states=True)
    assert not np.array_equal(a.final_states, b.final_states)
    assert not np.array_equal(a.node_probs, b.node_probs)


def test_counting_states_directly_or_from_records_agrees(cohen, monkeypatch):
    kw = dict(sample_count=4000, seed=5, max_time=30)
    direct = simulate(cohen, **kw)
    monkeypatch.setattr(simulate_checks, "_DIRECT_BUDGET", 0)
    recorded = simulate(cohen, **kw)
    assert_identical(direct, recorded)


def test_overflowing_records_are_recovered(monkeypatch):
    """An oscillator changes output state far more often than the record capacity."""
    from metastasim.io import parse_bnet

    model = parse_bnet("A, !B\nB, A")
    kw = dict(sample_count=300, seed=9, max_time=60, time_tick=1.0)
    direct = simulate(model, **kw)
    monkeypatch.setattr(simulate_checks, "_DIRECT_BUDGET", 0)
    recorded = simulate(model, **kw)
    assert_identical(direct, recorded)


def test_program_rules_match_truth_tables(monkeypatch):
    """Rules with more inputs than a truth table holds run as postfix programs; both must agree."""
    model = read_bnet(PEER_MODELS / "004_erbb-receptor-signaling" / "model.bnet")
    assert max(len(n.rule.variables()) for n in model) > kernel.TABLE_MAX_INPUTS
    kw = dict(sample_count=1000, seed=4, max_time=10, keep_final_states=True)
    programs = simulate(model, **kw)
    monkeypatch.setattr("metastasim.engine.compile.TABLE_MAX_INPUTS", 30)
    tables = simulate(model, **kw)
    assert compile_model(model).kind.sum() == 0  # every rule is a table now
    assert_identical(programs, tables)


def test_any_number_of_nodes(montagud):
    model = read_bnet(PEER_MODELS / "004_erbb-receptor-signaling" / "model.bnet")
    assert len(model) > 128
    result = simulate(model, sample_count=500, max_time=5, keep_final_states=True)
    states = result.trajectory_states()
    assert states.shape == (500, len(model))
    assert np.allclose(states.mean().to_numpy(), result.final_node_probs)


def test_continuing_from_final_states_matches_one_long_run_statistically(cohen):
    """Stage-to-stage hand-over: start a run from another run's final states."""
    first = simulate(cohen, sample_count=20_000, seed=1, max_time=5, keep_final_states=True)
    second = simulate(cohen, sample_count=20_000, seed=2, max_time=45, initial_states=first.final_states)
    whole = simulate(cohen, sample_count=20_000, seed=3, max_time=50)
    se = np.sqrt(0.25 / 20_000) * np.sqrt(2)
    assert np.all(np.abs(second.final_node_probs - whole.final_node_probs) < 5 * se)


def test_per_trajectory_forcing(cohen):
    n = 1000
    forcing = np.full((n, len(cohen)), -1)
    p53 = list(cohen.nodes).index("p53")
    forcing[: n // 2, p53] = 1
    result = simulate(cohen, sample_count=n, seed=1, trajectory_forcing=forcing, keep_final_states=True)
    states = result.trajectory_states()
    assert (states["p53"].iloc[: n // 2] == 1).all()
    assert states["p53"].iloc[n // 2 :].mean() < 0.5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(chunk_size=0), "chunk_size"),
        (dict(trajectory_forcing=np.full((10, 32), 2)), "only -1"),
        (dict(stream=2**32), "stream"),
        (dict(first_trajectory=-1), "first_trajectory"),
        (dict(initial_states=np.zeros((3, 1), np.uint64)), "shape"),
    ],
)
def test_bad_engine_arguments_are_refused(cohen, kwargs, message):
    from metastasim.errors import SimulationError

    with pytest.raises(SimulationError, match=message):
        simulate(cohen, sample_count=10, **kwargs)
