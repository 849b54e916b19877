"""The report's parts on their own: settings and the command that reproduces them, the network with and
without Graphviz, figures fed the awkward numbers real runs produce (no metastatic carrier, open intervals)."""

from __future__ import annotations

import math
import re
import shutil

import pandas as pd
import pytest

from metastasim.errors import ModelError
from metastasim.models import load_model
from metastasim.report import figures, network
from metastasim.report.analysis import ReportSettings


def test_the_printed_command_gives_back_the_settings():
    for quick, cells, seed in ((False, None, 1), (True, None, 1), (True, 5000, 7), (False, 2_000_000, 0)):
        settings = ReportSettings.preset(quick=quick, cells=cells, seed=seed)
        words = settings.command().split()
        assert words[:2] == ["metastasim", "report"]
        again = ReportSettings.preset(quick="--quick" in words,
                                      cells=int(words[words.index("--cells") + 1]) if "--cells" in words else None,
                                      seed=int(words[words.index("--seed") + 1]) if "--seed" in words else 1)
        assert again == settings
    assert ReportSettings.preset(quick=True).validation_samples == ReportSettings().validation_samples
    assert ReportSettings(top_pairs=3).command().startswith("python -c")
    for bad in ({"cells": 0}, {"seed": -1}, {"samples": 1.5}, {"top_pairs": True}):
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


def test_network_without_graphviz_falls_back_to_rows(monkeypatch):
    monkeypatch.setattr(network.shutil, "which", lambda name: None)
    model = load_model()
    svg, layout = network.network_svg(model)
    assert layout == "matplotlib" and svg.startswith("<svg")
    labels = set(re.findall(r">([A-Za-z0-9_]+)</text>", svg))
    assert set(model.nodes) <= labels


def test_enrichment_figure_takes_zero_and_open_intervals():
    table = pd.DataFrame({"odds_ratio": [0.0, 2.5, math.nan], "ci95_low": [0.0, 1.2, 0.0],
                          "ci95_high": [40.0, 5.0, math.inf]}, index=["A_gain", "B_loss", "C_gain"])
    text = figures.enrichment({"experimental": table, "spontaneous": table.iloc[:2]})
    assert text.startswith("<svg") and all(f">{name}<" in text for name in table.index)


def test_figures_are_reproducible():
    table = pd.DataFrame([[0.1, 0.9], [0.5, 0.0]], index=["EMT", "Dormancy"], columns=["normoxia", "hypoxia"])
    assert figures.phenotype_heatmap(table) == figures.phenotype_heatmap(table)
