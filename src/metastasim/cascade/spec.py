"""Cascade files: the metastatic cascade as data (stages, modes, heritable alterations, calibration anchors).

A cascade file (``format: metastasim-cascade/1``) holds

- ``stages``: each with a ``context`` of the model (plus optional ``inputs`` that
  override it), a ``duration`` in model time and a ``pass`` rule: an ordered list of
  cases ``{when: <Boolean expression over nodes>, p: <probability>}``, the last one
  without ``when``.  A cell passes with the ``p`` of the first case its network
  state at the end of the stage satisfies.  ``p`` is a number or a *graded*
  expression over the time each node was on during the stage (its occupancy, in
  [0, 1]) and the stage's named ``constants`` (``$name``); see
  :mod:`metastasim.cascade.rules`;
- ``modes``: each a ``prepare`` step (a context and duration the cells spend before
  the first stage, without selection: culture before an injection, growth in the
  primary tumour) and the list of its ``stages``;
- ``alterations``: heritable gains (node fixed on) and losses (node fixed off), each
  carried by a cell with its ``frequency``;
- ``phenotypes``: the nodes whose mix among survivors is reported;
- ``anchors``: measured cumulative fractions the unperturbed cascade is calibrated
  to, with their reference.

Examples
--------
>>> spec = parse_cascade('''
... format: metastasim-cascade/1
... phenotypes: [B]
... stages:
...   grow: {context: on, duration: 2, pass: [{when: B, p: 0.9}, {p: 0.1}]}
... modes:
...   experimental: {prepare: {context: on, duration: 1}, stages: [grow]}
... ''')
>>> spec.stages["grow"].cases
(Case(when='B', p=0.9), Case(when=None, p=0.1))

:func:`parse_cascade` and :func:`read_cascade` return a
:class:`~metastasim.cascade.definition.CascadeSpec`; the data classes live in
:mod:`metastasim.cascade.definition` and are importable from here too.
"""

from __future__ import annotations

import itertools
import os

from metastasim.cascade.definition import (
    MODES,
    Alteration,
    Anchor,
    CascadeSpec,
    Case,
    Mode,
    Prepare,
    Stage,
)
from metastasim.cascade.rules import GradedP
from metastasim.errors import ModelError
from metastasim.io.files import read_text
from metastasim.io.yaml import YamlReader, load_yaml_document
from metastasim.io.yaml_ranges import read_uncertain
from metastasim.network.expr import parse_rule
from metastasim.network.parser import is_valid_name
from metastasim.network.ranges import Range

__all__ = [
    "CASCADE_FORMAT",
    "MODES",
    "Case",
    "Stage",
    "Prepare",
    "Mode",
    "Alteration",
    "Anchor",
    "CascadeSpec",
    "parse_cascade",
    "read_cascade",
]

CASCADE_FORMAT = "metastasim-cascade/1"
_TOP = ("format", "description", "phenotypes", "stages", "modes", "alterations", "anchors")
_STAGE = ("context", "inputs", "duration", "description", "pass", "constants", "derivation", "references")
_CASE = ("when", "p")
_MODE = ("description", "prepare", "stages")
_PREPARE = ("context", "inputs", "duration", "description")
_ALTERATION = ("node", "change", "frequency", "description", "references")
_ANCHOR = ("mode", "stage", "fraction", "description", "reference")
#: A pass-rule case may read at most this many nodes (it is evaluated as a truth table).
MAX_CASE_INPUTS = 20
#: Graded expressions are checked at the corners of the ranges of up to this many constants.
MAX_RANGE_CORNERS_LOG2 = 8
#: A mode may have at most this many stages (random streams are numbered per stage, see ``run``).
MAX_STAGES = 999


