"""The MaBoSS .bnd/.cfg reader and writer."""

from __future__ import annotations

import pytest

from conftest import MABOSS_REFERENCE
from metastasim.errors import ModelError
from metastasim.io import parse_maboss, read_maboss, to_maboss, write_maboss
from metastasim.network import ForceOn, Knockout, equivalent, parse_rule

BND = """
// a comment
Node A {
  logic = A;            /* an input */
  rate_up = @logic ? $u : 0;
  rate_down = @logic ? 0 : $d;
}
# a shell-style comment
node B {
  description = "kinase; activated by A";
  logic = A AND NOT C;
  rate_up = 2.5;
  rate_down = @logic ? 0.0 : 1.0;
}
Node C { logic = B ^ A | C; }
"""

CFG = """
$u = 1;
$d = $u * 2;
[A].istate = 0.25 [1], 0.75 [0];
B.istate = 1;
[C].istate = 0.5[0], 0.5[1];
C.is_internal = 1;
sample_count = 500;
max_time = 12.5;
time_tick = 0.25;
discrete_time = 0;
thread_count = 4;
seed_pseudorandom = 42;
statdist_traj_count = 0;  // read and ignored
"""


def test_reads_blocks_parameters_initial_states_and_settings():
    m = parse_maboss(BND, CFG)
    assert list(m.nodes) == ["A", "B", "C"]
    assert m.inputs == ["A"]
    assert m.parameters == {"u": 1.0, "d": 2.0}
    assert m.rate_values("A") == (1.0, 0.0, 0.0, 2.0)
    assert m.rate_values("B") == (2.5, 2.5, 0.0, 1.0)  # rate_up = 2.5 regardless of the rule
    assert (m.nodes["A"].initial, m.nodes["B"].initial, m.nodes["C"].initial) == (0.25, 1.0, 0.5)
    assert m.outputs == ["A", "B"]
    assert m.nodes["B"].description == "kinase; activated by A"
    s = m.settings
    assert (s.sample_count, s.max_time, s.time_tick, s.discrete_time, s.thread_count, s.seed) == (
        500,
        12.5,
        0.25,
        False,
        4,
        42,
    )
    # MaBoSS precedence: ^ is weaker than |
    assert equivalent(m.nodes["C"].rule, parse_rule("B ^ (A | C)"))


def test_joint_initial_states():
    m = parse_maboss(BND, "$u = 1; $d = 1; [A, B].istate = 0.3 [0, 1], 0.7 [1, 0];")
    (group,) = m.joint_initial
    assert group.nodes == ("A", "B")
    assert group.outcomes == (((0, 1), 0.3), ((1, 0), 0.7))


def test_later_cfg_files_win():
    m = parse_maboss(BND, [CFG, "max_time = 3; $u = 5;"])
    assert m.settings.max_time == 3 and m.parameters["u"] == 5 and m.settings.sample_count == 500


def test_mutations_written_as_maboss_users_write_them():
    bnd = """
    Node A { logic = A; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
    Node X {
      logic = A;
      rate_up = $Low_X ? 0 : ($High_X ? 1E308/$nb_mutable : (@logic ? $u_X : 0));
      rate_down = $High_X ? 0 : ($Low_X ? 1E308/$nb_mutable : (@logic ? 0 : $d_X));
    }
    Node Y {
      logic = A;
      rate_up = $Low_Y ? 0 : ($High_Y ? 1E308/$nb_mutable : (@logic ? 1 : 0));
      rate_down = $High_Y ? 0 : ($Low_Y ? 1E308/$nb_mutable : (@logic ? 0 : 1));
    }
    """
    cfg = "$nb_mutable = 2; $u_X = 1; $d_X = 1; $Low_X = 1; $High_X = 0; $Low_Y = 0; $High_Y = 1;"
    m = parse_maboss(bnd, cfg)
    assert m.perturbations == (Knockout("X"), ForceOn("Y"))
    assert m.parameters["Low_X"] == 0.0  # the wild-type rates stay in the model
    again = parse_maboss(*to_maboss(m))
    assert again.perturbations == m.perturbations and again.hash() == m.hash()


def test_writer_adds_mutation_parameters_for_carried_perturbations():
    m = parse_maboss(BND, CFG)
    m.perturbations = (Knockout("B"),)
    bnd, cfg = to_maboss(m)
    assert "$Low_B ? 0 : ($High_B ? 1E308/$nb_mutable" in bnd
    assert "$Low_B = 1;" in cfg and "$High_B = 0;" in cfg
    back = parse_maboss(bnd, cfg)
    assert back.perturbations == (Knockout("B"),)


def test_round_trip_keeps_everything(tmp_path):
    m = parse_maboss(BND, CFG)
    write_maboss(m, tmp_path / "m.bnd")
    back = read_maboss(tmp_path / "m.bnd", tmp_path / "m.cfg")
    assert back.hash() == m.hash()
    assert back.settings == m.settings and back.outputs == m.outputs
    assert back.nodes["B"].description == m.nodes["B"].description


@pytest.mark.parametrize("name", ["metastasis", "metastasis_NICDgof_p53lof"])
def test_reference_models_load(name):
    cfg = "cohen2015_model.cfg" if name == "metastasis" else "cohen2015_NICDgof_p53lof.cfg"
    m = read_maboss(MABOSS_REFERENCE / "cohen2015" / f"{name}.bnd", MABOSS_REFERENCE / "cohen2015" / cfg)
    assert len(m) == 32
    assert m.outputs == ["Metastasis", "Migration", "Invasion", "EMT", "Apoptosis", "CellCycleArrest"]


@pytest.mark.parametrize(
    "bnd, cfg, message, line",
    [
        ("Node A { logic = A & B; }", "", "B, which is never defined", 1),
        ("Node A { logic = A; }\nNode A { logic = 1; }", "", "defined twice", 2),
        ("Node A {\n logic = A;\n max_rate = 5;\n}", "", "max_rate is not supported", 3),
        ("Node A {\n logic = A\n}", "", "missing ';'", 2),
        ("Node A {\n logic = A;\n", "", "missing '}'", 1),
        ("Node A { logic = A; rate_up = @logic ? $u : 0; }", "$u = -1;", "non-negative", 1),
        ("Node A { logic = A; rate_up = @logic ? $u : 0; }", "$u = 0/0;", "non-negative", 1),
        ("Node A { logic = A; rate_up = @logic ? $v : 0; }", "", "$v is used but never defined", 1),
        ("Node A { logic = A; rate_up = @logic ? B : 0; }", "", "rate_up of A reads B, which is never defined", 1),
        ("Node A { logic = A; rate_up = @logic ? B - 1 : 0; }\nNode B { logic = B; }", "", "when its logic is true", 1),
        ("Node A { logic = A; }", "\n[A].istate = 1.5 [1], 0 [0];", "outside [0, 1]", 2),
        ("Node A { logic = A; }", "Z.istate = 1;", "unknown node 'Z'", 1),
        ("Node A { logic = A; }", "max_time = -2;", "max_time must be a positive", 1),
        ("Node A { logic = A &; }", "", "ends where a name", 1),
        ("", "", "no nodes", None),
    ],
)
def test_errors_name_file_and_line(bnd, cfg, message, line):
    with pytest.raises(ModelError) as info:
        parse_maboss(bnd, cfg, bnd_path="m.bnd", cfg_paths=["m.cfg"])
    assert message in str(info.value)
    assert info.value.line == line
    assert info.value.path in ("m.bnd", "m.cfg")
