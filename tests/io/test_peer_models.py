"""Every published peer model loads from bnet and SBML-qual with identical truth tables,
and survives the round trips bnet -> SBML-qual -> bnet and -> MaBoSS -> back."""

from __future__ import annotations

import pytest

from conftest import peer_model_dirs
from metastasim.io import (
    parse_bnet,
    parse_maboss,
    parse_sbmlqual,
    read_bnet,
    read_sbmlqual,
    to_bnet,
    to_maboss,
    to_sbmlqual,
)
from metastasim.network import equivalent

MODELS = peer_model_dirs()


def assert_same_functions(a, b):
    """Same nodes, same inputs, and every rule the same Boolean function."""
    assert set(a.nodes) == set(b.nodes)
    assert set(a.inputs) == set(b.inputs)
    for name, node in a.nodes.items():
        assert equivalent(node.rule, b.nodes[name].rule), name


@pytest.fixture(scope="module", params=MODELS, ids=[p.name for p in MODELS])
def peer(request):
    folder = request.param
    return folder, read_bnet(folder / "model.bnet")


def test_there_are_peer_models():
    assert len(MODELS) >= 20


def test_bnet_and_sbml_loads_agree(peer):
    folder, model = peer
    assert_same_functions(model, read_sbmlqual(folder / "model.sbml"))


def test_bnet_sbml_bnet_round_trip(peer):
    _, model = peer
    back = parse_bnet(to_bnet(parse_sbmlqual(to_sbmlqual(model))))
    assert_same_functions(model, back)
    assert list(back.nodes) == list(model.nodes)


def test_maboss_round_trip(peer):
    _, model = peer
    bnd, cfg = to_maboss(model)
    back = parse_maboss(bnd, cfg)
    assert_same_functions(model, back)
    assert back.hash() == model.hash()


def test_undeclared_names_become_inputs():
    # 065: v_ECM and v_DNAdamage are only ever read
    folder = next(p for p in MODELS if p.name.startswith("065"))
    model = read_bnet(folder / "model.bnet")
    assert set(model.inputs) == {"v_ECM", "v_DNAdamage"}
