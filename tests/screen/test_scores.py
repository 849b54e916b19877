"""Synergy and effect-size math on synthetic outcomes with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from metastasim.screen.scores import fit_ic50, paired_counts, paired_log2_ratio, synergy


def test_paired_log_ratio_matches_the_delta_method_and_its_coverage():
    lfc = paired_log2_ratio(both=60, control_only=40, treated_only=10)
    assert lfc.estimate == pytest.approx(math.log2(70 / 100))
    se = math.sqrt((40 + 10) / (100 * 70)) / math.log(2)
    assert lfc.high - lfc.estimate == pytest.approx(stats.norm.ppf(0.975) * se)
    # coverage of the interval over many simulated paired populations with a known true ratio
    rng = np.random.default_rng(3)
    p_c, keep, gain, n = 0.02, 0.6, 0.004, 20_000  # treated: 60% of control's cells, plus new ones
    true = math.log2((p_c * keep + (1 - p_c) * gain) / p_c)
    covered = 0
    for _ in range(400):
        control = rng.random(n) < p_c
        treated = np.where(control, rng.random(n) < keep, rng.random(n) < gain)
        ci = paired_log2_ratio(*paired_counts(np.flatnonzero(control), np.flatnonzero(treated)))
        covered += ci.low <= true <= ci.high
    assert 0.92 <= covered / 400 <= 0.98


def test_paired_log_ratio_stays_finite_with_no_events_in_one_arm():
    lfc = paired_log2_ratio(0, 50, 0)
    assert math.isfinite(lfc.estimate) and lfc.estimate < -5 and lfc.high < 0
    assert math.isnan(paired_log2_ratio(0, 0, 0).estimate)
    assert paired_counts(np.array([1, 4, 9]), np.array([4, 9, 12, 20])) == (2, 1, 2)


def test_independent_effects_have_zero_bliss_excess():
    # exact: A removes half the control's metastatic cells, B removes a half independent of A's
    control = np.arange(1000)
    a, b = control[control % 2 == 0], control[(control // 2) % 2 == 0]
    ab = np.intersect1d(a, b)
    s = synergy(control, a, b, ab, cells=100_000, seed=1)
    assert (s.f_a, s.f_b, s.f_ab) == (0.5, 0.5, 0.25)
    assert s.bliss == 0.0 and s.bliss_low < 0 < s.bliss_high
    assert s.hsa == 0.25 and s.hsa_low > 0
    # random independent killing: the CI covers 0 in ~95% of populations
    rng = np.random.default_rng(5)
    covered = 0
    for rep in range(100):
        control = np.flatnonzero(rng.random(200_000) < 0.002)
        alive_a, alive_b = rng.random(len(control)) < 0.6, rng.random(len(control)) < 0.7
        s = synergy(
            control, control[alive_a], control[alive_b], control[alive_a & alive_b], cells=200_000, boot=400, seed=rep
        )
        covered += s.bliss_low <= 0 <= s.bliss_high
    assert covered >= 88


def test_a_pair_that_kills_every_cell_either_member_spares_is_synergistic():
    control = np.arange(400)
    a, b = control[:300], control[100:]
    s = synergy(control, a, b, np.array([], np.int64), cells=50_000, seed=2)
    assert s.f_ab == 0 and s.bliss == pytest.approx(0.75 * 0.75) and s.bliss_low > 0.4


def test_ic50_recovers_a_hill_curve_and_is_not_extrapolated():
    doses = np.array([0.1, 0.2, 0.3, 0.5, 0.7, 1.0])
    fit = fit_ic50(doses, 1 / (1 + (doses / 0.37) ** 2.5))
    assert fit.ic50 == pytest.approx(0.37, rel=1e-4) and fit.hill == pytest.approx(2.5, rel=1e-3)
    weak = fit_ic50(doses, 1 - 0.4 * doses)  # never halves the efficiency
    assert math.isnan(weak.ic50) and weak.max_effect == pytest.approx(0.4)
    assert math.isnan(fit_ic50([0.0], [1.0]).ic50)


def test_an_ic50_below_the_lowest_dose_is_reported_as_a_bound():
    fit = fit_ic50([0.25, 0.5, 1.0], [0.2, 0.05, 0.0])
    assert fit.below and fit.ic50 == 0.25 and math.isnan(fit.hill)
    assert not fit_ic50([0.25, 0.5], [0.8, 0.3]).below