def parse_cascade(text: str, *, path: str | None = None) -> CascadeSpec:
    """Parse a cascade file (see the module documentation).

    Parameters
    ----------
    text
        The file's text.
    path
        Where the text comes from: named in errors and kept as ``source``.

    Returns
    -------
    CascadeSpec

    Raises
    ------
    ModelError
        At the first problem, with its line.
    """
    r = YamlReader(path)
    doc = _document(r, text, path)
    stages = _stages(r, doc)
    modes = _modes(r, doc, stages)
    alterations = _alterations(r, doc)
    anchors = _anchors(r, doc, modes)
    phenotypes = _phenotypes(r, doc)
    return CascadeSpec(
        stages=stages,
        modes=modes,
        alterations=alterations,
        phenotypes=phenotypes,
        anchors=anchors,
        phenotypes_line=doc.lines.get("phenotypes"),
        description=r.text(doc.get("description", ""), "description", doc.lines.get("description")),
        source=path,
    )


def read_cascade(path: str | os.PathLike) -> CascadeSpec:
    """Read a cascade file (see :func:`parse_cascade`)."""
    return parse_cascade(read_text(path), path=str(path))


def _document(r: YamlReader, text: str, path: str | None):
    """The file's top-level mapping, with its format checked and its required sections present."""
    doc = r.mapping(load_yaml_document(text, path), "the cascade file", 1)
    r.check_fields(doc, _TOP, "the cascade file")
    if doc.get("format", CASCADE_FORMAT) != CASCADE_FORMAT:
        raise r.error(f"format {doc['format']!r} is not {CASCADE_FORMAT!r}", doc.lines.get("format"))
    for key in ("stages", "modes"):
        if key not in doc:
            raise r.error(f"the cascade file needs {key!r}", 1)
    return doc


def _stages(r: YamlReader, doc) -> dict[str, Stage]:
    """The ``stages`` section, by name."""
    stages_map = r.mapping(doc["stages"], "stages", doc.lines["stages"])
    if not stages_map:
        raise r.error("stages is empty", doc.lines["stages"])
    return {str(name): _stage(r, str(name), value, stages_map.lines[name]) for name, value in stages_map.items()}


def _modes(r: YamlReader, doc, stages: dict[str, Stage]) -> dict[str, Mode]:
    """The ``modes`` section, by name."""
    modes_map = r.mapping(doc["modes"], "modes", doc.lines["modes"])
    modes = {name: _mode(r, name, value, modes_map.lines[name], stages) for name, value in modes_map.items()}
    if not modes:
        raise r.error("modes is empty", doc.lines["modes"])
    return modes


def _mode(r: YamlReader, name: str, value, line: int, stages: dict[str, Stage]) -> Mode:
    """One mode: its prepare step and the order of its stages."""
    if name not in MODES:
        raise r.error(f"unknown mode {name!r}; modes are {', '.join(MODES)}", line)
    spec = r.mapping(value, f"mode {name}", line)
    r.check_fields(spec, _MODE, f"mode {name}")
    if "prepare" not in spec or "stages" not in spec:
        raise r.error(f"mode {name} needs 'prepare' and 'stages'", spec.line)
    prep = r.mapping(spec["prepare"], f"prepare of mode {name}", spec.lines["prepare"])
    r.check_fields(prep, _PREPARE, f"prepare of mode {name}")
    if "context" not in prep:
        raise r.error(f"prepare of mode {name} needs a context", prep.line)
    order = _mode_stages(r, name, spec, stages)
    return Mode(
        name=name,
        prepare=Prepare(
            context=r.text(prep["context"], "context", prep.lines["context"]),
            duration=_duration(r, prep, f"prepare of mode {name}"),
            inputs=_inputs(r, prep["inputs"], f"prepare of mode {name}", prep.lines["inputs"])
            if "inputs" in prep
            else (),
            description=r.text(prep.get("description", ""), "description", prep.lines.get("description")),
            line=prep.line,
        ),
        stages=order,
        description=r.text(spec.get("description", ""), "description", spec.lines.get("description")),
    )


