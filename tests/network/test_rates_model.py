"""Rates, models and perturbations."""

from __future__ import annotations

import math

import pytest

from metastasim.errors import ModelError, UnknownNameError
from metastasim.network import (
    ForceOn,
    Inhibit,
    JointInitial,
    Knockout,
    Model,
    Node,
    SetInput,
    down_rate,
    parse_perturbation,
    parse_rate,
    parse_rule,
    resolve_perturbations,
    up_rate,
)


def test_conditional_rates_follow_the_rule():
    rate = parse_rate("@logic ? $u : 0")
    assert rate.evaluate({"u": 3.0}, logic=True) == 3.0
    assert rate.evaluate({"u": 3.0}, logic=False) == 0.0


def test_pymaboss_mutation_idiom_evaluates_lazily():
    up = parse_rate("$Low_X ? 0 : ($High_X ? 1E308/$nb_mutable : (@logic ? $u_X : 0))")
    wild = {"Low_X": 0, "High_X": 0, "nb_mutable": 0, "u_X": 2}  # 1E308/0 is never evaluated
    assert up.evaluate(wild, logic=True) == 2 and up.evaluate(wild, logic=False) == 0
    assert up.evaluate({**wild, "High_X": 1, "nb_mutable": 1}, logic=False) == 1e308


def test_rate_arithmetic_and_printing():
    rate = parse_rate("2 * $k + 1 - (@logic ? 1 : 0.5) / 2")
    assert math.isclose(rate.evaluate({"k": 1.5}, logic=False), 3.75)
    assert math.isclose(parse_rate(rate.to_string()).evaluate({"k": 1.5}, logic=False), 3.75)
    assert up_rate(2.5).simple_value("up") == "2.5"
    assert down_rate("$d").simple_value("down") == "$d"
    assert parse_rate("@logic ? 1 : 0.2").simple_value("up") is None


def test_undefined_parameter_is_an_error():
    with pytest.raises(ModelError, match=r"\$nope"):
        parse_rate("@logic ? $nope : 0").evaluate({}, logic=True)


def small_model() -> Model:
    return Model(
        [
            Node("In", parse_rule("In"), is_input=True),
            Node("A", parse_rule("In & !B"), symbol="MTOR"),
            Node("B", parse_rule("A")),
        ]
    )


def test_validate_catches_undefined_names_rates_and_probabilities():
    m = small_model()
    m.nodes["B"].rule = parse_rule("A & Ghost")
    with pytest.raises(ModelError, match="Ghost"):
        m.validate()
    m = small_model()
    m.nodes["A"].rate_up = up_rate(-1)
    with pytest.raises(ModelError, match="non-negative"):
        m.validate()
    m = small_model()
    m.nodes["A"].rate_down = down_rate(float("nan"))
    with pytest.raises(ModelError, match="finite"):
        m.validate()
    m = small_model()
    m.nodes["A"].initial = 1.2
    with pytest.raises(ModelError, match=r"\[0, 1\]"):
        m.validate()
    m = small_model()
    m.joint_initial.append(JointInitial(("A", "B"), (((0, 1), 0.4), ((1, 0), 0.4))))
    with pytest.raises(ModelError, match="sum to 0.8"):
        m.validate()


def test_duplicate_nodes_are_refused_with_their_lines():
    m = Model(source="m.bnet")
    m.add_node(Node("A", parse_rule("A"), line=3))
    with pytest.raises(ModelError, match="first defined on line 3") as info:
        m.add_node(Node("A", parse_rule("1"), line=7))
    assert str(info.value).startswith("m.bnet:7:")


def test_nodes_resolve_by_id_or_symbol_with_suggestions():
    m = small_model()
    assert m.resolve("A") == "A" and m.resolve("MTOR") == "A"
    with pytest.raises(UnknownNameError, match="did you mean MTOR"):
        m.resolve("MTORR")


def test_hash_tracks_dynamics_not_annotations():
    m = small_model()
    h = m.hash()
    m.nodes["A"].description = "a kinase"
    assert m.hash() == h
    m.nodes["A"].rate_up = up_rate(2)
    assert m.hash() != h


def test_with_block_undoes_edits():
    m = small_model()
    h = m.hash()
    with m:
        m.nodes["A"].rule = parse_rule("0")
        m.parameters["x"] = 1.0
        assert m.hash() != h
    assert m.hash() == h and "x" not in m.parameters


