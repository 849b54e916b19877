"""The splitting estimator of the cascade against exact answers on small networks.

A cascade on a model of ``n`` nodes is exactly solvable: the population is a mixture
over the combinations of heritable alterations (combination ``c`` has probability
``prod(f or 1 - f)``), and within one combination a cell is the continuous-time
Markov chain of the model (:mod:`exact_chain`, built from the model's public
description only) run step after step:

- at the start of a step the nodes the step fixes (the context's inputs, the stage's
  ``inputs``, the combination's alterations unless a perturbation fixes the same
  node, the perturbations' knock-outs and over-expressions) are moved onto their
  values, as the engine sets a forced node in a continued trajectory's initial state;
- the distribution evolves as ``p <- expm(Q_step^T * duration) p`` with that step's
  generator (a fixed node never flips; inhibitions scale up rates);
- at the end of a stage each state's mass is multiplied by the ``p`` of the first case
  its state meets; the sub-probability vector goes on to the next step.

The fraction of all cells through stage ``k`` is the total mass after it.  The solver
is checked against a closed form and against the direct estimator (exact binomial
99.9% intervals on every stage, every case and every alteration), then the splitting
estimator is run over seeds 0..99 on each toy cascade: the mean of its estimates must
lie within 3 standard errors of the exact efficiency (and of the exact intermediate
cumulative fractions and survivor phenotypes), and its 95% intervals must cover the
exact values in 90-99% of the runs (efficiency, an intermediate stage, each
alteration's odds ratio).  Larger samples are under ``@pytest.mark.slow``.

Known: the efficiency interval under-covers on the rare toy with 2,000 cells (see
``RARE_UNDERCOVERS``); those checks are strict expected failures.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.sparse.linalg import expm_multiply

from exact_chain import base_distribution, chain_rates, generator_t, move_onto
from metastasim.cascade import binomial_ci, parse_cascade, run_cascade
from metastasim.io import parse_yaml
from metastasim.network import ForceOn, Inhibit, Knockout, SetInput
from metastasim.network.expr import parse_rule

# ---------------------------------------------------------------------------
# toys
# ---------------------------------------------------------------------------

# Two inputs (S: signal, H: hypoxia); F follows S with its own rates; X and Y are a toggle
# (each sustains itself and represses the other; H drives Y, F drives X); D decays from on
# and never returns; G needs X without D.  Alterations act on G (gain) and Y (loss).
MODEL = """
format: metastasim-model/1
settings: {max_time: 5, time_tick: 1, sample_count: 100, seed: 0}
nodes:
  S: {rule: S, input: true, initial: 0.5}
  H: {rule: H, input: true, initial: 0}
  F: {rule: S, initial: 0, rate_up: 1.5, rate_down: 0.7}
  X: {rule: (F | X) & !Y, initial: 0, rate_up: 1.0, rate_down: 1.0}
  Y: {rule: (H | Y) & !X, initial: 0.3, rate_up: 0.8, rate_down: 1.2}
  D: {rule: 'false', initial: 1, rate_down: 0.4}
  G: {rule: X & !D, initial: 0, rate_up: 2.0, rate_down: 0.5}
contexts:
  primary: {inputs: {S: 1, H: 0}}
  blood: {inputs: {S: 0, H: 1}}
  niche: {inputs: {S: 1, H: 1}}
"""

# Contexts differ between steps; a stage overrides its context's input; p = 0 cases kill clones.
SPEC = """
format: metastasim-cascade/1
phenotypes: [X, G]
stages:
  circulation: {context: blood, duration: 1.5, pass: [{when: Y & !G, p: 0}, {when: X, p: 0.6}, {p: 0.2}]}
  seeding: {context: niche, inputs: {H: 0}, duration: 2, pass: [{when: G & F, p: 0.9}, {when: D, p: 0}, {p: 0.3}]}
  growth: {context: primary, duration: 1, pass: [{when: X & G, p: 0.8}, {p: 0.1}]}
modes:
  experimental: {prepare: {context: primary, duration: 2}, stages: [circulation, seeding, growth]}
  spontaneous: {prepare: {context: blood, duration: 1}, stages: [circulation, seeding]}
alterations:
  G_gain: {node: G, change: gain, frequency: 0.1}
  Y_loss: {node: Y, change: loss, frequency: 0.2}