def _mode_stages(r: YamlReader, name: str, spec, stages: dict[str, Stage]) -> tuple[str, ...]:
    """Mode ``name``'s stages, in order: known stages, each once, at most :data:`MAX_STAGES`."""
    order = spec["stages"]
    if not isinstance(order, list) or not order or not all(isinstance(s, str) for s in order):
        raise r.error(f"stages of mode {name} must be a non-empty list of stage names", spec.lines["stages"])
    for s, s_line in zip(order, order.lines):
        if s not in stages:
            raise r.error(f"mode {name} names the unknown stage {s!r}; stages: {', '.join(stages)}", s_line)
    if len(set(order)) != len(order):
        raise r.error(f"mode {name} lists a stage twice", spec.lines["stages"])
    if len(order) > MAX_STAGES:
        raise r.error(f"mode {name} has {len(order)} stages; at most {MAX_STAGES}", spec.lines["stages"])
    return tuple(order)


def _alterations(r: YamlReader, doc) -> tuple[Alteration, ...]:
    """The ``alterations`` section (none when absent); a node is altered at most once."""
    alterations = []
    seen: dict[str, int] = {}
    alt_map = r.mapping(doc["alterations"], "alterations", doc.lines["alterations"]) if "alterations" in doc else {}
    for aid, value in alt_map.items():
        alterations.append(_alteration(r, aid, value, alt_map.lines[aid], seen))
    return tuple(alterations)


def _alteration(r: YamlReader, aid, value, line: int, seen: dict[str, int]) -> Alteration:
    """Alteration ``aid``; ``seen`` (node -> line of the alteration of it) gets its node."""
    spec = r.mapping(value, f"alteration {aid}", line)
    r.check_fields(spec, _ALTERATION, f"alteration {aid}")
    for key in ("node", "change", "frequency"):
        if key not in spec:
            raise r.error(f"alteration {aid} needs {key!r}", spec.line)
    if spec["change"] not in ("gain", "loss"):
        raise r.error(
            f"change of alteration {aid} must be 'gain' or 'loss', not {spec['change']!r}", spec.lines["change"]
        )
    node = r.text(spec["node"], f"node of alteration {aid}", spec.lines["node"])
    if node in seen:
        raise r.error(f"node {node} is altered twice (first on line {seen[node]})", spec.lines["node"])
    seen[node] = spec.lines["node"]
    return Alteration(
        id=str(aid),
        node=node,
        change=spec["change"],
        frequency=r.number(
            spec["frequency"], f"frequency of alteration {aid}", spec.lines["frequency"], lo=0.0, hi=1.0
        ),
        description=r.text(spec.get("description", ""), "description", spec.lines.get("description")),
        references=r.references(spec["references"], f"alteration {aid}", spec.lines["references"])
        if "references" in spec
        else (),
        line=spec.line,
    )


def _anchors(r: YamlReader, doc, modes: dict[str, Mode]) -> tuple[Anchor, ...]:
    """The ``anchors`` section (none when absent)."""
    anchor_items = doc.get("anchors", [])
    if not isinstance(anchor_items, list):
        raise r.error("anchors must be a list", doc.lines.get("anchors"))
    lines = getattr(anchor_items, "lines", [])
    return tuple(_anchor(r, item, line, modes) for item, line in zip(anchor_items, lines))


def _anchor(r: YamlReader, item, line: int, modes: dict[str, Mode]) -> Anchor:
    """One anchor: a measured fraction of a stage of one of ``modes``, with its reference."""
    spec = r.mapping(item, "an anchor", line)
    r.check_fields(spec, _ANCHOR, "an anchor")
    for key in ("mode", "stage", "fraction", "reference"):
        if key not in spec:
            raise r.error(f"an anchor needs {key!r}", spec.line)
    mode, stage = spec["mode"], spec["stage"]
    if not isinstance(mode, str) or not isinstance(stage, str) or mode not in modes or stage not in modes[mode].stages:
        raise r.error(f"anchor names stage {stage!r} of mode {mode!r}, which the cascade does not have", spec.line)
    (reference,) = r.references([spec["reference"]], "an anchor", spec.lines["reference"])
    return Anchor(
        mode,
        stage,
        r.number(spec["fraction"], "fraction of an anchor", spec.lines["fraction"], lo=0.0, hi=1.0),
        r.text(spec.get("description", ""), "description", spec.lines.get("description")),
        reference,
    )


