"""Drugs: named sets of target perturbations with efficacies, and their doses.

A dose is the fraction of the drug's maximal effect, in [0, 1]: an inhibition of
efficacy ``e`` becomes ``Inhibit(node, e * dose)``; a knock-out (irreversible
depletion) at a dose below 1 becomes an inhibition of efficacy ``dose``; an
activation fixes its target on at any positive dose.

Examples
--------
>>> cb839 = Drug("telaglenastat", (DrugTarget("GLS", "inhibit", 0.9),), aliases=("CB-839",))
>>> cb839.perturbations(dose=0.5)
(Inhibit(node='GLS', efficacy=0.45),)
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
from metastasim.network.model import Reference
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

    def perturbations(self, dose: float = 1.0) -> tuple[Perturbation, ...]:
        """The perturbations this drug causes at ``dose`` (fraction of its maximal effect)."""
        if isinstance(dose, bool) or not isinstance(dose, (int, float)) or not math.isfinite(dose) or not 0 <= dose <= 1:
            raise ModelError(f"dose of {self.name} must be in [0, 1], not {dose!r}")
        out: list[Perturbation] = []
        for t in self.targets:
            if t.action == "inhibit":
                if dose > 0:
                    out.append(Inhibit(t.node, t.efficacy * dose))
            elif t.action == "knockout":
                if dose >= 1:
                    out.append(Knockout(t.node))
                elif dose > 0:
                    out.append(Inhibit(t.node, dose))
            elif dose > 0:
                out.append(ForceOn(t.node))
        return tuple(out)

    def describe(self, dose: float = 1.0) -> str:
        return self.name if dose == 1 else f"{self.name}={dose:g}"


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
