"""Uncertain numbers in YAML files: a value, its plausible range and the reasoning behind it.

A model's rate parameter (``parameters:`` of a model file) or a cascade stage's constant
(``constants:`` of a cascade file) is written either as a plain number, whose range is
then the default (:func:`~metastasim.network.ranges.default_range`), or as a mapping::

    fast:
      value: 4.0
      range: [2.0, 8.0]
      why: Post-translational events take minutes (mean 15 min) ...

``range`` (optional) is ``[low, high]`` with ``low <= value <= high``: positive bounds for
a rate (drawn log-uniformly), bounds within [0, 1] for a probability (drawn uniformly).
``why`` (optional) says why the value and the range are what they are.  Errors name the
file and line.
"""

from __future__ import annotations

import math
from typing import Any

from metastasim.network.ranges import Range, default_range
from metastasim.network.rates import format_number

__all__ = ["UNCERTAIN_FIELDS", "read_uncertain", "uncertain_to_yaml"]

#: The keys of an uncertain number written as a mapping.
UNCERTAIN_FIELDS = ("value", "range", "why")


def read_uncertain(r, value: Any, what: str, line: int | None, *, probability: bool) -> tuple[float, Range | None]:
    """Read a plain number or a ``{value, range, why}`` mapping.

    Parameters
    ----------
    r
        The file's :class:`~metastasim.io.yaml.YamlReader` (its path goes into errors).
    value
        The parsed YAML value.
    what
        The number's name in errors (``parameter fast``, ``constant leave of stage invasion``).
    line
        Line of the number's key.
    probability
        A probability (uniform, bounds within [0, 1]) rather than a rate (log-uniform, positive bounds).

    Returns
    -------
    tuple
        The nominal value, and its :class:`~metastasim.network.ranges.Range`: declared
        (``declared=True``) when the file gives ``range``, the default carrying ``why`` when
        it gives only ``why``, ``None`` for a plain number.

    Raises
    ------
    ModelError
        With the file and line of the problem.
    """
    if not isinstance(value, dict):
        return r.number(value, what, line), None
    r.check_fields(value, UNCERTAIN_FIELDS, what)
    if "value" not in value:
        raise r.error(f"{what} needs a value (value: NUMBER, range: [LOW, HIGH], why: TEXT)", value.line)
    nominal = r.number(value["value"], f"value of {what}", value.lines["value"])
    why = r.text(value.get("why", ""), f"why of {what}", value.lines.get("why"))
    if "range" not in value:
        base = default_range(nominal, probability=probability) if why else None
        return nominal, base and Range(base.low, base.high, base.log, why, declared=False, line=value.line)
    range_line = value.lines["range"]
    bounds = value["range"]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise r.error(f"range of {what} must be [low, high], not {bounds!r}", range_line)
    low, high = (_bound(r, b, what, range_line) for b in bounds)
    if low > high:
        raise r.error(f"range of {what}: low {format_number(low)} is above high {format_number(high)}", range_line)
    if probability and (low < 0 or high > 1):
        raise r.error(f"range of {what} must lie within [0, 1], not [{_fmt(low)}, {_fmt(high)}]", range_line)
    if not probability and low <= 0:
        raise r.error(f"range of {what} must be positive (a rate), not [{_fmt(low)}, {_fmt(high)}]", range_line)
    if not low <= nominal <= high:
        raise r.error(f"value {_fmt(nominal)} of {what} is outside its range [{_fmt(low)}, {_fmt(high)}]", range_line)
    return nominal, Range(low, high, log=not probability, why=why, declared=True, line=range_line)


def _bound(r, value: Any, what: str, line: int | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise r.error(f"range of {what} must hold two numbers, not {value!r}", line)
    if not math.isfinite(value):
        raise r.error(f"range of {what} must hold finite numbers, not {value}", line)
    return float(value)


def _fmt(x: float) -> str:
    return format_number(x)


def _plain(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def uncertain_to_yaml(value: float, rng: Range | None) -> Any:
    """The YAML form of a number and its range: a plain number when nothing is declared."""
    if rng is None or (not rng.declared and not rng.why):
        return _plain(value)
    out: dict[str, Any] = {"value": _plain(value)}
    if rng.declared:
        out["range"] = [_plain(rng.low), _plain(rng.high)]
    if rng.why:
        out["why"] = rng.why
    return out
