"""Agreement with MaBoSS 2.6.6's own outputs for published models, at every recorded time.

Each reference table (``../shared/reference/maboss``) gives, per window of the time
grid, the probability of every output state.  We simulate the same ``.bnd``/``.cfg``
with another seed and compare every (time, state) pair with a two-proportion z-test
(the window averages have at most binomial variance, so the test is conservative).
With a few thousand comparisons per model, |z| <= 4.5 keeps the chance of a false
alarm per model below 3%, while a real difference in semantics (a wrong rate, a
wrong initial state, windows shifted by one tick) gives z in the tens or hundreds.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from conftest import MABOSS_REFERENCE
from metastasim.engine import simulate
from metastasim.io import read_maboss

Z_MAX = 4.5


def canonical(label: str) -> str:
    return " -- ".join(sorted(label.split(" -- ")))


def read_probtraj(path):
    """``[(time, {state: probability})]`` from MaBoSS's ``*_probtraj.csv``."""
    rows = []
    with open(path) as fh:
        fh.readline()
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            states = {canonical(parts[i]): float(parts[i + 1]) for i in range(5, len(parts) - 2, 3) if parts[i]}
            rows.append((float(parts[0]), states))
    return rows


def read_fixed_points(path):
    """``[(probability, {node: value})]`` from MaBoSS's ``*_fp.csv``."""
    with open(path) as fh:
        lines = fh.read().splitlines()
    header = lines[1].split("\t")
    out = []
    for line in lines[2:]:
        parts = line.split("\t")
        out.append((float(parts[1]), {name: int(v) for name, v in zip(header[3:], parts[3:])}))
    return out


def z(p1: float, n1: int, p2: float, n2: int) -> float:
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    return 0.0 if var == 0 else abs(p1 - p2) / math.sqrt(var)


CASES = {
    "cohen2015_WT": (
        "cohen2015/metastasis.bnd",
        ["cohen2015/cohen2015_model.cfg"],
        1_000_000,
        dict(max_time=100, sample_count=200_000),
    ),
    "cohen2015_NICDgof_p53lof": (
        "cohen2015/metastasis_NICDgof_p53lof.bnd",
        ["cohen2015/cohen2015_NICDgof_p53lof.cfg"],
        1_000_000,
        dict(max_time=100, sample_count=200_000),
    ),
    "montagud2022": (
        "montagud2022/Montagud2022_Prostate_Cancer.bnd",
        ["montagud2022/montagud2022_model.cfg", "montagud2022/montagud2022_run.cfg"],
        10_000,
        dict(sample_count=40_000),
    ),
}


@functools.cache
def run(name: str):
    bnd, cfgs, n_ref, settings = CASES[name]
    model = read_maboss(MABOSS_REFERENCE / bnd, [MABOSS_REFERENCE / c for c in cfgs])
    result = simulate(model, seed=2024, keep_final_states=True, **settings)
    reference = read_probtraj(MABOSS_REFERENCE / bnd.split("/")[0] / f"{name}_probtraj.csv")
    return model, result, reference, n_ref


@pytest.fixture(params=sorted(CASES))
def case(request):
    return (request.param, *run(request.param))


def test_time_grid_matches(case):
    _, _, result, reference, _ = case
    assert len(reference) == len(result.times)
    assert np.allclose([t for t, _ in reference], result.times)


def test_state_probabilities_agree_at_every_time(case):
    name, _, result, reference, n_ref = case
    ours = result.state_probabilities()
    ours.columns = [canonical(c) for c in ours.columns]
    worst = (0.0, None)
    for k, (t, ref_states) in enumerate(reference):
        row = ours.iloc[k]
        for state in set(ref_states) | set(row.index[row > 0]):
            score = z(float(row.get(state, 0.0)), result.sample_count, ref_states.get(state, 0.0), n_ref)
            worst = max(worst, (score, (t, state)), key=lambda w: w[0])
    assert worst[0] <= Z_MAX, f"{name}: z = {worst[0]:.1f} at {worst[1]}"


def test_node_probabilities_agree_at_every_time(case):
    _, model, result, reference, n_ref = case
    nodes = result.node_probabilities()
    for k, (t, ref_states) in enumerate(reference):
        for node in model.outputs:
            p_ref = sum(p for state, p in ref_states.items() if node in state.split(" -- "))
            assert z(nodes[node].iloc[k], result.sample_count, p_ref, n_ref) <= Z_MAX, (t, node)


@pytest.mark.parametrize("name", ["cohen2015_WT", "cohen2015_NICDgof_p53lof"])
def test_fixed_points_reached_in_the_same_proportions(name):
    _, result, _, n_ref = run(name)
    finals = result.trajectory_states()
    for p_ref, state in read_fixed_points(MABOSS_REFERENCE / "cohen2015" / f"{name}_fp.csv"):
        match = np.ones(len(finals), dtype=bool)
        for node, value in state.items():
            match &= finals[node].to_numpy() == value
        assert z(match.mean(), result.sample_count, p_ref, n_ref) <= Z_MAX, state


def test_mutant_reaches_metastasis_everywhere():
    _, result, _, _ = run("cohen2015_NICDgof_p53lof")
    final = result.final_nodes()
    assert final["Metastasis"] == pytest.approx(1.0, abs=1e-3) and final["Apoptosis"] == 0.0
