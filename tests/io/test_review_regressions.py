"""Regressions for reader and writer edge cases found in review."""

from __future__ import annotations

import os
import stat

import pytest

from metastasim.errors import MetastasimError, ModelError
from metastasim.io import parse_maboss, parse_sbmlqual, parse_yaml, to_maboss
from metastasim.io.files import write_folder
from metastasim.network import Const, Var


def test_yaml_keeps_no_on_off_as_names():
    m = parse_yaml("nodes:\n  NO: {input: true}\n  ON:\n    rule: NO\n  X:\n    rule: yes | ON\n  yes: {input: true}\n")
    assert isinstance(m.nodes["ON"].rule, Var) and m.nodes["ON"].rule.name == "NO"
    assert m.nodes["X"].rule.variables() == {"yes", "ON"}
    assert isinstance(parse_yaml("nodes:\n  A:\n    rule: true\n").nodes["A"].rule, Const)


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("nodes:\n  A:\n    rule: B & & C\n  B: {input: true}\n  C: {input: true}\n", 3, 15),
        ("nodes:\n  A:\n    rule: 'B & & C'\n  B: {input: true}\n  C: {input: true}\n", 3, 16),
        ("nodes:\n  A:\n    rule: |\n      B & & C\n  B: {input: true}\n  C: {input: true}\n", 4, None),
    ],
)
def test_yaml_rule_errors_point_into_the_file(text, line, column):
    with pytest.raises(ModelError) as info:
        parse_yaml(text, path="m.yaml")
    assert (info.value.line, info.value.column) == (line, column)


@pytest.mark.parametrize(
    "text, message, line",
    [
        (
            "nodes:\n  A:\n    rule: A\n    rate_up: '@logic ? C : 0'\n  B: {input: true}\n",
            "reads C, which is never defined",
            4,
        ),
        (
            "nodes:\n  A:\n    rule: A\n    rate_up: '@logic ? 1 - 2 * B : 0'\n  B: {input: true}\n",
            "when its rule is true, B=1",
            4,
        ),
        ("nodes:\n  A: {input: true}\ninitial_states:\n  - nodes: [A, Z]\n    states: []\n", "unknown node 'Z'", 4),
        ("nodes:\n  A: {input: true}\ninitial_states:\n  - nodes: [[A], B]\n    states: []\n", "node names", 4),
        ("parameters:\n  k-on: 2\nnodes:\n  A: {input: true}\n", "invalid parameter name", 2),
        ("settings:\n  max_time:\nnodes:\n  A: {input: true}\n", "has no value", 2),
    ],
)
def test_yaml_bad_values_are_located(text, message, line):
    with pytest.raises(ModelError, match=message) as info:
        parse_yaml(text, path="m.yaml")
    assert info.value.line == line and info.value.path == "m.yaml"


SBML_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1"
      xmlns:qual="http://www.sbml.org/sbml/level3/version1/qual/version1" qual:required="true">
 <model id="m">
  <qual:listOfQualitativeSpecies>
   <qual:qualitativeSpecies qual:id="A" qual:constant="CONST" qual:maxLevel="1"/>
  </qual:listOfQualitativeSpecies>
  <qual:listOfTransitions>
   <qual:transition qual:id="t">
    <qual:listOfOutputs><qual:output qual:id="o" qual:qualitativeSpecies="A"
      qual:transitionEffect="assignmentLevel"/></qual:listOfOutputs>
    <qual:listOfFunctionTerms><qual:defaultTerm qual:resultLevel="1"/></qual:listOfFunctionTerms>
   </qual:transition>
  </qual:listOfTransitions>
 </model>
</sbml>"""


def test_sbml_default_term_alone_sets_a_constant():
    m = parse_sbmlqual(SBML_HEAD.replace("CONST", "false"))
    assert isinstance(m.nodes["A"].rule, Const) and m.nodes["A"].rule.value and not m.nodes["A"].is_input


def test_sbml_constant_species_cannot_be_set_by_a_transition():
    with pytest.raises(ModelError, match="declared constant"):
        parse_sbmlqual(SBML_HEAD.replace("CONST", "true"))


def test_maboss_strings_round_trip_with_quotes_and_backslashes():
    m = parse_maboss('Node A { logic = A; description = "the \\"on\\" state, a\\\\b"; }')
    assert m.nodes["A"].description == 'the "on" state, a\\b'
    assert parse_maboss(*to_maboss(m)).nodes["A"].description == m.nodes["A"].description


@pytest.mark.parametrize(
    "cfg, message",
    [
        ("[A, B].istate = 0.5 [0, 1], 0.5 [1, 0];\nA.istate = 1;", "set the whole group"),
        ("A.istate = 0.3;", "must be 0, 1 or -1"),
        ("[A, B].istate = 1 [1, 1];\n[B, C].istate = 1 [0, 0];", "set the whole group"),
    ],
)
def test_maboss_initial_state_statements(cfg, message):
    bnd = "Node A { logic = A; } Node B { logic = B; } Node C { logic = C; }"
    with pytest.raises(ModelError, match=message) as info:
        parse_maboss(bnd, cfg, cfg_paths=["m.cfg"])
    assert info.value.line == cfg.count("\n") + 1


def test_maboss_initial_states_apply_in_file_order():
    bnd = "Node A { logic = A; } Node B { logic = B; }"
    m = parse_maboss(bnd, "A.istate = 1; B.istate = 0;\n[A, B].istate = 0.5 [0, 1], 0.5 [1, 0];")
    assert m.joint_initial and m.joint_initial[0].nodes == ("A", "B")
    m = parse_maboss(bnd, "[A, B].istate = 1 [1, 1];\n[A, B].istate = 1 [0, 0];")
    assert [g.outcomes for g in m.joint_initial] == [(((0, 0), 1.0),)]


def test_write_folder_replaces_a_previous_run_and_keeps_usual_permissions(tmp_path):
    out = tmp_path / "out"
    write_folder(out, {"a.csv": "1", "b.csv": "2"}, stale=("a.csv", "b.csv"))
    write_folder(out, {"a.csv": "3"}, stale=("a.csv", "b.csv"))
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"] and (out / "a.csv").read_text() == "3"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((out / "a.csv").stat().st_mode) == 0o666 & ~umask
    with pytest.raises(MetastasimError, match="not a regular file"):
        (out / "c.csv").mkdir()
        write_folder(out, {"c.csv": "x"})
