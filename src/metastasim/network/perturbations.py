"""Perturbations as frozen values.

They never modify a model: the engine turns them into masks on its compiled arrays,
so parallel workers can share one model.

- :class:`Knockout` fixes a node at 0 (also at time 0);
- :class:`ForceOn` fixes a node at 1 (over-expression);
- :class:`Inhibit` multiplies the node's ``rate_up`` by ``1 - efficacy``;
- :class:`SetInput` fixes an input node at 0 or 1 (a microenvironment setting);
- :class:`Schedule` sets a node at given times: on with a given probability, else
  off (MaBoSS's ``X.schedule = t1:v1, t2:v2;``); between those times it follows its rule.

Examples
--------
>>> parse_perturbation("ko", "TP53")
Knockout(node='TP53')
>>> Inhibit("MTOR", 0.8).efficacy
0.8
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from metastasim.errors import ModelError

if TYPE_CHECKING:
    from metastasim.network.model import Model

__all__ = [
    "Knockout",
    "ForceOn",
    "Inhibit",
    "SetInput",
    "Schedule",
    "Perturbation",
    "resolve_perturbations",
    "parse_perturbation",
    "describe",
    "context_perturbations",
]


@dataclass(frozen=True)
class Knockout:
    node: str


@dataclass(frozen=True)
class ForceOn:
    node: str


@dataclass(frozen=True)
class Inhibit:
    node: str
    efficacy: float

    def __post_init__(self) -> None:
        e = self.efficacy
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not math.isfinite(e) or not 0 <= e <= 1:
            raise ModelError(f"inhibition efficacy of {self.node} must be a number in [0, 1], not {e!r}")
        object.__setattr__(self, "efficacy", float(e))


@dataclass(frozen=True)
class SetInput:
    node: str
    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or self.value not in (0, 1):
            raise ModelError(f"input {self.node} can be set to 0 or 1, not {self.value!r}")
        object.__setattr__(self, "value", int(self.value))


@dataclass(frozen=True)
class Schedule:
    """Scheduled changes of a node: at each time ``t`` it is set on with probability ``v``, else off.

    Parameters
    ----------
    node
        The node.
    changes
        ``((t1, v1), (t2, v2), ...)``: times strictly increasing, at least 0 (and
        before the run's ``max_time``, checked when simulating), values in [0, 1].
        Each trajectory draws its own value at each time; between the times the
        node follows its rule and rates as usual.

    Examples
    --------
    >>> Schedule("TNF", ((20, 0.1), (40, 0.9)))
    Schedule(node='TNF', changes=((20.0, 0.1), (40.0, 0.9)))
    """

    node: str
    changes: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        try:
            changes = tuple((float(t), float(v)) for t, v in self.changes)
        except (TypeError, ValueError):
            raise ModelError(f"schedule of {self.node} must be pairs (time, value), not {self.changes!r}") from None
        if not changes:
            raise ModelError(f"schedule of {self.node} is empty")
        last = -math.inf
        for t, v in changes:
            if not math.isfinite(t) or t < 0:
                raise ModelError(f"schedule of {self.node}: time {t:g} must be a finite number at least 0")
            if t <= last:
                raise ModelError(f"schedule of {self.node}: times must increase, but {t:g} follows {last:g}")
            if not 0 <= v <= 1:
                raise ModelError(f"schedule of {self.node}: the value at time {t:g} must be in [0, 1], not {v:g}")
            last = t
        object.__setattr__(self, "changes", changes)


Perturbation = Knockout | ForceOn | Inhibit | SetInput | Schedule


def describe(p: Perturbation) -> str:
    """Short text: ``KO(X)``, ``OE(X)``, ``inhibit(X=0.8)``, ``X=1``, ``schedule(X=20:0.1,40:0.9)``."""
    if isinstance(p, Knockout):
        return f"KO({p.node})"
    if isinstance(p, ForceOn):
        return f"OE({p.node})"
    if isinstance(p, Inhibit):
        return f"inhibit({p.node}={p.efficacy:g})"
    if isinstance(p, Schedule):
        return f"schedule({p.node}={','.join(f'{t:g}:{v:g}' for t, v in p.changes)})"
    return f"{p.node}={p.value}"


def parse_perturbation(kind: Literal["ko", "oe", "inhibit", "set"], text: str) -> Perturbation:
    """Build a perturbation from CLI-style text: ``X`` for ``ko``/``oe``, ``X=0.8``, ``INPUT=1``."""
    text = text.strip()
    if kind in ("ko", "oe"):
        if not text or "=" in text:
            raise ModelError(f"--{kind} takes a node name, not {text!r}")
        return Knockout(text) if kind == "ko" else ForceOn(text)
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ModelError(f"--{kind} takes NODE=VALUE, not {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise ModelError(f"--{kind} {text}: {value.strip()!r} is not a number") from None
    if kind == "inhibit":
        return Inhibit(name, number)
    if number not in (0.0, 1.0):
        raise ModelError(f"--set {text}: an input can be set to 0 or 1 only")
    return SetInput(name, int(number))


_FIXING = (Knockout, ForceOn, SetInput)


def _fixed_value(p: Perturbation) -> int:
    return 0 if isinstance(p, Knockout) else 1 if isinstance(p, ForceOn) else p.value


def resolve_perturbations(
    model: Model, perturbations, *, with_model: bool = True, context: str | None = None
) -> tuple[Perturbation, ...]:
    """Check perturbations against ``model`` and name their nodes by id.

    A node may be given by id or by HGNC symbol.  The model's own perturbations
    (``model.perturbations``, e.g. mutations set in a MaBoSS ``.cfg``; skipped if
    ``with_model`` is false) and the input settings of ``context`` come first; a
    knock-out, over-expression, input setting or schedule given here replaces one of those on
    the same node.  Several inhibitions of one node combine as independent actions
    (Bliss): efficacy ``1 - (1 - e1)(1 - e2)…``.

    Raises
    ------
    UnknownNameError
        A node that is not in the model.
    ModelError
        ``SetInput`` on a node that is not an input, or two perturbations given here
        that fix the same node to different values.
    """

    def resolve_one(p) -> Perturbation:
        if not isinstance(p, (Knockout, ForceOn, Inhibit, SetInput, Schedule)):
            raise ModelError(f"not a perturbation: {p!r}")
        node_id = model.resolve(p.node)
        if isinstance(p, SetInput) and not model.nodes[node_id].is_input:
            raise ModelError(f"{node_id} is not an input node: use a knock-out or over-expression instead")
        return replace(p, node=node_id)

    given = [resolve_one(p) for p in perturbations]
    fixed: dict[str, Perturbation] = {}
    for p in given:
        if isinstance(p, _FIXING):
            if p.node in fixed and _fixed_value(fixed[p.node]) != _fixed_value(p):
                raise ModelError(f"conflicting perturbations of {p.node}: {describe(fixed[p.node])} and {describe(p)}")
            fixed.setdefault(p.node, p)
    inherited = [
        resolve_one(p)
        for p in (tuple(model.perturbations) if with_model else ()) + context_perturbations(model, context)
    ]
    inherited = [p for p in inherited if not (isinstance(p, _FIXING) and p.node in fixed)]
    scheduled = {p.node for p in given if isinstance(p, Schedule)}
    if len(scheduled) < sum(isinstance(p, Schedule) for p in given):
        raise ModelError("a node can have one schedule only")
    inherited = [p for p in inherited if not (isinstance(p, Schedule) and p.node in scheduled)]

    resolved: list[Perturbation] = []
    inhibited: dict[str, int] = {}
    for p in inherited + given:
        if isinstance(p, Inhibit):
            if p.node in inhibited:
                k = inhibited[p.node]
                combined = 1.0 - (1.0 - resolved[k].efficacy) * (1.0 - p.efficacy)
                resolved[k] = Inhibit(p.node, combined)
                continue
            inhibited[p.node] = len(resolved)
        elif p in resolved:
            continue
        resolved.append(p)
    return tuple(resolved)


def context_perturbations(model: Model, name: str | None) -> tuple[SetInput, ...]:
    """The input settings of a context of ``model`` (none for ``None``)."""
    if name is None:
        return ()
    return tuple(SetInput(node, int(value)) for node, value in model.context(name).inputs.items())
