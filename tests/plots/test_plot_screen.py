"""ScreenResult.plot_ranking and plot_synergy draw the screen's own ranking and synergy tables."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import pyplot as plt

from metastasim.cascade import load_cascade
from metastasim.errors import NothingToPlotError
from metastasim.models import load_drugs, load_model
from metastasim.screen import ScreenParams, pairs, run_screen, singles

TARGETS = ["ATF4", "ITGB1", "EIF2AK3", "GLS"]


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


@pytest.fixture(scope="module")
def drugs():
    return load_drugs()


@pytest.fixture(scope="module")
def screen(model, spec, drugs):
    arms = singles(model, drugs, TARGETS)
    params = ScreenParams(
        modes=("spontaneous", "experimental"), cells=20_000, spontaneous_cells=400, samples=50, seed=1
    )
    return run_screen(model, spec, arms + pairs(model, arms), params)


def test_ranking_labels_follow_the_ranking_and_points_are_its_changes(screen, tmp_path):
    top = 3
    ax = screen.plot_ranking(top=top)
    ax.figure.savefig(tmp_path / "ranking.png", dpi=50)
    assert (tmp_path / "ranking.png").stat().st_size > 1000
    ranking = screen.ranking().head(top)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{r}. {arm}" for arm, r in ranking["rank"].items()]
    assert list(ranking["score"]) == sorted(ranking["score"], reverse=True)
    lfc = ranking[f"{screen.rank_mode}_lfc"].to_numpy()
    finite = np.isfinite(lfc)
    points = ax.collections[0].get_offsets()
    np.testing.assert_array_equal(points[:, 0], lfc[finite])
    np.testing.assert_array_equal(points[:, 1], np.arange(top)[finite])
    np.testing.assert_array_equal(ax.collections[0].get_array(), ranking["spared"].to_numpy()[finite])
    ticks = [line for line in ax.get_lines() if line.get_marker() == "|" and len(line.get_xdata())]
    np.testing.assert_array_equal(
        [line.get_xdata()[0] for line in ticks], ranking[f"{screen.other_mode}_lfc"].to_numpy()
    )


def test_ranking_marks_arms_with_no_metastasis_left(screen):
    ranking = screen.ranking()
    abolished = ranking[f"{screen.rank_mode}_lfc"].to_numpy() == -np.inf
    assert abolished.any()  # in this screen GLS loss leaves no spontaneous metastasis: the case under test
    ax = screen.plot_ranking(top=len(ranking))
    assert sum(t.get_text() == "none left" for t in ax.texts) == abolished.sum()
    np.testing.assert_array_equal(ax.collections[1].get_offsets()[:, 1], np.flatnonzero(abolished))


def test_synergy_cells_are_the_bliss_excess_of_each_pair(screen, tmp_path):
    ax = screen.plot_synergy()
    ax.figure.savefig(tmp_path / "synergy.png", dpi=50)
    order = [t.get_text() for t in ax.get_yticklabels()]
    assert order == [arm for arm in screen.ranking().index]  # every single is a member of a pair here
    assert [t.get_text() for t in ax.get_xticklabels()] == order
    image = ax.images[0].get_array()
    table = screen.synergy()
    expected = np.ma.masked_all(image.shape)
    for r in table.itertuples():
        i, j = sorted((order.index(r.a), order.index(r.b)))
        expected[i, j] = r.bliss
    np.testing.assert_array_equal(image.mask, expected.mask)
    np.testing.assert_array_equal(image.compressed(), expected.compressed())
    assert len(ax.texts) == len(table)


def test_synergy_of_a_screen_without_pairs_is_a_clear_error(model, spec, drugs):
    params = ScreenParams(modes=("experimental",), cells=2000, samples=20, seed=1)
    singles_only = run_screen(model, spec, singles(model, drugs, TARGETS[:2]), params)
    with pytest.raises(NothingToPlotError, match="pairs"):
        singles_only.plot_synergy()


def test_a_screen_whose_control_formed_no_metastasis_says_so_instead_of_drawing_nothing(model, spec, drugs):
    params = ScreenParams(cells=300, modes=("experimental",), samples=50, seed=1)
    screen = run_screen(model, spec, singles(model, drugs, ["ATF4"]), params)
    assert screen.effect("control", "experimental").metastatic == 0  # 300 cells at an efficiency of about 2e-4
    with pytest.raises(NothingToPlotError, match="control formed no metastasis"):
        screen.plot_ranking()