"""

# A rare cascade (efficiency 9.2e-9): small pass probabilities, most clones killed in the first two
# stages, and two thirds of the metastases come from a rare path: carriers of a rare gain of G
# (2%) that still have D on at the end (D has decayed in 95% of the cells by then).
RARE = """
format: metastasim-cascade/1
phenotypes: [X, G]
stages:
  r1: {context: blood, duration: 1.5, pass: [{when: Y & !G, p: 0}, {when: D, p: 0.02}, {p: 0.002}]}
  r2: {context: niche, inputs: {H: 0}, duration: 2, pass: [{when: D & X, p: 0.01}, {when: G, p: 0.001}, {p: 0}]}
  r3: {context: primary, duration: 2, pass: [{when: D & G, p: 0.05}, {p: 0.0002}]}
modes:
  spontaneous: {prepare: {context: primary, duration: 2}, stages: [r1, r2, r3]}
alterations:
  G_gain: {node: G, change: gain, frequency: 0.02}
"""


@dataclass(frozen=True)
class Toy:
    spec: str
    mode: str
    perturbations: tuple = ()
    cells: int = 2000  # total working population of one splitting run (10 replicates)
    middle: int = 0  # the intermediate stage whose interval coverage is checked


TOYS = {
    "experimental": Toy(SPEC, "experimental", middle=1),
    # 2003 cells: replicates of unequal sizes
    "spontaneous": Toy(SPEC, "spontaneous", cells=2003),
    # a knock-out wins over the cells' gain of G (its odds ratio is exactly 1); an inhibition slows F
    "treated": Toy(SPEC, "experimental", (Knockout("G"), Inhibit("F", 0.5)), middle=1),
    "rare": Toy(RARE, "spontaneous", middle=1),
}

SEEDS = range(100)
REPLICATES = 10


@functools.cache
def model():
    return parse_yaml(MODEL)


# ---------------------------------------------------------------------------
# the exact cascade
# ---------------------------------------------------------------------------


def _value(p) -> int:
    return 0 if isinstance(p, Knockout) else 1 if isinstance(p, ForceOn) else p.value


def step_chain(model, context: str, inputs, perturbations) -> tuple[dict[str, int], set[str], dict[str, float]]:
    """The nodes a step fixes (before alterations), the nodes the user's perturbations fix, the up-rate factors.

    Precedence, lowest first: the model's own perturbations and the context's inputs,
    the stage's ``inputs``, the user's perturbations.
    """
    fixed: dict[str, int] = {}
    for p in model.perturbations:
        if isinstance(p, (Knockout, ForceOn, SetInput)):
            fixed[model.resolve(p.node)] = _value(p)
    for node, v in model.context(context).inputs.items():
        fixed[model.resolve(node)] = int(v)
    for node, v in inputs:
        fixed[model.resolve(node)] = int(v)
    user = {model.resolve(p.node): _value(p) for p in perturbations if isinstance(p, (Knockout, ForceOn, SetInput))}
    factor: dict[str, float] = {}
    for p in tuple(model.perturbations) + tuple(perturbations):
        if isinstance(p, Inhibit):
            node = model.resolve(p.node)
            factor[node] = factor.get(node, 1.0) * (1.0 - p.efficacy)
    return {**fixed, **user}, set(user), factor


def case_of_states(model, cases) -> np.ndarray:
    """Index of the first case each of the 2**n states meets."""
    ids = list(model.nodes)
    exprs = [None if c.when is None else parse_rule(c.when) for c in cases]
    which = np.empty(1 << len(ids), np.int64)
    for s in range(which.size):
        values = {name: (s >> i) & 1 for i, name in enumerate(ids)}
        for name in {v for e in exprs if e is not None for v in e.variables()} - set(values):
            values[name] = values[model.resolve(name)]  # a case may name a node by its symbol
        which[s] = next(k for k, e in enumerate(exprs) if e is None or e.evaluate(values))
    return which


@dataclass
class ExactCascade:
    """Exact sub-probability vectors over the 2**n states, combined over the alteration combinations."""

    model: object
    stages: list[str]
    cases: list[np.ndarray]  # per stage, the case of each state
    entered: list[np.ndarray]  # per stage, the mass at its end before the pass rule
    passed: list[np.ndarray]  # per stage, the mass at its end after the pass rule
    frequencies: list[float]  # per alteration
    combos: list[tuple[tuple[int, ...], float, float]]  # (carried, probability, efficiency given it)

    def cumulative(self, k: int) -> float:
        return float(self.passed[k].sum())

    @property
    def efficiency(self) -> float:
        return self.cumulative(len(self.stages) - 1)

    def case_entered(self, k: int) -> np.ndarray:
        return np.bincount(self.cases[k], weights=self.entered[k], minlength=self.cases[k].max() + 1)

    def phenotype(self, k: int, node: str) -> float:
        """Fraction of all cells through stage ``k`` with ``node`` on."""
        i = list(self.model.nodes).index(node)
        return float(self.passed[k][(np.arange(self.passed[k].size) >> i) & 1 == 1].sum())

    def carriers_metastatic(self, j: int) -> float:
        return sum(prob * eff for carried, prob, eff in self.combos if carried[j])

    def odds_ratio(self, j: int) -> float:
        """Odds of metastasis among carriers of alteration ``j`` over the odds among the others."""
        f, a = self.frequencies[j], self.carriers_metastatic(j)
        b = self.efficiency - a
        return (a / (f - a)) / (b / ((1.0 - f) - b))


def exact_cascade(model, spec, mode: str, perturbations=()) -> ExactCascade:
    m = spec.mode(mode)
    steps = [(m.prepare.context, m.prepare.inputs, m.prepare.duration, None)]
    steps += [(s.context, s.inputs, s.duration, s) for s in (spec.stages[name] for name in m.stages)]
    alts = spec.alterations
    n_states = 1 << len(model.nodes)
    cases = [case_of_states(model, s.cases) for *_, s in steps[1:]]
    pass_p = [np.array([c.p for c in s.cases])[which] for (*_, s), which in zip(steps[1:], cases)]
    entered = [np.zeros(n_states) for _ in m.stages]
    passed = [np.zeros(n_states) for _ in m.stages]
    combos = []
    for carried in itertools.product((0, 1), repeat=len(alts)):
        prob = math.prod(a.frequency if c else 1.0 - a.frequency for a, c in zip(alts, carried))
        p = base_distribution(model)
        for k, (context, inputs, duration, stage) in enumerate(steps):
            fixed, user, factor = step_chain(model, context, inputs, perturbations)
            for a, c in zip(alts, carried):
                if c and model.resolve(a.node) not in user:
                    fixed[model.resolve(a.node)] = a.value
            p = move_onto(p, model, fixed)
            p = expm_multiply(generator_t(chain_rates(model, fixed, factor)) * duration, p)
            p = np.clip(p, 0.0, None)  # expm_multiply may leave -1e-17 where the mass is 0
            if stage is not None:
                entered[k - 1] += prob * p
                p = p * pass_p[k - 1]
                passed[k - 1] += prob * p
        combos.append((carried, prob, float(p.sum())))
    return ExactCascade(model, list(m.stages), cases, entered, passed, [a.frequency for a in alts], combos)


@functools.cache
def exact(name: str) -> ExactCascade:
    toy = TOYS[name]
    return exact_cascade(model(), parse_cascade(toy.spec), toy.mode, toy.perturbations)


# ---------------------------------------------------------------------------
# the exact solver itself
# ---------------------------------------------------------------------------

CLOSED = """
format: metastasim-model/1
nodes:
  I: {rule: I, input: true, initial: 0.5}
  A: {rule: I, initial: 0, rate_up: 2, rate_down: 1}
