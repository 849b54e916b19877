"""`metastasim cascade`: the JSON contract, treatment from a stage, written files and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

METASTASIM = Path(sys.executable).parent / "metastasim"
CONTRACT = {"stages", "efficiency", "efficiency_ci95", "mode", "cells", "seed", "perturbations"}


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(METASTASIM), "cascade", *args], capture_output=True, text=True, timeout=300)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def spontaneous():
    return json.loads(
        run("--mode", "spontaneous", "--estimator", "direct", "--cells", "3000", "--seed", "4", "--json").stdout
    )


@pytest.fixture(scope="module")
def splitting():
    return json.loads(
        run("--mode", "spontaneous", "--cells", "4000", "--replicates", "4", "--seed", "4", "--json").stdout
    )


def test_json_contract(spontaneous):
    assert CONTRACT <= spontaneous.keys() and spontaneous["estimator"] == "direct"
    assert spontaneous["mode"] == "spontaneous" and spontaneous["cells"] == 3000 and spontaneous["seed"] == 4
    names = [s["name"] for s in spontaneous["stages"]]
    assert names == [
        "invasion",
        "intravasation",
        "circulation",
        "extravasation",
        "dormancy",
        "micrometastasis",
        "macrometastasis",
    ]
    entered = 3000
    for s in spontaneous["stages"]:
        assert {"name", "entered", "passed", "fraction", "ci95"} <= s.keys()
        assert s["entered"] == entered and 0 <= s["passed"] <= s["entered"]
        if s["entered"]:
            assert s["fraction"] == s["passed"] / s["entered"]
            assert s["ci95"][0] <= s["fraction"] <= s["ci95"][1]
        entered = s["passed"]
    assert spontaneous["efficiency"] == spontaneous["stages"][-1]["passed"] / 3000
    assert spontaneous["efficiency_ci95"][0] <= spontaneous["efficiency"] <= spontaneous["efficiency_ci95"][1]
    assert spontaneous["perturbations"] == []
    assert {e["id"] for e in spontaneous["enrichment"]} >= {"MYC_gain", "DDIT3_loss", "XBP1_gain", "MAPK1_gain"}


def test_splitting_is_the_spontaneous_default_and_its_json_contract(splitting):
    assert CONTRACT <= splitting.keys()
    assert splitting["estimator"] == "splitting" and splitting["replicates"] == 4 and splitting["cells"] == 4000
    cumulative = 1.0
    for s in splitting["stages"]:
        assert {"name", "fraction", "ci95", "cumulative", "cumulative_ci95", "ess", "cases"} <= s.keys()
        low, high = s["cumulative_ci95"]
        assert 0 <= low <= s["cumulative"] <= high and s["cumulative"] <= cumulative
        assert s["fraction"] == pytest.approx(s["cumulative"] / cumulative, rel=1e-9)
        assert 0 < s["ess"] <= 1000  # per replicate: 4,000 clones in 4 replicates
        assert sum(c["entered"] for c in s["cases"]) == pytest.approx(cumulative, rel=1e-9)
        assert sum(c["passed"] for c in s["cases"]) == pytest.approx(s["cumulative"], rel=1e-9)
        cumulative = s["cumulative"]
    assert splitting["efficiency"] == cumulative > 0
    assert splitting["efficiency_ci95"][0] < splitting["efficiency"] < splitting["efficiency_ci95"][1]
    assert {e["id"] for e in splitting["enrichment"]} >= {"MYC_gain", "XBP1_gain"}


def test_drug_from_a_stage_and_a_table(tmp_path):
    proc = run(
        "--cells",
        "3000",
        "--drug",
        "HC-5404",
        "--from-stage",
        "dormancy",
        "--ko",
        "ATF6",
        "--out",
        str(tmp_path / "out"),
    )
    assert "KO(ATF6)" in proc.stdout and "from dormancy" in proc.stdout
    assert "metastatic efficiency" in proc.stdout and "Luzzi" in proc.stdout
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["cascade.json", "enrichment.csv", "phenotypes.csv", "stages.csv"]
    payload = json.loads((tmp_path / "out" / "cascade.json").read_text())
    assert payload["perturbations"] == ["KO(ATF6)"]
    assert payload["treatment"]["from_stage"] == "dormancy" and payload["treatment"]["perturbations"]
    assert [a["stage"] for a in payload["anchors"]] == ["extravasation", "micrometastasis", "macrometastasis"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cells", "0"], "'--cells': 0 is not in the range"),
        (["--drug", "telaglenastatt"], "telaglenastat"),
        (["--ko", "NOTANODE"], "NOTANODE"),
        (["--drug", "CB-839", "--from-stage", "orbit"], "mode experimental has no stage 'orbit'"),
        (["--from-stage", "dormancy"], "--from-stage needs at least one --drug"),
        (["--mode", "orthotopic"], "orthotopic"),
        (["--estimator", "bootstrap"], "'bootstrap' is not one of 'auto', 'direct', 'splitting'"),
        (["--mode", "spontaneous", "--cells", "1"], "at least 2 cells per replicate"),
        (["--estimator", "splitting", "--replicates", "1"], "at least 2 replicates, not 1"),
        (["--estimator", "splitting", "--replicates", "0", "--out", "never"], "at least 2 replicates, not 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path):
    proc = subprocess.run(
        [str(METASTASIM), "cascade", *args], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1 and not proc.stdout
    assert not list(tmp_path.iterdir())  # nothing written


def test_bad_cascade_file_names_file_and_line(tmp_path):
    from metastasim.models import data_path

    text = data_path("metastasim", "cascade.yaml").read_text()
    bad = text.replace("    context: circulation\n    duration: 12", "    context: circulation\n    duration: -3", 1)
    assert bad != text
    path = tmp_path / "cascade.yaml"
    path.write_text(bad)
    line = bad.splitlines().index("    duration: -3") + 1
    out = tmp_path / "never"
    proc = run("--cascade", str(path), "--cells", "10", "--out", str(out), ok=False)
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr.strip() == (
        f"metastasim: error: {path}:{line}: duration of stage circulation must be positive, not -3"
    )
