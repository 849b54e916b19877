"""The ensemble: a rank that flips at a known rate, the behavioural filter, determinism, resume, bad input."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from metastasim.cli import cli, main
from metastasim.robustness import run_robustness
from metastasim.screen import ScreenParams

sys.path.insert(0, str(Path(__file__).parent))
import toy  # noqa: E402

PARAMS = ScreenParams(modes=("experimental",), splitting=(), cells=20_000, contexts=("normoxia",), samples=50)


def _run(draws, facts=(), **kw):
    return run_robustness(
        toy.model(), toy.cascade(), list(facts), {}, draws=draws, targets=["A", "B"], top=1, params=PARAMS, **kw
    )


FLIP_DRAWS = 40


@pytest.fixture(scope="module")
def flip():
    return _run(FLIP_DRAWS)


def test_the_top_fraction_is_the_probability_mass_on_each_side_of_the_flip(flip):
    """KO(A) ranks first exactly when k < k* (closed form); k is log-uniform on [0.2, 20]."""
    n, result = FLIP_DRAWS, flip
    k_star = toy.k_star()
    mass = toy.mass_below(k_star)  # 0.4957; a uniform (not log-uniform) draw would give 0.089
    t = result.targets()
    assert result.summary()["kept"] == n
    assert t.loc["KO(A)", "top_fraction"] + t.loc["KO(B)", "top_fraction"] == pytest.approx(1.0)
    frac = t.loc["KO(A)", "top_fraction"]
    # binomial error of n independent draws ...
    assert abs(frac - mass) <= 3 * math.sqrt(mass * (1 - mass) / n)
    # ... and, a 1-D Latin hypercube having one draw per 1/n of probability, within 1/n, plus one draw
    # that the simulation noise may misplace right at the threshold
    assert abs(frac - mass) <= 2 / n
    # every draw clearly on one side ranks as the closed form says
    ranks, k = result.ranks(), result.table["rate:k"]
    for draw in result.kept:
        if abs(math.log(k[draw] / k_star)) > 0.05:
            assert (ranks.loc["KO(A)", draw] == 1) == (k[draw] < k_star), k[draw]
    a = result.agreement()
    assert set(a["tau"].round(9)) <= {1.0, -1.0} and set(a["overlap"]) <= {0.0, 1.0}


def test_draws_that_break_a_validation_fact_are_dropped_and_say_which():
    """The toy fact holds while k is below about 0.78 (see tests/robustness/toy.py)."""
    result = _run(12, toy.facts(), tolerance=0.0)
    v, k = result.validation, result.table["rate:k"]
    assert result.nominal_score == 1.0
    assert (k < 0.6).any() and (k > 1.0).any()
    assert v.loc[k < 0.6, "kept"].all()
    far = v.loc[k > 1.0]
    assert not far["kept"].any() and (far["broken"] == "toy_a_ko_lowers_r").all()
    assert set(result.screens) == {-1, *result.kept}  # dropped draws are not screened
    d = result.to_dict()
    assert d["draws"] == 12 and d["kept"] == len(result.kept) and d["dropped"] == 12 - d["kept"]
    assert {"median_rank", "top_fraction", "log2_median", "log2_low", "log2_high"} <= set(d["targets"][0])
    json.dumps(d)


def test_the_same_ensemble_gives_the_same_tables_whatever_the_threads_and_resumes_from_its_store(tmp_path):
    store = tmp_path / "r.sqlite"
    one = _run(5, toy.facts(), threads=1, store=store)
    assert one.computed == 6 + 3 * (1 + len(one.kept))  # validations, then control + 2 arms per screened draw
    two = _run(5, toy.facts(), threads=2, store=store)
    assert two.computed == 0
    fresh = _run(5, toy.facts(), threads=2)
    for other in (two, fresh):
        assert other.targets().equals(one.targets()) and other.agreement().equals(one.agreement())
        assert other.validation.equals(one.validation)
    # the store lists the draws' screens and their validations (metastasim results)
    listed = CliRunner().invoke(cli, ["results", "--store", str(store)])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("validation of draw") == 6 and "experimental" in listed.output


def test_a_two_worker_local_cluster_gives_the_in_process_tables():
    from dask.distributed import Client, LocalCluster

    here = _run(6, toy.facts())
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        there = _run(6, toy.facts(), client=client)
    assert there.targets().equals(here.targets()) and there.validation.equals(here.validation)
    assert there.agreement().equals(here.agreement()) and there.table.equals(here.table)


def _toy_files(folder: Path) -> list[str]:
    (folder / "model.yaml").write_text(toy.MODEL)
    (folder / "cascade.yaml").write_text(toy.CASCADE)
    (folder / "facts.yaml").write_text(toy.FACTS)
    return [
        "robustness",
        "--model",
        str(folder / "model.yaml"),
        "--cascade",
        str(folder / "cascade.yaml"),
        "--facts",
        str(folder / "facts.yaml"),
        "--targets",
        "A,B",
        "--top",
        "1",
        "--mode",
        "experimental",
        "--cells",
        "100000",
        "--contexts",
        "normoxia",
        "--samples",
        "50",
        "--tolerance",
        "0",
        "--json",
    ]


def _stored(path) -> int:
    if not os.path.exists(path):
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT COUNT(*) FROM arms").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def test_an_ensemble_killed_with_sigkill_computes_only_what_is_missing(tmp_path, capsys):
    args = [*_toy_files(tmp_path), "--draws", "6"]
    path = tmp_path / "killed.sqlite"
    code = "import sys; from metastasim.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args, "--store", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while _stored(path) < 10 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = _stored(path)
    assert main([*args, "--store", str(path)]) == 0
    resumed = json.loads(capsys.readouterr().out)
    total = _stored(path)
    assert 10 <= killed < total and resumed["computed"] == total - killed
    assert main([*args, "--store", str(tmp_path / "fresh.sqlite")]) == 0
    fresh = json.loads(capsys.readouterr().out)
    assert fresh["computed"] == total
    for key in ("targets", "draw_table", "kept", "dropped"):
        assert resumed[key] == fresh[key]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--draws", "0"], "--draws"),
        (["--top", "0"], "--top"),
        (["--targets", "A,NOPE"], "NOPE"),
        (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler"),
        (["--tolerance", "2"], "--tolerance"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, extra, message):
    args = _toy_files(tmp_path)
    before = sorted(os.listdir(tmp_path))
    out = tmp_path / "out"
    assert main([*args, "--store", str(tmp_path / "s.sqlite"), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == before


def test_a_bad_rate_in_the_model_file_is_one_line_naming_its_line(tmp_path, capsys):
    args = _toy_files(tmp_path)
    (tmp_path / "model.yaml").write_text(toy.MODEL.replace(f"k: {toy.K_NOMINAL}", "k: -1"))
    assert main([*args, "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.yaml:7:" in err
    assert not (tmp_path / "s.sqlite").exists()


def test_sensitivity_and_plots_of_an_ensemble(flip):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    result = flip
    s = result.sensitivity(["KO(A)"])
    # the effect is a smooth monotone function of k, the only uncertain number: it explains nearly all of it
    assert list(s["number"]) == ["rate:k"] and s["S1"].iloc[0] > 0.8
    ax = result.plot_rank_stability()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(result.targets().index)
    ax = result.plot_sensitivity(targets=["KO(A)"])
    assert ax.get_yticklabels()[0].get_text() == "rate:k"
    plt.close("all")


def test_the_5_95_range_keeps_minus_infinity_where_a_draw_leaves_no_metastasis():
    # numpy interpolates between -inf and a number as nan; any weight on -inf is -inf (none left)
    import numpy as np
    import pandas as pd

    from metastasim.robustness.result import _quantile

    effects = pd.DataFrame([[-np.inf, -np.inf, -1.0], [-3.0, -1.0, np.nan], [-2.0, -1.0, 0.0]])
    assert _quantile(effects, 0.05).tolist()[0] == -np.inf and _quantile(effects, 0.95).tolist()[0] == -np.inf
    assert _quantile(effects, 0.05).tolist()[1:] == pytest.approx([-2.9, -1.9])  # finite rows: as pandas
    assert _quantile(effects, 0.95).tolist()[1:] == pytest.approx(effects.iloc[1:].quantile(0.95, axis=1).tolist())
