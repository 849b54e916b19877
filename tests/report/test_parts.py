"""The report's parts on their own: settings and the command that reproduces them, the network with and
without Graphviz, figures fed the awkward numbers real runs produce (no metastatic carrier, open intervals)."""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import replace
from math import nan

import pandas as pd
import pytest

from metastasim.errors import ModelError
from metastasim.io import parse_maboss
from metastasim.models import load_model
from metastasim.report import figures, network
from metastasim.report.analysis import ReportSettings


def test_the_printed_command_gives_back_the_settings():
    for quick, cells, seed in ((False, None, 1), (True, None, 1), (True, 5000, 7), (False, 2_000_000, 0)):
        settings = ReportSettings.preset(quick=quick, cells=cells, seed=seed)
        words = settings.command().split()
        assert words[:2] == ["metastasim", "report"]
        again = ReportSettings.preset(
            quick="--quick" in words,
            cells=int(words[words.index("--cells") + 1]) if "--cells" in words else None,
            seed=int(words[words.index("--seed") + 1]) if "--seed" in words else 1,
        )
        assert again == settings
    assert ReportSettings.preset(quick=True).validation_samples == ReportSettings().validation_samples
    assert ReportSettings(top_pairs=3).command().startswith("python -c")
    for bad in (
        {"cells": 0},
        {"seed": -1},
        {"samples": 1.5},
        {"top_pairs": True},
        {"robustness_draws": 0},
        {"robustness_targets": 1},
        {"robustness_cells": 10},
    ):
        with pytest.raises(ModelError):
            ReportSettings(**bad)


def test_network_with_graphviz_has_every_node_and_edge_kind():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    model = load_model()
    svg, layout = network.network_svg(model)
    assert layout == "graphviz" and svg.startswith("<svg")
    titles = set(re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]+)</title>', svg))
    assert titles == set(model.nodes)
    assert "#1f63a8" in svg.lower() and "#d55e00" in svg.lower()  # activations and inhibitions


def test_network_signs_a_graded_rate_that_reads_a_node_only_while_the_rule_fails():
    # B's rule is S; A lowers B's leak while S is off (as p38 lowers active integrin beta1
    # in the curated model): A inhibits B, and the figure must say so, not draw it unsigned.
    bnd = """
    Node S { logic = S; rate_up = 0; rate_down = 0; }
    Node A { logic = A; rate_up = 0; rate_down = 0; }
    Node B { logic = S; rate_up = @logic ? 1.0 : 1.0 * (1 - A); rate_down = @logic ? 0.0 : 0.5; }
    Node C { logic = S; rate_up = @logic ? 1.0 + A : 0.0; rate_down = @logic ? 1.0 : 0.5; }
    """
    dot = network.network_dot(parse_maboss(bnd))
    assert '"A" -> "B" [color="#D55E00", arrowhead=tee, style=dotted]' in dot
    assert '"A" -> "C" [color="#1F63A8", arrowhead=normal, style=dotted]' in dot
    assert '"S" -> "B" [color="#1F63A8", arrowhead=normal]' in dot


def test_network_without_graphviz_falls_back_to_rows(monkeypatch):
    monkeypatch.setattr(network.shutil, "which", lambda name: None)
    model = load_model()
    svg, layout = network.network_svg(model)
    assert layout == "matplotlib" and svg.startswith("<svg")
    labels = set(re.findall(r">([A-Za-z0-9_]+)</text>", svg))
    assert set(model.nodes) <= labels


def test_enrichment_figure_takes_zero_and_open_intervals():
    table = pd.DataFrame(
        {"odds_ratio": [0.0, 2.5, math.nan], "ci95_low": [0.0, 1.2, 0.0], "ci95_high": [40.0, 5.0, math.inf]},
        index=["A_gain", "B_loss", "C_gain"],
    )
    text = figures.enrichment({"experimental": table, "spontaneous": table.iloc[:2]})
    assert text.startswith("<svg") and all(f">{name}<" in text for name in table.index)


def test_figures_are_reproducible():
    table = pd.DataFrame([[0.1, 0.9], [0.5, 0.0]], index=["EMT", "Dormancy"], columns=["normoxia", "hypoxia"])
    assert figures.phenotype_heatmap(table) == figures.phenotype_heatmap(table)