def _phenotypes(r: YamlReader, doc) -> tuple[str, ...]:
    """The ``phenotypes`` section: node names, each once (none when absent)."""
    phenotypes = doc.get("phenotypes", [])
    if not isinstance(phenotypes, list) or not all(isinstance(p, str) for p in phenotypes):
        raise r.error("phenotypes must be a list of node names", doc.lines.get("phenotypes"))
    if len(set(phenotypes)) != len(phenotypes):
        raise r.error("phenotypes lists a node twice", doc.lines.get("phenotypes"))
    return tuple(phenotypes)


def _inputs(r: YamlReader, value, what: str, line: int | None) -> tuple[tuple[str, int], ...]:
    """Input settings (``{name: 0 or 1}``) as ``(name, value)`` pairs."""
    spec = r.mapping(value, f"inputs of {what}", line)
    out = []
    for name, v in spec.items():
        if isinstance(v, bool) or v not in (0, 1):
            raise r.error(f"input {name} of {what} must be 0 or 1, not {v!r}", spec.lines[name])
        out.append((str(name), int(v)))
    return tuple(out)


def _duration(r: YamlReader, spec, what: str) -> float:
    """The positive ``duration`` of a stage or prepare step."""
    if "duration" not in spec:
        raise r.error(f"{what} needs a duration", spec.line)
    d = r.number(spec["duration"], f"duration of {what}", spec.lines["duration"])
    if d <= 0:
        raise r.error(f"duration of {what} must be positive, not {d:g}", spec.lines["duration"])
    return d


def _stage(r: YamlReader, name: str, value, line: int) -> Stage:
    """One stage: where the cells are, for how long, and its pass rule."""
    spec = r.mapping(value, f"stage {name}", line)
    r.check_fields(spec, _STAGE, f"stage {name}")
    for key in ("context", "pass"):
        if key not in spec:
            raise r.error(f"stage {name} needs {key!r}", spec.line)
    rules = spec["pass"]
    if not isinstance(rules, list) or not rules:
        raise r.error(f"pass of stage {name} must be a non-empty list of cases", spec.lines["pass"])
    constants, ranges = (
        _constants(r, spec["constants"], name, spec.lines["constants"]) if "constants" in spec else ({}, {})
    )
    cases, case_lines = [], []
    for i, (item, item_line) in enumerate(zip(rules, rules.lines)):
        case, case_line = _case(r, name, item, item_line, constants, ranges, last=i == len(rules) - 1)
        cases.append(case)
        case_lines.append(case_line)
    refs = r.references(spec["references"], f"stage {name}", spec.lines["references"]) if "references" in spec else ()
    return Stage(
        name=name,
        context=r.text(spec["context"], f"context of stage {name}", spec.lines["context"]),
        duration=_duration(r, spec, f"stage {name}"),
        cases=tuple(cases),
        inputs=_inputs(r, spec["inputs"], f"stage {name}", spec.lines["inputs"]) if "inputs" in spec else (),
        description=r.text(spec.get("description", ""), "description", spec.lines.get("description")),
        derivation=r.text(spec.get("derivation", ""), "derivation", spec.lines.get("derivation")),
        references=refs,
        line=line,
        case_lines=tuple(case_lines),
        inputs_line=spec.lines.get("inputs"),
        constants=tuple(constants.items()),
        constant_ranges=tuple(ranges.items()),
    )


