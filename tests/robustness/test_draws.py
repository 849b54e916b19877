"""Parameter draws: designs within each range, and a drawn model that behaves exactly as an edited file."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from metastasim.cascade import load_cascade, parse_cascade, run_cascade
from metastasim.engine import simulate
from metastasim.errors import ModelError, UnknownNameError
from metastasim.io import parse_yaml
from metastasim.models import load_model
from metastasim.network.ranges import Range
from metastasim.robustness import apply_draw, draw_parameters, nominal_draw, uncertain_numbers

sys.path.insert(0, str(Path(__file__).parent))
import toy  # noqa: E402


def test_a_latin_hypercube_puts_one_draw_in_each_stratum_of_each_range():
    model, spec = load_model(), load_cascade()
    numbers = uncertain_numbers(model, spec)
    assert "rate:fast" in numbers and "stage:invasion:leave" in numbers
    n = 16
    table = draw_parameters(model, spec, n, seed=7)
    assert list(table.columns) == list(numbers) and len(table) == n
    for name, (nominal, r) in numbers.items():
        values = table[name].to_numpy()
        assert r.low <= nominal <= r.high and ((values >= r.low) & (values <= r.high)).all()
        # back onto [0, 1]: one value in each of the n strata
        u = np.log(values / r.low) / np.log(r.high / r.low) if r.log else (values - r.low) / (r.high - r.low)
        assert sorted(np.floor(u * n).astype(int)) == list(range(n)), name
    assert table.equals(draw_parameters(model, spec, n, seed=7))
    assert not table.equals(draw_parameters(model, spec, n, seed=8))
    sobol = draw_parameters(model, spec, 8, seed=7, method="sobol")
    assert len(sobol) == 8 and not sobol.equals(table.iloc[:8])


def test_the_nominal_draw_gives_bit_identical_seeded_results():
    model, spec = load_model(), load_cascade()
    m, s = apply_draw(model, spec, nominal_draw(model, spec))
    assert m is not model and m.hash() == model.hash() and s.hash() == spec.hash()
    a = run_cascade(model, spec, mode="experimental", cells=3000, seed=4, keep_survivors=["dormancy"])
    b = run_cascade(m, s, mode="experimental", cells=3000, seed=4, keep_survivors=["dormancy"])
    assert np.array_equal(a.survivors["dormancy"], b.survivors["dormancy"])


def test_a_draw_changes_the_dynamics_exactly_as_editing_the_files_would():
    text = toy.MODEL.replace(f"k: {toy.K_NOMINAL}", "k: 1.37")
    assert text != toy.MODEL
    graded = toy.CASCADE.replace(f"p: '{toy.CA} * A + {toy.CB} * B'", "p: '$w * A + 0.2 * B'")
    graded = graded.replace("    pass:", "    constants: {w: 0.5}\n    pass:")
    edited_spec = parse_cascade(graded.replace("{w: 0.5}", "{w: 0.65}"))
    m, s = apply_draw(parse_yaml(toy.MODEL), parse_cascade(graded), {"rate:k": 1.37, "stage:grow:w": 0.65})
    edited = parse_yaml(text)
    assert m.hash() == edited.hash() and s.hash() == edited_spec.hash()
    one = simulate(m, sample_count=500, seed=2, context="normoxia")
    two = simulate(edited, sample_count=500, seed=2, context="normoxia")
    assert np.array_equal(one.node_probs, two.node_probs) and one.n_transitions == two.n_transitions
    a = run_cascade(m, s, cells=5000, seed=3, estimator="direct", keep_survivors=["grow"])
    b = run_cascade(edited, edited_spec, cells=5000, seed=3, estimator="direct", keep_survivors=["grow"])
    assert np.array_equal(a.survivors["grow"], b.survivors["grow"])
    assert parse_cascade(graded).stages["grow"].constants == (("w", 0.5),)  # the original is untouched


def test_bad_draw_requests_are_refused():
    model, spec = toy.model(), toy.cascade()
    with pytest.raises(ModelError, match="draws"):
        draw_parameters(model, spec, 0, seed=1)
    with pytest.raises(ModelError, match="method"):
        draw_parameters(model, spec, 4, seed=1, method="grid")
    with pytest.raises(UnknownNameError):
        apply_draw(model, spec, {"rate:nope": 1.0})
    with pytest.raises(ModelError, match="low .* above its high"):
        Range(2.0, 1.0)
    with pytest.raises(ModelError, match="line 7: rate_down of A is -1.*non-negative"):  # the reader refuses it
        parse_yaml(toy.MODEL.replace(f"k: {toy.K_NOMINAL}", "k: -1"))
