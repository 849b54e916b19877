"""The YAML format, SBML-qual specifics, bnet quirks, and exports that would lose information."""

from __future__ import annotations

import warnings

import pytest

from metastasim.errors import InitialStateNotSupportedError, ModelError, RatesNotSupportedError
from metastasim.io import parse_bnet, parse_maboss, parse_sbmlqual, parse_yaml, to_bnet, to_sbmlqual, to_yaml
from metastasim.io.formats import read_model, write_model
from metastasim.models import load_example
from metastasim.network import Reference, equivalent, parse_rule

YAML = """
format: metastasim-model/1
name: toy
references:
  - id: doi:10.1000/toy
    statement: A toy.
parameters:
  fast: 10
settings:
  max_time: 20
nodes:
  Signal:
    input: true
    initial: 1
  Kinase:
    rule: Signal & !Phosphatase
    rate_up: $fast
    rate_down: 0.5
    initial: 0
    symbol: MAPK1
    name: mitogen-activated protein kinase 1
    references:
      - id: pmid:12345
        statement: Signal activates the kinase.
  Phosphatase:
    rule: Kinase
    rate_up: "@logic ? 1 : 0.1"
    internal: true
initial_states:
  - nodes: [Signal, Phosphatase]
    states:
      - {values: [1, 0], probability: 0.6}
      - {values: [0, 1], probability: 0.4}
"""


def test_yaml_reads_rules_rates_annotations_and_settings():
    m = parse_yaml(YAML)
    assert m.name == "toy" and m.references == (Reference("doi:10.1000/toy", "A toy."),)
    assert m.inputs == ["Signal"] and m.outputs == ["Signal", "Kinase"]
    assert m.rate_values("Kinase") == (10.0, 0.0, 0.0, 0.5)
    assert m.rate_values("Phosphatase") == (1.0, 0.1, 0.0, 1.0)
    kinase = m.nodes["Kinase"]
    assert kinase.symbol == "MAPK1" and kinase.references[0].id == "pmid:12345"
    assert m.resolve("MAPK1") == "Kinase"
    assert m.settings.max_time == 20
    assert m.joint_initial[0].outcomes == (((1, 0), 0.6), ((0, 1), 0.4))


def test_yaml_round_trip_keeps_dynamics_and_annotations():
    m = parse_yaml(YAML)
    back = parse_yaml(to_yaml(m))
    assert back.hash() == m.hash()
    assert back.nodes["Kinase"].references == m.nodes["Kinase"].references
    assert back.nodes["Kinase"].name == m.nodes["Kinase"].name
    assert back.settings == m.settings


