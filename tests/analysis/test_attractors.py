"""Fixed points and minimal trap spaces through mpbn, against the counts in reference.json."""

from __future__ import annotations

import json

import pytest

from conftest import PEER_MODELS, peer_model_dirs
from metastasim.analysis import boolean_rules, count_fixed_points, count_trap_spaces, fixed_points, trap_spaces
from metastasim.io import parse_bnet, read_bnet
from metastasim.models import load_example
from metastasim.network import ForceOn, Inhibit, Knockout

REFERENCE = json.loads((PEER_MODELS / "reference.json").read_text()) if PEER_MODELS.is_dir() else {}
COUNTED = [p for p in peer_model_dirs() if isinstance(REFERENCE.get(p.name, {}).get("n_fixed_points"), int)]
TRAPS = [p for p in peer_model_dirs() if isinstance(REFERENCE.get(p.name, {}).get("n_min_trap_spaces"), int)]


@pytest.mark.parametrize("folder", COUNTED, ids=[p.name for p in COUNTED])
def test_fixed_point_counts_match_the_reference(folder):
    model = read_bnet(folder / "model.bnet")
    assert count_fixed_points(model) == REFERENCE[folder.name]["n_fixed_points"]


@pytest.mark.parametrize("folder", TRAPS, ids=[p.name for p in TRAPS])
def test_minimal_trap_space_counts_match_the_reference(folder):
    model = read_bnet(folder / "model.bnet")
    assert count_trap_spaces(model) == REFERENCE[folder.name]["n_min_trap_spaces"]


def test_enough_models_are_checked():
    assert len(COUNTED) >= 20


def test_fixed_points_are_fixed():
    model = load_example("cohen2015")
    points = fixed_points(model)
    assert len(points) == 9
    for point in points:
        for node in model:
            assert node.rule.evaluate(point) == bool(point[node.id]), node.id


def test_dropping_undeclared_inputs_would_be_wrong():
    # as the peer-model README warns: inputs must be kept (as x = x)
    model = parse_bnet("B, A & !C\nC, B | C")
    assert count_fixed_points(model) == 3
    assert "A" in boolean_rules(model)


def test_perturbations_and_input_settings_are_honoured():
    model = parse_bnet("A, A\nB, A & !C\nC, B | C")
    assert fixed_points(model, inputs={"A": 1}) == [{"A": 1, "B": 0, "C": 1}]
    assert fixed_points(model, [Knockout("C")], inputs={"A": 1}) == [{"A": 1, "B": 1, "C": 0}]
    assert all(p["B"] == 1 for p in fixed_points(model, [ForceOn("B")]))
    # a complete inhibition lets B switch off but never on
    assert boolean_rules(model, [Inhibit("B", 1.0)])["B"] == "B & A & !C"
    assert boolean_rules(model, [Inhibit("B", 0.5)])["B"] == "A & !C"


def test_trap_spaces_mark_free_nodes():
    model = parse_bnet("A, !A\nB, B")  # A oscillates: free in the minimal trap spaces
    spaces = trap_spaces(model)
    assert sorted(spaces, key=str) == [{"A": "*", "B": 0}, {"A": "*", "B": 1}]


def test_xor_rules_are_rewritten_for_mpbn():
    model = parse_bnet("A, A\nB, B\nC, A ^ B")
    assert count_fixed_points(model) == 4
    assert all(p["C"] == (p["A"] ^ p["B"]) for p in fixed_points(model))


def test_wide_xor_rewrites_stay_small():
    names = [f"x{i}" for i in range(22)]
    model = parse_bnet("\n".join(f"{n}, {n}" for n in names) + "\ny, " + " ^ ".join(names))
    rule = boolean_rules(model)["y"]
    assert len(rule) < 200_000
