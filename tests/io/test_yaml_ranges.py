"""Declared ranges of rate parameters (model files) and stage constants (cascade files).

The readers' checks (each a ModelError naming the line), the YAML round trip, and the
curated model's and cascade's declarations: every rate parameter and every constant
has a declared range and its reasoning.
"""

from __future__ import annotations

import textwrap

import pytest

from metastasim.cascade import load_cascade, parse_cascade
from metastasim.errors import ModelError
from metastasim.io.yaml import parse_yaml, to_yaml
from metastasim.models import load_model

MODEL = """\
format: metastasim-model/1
parameters:
  fast:
    value: 4
    range: [2, 12]
    why: Minutes (doi:10.1000/x).
  gene: 1.5
  slow:
    value: 0.25
    why: Hours.
nodes:
  A: {{input: true}}
  B: {{rule: A, rate_up: $fast, rate_down: $gene}}
  C: {{rule: B, rate_up: $slow}}
"""


def model_with(fast: str) -> str:
    """The model above with parameter ``fast`` written as ``fast`` (indented YAML under ``fast:``)."""
    body = textwrap.indent(textwrap.dedent(fast).strip("\n"), "    ")
    head, rest = MODEL.split("  fast:\n", 1)
    rest = rest.split("  gene:", 1)[1]
    return (head + "  fast:\n" + body + "\n  gene:" + rest).format()


def test_declared_default_and_why_only():
    model = parse_yaml(MODEL.format(), path="m.yaml")
    fast = model.parameter_range("fast")
    assert (model.parameters["fast"], fast.low, fast.high, fast.log, fast.declared, fast.line) == (
        4.0,
        2.0,
        12.0,
        True,
        True,
        5,
    )
    assert fast.why == "Minutes (doi:10.1000/x)."
    gene = model.parameter_range("gene")  # a plain number: the default, halved to doubled
    assert (gene.low, gene.high, gene.declared) == (0.75, 3.0, False) and "gene" not in model.parameter_ranges
    slow = model.parameter_range("slow")  # reasoning without a range: the default range, with its why
    assert (slow.low, slow.high, slow.declared, slow.why) == (0.125, 0.5, False, "Hours.")


def test_round_trip():
    model = parse_yaml(MODEL.format())
    text = to_yaml(model)
    again = parse_yaml(text)
    assert again.parameters == model.parameters
    for name in model.parameters:
        a, b = model.parameter_range(name), again.parameter_range(name)
        assert (a.low, a.high, a.log, a.why, a.declared) == (b.low, b.high, b.log, b.why, b.declared), name
    assert "gene: 1.5" in text  # a plain number stays plain


def test_curated_model_round_trips_its_ranges():
    model = load_model()
    again = parse_yaml(to_yaml(model))
    assert {k: (r.low, r.high, r.why) for k, r in again.parameter_ranges.items()} == {
        k: (r.low, r.high, r.why) for k, r in model.parameter_ranges.items()
    }


@pytest.mark.parametrize(
    "fast, line, words",
    [
        ("value: 4\nrange: [8, 2]", 5, ("low 8 is above high 2",)),
        ("value: 4\nrange: [0, 8]", 5, ("must be positive", "[0, 8]")),
        ("value: 4\nrange: [-1, 8]", 5, ("must be positive",)),
        ("value: 4\nrange: [2, .inf]", 5, ("finite",)),
        ("value: 4\nrange: [2, eight]", 5, ("two numbers", "'eight'")),
        ("value: 4\nrange: [2, 3, 8]", 5, ("[low, high]",)),
        ("value: 4\nrange: 2", 5, ("[low, high]",)),
        ("value: 9\nrange: [2, 8]", 5, ("value 9", "outside its range [2, 8]")),
        ("value: 4\nrnage: [2, 8]", 5, ("unknown field 'rnage'", "'range'")),
        ("range: [2, 8]", 4, ("needs a value",)),
        ("value: four", 4, ("must be a number", "'four'")),
        ("value: 4\nwhy: [a, b]", 5, ("why of parameter fast must be text",)),
    ],
)
def test_model_range_errors(fast, line, words):
    with pytest.raises(ModelError) as info:
        parse_yaml(model_with(fast), path="m.yaml")
    err = info.value
    assert (err.path, err.line) == ("m.yaml", line), str(err)
    assert "parameter fast" in err.message and all(w in err.message for w in words), err.message


