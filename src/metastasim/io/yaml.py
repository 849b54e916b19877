"""metastasim's own YAML model format: human-edited, with annotations and references.

A minimal file::

    format: metastasim-model/1
    name: toy
    parameters:
      fast: 10
    nodes:
      Signal:
        input: true
      Kinase:
        rule: Signal & !Phosphatase
        rate_up: $fast            # a number, a $parameter, or a MaBoSS rate expression
        initial: 0
        symbol: MAPK1
        references:
          - id: doi:10.1000/example
            statement: Signal activates the kinase.
      Phosphatase:
        rule: Kinase

Node fields: ``rule``, ``rate_up``, ``rate_down`` (a number or ``$parameter``
applies while the rule holds / fails; a string with ``@logic`` is a MaBoSS rate
expression), ``initial`` (probability of being on at time 0, default 0.5), ``input``,
``internal``, ``name``, ``symbol``, ``description``, ``references`` (each ``id``:
``doi:…`` or ``pmid:…``, and ``statement``).  Top level: ``format``, ``name``,
``description``, ``references``, ``parameters`` (each a number, or ``{value, range,
why}``: its plausible range and the reasoning, see ``metastasim.io.yaml_ranges``),
``settings`` (as MaBoSS's run settings) and ``initial_states`` (joint distributions).
Errors name the line.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from pathlib import Path
from typing import Any

import yaml as pyyaml

from metastasim.errors import MetastasimError, ModelError
from metastasim.io.files import atomic_write_text, read_text
from metastasim.io.yaml_ranges import read_uncertain, uncertain_to_yaml
from metastasim.network.drugs import Drug, DrugTarget
from metastasim.network.expr import Var, parse_rule
from metastasim.network.model import Context, JointInitial, Model, Node, Reference, is_identity
from metastasim.network.parser import RESERVED, is_valid_name
from metastasim.network.rates import Rate, down_rate, format_number, parse_rate, up_rate
from metastasim.network.settings import Settings

__all__ = [
    "read_yaml",
    "parse_yaml",
    "write_yaml",
    "to_yaml",
    "FORMAT",
    "parse_drug_library",
    "read_drug_library",
    "load_yaml_document",
    "YamlReader",
]

FORMAT = "metastasim-model/1"
_NODE_FIELDS = (
    "rule",
    "rate_up",
    "rate_down",
    "initial",
    "input",
    "internal",
    "name",
    "symbol",
    "description",
    "references",
    "module",
    "evidence",
)
_TOP_FIELDS = (
    "format",
    "name",
    "description",
    "references",
    "parameters",
    "settings",
    "modules",
    "nodes",
    "initial_states",
    "contexts",
)
_MODULE_FIELDS = ("module", "title", "description", "nodes")
_REFERENCE_FIELDS = ("id", "statement", "citation", "regulators")
_REFERENCE_ID = re.compile(r"(doi:10\.\d+/\S+|pmid:\d+|pmcid:PMC\d+|https?://\S+)\Z", re.IGNORECASE)
_SETTINGS = (
    "sample_count",
    "max_time",
    "time_tick",
    "discrete_time",
    "thread_count",
    "seed",
    "statdist_traj_count",
    "statdist_cluster_threshold",
)


class _Map(dict):
    """A YAML mapping that remembers where each key and value are (1-based lines)."""

    line: int = 0
    lines: dict
    marks: dict  # key -> (line, column, style) of the value


def _empty_map() -> _Map:
    m = _Map()
    m.lines, m.marks = {}, {}
    return m


class _Seq(list):
    line: int = 0
    lines: list


class _Loader(pyyaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so a node named NO or ON stays text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in pyyaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: pyyaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _empty_map()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            raise ModelError("mapping keys must be plain text", line=key_node.start_mark.line + 1)
        if key in result:
            raise ModelError(
                f"{key!r} appears twice (first on line {result.lines[key]})", line=key_node.start_mark.line + 1
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
        mark = value_node.start_mark
        result.marks[key] = (mark.line + 1, mark.column + 1, getattr(value_node, "style", None))
    return result


def _construct_sequence(loader: _Loader, node: pyyaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(pyyaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(pyyaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _in_file(exc: ModelError, path: str | None, mark: tuple[int, int, str | None]) -> ModelError:
    """A parse error inside a scalar value, placed at its line and column in the file."""
    line, column, style = mark
    if style in ("|", ">"):  # block scalars start on the next line; columns depend on indentation
        return type(exc)(exc.message, path=path, line=line + (exc.line or 1))
    if (exc.line or 1) > 1:
        return type(exc)(exc.message, path=path, line=line + exc.line - 1)
    offset = column if style in ("'", '"') else column - 1
    col = None if exc.column is None else exc.column + offset
    return type(exc)(exc.message, path=path, line=line, column=col)


class _Reader:
    def __init__(self, path: str | None):
        self.path = path

    def error(self, message: str, line: int | None) -> ModelError:
        return ModelError(message, path=self.path, line=line)

    def mapping(self, value: Any, what: str, line: int | None) -> _Map:
        if not isinstance(value, _Map):
            raise self.error(f"{what} must be a mapping (name: value)", getattr(value, "line", line))
        return value

    def check_fields(self, mapping: _Map, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(allowed)})"
                raise self.error(f"unknown field {key!r} in {what}{hint}", mapping.lines[key])

    def number(
        self, value: Any, what: str, line: int | None, *, lo: float | None = None, hi: float | None = None
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"{what} must be a number, not {value!r}", line)
        value = float(value)
        if not math.isfinite(value):
            raise self.error(f"{what} must be finite, not {value}", line)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = (
                f"[{format_number(lo)}, {format_number(hi)}]" if hi is not None else f"at least {format_number(lo)}"
            )
            raise self.error(
                f"{what} must be {'in ' if hi is not None else ''}{bounds}, not {format_number(value)}", line
            )
        return value

    def text(self, value: Any, what: str, line: int | None) -> str:
        if not isinstance(value, str):
            raise self.error(f"{what} must be text, not {value!r}", line)
        return value

    def flag(self, spec: _Map, key: str, node: str) -> bool:
        value = spec.get(key, False)
        if not isinstance(value, bool):
            raise self.error(f"{key} of {node} must be true or false, not {value!r}", spec.lines.get(key))
        return value

    def references(self, value: Any, what: str, line: int | None) -> tuple[Reference, ...]:
        if not isinstance(value, list):
            raise self.error(f"references of {what} must be a list", line)
        refs = []
        for item, item_line in zip(value, getattr(value, "lines", [line] * len(value))):
            if isinstance(item, str):
                refs.append(Reference(item))
                continue
            item = self.mapping(item, f"a reference of {what}", item_line)
            self.check_fields(item, _REFERENCE_FIELDS, f"a reference of {what}")
            if "id" not in item:
                raise self.error(f"a reference of {what} has no id", item.line)
            regulators = item.get("regulators", [])
            if not isinstance(regulators, list) or not all(isinstance(x, str) for x in regulators):
                raise self.error(
                    f"regulators of a reference of {what} must be a list of node names", item.lines.get("regulators")
                )
            text = {
                k: self.text(item.get(k, ""), f"{k} of a reference", item.lines.get(k))
                for k in ("id", "statement", "citation")
            }
            if not _REFERENCE_ID.match(text["id"]):
                raise self.error(
                    f"reference id {text['id']!r} of {what} is not doi:10.N/…, pmid:N, pmcid:PMCN "
                    "or an http(s) address",
                    item.lines.get("id", item.line),
                )
            refs.append(Reference(text["id"], text["statement"], text["citation"], tuple(regulators)))
        return tuple(refs)

    def rate(self, value: Any, kind: str, node: str, line: int | None) -> Rate:
        what = f"{kind} of {node}"
        try:
            if isinstance(value, str) and ("@" in value or "?" in value):
                return parse_rate(value)
            if isinstance(value, str):
                return (up_rate if kind == "rate_up" else down_rate)(value)
            rate = self.number(value, what, line, lo=0.0)
            return (up_rate if kind == "rate_up" else down_rate)(rate)
        except ModelError as exc:
            if exc.path is not None:
                raise
            raise self.error(f"{what}: {exc.message}", line) from None


def _read_node(r: _Reader, name: Any, spec: Any, line: int) -> Node:
    if not is_valid_name(name):
        reserved = " (a reserved word)" if str(name).lower() in RESERVED else ""
        raise r.error(f"invalid node name {name!r}{reserved}", line)
    spec = r.mapping(spec if spec is not None else _empty_map(), f"node {name}", line)
    r.check_fields(spec, _NODE_FIELDS, f"node {name}")
    node = Node(name, Var(name), line=line, lines={k: v for k, v in spec.lines.items() if k in _NODE_FIELDS})
    node.is_input = r.flag(spec, "input", name)
    node.is_internal = r.flag(spec, "internal", name)
    if "rule" in spec:
        text = spec["rule"]
        if isinstance(text, bool) or (isinstance(text, int) and text in (0, 1)):
            text = str(int(text))
        try:
            node.rule = parse_rule(r.text(text, f"rule of {name}", spec.lines["rule"]))
        except ModelError as exc:
            if exc.path is not None:
                raise
            raise _in_file(exc, r.path, spec.marks["rule"]) from None
        node.is_input = node.is_input or is_identity(node)
    elif not node.is_input:
        raise r.error(f"node {name} has no rule (give one, or mark it 'input: true')", line)
    for kind in ("rate_up", "rate_down"):
        if kind in spec:
            setattr(node, kind, r.rate(spec[kind], kind, name, spec.lines[kind]))
    if "initial" in spec:
        node.initial = r.number(spec["initial"], f"initial probability of {name}", spec.lines["initial"], lo=0, hi=1)
    for field in ("name", "symbol", "description"):
        if field in spec:
            setattr(node, field, r.text(spec[field], f"{field} of {name}", spec.lines[field]))
    if "references" in spec:
        node.references = r.references(spec["references"], name, spec.lines["references"])
    if "evidence" in spec:
        node.evidence = r.references(spec["evidence"], f"the rule of {name}", spec.lines["evidence"])
        reads = node.rule.variables()
        rate_reads = node.rate_up.nodes() | node.rate_down.nodes()
        for ref, ref_line in zip(node.evidence, getattr(spec["evidence"], "lines", [])):
            stray = [x for x in ref.regulators if x not in reads and x not in rate_reads]
            if stray:
                raise r.error(
                    f"evidence of {name} names {', '.join(stray)}, which neither its rule nor its rates read", ref_line
                )
    if "module" in spec:
        node.module = r.text(spec["module"], f"module of {name}", spec.lines["module"])
    node.source = r.path
    return node


def _read_joint_initial(r: _Reader, groups: Any, line: int | None, model: Model) -> None:
    if not isinstance(groups, list):
        raise r.error("initial_states must be a list", line)
    for item, item_line in zip(groups, groups.lines):
        g = r.mapping(item, "a joint initial state", item_line)
        r.check_fields(g, ("nodes", "states"), "a joint initial state")
        names = g.get("nodes")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise r.error("a joint initial state needs a list of node names", g.line)
        unknown = [n for n in names if n not in model.nodes]
        if unknown:
            raise r.error(f"initial state names unknown node {unknown[0]!r}", g.line)
        states = g.get("states")
        if not isinstance(states, list) or not states:
            raise r.error("a joint initial state needs a list of states", g.line)
        outcomes = []
        for st, st_line in zip(states, states.lines):
            st = r.mapping(st, "a state", st_line)
            r.check_fields(st, ("values", "probability"), "a state")
            values = st.get("values")
            if (
                not isinstance(values, list)
                or len(values) != len(names)
                or any(isinstance(v, bool) or v not in (0, 1) for v in values)
            ):
                raise r.error(f"values must list 0 or 1 for each of {', '.join(names)}", st.line)
            p = r.number(st.get("probability"), "probability", st.lines.get("probability", st.line), lo=0, hi=1)
            outcomes.append((tuple(int(v) for v in values), p))
        model.joint_initial.append(JointInitial(tuple(names), tuple(outcomes), line=g.line))


def _load(text: str, r: _Reader) -> Any:
    try:
        return pyyaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except pyyaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise r.error(f"YAML syntax: {problem}", mark.line + 1 if mark else None) from None
    except ModelError as exc:
        raise exc.located(r.path) from None


def _beside(r: _Reader, name: Any, what: str, line: int | None) -> Path:
    """A file named in the model file, relative to the model file's folder."""
    name = r.text(name, what, line)
    if r.path is None:
        raise r.error(f"{what} {name!r}: files can only be named in a model read from a file", line)
    return Path(r.path).parent / name


