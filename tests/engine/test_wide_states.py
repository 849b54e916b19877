"""The output-state table past 64 outputs (states as rows of 64-bit words), against exact answers.

A model of independent nodes has a product-form state distribution: each node that
flips on at rate ``a`` and off at rate ``b`` from off is on at time ``t`` with
probability ``a / (a + b) * (1 - exp(-(a + b) t))``, and a state's probability is the
product of its nodes' probabilities; window averages are integrals of that product.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from metastasim.engine import simulate
from metastasim.engine.result import state_label
from metastasim.io import parse_maboss

N = 4000
Z_MAX = 4.5
RATES = {"F0": (1.0, 1.0), "F1": (2.0, 0.5), "F2": (0.5, 1.5)}  # the nodes that flip: (up, down)
N_FIXED = 70  # nodes that stay on: 73 outputs in all


def _model():
    nodes = [f"Node K{i} {{ logic = K{i}; rate_up = 0; rate_down = 0; }}" for i in range(N_FIXED)]
    nodes += [f"Node {x} {{ logic = !{x}; rate_up = {a}; rate_down = {b}; }}" for x, (a, b) in RATES.items()]
    istates = " ".join(f"K{i}.istate = 1;" for i in range(N_FIXED)) + " F0.istate = 0; F1.istate = 0; F2.istate = 0;"
    return parse_maboss("\n".join(nodes), istates + "\nmax_time = 2; time_tick = 0.5;")


def _exact_window(state: dict[str, int], t0: float, t1: float) -> float:
    """Window average of the product-form probability of the flipping nodes' ``state``."""
    ts = np.linspace(t0, t1, 2001)
    p = np.ones_like(ts)
    for x, (a, b) in RATES.items():
        on = a / (a + b) * (1 - np.exp(-(a + b) * ts))
        p *= on if state[x] else 1 - on
    return float(np.trapezoid(p, ts) / (t1 - t0))


@pytest.fixture(scope="module")
def result():
    return simulate(_model(), sample_count=N, seed=7, record_states=True)


def test_states_are_rows_of_words_labelled_as_maboss_does(result):
    assert len(result.outputs) == N_FIXED + len(RATES) > 64
    assert result.state_codes.shape == (8, 2)  # every state of the three flipping nodes, two words each
    labels = result.state_probabilities().columns
    fixed = " -- ".join(f"K{i}" for i in range(N_FIXED))
    assert all(label.startswith(fixed) for label in labels)
    assert fixed in labels  # the three flipping nodes off
    np.testing.assert_allclose(result.state_probs.sum(axis=1), 1.0, atol=1e-12)
    assert state_label(np.array([0, 0], np.uint64), result.outputs) == "<nil>"
    assert state_label(np.array([0, 1 << 8], np.uint64), result.outputs) == result.outputs[72]


def test_window_probabilities_match_the_product_form(result):
    table = result.state_probabilities()
    worst = 0.0
    for label in table.columns:
        on = set(label.split(" -- "))
        state = {x: int(x in on) for x in RATES}
        for w, t0 in enumerate(result.times):
            p = _exact_window(state, t0, t0 + result.time_tick)
            z = (table.iloc[w][label] - p) / math.sqrt(max(p * (1 - p), 1e-12) / N)
            worst = max(worst, abs(z))
    assert 0 < worst <= Z_MAX


def test_final_states_match_the_product_form(result):
    dist = result.final_state_distribution()
    assert result.final_state_codes.shape[1] == 2 and result.final_state_counts.sum() == N
    for label, got in dist.items():
        on = set(label.split(" -- "))
        p = 1.0
        for x, (a, b) in RATES.items():
            q = a / (a + b) * (1 - math.exp(-(a + b) * 2.0))
            p *= q if x in on else 1 - q
        assert abs(got - p) <= Z_MAX * math.sqrt(p * (1 - p) / N)


def test_wide_states_do_not_depend_on_threads_or_chunks(result):
    again = simulate(_model(), sample_count=N, seed=7, record_states=True, threads=1, chunk_size=1500)
    np.testing.assert_array_equal(again.state_codes, result.state_codes)
    np.testing.assert_array_equal(again.state_probs, result.state_probs)
    np.testing.assert_array_equal(again.final_state_counts, result.final_state_counts)


def test_many_outputs_count_no_states_unless_asked():
    r = simulate(_model(), sample_count=50, seed=1)
    assert r.state_probs is None and r.final_state_codes is None
