"""Drugs: named sets of target perturbations with efficacies, and their doses.

A drug's efficacy on a target is the fraction of the target's activity it removes,
as inhibition assays report it.  A dose is the fraction of the drug's maximal effect,
in [0, 1]: an inhibition of efficacy ``e`` removes ``e * dose`` of the activity; a
knock-out (irreversible depletion) at a dose below 1 removes ``dose`` of it; an
activation fixes its target on at any positive dose.

Without a model the removed fraction is passed on as it is, ``Inhibit(node, e * dose)``
(the rate_up multiplier ``1 - e * dose``).  Given the model, it is converted through the
target's own rates: a node that turns on at ``u`` and is turned over at ``d`` while
induced is active a fraction ``u / (u + d)`` of the time, so removing a fraction ``f``
of that activity needs ``rate_up`` multiplied by ``p1 d / ((1 - p1) u)`` with
``p1 = (1 - f) u / (u + d)``.  (Multiplying ``rate_up`` by ``1 - f`` removes much less
than ``f`` of a target that is turned over slowly.)  For a graded target, whose rates
read other nodes, ``u`` and ``d`` are those of its fully induced state (every node its
rates read on).

Examples
--------
>>> cb839 = Drug("telaglenastat", (DrugTarget("GLS", "inhibit", 0.9),), aliases=("CB-839",))
>>> cb839.perturbations(dose=0.5)
(Inhibit(node='GLS', efficacy=0.45),)
>>> from metastasim.network import Model, Node, parse_rule, parse_rate
>>> m = Model()
>>> _ = m.add_node(Node("GLS", parse_rule("1"), parse_rate("4"), parse_rate("@logic ? 0.2 : 4")))
>>> e = cb839.perturbations(model=m)[0].efficacy   # removes 90% of GLS activity at steady state
>>> round(e, 4), round(4 * (1 - e) / (4 * (1 - e) + 0.2) / (4 / 4.2), 3)
(0.9947, 0.1)
>>> find_drug({"telaglenastat": cb839}, "cb-839").name
'telaglenastat'
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from metastasim.errors import ModelError, UnknownNameError
from metastasim.network.model import Model, Reference
from metastasim.network.perturbations import ForceOn, Inhibit, Knockout, Perturbation

__all__ = ["Drug", "DrugTarget", "find_drug", "parse_drug_dose", "ACTIONS"]

Action = Literal["inhibit", "knockout", "activate"]
ACTIONS = ("inhibit", "knockout", "activate")


@dataclass(frozen=True)
class DrugTarget:
    """One target of a drug: a node (id or HGNC symbol), what the drug does to it, how strongly."""

    node: str
    action: Action
    efficacy: float = 1.0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ModelError(f"drug action must be one of {', '.join(ACTIONS)}, not {self.action!r}")
        e = self.efficacy
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not math.isfinite(e) or not 0 < e <= 1:
            raise ModelError(f"efficacy on {self.node} must be in (0, 1], not {e!r}")


@dataclass(frozen=True)
class Drug:
    """A drug of the library."""

    name: str
    targets: tuple[DrugTarget, ...]
    aliases: tuple[str, ...] = ()
    drug_class: str = ""
    reference: Reference | None = None
    finding: str = ""
    note: str = ""

    def perturbations(self, dose: float = 1.0, *, model: Model | None = None) -> tuple[Perturbation, ...]:
        """The perturbations this drug causes at ``dose`` (fraction of its maximal effect).

        With ``model``, inhibitions remove the stated fraction of each target's steady
        activity in that model (see the module notes); target names may be symbols.
        """
        if (
            isinstance(dose, bool)
            or not isinstance(dose, (int, float))
            or not math.isfinite(dose)
            or not 0 <= dose <= 1
        ):
            raise ModelError(f"dose of {self.name} must be in [0, 1], not {dose!r}")
        out: list[Perturbation] = []
        for t in self.targets:
            if t.action == "inhibit":
                if dose > 0:
                    out.append(_inhibition(t.node, t.efficacy * dose, model))
            elif t.action == "knockout":
                if dose >= 1:
                    out.append(Knockout(t.node))
                elif dose > 0:
                    out.append(_inhibition(t.node, dose, model))
            elif dose > 0:
                out.append(ForceOn(t.node))
        return tuple(out)

    def describe(self, dose: float = 1.0) -> str:
        return self.name if dose == 1 else f"{self.name}={dose:g}"


def _inhibition(node: str, removed: float, model: Model | None) -> Inhibit:
    """An inhibition removing the fraction ``removed`` of ``node``'s steady activity in ``model``."""
    if model is None or removed >= 1:
        return Inhibit(node, removed)
    node_id = model.resolve(node)
    # a graded node (rates that read other nodes): the fraction is of its fully induced
    # activity, every node its rates read on
    u, _, d, _ = model.rate_values(node_id, dict.fromkeys(model.rate_reads(node_id), 1))
    if not (u > 0 and d > 0 and math.isfinite(u) and math.isfinite(d)):
        return Inhibit(node_id, removed)  # no turnover while induced: only the onset can be slowed
    p1 = (1 - removed) * u / (u + d)
    multiplier = p1 * d / ((1 - p1) * u)
    return Inhibit(node_id, min(1.0, max(0.0, 1 - multiplier)))


def find_drug(library: Mapping[str, Drug], name: str) -> Drug:
    """A drug by name or alias (case-insensitive).

    Raises
    ------
    UnknownNameError
        With the closest names in the library.
    """
    index = {}
    for drug in library.values():
        for label in (drug.name, *drug.aliases):
            index[label.lower()] = drug
    key = name.strip().lower()
    if key in index:
        return index[key]
    close = difflib.get_close_matches(key, list(index), n=4, cutoff=0.5)
    labels = sorted({index[c].name for c in close})
    hint = f"; did you mean {', '.join(labels)}?" if labels else f"; known drugs: {', '.join(sorted(library))}"
    raise UnknownNameError(f"unknown drug {name!r}{hint}")


def parse_drug_dose(text: str) -> tuple[str, float]:
    """``NAME`` or ``NAME=dose`` (dose in [0, 1]) as on the command line."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not name:
        raise ModelError(f"--drug takes NAME or NAME=DOSE, not {text!r}")
    if not sep:
        return name, 1.0
    try:
        dose = float(value)
    except ValueError:
        raise ModelError(f"--drug {text}: dose {value.strip()!r} is not a number") from None
    if not math.isfinite(dose) or not 0 <= dose <= 1:
        raise ModelError(f"--drug {text}: the dose is a fraction of the maximal effect, in [0, 1]")
    return name, dose