def _read_modules(r: _Reader, modules: Any, line: int | None, model: Model) -> None:
    """Nodes from module files (``modules: [upr.yaml, …]``), each node tagged with its module."""
    if not isinstance(modules, list) or not modules:
        raise r.error("modules must be a list of file names", line)
    for item, item_line in zip(modules, modules.lines):
        path = _beside(r, item, "module file", item_line)
        mr = _Reader(str(path))
        doc = mr.mapping(_load(read_text(path), mr), "a module file", 1)
        mr.check_fields(doc, _MODULE_FIELDS, "a module")
        name = mr.text(doc.get("module", path.stem), "module", doc.lines.get("module"))
        nodes = mr.mapping(doc.get("nodes"), "nodes", doc.lines.get("nodes", doc.line))
        for node_name, spec in nodes.items():
            node = _read_node(mr, node_name, spec, nodes.lines[node_name])
            node.module = node.module or name
            model.add_node(node)


def _read_contexts(r: _Reader, contexts: Any, line: int | None, model: Model) -> None:
    """``contexts: {name: {inputs: {…}, description, references}}``, inline or in a named file."""
    if isinstance(contexts, str):
        path = _beside(r, contexts, "contexts file", line)
        r = _Reader(str(path))
        doc = r.mapping(_load(read_text(path), r), "a contexts file", 1)
        r.check_fields(doc, ("contexts",), "a contexts file")
        contexts, line = doc.get("contexts"), doc.lines.get("contexts", 1)
    contexts = r.mapping(contexts, "contexts", line)
    for name, spec in contexts.items():
        ctx_line = contexts.lines[name]
        if not is_valid_name(name):
            raise r.error(f"invalid context name {name!r}", ctx_line)
        spec = r.mapping(spec, f"context {name}", ctx_line)
        r.check_fields(spec, ("inputs", "description", "references"), f"context {name}")
        inputs = r.mapping(spec.get("inputs"), f"inputs of context {name}", spec.lines.get("inputs", ctx_line))
        refs = (
            r.references(spec["references"], f"context {name}", spec.lines["references"])
            if "references" in spec
            else ()
        )
        model.contexts[name] = Context(
            name,
            dict(inputs),
            r.text(spec.get("description", ""), "description", spec.lines.get("description")),
            refs,
            source=r.path,
            line=ctx_line,
        )


