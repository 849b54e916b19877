"""The results store: one SQLite file (WAL mode), no server.

A *run* is a screen's parameters with the model and cascade they apply to
(:func:`metastasim.screen.evaluate.run_key`); an *arm* row holds one arm's raw
outcomes, committed in its own transaction as soon as it is computed.  A screen
started again with the same parameters finds its run and skips the arms it has, so a
screen killed at any moment (even with SIGKILL) loses only the arms in flight: SQLite's
write-ahead log keeps the file consistent, and each commit is synced (``synchronous =
FULL``).

The file carries metastasim's application id; a file that is not SQLite, or an
SQLite database of something else, is refused with a clear error, never overwritten.

Examples
--------
>>> store = ResultStore(":memory:")
>>> run = store.run("abc", {"seed": 1}, model="m", model_hash="h", cascade_hash="c")
>>> store.finished(run)
set()
>>> store.close()
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
from pathlib import Path

from metastasim._version import __version__
from metastasim.errors import StoreError
from metastasim.network.perturbations import describe
from metastasim.screen.arms import Arm

__all__ = ["ResultStore", "APPLICATION_ID", "SCHEMA_VERSION", "StoredArm"]

#: ``PRAGMA application_id`` of a metastasim store ("MSIM").
APPLICATION_ID = 0x4D53494D
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE NOT NULL,
    created TEXT NOT NULL,
    model TEXT NOT NULL,
    model_hash TEXT NOT NULL,
    cascade_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    params TEXT NOT NULL,
    command TEXT NOT NULL DEFAULT ''
);
CREATE TABLE arms (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    dose REAL NOT NULL,
    members TEXT NOT NULL,
    perturbations TEXT NOT NULL,
    payload TEXT NOT NULL,
    elapsed REAL NOT NULL,
    finished TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
"""


class StoredArm(dict):
    """One arm as stored: ``key``, ``kind``, ``target``, ``dose``, ``members``, ``perturbations``, ``payload``."""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class ResultStore:
    """A metastasim results store at ``path`` (created if missing; ``":memory:"`` for a throw-away one).

    ``readonly``: open an existing store only to read it (``metastasim results``); a
    missing or empty file is then an error, not a new store.
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = str(path)
        self.readonly = readonly
        fresh = self.path == ":memory:" or not Path(self.path).exists() or Path(self.path).stat().st_size == 0
        if not fresh and not Path(self.path).is_file():
            raise StoreError(f"{self.path}: not a file")
        if readonly and fresh:
            raise StoreError(f"{self.path}: no results store here (missing or empty file)")
        if self.path != ":memory:" and not Path(self.path).resolve().parent.is_dir():
            raise StoreError(f"{self.path}: no such folder {str(Path(self.path).parent)!r}")
        try:
            if readonly:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)
            else:
                self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._check_or_create(fresh)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path}: not a metastasim results store ({exc}); "
                "refusing to write to it — name another file with --store"
            ) from None

    def _check_or_create(self, fresh: bool) -> None:
        db = self._db
        app = db.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app == 0 and not tables:
            if self.readonly:
                raise StoreError(f"{self.path}: an empty SQLite database, not a metastasim results store")
            fresh = True
        if not fresh:
            if app != APPLICATION_ID:
                raise StoreError(
                    f"{self.path}: an SQLite database of something else (tables: "
                    f"{', '.join(sorted(tables)) or 'none'}), not a metastasim results store; "
                    "refusing to write to it — name another file with --store"
                )
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: results store of schema version {version}; this metastasim "
                    f"reads version {SCHEMA_VERSION}"
                )
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok" or not {"runs", "arms"} <= tables:
                raise StoreError(
                    f"{self.path}: the results store is damaged ({check if check != 'ok' else 'tables missing'})"
                )
        if self.readonly:
            return
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        if fresh:
            # identity and schema in one transaction: a kill during creation leaves an empty database,
            # which the next open creates again
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0:  # nobody created it meanwhile
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -- runs ---------------------------------------------------------------------
    def run(self, key: str, params: dict, *, model: str, model_hash: str, cascade_hash: str, command: str = "") -> int:
        """The id of the run ``key``, created if it is new."""
        self._db.execute("BEGIN IMMEDIATE")  # one writer at a time: two screens starting one run get one row
        try:
            self._db.execute(
                "INSERT OR IGNORE INTO runs (key, created, model, model_hash, cascade_hash, version, params, command) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    _now(),
                    model,
                    model_hash,
                    cascade_hash,
                    __version__,
                    json.dumps(params, sort_keys=True),
                    command,
                ),
            )
            row = self._db.execute("SELECT id FROM runs WHERE key = ?", (key,)).fetchone()
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return int(row[0])

    def runs(self) -> list[dict]:
        """Every run, oldest first, with its number of finished arms."""
        rows = self._db.execute(
            "SELECT r.id, r.key, r.created, r.model, r.model_hash, r.version, r.params, r.command, COUNT(a.key) "
            "FROM runs r LEFT JOIN arms a ON a.run_id = r.id GROUP BY r.id ORDER BY r.id"
        ).fetchall()
        return [
            {
                "id": r[0],
                "key": r[1],
                "created": r[2],
                "model": r[3],
                "model_hash": r[4],
                "version": r[5],
                "params": json.loads(r[6]),
                "command": r[7],
                "arms": r[8],
            }
            for r in rows
        ]

    def find_run(self, name: str | int) -> dict:
        """A run by id or by a unique prefix of its key."""
        runs = self.runs()
        text = str(name).strip()
        hits = [r for r in runs if str(r["id"]) == text] or [r for r in runs if text and r["key"].startswith(text)]
        if len(hits) != 1:
            known = ", ".join(f"{r['id']} ({r['key'][:8]})" for r in runs) or "none"
            what = "no run" if not hits else "more than one run"
            raise StoreError(f"{self.path}: {what} matches {text!r}; runs: {known}")
        return hits[0]

    # -- arms ---------------------------------------------------------------------
    def finished(self, run_id: int) -> set[str]:
        """Keys of the arms of ``run_id`` already stored."""
        return {r[0] for r in self._db.execute("SELECT key FROM arms WHERE run_id = ?", (run_id,))}

    def add(self, run_id: int, arm: Arm, payload: dict, elapsed: float) -> None:
        """Store one arm's outcomes, committed at once (an arm already stored is kept as it is)."""
        row = (
            run_id,
            arm.key,
            arm.kind,
            arm.target,
            float(arm.dose),
            json.dumps(list(arm.members)),
            json.dumps([describe(p) for p in arm.perturbations]),
            json.dumps(payload, separators=(",", ":")),
            float(elapsed),
            _now(),
        )
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("INSERT OR IGNORE INTO arms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def arms(self, run_id: int, keys=None) -> list[StoredArm]:
        """Stored arms of ``run_id`` (all, or those of ``keys`` that are stored), in the order stored."""
        rows = self._db.execute(
            "SELECT key, kind, target, dose, members, perturbations, payload, elapsed "
            "FROM arms WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        ).fetchall()
        wanted = None if keys is None else set(keys)
        return [
            StoredArm(
                key=r[0],
                kind=r[1],
                target=r[2],
                dose=r[3],
                members=tuple(json.loads(r[4])),
                perturbations=tuple(json.loads(r[5])),
                payload=json.loads(r[6]),
                elapsed=r[7],
            )
            for r in rows
            if wanted is None or r[0] in wanted
        ]

    # -- closing ------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
