"""MaBoSS-format result files, the state entropy H, fixed points and statdist clusters, beside cmaboss.

The files are read back with readers written from MaBoSS's description of its
formats (``read_probtraj``, ``read_fp`` and the pandas calls pyMaBoSS makes); the
layout is compared with files that cmaboss writes for the same model, and the
numbers with cmaboss's (z-tests, |z| <= 4.5 as elsewhere).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metastasim.engine import simulate
from metastasim.engine.fixed_points import reached_fixed_points
from metastasim.engine.statdist import cluster_distributions, cluster_trajectories
from metastasim.errors import ModelError
from metastasim.io import parse_maboss
from metastasim.io.maboss_results import read_fp, read_probtraj, write_maboss_results

N = 5000
Z_MAX = 4.5
METASTASIM = Path(sys.executable).parent / "metastasim"

# a toggle switch (two attractors, U -- Z or V) with a fast internal oscillator I
SWITCH_BND = """
node U { logic = !V; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
node V { logic = !U; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
node Z { logic = U; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 2; }
node I { logic = !I; rate_up = @logic ? 3 : 0; rate_down = @logic ? 0 : 3; }
"""
SWITCH_CFG = """
time_tick = 0.1; max_time = 10; sample_count = {n}; thread_count = 1;
statdist_traj_count = {k}; statdist_cluster_threshold = 0.8;
U.istate = 0; V.istate = 0; Z.istate = 0; I.istate = 0; I.is_internal = 1;
U.refstate = 1; V.refstate = 0; Z.refstate = 1;
"""
# two fixed points, one with an internal node on
FP_BND = """
node A { logic = A; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
node H { logic = 1; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
node B { logic = A & H; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 1; }
"""
FP_CFG = """
time_tick = 0.5; max_time = 12; sample_count = {n}; thread_count = 1;
[A].istate = 0.3 [1], 0.7 [0]; H.istate = 0; B.istate = 0; H.is_internal = 1;
"""


def _files(tmp_path: Path, bnd: str, cfg: str) -> tuple[Path, Path]:
    (tmp_path / "m.bnd").write_text(bnd)
    (tmp_path / "m.cfg").write_text(cfg)
    return tmp_path / "m.bnd", tmp_path / "m.cfg"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """Our result on the fixed-point model, written as MaBoSS files."""
    folder = tmp_path_factory.mktemp("ours")
    model = parse_maboss(FP_BND, FP_CFG.format(n=N))
    result = simulate(model, seed=3, record_states=True, keep_final_states=True)
    fixed = reached_fixed_points(model, result)
    write_maboss_results(result, folder, "m", fixed_points=fixed)
    return result, fixed, folder


@pytest.fixture(scope="module")
def theirs(tmp_path_factory):
    """cmaboss's files for the same model."""
    cmaboss = pytest.importorskip("cmaboss")
    folder = tmp_path_factory.mktemp("theirs")
    bnd, cfg = _files(folder, FP_BND, FP_CFG.format(n=N))
    run = cmaboss.MaBoSSSim(network=str(bnd), configs=[str(cfg)]).run()
    run.display_probtraj(str(folder / "m_probtraj.csv"))
    run.display_fp(str(folder / "m_fp.csv"), False)
    return folder


def test_probtraj_reads_back_as_the_result(ours):
    result, _, folder = ours
    head, probs, errors = read_probtraj(folder / "m_probtraj.csv")
    table = result.state_probabilities()
    np.testing.assert_allclose(probs.index, result.times)
    np.testing.assert_allclose(probs[table.columns].to_numpy(), table.to_numpy(), atol=5e-7)
    np.testing.assert_allclose(head["H"], result.state_entropy, atol=5e-5)
    assert list(head.columns) == ["TH", "ErrorTH", "H", "HD=0"] and (head["HD=0"] == 1).all()
    assert head["TH"].isna().all()  # no transition entropy in this result
    p = table.to_numpy()
    np.testing.assert_allclose(errors[table.columns].to_numpy(), np.sqrt(p * (1 - p) / (N - 1)), atol=5e-7)


def test_entropy_is_that_of_the_window_distributions(ours):
    result = ours[0]
    p = result.state_probs
    manual = np.array([-sum(q * math.log2(q) for q in row if q > 0) for row in p])
    np.testing.assert_allclose(result.state_entropy, manual, rtol=1e-12)


def test_files_read_as_pymaboss_reads_them(ours):
    folder = ours[2]
    raw = pd.read_csv(folder / "m_probtraj.csv", sep="\t")
    first = list(raw.columns).index("State")
    assert list(raw.columns[:first]) == ["Time", "TH", "ErrorTH", "H", "HD=0"]
    assert (len(raw.columns) - first) % 3 == 0
    fp = pd.read_csv(folder / "m_fp.csv", sep="\t", skiprows=[0])
    assert list(fp.columns) == ["FP", "Proba", "State", "A", "H", "B"]
    assert fp["Proba"].sum() == pytest.approx(1.0)


def _layout(line: str) -> list[str]:
    """Each field's kind: a state name, a 4- or 6-decimal number, or other."""
    kinds = []
    for field in line.split("\t"):
        if re.fullmatch(r"-?\d+\.\d{4}|nan", field):
            kinds.append("f4")
        elif re.fullmatch(r"\d+\.\d{6}", field):
            kinds.append("f6")
        else:
            kinds.append("name")
    return kinds


def test_probtraj_layout_and_numbers_match_cmaboss(ours, theirs):
    result, _, folder = ours
    mine = (folder / "m_probtraj.csv").read_text().splitlines()
    ref = (theirs / "m_probtraj.csv").read_text().splitlines()
    assert len(mine) == len(ref)
    assert mine[0].split("\t")[:8] == ref[0].split("\t")[:8]
    assert set(mine[0].split("\t")) == set(ref[0].split("\t"))
    for a, b in zip(mine[1:], ref[1:]):
        assert _layout(a)[:5] == _layout(b)[:5] == ["f4"] * 5
        assert set(_layout(a)[5:]) <= {"name", "f6"} and set(_layout(b)[5:]) <= {"name", "f6"}
    _, p1, _ = read_probtraj(folder / "m_probtraj.csv")
    h2, p2, _ = read_probtraj(theirs / "m_probtraj.csv")
    assert set(p1.columns) == set(p2.columns) == {"<nil>", "A", "A -- B"}
    p2 = p2[p1.columns].to_numpy()
    se = np.sqrt((p1.to_numpy() * (1 - p1.to_numpy()) + p2 * (1 - p2)) / N)
    z = np.abs(p1.to_numpy() - p2) / np.maximum(se, 1e-9)
    assert z.max() <= Z_MAX
    # MaBoSS's H is the entropy (bits) of the window's state distribution, as ours
    h_from_probs = [-sum(q * math.log2(q) for q in row if q > 0) for row in p2]
    np.testing.assert_allclose(h2["H"], h_from_probs, atol=2e-4)


def test_fixed_points_match_cmaboss(ours, theirs):
    _, fixed, folder = ours
    mine, ref = read_fp(folder / "m_fp.csv"), read_fp(theirs / "m_fp.csv")
    assert (folder / "m_fp.csv").read_text().splitlines()[0] == "Fixed Points (2)"
    assert list(mine.columns) == list(ref.columns)
    assert set(mine["State"]) == set(ref["State"]) == {"H", "A -- H -- B"}
    for state in mine["State"]:
        p, q = (float(t.loc[t["State"] == state, "Proba"].iloc[0]) for t in (mine, ref))
        assert abs(p - q) <= Z_MAX * math.sqrt((p * (1 - p) + q * (1 - q)) / N)
    assert list(fixed.columns[2:]) == ["A", "H", "B"]


def test_statdist_clusters_match_cmaboss(tmp_path):
    cmaboss = pytest.importorskip("cmaboss")
    k = 300
    bnd, cfg = _files(tmp_path, SWITCH_BND, SWITCH_CFG.format(n=k, k=k))
    ref = cmaboss.MaBoSSSim(network=str(bnd), configs=[str(cfg)]).run()
    ref.display_statdist(str(tmp_path / "ref_statdist.csv"))
    ref_mean, _, ref_states, ref_err = ref.get_statdist_clusters_summary()
    ref_sizes = [len(c[1]) for c in ref.get_statdist_clusters()]
    result = simulate(parse_maboss(SWITCH_BND, SWITCH_CFG.format(n=k, k=k)), seed=5, record_states=True)
    mean, err = result.statdist_cluster_summary()
    assert len(mean) == len(ref_mean) == 2
    sizes = result.statdist_clusters().value_counts().sort_index().tolist()
    assert sum(sizes) == sum(ref_sizes) == k
    ref_table = pd.DataFrame(ref_mean, columns=ref_states)
    ref_errors = pd.DataFrame(ref_err, columns=ref_states)
    for c in range(len(mean)):  # match clusters by their most likely state
        top = mean.iloc[c].idxmax()
        r = int(ref_table[top].idxmax())
        for state in set(mean.columns) | set(ref_states):
            a = mean.iloc[c].get(state, 0.0)
            b = ref_table.iloc[r].get(state, 0.0)
            se = math.hypot(err.iloc[c].get(state, 0.0), ref_errors.iloc[r].get(state, 0.0))
            assert abs(a - b) <= Z_MAX * se, (top, state, a, b, se)
    # the file's sections, as cmaboss writes them
    write_maboss_results(result, tmp_path, "ours")
    ours_lines = (tmp_path / "ours_statdist.csv").read_text().splitlines()
    ref_lines = (tmp_path / "ref_statdist.csv").read_text().splitlines()
    heads = [line.split("\t")[0].split("[")[0] for line in ours_lines if not line.startswith("#")]
    ref_heads = [line.split("\t")[0].split("[")[0] for line in ref_lines if not line.startswith("#")]
    assert heads == ref_heads == ["Trajectory", "", "Trajectory", "", "Trajectory", "", "Cluster"]
    assert sum(line.startswith("#") for line in ours_lines) == sum(line.startswith("#") for line in ref_lines)


def test_clustering_is_the_closure_of_the_similarity_relation():
    probs = np.array([[0.5, 0.5, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    # similarities: (0,1) = 0.5 * 0.9 = 0.45; (1,2) = 0.1 * 1 = 0.1; (0,3) = 0.5 * 1 = 0.5
    assert cluster_trajectories(probs, 0.45).tolist() == [1, 1, 2, 1]
    assert cluster_trajectories(probs, 0.5).tolist() == [1, 2, 3, 1]
    assert cluster_trajectories(probs, 0.05).tolist() == [1, 1, 1, 1]
    mean, error = cluster_distributions(probs[:2], np.array([1, 1]))
    np.testing.assert_allclose(mean, [[0.25, 0.7, 0.05]])
    np.testing.assert_allclose(error, [np.std(probs[:2], axis=0, ddof=1) / math.sqrt(2)])


def test_statdist_settings_are_read_and_checked():
    model = parse_maboss(SWITCH_BND, SWITCH_CFG.format(n=10, k=4))
    assert model.settings.statdist_traj_count == 4 and model.settings.statdist_cluster_threshold == 0.8
    with pytest.raises(ModelError, match="statdist_cluster_threshold") as caught:
        parse_maboss(SWITCH_BND, "statdist_cluster_threshold = 2;", cfg_paths=["bad.cfg"])
    assert caught.value.line == 1


def test_cli_writes_maboss_files_named_after_the_model(tmp_path):
    bnd, cfg = _files(tmp_path, FP_BND, FP_CFG.format(n=500))
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(METASTASIM), "simulate", str(bnd), "--cfg", str(cfg), "--out", str(out), "--format", "maboss"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "m_fp.csv",
        "m_observed_durations.csv",
        "m_observed_graph.csv",
        "m_probtraj.csv",
        "m_statdist.csv",
    ]
    # no node in_graph: the observed graph's files are empty, as MaBoSS leaves them
    assert (out / "m_observed_graph.csv").read_text() == (out / "m_observed_durations.csv").read_text() == ""
    assert read_fp(out / "m_fp.csv")["Proba"].sum() == pytest.approx(1.0)
    assert (out / "m_statdist.csv").read_text() == ""  # no statdist_traj_count: empty, as MaBoSS


# two observed nodes of a small cycle (as in tests/engine/test_entropy_graph.py)
GRAPH_BND = """
Node A { logic = !C; rate_up = @logic ? 2 : 0; rate_down = @logic ? 0 : 1; }
Node B { logic = A; rate_up = @logic ? 1.5 : 0; rate_down = @logic ? 0 : 0.7; }
Node C { logic = A & B; rate_up = @logic ? 1 : 0; rate_down = @logic ? 0 : 0.5; }
"""
GRAPH_CFG = "A.istate = -1; B.istate = 0; C.istate = 0; A.in_graph = TRUE; B.in_graph = 1; max_time = 5;"


def test_observed_graph_files_read_back_with_maboss_state_names(tmp_path):
    model = parse_maboss(GRAPH_BND, GRAPH_CFG)
    result = simulate(model, sample_count=2000, seed=2)
    write_maboss_results(result, tmp_path, "m")
    counts = pd.read_csv(tmp_path / "m_observed_graph.csv", sep="\t", index_col=0)
    durations = pd.read_csv(tmp_path / "m_observed_durations.csv", sep="\t", index_col=0)
    pd.testing.assert_frame_equal(counts, result.observed_graph(), check_names=False, check_dtype=False)
    np.testing.assert_allclose(durations.to_numpy(), result.observed_durations().to_numpy(), rtol=1e-5)
    assert counts.to_numpy().sum() > 0 and np.all(np.diag(counts.to_numpy()) == 0)
    cmaboss = pytest.importorskip("cmaboss")
    bnd, cfg = _files(tmp_path, GRAPH_BND, GRAPH_CFG + " sample_count = 200;")
    _, labels = cmaboss.MaBoSSSim(network=str(bnd), configs=[str(cfg)]).run().get_observed_graph()
    assert list(counts.columns) == list(counts.index) == list(labels)
