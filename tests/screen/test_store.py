"""The results store: resume, a real SIGKILL of a real screen, and refusing files that are not ours."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from metastasim.cli import main
from metastasim.errors import StoreError
from metastasim.screen.arms import CONTROL
from metastasim.screen.store import APPLICATION_ID, ResultStore

SCREEN = [
    "screen",
    "--targets",
    "ITGB1,ATF4,EIF2AK3,PTK2,ASNS,MYC,GLS,XBP1,HIF1A,telaglenastat,ISRIB",
    "--mode",
    "experimental",
    "--cells",
    "150000",
    "--contexts",
    "normoxia",
    "--samples",
    "200",
    "--json",
]


def _stored(path) -> int:
    if not os.path.exists(path):
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT COUNT(*) FROM arms").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        db.close()


def _screen_json(capsys, *args) -> dict:
    assert main([*SCREEN, *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_screen_killed_with_sigkill_resumes_and_gives_the_uninterrupted_numbers(tmp_path, capsys):
    path = tmp_path / "killed.sqlite"
    code = "import sys; from metastasim.cli import main; sys.exit(main(sys.argv[1:]))"
    total = len(SCREEN[2].split(",")) + 1
    kills = []
    for wait_for in (1, 5):  # kill once early, once mid-screen: each time the file must stay sound
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *SCREEN, "--store", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while _stored(path) < wait_for and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        kills.append(_stored(path))
    assert 1 <= kills[0] <= kills[1] < total
    resumed = _screen_json(capsys, "--store", str(path))
    assert resumed["computed"] == total - kills[1]  # nothing finished before the kill is computed again
    fresh = _screen_json(capsys, "--store", str(tmp_path / "fresh.sqlite"))
    assert fresh["computed"] == total
    assert resumed["ranking"] == fresh["ranking"]
    again = _screen_json(capsys, "--store", str(path))
    assert again["computed"] == 0 and again["ranking"] == fresh["ranking"]


def test_store_keeps_runs_apart_and_lists_them(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        a = store.run("k1", {"cells": 5}, model="m", model_hash="h", cascade_hash="c")
        b = store.run("k2", {"cells": 6}, model="m", model_hash="h", cascade_hash="c")
        assert a != b and store.run("k1", {}, model="m", model_hash="h", cascade_hash="c") == a
        store.add(a, CONTROL, {"modes": {}}, 0.1)
        store.add(a, CONTROL, {"modes": {"x": 1}}, 0.2)  # a stored arm is never replaced
        assert store.finished(a) == {"control"} and store.finished(b) == set()
        assert store.arms(a)[0]["payload"] == {"modes": {}}
        assert [r["arms"] for r in store.runs()] == [1, 0]
        assert store.find_run("k2")["id"] == b
        with pytest.raises(StoreError, match="no run matches"):
            store.find_run("zz")
    db = sqlite3.connect(tmp_path / "r.sqlite")
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


@pytest.mark.parametrize("content", ["text", "foreign", "damaged"])
def test_a_file_that_is_not_our_store_is_refused_and_left_as_it_was(tmp_path, capsys, content):
    path = tmp_path / "other.db"
    if content == "text":
        path.write_text("gene\tscore\nATF4\t1\n" * 200)
    else:
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE samples (id INTEGER, name TEXT)")
        db.executemany("INSERT INTO samples VALUES (?, ?)", [(i, "x" * 50) for i in range(2000)])
        db.commit()
        db.close()
        if content == "damaged":  # our store, then its pages overwritten
            path.unlink()
            ResultStore(path).close()
            with ResultStore(path) as store:
                store.add(
                    store.run("k", {}, model="m", model_hash="h", cascade_hash="c"), CONTROL, {"x": "y" * 20_000}, 0.0
                )
            data = bytearray(path.read_bytes())
            data[4096:12288] = b"\x13" * 8192
            path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a metastasim results store|damaged"):
        ResultStore(path)
    assert main([*SCREEN, "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err
    assert main(["results", "--store", str(path)]) == 2
    assert path.read_bytes() == before


def test_results_never_writes_into_the_store(tmp_path, capsys):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    assert main(["results", "--store", str(empty)]) == 2
    assert "no results store" in capsys.readouterr().err and empty.stat().st_size == 0
    blank = tmp_path / "blank.sqlite"
    sqlite3.connect(blank).close()
    assert main(["results", "--store", str(blank)]) == 2 and blank.stat().st_size == 0