def parse_yaml(text: str, *, path: str | None = None) -> Model:
    """Parse a metastasim YAML model."""
    r = _Reader(path)
    doc = _load(text, r)
    if doc is None:
        raise r.error("the file is empty", None)
    doc = r.mapping(doc, "the file", 1)
    r.check_fields(doc, _TOP_FIELDS, "the model")
    fmt = doc.get("format", FORMAT)
    if fmt != FORMAT:
        raise r.error(f"format {fmt!r} is not {FORMAT!r}", doc.lines.get("format"))
    if "nodes" not in doc and "modules" not in doc:
        raise r.error("no 'nodes' (or 'modules') section", doc.line)
    model = Model(source=path)
    model.name = r.text(doc.get("name", ""), "name", doc.lines.get("name"))
    model.description = r.text(doc.get("description", ""), "description", doc.lines.get("description"))
    if "references" in doc:
        model.references = r.references(doc["references"], "the model", doc.lines["references"])
    params = r.mapping(doc.get("parameters", _empty_map()), "parameters", doc.lines.get("parameters"))
    for name, value in params.items():
        key = str(name)[1:] if str(name).startswith("$") else name
        if not is_valid_name(key):
            raise r.error(f"invalid parameter name {name!r}", params.lines[name])
        value, rng = read_uncertain(r, value, f"parameter {name}", params.lines[name], probability=False)
        model.parameters[key] = value
        if rng is not None:
            model.parameter_ranges[key] = rng
    if "settings" in doc:
        settings = r.mapping(doc["settings"], "settings", doc.lines["settings"])
        r.check_fields(settings, _SETTINGS, "settings")
        for key, value in settings.items():
            if value is None:
                raise r.error(f"setting {key} has no value", settings.lines[key])
        try:
            model.settings = Settings().with_(**dict(settings))
        except MetastasimError as exc:
            raise r.error(str(exc), settings.line) from None
    if "nodes" in doc:
        nodes = r.mapping(doc["nodes"], "nodes", doc.lines["nodes"])
        for name, spec in nodes.items():
            model.add_node(_read_node(r, name, spec, nodes.lines[name]))
    if "modules" in doc:
        _read_modules(r, doc["modules"], doc.lines["modules"], model)
    if not model.nodes:
        raise r.error("no nodes", doc.lines.get("nodes", doc.line))
    if "contexts" in doc:
        _read_contexts(r, doc["contexts"], doc.lines["contexts"], model)
    if "initial_states" in doc:
        _read_joint_initial(r, doc["initial_states"], doc.lines["initial_states"], model)
    return model.validate()