contexts:
  on: {inputs: {I: 1}}
  off: {inputs: {I: 0}}
"""
CLOSED_SPEC = """
format: metastasim-cascade/1
stages:
  first: {context: on, duration: 0.7, pass: [{when: A, p: 0.5}, {p: 0.1}]}
  second: {context: off, duration: 1.3, pass: [{when: A, p: 1}, {p: 0}]}
modes:
  experimental: {prepare: {context: off, duration: 1}, stages: [first, second]}
alterations:
  A_gain: {node: A, change: gain, frequency: 0.3}
"""


def test_exact_cascade_solver_matches_closed_form():
    """A follows the input I (up at 2, down at 1), off after ``prepare`` with I off.

    In ``first`` (I on for 0.7) A comes on with probability 1 - exp(-1.4); in ``second``
    (I off for 1.3) an on A stays on with probability exp(-1.3) and an off A stays off.
    Carriers of the gain have A on throughout and pass with 0.5 * 1.
    """
    m = parse_yaml(CLOSED)
    ex = exact_cascade(m, parse_cascade(CLOSED_SPEC), "experimental")
    on = 1 - math.exp(-1.4)
    plain_first = 0.5 * on + 0.1 * (1 - on)
    plain = 0.5 * on * math.exp(-1.3)
    assert ex.cumulative(0) == pytest.approx(0.3 * 0.5 + 0.7 * plain_first, rel=1e-9)
    assert ex.efficiency == pytest.approx(0.3 * 0.5 + 0.7 * plain, rel=1e-9)
    assert ex.case_entered(0) == pytest.approx([0.3 + 0.7 * on, 0.7 * (1 - on)], rel=1e-9)
    assert ex.carriers_metastatic(0) == pytest.approx(0.15, rel=1e-9)
    assert ex.odds_ratio(0) == pytest.approx((0.5 / 0.5) / (plain / (1 - plain)), rel=1e-9)
    # a knock-out of A wins over the gain: nobody passes the second stage
    assert exact_cascade(m, parse_cascade(CLOSED_SPEC), "experimental", (Knockout("A"),)).efficiency == 0.0


def test_the_rare_toy_is_rare():
    ex = exact("rare")
    assert 1e-9 < ex.efficiency < 1e-6
    assert ex.carriers_metastatic(0) > 0.5 * ex.efficiency  # most metastases come from the rare carriers
    assert any(0.0 in (c.p for c in s.cases) for s in parse_cascade(RARE).stages.values())


DIRECT_CELLS = 200_000


@pytest.mark.parametrize("name", list(TOYS))
def test_exact_solver_agrees_with_the_direct_estimator(name):
    """Every stage's passes, every case's entrants, the survivors with each phenotype on and every alteration's
    carriers and metastatic carriers of the direct estimator (200,000 cells): the exact binomial 99.9% interval
    of each count covers the exact probability."""
    toy, ex = TOYS[name], exact(name)
    res = run_cascade(
        model(),
        parse_cascade(toy.spec),
        mode=toy.mode,
        cells=DIRECT_CELLS,
        seed=2024,
        perturbations=toy.perturbations,
        estimator="direct",
    )
    n, bad = DIRECT_CELLS, []

    def check(what, k, p):
        lo, hi = binomial_ci(int(k), n, level=0.999)
        if not lo <= p <= hi:
            bad.append(f"{what}: {k} of {n} cells, exact probability {p:.6g} outside [{lo:.6g}, {hi:.6g}]")

    for k, stage in enumerate(res.stages):
        check(f"{stage.name} passed", stage.passed, ex.cumulative(k))
        for c, (count, p) in enumerate(zip(stage.case_entered, ex.case_entered(k))):
            check(f"{stage.name} case {c} entered", count, p)
        for node, count in stage.phenotypes.items():
            check(f"{stage.name} survivors with {node}", count, ex.phenotype(k, node))
    for j, alt in enumerate(res.alterations):
        check(f"{alt.id} carriers", alt.carriers, ex.frequencies[j])
        check(f"{alt.id} metastatic carriers", alt.carriers_metastatic, ex.carriers_metastatic(j))
    assert not bad, "\n".join(bad)


# ---------------------------------------------------------------------------
# the splitting estimator: bias and coverage over seeds
# ---------------------------------------------------------------------------


@dataclass
class Runs:
    """The estimates of a toy's splitting runs, one row per seed."""

    efficiency: np.ndarray  # [runs]
    efficiency_ci: np.ndarray  # [runs, 2]
    cumulative: np.ndarray  # [runs, stages]
    cumulative_ci: np.ndarray  # [runs, stages, 2]
    phenotypes: dict[str, np.ndarray]  # node -> [runs] estimated fraction of all cells through the last stage
    odds_ratio: np.ndarray  # [runs, alterations, 3]: estimate, low, high
    resampled: np.ndarray  # [runs] replicates resampled, all stages together


