"""Published findings the curated model is validated against, read from ``facts.yaml``.

Each fact compares two arms simulated in the same context with the same seed: the
*control* arm (the context plus the fact's ``baseline`` perturbations) and the *test*
arm (the control plus the fact's ``perturbation``, which may also move the cell to
another context).  The fact holds when its ``readout`` moves in the ``expected``
direction.

A fact with ``level: cascade`` is about the metastatic cascade instead: both arms
send the same cells (same seed) through the cascade in ``mode``, and the readout
is the fraction of all cells that get through a stage (or ``efficiency``: through
the last one).  Its arms may give drugs only ``from_stage`` on.

A fact with ``level: invivo`` states the size of a published mouse experiment's
change in metastasis (:mod:`metastasim.validation.invivo`): its ``measure``, the
``control`` and ``perturbed`` values as the paper states them, the paper's ``route``
(tail-vein, intracardiac or intrasplenic injection: ``mode: experimental``;
orthotopic or genetic primary tumours: ``mode: spontaneous``), the ``quote`` that
states the numbers and ``where`` in the paper it is.  Its expected direction follows
from the numbers; its readout is ``efficiency`` unless it names a stage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from metastasim.errors import ModelError
from metastasim.io.files import read_text
from metastasim.io.yaml import YamlReader, load_yaml_document
from metastasim.network.drugs import Drug, find_drug
from metastasim.network.model import Model, Reference
from metastasim.network.perturbations import ForceOn, Knockout, Perturbation, resolve_perturbations
from metastasim.validation.invivo import INVIVO_CELLS, Measure

__all__ = ["Arm", "Fact", "parse_facts", "read_facts", "check_facts", "FACTS_FORMAT"]

FACTS_FORMAT = "metastasim-facts/1"
_FACT_FIELDS = (
    "id",
    "finding",
    "reference",
    "context",
    "perturbation",
    "baseline",
    "readout",
    "expected",
    "tags",
    "known_failure",
    "level",
    "mode",
    "cells",
    "route",
    "measure",
    "control",
    "perturbed",
    "quote",
    "where",
    "bound",
    "primary",
)
_INVIVO_FIELDS = ("route", "measure", "control", "perturbed", "quote", "where")
LEVELS = ("cell", "cascade", "invivo")
_A_FACT = {"cell": "a cell fact", "cascade": "a cascade fact", "invivo": "an in-vivo fact"}
_ARM_FIELDS = ("ko", "oe", "drug", "context", "from_stage")
#: Cells per arm of a cascade fact unless the fact says otherwise.
CASCADE_CELLS = 25_000


@dataclass(frozen=True)
class Arm:
    """Perturbations of one arm: knock-outs, over-expressions, drugs (name, dose), another context."""

    ko: tuple[str, ...] = ()
    oe: tuple[str, ...] = ()
    drugs: tuple[tuple[str, float], ...] = ()
    context: str | None = None
    from_stage: str | None = None  # cascade facts: the drugs start at this stage

    def drug_perturbations(self, library: dict[str, Drug], model: Model | None = None) -> tuple[Perturbation, ...]:
        out: list[Perturbation] = []
        for name, dose in self.drugs:
            out += find_drug(library, name).perturbations(dose, model=model)
        return tuple(out)

    def perturbations(self, library: dict[str, Drug], model: Model | None = None) -> tuple[Perturbation, ...]:
        out = list(self.drug_perturbations(library, model))
        out += [Knockout(n) for n in self.ko]
        out += [ForceOn(n) for n in self.oe]
        return tuple(out)

    def describe(self) -> str:
        parts = [f"KO {n}" for n in self.ko] + [f"OE {n}" for n in self.oe]
        parts += [
            (name if dose == 1 else f"{name}={dose:g}") + (f" from {self.from_stage}" if self.from_stage else "")
            for name, dose in self.drugs
        ]
        if self.context:
            parts.append(f"in {self.context}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Fact:
    """One published finding: in ``context``, ``perturbation`` moves ``readout`` ``expected``."""

    id: str
    finding: str
    reference: Reference
    context: str
    perturbation: Arm
    readout: str
    expected: Literal["up", "down"]
    baseline: Arm = Arm()
    tags: tuple[str, ...] = ()
    known_failure: str = ""
    level: Literal["cell", "cascade", "invivo"] = "cell"
    mode: str | None = None
    cells: int = CASCADE_CELLS
    invivo: Measure | None = None
    source: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        """The context, or ``cascade:<mode>`` (``invivo:<mode>``) for a cascade (in-vivo) fact."""
        return self.context if self.level == "cell" else f"{self.level}:{self.mode}"

    def cascade_arms(self, model: Model, library: dict[str, Drug]) -> tuple[tuple, tuple]:
        """``((whole, treatment, from_stage), ...)`` of the control and test arms of a cascade fact.

        Knock-outs, over-expressions and drugs without ``from_stage`` act throughout;
        drugs with ``from_stage`` are the treatment.
        """

        def split(arm: Arm):
            drugs = arm.drug_perturbations(library, model)
            genes = tuple(Knockout(n) for n in arm.ko) + tuple(ForceOn(n) for n in arm.oe)
            return (genes, drugs, arm.from_stage) if arm.from_stage else (drugs + genes, (), None)

        base_whole, base_treat, base_from = split(self.baseline)
        test_whole, test_treat, test_from = split(self.perturbation)
        if base_treat and test_treat and base_from != test_from:
            raise ModelError("the baseline and the perturbation give drugs from different stages")
        control = (base_whole, base_treat, base_from)
        test = (base_whole + test_whole, base_treat + test_treat, test_from or base_from)
        return control, test

    def arms(self, model: Model, library: dict[str, Drug]) -> tuple[tuple[str, tuple], tuple[str, tuple]]:
        """``((context, perturbations), (context, perturbations))`` of the control and test arms, resolved."""
        base = self.baseline.perturbations(library, model)
        control = (self.context, resolve_perturbations(model, base, context=self.context))
        test_context = self.perturbation.context or self.context
        test = resolve_perturbations(
            model, base + self.perturbation.perturbations(library, model), context=test_context
        )
        return control, (test_context, test)


def _arm(r: YamlReader, value, what: str, line: int | None) -> Arm:
    spec = r.mapping(value, what, line)
    r.check_fields(spec, _ARM_FIELDS, what)
    if not spec:
        raise r.error(f"{what} is empty", spec.line)

    def names(key: str) -> tuple[str, ...]:
        items = spec.get(key, [])
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            raise r.error(f"{key} in {what} must be a node name or a list of them", spec.lines.get(key))
        return tuple(items)

    drugs = []
    for item in names("drug"):
        name, _, dose = item.partition("=")
        try:
            drugs.append((name.strip(), float(dose) if dose else 1.0))
        except ValueError:
            raise r.error(f"drug dose in {item!r} is not a number", spec.lines.get("drug")) from None
    context = spec.get("context")
    if context is not None and not isinstance(context, str):
        raise r.error(f"context in {what} must be a context name", spec.lines.get("context"))
    from_stage = spec.get("from_stage")
    if from_stage is not None and (not isinstance(from_stage, str) or not drugs):
        raise r.error(f"from_stage in {what} must be a stage name, and needs a drug", spec.lines.get("from_stage"))
    return Arm(names("ko"), names("oe"), tuple(drugs), context, from_stage)


def parse_facts(text: str, *, path: str | None = None) -> list[Fact]:
    """Parse a facts file (``format: metastasim-facts/1``, ``facts: [...]``)."""
    r = YamlReader(path)
    doc = r.mapping(load_yaml_document(text, path), "the facts file", 1)
    r.check_fields(doc, ("format", "facts"), "the facts file")
    if doc.get("format", FACTS_FORMAT) != FACTS_FORMAT:
        raise r.error(f"format {doc['format']!r} is not {FACTS_FORMAT!r}", doc.lines.get("format"))
    items = doc.get("facts")
    if not isinstance(items, list) or not items:
        raise r.error("'facts' must be a non-empty list", doc.lines.get("facts", 1))
    facts: list[Fact] = []
    seen: dict[str, int] = {}
    for item, line in zip(items, items.lines):
        spec = r.mapping(item, "a fact", line)
        r.check_fields(spec, _FACT_FIELDS, "a fact")
        level = spec.get("level", "cell")
        if level not in LEVELS:
            raise r.error(f"level must be one of {', '.join(LEVELS)}, not {level!r}", spec.lines.get("level"))
        required = {
            "cell": ("context", "readout", "expected"),
            "cascade": ("mode", "readout", "expected"),
            "invivo": ("mode",) + _INVIVO_FIELDS,
        }[level]
        for key in ("id", "finding", "reference", "perturbation") + required:
            if key not in spec:
                raise r.error(f"{_A_FACT[level]} needs {key!r}", spec.line)
        extra = ("bound", "primary")
        foreign = {
            "cell": ("mode", "cells") + _INVIVO_FIELDS + extra,
            "cascade": ("context",) + _INVIVO_FIELDS + extra,
            "invivo": ("context", "expected", "baseline"),
        }[level]
        for key in foreign:
            if key in spec:
                raise r.error(f"{key!r} is not a field of {_A_FACT[level]}", spec.lines[key])
        fid = r.text(spec["id"], "id", spec.lines["id"])
        if fid in seen:
            raise r.error(f"fact {fid!r} appears twice (first on line {seen[fid]})", spec.lines["id"])
        seen[fid] = spec.lines["id"]
        invivo = _measure(r, spec) if level == "invivo" else None
        expected = spec["expected"] if level != "invivo" else ("up" if invivo.per_cell_log2 > 0 else "down")
        if expected not in ("up", "down"):
            raise r.error(f"expected must be 'up' or 'down', not {expected!r}", spec.lines["expected"])
        (reference,) = r.references([spec["reference"]], f"fact {fid}", spec.lines["reference"])
        tags = spec.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise r.error("tags must be a list of words", spec.lines.get("tags"))
        default_cells = INVIVO_CELLS if level == "invivo" else CASCADE_CELLS
        facts.append(
            Fact(
                id=fid,
                finding=r.text(spec["finding"], "finding", spec.lines["finding"]),
                reference=reference,
                context=r.text(spec["context"], "context", spec.lines["context"]) if level == "cell" else "",
                perturbation=_arm(r, spec["perturbation"], f"the perturbation of {fid}", spec.lines["perturbation"]),
                readout=r.text(spec.get("readout", "efficiency"), "readout", spec.lines.get("readout")),
                expected=expected,
                baseline=_arm(r, spec["baseline"], f"the baseline of {fid}", spec.lines["baseline"])
                if "baseline" in spec
                else Arm(),
                tags=tuple(tags),
                known_failure=r.text(spec.get("known_failure", ""), "known_failure", spec.lines.get("known_failure")),
                level=level,
                mode=r.text(spec["mode"], "mode", spec.lines["mode"]) if level != "cell" else None,
                cells=int(r.number(spec["cells"], "cells", spec.lines["cells"], lo=1))
                if "cells" in spec
                else default_cells,
                invivo=invivo,
                source=path,
                line=spec.line,
            )
        )
    return facts


def _measure(r: YamlReader, spec) -> Measure:
    """The published numbers of an in-vivo fact, checked (errors name the line)."""
    values = {}
    for key in ("control", "perturbed"):
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise r.error(f"{key} must be a number or an incidence k/n, not {value!r}", spec.lines[key])
        values[key] = value
    try:
        return Measure(
            kind=spec["measure"],
            control=values["control"],
            perturbed=values["perturbed"],
            route=r.text(spec["route"], "route", spec.lines["route"]),
            quote=r.text(spec["quote"], "quote", spec.lines["quote"]),
            where=r.text(spec["where"], "where", spec.lines["where"]),
            bound=spec.get("bound"),
            primary=tuple(spec["primary"]) if isinstance(spec.get("primary"), list) else spec.get("primary"),
        )
    except ModelError as exc:
        key = next((k for k in ("measure", "bound", "primary") if exc.message.startswith(k)), "control")
        raise r.error(exc.message, spec.lines.get(key, spec.line)) from None


def read_facts(path: str | os.PathLike) -> list[Fact]:
    """Read a facts file."""
    return parse_facts(read_text(path), path=str(path))


def check_facts(facts: list[Fact], model: Model, library: dict[str, Drug], cascade=None) -> None:
    """Every context, node, readout, drug, mode and stage a fact names exists (errors name the fact's line).

    ``cascade`` (a :class:`~metastasim.cascade.CascadeSpec`) is needed for cascade facts.
    """
    for fact in facts:
        try:
            if fact.level == "cell":
                if fact.perturbation.from_stage or fact.baseline.from_stage:
                    raise ModelError("from_stage belongs to cascade facts only")
                fact.arms(model, library)
                model.resolve(fact.readout)
                continue
            if cascade is None:
                raise ModelError(f"{_A_FACT[fact.level]} needs a cascade to run in")
            stages = cascade.mode(fact.mode).stages
            for arm in (fact.baseline, fact.perturbation):
                if arm.context:
                    raise ModelError(f"the arms of {_A_FACT[fact.level]} cannot change the context")
                if arm.from_stage and arm.from_stage not in stages:
                    raise ModelError(f"from_stage {arm.from_stage!r} is not a stage of mode {fact.mode}")
            if fact.readout != "efficiency" and fact.readout not in stages:
                raise ModelError(
                    f"readout {fact.readout!r} is neither 'efficiency' nor a stage of mode {fact.mode} "
                    f"({', '.join(stages)})"
                )
            fact.cascade_arms(model, library)
        except ModelError as exc:
            raise ModelError(f"fact {fact.id}: {exc.message}", path=fact.source, line=fact.line) from None
