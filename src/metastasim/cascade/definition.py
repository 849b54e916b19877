"""The metastatic cascade as data: stages, modes, heritable alterations, calibration anchors.

:class:`CascadeSpec` holds a cascade; :func:`~metastasim.cascade.parse_cascade`
reads one from a cascade file (:mod:`metastasim.cascade.spec` describes the format),
and :meth:`CascadeSpec.check` checks it against a model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from metastasim.cascade.rules import GradedP
from metastasim.errors import ModelError, UnknownNameError
from metastasim.network.expr import parse_rule
from metastasim.network.model import Model, Reference
from metastasim.network.ranges import Range, default_range

__all__ = ["MODES", "Case", "Stage", "Prepare", "Mode", "Alteration", "Anchor", "CascadeSpec"]

#: The two ways cells enter the cascade.
MODES = ("spontaneous", "experimental")


@dataclass(frozen=True)
class Case:
    """One case of a pass rule: cells whose state satisfies ``when`` (``None``: any) pass with ``p``.

    ``p`` is a number, or the text of a graded expression over node occupancies
    (:class:`~metastasim.cascade.rules.GradedP`).
    """

    when: str | None
    p: float | str


@dataclass(frozen=True)
class Stage:
    """A step of the cascade: where the cell is, for how long, and how it gets through."""

    name: str
    context: str
    duration: float
    cases: tuple[Case, ...]
    inputs: tuple[tuple[str, int], ...] = ()
    description: str = ""
    derivation: str = ""
    references: tuple[Reference, ...] = ()
    line: int | None = None
    case_lines: tuple[int | None, ...] = ()
    inputs_line: int | None = None
    constants: tuple[tuple[str, float], ...] = ()
    constant_ranges: tuple[tuple[str, Range], ...] = ()

    def constant_range(self, name: str) -> Range:
        """The plausible range of constant ``name``: declared, or its value divided or multiplied by 2 within [0, 1]."""
        values = dict(self.constants)
        if name not in values:
            raise UnknownNameError(f"stage {self.name!r} has no constant {name!r}")
        return dict(self.constant_ranges).get(name) or default_range(values[name], probability=True)

    @property
    def graded(self) -> bool:
        """Whether a case's probability reads occupancies."""
        return any(isinstance(c.p, str) for c in self.cases)


@dataclass(frozen=True)
class Prepare:
    """Where cells are before the first stage (no selection)."""

    context: str
    duration: float
    inputs: tuple[tuple[str, int], ...] = ()
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Mode:
    name: str
    prepare: Prepare
    stages: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Alteration:
    """A heritable change carried by a fraction ``frequency`` of cells: ``node`` fixed on (gain) or off (loss)."""

    id: str
    node: str
    change: Literal["gain", "loss"]
    frequency: float
    description: str = ""
    references: tuple[Reference, ...] = ()
    line: int | None = None

    @property
    def value(self) -> int:
        return 1 if self.change == "gain" else 0


@dataclass(frozen=True)
class Anchor:
    """A measured fraction of the cells entering ``mode`` that get through ``stage``."""

    mode: str
    stage: str
    fraction: float
    description: str
    reference: Reference


@dataclass(frozen=True)
class CascadeSpec:
    stages: dict[str, Stage]
    modes: dict[str, Mode]
    alterations: tuple[Alteration, ...] = ()
    phenotypes: tuple[str, ...] = ()
    anchors: tuple[Anchor, ...] = ()
    description: str = ""
    source: str | None = None
    phenotypes_line: int | None = None

    def mode(self, name: str) -> Mode:
        if name not in self.modes:
            where = f" in {self.source}" if self.source else ""
            raise ModelError(f"unknown cascade mode {name!r}{where}; modes: {', '.join(self.modes)}")
        return self.modes[name]

    def hash(self) -> str:
        """16 hex digits identifying what the cascade does (stages, modes, alterations; not its prose or lines)."""
        what = {
            "stages": [
                [s.name, s.context, s.duration, list(map(list, s.inputs)), [[c.when, c.p] for c in s.cases]]
                + ([list(map(list, s.constants))] if s.constants else [])
                for s in self.stages.values()
            ],
            "modes": [
                [m.name, m.prepare.context, m.prepare.duration, list(map(list, m.prepare.inputs)), list(m.stages)]
                for m in self.modes.values()
            ],
            "alterations": [[a.id, a.node, a.change, a.frequency] for a in self.alterations],
            "phenotypes": list(self.phenotypes),
        }
        return hashlib.sha256(json.dumps(what, separators=(",", ":")).encode()).hexdigest()[:16]

    def check(self, model: Model) -> None:
        """Every context, node and expression the cascade names exists in ``model`` (errors name the line)."""

        def fail(what: str, exc: ModelError, line: int | None):
            return ModelError(f"{what}: {exc.message}", path=self.source, line=line)

        for stage in self.stages.values():
            try:
                model.context(stage.context)
            except ModelError as exc:
                raise fail(f"stage {stage.name}", exc, stage.line) from None
            try:
                _check_inputs(model, stage.inputs)
            except ModelError as exc:
                raise fail(f"stage {stage.name}", exc, stage.inputs_line or stage.line) from None
            for case, line in zip(stage.cases, stage.case_lines or (stage.line,) * len(stage.cases)):
                try:
                    if case.when is not None:
                        for name in parse_rule(case.when).variables():
                            model.resolve(name)
                    if isinstance(case.p, str):
                        for name in GradedP.parse(case.p, dict(stage.constants)).nodes:
                            model.resolve(name)
                except ModelError as exc:
                    raise fail(f"stage {stage.name}", exc, line) from None
        for mode in self.modes.values():
            try:
                model.context(mode.prepare.context)
                _check_inputs(model, mode.prepare.inputs)
            except ModelError as exc:
                raise fail(f"prepare of mode {mode.name}", exc, mode.prepare.line) from None
        try:
            for name in self.phenotypes:
                model.resolve(name)
        except ModelError as exc:
            raise fail("phenotypes", exc, self.phenotypes_line) from None
        for alt in self.alterations:
            try:
                node = model.resolve(alt.node)
                if model.nodes[node].is_input:
                    raise ModelError(f"it changes the input {node}: alterations are of genes")
            except ModelError as exc:
                raise fail(f"alteration {alt.id}", exc, alt.line) from None


def _check_inputs(model: Model, inputs: tuple[tuple[str, int], ...]) -> None:
    """Every node that ``inputs`` sets is an input node of ``model``."""
    for name, _ in inputs:
        if not model.nodes[model.resolve(name)].is_input:
            raise ModelError(f"{name} is not an input node")