def test_every_format_round_trips_the_bundled_example(tmp_path):
    model = load_example("cohen2015")
    for suffix in (".bnd", ".yaml"):
        write_model(model, tmp_path / f"m{suffix}")
        assert read_model(tmp_path / f"m{suffix}").hash() == model.hash(), suffix
    for suffix in (".bnet", ".sbml"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_model(model, tmp_path / f"m{suffix}", drop_initial_states=True)
        back = read_model(tmp_path / f"m{suffix}")
        assert all(equivalent(n.rule, back.nodes[n.id].rule) for n in model)


@pytest.mark.parametrize(
    "edit, message, line",
    [
        (("rule: Signal & !Phosphatase", "rule: Signal & !Ghost"), "Ghost, which is never defined", 16),
        (("rate_down: 0.5", "rate_down: -0.5"), "at least 0", 18),
        (("rate_down: 0.5", "rate_down: .nan"), "finite", 18),
        (("    initial: 0\n    symbol", "    initial: 1.5\n    symbol"), "[0, 1]", 19),
        (("    rule: Kinase", "    rul: Kinase"), "did you mean 'rule'", 26),
        (("  Phosphatase:", "  Kinase:"), "appears twice", 25),
        (("rate_up: $fast", "rate_up: $slow"), "$slow is used but never defined", 17),
        (("rule: Signal & !Phosphatase", "rule: Signal & (Phosphatase"), "unclosed '('", 16),
        (("nodes:", "nodes: ["), "YAML syntax", None),
        (("format: metastasim-model/1", "format: other/2"), "format", 2),
    ],
)
def test_yaml_errors_name_the_line(edit, message, line):
    text = YAML.replace(*edit)
    with pytest.raises(ModelError) as info:
        parse_yaml(text, path="toy.yaml")
    assert message in str(info.value)
    assert info.value.path == "toy.yaml"
    if line is not None:
        assert info.value.line == line


def test_bnet_quirks():
    text = "targets, factors\r\n# comment\r\n\r\nx, y & !X   # trailing comment\r\nX, 1\r\n"
    m = parse_bnet(text)
    assert list(m.nodes) == ["x", "X", "y"]  # case-sensitive; y is an undeclared input
    assert m.inputs == ["y"] and m.nodes["y"].initial == 0.5
    assert parse_bnet("a, a\nb, a").inputs == ["a"]


def test_bnet_syntax_error_column_is_within_the_line():
    with pytest.raises(ModelError) as info:
        parse_bnet("A, A\nB, A & (C | ", path="m.bnet")
    assert info.value.line == 2 and info.value.path == "m.bnet"


def test_lossy_exports_fail_loudly_unless_asked():
    m = parse_maboss("Node A { logic = A; rate_up = @logic ? 2 : 0; }", "[A].istate = 0.3 [1], 0.7 [0];")
    for writer in (to_bnet, to_sbmlqual):
        with pytest.raises(RatesNotSupportedError):
            writer(m)
        with pytest.raises(InitialStateNotSupportedError), pytest.warns(UserWarning, match="rates"):
            writer(m, drop_rates=True)
        with pytest.warns(UserWarning, match="dropped"):
            writer(m, drop_rates=True, drop_initial_states=True)


def test_sbml_output_is_consistent_and_keeps_initial_levels():
    import libsbml

    m = load_example("cohen2015")
    text = to_sbmlqual(m)
    doc = libsbml.readSBMLFromString(text)
    doc.checkConsistency()
    errors = [
        doc.getError(i) for i in range(doc.getNumErrors()) if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    assert errors == [], [e.getMessage() for e in errors]
    back = parse_sbmlqual(text)
    assert back.nodes["NICD"].initial == 0.0 and back.nodes["ECMicroenv"].initial == 0.5
    signs = {
        i.getQualitativeSpecies(): i.getSign()
        for i in doc.getModel().getPlugin("qual").getTransition("tr_Migration").getListOfInputs()
    }
    assert signs["ERK"] == libsbml.INPUT_SIGN_POSITIVE and signs["AKT1"] == libsbml.INPUT_SIGN_NEGATIVE


def test_sbml_function_terms_in_order_and_comparisons():
    sbml = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1"
      xmlns:qual="http://www.sbml.org/sbml/level3/version1/qual/version1" qual:required="true">
 <model id="m">
  <listOfCompartments><compartment id="c" constant="true"/></listOfCompartments>
  <qual:listOfQualitativeSpecies>
   <qual:qualitativeSpecies qual:id="A" qual:compartment="c" qual:constant="false" qual:maxLevel="1"/>
   <qual:qualitativeSpecies qual:id="B" qual:compartment="c" qual:constant="false" qual:maxLevel="1"
     qual:initialLevel="1"/>
  </qual:listOfQualitativeSpecies>
  <qual:listOfTransitions>
   <qual:transition qual:id="t">
    <qual:listOfInputs><qual:input qual:id="i" qual:qualitativeSpecies="A" qual:transitionEffect="none"/>
    </qual:listOfInputs>
    <qual:listOfOutputs><qual:output qual:id="o" qual:qualitativeSpecies="B"
      qual:transitionEffect="assignmentLevel"/></qual:listOfOutputs>
    <qual:listOfFunctionTerms>
     <qual:defaultTerm qual:resultLevel="1"/>
     <qual:functionTerm qual:resultLevel="0">
      <math xmlns="http://www.w3.org/1998/Math/MathML"><apply><geq/><ci>A</ci><cn type="integer">1</cn></apply></math>
     </qual:functionTerm>
    </qual:listOfFunctionTerms>
   </qual:transition>
  </qual:listOfTransitions>
 </model>
</sbml>"""
    m = parse_sbmlqual(sbml)
    assert m.inputs == ["A"] and m.nodes["B"].initial == 1.0
    assert equivalent(m.nodes["B"].rule, parse_rule("!A"))
    with pytest.raises(ModelError, match="maxLevel 2"):
        parse_sbmlqual(
            sbml.replace(
                'qual:id="A" qual:compartment="c" qual:constant="false" qual:maxLevel="1"',
                'qual:id="A" qual:compartment="c" qual:constant="false" qual:maxLevel="2"',
            )
        )
