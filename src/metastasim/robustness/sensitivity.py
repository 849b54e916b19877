"""Global sensitivity of a target's effect to each uncertain number, from the ensemble's own draws.

First-order Sobol indices by RBD-FAST (random balance design, Fourier amplitude
sensitivity test; Tarantola et al. 2006, with the bias correction of Tissot and Prieur
2012), as SALib implements it (:func:`SALib.analyze.rbd_fast.analyze`).  RBD-FAST reads any
sample whose inputs are spread over their ranges, a Latin hypercube included, so it
reuses the draws the ensemble already simulated: no extra simulation.  ``S1`` of a number
is the share of the effect's variance across draws that the number explains alone; its
confidence interval comes from SALib's bootstrap.  Indices are read on the unit scale of
each range (log scale for rates), the scale the draws were spread on.

The estimator is checked against an additive function with known indices in
``tests/robustness/test_sensitivity.py``; see :doc:`/robustness` for how many draws give
usable indices.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from metastasim.errors import ModelError

__all__ = ["sensitivity", "MIN_DRAWS"]

#: Fewest draws for which the indices are reported (below it, nan).
MIN_DRAWS = 24


def sensitivity(inputs: pd.DataFrame, outputs: pd.DataFrame, *, harmonics: int = 4, seed: int = 0) -> pd.DataFrame:
    """First-order sensitivity indices (RBD-FAST) of each output to each input, with bootstrap 95% CIs.

    Parameters
    ----------
    inputs
        One row per draw, one column per uncertain number (the ensemble's draws table).
    outputs
        One row per draw (same index), one column per output (e.g. a target's log2 effect).
    harmonics
        ``M``, the harmonics summed in the Fourier decomposition (SALib's default is 10;
        with a few dozen draws 4 keeps the estimator's bias low, see :doc:`/robustness`).
    seed
        Seeds the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Long table: ``output``, ``number``, ``S1``, ``S1_low``, ``S1_high``, sorted by output,
        then by ``S1`` (largest first).  Draws with a non-finite output are left out; with
        fewer than :data:`MIN_DRAWS` draws left the indices are ``nan``.
    """
    from SALib.analyze import rbd_fast

    if not inputs.index.equals(outputs.index):
        raise ModelError("sensitivity needs the inputs and outputs of the same draws")
    x = inputs.to_numpy(np.float64)
    rows = []
    for col in outputs.columns:
        y = outputs[col].to_numpy(np.float64)
        ok = np.isfinite(y)
        if ok.sum() >= max(MIN_DRAWS, 2 * harmonics + 1) and np.ptp(y[ok]) > 0:
            problem = {
                "num_vars": x.shape[1],
                "names": list(inputs.columns),
                "bounds": [[0.0, 1.0]] * x.shape[1],
            }
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = rbd_fast.analyze(problem, x[ok], y[ok], M=harmonics, num_resamples=200, seed=seed)
            s1, conf = np.asarray(r["S1"], float), np.asarray(r["S1_conf"], float)
        else:
            s1 = conf = np.full(x.shape[1], np.nan)
        for name, s, c in zip(inputs.columns, s1, conf):
            rows.append({"output": col, "number": name, "S1": s, "S1_low": s - c, "S1_high": s + c})
    table = pd.DataFrame(rows, columns=["output", "number", "S1", "S1_low", "S1_high"])
    order = {c: i for i, c in enumerate(outputs.columns)}
    return table.sort_values(
        ["output", "S1"], key=lambda s: s.map(order) if s.name == "output" else -s.fillna(-np.inf), kind="stable"
    ).reset_index(drop=True)