@functools.cache
def splitting_runs(name: str, ess_threshold: float = 0.5, seeds: range = SEEDS, cells: int | None = None) -> Runs:
    toy = TOYS[name]
    spec = parse_cascade(toy.spec)
    rows = []
    for seed in seeds:
        r = run_cascade(
            model(),
            spec,
            mode=toy.mode,
            cells=cells or toy.cells,
            seed=seed,
            estimator="splitting",
            replicates=REPLICATES,
            perturbations=toy.perturbations,
            ess_threshold=ess_threshold,
            threads=1,
        )  # the numbers do not depend on threads; one is fastest for small populations
        enrich = r.enrichment()
        rows.append(
            (
                r.efficiency,
                r.efficiency_ci95,
                [r.cumulative(s.name) for s in r.stages],
                [r.cumulative_ci95(s.name) for s in r.stages],
                {node: float(v.mean()) for node, v in r.stages[-1].phenotypes.items()},
                enrich[["odds_ratio", "ci95_low", "ci95_high"]].to_numpy(),
                sum(int(s.resampled.sum()) for s in r.stages),
            )
        )
    return Runs(
        efficiency=np.array([row[0] for row in rows]),
        efficiency_ci=np.array([row[1] for row in rows]),
        cumulative=np.array([row[2] for row in rows]),
        cumulative_ci=np.array([row[3] for row in rows]),
        phenotypes={node: np.array([row[4][node] for row in rows]) for node in rows[0][4]},
        odds_ratio=np.array([row[5] for row in rows]),
        resampled=np.array([row[6] for row in rows]),
    )


