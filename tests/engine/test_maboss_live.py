"""Side by side with MaBoSS itself (cmaboss, MaBoSS's engine as a Python extension).

These cover what the recorded reference outputs do not: discrete time, rates that act
while a rule is false, rates that read other nodes' states, MaBoSS's built-in functions
in rates, joint initial states, mutations written with ``$Low_X`` / ``$High_X`` and
``1E308`` rates, MaBoSS's operator precedence, and a ``.bnet`` network with two ``.cfg``
files.  Both tools read the same files; node probabilities must agree in every time window
(two-proportion z-test, |z| <= 4.5 as in ``test_maboss_reference.py``).
"""

from __future__ import annotations

import math

import pytest

from metastasim.engine import simulate
from metastasim.io import parse_maboss

cmaboss = pytest.importorskip("cmaboss")

N = 20_000
Z_MAX = 4.5

CASES = {
    "discrete time, leaky rates, joint initial state": (
        """
        Node A { logic = !C; rate_up = @logic ? 2 : 0.1; rate_down = @logic ? 0 : 1; }
        Node B { logic = A; rate_up = 1.5; rate_down = @logic ? 0 : 0.7; }
        Node C { logic = A & B; }
        """,
        "[A, B].istate = 0.3 [0, 1], 0.7 [1, 0]; C.istate = 0;\nmax_time = 6; time_tick = 0.5; discrete_time = 1;",
    ),
    "mutations as pyMaBoSS writes them": (
        """
        Node I { logic = I; }
        Node X {
          logic = I | Y;
          rate_up = $Low_X ? 0 : ($High_X ? 1E308/$nb_mutable : (@logic ? 1 : 0));
          rate_down = $High_X ? 0 : ($Low_X ? 1E308/$nb_mutable : (@logic ? 0 : 1));
        }
        Node Y {
          logic = !X & I;
          rate_up = $Low_Y ? 0 : ($High_Y ? 1E308/$nb_mutable : (@logic ? 3 : 0));
          rate_down = $High_Y ? 0 : ($Low_Y ? 1E308/$nb_mutable : (@logic ? 0 : 0.5));
        }
        Node Z { logic = X ^ Y | I; }
        """,
        "$nb_mutable = 1; $Low_X = 0; $High_X = 0; $Low_Y = 1; $High_Y = 0;\n"
        "I.istate = -1; X.istate = 1; Y.istate = 1; Z.istate = 0;\n"
        "max_time = 8; time_tick = 0.25;",
    ),
    "rates that read other nodes' states": (
        """
        Node A { logic = !A; rate_up = @logic ? 0.8 : 0; rate_down = @logic ? 0 : 0.5; }
        Node B { logic = !C; rate_up = @logic ? 1.2 : 0; rate_down = @logic ? 0 : 0.3; }
        Node C { logic = A | B; rate_up = @logic ? 1.5 * (A + 2 * B) / 3 : 0.05 * A; rate_down = 0.4 + 0.6 * !A; }
        Node D { logic = C; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : (B ? 3 : 0.5); }
        """,
        "A.istate = 0; B.istate = 1; C.istate = 0; D.istate = 0; max_time = 10; time_tick = 0.5;",
    ),
    "built-in functions, comparisons and unary operators in rates": (
        """
        Node A { logic = !C; rate_up = @logic ? log(1 + $k, 2) : 0; rate_down = @logic ? 0 : exp(-1) * 2; }
        Node B { logic = A; rate_up = @logic ? exp(A + 1, 2) / 2 : log(1.5); rate_down = !@logic * (-log(0.5) + 1e-1); }
        Node C {
          logic = A & B;
          rate_up = @logic ? ($k >= 2 && B != 0 ? exp(0.5) : 0.2) : 0;
          rate_down = @logic ? 0 : log(10, 10) * (A == 1 || $k <= 1 ? 2 : 0.5);
        }
        """,
        "$k = 3; A.istate = 0; B.istate = 0; C.istate = 0; max_time = 6; time_tick = 0.5;",
    ),
    "precedence and conditional logic": (
        """
        Node A { logic = A; }
        Node B { logic = A ^ C | D; rate_up = @logic ? 0.8 : 0; }
        Node C { logic = A ? !B : D; }
        Node D { logic = NOT A AND (B OR C); rate_down = @logic ? 0 : 2.5; }
        """,
        "A.istate = -1; B.istate = 0; C.istate = 1; D.istate = 0; max_time = 5; time_tick = 0.5;",
    ),
}


def run_maboss(tmp_path, bnd: str, cfg: str):
    (tmp_path / "m.bnd").write_text(bnd)
    (tmp_path / "m.cfg").write_text(cfg + f"\nsample_count = {N}; thread_count = 1; seed_pseudorandom = 7;\n")
    result = cmaboss.MaBoSSSim(network=str(tmp_path / "m.bnd"), configs=[str(tmp_path / "m.cfg")]).run()
    probs, times, labels = result.get_nodes_probtraj()[:3]
    return probs, list(times), list(labels)


def z(p1: float, p2: float, n: int) -> float:
    pooled = (p1 + p2) / 2
    var = pooled * (1 - pooled) * 2 / n
    return 0.0 if var <= 0 else abs(p1 - p2) / math.sqrt(var)  # var < 0: rounding, both at 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_node_probabilities_agree_with_maboss(name, tmp_path):
    bnd, cfg = CASES[name]
    theirs, times, labels = run_maboss(tmp_path, bnd, cfg)
    model = parse_maboss(bnd, cfg)
    ours = simulate(model, sample_count=N, seed=1).node_probabilities()
    assert len(times) == len(ours.index)
    for k, t in enumerate(times):
        assert ours.index[k] == pytest.approx(t)
        for j, node in enumerate(labels):
            score = z(ours[node].iloc[k], theirs[k, j], N)
            assert score <= Z_MAX, (name, t, node, ours[node].iloc[k], theirs[k, j])


def test_bnet_model_with_two_cfgs_agrees_with_maboss(tmp_path):
    """MaBoSS reads a .bnet network with -c files as it reads a .bnd; so must we (the second file overrides).

    (MaBoSS refuses a node's istate set twice, even in two files, so each file sets its own.)
    """
    from metastasim.io import read_model

    (tmp_path / "m.bnet").write_text("targets, factors\nI, I\nA, I & !C\nB, A | C\nC, A & B\n")
    (tmp_path / "a.cfg").write_text(
        "[A, B].istate = 0.3 [0, 1], 0.7 [1, 0]; C.istate = 0; C.is_internal = 1;\nmax_time = 3; time_tick = 0.5;\n"
    )
    (tmp_path / "b.cfg").write_text(
        f"I.istate = 1; C.is_internal = 0; max_time = 5;\nsample_count = {N}; thread_count = 1;\n"
    )
    cfgs = [str(tmp_path / "a.cfg"), str(tmp_path / "b.cfg")]
    result = cmaboss.MaBoSSSim(network=str(tmp_path / "m.bnet"), configs=cfgs).run()
    theirs, times, labels = result.get_nodes_probtraj()[:3]
    model = read_model(tmp_path / "m.bnet", cfg=cfgs)
    assert model.settings.max_time == 5 and model.nodes["I"].initial == 1 and "C" in labels
    ours = simulate(model, seed=1).node_probabilities()
    assert len(times) == len(ours.index) == 10
    for k in range(len(times)):
        for j, node in enumerate(labels):
            assert z(ours[node].iloc[k], theirs[k, j], N) <= Z_MAX, (times[k], node)
