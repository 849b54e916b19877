"""The happy paths of the ``metastasim`` command, run as a subprocess.

Sample counts stay small: these check the command's plumbing, not the statistics.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

METASTASIM = Path(sys.executable).parent / "metastasim"
MODEL = "cohen2015"
N_NODES = 32
OUTPUTS = ("Metastasis", "Migration", "Invasion", "EMT", "Apoptosis", "CellCycleArrest")
JSON_KEYS = {"model_hash", "seed", "samples", "max_time", "perturbations", "nodes", "final_states"}
RESULT_FILES = {
    "node_probabilities.csv",
    "final_nodes.csv",
    "result.json",
    "final_states.csv",
    "state_probabilities.csv",
}
FORMATS = ("bnet", "sbml", "yaml", "bnd")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the console script and require success."""
    proc = subprocess.run([str(METASTASIM), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert proc.returncode == 0, f"exit status {proc.returncode}; stderr: {proc.stderr}"
    return proc


def simulate_json(*args: str | Path) -> dict:
    return json.loads(run("simulate", *args, "--json").stdout)


# ---------------------------------------------------------------------------
# simulate --json
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result() -> dict:
    return simulate_json(MODEL, "--samples", "2000", "--seed", "7")


@pytest.fixture(scope="module")
def perturbed() -> dict:
    return simulate_json(
        MODEL, "--samples", "500", "--ko", "p53", "--oe", "NICD", "--set", "ECMicroenv=1", "--inhibit", "TGFbeta=0.5"
    )


def test_json_has_the_documented_keys(result):
    assert JSON_KEYS <= result.keys()
    assert result["samples"] == 2000 and result["seed"] == 7 and result["perturbations"] == []


def test_json_nodes_are_all_probabilities(result):
    assert len(result["nodes"]) == N_NODES
    assert all(0.0 <= p <= 1.0 for p in result["nodes"].values())


def test_json_final_states_sum_to_one(result):
    assert math.isclose(sum(result["final_states"].values()), 1.0, abs_tol=1e-9)


def test_same_seed_same_json(result):
    assert simulate_json(MODEL, "--samples", "2000", "--seed", "7") == result


def test_other_seed_other_numbers(result):
    other = simulate_json(MODEL, "--samples", "2000", "--seed", "8")
    assert other["nodes"] != result["nodes"]


def test_perturbations_are_described(perturbed):
    assert sorted(perturbed["perturbations"]) == sorted(["KO(p53)", "OE(NICD)", "ECMicroenv=1", "inhibit(TGFbeta=0.5)"])


def test_knockout_is_off(perturbed):
    assert perturbed["nodes"]["p53"] == 0.0


def test_over_expression_is_on(perturbed):
    assert perturbed["nodes"]["NICD"] == 1.0


def test_set_input_is_fixed(perturbed):
    assert perturbed["nodes"]["ECMicroenv"] == 1.0


# ---------------------------------------------------------------------------
# simulate --out and the human output
# ---------------------------------------------------------------------------

MAX_TIME, TIME_TICK = 10.0, 0.5
N_WINDOWS = int(MAX_TIME / TIME_TICK)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "out"
    run("simulate", MODEL, "--samples", "200", "--max-time", MAX_TIME, "--time-tick", TIME_TICK, "--out", out)
    return out


def test_out_writes_the_result_files(out_dir):
    assert {p.name for p in out_dir.iterdir()} == RESULT_FILES


def test_node_probabilities_csv(out_dir):
    df = pd.read_csv(out_dir / "node_probabilities.csv", index_col=0)
    assert df.shape == (N_WINDOWS, N_NODES)
    assert ((df >= 0) & (df <= 1)).all().all()


def test_state_probabilities_csv(out_dir):
    df = pd.read_csv(out_dir / "state_probabilities.csv", index_col=0)
    assert len(df) == N_WINDOWS
    assert df.sum(axis=1).round(4).eq(1).all()


def test_final_nodes_csv(out_dir):
    df = pd.read_csv(out_dir / "final_nodes.csv", index_col=0)
    assert len(df) == N_NODES and df.iloc[:, 0].between(0, 1).all()


def test_final_states_csv(out_dir):
    df = pd.read_csv(out_dir / "final_states.csv", index_col=0)
    assert math.isclose(df.iloc[:, 0].sum(), 1.0, abs_tol=1e-4)


def test_result_json_matches_the_run(out_dir):
    payload = json.loads((out_dir / "result.json").read_text())
    assert payload["samples"] == 200 and payload["max_time"] == MAX_TIME and len(payload["nodes"]) == N_NODES


def test_human_output_names_the_outputs():
    text = run("simulate", MODEL, "--samples", "100", "--max-time", "10").stdout
    assert all(name in text for name in OUTPUTS)


# ---------------------------------------------------------------------------
# convert
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    folder = tmp_path_factory.mktemp("convert")
    return {fmt: (folder / f"x.{fmt}", run("convert", MODEL, folder / f"x.{fmt}")) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_convert_writes_the_target(converted, fmt):
    path, proc = converted[fmt]
    assert path.is_file() and str(path) in proc.stdout


def test_convert_to_bnd_writes_its_cfg(converted):
    path, _ = converted["bnd"]
    assert path.with_suffix(".cfg").is_file()


def test_convert_to_bnet_warns_about_initial_states(converted):
    _, proc = converted["bnet"]
    assert "metastasim: warning:" in proc.stderr and "initial states" in proc.stderr


@pytest.mark.parametrize("fmt", ("yaml", "bnd"))
def test_lossless_convert_is_silent(converted, fmt):
    _, proc = converted[fmt]
    assert proc.stderr == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_converted_file_simulates(converted, fmt):
    path, _ = converted[fmt]
    payload = simulate_json(path, "--samples", "50", "--max-time", "5")
    assert len(payload["nodes"]) == N_NODES


@pytest.mark.parametrize("fmt", FORMATS)
def test_converted_file_keeps_the_fixed_points(converted, fmt):
    path, _ = converted[fmt]
    assert json.loads(run("attractors", path, "--json").stdout)["count"] == 9


# ---------------------------------------------------------------------------
# attractors, --version, --help
# ---------------------------------------------------------------------------


def test_attractors_count_fixed_points():
    payload = json.loads(run("attractors", MODEL, "--json").stdout)
    assert payload["count"] == 9 and len(payload["listed"]) == 9


def test_attractors_trap_spaces():
    payload = json.loads(run("attractors", MODEL, "--trap-spaces", "--json").stdout)
    assert payload["kind"] == "minimal trap spaces" and payload["count"] >= 1


def test_version():
    import metastasim

    assert metastasim.__version__ in run("--version").stdout


@pytest.mark.parametrize("command", ((), ("simulate",), ("convert",), ("attractors",)))
def test_help(command):
    assert "Usage:" in run(*command, "--help").stdout


def test_states_counts_the_joint_states_of_many_outputs(tmp_path):
    # 67 nodes held on by their initial state and 3 independent ones that flip at rate 1
    # each way from off: at time T each of those is on with probability (1 - exp(-2T)) / 2,
    # so the 8 final states have exact product-form probabilities
    held = [f"H{i}" for i in range(67)]
    free = ["X0", "X1", "X2"]
    (tmp_path / "m.bnet").write_text(
        "targets, factors\n" + "".join(f"{h}, {h}\n" for h in held) + "".join(f"{x}, !{x}\n" for x in free)
    )
    (tmp_path / "m.cfg").write_text(
        "".join(f"{h}.istate = 1;\n" for h in held) + "".join(f"{x}.istate = 0;\n" for x in free)
    )
    n, t = 4000, 0.6
    run(
        "simulate",
        tmp_path / "m.bnet",
        "--cfg",
        tmp_path / "m.cfg",
        "--samples",
        n,
        "--max-time",
        t,
        "--seed",
        3,
        "--states",
        "--out",
        tmp_path / "out",
    )
    final = pd.read_csv(tmp_path / "out" / "final_states.csv", index_col=0).iloc[:, 0]
    p_on = (1 - math.exp(-2 * t)) / 2
    assert math.isclose(final.sum(), 1.0, abs_tol=1e-9) and len(final) <= 8
    for k in range(8):
        on = [x for b, x in enumerate(free) if k >> b & 1]
        label = " -- ".join(held + on)
        p = p_on ** len(on) * (1 - p_on) ** (3 - len(on))
        assert abs(final.get(label, 0.0) - p) <= 4.5 * math.sqrt(p * (1 - p) / n), (label, final.get(label))
    assert pd.read_csv(tmp_path / "out" / "state_probabilities.csv", index_col=0).sum(axis=1).round(4).eq(1).all()
