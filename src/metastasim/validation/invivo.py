"""Quantitative in-vivo facts: a published mouse experiment's change in metastasis, as a log2 ratio.

A fact with ``level: invivo`` states what a paper measured in both arms, exactly as
the paper states it, and how it was measured (``measure``):

- ``count`` (nodules, foci, lesions) or ``burden`` (photon flux, area, weight): the
  ratio perturbed / control is the ratio of metastatic efficiencies;
- ``incidence`` (the fraction of mice with metastases, written ``k/n``): each arm's
  incidence is turned into a mean number of metastases per mouse through the Poisson
  relation ``lambda = -ln(1 - incidence)``, and the ratio is ``lambda_perturbed /
  lambda_control``.  An incidence of 0 or 1 has no finite rate, so it cannot be a
  quantitative fact.

A paper that reports a fold change ("a 12-fold reduction") is written as the two
numbers that fold change relates (control 12, perturbed 1).  ``bound: at_least``
marks a stated lower bound on the size of the effect ("more than three times").

The cascade follows cells that leave the primary tumour; it does not grow the tumour.
Where a spontaneous-metastasis paper states that the perturbation also changed the
primary tumour's size (``primary: [control, perturbed]``, as stated), the number of
cells it sheds changes in proportion (about 3.2e6 cells per gram per day, Butler and
Gullino 1975), so the per-cell change the model is compared with is the published
log2 ratio minus the primary's: ``per_cell_log2``.

The model's side: both arms go through the cascade in the fact's ``mode`` with the
splitting estimator, on the same seed and replicates, and the model's log2 ratio of
the fraction of cells through the readout stage comes with a delta-method 95%
interval from the paired replicates.  The fact passes when the model's log2 ratio
has the sign of the published per-cell one and lies within :data:`TOLERANCE_LOG2` of
it (within 2x; for a lower bound: at least the bound's size minus the tolerance).

Examples
--------
>>> m = Measure("incidence", "1/11", "9/11", route="", quote="", where="Abstract")
>>> round(m.observed_log2, 2)
4.16
>>> round(Measure("count", 257, 79, route="", quote="", where="Results").observed_log2, 2)
-1.7
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from metastasim.errors import ModelError

__all__ = ["Measure", "InVivoResult", "MEASURES", "TOLERANCE_LOG2", "INVIVO_CELLS", "parse_incidence"]

MEASURES = ("count", "burden", "incidence")
#: A fact passes when the model's log2 ratio lies within this of the published one.
TOLERANCE_LOG2 = 1.0
#: Working population per stage and arm of an in-vivo fact (splitting estimator) unless the fact says otherwise.
INVIVO_CELLS = 20_000


def parse_incidence(value) -> tuple[int, int]:
    """``"k/n"`` as ``(k, n)``, with ``0 < k < n`` (a finite Poisson rate)."""
    text = str(value).strip()
    k, slash, n = text.partition("/")
    try:
        k, n = int(k), int(n)
    except ValueError:
        raise ModelError(f"an incidence is written k/n (mice with metastases / mice), not {text!r}") from None
    if not slash or n < 1 or not 0 <= k <= n:
        raise ModelError(f"an incidence is written k/n with 0 <= k <= n, not {text!r}")
    if k in (0, n):
        raise ModelError(
            f"an incidence of {text} has no finite Poisson rate (none or every mouse): "
            "state the finding as a direction fact"
        )
    return k, n


@dataclass(frozen=True)
class Measure:
    """What a paper measured in the control and perturbed arms, as stated, and where it says so."""

    kind: Literal["count", "burden", "incidence"]
    control: float | str
    perturbed: float | str
    route: str
    quote: str
    where: str
    bound: Literal["at_least"] | None = None
    primary: tuple[float, float] | None = None  # the primary tumour's size in the control and perturbed arms

    def __post_init__(self):
        if self.kind not in MEASURES:
            raise ModelError(f"measure must be one of {', '.join(MEASURES)}, not {self.kind!r}")
        if self.bound not in (None, "at_least"):
            raise ModelError(f"bound must be 'at_least', not {self.bound!r}")
        if self.primary is not None and not (
            len(self.primary) == 2
            and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0
                for x in self.primary
            )
        ):
            raise ModelError(f"primary must be two positive sizes [control, perturbed], not {self.primary!r}")
        self.observed_log2  # check the numbers now  # noqa: B018

    def _rates(self) -> tuple[float, float]:
        if self.kind == "incidence":
            rates = []
            for value in (self.control, self.perturbed):
                k, n = parse_incidence(value)
                rates.append(-math.log1p(-k / n))
            return rates[0], rates[1]
        try:
            c, p = float(self.control), float(self.perturbed)
        except (TypeError, ValueError):
            raise ModelError(f"a {self.kind} is a number, not {self.control!r} / {self.perturbed!r}") from None
        if not (math.isfinite(c) and math.isfinite(p)) or c <= 0 or p <= 0:
            raise ModelError(
                f"a {self.kind} ratio needs two positive numbers, not {self.control!r} and "
                f"{self.perturbed!r} (a complete prevention has no log2: state it as a direction fact)"
            )
        return c, p

    @property
    def observed_log2(self) -> float:
        """log2 of the published ratio of metastatic efficiencies (perturbed / control)."""
        c, p = self._rates()
        return math.log2(p / c)

    @property
    def primary_log2(self) -> float:
        """log2 of the primary tumour's size ratio (0 when the fact states none)."""
        return math.log2(self.primary[1] / self.primary[0]) if self.primary else 0.0

    @property
    def per_cell_log2(self) -> float:
        """The published log2 ratio per cell leaving the primary: what the model is compared with."""
        return self.observed_log2 - self.primary_log2

    def passes(self, model_log2: float) -> bool:
        observed = self.per_cell_log2
        if not math.isfinite(model_log2) or model_log2 == 0 or (model_log2 > 0) != (observed > 0):
            return False
        if self.bound == "at_least":
            return abs(model_log2) >= abs(observed) - TOLERANCE_LOG2
        return abs(model_log2 - observed) <= TOLERANCE_LOG2