def z_score(estimates: np.ndarray, truth: float) -> float:
    """(mean - truth) / (sd / sqrt(runs)); an estimate that never varies must be exact (z 0, else inf)."""
    sd = estimates.std(ddof=1)
    if sd <= 1e-12 * max(abs(truth), 1e-300):
        return 0.0 if np.allclose(estimates, truth, rtol=1e-9, atol=1e-15) else math.inf
    return float((estimates.mean() - truth) / (sd / math.sqrt(len(estimates))))


def coverage(ci: np.ndarray, truth: float) -> float:
    return float(np.mean((ci[:, 0] <= truth) & (truth <= ci[:, 1])))


@pytest.mark.parametrize("name", list(TOYS))
def test_splitting_is_unbiased(name):
    """Over 100 seeds the mean estimate is within 3 standard errors of the exact value: the efficiency,
    every stage's cumulative fraction and the fraction of all cells that get through with each phenotype on."""
    runs, ex = splitting_runs(name), exact(name)
    z = {"efficiency": z_score(runs.efficiency, ex.efficiency)}
    for k, stage in enumerate(ex.stages):
        z[f"cumulative {stage}"] = z_score(runs.cumulative[:, k], ex.cumulative(k))
    for node, est in runs.phenotypes.items():
        z[f"phenotype {node}"] = z_score(est, ex.phenotype(len(ex.stages) - 1, node))
    assert all(abs(v) < 3 for v in z.values()), {k: round(v, 2) for k, v in z.items()}


# Measured: with 2,000 cells (200 clones per replicate) the rare toy's metastases rest on about 4 carriers of
# the 2% gain per replicate, the replicates' estimates are right-skewed (mean skewness 1.25) and the delta-method
# log interval with Student's t on 10 replicates under-covers: 86% over seeds 0..99, 92.5% over seeds 0..999,
# most misses with the interval below the truth (6.0% below, 1.5% above), while the mean is unbiased
# (z = 0.90 over 1000 seeds).  With 8,000 cells it covers 95% (seeds 0..99), with 20,000 cells 94% (200 seeds);
# with the gain at 20% instead of 2%, 95.0% at 2,000 cells.  Strict: remove the mark when the interval is fixed.
RARE_UNDERCOVERS = pytest.mark.xfail(
    strict=True,
    reason="splitting's 95% CI under-covers (86%) an efficiency that rests on ~4 rare-subclone carriers per replicate",
)


@pytest.mark.parametrize("name", [pytest.param(n, marks=RARE_UNDERCOVERS) if n == "rare" else n for n in TOYS])
def test_splitting_intervals_cover_the_efficiency(name):
    runs, ex = splitting_runs(name), exact(name)
    cov = coverage(runs.efficiency_ci, ex.efficiency)
    assert 0.90 <= cov <= 0.99, f"95% CI of the efficiency covers the exact {ex.efficiency:.4g} in {cov:.0%} of runs"