# no metastasis in either mode; in spontaneous only (the constant set to 0, its declared range widened down to 0)
@pytest.mark.parametrize(
    "closed",
    ["grow:\n        value: 0.056\n        range: [0.037,", "leave:\n        value: 0.5\n        range: [0.25,"],
)
def test_a_report_where_nothing_metastasises_still_renders(closed):
    """A cascade whose last stage (or, in the spontaneous mode only, its first) lets no cell through: no metastatic
    mass in the ranked (spontaneous) control, no pair or dose series to draw, undefined changes.  The report must
    still render, say so, and never print a NaN."""
    from metastasim.cascade import parse_cascade
    from metastasim.models import data_path, load_drugs
    from metastasim.report.analysis import collect
    from metastasim.report.html import render
    from metastasim.validation import load_facts

    model = load_model()
    text = data_path("metastasim", "cascade.yaml").read_text()
    assert closed in text
    name = closed.split(":")[0]
    spec = parse_cascade(text.replace(closed, f"{name}:\n        value: 0\n        range: [0,"))
    facts = [f for f in load_facts() if f.level == "cell"][:3]
    settings = ReportSettings(
        cells=40,
        screen_cells=40,
        seed=1,
        samples=200,
        screen_samples=100,
        validation_samples=100,
        top_pairs=3,
        top_drugs=2,
        doses=(0.5, 1.0),
        robustness_draws=2,
        robustness_targets=2,
        robustness_cells=40,
        robustness_filter_samples=50,
    )
    data = collect(model, spec, load_drugs(), facts, settings)
    assert len(data.robustness.table) == 2 and len(data.robustness.nominal()) == 2
    assert data.screen.rank_mode == "spontaneous"
    assert data.screen.effect("control").efficiency == 0  # the degenerate case this test is about
    assert (data.screen.effect("control", "experimental").efficiency > 0) == closed.startswith("leave")
    html = render(data)
    text = re.sub(r'src="data:[^"]*"|<svg.*?</svg>|<script.*?</script>', "", html, flags=re.S)
    assert not re.search(r"\bnan\b|\binf\b", text, flags=re.I)
    assert data.screen.synergy().empty and "no pairs to show" in html
    assert data.screen.dose_response().empty and "no dose series" in html  # nothing to prevent: no drug is dosed
    assert f'data-score="{data.validation.score}"' in html


def test_stage_heatmap_takes_abolished_and_unreached_stages():
    # KO(A) lets no cell through the last stage (log2 change -inf: "none"); KO(B) blocks the first stage, so its later
    # stages are never reached (nan: left blank); KO(C) acts on the middle stage with a CI excluding 0 (marked *)
    rows = [
        ("KO(A)", "s1", 0.1, -0.2, 0.4),
        ("KO(A)", "s2", 0.0, -0.1, 0.1),
        ("KO(A)", "s3", float("-inf"), nan, nan),
        ("KO(B)", "s1", float("-inf"), nan, nan),
        ("KO(B)", "s2", nan, nan, nan),
        ("KO(B)", "s3", nan, nan, nan),
        ("KO(C)", "s1", 0.0, -0.1, 0.1),
        ("KO(C)", "s2", -1.5, -2.0, -1.0),
        ("KO(C)", "s3", 0.2, -0.3, 0.7),
    ]
    table = pd.DataFrame(rows, columns=["arm", "stage", "log2", "log2_low", "log2_high"])
    text = figures.stage_heatmap(table, ["KO(C)", "KO(A)", "KO(B)", "KO(missing)"])
    assert text.startswith("<svg") and text.count(">none<") == 2 and "-1.5*" in text
    assert "+0.2<" in text and "nan" not in text.lower().replace("nanosecond", "")
    for label in ("KO(C)", "KO(A)", "KO(B)", "s1", "s2", "s3"):
        assert f">{label}<" in text
    assert ">KO(missing)<" not in text


