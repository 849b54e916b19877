"""The contract other tools rely on: `simulate --model metastasim --context NAME --json`, drugs and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from metastasim.models import CONTEXTS, PHENOTYPES

METASTASIM = Path(sys.executable).parent / "metastasim"
CONTRACT = {"nodes", "symbols", "phenotypes", "context", "perturbations", "samples", "seed", "max_time"}


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(METASTASIM), *args], capture_output=True, text=True, timeout=300)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def primary():
    return json.loads(
        run(
            "simulate", "--model", "metastasim", "--context", "primary", "--samples", "2000", "--seed", "3", "--json"
        ).stdout
    )


def test_json_contract(primary):
    assert CONTRACT <= primary.keys()
    assert primary["context"] == "primary" and primary["samples"] == 2000 and primary["seed"] == 3
    assert primary["max_time"] == 48
    assert set(primary["phenotypes"]) == set(PHENOTYPES)
    assert all(primary["phenotypes"][p] == primary["nodes"][p] for p in PHENOTYPES)
    assert primary["symbols"]["EIF2AK3"] == primary["nodes"]["EIF2AK3"]
    assert "Glutamine" not in primary["symbols"] and "XBP1" in primary["symbols"]
    assert all(0 <= v <= 1 for v in primary["nodes"].values())


def test_context_inputs_are_fixed(primary):
    assert primary["nodes"]["Oxygen"] == 0 and primary["nodes"]["TGFB"] == 1 and primary["nodes"]["ECM"] == 1


def test_model_is_also_the_positional_argument():
    out = json.loads(run("simulate", "metastasim", "--context", "hypoxia", "--samples", "200", "--json").stdout)
    assert out["context"] == "hypoxia" and out["nodes"]["HIF1A"] == 1


def test_drug_by_alias_and_dose_and_knockout_by_symbol():
    out = json.loads(
        run(
            "simulate",
            "--model",
            "metastasim",
            "--context",
            "normoxia",
            "--samples",
            "500",
            "--drug",
            "CB-839=0.5",
            "--ko",
            "ERN1",
            "--json",
        ).stdout
    )
    assert out["nodes"]["ERN1"] == 0
    assert any("GLS" in p for p in out["perturbations"])


@pytest.mark.parametrize(
    "args, message",
    [
        (("--drug", "telaglenstat"), "did you mean telaglenastat"),
        (("--drug", "CB-839=2"), "dose"),
        (("--context", "lungs"), "context"),
        (("--ko", "PERKK"), "PERKK"),
    ],
)
def test_bad_names_end_in_one_line_and_status_2(args, message):
    proc = run("simulate", "--model", "metastasim", "--samples", "10", *args, ok=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_contexts_are_listed_in_help():
    assert "--context" in run("simulate", "--help").stdout
    assert len(CONTEXTS) == 9


def test_convert_exports_the_curated_model(tmp_path):
    for suffix in (".bnet", ".sbml", ".bnd", ".yaml"):
        proc = run("convert", "metastasim", str(tmp_path / f"m{suffix}"))
        if suffix in (".bnet", ".sbml"):
            assert "rates" in proc.stderr  # dropped, with a warning
        else:
            assert "warning" not in proc.stderr
        again = json.loads(
            run("simulate", str(tmp_path / f"m{suffix}"), "--samples", "10", "--max-time", "1", "--json").stdout
        )
        assert set(again["nodes"]) >= set(PHENOTYPES)


def test_contexts_table_json():
    out = json.loads(run("contexts", "--samples", "300", "--seed", "2", "--drug", "JPH203", "--json").stdout)
    assert set(out["contexts"]) == set(CONTEXTS) and out["samples"] == 300 and out["seed"] == 2
    for table in out["contexts"].values():
        assert set(table) == set(PHENOTYPES) and all(0 <= v <= 1 for v in table.values())
    assert out["perturbations"] and "SLC7A5" in out["perturbations"][0]


def test_contexts_of_a_model_without_contexts_is_a_clear_error():
    proc = run("contexts", "cohen2015", ok=False)
    assert proc.returncode == 2 and "defines no contexts" in proc.stderr and "Traceback" not in proc.stderr