def read_yaml(path: str | os.PathLike) -> Model:
    """Read a metastasim YAML model file."""
    model = parse_yaml(read_text(path), path=str(path))
    if not model.name:
        model.name = os.path.splitext(os.path.basename(path))[0]
    return model


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def _rate_value(rate: Rate, kind: str) -> Any:
    simple = rate.simple_value("up" if kind == "rate_up" else "down")
    if simple is None:
        return rate.to_string()
    if simple.startswith("$"):
        return simple
    value = float(simple)
    return int(value) if value.is_integer() else value


def _refs(refs: tuple[Reference, ...]) -> list:
    out = []
    for ref in refs:
        item: dict[str, Any] = {"id": ref.id}
        for key in ("citation", "statement"):
            if getattr(ref, key):
                item[key] = getattr(ref, key)
        if ref.regulators:
            item["regulators"] = list(ref.regulators)
        out.append(item)
    return out


def to_yaml(model: Model) -> str:
    """The model as YAML text (annotations and references included)."""
    doc: dict[str, Any] = {"format": FORMAT}
    if model.name:
        doc["name"] = model.name
    if model.description:
        doc["description"] = model.description
    if model.references:
        doc["references"] = _refs(model.references)
    if model.parameters:
        doc["parameters"] = {
            k: uncertain_to_yaml(v, model.parameter_ranges.get(k)) for k, v in model.parameters.items()
        }
    if model.settings != Settings():
        doc["settings"] = {k: v for k, v in model.settings.to_dict().items() if getattr(Settings(), k) != v}
    if model.perturbations:
        raise ModelError("the model carries mutations (from a MaBoSS file); the YAML format has no place for them")
    nodes: dict[str, Any] = {}
    for node in model.nodes.values():
        spec: dict[str, Any] = {}
        if node.is_input and is_identity(node):
            spec["input"] = True
        else:
            spec["rule"] = node.rule.to_string()
        for kind in ("rate_up", "rate_down"):
            value = _rate_value(getattr(node, kind), kind)
            if value != 1:
                spec[kind] = value
        spec["initial"] = int(node.initial) if float(node.initial).is_integer() else node.initial
        if node.is_internal:
            spec["internal"] = True
        for field in ("name", "symbol", "module", "description"):
            if getattr(node, field):
                spec[field] = getattr(node, field)
        if node.references:
            spec["references"] = _refs(node.references)
        if node.evidence:
            spec["evidence"] = _refs(node.evidence)
        nodes[node.id] = spec
    doc["nodes"] = nodes
    if model.contexts:
        doc["contexts"] = {
            c.name: {
                k: v
                for k, v in (
                    ("description", c.description),
                    ("inputs", dict(c.inputs)),
                    ("references", _refs(c.references)),
                )
                if v
            }
            for c in model.contexts.values()
        }
    if model.joint_initial:
        doc["initial_states"] = [
            {"nodes": list(g.nodes), "states": [{"values": list(v), "probability": p} for v, p in g.outcomes]}
            for g in model.joint_initial
        ]
    return pyyaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def write_yaml(model: Model, path: str | os.PathLike) -> None:
    """Write the model as YAML (atomically)."""
    atomic_write_text(path, to_yaml(model))


