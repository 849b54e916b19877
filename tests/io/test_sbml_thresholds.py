"""SBML-qual function terms as GINsim and CellCollective write them: species compared with threshold ids.

``tests/data/sbml/ginsim_thresholds.sbml`` is hand-written in GINsim's style (each input
declares ``qual:id`` and ``qual:thresholdLevel``; the math compares the species with that
id; one transition has two inputs and two outputs); ``ginsim_thresholds.bnet`` is the same
network written by hand from the SBML-qual specification's reading of it.
"""

from __future__ import annotations

import pytest

from conftest import DATA
from metastasim.engine import simulate
from metastasim.errors import ModelError
from metastasim.io import parse_sbmlqual, read_bnet, read_sbmlqual
from metastasim.network import equivalent

SBML = DATA / "sbml" / "ginsim_thresholds.sbml"
BNET = DATA / "sbml" / "ginsim_thresholds.bnet"


def test_libsbml_finds_no_error_in_the_file():
    libsbml = pytest.importorskip("libsbml")
    doc = libsbml.readSBMLFromFile(str(SBML))
    doc.checkConsistency()
    errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    assert not [e.getMessage() for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def test_threshold_ids_read_as_the_same_rules_as_the_bnet():
    sbml, bnet = read_sbmlqual(SBML), read_bnet(BNET)
    assert list(sbml.nodes) == list(bnet.nodes)
    assert sbml.inputs == bnet.inputs == ["nik"]
    for name, node in bnet.nodes.items():
        assert equivalent(sbml.nodes[name].rule, node.rule), name


def test_threshold_ids_simulate_as_the_bnet():
    def run(model):
        return simulate(model, sample_count=2000, max_time=3, time_tick=0.5, seed=5, threads=1).node_probabilities()

    assert run(read_sbmlqual(SBML)).equals(run(read_bnet(BNET)))


def _with(old: str, new: str) -> str:
    text = SBML.read_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("<ci> theta_tr_ikb_nfkb </ci>", "<ci> theta_nowhere </ci>", ("'theta_nowhere'", "inputs")),
        ("<ci> theta_tr_ikb_nfkb </ci>", "<ci> theta_tr_nfkb_nik </ci>", ("'theta_tr_nfkb_nik'", "inputs")),
        (
            'qual:id="theta_tr_ikb_nfkb" qual:qualitativeSpecies="nfkb" qual:thresholdLevel="1"',
            'qual:id="theta_tr_ikb_nfkb" qual:qualitativeSpecies="nfkb"',
            ("no thresholdLevel",),
        ),
        (
            "<apply><geq/><ci> nfkb </ci><ci> theta_tr_ikb_nfkb </ci></apply>",
            "<ci> theta_tr_ikb_nfkb </ci>",
            ("stands alone",),
        ),
    ],
)
def test_bad_thresholds_name_the_file_and_line(old, new, words):
    text = _with(old, new)
    with pytest.raises(ModelError) as info:
        parse_sbmlqual(text, path="m.sbml")
    assert info.value.path == "m.sbml"
    lines = text.splitlines()
    term = next(i for i, line in enumerate(lines, 1) if 'qual:id="tr_ikb"' in line)
    assert term < info.value.line < term + 15  # the function term of tr_ikb
    for word in words:
        assert word in info.value.message


def test_multivalued_models_keep_their_error():
    text = _with(
        'qual:id="nfkb" qual:compartment="comp1" qual:constant="false" qual:maxLevel="1"',
        'qual:id="nfkb" qual:compartment="comp1" qual:constant="false" qual:maxLevel="2"',
    )
    with pytest.raises(ModelError, match="multi-valued"):
        parse_sbmlqual(text)