def test_splitting_intervals_cover_the_rare_efficiency_with_more_clones():
    """The rare toy with 8,000 cells (800 clones, about 16 rare carriers per replicate), seeds 0..99."""
    runs, ex = splitting_runs("rare", 0.5, SEEDS, 8000), exact("rare")
    cov = coverage(runs.efficiency_ci, ex.efficiency)
    z = z_score(runs.efficiency, ex.efficiency)
    assert abs(z) < 3 and 0.90 <= cov <= 0.99, (z, cov)


@pytest.mark.parametrize("name", list(TOYS))
def test_splitting_intervals_cover_an_intermediate_stage(name):
    toy, runs, ex = TOYS[name], splitting_runs(name), exact(name)
    k = toy.middle
    truth = ex.cumulative(k)
    cov = coverage(runs.cumulative_ci[:, k], truth)
    assert 0.90 <= cov <= 0.99, f"95% CI of stage {ex.stages[k]} covers the exact {truth:.4g} in {cov:.0%} of runs"


@pytest.mark.parametrize("name", list(TOYS))
def test_splitting_intervals_cover_the_odds_ratios(name):
    """Each alteration's odds ratio of metastasis (carriers over the others): its 95% interval covers the exact
    ratio, computed from the exact efficiencies of the alteration combinations, in 90-99% of the runs."""
    runs, ex = splitting_runs(name), exact(name)
    spec = parse_cascade(TOYS[name].spec)
    report = {}
    for j, alt in enumerate(spec.alterations):
        truth = ex.odds_ratio(j)
        report[alt.id] = (truth, coverage(runs.odds_ratio[:, j, 1:], truth))
    if name == "treated":
        assert report["G_gain"][0] == pytest.approx(1.0)  # the knock-out wins over the gain
    assert all(0.90 <= cov <= 0.99 for _, cov in report.values()), f"alteration: (exact odds ratio, coverage) {report}"


@pytest.mark.parametrize("ess_threshold", [1.0, 0.0])
@pytest.mark.parametrize("name", list(TOYS))
def test_splitting_is_unbiased_whatever_the_resampling_threshold(name, ess_threshold):
    """Resampling after every stage (1) or never (0) leaves the estimates unbiased (100 seeds, within 3 SE)."""
    runs, ex = splitting_runs(name, ess_threshold), exact(name)
    if ess_threshold == 0.0:
        assert runs.resampled.sum() == 0
    else:  # the weights differ after every stage but the last: every replicate is resampled there
        assert runs.resampled.min() == REPLICATES * (len(ex.stages) - 1)
    z = {"efficiency": z_score(runs.efficiency, ex.efficiency)}
    for k, stage in enumerate(ex.stages):
        z[f"cumulative {stage}"] = z_score(runs.cumulative[:, k], ex.cumulative(k))
    assert all(abs(v) < 3 for v in z.values()), {k: round(v, 2) for k, v in z.items()}


# ---------------------------------------------------------------------------
# larger samples
# ---------------------------------------------------------------------------

SLOW_SEEDS = range(1000)


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param(n, marks=RARE_UNDERCOVERS) if n == "rare" else n for n in TOYS])
def test_splitting_bias_and_coverage_over_1000_seeds(name):
    """1000 seeds: bias within 3 SE, and the coverage of the efficiency's and the intermediate stage's
    95% intervals in [93%, 97%] (a binomial count of 1000 at 95% lies there with probability 0.998)."""
    toy, runs, ex = TOYS[name], splitting_runs(name, 0.5, SLOW_SEEDS), exact(name)
    z = z_score(runs.efficiency, ex.efficiency)
    cov = coverage(runs.efficiency_ci, ex.efficiency)
    cov_middle = coverage(runs.cumulative_ci[:, toy.middle], ex.cumulative(toy.middle))
    assert abs(z) < 3 and 0.93 <= cov <= 0.97 and 0.93 <= cov_middle <= 0.97, (z, cov, cov_middle)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TOYS))
def test_splitting_with_ten_times_the_cells(name):
    """20,000 cells (2,000 per replicate), 200 seeds: bias within 3 SE, coverage in 90-99%."""
    runs, ex = splitting_runs(name, 0.5, range(200), 20_000), exact(name)
    z = z_score(runs.efficiency, ex.efficiency)
    cov = coverage(runs.efficiency_ci, ex.efficiency)
    assert abs(z) < 3 and 0.90 <= cov <= 0.99, (z, cov)
