"""plot_funnel of both cascade estimators draws the result's own stage table and the spec's anchors."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import pyplot as plt

from metastasim.cascade import compare_anchors, load_cascade, run_cascade
from metastasim.models import load_model


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def spec():
    return load_cascade()


@pytest.fixture(scope="module", params=["direct", "splitting"])
def experimental(request, model, spec):
    return run_cascade(model, spec, mode="experimental", cells=3000, seed=1, estimator=request.param)


def test_funnel_points_are_the_cumulative_fractions_with_their_ci(experimental, spec, tmp_path):
    ax = experimental.plot_funnel(spec=spec)
    ax.figure.savefig(tmp_path / "funnel.png", dpi=50)
    assert (tmp_path / "funnel.png").stat().st_size > 1000
    table = experimental.stage_table()
    cumulative = np.concatenate([[1.0], table["cumulative"].to_numpy()])
    reached = cumulative > 0
    simulated = ax.get_lines()[0]
    np.testing.assert_array_equal(simulated.get_xdata(), np.arange(len(cumulative))[reached])
    np.testing.assert_array_equal(simulated.get_ydata(), cumulative[reached])
    assert sum(t.get_text() == "none" for t in ax.texts) == int((~reached).sum())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["start", *table.index]
    assert ax.get_yscale() == "log"
    band = ax.collections[0].get_paths()[0].vertices[:, 1]  # the 95% CI: its upper edge is every stage's upper bound
    assert np.isin(table["cumulative_high"].to_numpy(), band).all()
    assert ax.get_title().startswith("experimental (") and f"{experimental.cells:,}" in ax.get_title()


def test_funnel_draws_the_anchors_of_the_spec_and_only_with_it(experimental, spec):
    anchors = compare_anchors(spec, experimental)
    assert anchors  # the curated experimental mode carries the Luzzi 1998 anchors
    stages = list(experimental.stage_table().index)
    ax = experimental.plot_funnel(spec=spec)
    measured = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in measured] == [
        (1 + stages.index(a["stage"]), a["measured"]) for a in anchors
    ]
    bare = experimental.plot_funnel()
    assert not [line for line in bare.get_lines() if line.get_marker() == "D"]


def test_a_stage_no_clone_reached_is_marked_none_at_a_finite_height(model, spec):
    from metastasim.network import Knockout

    # GLS loss kills the cells (glutathione loss): no clone gets through, and splitting has no upper bound there
    empty = run_cascade(
        model,
        spec,
        mode="spontaneous",
        cells=100,
        replicates=2,
        seed=1,
        estimator="splitting",
        perturbations=[Knockout("GLS")],
    )
    table = empty.stage_table()
    assert (table["cumulative"] == 0).any()
    ax = empty.plot_funnel()
    marks = [t for t in ax.texts if t.get_text() == "none"]
    assert len(marks) == int((table["cumulative"] == 0).sum())
    low, high = ax.get_ylim()
    assert all(np.isfinite(t.xy[1]) and low <= t.xy[1] <= high for t in marks)


def test_a_run_stopped_early_draws_only_the_anchors_of_the_stages_it_ran(model, spec):
    early = run_cascade(model, spec, mode="experimental", cells=200, seed=1, estimator="direct", until="circulation")
    assert list(early.stage_table().index) == ["circulation"]
    assert all(a["stage"] == "circulation" for a in compare_anchors(spec, early))
    ax = early.plot_funnel(spec=spec)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["start", "circulation"]