@dataclass(frozen=True)
class InVivoResult:
    """The model's log2 ratio for one in-vivo fact, with its 95% interval, beside the published one."""

    fact: object  # metastasim.validation.facts.Fact
    model_log2: float
    model_low: float
    model_high: float
    cells: int = INVIVO_CELLS  # working population per stage and arm

    @property
    def observed_log2(self) -> float:
        return self.fact.invivo.observed_log2

    @property
    def reproduced(self) -> bool:
        return self.fact.invivo.passes(self.model_log2)

    @property
    def status(self) -> str:
        if self.fact.known_failure:
            return "known failure (now passes)" if self.reproduced else "known failure"
        return "pass" if self.reproduced else "FAIL"

    def row(self) -> dict:
        f, m = self.fact, self.fact.invivo

        def num(x: float) -> float | None:
            return round(float(x), 4) if math.isfinite(x) else None

        return {
            "fact": f.id,
            "level": "invivo",
            "mode": f.mode,
            "route": m.route,
            "measure": m.kind,
            "perturbation": f.perturbation.describe(),
            "readout": f.readout,
            "control": m.control,
            "perturbed": m.perturbed,
            "bound": m.bound,
            "observed_log2": num(self.observed_log2),
            "primary_log2": num(m.primary_log2),
            "per_cell_log2": num(m.per_cell_log2),
            "model_log2": num(self.model_log2),
            "model_log2_ci95": [num(self.model_low), num(self.model_high)],
            "cells": self.cells,
            "status": self.status,
            "reference": f.reference.id,
            "where": m.where,
            "finding": f.finding,
            "known_failure": f.known_failure,
        }
