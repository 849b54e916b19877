"""Graded pass rules: a stage's pass probability reads the time each node spent on during the stage."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from graded_toy import DOWN, MODEL, UP, T, exact_occupancy  # noqa: F401  (tests/graded_toy.py)
from metastasim.cascade import binomial_ci, parse_cascade, run_cascade
from metastasim.cascade.rules import GradedP
from metastasim.errors import ModelError
from metastasim.io import parse_yaml
from metastasim.network.perturbations import Knockout


def spec_text(p: str, constants: str = "{floor: 0.2}", extra_case: str = "") -> str:
    return f"""
format: metastasim-cascade/1
stages:
  grow:
    context: quiet
    duration: {T}
    constants: {constants}
    pass: [{extra_case}{{p: '{p}'}}]
modes:
  experimental: {{prepare: {{context: quiet, duration: 0.000001}}, stages: [grow]}}
  spontaneous: {{prepare: {{context: quiet, duration: 0.000001}}, stages: [grow]}}
"""


@pytest.fixture(scope="module")
def model():
    return parse_yaml(MODEL)


def test_a_graded_rule_passes_cells_in_proportion_to_their_occupancy(model):
    """Pass fraction = floor + (1 - floor) * E[occupancy of X], against the closed form."""
    spec = parse_cascade(spec_text("$floor + (1 - $floor) * X"))
    expected = 0.2 + 0.8 * exact_occupancy()
    direct = run_cascade(model, spec, cells=100_000, seed=3, estimator="direct")
    lo, hi = binomial_ci(direct.stages[0].passed, direct.cells, level=0.999)
    assert lo <= expected <= hi
    split = run_cascade(model, spec, cells=40_000, seed=3, estimator="splitting")
    low, high = split.efficiency_ci95
    assert low <= expected <= high and abs(split.efficiency - expected) < 0.01
    # the floor: a cell that never has X on still passes with 0.2
    knocked = run_cascade(model, spec, cells=20_000, seed=3, estimator="direct", perturbations=[Knockout("X")])
    lo, hi = binomial_ci(knocked.stages[0].passed, knocked.cells, level=0.999)
    assert lo <= 0.2 <= hi


def test_end_state_cases_come_first(model):
    """A 'when' case over the final state wins over the graded fallback."""
    spec = parse_cascade(spec_text("X", extra_case="{when: X, p: 1.0}, "))
    result = run_cascade(model, spec, cells=50_000, seed=5, estimator="direct")
    # P(X on at T) + E[occupancy; X off at T]: bounded by the on-fraction at T and that plus E[occupancy]
    k = UP + DOWN
    on_at_t = UP / k * (1 - math.exp(-k * T))
    frac = result.stages[0].passed / result.cells
    assert on_at_t < frac < on_at_t + exact_occupancy()
    cases = result.to_dict()["stages"][0]["cases"]
    assert cases[1]["p"] == "X" and cases[0]["entered"] + cases[1]["entered"] == result.cells


def test_graded_expressions_are_checked():
    g = GradedP.parse("$a * (1 - B) + (1 - $a) * C * D", {"a": 0.3, "unused": 2})
    assert g.nodes == frozenset("BCD") and g.constants == (("a", 0.3),)
    values = g.evaluate({"B": np.array([0.0, 1.0]), "C": np.array([1.0, 0.5]), "D": np.array([1.0, 1.0])})
    assert values.tolist() == pytest.approx([1.0, 0.35])
    assert g.range_check() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "p, constants, message",
    [
        ("2 * X", "{}", "pass probability '2 * X' is 2 at X=1; it must stay within [0, 1]"),
        ("X - 0.5", "{}", "is -0.5 at X=0"),
        ("$top * X", "{floor: 0.2}", "$top is not one of the stage's constants (floor)"),
        ("$top * X", "{}", "$top is not one of the stage's constants (it has none)"),
        ("X * (", "{}", "p of a case of stage grow"),
        ("1 / X", "{}", "is inf at X=0"),
        ("@logic ? 1 : 0", "{}", "cannot read @logic"),
        ("X", "{1bad: 0.2}", "constant '1bad' of stage grow is not a valid name"),
        ("X", "{floor: high}", "constant floor of stage grow"),
    ],
)
def test_bad_graded_rules_name_the_line(p, constants, message):
    with pytest.raises(ModelError, match=re.escape(message)) as exc:
        parse_cascade(spec_text(p, constants), path="c.yaml")
    assert exc.value.path == "c.yaml" and exc.value.line in (7, 8)


def test_an_unknown_node_in_a_graded_rule_names_its_line(model):
    spec = parse_cascade(spec_text("Z * 0.5"), path="c.yaml")
    with pytest.raises(ModelError, match="stage grow: unknown node 'Z'") as exc:
        run_cascade(model, spec, cells=10)
    assert exc.value.line == 8


def test_graded_results_do_not_depend_on_threads_or_chunks(model):
    spec = parse_cascade(spec_text("$floor + (1 - $floor) * X"))
    a = run_cascade(model, spec, cells=5000, seed=8, estimator="direct", threads=1, chunk_size=5000)
    b = run_cascade(model, spec, cells=5000, seed=8, estimator="direct", threads=4, chunk_size=777)
    assert a.stages[0].passed == b.stages[0].passed
    s1 = run_cascade(model, spec, cells=5000, seed=8, estimator="splitting", threads=1, chunk_size=5000)
    s2 = run_cascade(model, spec, cells=5000, seed=8, estimator="splitting", threads=4, chunk_size=777)
    assert s1.efficiency == s2.efficiency
