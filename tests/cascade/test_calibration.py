"""Calibration of the unperturbed curated cascade to Luzzi et al. 1998 (experimental mode).

The cascade must land within a factor of 2 of each measured fraction (about 83% extravasated,
2% micrometastases, 0.02% macrometastases).  "Lands within" is decided with the exact 95%
confidence interval of the simulated fraction: the whole interval must lie within
[measured / 2, 2 x measured], so a lucky draw cannot pass the test.  200,000 cells (about 10 s)
make the interval of the rarest fraction (about 45 metastases) narrow enough to decide it;
`make test-all` repeats it on a million cells.
"""

from __future__ import annotations

import pytest

from metastasim.cascade import binomial_ci, load_cascade, run_cascade
from metastasim.models import load_model


def check_anchors(cells: int, seed: int) -> None:
    model, spec = load_model(), load_cascade()
    anchors = [a for a in spec.anchors if a.mode == "experimental"]
    assert {a.stage for a in anchors} == {"extravasation", "micrometastasis", "macrometastasis"}
    assert sorted(a.fraction for a in anchors) == [0.0002, 0.02, 0.83]
    assert all(a.reference.id == "doi:10.1016/S0002-9440(10)65628-3" for a in anchors)
    result = run_cascade(model, spec, mode="experimental", cells=cells, seed=seed)
    for a in anchors:
        passed = result.stage(a.stage).passed
        lo, hi = binomial_ci(passed, cells)
        assert a.fraction / 2 <= lo and hi <= 2 * a.fraction, (
            f"{a.stage}: simulated {passed / cells:.3g} (95% CI {lo:.3g}-{hi:.3g}) is not within a factor of 2 "
            f"of the measured {a.fraction:g}"
        )
    assert result.efficiency == result.cumulative("macrometastasis")


def test_experimental_cascade_lands_on_luzzi_1998():
    check_anchors(200_000, seed=1)


@pytest.mark.slow
def test_experimental_cascade_lands_on_luzzi_1998_one_million_cells():
    check_anchors(1_000_000, seed=2)
