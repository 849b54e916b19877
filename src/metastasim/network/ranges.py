"""Plausible ranges of a model's uncertain numbers: rate parameters and pass probabilities.

A :class:`Range` says which values of a number are as plausible as its nominal one, and
how to spread draws over them: log-uniformly for a rate (a time scale is as uncertain
by a factor of two up as down), uniformly for a probability.  Robustness ensembles
(:mod:`metastasim.robustness`) draw each number from its range.

Examples
--------
>>> r = default_range(4.0)
>>> r.low, r.high, r.log
(2.0, 8.0, True)
>>> [float(v) for v in r.scale([0.0, 0.5, 1.0])]
[2.0, 4.0, 8.0]
>>> default_range(0.8, probability=True).high
1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metastasim.errors import ModelError

__all__ = ["Range", "default_range", "DEFAULT_FACTOR"]

#: Undeclared numbers are taken as plausible within this factor of their nominal value.
DEFAULT_FACTOR = 2.0


@dataclass(frozen=True)
class Range:
    """The plausible values ``[low, high]`` of a number, and how draws spread over them.

    Attributes
    ----------
    low, high
        Bounds (``low <= high``; both positive when ``log``).
    log
        Draw log-uniformly (rates) rather than uniformly (probabilities).
    why
        The reasoning behind the bounds, with its references.
    declared
        Whether the model file states this range (False: the default).
    line
        Line of the declaration in its file, for error messages.
    """

    low: float
    high: float
    log: bool = True
    why: str = ""
    declared: bool = False
    line: int | None = None

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ModelError(f"a range's {name} must be a finite number, not {value!r}")
        if self.low > self.high:
            raise ModelError(f"a range's low ({self.low:g}) is above its high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ModelError(f"a log-uniform range must be positive, not [{self.low:g}, {self.high:g}]")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the range."""
        return self.low <= value <= self.high

    def scale(self, u: Sequence[float] | np.ndarray) -> np.ndarray:
        """Map points of ``[0, 1]`` onto the range: log-uniformly or uniformly."""
        u = np.asarray(u, dtype=float)
        if self.log:
            return self.low * (self.high / self.low) ** u
        return self.low + u * (self.high - self.low)


def default_range(value: float, *, probability: bool = False) -> Range:
    """The range of an undeclared number: ``value`` divided or multiplied by 2.

    A rate is drawn log-uniformly in ``[value / 2, value * 2]``; a probability uniformly
    in ``[value / 2, min(1, value * 2)]``; a zero stays zero.
    """
    if value == 0:
        return Range(0.0, 0.0, log=False)
    if probability:
        return Range(value / DEFAULT_FACTOR, min(1.0, value * DEFAULT_FACTOR), log=False)
    if value < 0:
        raise ModelError(f"a rate parameter must not be negative, not {value:g}")
    return Range(value / DEFAULT_FACTOR, value * DEFAULT_FACTOR, log=True)
