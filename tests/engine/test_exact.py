"""Agreement with the exact distribution of the Markov chain that MaBoSS semantics define.

A model of n nodes (n <= 10 here) is a continuous-time Markov chain on its 2**n states,
small enough to solve exactly.  The truth is built here from the model's public
description only (rules, rates, initial states), never from the package's compiled
arrays:

- generator ``Q``: in state ``s``, an off node turns on at its ``rate_up`` and an on node
  turns off at its ``rate_down``, each evaluated with the node's rule (``@logic``) and
  the states of the nodes the rate reads (graded rates) in ``s``; ``Q[s, s ^ (1 << i)]`` is
  the rate of flipping node ``i``.  Knockout, ForceOn and
  SetInput fix a node (it never flips, and it starts at its fixed value); Inhibit(X, e)
  multiplies both up rates of X by ``1 - e``;
- initial distribution ``p0``: independent nodes, on with probability ``node.initial``,
  except the nodes of a joint initial-state group, which take the group's outcomes;
- ``p(t) = p0 expm(Q t)``; the simulator's time course is the average of ``p`` over each
  window ``[k h, k h + h)`` (MaBoSS's definition), which is the second half of
  ``[p(kh), 0] expm(B h)`` divided by ``h``, where ``B = [[Q, I], [0, 0]]`` (Van Loan 1978).
  Both are computed as products of sparse exponentials with vectors (``expm_multiply``);
- discrete time (MaBoSS): every transition takes one ``time_tick``; the node that flips
  is drawn with probability proportional to its rate, and a state whose rates are all 0
  stays.  So window ``k`` holds the state after ``k`` jumps of the embedded chain
  ``P = Q_offdiag / rate_total``, and, as MaBoSS stops a trajectory when ``tm >= max_time``
  before making the transition, the state at ``max_time`` is that of the last window
  (MaBoSS's ``MaBEstEngine``; cmaboss 1.0.0b34 behaves so).

Every node probability and every output-state probability (time windows spread over the
run, and at ``max_time``) must lie within ``Z`` binomial standard errors of the exact
value, plus a few trajectories' worth for tiny probabilities (see :func:`mismatches`).
A window average has at most binomial variance, so the test is conservative.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from exact_chain import Exact, exact_continuous, exact_discrete  # tests/exact_chain.py: the exact solution
from metastasim.engine import simulate
from metastasim.io import parse_bnet, parse_maboss
from metastasim.network import ForceOn, Inhibit, Knockout, SetInput

Z = 4.0
SAMPLES = 40_000


def project(dist: np.ndarray, model, outputs) -> np.ndarray:
    """Full-state distribution(s) summed onto output-state codes (bit ``b`` is ``outputs[b]``)."""
    ids = list(model.nodes)
    states = np.arange(dist.shape[-1])
    codes = np.zeros_like(states)
    for b, name in enumerate(outputs):
        codes |= ((states >> ids.index(name)) & 1) << b
    onto = sparse.csr_matrix((np.ones(states.size), (states, codes)), shape=(states.size, 1 << len(outputs)))
    return np.asarray(dist @ onto)


def node_marginals(dist: np.ndarray, n: int) -> np.ndarray:
    states = np.arange(dist.shape[-1])
    on = np.stack([(states >> i) & 1 for i in range(n)], axis=1).astype(float)
    return dist @ on


def label(code: int, outputs) -> str:
    on = [name for b, name in enumerate(outputs) if (code >> b) & 1]
    return " -- ".join(on) if on else "<nil>"


# ---------------------------------------------------------------------------
# comparing
# ---------------------------------------------------------------------------


def mismatches(observed, exact, n: int, names) -> list[str]:
    """Items farther from the exact value than ``Z`` standard errors allow.

    ``SE = sqrt(p (1 - p) / N)`` with the exact ``p``.  The tolerance is Bernstein's
    bound for a mean of ``N`` variables in [0, 1], ``Z SE + Z**2 / (3 N)``: the extra
    ``Z**2 / (3 N)`` (a few trajectories' worth) covers probabilities so small that
    the normal approximation fails (a state of exact probability 1e-6 seen in 2 of
    40,000 trajectories).  Where ``p`` is 0 or 1 the estimate must be exact (up to the
    simulator's fixed-point rounding).
    """
    observed, exact = np.asarray(observed, float), np.clip(np.asarray(exact, float), 0.0, 1.0)
    var = exact * (1.0 - exact)
    certain = var <= 1e-12
    tol = np.where(certain, 1e-9, Z * np.sqrt(var / n) + Z**2 / (3 * n))
    out = []
    for i in np.flatnonzero(np.abs(observed - exact) > tol):
        how = "must be exact" if certain[i] else f"z = {(observed[i] - exact[i]) / math.sqrt(var[i] / n):.1f}"
        out.append(f"{names[i]}: simulated {observed[i]:.6f}, exact {exact[i]:.6f} ({how})")
    return out


def check(result, model, exact: Exact, windows, *, final: bool = True) -> None:
    """Node and output-state probabilities of ``result`` against ``exact`` (at ``max_time`` too if ``final``)."""
    n, N = len(model), result.sample_count
    ids = list(model.nodes)
    outputs = list(result.outputs)
    assert outputs == model.outputs
    assert list(result.node_ids) == ids
    n_codes = 1 << len(outputs)
    codes = [label(c, outputs) for c in range(n_codes)]

    # the time course, window by window
    state_course = np.zeros((result.node_probs.shape[0], n_codes))
    state_course[:, result.state_codes.astype(np.int64)] = result.state_probs
    assert result.node_probs.shape[0] == exact.windows.shape[0]
    assert np.allclose(state_course.sum(axis=1), 1.0)
    exact_nodes = node_marginals(exact.windows, n)
    exact_states = project(exact.windows, model, outputs)
    bad = []
    for k in windows:
        at = f"window {k} (t = {result.times[k]:g})"
        bad += mismatches(result.node_probs[k], exact_nodes[k], N, [f"{at} node {x}" for x in ids])
        bad += mismatches(state_course[k], exact_states[k], N, [f"{at} state {c}" for c in codes])

    # at max_time
    if final:
        distribution = result.final_state_distribution()
        assert math.isclose(distribution.sum(), 1.0)
        final_states = np.array([distribution.get(c, 0.0) for c in codes])
        at = f"t = max_time = {result.max_time:g}"
        bad += mismatches(result.final_node_probs, node_marginals(exact.final, n), N, [f"{at} node {x}" for x in ids])
        bad += mismatches(final_states, project(exact.final, model, outputs), N, [f"{at} state {c}" for c in codes])
    assert not bad, f"{len(bad)} probabilities disagree with the exact solution:\n" + "\n".join(bad[:20])


def spread(n_win: int) -> list[int]:
    """Windows to compare: the first two, and some spread over the run up to the last."""
    return sorted({0, 1, n_win // 8, n_win // 4, n_win // 2, (3 * n_win) // 4, n_win - 1} & set(range(n_win)))


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------

# (1) negative feedback cycle A -> B -> C -| A, unequal rates; B internal
OSCILLATOR_BND = """
Node A { logic = !C; rate_up = @logic ? $kA : 0; rate_down = @logic ? 0 : $dA; }
Node B { logic = A;  rate_up = @logic ? 3.0 : 0; rate_down = @logic ? 0 : 0.5; }
Node C { logic = B;  rate_up = @logic ? 1.5 : 0; rate_down = @logic ? 0 : 2.5; }
"""
OSCILLATOR_CFG = """
$kA = 2.0;
$dA = 0.7;
A.istate = 1;
B.istate = 0;
C.istate = 0;
B.is_internal = 1;
max_time = 10;
time_tick = 0.25;
"""

# (2) two inputs and a bistable toggle: X and Y each sustain themselves and repress each other
BISTABLE_BNET = """
targets, factors
X, (Sig | X) & !Y
Y, (Stress | Y) & !X
Out, X & !Stress
Sig, Sig
Stress, Stress
"""

# (3) a joint initial state over A and B, and a single-node distribution over D
JOINT_BND = """
Node A { logic = !B | C; rate_up = @logic ? 1.2 : 0; rate_down = @logic ? 0 : 0.6; }
Node B { logic = !A & !C; rate_up = @logic ? 0.9 : 0; rate_down = @logic ? 0 : 1.4; }
Node C { logic = A & !D; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 0.8; }
Node D { logic = C; }
"""
JOINT_CFG = """
[A, B].istate = 0.3 [0, 1], 0.7 [1, 0];
C.istate = 0;
[D].istate = 0.2 [1], 0.8 [0];
max_time = 6;
time_tick = 0.5;
"""

# (4) rates that do not vanish with the rule: N turns on (slowly) even while its rule is false
LEAKY_BND = """
Node M { logic = !N; rate_up = @logic ? 0.5 : 0; rate_down = @logic ? 0 : 2; }
Node N { logic = M; rate_up = @logic ? 1 : 0.2; rate_down = @logic ? 0.1 : 1; }
Node P { logic = N & M; rate_up = $u; rate_down = @logic ? 0.05 : $u * 4; }
"""
LEAKY_CFG = """
$u = 0.3;
M.istate = 0;
N.istate = 0;
P.istate = -1;
max_time = 12;
time_tick = 0.5;
"""

# (7) ten nodes: inputs, xor, a rule-independent rate, a joint initial state, two internal nodes
TEN_BND = """
Node In1 { logic = In1; }
Node In2 { logic = In2; }
Node R1 { logic = In1 & !R3; rate_up = @logic ? $k : 0; rate_down = @logic ? 0 : 0.7; }
Node R2 { logic = R1 | (In2 & R2); rate_up = @logic ? 1.3 : 0; rate_down = @logic ? 0 : 0.4; }
Node R3 { logic = R2 ^ R4; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 1; }
Node R4 { logic = !R5 & (R1 | In2); rate_up = @logic ? 0.8 : 0.05; rate_down = @logic ? 0.02 : 1.5; }
Node R5 { logic = R4 & R3; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 0.3; }
Node R6 { logic = R5 | !R2; rate_up = $k * 0.5; rate_down = @logic ? 0 : 2; }
Node R7 { logic = R6 & !In1 | R3 & R4; }
Node R8 { logic = !(R7 | R1); rate_up = @logic ? 3 : 0; rate_down = @logic ? 0 : 3; }
"""
TEN_CFG = """
$k = 1.7;
In1.istate = -1;
[In2].istate = 0.8 [1], 0.2 [0];
[R1, R2].istate = 0.25 [1, 1], 0.5 [0, 0], 0.25 [0, 1];
R3.istate = 0;
R4.istate = 1;
R5.is_internal = 1;
R7.is_internal = 1;
max_time = 8;
time_tick = 0.5;
"""


# (8) graded rates that read other nodes' states: C's up rate sums its drivers (B counts
# double), its down rate falls when A is on; D's down rate reads B, which its rule does not
GRADED_BND = """
Node A { logic = !A; rate_up = @logic ? 0.8 : 0; rate_down = @logic ? 0 : 0.5; }
Node B { logic = !C; rate_up = @logic ? 1.2 : 0; rate_down = @logic ? 0 : 0.3; }
Node C { logic = A | B; rate_up = @logic ? $k * (A + 2 * B) / 3 : 0.05 * A; rate_down = 0.4 + 0.6 * !A; }
Node D { logic = C; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : (B ? 3 : 0.5); }
"""
GRADED_CFG = """
$k = 1.5;
A.istate = 0;
B.istate = 1;
C.istate = 0;
D.istate = 0;
max_time = 10;
time_tick = 0.5;
"""


def oscillator():
    return parse_maboss(OSCILLATOR_BND, OSCILLATOR_CFG)


def bistable():
    model = parse_bnet(BISTABLE_BNET)
    model.settings = model.settings.with_(max_time=8.0, time_tick=0.5)
    return model


def joint():
    return parse_maboss(JOINT_BND, JOINT_CFG)


def leaky():
    return parse_maboss(LEAKY_BND, LEAKY_CFG)


def ten_nodes():
    return parse_maboss(TEN_BND, TEN_CFG)


def graded():
    return parse_maboss(GRADED_BND, GRADED_CFG)


MODELS = {
    "oscillator": oscillator,
    "bistable": bistable,
    "joint": joint,
    "leaky": leaky,
    "ten_nodes": ten_nodes,
    "graded": graded,
}


def run_and_check(
    name: str, perturbations=(), *, seed: int, discrete: bool = False, tick: float | None = None, final: bool = True
) -> None:
    model = MODELS[name]()
    settings = model.settings.with_(time_tick=tick)
    result = simulate(
        model, perturbations, sample_count=SAMPLES, seed=seed, time_tick=settings.time_tick, discrete_time=discrete
    )
    solve = exact_discrete if discrete else exact_continuous
    exact = solve(model, perturbations, settings.max_time, settings.time_tick)
    check(result, model, exact, spread(settings.n_windows), final=final)


# ---------------------------------------------------------------------------
# the exact solver itself, against a closed form
# ---------------------------------------------------------------------------


def test_exact_solver_matches_closed_form():
    """A, !A from off: on with probability (1 - exp(-2t)) / 2."""
    model = parse_bnet("A, !A")
    model.nodes["A"].initial = 0.0
    exact = exact_continuous(model, (), max_time=3.0, tick=0.5)
    start = np.arange(6) * 0.5
    average = 0.5 - (np.exp(-2 * start) - np.exp(-2 * (start + 0.5))) / (4 * 0.5)
    assert np.allclose(exact.windows[:, 1], average, atol=1e-12)
    assert np.isclose(exact.final[1], 0.5 * (1 - np.exp(-6.0)), atol=1e-12)
    discrete = exact_discrete(model, (), max_time=3.0, tick=1.0)
    assert np.allclose(discrete.windows[:, 1], [0, 1, 0]) and np.isclose(discrete.final[1], 0.0)


# ---------------------------------------------------------------------------
# continuous time
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, seed",
    [
        ("oscillator", 11),
        ("bistable", 12),
        ("joint", 13),
        ("leaky", 14),
        ("ten_nodes", 15),
        ("graded", 16),
    ],
)
def test_continuous_time_matches_exact(name, seed):
    run_and_check(name, seed=seed)


@pytest.mark.parametrize(
    "name, perturbations, seed",
    [
        ("bistable", (Knockout("Y"),), 21),
        ("bistable", (ForceOn("X"),), 22),
        ("bistable", (SetInput("Stress", 1),), 23),
        ("bistable", (SetInput("Sig", 0), Knockout("Out")), 24),
        ("oscillator", (Inhibit("A", 0.6),), 25),
        ("leaky", (Inhibit("N", 0.6),), 26),
        ("joint", (Knockout("A"),), 27),
        ("ten_nodes", (ForceOn("R3"), SetInput("In1", 1), Inhibit("R4", 0.6)), 28),
    ],
    ids=lambda v: "+".join(f"{type(p).__name__}({p.node})" for p in v) if isinstance(v, tuple) else None,
)
def test_perturbed_matches_exact(name, perturbations, seed):
    run_and_check(name, perturbations, seed=seed)


# ---------------------------------------------------------------------------
# discrete time
# ---------------------------------------------------------------------------

DISCRETE = [("oscillator", 31), ("bistable", 32), ("leaky", 33), ("graded", 34)]


@pytest.mark.parametrize("name, seed", DISCRETE)
def test_discrete_time_jump_chain(name, seed):
    """With time_tick 1, window k holds the state after k jumps of the embedded chain."""
    run_and_check(name, seed=seed, discrete=True, tick=1.0, final=False)


@pytest.mark.parametrize("name, seed", DISCRETE)
def test_discrete_time_step_is_one_time_tick(name, seed):
    """Each transition takes time_tick, not 1 (MaBoSS: ``transition_time = time_tick``)."""
    run_and_check(name, seed=seed, discrete=True, tick=0.5, final=False)


@pytest.mark.parametrize("name, seed", DISCRETE)
def test_discrete_time_final_state(name, seed):
    """No transition at ``tm >= max_time`` (MaBoSS breaks before flipping): the last window's state."""
    run_and_check(name, seed=seed, discrete=True, tick=1.0)
