"""Models split into module files, contexts, evidence, and the drug library format."""

from __future__ import annotations

import pytest

from metastasim.errors import ModelError, UnknownNameError
from metastasim.io import parse_yaml, read_yaml, to_yaml
from metastasim.io.yaml import parse_drug_library
from metastasim.network import ForceOn, Inhibit, Knockout, SetInput, context_perturbations, resolve_perturbations
from metastasim.network.drugs import find_drug, parse_drug_dose

TOP = """format: metastasim-model/1
name: split
modules: [inputs.yaml, core.yaml]
contexts:
  rich:
    description: plenty
    inputs: {Food: 1}
  starved:
    inputs: {Food: 0}
"""
INPUTS = """module: inputs
title: Inputs
nodes:
  Food:
    input: true
    references: [{id: "pmid:1", statement: "food matters"}]
"""
CORE = """module: core
nodes:
  Grow:
    rule: Food & !Stress
    evidence:
      - {id: "doi:10.1/x", citation: "A et al. 2000", statement: "food drives growth", regulators: [Food]}
      - {id: "pmid:2", statement: "stress stops growth", regulators: [Stress]}
  Stress:
    rule: "!Food"
"""


@pytest.fixture
def split_model(tmp_path):
    for name, text in (("model.yaml", TOP), ("inputs.yaml", INPUTS), ("core.yaml", CORE)):
        (tmp_path / name).write_text(text)
    return tmp_path


def test_modules_contexts_and_evidence(split_model):
    m = read_yaml(split_model / "model.yaml")
    assert list(m.nodes) == ["Food", "Grow", "Stress"]
    assert [m.nodes[n].module for n in m.nodes] == ["inputs", "core", "core"]
    grow = m.nodes["Grow"]
    assert grow.evidence[0].regulators == ("Food",) and grow.evidence[0].url == "https://doi.org/10.1/x"
    assert grow.evidence[1].url == "https://pubmed.ncbi.nlm.nih.gov/2/"
    assert m.contexts["rich"].inputs == {"Food": 1} and m.contexts["rich"].description == "plenty"
    assert context_perturbations(m, "starved") == (SetInput("Food", 0),)
    again = parse_yaml(to_yaml(m))
    assert again.hash() == m.hash() and again.nodes["Grow"].evidence == grow.evidence
    assert {k: (c.inputs, c.description) for k, c in again.contexts.items()} == {
        k: (c.inputs, c.description) for k, c in m.contexts.items()
    }


def test_errors_in_a_module_name_the_module_file(split_model):
    (split_model / "core.yaml").write_text(CORE.replace("rule: Food & !Stress", "rule: Food & !Stress & !Ghost"))
    with pytest.raises(ModelError) as info:
        read_yaml(split_model / "model.yaml")
    assert info.value.path.endswith("core.yaml") and info.value.line == 4
    (split_model / "core.yaml").write_text(CORE + "  Food:\n    rule: 1\n")
    with pytest.raises(ModelError, match="defined twice") as info:
        read_yaml(split_model / "model.yaml")
    assert info.value.path.endswith("core.yaml")


def test_evidence_must_name_regulators_the_rule_reads_and_real_identifiers(split_model):
    (split_model / "core.yaml").write_text(CORE.replace("rule: Food & !Stress", "rule: Food"))
    with pytest.raises(ModelError, match="names Stress, which neither its rule nor its rates read") as info:
        read_yaml(split_model / "model.yaml")
    assert info.value.path.endswith("core.yaml") and info.value.line == 7
    (split_model / "core.yaml").write_text(CORE.replace('id: "pmid:2"', 'id: "PMID 2"'))
    with pytest.raises(ModelError, match="reference id 'PMID 2'") as info:
        read_yaml(split_model / "model.yaml")
    assert info.value.line == 7
    (split_model / "core.yaml").write_text(CORE.replace('id: "pmid:2"', 'id: "pmcid:PMC2492459"'))
    ref = read_yaml(split_model / "model.yaml").nodes["Grow"].evidence[1]
    assert ref.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC2492459/"


def test_contexts_must_set_inputs_to_0_or_1(split_model):
    (split_model / "model.yaml").write_text(TOP.replace("inputs: {Food: 0}", "inputs: {Grow: 0}"))
    with pytest.raises(ModelError, match="not an input"):
        read_yaml(split_model / "model.yaml")


def test_context_inputs_can_be_overridden_and_unknown_contexts_named(split_model):
    m = read_yaml(split_model / "model.yaml")
    assert resolve_perturbations(m, [SetInput("Food", 0)], context="rich") == (SetInput("Food", 0),)
    with pytest.raises(UnknownNameError, match="did you mean rich"):
        m.context("ric")


LIBRARY = """format: metastasim-drugs/1
drugs:
  telaglenastat:
    aliases: [CB-839]
    class: glutaminase inhibitor
    targets:
      - {node: GLS, action: inhibit, efficacy: 0.9}
    reference: {id: "doi:10.1158/1535-7163.MCT-13-0870", citation: "Gross 2014"}
  erastin:
    targets:
      - {node: SLC7A11, action: knockout}
  thapsigargin:
    targets:
      - {node: ERStressor, action: activate}
"""


def test_drug_library_and_doses():
    lib = parse_drug_library(LIBRARY)
    cb = find_drug(lib, "cb-839")
    assert cb.name == "telaglenastat" and cb.reference.citation == "Gross 2014"
    assert cb.perturbations(0.5) == (Inhibit("GLS", 0.45),)
    assert find_drug(lib, "Erastin").perturbations() == (Knockout("SLC7A11"),)
    assert find_drug(lib, "erastin").perturbations(0.3) == (Inhibit("SLC7A11", 0.3),)
    assert find_drug(lib, "thapsigargin").perturbations(0.2) == (ForceOn("ERStressor"),)
    assert cb.perturbations(0) == ()
    with pytest.raises(UnknownNameError, match="did you mean telaglenastat"):
        find_drug(lib, "telaglenstat")
    assert parse_drug_dose("CB-839=0.25") == ("CB-839", 0.25)
    for bad in ("x=2", "x=abc", "=1"):
        with pytest.raises(ModelError):
            parse_drug_dose(bad)


@pytest.mark.parametrize(
    "edit, message, line",
    [
        (("action: inhibit", "action: block"), "action must be one of", 7),
        (("efficacy: 0.9", "efficacy: 1.5"), "efficacy on GLS", 7),
        (("    targets:\n      - {node: SLC7A11, action: knockout}", "    targets: []"), "needs a list of targets", 10),
    ],
)
def test_drug_library_errors_are_located(edit, message, line):
    with pytest.raises(ModelError, match=message) as info:
        parse_drug_library(LIBRARY.replace(*edit), path="drugs.yaml")
    assert info.value.line == line and info.value.path == "drugs.yaml"
