"""Exceptions raised by metastasim.

Every error a user can cause derives from :class:`MetastasimError`; the CLI turns
each into one line on standard error and exit status 2.  Errors about a file carry
its path and, where known, the line, and print as ``path:line: message``.
"""

from __future__ import annotations

__all__ = [
    "MetastasimError",
    "ModelError",
    "ParseError",
    "UnknownNameError",
    "FeatureNotSupportedError",
    "RatesNotSupportedError",
    "InitialStateNotSupportedError",
    "SimulationError",
    "StoreError",
    "NothingToPlotError",
]


class MetastasimError(Exception):
    """Base class of every error metastasim raises on purpose."""


class ModelError(MetastasimError):
    """A model (or a file describing one) is invalid.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    path
        The file, if the model came from one.
    line
        The 1-based line in that file, if known.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.line is not None:
            where = f"{self.line}" + (f":{self.column}" if self.column is not None else "")
        if self.path is not None:
            where = self.path + (":" + where if where else "")
        elif where:
            where = "line " + where
        return (where + ": " if where else "") + self.message

    def located(self, path: str | None, line: int | None = None, column: int = 0) -> ModelError:
        """This error placed in a file.

        ``line`` and ``column`` say where the parsed snippet starts in the file: the
        error's own line and column (relative to the snippet) are shifted by them.
        """
        new_line, new_col = self.line, self.column
        if line is not None:
            new_line = line + (self.line - 1 if self.line is not None else 0)
            if new_col is not None and (self.line in (None, 1)):
                new_col = new_col + column
        return type(self)(self.message, path=path if path is not None else self.path, line=new_line, column=new_col)


class ParseError(ModelError):
    """The text of a model file or expression does not follow its grammar."""


class UnknownNameError(ModelError):
    """A node, parameter, drug or context name that does not exist."""


class FeatureNotSupportedError(MetastasimError):
    """Writing a model to a format that cannot hold part of it."""


class RatesNotSupportedError(FeatureNotSupportedError):
    """The target format cannot hold transition rates (bnet, SBML-qual)."""


class InitialStateNotSupportedError(FeatureNotSupportedError):
    """The target format cannot hold the model's initial-state probabilities."""


class SimulationError(MetastasimError):
    """Simulation settings are invalid (for example a negative ``max_time``)."""


class StoreError(MetastasimError):
    """A results store that cannot be used: not SQLite, not metastasim's, damaged, or an unknown run."""


class NothingToPlotError(MetastasimError, ValueError):
    """A plot asked of a result that lacks what it draws (synergy of a screen without pairs, final states not kept)."""
