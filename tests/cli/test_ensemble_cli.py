"""``metastasim simulate --ensemble A B …``: the combined and per-model results, and its bad input.

Run in-process through :func:`metastasim.cli.main` (the console script's entry point), with
one run of the console script itself for the bad-input contract.  The statistics of
ensembles are checked in ``tests/engine/test_ensemble.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metastasim.cli import main
from metastasim.engine import simulate_ensemble
from metastasim.io import read_model

METASTASIM = Path(sys.executable).parent / "metastasim"
RESULT_FILES = [
    "final_nodes.csv",
    "final_states.csv",
    "node_probabilities.csv",
    "result.json",
    "state_probabilities.csv",
]


@pytest.fixture
def models(tmp_path) -> list[Path]:
    files = {"a.bnet": "A, A\nB, A & !C\nC, B\n", "b.bnet": "A, A\nB, A | C\nC, !B\n", "c.bnet": "C, B\nB, !A\nA, A\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return [tmp_path / name for name in files]


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_combined_and_individual(models, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run(
        capsys, "simulate", "--ensemble", *models, "--samples", "3001", "--seed", "5", "--max-time", "4",
        "--individual", "--json", "--out", out,
    )  # fmt: skip
    assert code == 0
    payload = json.loads(stdout)
    shares = payload["ensemble"]["models"]
    assert [s["trajectories"] for s in shares] == [1001, 1000, 1000]
    assert [s["model"] for s in shares] == [str(m) for m in models]
    assert payload["samples"] == 3001 and payload["ensemble"]["random_sampling"] is False
    # the CLI is a shell over simulate_ensemble: the same numbers
    ens = simulate_ensemble([read_model(m) for m in models], sample_count=3001, seed=5, max_time=4)
    assert payload["nodes"] == {k: float(v) for k, v in ens.combined.final_nodes().items()}
    # combined = trajectory-weighted mean of the members
    individual = payload["individual"]
    for node in "ABC":
        mixed = sum(s["trajectories"] * ind["nodes"][node] for s, ind in zip(shares, individual)) / 3001
        assert payload["nodes"][node] == pytest.approx(mixed, abs=1e-12)
    assert [ind["samples"] for ind in individual] == [1001, 1000, 1000]
    expected = RESULT_FILES + [f"model_{i}_{name}" for i in range(3) for name in RESULT_FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    assert sorted(payload["files"]) == sorted(str(out / name) for name in expected)
    frame = pd.read_csv(out / "model_2_final_nodes.csv", index_col="node")
    assert list(frame.index) == ["C", "B", "A"]  # a member keeps its own node order
    assert frame.loc["A", "probability"] == pytest.approx(individual[2]["nodes"]["A"], abs=1e-6)


def test_random_sampling_and_table(models, tmp_path, capsys):
    code, stdout, _ = run(capsys, "simulate", "--ensemble", *models[:2], "--samples", "2000", "--random-sampling")
    assert code == 0
    assert "ensemble of 2 models, trajectories in random shares" in stdout
    counts = [int(c.replace(",", "")) for c in re.findall(r"\(([\d,]+)\)", stdout.splitlines()[0])]
    assert sum(counts) == 2000 and counts != [1000, 1000]
    assert "Probability at t = 50" in stdout


def test_rerun_without_individual_removes_the_members_files(models, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(capsys, "simulate", "--ensemble", *models, "--samples", "30", "--individual", "--out", out)[0] == 0
    assert run(capsys, "simulate", "--ensemble", *models, "--samples", "30", "--out", out)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == RESULT_FILES


def bad(capsys, tmp_path, *args) -> str:
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "simulate", *args, "--samples", "10", "--out", out)
    assert code == 2 and stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("metastasim: error: "), stderr
    assert not out.exists()
    return lines[0]


def test_missing_member(models, tmp_path, capsys):
    line = bad(capsys, tmp_path, "--ensemble", models[0], tmp_path / "nope.bnet")
    assert "nope.bnet: no such file" in line


def test_member_that_does_not_parse_is_named_with_its_line(models, tmp_path, capsys):
    broken = tmp_path / "broken.bnet"
    broken.write_text("A, A\nB, A & \nC, B\n")
    line = bad(capsys, tmp_path, "--ensemble", models[0], broken)
    assert f"{broken}:2:" in line


def test_member_with_other_nodes(models, tmp_path, capsys):
    other = tmp_path / "other.bnet"
    other.write_text("A, A\nB, A\nD, B\n")
    line = bad(capsys, tmp_path, "--ensemble", *models, other)
    assert f"{other}: " in line and "same nodes" in line and "node D" in line and "node C" in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("{a}", "{b}"), "add --ensemble"),
        (("{a}", "--individual"), "--individual goes with --ensemble"),
        (("{a}", "--random-sampling"), "--random-sampling goes with --ensemble"),
        (("--ensemble", "--model", "{a}", "{b}"), "not --model"),
        (("--ensemble",), "--ensemble needs MODEL"),
        (("--ensemble", "{a}", "{b}", "--context", "nope"), "nope"),
    ],
)
def test_bad_command_line(models, tmp_path, capsys, args, words):
    line = bad(capsys, tmp_path, *(a.format(a=models[0], b=models[1]) for a in args))
    assert words in line


def test_console_script_contract(models, tmp_path):
    """The installed command itself: one line, exit status 2, nothing written."""
    other = tmp_path / "other.bnet"
    other.write_text("A, A\nB, A\nD, B\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(METASTASIM), "simulate", "--ensemble", str(models[0]), str(other), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "other.bnet" in proc.stderr
    assert not out.exists()


def test_one_model_ensemble_matches_plain_simulate(models, capsys):
    code, stdout, _ = run(capsys, "simulate", "--ensemble", models[0], "--samples", "500", "--json")
    plain_code, plain, _ = run(capsys, "simulate", models[0], "--samples", "500", "--json")
    assert code == plain_code == 0
    assert json.loads(stdout)["nodes"] == json.loads(plain)["nodes"]
    assert np.isclose(sum(json.loads(stdout)["final_states"].values()), 1.0)
