"""The splitting estimator on the curated cascade: agreement with the direct estimator, determinism, bad input.

Its bias and interval coverage against exact answers are checked on small models in
``test_splitting.py``; here it must agree with the direct estimator (which counts
cells and is the reference) on the real model, and give the same numbers whatever
the threads and chunks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from metastasim.cascade import load_cascade, run_cascade
from metastasim.errors import SimulationError
from metastasim.models import load_model
from metastasim.network.perturbations import Knockout


@pytest.fixture(scope="module")
def curated():
    return load_model(), load_cascade()


def log_se(low: float, high: float, quantile: float) -> float:
    return (math.log(high) - math.log(low)) / (2 * quantile)


@pytest.mark.parametrize(
    "mode, direct_cells, split_cells",
    [
        ("experimental", 1_000_000, 20_000),
        ("spontaneous", 10_000_000, 20_000),
    ],
)
def test_splitting_agrees_with_the_direct_estimator(curated, mode, direct_cells, split_cells):
    # the direct estimator's metastatic cells, exactly those of a full run (viable_only), against splitting's
    # estimate: the difference of the log estimates within 3 combined standard errors (each interval's half-width
    # over its quantile: the exact binomial interval's normal one, splitting's Student t on 9 df)
    model, spec = curated
    direct = run_cascade(
        model,
        spec,
        mode=mode,
        cells=direct_cells,
        seed=5,
        estimator="direct",
        viable_only=True,
        keep_survivors=[spec.mode(mode).stages[-1]],
    )
    split = run_cascade(model, spec, mode=mode, cells=split_cells, seed=5, estimator="splitting")
    assert direct.metastatic >= 30
    se_direct = 1 / math.sqrt(direct.metastatic)  # Poisson count: se of the log
    se_split = log_se(*split.efficiency_ci95, stats.t.ppf(0.975, split.replicates - 1))
    z = (math.log(split.efficiency) - math.log(direct.efficiency)) / math.hypot(se_direct, se_split)
    assert abs(z) < 3, (direct.efficiency, split.efficiency, split.efficiency_ci95, z)
    assert se_split < se_direct / 2  # at 1/50 (experimental) and 1/500 (spontaneous) of the cells


def test_splitting_stage_fractions_agree_with_a_full_direct_run(curated):
    model, spec = curated
    direct = run_cascade(model, spec, mode="experimental", cells=60_000, seed=2, estimator="direct")
    split = run_cascade(model, spec, mode="experimental", cells=10_000, seed=2, estimator="splitting")
    for s in spec.mode("experimental").stages[:-1]:
        d, sp = direct.cumulative(s), split.cumulative(s)
        lo, hi = direct.cumulative_ci95(s)
        se = math.hypot((hi - lo) / (2 * 1.96), log_se(*split.cumulative_ci95(s), 2.262) * sp)
        assert abs(d - sp) < 3 * se, (s, d, sp)
    enrich = split.enrichment()
    assert enrich.loc["XBP1_gain", "odds_ratio"] > 1  # the top enrichment of the direct run


def test_same_numbers_whatever_the_threads_and_chunks(curated):
    model, spec = curated

    def run(threads, chunk):
        d = run_cascade(
            model,
            spec,
            mode="spontaneous",
            cells=3000,
            replicates=3,
            seed=7,
            estimator="splitting",
            threads=threads,
            chunk_size=chunk,
        ).to_dict()
        d.pop("elapsed_s"), d.pop("threads")
        return d

    reference = run(2, 1 << 16)
    assert run(1, 257) == reference
    assert run(2, 1000) == reference
    other = run_cascade(model, spec, mode="spontaneous", cells=3000, replicates=3, seed=8, estimator="splitting")
    assert other.efficiency != reference["efficiency"]


def test_clones_inherit_their_alterations(curated):
    # XBP1 gain is the top enrichment among metastasis-forming cells (direct runs); clones carry their ancestor's
    # gain, so splitting finds it too.  A knock-out of XBP1 given to every cell wins over the gain: the carriers
    # are then cells like the others, and the odds ratio's interval covers 1.
    model, spec = curated
    plain = run_cascade(model, spec, mode="experimental", cells=20_000, seed=3, estimator="splitting")
    for s in plain.stages:
        assert np.all(s.cumulative <= s.entered + 1e-15) and np.all(s.cumulative >= 0)
    xbp1 = plain.enrichment().loc["XBP1_gain"]
    assert xbp1.ci95_low > 1 and 0.05 < xbp1.frequency_metastatic < 1
    ko = run_cascade(
        model, spec, mode="experimental", cells=20_000, seed=3, estimator="splitting", perturbations=[Knockout("XBP1")]
    )
    xbp1 = ko.enrichment().loc["XBP1_gain"]
    assert xbp1.ci95_low < 1 < xbp1.ci95_high


def test_bad_splitting_arguments_are_clear_errors(curated):
    model, spec = curated
    with pytest.raises(SimulationError, match="at least 2 replicates"):
        run_cascade(model, spec, cells=100, estimator="splitting", replicates=1)
    with pytest.raises(SimulationError, match="at least 2 cells per replicate"):
        run_cascade(model, spec, cells=1, estimator="splitting")
    with pytest.raises(SimulationError, match="unknown estimator 'bootstrap'"):
        run_cascade(model, spec, cells=100, estimator="bootstrap")
    with pytest.raises(SimulationError, match="keep_survivors and viable_only go with estimator='direct'"):
        run_cascade(model, spec, cells=100, estimator="splitting", viable_only=True)
    with pytest.raises(SimulationError, match=r"ess_threshold must be in \[0, 1\]"):
        run_cascade(model, spec, cells=100, estimator="splitting", ess_threshold=1.5)


def test_what_no_clone_reaches_is_undefined_not_zero():
    # a first stage nobody passes: the second stage is never entered (its fraction is undefined, as the direct
    # estimator's 0 / 0), the efficiency is 0, and an alteration no cell carries has no odds ratio (not 0)
    from metastasim.cascade import parse_cascade
    from metastasim.io import parse_yaml

    model = parse_yaml("""
format: metastasim-model/1
nodes:
  S: {rule: S, input: true, initial: 0}
  M: {rule: M | S, initial: 0, rate_up: 20, rate_down: 20}
  B: {rule: 'false', initial: 0}
contexts:
  quiet: {inputs: {S: 0}}
""")
    spec = parse_cascade("""
format: metastasim-cascade/1
phenotypes: [M, B]
stages:
  first: {context: quiet, duration: 2, pass: [{when: M, p: 0.5}, {p: 0.0}]}
  second: {context: quiet, duration: 2, pass: [{p: 1.0}]}
modes:
  experimental: {prepare: {context: quiet, duration: 3}, stages: [first, second]}
  spontaneous: {prepare: {context: quiet, duration: 3}, stages: [first, second]}
alterations:
  B_gain: {node: B, change: gain, frequency: 0.0}
""")
    split = run_cascade(model, spec, cells=200, replicates=4, seed=1, estimator="splitting", threads=1)
    direct = run_cascade(model, spec, cells=200, seed=1, estimator="direct", threads=1)
    assert split.efficiency == direct.efficiency == 0
    second = split.stage_table().loc["second"]
    assert math.isnan(second.fraction) and math.isnan(direct.stage_table().loc["second"].fraction)
    assert math.isnan(split.enrichment().loc["B_gain"].odds_ratio)
    assert math.isnan(direct.enrichment().loc["B_gain"].odds_ratio)
    assert split.to_dict()["stages"][1]["fraction"] is None
