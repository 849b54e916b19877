"""RBD-FAST (through SALib) on the ensemble's own Latin hypercube, against an additive function's exact indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from metastasim.robustness import sensitivity

D = 31  # about as many inputs as the curated model has uncertain numbers (35)
A = np.zeros(D)
A[:3] = [4.0, 2.0, 1.0]
EXACT = A**2 / (A**2).sum()  # y = sum a_i u_i, u_i uniform: S1_i = a_i^2 / sum a^2 (0.762, 0.190, 0.048, 0, ...)


def _replicates(n: int, reps: int):
    est, covered = [], []
    for rep in range(reps):
        x = pd.DataFrame(qmc.LatinHypercube(d=D, seed=rep).random(n), columns=[f"x{i}" for i in range(D)])
        y = pd.DataFrame({"effect": x.to_numpy() @ A}, index=x.index)
        t = sensitivity(x, y, seed=rep).set_index("number").loc[x.columns]
        est.append(t["S1"].to_numpy())
        covered.append(((t["S1_low"] <= EXACT) & (EXACT <= t["S1_high"])).to_numpy())
    return np.array(est), np.array(covered)


def _check(n: int, reps: int) -> None:
    est, covered = _replicates(n, reps)
    bias, se = est.mean(axis=0) - EXACT, est.std(axis=0, ddof=1) / np.sqrt(reps)
    assert (np.abs(bias[:3]) <= 4 * se[:3] + 0.01).all(), bias[:3]
    assert abs(est[:, 3:].mean()) < 0.03  # numbers with no effect: index about 0
    assert covered.mean() >= 0.9  # 95% intervals (SALib's bootstrap; conservative at these sizes)
    assert (est[:, 0] > est[:, 3:].max(axis=1)).all()  # the dominant number is always found first


def test_rbd_fast_at_the_ensemble_size_is_unbiased_on_an_additive_function():
    _check(48, 5)


@pytest.mark.slow
@pytest.mark.parametrize("n", [32, 64, 128])
def test_rbd_fast_bias_and_coverage_at_several_ensemble_sizes(n):
    _check(n, 30)


def test_too_few_draws_give_no_indices():
    x = pd.DataFrame(np.random.default_rng(0).random((10, 3)), columns=list("abc"))
    t = sensitivity(x, pd.DataFrame({"y": x["a"]}))
    assert t["S1"].isna().all() and list(t.columns) == ["output", "number", "S1", "S1_low", "S1_high"]
