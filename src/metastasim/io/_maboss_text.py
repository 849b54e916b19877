"""Lexing shared by the MaBoSS ``.bnd`` and ``.cfg`` readers.

Both file kinds have ``/* */``, ``//`` and line-start ``#`` comments, ``;``-terminated
statements, and values that are rate expressions over ``$parameters``; errors name the
file, line and column of the value.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field

from metastasim.errors import ModelError, ParseError
from metastasim.network.rates import parse_rate

_IDENT = r"[A-Za-z_]\w*"


class _Lines:
    """Line numbers of offsets in a text."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)

    def column(self, pos: int) -> int:
        return pos - self.starts[self.line(pos) - 1] + 1


def _strip_comments(text: str) -> str:
    """Blank out comments (keeping line breaks and string contents)."""
    out = list(text)
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            at_line_start = False
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
            continue
        if (c == "/" and text.startswith("//", i)) or (c == "#" and at_line_start):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
            continue
        if c == "\n":
            at_line_start = True
        elif not c.isspace():
            at_line_start = False
        i += 1
    return "".join(out)


def _statements(text: str, lines: _Lines, path: str | None):
    """Yield ``(statement_text, start_offset)`` for each ``;``-terminated statement."""
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return
        j = pos
        while j < n and text[j] != ";":
            if text[j] == '"':
                j += 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
            j += 1
        if j >= n:
            raise ParseError(f"missing ';' after {text[pos:].strip()[:40]!r}", path=path, line=lines.line(pos))
        yield text[pos:j], pos
        pos = j + 1


def _located(exc: ModelError, path: str | None, line: int, column: int = 0) -> ModelError:
    return exc.located(path, line, column - 1 if column else 0)


def _eval_value(text: str, params: dict[str, float], path, line, col) -> float:
    try:
        return parse_rate(text).evaluate(params, logic=False)
    except ModelError as exc:
        raise _located(exc, path, line, col) from None


def _finite(value: float, what: str, path, line) -> float:
    if not math.isfinite(value):
        raise ModelError(f"{what} is {value:g}: it must be a finite number", path=path, line=line)
    return value


@dataclass
class _Params:
    """Parameter values and where each was last defined."""

    values: dict[str, float] = field(default_factory=dict)
    where: dict[str, tuple[str | None, int]] = field(default_factory=dict)

    def define(self, name: str, text: str, path, line, col) -> None:
        self.values[name] = _eval_value(text, self.values, path, line, col)
        self.where[name] = (path, line)