# ---------------------------------------------------------------------------
# the drug library (a data file beside a model)
# ---------------------------------------------------------------------------

DRUGS_FORMAT = "metastasim-drugs/1"
_DRUG_FIELDS = ("aliases", "class", "targets", "reference", "finding", "note")


def parse_drug_library(text: str, *, path: str | None = None) -> dict[str, Drug]:
    """Parse a drug library: ``drugs: {name: {targets: [{node, action, efficacy}], reference, …}}``."""
    r = _Reader(path)
    doc = r.mapping(_load(text, r), "the drug library", 1)
    r.check_fields(doc, ("format", "drugs"), "the drug library")
    if doc.get("format", DRUGS_FORMAT) != DRUGS_FORMAT:
        raise r.error(f"format {doc['format']!r} is not {DRUGS_FORMAT!r}", doc.lines.get("format"))
    drugs = r.mapping(doc.get("drugs"), "drugs", doc.lines.get("drugs", 1))
    library: dict[str, Drug] = {}
    for name, spec in drugs.items():
        line = drugs.lines[name]
        spec = r.mapping(spec, f"drug {name}", line)
        r.check_fields(spec, _DRUG_FIELDS, f"drug {name}")
        targets = spec.get("targets")
        if not isinstance(targets, list) or not targets:
            raise r.error(f"drug {name} needs a list of targets", spec.lines.get("targets", line))
        parsed = []
        for t, t_line in zip(targets, targets.lines):
            t = r.mapping(t, f"a target of {name}", t_line)
            r.check_fields(t, ("node", "action", "efficacy"), f"a target of {name}")
            try:
                parsed.append(
                    DrugTarget(r.text(t.get("node"), "target node", t.line), t.get("action"), t.get("efficacy", 1.0))
                )
            except ModelError as exc:
                raise r.error(f"drug {name}: {exc.message}", t.line) from None
        aliases = spec.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise r.error(f"aliases of {name} must be a list of names", spec.lines.get("aliases"))
        reference = None
        if "reference" in spec:
            (reference,) = r.references([spec["reference"]], f"drug {name}", spec.lines["reference"])
        library[str(name)] = Drug(
            str(name),
            tuple(parsed),
            tuple(aliases),
            r.text(spec.get("class", ""), "class", spec.lines.get("class")),
            reference,
            r.text(spec.get("finding", ""), "finding", spec.lines.get("finding")),
            r.text(spec.get("note", ""), "note", spec.lines.get("note")),
        )
    return library


def read_drug_library(path: str | os.PathLike) -> dict[str, Drug]:
    """Read a drug library file."""
    return parse_drug_library(read_text(path), path=str(path))


# Shared with the other data files of a model (validation facts): YAML with line numbers.
YamlReader = _Reader


def load_yaml_document(text: str, path: str | None) -> Any:
    """A YAML document as mappings and lists that remember their lines (see ``YamlReader``)."""
    return _load(text, _Reader(path))