def test_perturbations_resolve_and_conflict():
    m = small_model()
    assert resolve_perturbations(m, [Knockout("MTOR"), Inhibit("B", 0.5)]) == (Knockout("A"), Inhibit("B", 0.5))
    with pytest.raises(ModelError, match="conflicting"):
        resolve_perturbations(m, [Knockout("A"), ForceOn("MTOR")])
    with pytest.raises(ModelError, match="not an input"):
        resolve_perturbations(m, [SetInput("A", 1)])
    assert resolve_perturbations(m, [SetInput("In", 1)]) == (SetInput("In", 1),)
    with pytest.raises(ModelError, match=r"\[0, 1\]"):
        Inhibit("A", 1.5)
    with pytest.raises(ModelError):
        Inhibit("A", float("nan"))


@pytest.mark.parametrize(
    "kind, text, expected",
    [
        ("ko", "TP53", Knockout("TP53")),
        ("oe", "MYC", ForceOn("MYC")),
        ("inhibit", "GLS=0.8", Inhibit("GLS", 0.8)),
        ("set", "Hypoxia=1", SetInput("Hypoxia", 1)),
    ],
)
def test_cli_style_perturbations(kind, text, expected):
    assert parse_perturbation(kind, text) == expected


@pytest.mark.parametrize("kind, text", [("inhibit", "GLS"), ("inhibit", "GLS=x"), ("set", "A=2"), ("ko", "A=1")])
def test_bad_cli_style_perturbations(kind, text):
    with pytest.raises(ModelError):
        parse_perturbation(kind, text)


def test_inhibitions_of_one_node_combine_as_independent_actions():
    m = small_model()
    (combined,) = resolve_perturbations(m, [Inhibit("A", 0.5), Inhibit("MTOR", 0.5)])
    assert combined == Inhibit("A", 0.75)


def test_given_perturbations_replace_the_models_own_on_the_same_node():
    m = small_model()
    m.perturbations = (Knockout("A"),)
    assert resolve_perturbations(m, [ForceOn("A")]) == (ForceOn("A"),)
    assert resolve_perturbations(m, []) == (Knockout("A"),)
    assert resolve_perturbations(m, [], with_model=False) == ()


def test_with_block_restores_the_same_node_objects():
    m = small_model()
    a = m.nodes["A"]
    with m:
        a.initial = 1.0
        del m.nodes["B"]
    assert m.nodes["A"] is a and a.initial == 0.5 and "B" in m


@pytest.mark.parametrize(
    "bad",
    [
        dict(max_time=True),
        dict(discrete_time="no"),
        dict(sample_count=2**31),
        dict(thread_count=True),
        dict(sample_count=1.5),
        dict(seed=-1),
        dict(time_tick=float("inf")),
    ],
)
def test_settings_reject_wrong_types(bad):
    from metastasim.errors import SimulationError
    from metastasim.network import Settings

    with pytest.raises(SimulationError):
        Settings(**bad)


def test_drug_efficacy_is_the_fraction_of_steady_activity_removed():
    """An efficacy-0.9 inhibitor leaves 10% of a turned-over activity, checked against the two-state chain."""
    from metastasim.engine import simulate
    from metastasim.network import Model, Node, parse_rate, parse_rule
    from metastasim.network.drugs import Drug, DrugTarget

    m = Model(name="enzyme")
    m.add_node(Node("E", parse_rule("1"), parse_rate("4"), parse_rate("@logic ? 0.2 : 4"), initial=1.0))
    drug = Drug("d", (DrugTarget("E", "inhibit", 0.9),))
    (inhibit,) = drug.perturbations(model=m)
    u = 4 * (1 - inhibit.efficacy)
    assert u / (u + 0.2) == pytest.approx(0.1 * 4 / 4.2)  # the analytic steady state of the two-state chain
    result = simulate(m, [inhibit], sample_count=40_000, max_time=60, seed=3)
    p, se = result.final_nodes()["E"], result.final_node_se()["E"]
    assert abs(p - 0.1 * 4 / 4.2) < 4 * se
    assert drug.perturbations()[0].efficacy == 0.9  # without a model: the raw rate multiplier
