"""`metastasim screen` and `metastasim results`: the JSON contract, tables, exports and one-line errors."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

METASTASIM = Path(sys.executable).parent / "metastasim"
SMALL = ["--mode", "experimental", "--cells", "100000", "--contexts", "normoxia,primary", "--samples", "300"]


def run(*args: str, ok: bool = True, cwd=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(METASTASIM), *args], capture_output=True, text=True, timeout=300, cwd=cwd)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screen")
    store = folder / "s.sqlite"
    out = run(
        "screen",
        "--targets",
        "ATF4,ITGB1,telaglenastat",
        "--pairs",
        "--doses",
        "0,0.5,1",
        *SMALL,
        "--store",
        str(store),
        "--out",
        str(folder / "tables"),
        "--json",
    )
    return folder, store, json.loads(out.stdout)


def test_screen_json_contract(screened):
    folder, store, payload = screened
    assert {
        "run",
        "run_key",
        "params",
        "ranking",
        "synergy",
        "dose_response",
        "ic50",
        "computed",
        "model_hash",
    } <= payload.keys()
    assert payload["params"]["cells"] == 100_000 and payload["params"]["seed"] == 1
    assert payload["params"]["contexts"] == ["normoxia", "primary"]
    ranking = payload["ranking"]
    assert [r["rank"] for r in ranking] == [1, 2, 3]
    assert {r["arm"] for r in ranking} == {"KO(ATF4)", "KO(ITGB1)", "telaglenastat"}
    for r in ranking:
        assert r["experimental_lfc_low"] <= r["experimental_lfc"] <= r["experimental_lfc_high"]
        assert r["seed"] == 1 and 0 <= r["spared"] <= 1
    assert len(payload["synergy"]) == 3
    assert {r["target"] for r in payload["ic50"]} == {"ATF4", "ITGB1", "telaglenastat"}
    tables = folder / "tables"
    assert sorted(p.name for p in tables.iterdir()) == [
        "doses.csv",
        "ic50.csv",
        "phenotypes.csv",
        "ranking.csv",
        "screen.json",
        "synergy.csv",
    ]
    csv = pd.read_csv(tables / "ranking.csv", index_col="arm")
    assert list(csv.index) == [r["arm"] for r in ranking]
    phen = pd.read_csv(tables / "phenotypes.csv")
    assert set(phen["context"]) == {"normoxia", "primary"} and len(phen) == 2 * 10 * (
        1 + 3 + 3 + 5
    )  # control, singles, pairs, doses (full drug dose = the drug)


def test_screen_tables_and_results_of_the_store(screened, tmp_path):
    folder, store, payload = screened
    again = run("screen", "--targets", "ATF4,ITGB1,telaglenastat", *SMALL, "--store", str(store))
    assert "0 simulated now" in again.stdout and "single targets, best first" in again.stdout
    assert "KO(ITGB1)" in again.stdout and "95% CI" in again.stdout
    listing = run("results", "--store", str(store)).stdout
    assert payload["run_key"][:8] in listing and "100,000" in listing
    shown = run("results", str(payload["run"]), "--store", str(store), "--csv", str(tmp_path / "r.csv"))
    assert "pairs, most synergistic first" in shown.stdout and "IC50" in shown.stdout
    assert list(pd.read_csv(tmp_path / "r.csv")["arm"]) == [r["arm"] for r in payload["ranking"]]
    as_json = json.loads(run("results", payload["run_key"][:6], "--store", str(store), "--json").stdout)
    assert as_json["ranking"] == payload["ranking"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--targets", "MYCC"], "neither a node of the model nor a drug"),
        (["--targets", "Oxygen"], "input"),
        (["--targets", "ATF4,,GLS"], "comma-separated"),
        (["--targets", "ATF4", "--doses", "0,abc"], "dose"),
        (["--targets", "ATF4", "--doses", "1.5"], "dose"),
        (["--targets", "ATF4", "--doses", "nan"], "dose"),
        (["--targets", "ATF4", "--contexts", "lung"], "lung"),
        (["--cells", "-5"], "cells"),
        (["--targets", "ATF4", "--cascade", "missing.yaml"], "missing.yaml"),
        (["--targets", "ATF4", "--replicates", "1"], "at least 2 replicates, not 1"),
        (["--targets", "ATF4", "--spontaneous-cells", "15"], "at least 2 cells per replicate: 15 cells for 10"),
    ],
)
def test_bad_screen_input_is_one_line_and_exit_2_and_writes_nothing(tmp_path, args, message):
    proc = run("screen", *args, "--store", str(tmp_path / "s.sqlite"), ok=False, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "s.sqlite").exists()


def test_bad_results_input(tmp_path, screened):
    _, store, _ = screened
    for args, message in [
        (["results", "--store", str(tmp_path / "none.sqlite")], "does not exist"),
        (["results", "99", "--store", str(store)], "no run matches"),
        (["results", "--store", str(store), "--csv", str(tmp_path / "x.csv")], "name it"),
        (["screen", "--targets", "ATF4", "--store", str(tmp_path / "no" / "s.sqlite")], "no such folder"),
    ]:
        proc = run(*args, ok=False)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    out = run(
        "screen",
        "--targets",
        "EIF2AK3,VEGFA,TWIST1",
        "--pairs",
        "--cells",
        "20000",
        "--spontaneous-cells",
        "4000",
        "--replicates",
        "4",
        "--contexts",
        "normoxia",
        "--samples",
        "200",
        "--store",
        str(folder / "s.sqlite"),
        "--out",
        str(folder / "tables"),
        "--json",
    )
    return folder, json.loads(out.stdout)


def test_the_whole_cascade_ranks_by_default_with_where_each_target_acts(whole):
    folder, payload = whole
    assert payload["rank_mode"] == "spontaneous" and payload["stages_mode"] == "spontaneous"
    assert payload["params"]["modes"] == ["spontaneous", "experimental"]
    assert payload["params"]["splitting"] == ["spontaneous"] and payload["params"]["replicates"] == 4
    stages = [
        "invasion",
        "intravasation",
        "circulation",
        "extravasation",
        "dormancy",
        "micrometastasis",
        "macrometastasis",
    ]
    rows = {r["arm"]: r for r in payload["ranking"]}
    for r in rows.values():
        assert list(r["stage_log2"]) == stages and list(r["stage_log2_ci95"]) == stages
        assert r["spontaneous_metastatic"] is None  # splitting counts no cells
        for s in stages:
            v, (lo, hi) = r["stage_log2"][s], r["stage_log2_ci95"][s]
            assert v is None or lo is None or lo <= v <= hi
        assert r["experimental_lfc_low"] <= r["experimental_lfc"] <= r["experimental_lfc_high"]
    # PERK loss stops cells at invasion (the EMT arm of the UPR); VEGF-A loss only at the vascularised last stage
    perk, vegfa = rows["KO(EIF2AK3)"]["stage_log2_ci95"], rows["KO(VEGFA)"]["stage_log2"]
    assert perk["invasion"][1] < -1
    assert vegfa["macrometastasis"] is None or vegfa["macrometastasis"] < -1
    assert all(abs(vegfa[s]) < 0.5 for s in stages[:-1])
    table = pd.read_csv(folder / "tables" / "stages.csv")
    assert set(table.stage) == set(stages) and {"KO(EIF2AK3)", "control"} <= set(table.arm)
    assert len(payload["synergy"]) == 3


def test_the_whole_cascade_screen_prints_where_targets_act(whole):
    folder, payload = whole
    proc = run("results", str(payload["run"]), "--store", str(folder / "s.sqlite"))
    assert "where they act: log2 change of each stage's pass fraction (spontaneous cascade" in proc.stdout
    assert "control: metastatic efficiency" in proc.stdout and "4 replicates" in proc.stdout


def test_a_store_written_before_the_splitting_estimator_still_reads(tmp_path):
    # tests/data/stores/before_splitting.sqlite: `metastasim screen --targets ATF4,XBP1 --cells 20000
    # --spontaneous-cells 50000 --contexts normoxia --samples 200`, run by the version before splitting (both modes
    # counted cell by cell, the experimental one ranked)
    import shutil

    store = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "stores" / "before_splitting.sqlite", store)
    text = run("results", "1", "--store", str(store)).stdout
    assert "20,000 cells (experimental), 50,000 cells (spontaneous)" in text
    assert "control: 5 metastatic cells of 20,000 (experimental)" in text and "where they act" not in text
    payload = json.loads(run("results", "1", "--store", str(store), "--json").stdout)
    assert payload["rank_mode"] == "experimental" and payload["stages_mode"] is None
    rows = {r["arm"]: r for r in payload["ranking"]}
    assert set(rows) == {"KO(ATF4)", "KO(XBP1)"} and rows["KO(ATF4)"]["experimental_metastatic"] == 1
    assert rows["KO(ATF4)"]["stage_log2"] == {}


def test_an_in_process_screen_records_its_own_command_not_its_hosts(tmp_path, capsys, monkeypatch):
    from metastasim.cli import main

    monkeypatch.setattr(sys, "argv", ["jupyter-kernel", "--host-option", "x"])
    store = tmp_path / "s.sqlite"
    args = [
        "screen",
        "--targets",
        "ATF4",
        "--mode",
        "experimental",
        "--cells",
        "2000",
        "--contexts",
        "normoxia",
        "--samples",
        "50",
        "--store",
        str(store),
        "--json",
    ]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["results", "--store", str(store), "--json"]) == 0
    (stored,) = json.loads(capsys.readouterr().out)
    assert stored["command"] == shlex.join(["metastasim", *args])
