"""Result.plot_trajectory and Result.plot_piechart draw the result's own probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from metastasim.engine import simulate
from metastasim.errors import NothingToPlotError, UnknownNameError
from metastasim.models import PHENOTYPES, load_model


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def er_stress(model):
    return simulate(model, context="er_stress", outputs=PHENOTYPES, sample_count=300, seed=1)


def _saved(ax, path) -> None:
    ax.figure.savefig(path, dpi=50)
    assert path.stat().st_size > 1000


def test_trajectory_lines_are_the_asked_nodes_probabilities(er_stress, tmp_path):
    nodes = ["ERN1", "XBP1", "EIF2AK3", "DDIT3"]
    ax = er_stress.plot_trajectory(nodes)
    _saved(ax, tmp_path / "trajectory.png")
    lines = ax.get_lines()
    table = er_stress.node_probabilities()
    assert [line.get_label() for line in lines] == nodes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == nodes
    for line, node in zip(lines, nodes):
        np.testing.assert_array_equal(line.get_xdata(), er_stress.times)
        np.testing.assert_array_equal(line.get_ydata(), table[node].to_numpy())
    assert len({(line.get_color(), line.get_linestyle()) for line in lines}) == len(nodes)


def test_trajectory_defaults_to_the_outputs_and_draws_on_a_given_axes(er_stress, tmp_path):
    fig = Figure()
    given = fig.subplots()
    ax = er_stress.plot_trajectory(ax=given)
    assert ax is given
    assert [line.get_label() for line in ax.get_lines()] == list(er_stress.outputs)
    fig.savefig(tmp_path / "outputs.png", dpi=50)


def test_trajectory_rejects_unknown_nodes_and_a_bare_name(er_stress):
    with pytest.raises(UnknownNameError, match="NotANode"):
        er_stress.plot_trajectory(["XBP1", "NotANode"])
    with pytest.raises(TypeError):
        er_stress.plot_trajectory("XBP1")


def _fractions(ax) -> np.ndarray:
    return np.array([(w.theta2 - w.theta1) / 360.0 for w in ax.patches])


def test_piechart_wedges_are_the_final_states_with_the_rest_as_others(er_stress, tmp_path):
    dist = er_stress.final_state_distribution()
    top = 3
    assert len(dist) > top + 1  # the case this test is about: states left over to group
    ax = er_stress.plot_piechart(top=top)
    _saved(ax, tmp_path / "pie.png")
    assert [w.get_label() for w in ax.patches] == [*dist.index[:top], "others"]
    np.testing.assert_allclose(_fractions(ax), [*dist.to_numpy()[:top], dist.to_numpy()[top:].sum()], atol=1e-9)
    assert _fractions(ax).sum() == pytest.approx(1.0)


def test_piechart_shows_every_state_when_top_covers_them(er_stress):
    dist = er_stress.final_state_distribution()
    ax = er_stress.plot_piechart(top=len(dist))
    assert [w.get_label() for w in ax.patches] == list(dist.index)
    np.testing.assert_allclose(_fractions(ax), dist.to_numpy(), atol=1e-9)


def test_piechart_needs_counted_final_states(model):
    result = simulate(model, context="primary", sample_count=20, seed=1)  # all 89 outputs: states not counted
    assert result.final_state_codes is None
    with pytest.raises(NothingToPlotError, match="outputs"):
        result.plot_piechart()


def test_a_single_time_window_is_drawn_as_points(model):
    one = simulate(model, context="er_stress", outputs=PHENOTYPES, sample_count=50, seed=1, max_time=1.0, time_tick=1.0)
    assert len(one.node_probabilities()) == 1
    (line,) = one.plot_trajectory(["EMT"]).get_lines()
    assert line.get_marker() == "o"
    assert line.get_ydata()[0] == one.node_probabilities()["EMT"].iloc[0]
