"""Same seed, same numbers: in this process, on a two-process LocalCluster, and on a scheduler and workers
started as separate ``dask scheduler`` / ``dask worker`` processes on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metastasim.cascade import load_cascade
from metastasim.cli import main
from metastasim.models import load_drugs, load_model
from metastasim.screen import ScreenParams, pairs, run_screen, singles

# the spontaneous mode by splitting (resampled clones, replicates), the experimental one cell by cell
PARAMS = ScreenParams(
    modes=("spontaneous", "experimental"),
    cells=100_000,
    spontaneous_cells=3000,
    replicates=3,
    contexts=("normoxia", "primary"),
    samples=300,
    seed=11,
)
TARGETS = ["ATF4", "GLS", "XBP1", "telaglenastat"]


def _payloads(result) -> dict:
    return {a["key"]: a["payload"] for a in result.arms}


def test_a_local_cluster_of_two_worker_processes_gives_the_in_process_numbers(tmp_path):
    from dask.distributed import Client, LocalCluster

    model, drugs, spec = load_model(), load_drugs(), load_cascade()
    arms = singles(model, drugs, TARGETS)
    arms += pairs(model, arms)
    here = run_screen(model, spec, arms, PARAMS, store=str(tmp_path / "here.sqlite"))
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        there = run_screen(model, spec, arms, PARAMS, store=str(tmp_path / "there.sqlite"), client=client)
        assert len(client.scheduler_info()["workers"]) == 2
    assert there.computed == len(arms) + 1
    assert _payloads(here) == _payloads(there)
    assert here.ranking().equals(there.ranking())
    assert here.synergy().equals(there.synergy())
    assert here.stage_effects().equals(there.stage_effects()) and len(here.stage_effects())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # 13 s; the two-process LocalCluster test above checks the same numbers in the default suite
def test_separate_scheduler_and_worker_processes_on_loopback(tmp_path, capsys):
    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        pytest.fail(f"{dask} is missing: dask.distributed is a dependency")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [str(dask), "worker", address, "--nthreads", "1", "--no-dashboard"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    cwd=tmp_path,
                )
            )
        from dask.distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        args = [
            "screen",
            "--targets",
            ",".join(TARGETS),
            "--cells",
            "100000",
            "--spontaneous-cells",
            "3000",
            "--replicates",
            "3",
            "--contexts",
            "normoxia",
            "--samples",
            "300",
            "--seed",
            "11",
            "--json",
        ]
        assert main([*args, "--store", str(tmp_path / "remote.sqlite"), "--scheduler", address]) == 0
        remote = json.loads(capsys.readouterr().out)
        assert main([*args, "--store", str(tmp_path / "local.sqlite")]) == 0
        local = json.loads(capsys.readouterr().out)
    finally:
        for p in reversed(procs):
            p.terminate()
        deadline = time.monotonic() + 20
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
    assert remote["computed"] == len(TARGETS) + 1
    assert remote["ranking"] == local["ranking"]


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{_free_port()}"
    code = main(
        [
            "screen",
            "--targets",
            "ATF4",
            "--cells",
            "1000",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--scheduler",
            address,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and address in err and "Traceback" not in err