CASCADE = """\
format: metastasim-cascade/1
stages:
  grow:
    context: normoxia
    duration: 2
    constants:
      top: {top}
      floor: 0.2
    pass:
      - {{when: Apoptosis, p: $top}}
      - {{p: '$top * ($floor + (1 - $floor) * Proliferation)'}}
modes:
  experimental: {{prepare: {{context: normoxia, duration: 1}}, stages: [grow]}}
"""


def test_cascade_constants_declared_and_default():
    spec = parse_cascade(CASCADE.format(top="{value: 0.5, range: [0.3, 0.7], why: A guess.}"), path="c.yaml")
    stage = spec.stages["grow"]
    assert dict(stage.constants) == {"top": 0.5, "floor": 0.2}
    top = stage.constant_range("top")
    assert (top.low, top.high, top.log, top.declared, top.why, top.line) == (0.3, 0.7, False, True, "A guess.", 7)
    floor = stage.constant_range("floor")
    assert (floor.low, floor.high, floor.declared) == (0.1, 0.4, False)


@pytest.mark.parametrize(
    "top, words",
    [
        ("{value: 0.5, range: [0.3, 1.2]}", ("within [0, 1]", "[0.3, 1.2]")),
        ("{value: 0.5, range: [-0.1, 0.7]}", ("within [0, 1]",)),
        ("{value: 0.5, range: [0.7, 0.3]}", ("low 0.7 is above high 0.3",)),
        ("{value: 0.8, range: [0.3, 0.7]}", ("value 0.8", "outside its range")),
        ("{value: 0.5, range: [0.3, x]}", ("two numbers", "'x'")),
        ("{value: 0.5, rnage: [0.3, 0.7]}", ("unknown field 'rnage'",)),
    ],
)
def test_cascade_range_errors(top, words):
    with pytest.raises(ModelError) as info:
        parse_cascade(CASCADE.format(top=top), path="c.yaml")
    err = info.value
    assert (err.path, err.line) == ("c.yaml", 7), str(err)
    assert "constant top of stage grow" in err.message and all(w in err.message for w in words), err.message


def test_cascade_expression_must_stay_a_probability_over_the_ranges():
    """$top + $extra is a probability at the values, not at the corner top = 0.7, extra = 0.4 of the ranges."""
    text = CASCADE.format(top="{value: 0.5, range: [0.3, 0.7]}").replace(
        "      floor: 0.2\n", "      floor: 0.2\n      extra: {value: 0.3, range: [0.1, 0.4]}\n"
    )
    text = text.replace("p: $top}", "p: '$top + $extra'}")
    with pytest.raises(ModelError) as info:
        parse_cascade(text, path="c.yaml")
    assert info.value.line == 11 and "$top = 0.7, $extra = 0.4 (corner of the ranges)" in info.value.message, str(
        info.value
    )


def test_curated_model_declares_every_rate_parameter():
    """Every rate parameter of the curated model has a declared range with its reasoning (add one with a new
    parameter)."""
    model = load_model()
    assert model.parameters
    for name, value in model.parameters.items():
        rng = model.parameter_ranges.get(name)
        assert rng is not None and rng.declared, f"parameter {name} of model.yaml has no declared range"
        assert rng.log and rng.low > 0 and rng.low <= value <= rng.high and rng.low < rng.high, name
        assert len(rng.why) > 20, f"parameter {name} of model.yaml: say why in its `why`"


def test_curated_cascade_declares_every_constant():
    """Every constant of every stage has a declared range and reasoning; a case's literal probability is 0 or 1
    (an impossible or certain step), every other number is a named constant."""
    spec = load_cascade()
    for stage in spec.stages.values():
        ranges = dict(stage.constant_ranges)
        for name, value in stage.constants:
            rng = ranges.get(name)
            assert rng is not None and rng.declared, f"constant {name} of stage {stage.name} has no declared range"
            assert not rng.log and 0 <= rng.low <= value <= rng.high <= 1 and rng.low < rng.high
            assert len(rng.why) > 20, f"constant {name} of stage {stage.name}: say why in its `why`"
        for case in stage.cases:
            assert isinstance(case.p, str) or case.p in (0.0, 1.0), f"stage {stage.name}: name the constant {case.p}"
