"""Results show themselves in Jupyter as compact HTML, and the engine does not pull in matplotlib."""

from __future__ import annotations

import subprocess
import sys

import pytest

from metastasim.cascade import load_cascade, run_cascade
from metastasim.engine import simulate
from metastasim.models import PHENOTYPES, load_drugs, load_model
from metastasim.screen import ScreenParams, run_screen, singles


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def spec():
    return load_cascade()


@pytest.fixture(scope="module")
def drugs():
    return load_drugs()


def test_simulation_result_html_has_its_settings_and_top_states(model):
    result = simulate(model, context="circulation", outputs=PHENOTYPES, sample_count=400, seed=3)
    html = result._repr_html_()
    best = result.final_state_distribution()
    assert html.startswith("<div") and html.endswith("</div>")
    assert "circulation" in html and "400" in html and f"<td>{result.seed}</td>" in html
    assert best.index[0].replace("<", "&lt;").replace(">", "&gt;") in html and f"{best.iloc[0]:.4g}" in html
    assert len(html) < 5000


def test_simulation_result_html_without_counted_states_lists_nodes(model):
    result = simulate(model, context="primary", sample_count=50, seed=1)
    top = result.final_nodes()[list(result.outputs)].sort_values(ascending=False, kind="stable")
    html = result._repr_html_()
    assert f"<th>{top.index[0]}</th>" in html and f"{top.iloc[0]:.4g}" in html


@pytest.mark.parametrize("estimator", ["direct", "splitting"])
def test_cascade_result_html_has_its_efficiency_and_stages(model, spec, estimator):
    result = run_cascade(model, spec, mode="experimental", cells=2000, seed=2, estimator=estimator)
    html = result._repr_html_()
    low, high = result.efficiency_ci95
    assert f"{result.efficiency:.4g}" in html and f"{low:.4g} to {high:.4g}" in html
    assert estimator in html and "experimental" in html
    for stage, row in result.stage_table().iterrows():
        assert f"<th>{stage}</th>" in html and f"{row.cumulative:.4g}" in html


def test_screen_result_html_has_its_best_arms(model, spec, drugs):
    screen = run_screen(
        model,
        spec,
        singles(model, drugs, ["ATF4", "EIF2AK3"]),
        ScreenParams(modes=("experimental",), cells=5000, samples=20, seed=1),
    )
    html = screen._repr_html_()
    ranking = screen.ranking()
    assert f"<td>{len(screen.arms)}</td>" in html and "5,000 cells" in html
    for arm, row in ranking.iterrows():
        assert f"<th>{arm}</th>" in html and f"{row.score:.4g}" in html


@pytest.mark.parametrize("package", ["metastasim.engine", "metastasim.cascade", "metastasim.screen"])
def test_importing_a_layer_does_not_import_matplotlib(package):
    code = f"import sys, {package}; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_text_reprs_are_one_short_line_of_what_was_run(model, spec):
    result = simulate(model, context="circulation", outputs=PHENOTYPES, sample_count=300, seed=3)
    direct = run_cascade(model, spec, mode="experimental", cells=2000, seed=2)
    split = run_cascade(model, spec, mode="spontaneous", cells=200, seed=2)
    for obj in (result, direct, split):
        text = repr(obj)
        assert "\n" not in text and len(text) < 600 and "array" not in text and "elapsed" not in text
    assert "sample_count=300" in repr(result) and "seed=3" in repr(result) and "'circulation'" in repr(result)
    for run in (direct, split):
        low, high = run.efficiency_ci95
        assert f"efficiency={run.efficiency:.4g}" in repr(run) and f"ci95=({low:.4g}, {high:.4g})" in repr(run)
        assert f"estimator={run.estimator!r}" in repr(run) and "seed=2" in repr(run)


def test_a_viable_only_run_prints_without_its_stage_table(model, spec):
    viable = run_cascade(model, spec, mode="experimental", cells=2000, seed=2, estimator="direct", viable_only=True)
    assert f"efficiency={viable.efficiency:.4g}" in repr(viable) and f"stages={len(viable.stages)}" in repr(viable)
    assert "viable_only" in viable._repr_html_()
