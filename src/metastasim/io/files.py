"""Reading text files with clear errors, and writing files atomically.

Shared by every layer that reads a user's file (models, cascades, facts) or writes results
(the CLI's ``--out`` folders, the report): a file is either read with one clear error or
written whole, never half.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from metastasim.errors import MetastasimError, ModelError

__all__ = ["read_text", "atomic_write", "atomic_write_text", "atomic_write_many", "write_folder"]


def read_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of a model file (a BOM is dropped; line ends normalised).

    Raises
    ------
    ModelError
        If the file is missing, unreadable, binary, or not UTF-8.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ModelError("no such file", path=str(path)) from None
    except IsADirectoryError:
        raise ModelError("is a directory, not a model file", path=str(path)) from None
    except OSError as exc:
        raise ModelError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ModelError("binary data (a NUL byte): this is not a text model file", path=str(path), line=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ModelError("not UTF-8 text (is this a binary file?)", path=str(path), line=line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once: changing the umask is not thread-safe


def _umask_mode(mode: int) -> int:
    return mode & ~_UMASK


def _temp_file(folder: Path, name: str, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode(0o666))  # mkstemp's 0600 would hide results from the group
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _writable_target(target: Path) -> None:
    if target.exists() and not target.is_file():
        raise MetastasimError(f"{target}: exists and is not a regular file")


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The bytes go to a temporary file in the same folder, which then replaces
    ``path``; if anything fails, ``path`` is untouched and the temporary file removed.
    """
    target = Path(path)
    _writable_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_file(target.parent, target.name, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write` for UTF-8 text."""
    atomic_write(path, text.encode("utf-8"))


def write_folder(folder: str | os.PathLike, files: Mapping[str, str | bytes], *, stale: tuple[str, ...] = ()) -> None:
    """Write several files into ``folder``, all or nothing as far as the file system allows.

    A new folder is filled under a temporary name and renamed into place.  Into an
    existing folder, every file is first written to a temporary file beside its
    target, and the targets are replaced only once all are written; then the files
    named in ``stale`` that this write did not produce (left by an earlier run) are
    removed, so the folder never mixes two runs.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise MetastasimError(f"{folder}: exists and is not a folder")
    payload = {name: data.encode("utf-8") if isinstance(data, str) else data for name, data in files.items()}
    for name in payload:
        _writable_target(folder / name)
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            for name, data in payload.items():
                os.replace(_temp_file(staging, name, data), staging / name)
            os.chmod(staging, _umask_mode(0o777))
            os.rename(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return
    atomic_write_many({folder / name: data for name, data in payload.items()})
    for name in stale:
        if name not in payload:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()


def atomic_write_many(files: Mapping[str | os.PathLike, str | bytes]) -> None:
    """Write several files (anywhere): all are written to temporary files first, then each
    replaces its target, so a failure while writing leaves every target untouched."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            target = Path(path)
            _writable_target(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            payload = data.encode("utf-8") if isinstance(data, str) else data
            temps.append((_temp_file(target.parent, target.name, payload), target))
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
