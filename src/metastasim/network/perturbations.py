"""Perturbations as frozen values.

They never modify a model: the engine turns them into masks on its compiled arrays,
so parallel workers can share one model.

- :class:`Knockout` fixes a node at 0 (also at time 0);
- :class:`ForceOn` fixes a node at 1 (over-expression);
- :class:`Inhibit` multiplies the node's ``rate_up`` by ``1 - efficacy``;
- :class:`SetInput` fixes an input node at 0 or 1 (a microenvironment setting).

Examples
--------
>>> parse_perturbation("ko", "TP53")
Knockout(node='TP53')
>>> Inhibit("MTOR", 0.8).efficacy
0.8
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union

from metastasim.errors import ModelError

if TYPE_CHECKING:
    from metastasim.network.model import Model

__all__ = [
    "Knockout", "ForceOn", "Inhibit", "SetInput", "Perturbation",
    "resolve_perturbations", "parse_perturbation", "describe",
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
        if self.value not in (0, 1) or isinstance(self.value, float) and not self.value.is_integer():
            raise ModelError(f"input {self.node} can be set to 0 or 1, not {self.value!r}")
        object.__setattr__(self, "value", int(self.value))


Perturbation = Union[Knockout, ForceOn, Inhibit, SetInput]


def describe(p: Perturbation) -> str:
    """Short text: ``KO(X)``, ``OE(X)``, ``inhibit(X=0.8)``, ``X=1``."""
    if isinstance(p, Knockout):
        return f"KO({p.node})"
    if isinstance(p, ForceOn):
        return f"OE({p.node})"
    if isinstance(p, Inhibit):
        return f"inhibit({p.node}={p.efficacy:g})"
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


def resolve_perturbations(model: "Model", perturbations) -> tuple[Perturbation, ...]:
    """Check perturbations against ``model`` and name their nodes by id.

    A node may be given by id or by HGNC symbol.  Two perturbations fixing the same
    node to different values are an error.

    Raises
    ------
    UnknownNameError
        A node that is not in the model.
    ModelError
        ``SetInput`` on a node that is not an input, or conflicting perturbations.
    """
    resolved: list[Perturbation] = []
    fixed: dict[str, tuple[int, str]] = {}
    for p in perturbations:
        if not isinstance(p, (Knockout, ForceOn, Inhibit, SetInput)):
            raise ModelError(f"not a perturbation: {p!r}")
        node_id = model.resolve(p.node)
        if isinstance(p, SetInput) and not model.nodes[node_id].is_input:
            raise ModelError(f"{node_id} is not an input node: use a knock-out or over-expression instead")
        q = type(p)(node_id, *[getattr(p, f) for f in ("efficacy", "value") if hasattr(p, f)])
        if isinstance(q, (Knockout, ForceOn, SetInput)):
            value = 0 if isinstance(q, Knockout) else 1 if isinstance(q, ForceOn) else q.value
            if node_id in fixed and fixed[node_id][0] != value:
                raise ModelError(f"conflicting perturbations of {node_id}: {fixed[node_id][1]} and {describe(q)}")
            fixed[node_id] = (value, describe(q))
        if q not in resolved:
            resolved.append(q)
    return tuple(resolved)

