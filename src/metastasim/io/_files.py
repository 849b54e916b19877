"""Reading text files with clear errors, and writing files atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from metastasim.errors import ModelError

__all__ = ["read_text", "atomic_write", "atomic_write_text"]


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


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The bytes go to a temporary file in the same folder, which then replaces
    ``path``; if anything fails, ``path`` is untouched and the temporary file removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write` for UTF-8 text."""
    atomic_write(path, text.encode("utf-8"))