@pytest.fixture(scope="module")
def small_ensemble():
    """Two draws of a two-target screen at a few hundred clones, no behavioural filter (about a second)."""
    from metastasim.cascade import load_cascade
    from metastasim.models import load_drugs
    from metastasim.robustness import run_robustness

    settings = replace(ReportSettings.preset(quick=True), screen_samples=100, robustness_cells=200)
    result = run_robustness(
        load_model(),
        load_cascade(),
        [],
        load_drugs(),
        draws=2,
        targets=["EIF2AK3", "GLS"],
        top=1,
        params=settings.robustness_params(),
        seed=1,
    )
    return result, settings


def test_robustness_parts_render_without_sensitivity(small_ensemble):
    from metastasim.report import robust

    result, settings = small_ensemble
    assert result.params.modes == ("spontaneous",) and result.params.spontaneous_cells == 200
    cols = robust.columns(result)
    assert set(cols) == {"KO(EIF2AK3)", "KO(GLS)"}
    t = result.targets()
    for arm, c in cols.items():
        k = round(t.loc[arm, "top_fraction"] * 2)
        low, high = robust.fraction_ci(k, 2)
        assert c["top"] == f"{k}/2 ({low:.2f}–{high:.2f})"  # the count, then its Wilson 95% CI
        assert 0 <= low <= k / 2 <= high <= 1
    part = robust.section(result, settings, "metastasim robustness --draws 8")
    assert part["draws"] == part["kept"] == 2 and not part["filtered"] and part["dropped"]["count"] == 0
    assert part["figures"]["stability"].startswith('<img class="figure" id="fig-rank-stability"')
    assert part["figures"]["sensitivity"] is None  # 2 kept draws: fewer than RBD-FAST needs
    assert "quick report's ensemble has 2 kept draws" in part["sensitivity_reason"]
    block = robust.summary_block(result)
    assert block["draws"] == block["kept"] == 2 and [x["arm"] for x in block["targets"]] == list(t.index)
    assert all(x["top_fraction"] in (0.0, 0.5, 1.0) for x in block["targets"])
    json.dumps(block, allow_nan=False)  # valid JSON: non-finite numbers are null
    band = robust.spread(result)
    assert list(band.columns) == ["low", "high"] and set(band.index) == set(cols)
    assert robust.columns(None) == {} and robust.section(None, settings, "") is None


def test_robustness_sensitivity_chart_when_the_ensemble_is_large_enough(small_ensemble, monkeypatch):
    from metastasim.report import robust

    result, settings = small_ensemble
    indices = pd.DataFrame(
        {
            "output": ["KO(GLS)"] * 3,
            "number": ["fast", "slow", "turnover"],
            "S1": [0.62, 0.1, nan],
            "S1_low": [0.4, -0.05, nan],
            "S1_high": [0.8, 0.25, nan],
        }
    )
    monkeypatch.setattr(robust, "MIN_DRAWS", 2)
    monkeypatch.setattr(result, "sensitivity", lambda **kwargs: indices)
    part = robust.section(result, replace(settings, quick=False), "")
    assert part["figures"]["sensitivity"].startswith('<img class="figure" id="fig-sensitivity"')
    assert part["dominant"] == ["KO(GLS): fast (S1 0.62, 95% CI 0.40 to 0.80)"] and part["sensitivity_reason"] == ""
    svg = figures.sensitivity_bars(indices)
    assert ">fast<" in svg and ">slow<" in svg and ">turnover<" not in svg


def test_ranking_figure_draws_the_ensemble_band():
    table = pd.DataFrame(
        {
            "rank": [1, 2],
            "spared": [0.9, 0.5],
            "spontaneous_lfc": [-2.0, -1.0],
            "spontaneous_lfc_low": [-2.2, -1.3],
            "spontaneous_lfc_high": [-1.8, -0.7],
        },
        index=["KO(A)", "KO(B)"],
    )
    plain = figures.ranking(table, "spontaneous")
    band = pd.DataFrame({"low": [-3.5], "high": [-1.5]}, index=["KO(A)"])
    banded = figures.ranking(table, "spontaneous", spread=band)
    assert "parameter draws" in banded and "parameter draws" not in plain
    assert banded.count("#56b4e9") >= 2  # one band (KO(B) has none) and its legend entry