def _case(
    r: YamlReader, name: str, item, item_line: int, constants: dict[str, float], ranges, *, last: bool
) -> tuple[Case, int]:
    """One case of stage ``name``'s pass rule (``last``: the one that must cover every other cell), and its line."""
    case = r.mapping(item, f"a case of stage {name}", item_line)
    r.check_fields(case, _CASE, f"a case of stage {name}")
    if "p" not in case:
        raise r.error(f"a case of stage {name} needs p", case.line)
    p = _probability(r, case["p"], constants, name, case.lines["p"])
    if isinstance(p, str):
        _check_corners(r, name, p, constants, ranges, case.lines["p"])
    when = case.get("when")
    if when is None and not last:
        raise r.error(f"only the last case of stage {name} may omit 'when'", case.line)
    if when is not None:
        when = r.text(when, f"when of a case of stage {name}", case.lines["when"])
        try:
            n_reads = len(parse_rule(when).variables())
        except ModelError as exc:
            raise r.error(f"stage {name}: {exc.message}", case.lines["when"]) from None
        if n_reads > MAX_CASE_INPUTS:
            raise r.error(
                f"a case of stage {name} reads {n_reads} nodes; at most {MAX_CASE_INPUTS} "
                "(split it into several cases)",
                case.lines["when"],
            )
    if last and when is not None:
        raise r.error(f"the last case of stage {name} must have no 'when' (it covers every other cell)", case.line)
    return Case(when, p), case.line


def _constants(r: YamlReader, value, stage: str, line: int | None) -> tuple[dict[str, float], dict[str, Range]]:
    """A stage's named constants (``$name`` in its graded pass probabilities), and their declared ranges.

    A constant is a number or ``{value, range, why}`` (:mod:`metastasim.io.yaml_ranges`);
    a declared range is uniform and lies within [0, 1].
    """
    spec = r.mapping(value, f"constants of stage {stage}", line)
    out, ranges = {}, {}
    for key, v in spec.items():
        if not isinstance(key, str) or not is_valid_name(key):
            raise r.error(f"constant {key!r} of stage {stage} is not a valid name", spec.lines[key])
        out[key], rng = read_uncertain(r, v, f"constant {key} of stage {stage}", spec.lines[key], probability=True)
        if rng is not None:
            ranges[key] = rng
    return out, ranges


def _check_corners(r: YamlReader, stage: str, text: str, constants: dict[str, float], ranges, line: int | None):
    """A graded ``p`` stays within [0, 1] at every corner of its constants' declared ranges.

    Robustness ensembles draw the constants from their ranges; an expression that leaves
    [0, 1] there would fail mid-ensemble, so it is refused when the file is read (an
    expression reading more than :data:`MAX_RANGE_CORNERS_LOG2` ranged constants is left
    to the check on every cell).
    """
    reads = GradedP.parse(text, constants).rate.parameters()
    drawn = [k for k in constants if k in reads and k in ranges and ranges[k].declared]
    if not drawn or len(drawn) > MAX_RANGE_CORNERS_LOG2:
        return
    for corner in itertools.product(*((ranges[k].low, ranges[k].high) for k in drawn)):
        at = dict(constants, **dict(zip(drawn, corner)))
        try:
            GradedP.parse(text, at).range_check()
        except ModelError as exc:
            where = ", ".join(f"${k} = {v:g}" for k, v in zip(drawn, corner))
            raise r.error(
                f"p of a case of stage {stage}, with {where} (corner of the ranges): {exc.message}", line
            ) from None


def _probability(r: YamlReader, value, constants: dict[str, float], stage: str, line: int | None) -> float | str:
    """A case's ``p``: a number in [0, 1], or a graded expression that stays in [0, 1]."""
    if not isinstance(value, str):
        return r.number(value, f"p of a case of stage {stage}", line, lo=0.0, hi=1.0)
    try:
        GradedP.parse(value, constants).range_check()
    except ModelError as exc:
        raise r.error(f"p of a case of stage {stage}: {exc.message}", line) from None
    return value
