"""MaBoSS .cfg files applied to models of every format, and several .cfg files in order.

The same network written as .bnd, .bnet and SBML-qual, with the same .cfg, must give the
same model and so, seeded, the very same simulation.  How several files combine follows
what cmaboss does (checked by hand with MaBoSS 2 through cmaboss: a statement is evaluated
with the parameters defined before it, so ``A.istate = $x;`` keeps the value ``$x`` had
then, and a parameter defined only in a later file is an error).
"""

from __future__ import annotations

import math

import pytest

from metastasim.engine import simulate
from metastasim.errors import ModelError
from metastasim.io import apply_cfg, parse_bnet, parse_maboss, read_model, write_sbmlqual

BNET = "targets, factors\nI, I\nA, I & !C\nB, A | C\nC, A & B\n"
BND = """
Node I { logic = I; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
Node A { logic = I & !C; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
Node B { logic = A | C; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
Node C { logic = A & B; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
"""
CFG = """$x = 0.3;
I.istate = 1;
[A, B].istate = $x [0, 1], 1 - $x [1, 0];
C.istate = 0;
C.is_internal = 1;
sample_count = 3000; max_time = 4; time_tick = 0.5; seed_pseudorandom = 11;
"""


def probabilities(model):
    return simulate(model, threads=1).node_probabilities()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "m.bnet").write_text(BNET)
    (tmp_path / "m.bnd").write_text(BND)
    (tmp_path / "m.cfg").write_text(CFG)
    write_sbmlqual(parse_bnet(BNET), tmp_path / "m.sbml", drop_initial_states=True)
    return tmp_path


def test_bnet_and_sbml_with_a_cfg_simulate_as_the_bnd(files):
    bnd = read_model(files / "m.bnd", cfg=files / "m.cfg")
    expected = probabilities(bnd)
    assert bnd.nodes["C"].is_internal and bnd.settings.sample_count == 3000
    for name in ("m.bnet", "m.sbml"):
        model = read_model(files / name, cfg=files / "m.cfg")
        assert model.hash() == bnd.hash(), name
        assert model.parameters == {"x": 0.3}
        assert probabilities(model).equals(expected), name


def test_several_cfgs_apply_in_order(files):
    (files / "late.cfg").write_text("$x = 0.9;\nI.istate = 0;\nmax_time = 2;\n")
    model = read_model(files / "m.bnet", cfg=[files / "m.cfg", files / "late.cfg"])
    assert model.nodes["I"].initial == 0.0  # overridden
    assert model.settings.max_time == 2 and model.settings.sample_count == 3000  # one overridden, one kept
    assert model.parameters["x"] == 0.9
    # the joint state was evaluated when read, with $x = 0.3, as MaBoSS does
    assert dict(model.joint_initial[0].outcomes)[(0, 1)] == pytest.approx(0.3)


def test_a_statement_uses_the_parameters_defined_before_it():
    model = parse_bnet("A, A\nB, A\n")
    apply_cfg(model, ["$x = 0; A.istate = $x;", "$x = 1;"])
    assert model.nodes["A"].initial == 0.0 and model.parameters["x"] == 1.0
    with pytest.raises(ModelError) as info:
        apply_cfg(parse_bnet("A, A\n"), ["A.istate = $y;", "$y = 1;"], cfg_paths=["a.cfg", "b.cfg"])
    assert (info.value.path, info.value.line) == ("a.cfg", 1) and "$y" in info.value.message


def test_parameters_reach_the_rates_of_any_model():
    model = parse_maboss(
        "Node A { logic = !A; rate_up = @logic ? $u : 0; rate_down = @logic ? 0 : exp($u); }", "$u = 1;"
    )
    apply_cfg(model, ["$u = 2;", "$u = log(3);"])
    assert model.rate_values("A") == (pytest.approx(math.log(3)), 0.0, 0.0, pytest.approx(3.0))


@pytest.mark.parametrize(
    "cfg, line, words",
    [
        ("A.istate = 1;\nZ.istate = 1;\n", 2, ("unknown node 'Z'",)),
        ("A.istate = 2;\n", 1, ("A.istate", "0, 1 or -1")),
        ("A.colour = 1;\n", 1, ("unknown node attribute 'colour'", "istate")),
        ("sample_count = 1.5;\n", 1, ("sample_count", "integer")),
        ("A.istate = 1\n", 1, ("';'",)),
    ],
)
def test_bad_cfg_for_a_bnet_model_names_the_cfg_line(tmp_path, cfg, line, words):
    (tmp_path / "m.bnet").write_text("A, A\nB, A\n")
    (tmp_path / "bad.cfg").write_text(cfg)
    with pytest.raises(ModelError) as info:
        read_model(tmp_path / "m.bnet", cfg=tmp_path / "bad.cfg")
    assert info.value.path == str(tmp_path / "bad.cfg") and info.value.line == line
    for word in words:
        assert word in info.value.message
