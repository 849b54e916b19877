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
``description``, ``references``, ``parameters``, ``settings`` (as MaBoSS's run
settings) and ``initial_states`` (joint distributions).  Errors name the line.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from typing import Any

import yaml as pyyaml

from metastasim.errors import MetastasimError, ModelError
from metastasim.io._files import atomic_write_text, read_text
from metastasim.network.expr import Var, parse_rule
from metastasim.network.model import JointInitial, Model, Node, Reference, is_identity
from metastasim.network.parser import RESERVED, is_valid_name
from metastasim.network.rates import Rate, down_rate, format_number, parse_rate, up_rate
from metastasim.network.settings import Settings

__all__ = ["read_yaml", "parse_yaml", "write_yaml", "to_yaml", "FORMAT"]

FORMAT = "metastasim-model/1"
_NODE_FIELDS = ("rule", "rate_up", "rate_down", "initial", "input", "internal", "name", "symbol",
                "description", "references")
_TOP_FIELDS = ("format", "name", "description", "references", "parameters", "settings", "nodes", "initial_states")
_SETTINGS = ("sample_count", "max_time", "time_tick", "discrete_time", "thread_count", "seed")


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
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _construct_mapping(loader: _Loader, node: pyyaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _empty_map()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            raise ModelError("mapping keys must be plain text", line=key_node.start_mark.line + 1)
        if key in result:
            raise ModelError(f"{key!r} appears twice (first on line {result.lines[key]})",
                             line=key_node.start_mark.line + 1)
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

    def number(self, value: Any, what: str, line: int | None, *, lo: float | None = None, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"{what} must be a number, not {value!r}", line)
        value = float(value)
        if not math.isfinite(value):
            raise self.error(f"{what} must be finite, not {value}", line)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"[{format_number(lo)}, {format_number(hi)}]" if hi is not None else f"at least {format_number(lo)}"
            raise self.error(f"{what} must be {'in ' if hi is not None else ''}{bounds}, not {format_number(value)}", line)
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
            self.check_fields(item, ("id", "statement"), f"a reference of {what}")
            if "id" not in item:
                raise self.error(f"a reference of {what} has no id", item.line)
            refs.append(Reference(self.text(item["id"], "a reference id", item.lines["id"]),
                                  self.text(item.get("statement", ""), "a statement", item.lines.get("statement"))))
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
            if not isinstance(values, list) or len(values) != len(names) or any(
                    isinstance(v, bool) or v not in (0, 1) for v in values):
                raise r.error(f"values must list 0 or 1 for each of {', '.join(names)}", st.line)
            p = r.number(st.get("probability"), "probability", st.lines.get("probability", st.line), lo=0, hi=1)
            outcomes.append((tuple(int(v) for v in values), p))
        model.joint_initial.append(JointInitial(tuple(names), tuple(outcomes), line=g.line))


def parse_yaml(text: str, *, path: str | None = None) -> Model:
    """Parse a metastasim YAML model."""
    r = _Reader(path)
    try:
        doc = pyyaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except pyyaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise r.error(f"YAML syntax: {problem}", mark.line + 1 if mark else None) from None
    except ModelError as exc:
        raise exc.located(path) from None
    if doc is None:
        raise r.error("the file is empty", None)
    doc = r.mapping(doc, "the file", 1)
    r.check_fields(doc, _TOP_FIELDS, "the model")
    fmt = doc.get("format", FORMAT)
    if fmt != FORMAT:
        raise r.error(f"format {fmt!r} is not {FORMAT!r}", doc.lines.get("format"))
    if "nodes" not in doc:
        raise r.error("no 'nodes' section", doc.line)
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
        model.parameters[key] = r.number(value, f"parameter {name}", params.lines[name])
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
    nodes = r.mapping(doc["nodes"], "nodes", doc.lines["nodes"])
    if not nodes:
        raise r.error("no nodes", doc.lines["nodes"])
    for name, spec in nodes.items():
        model.add_node(_read_node(r, name, spec, nodes.lines[name]))
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
    return [{"id": ref.id, "statement": ref.statement} if ref.statement else {"id": ref.id} for ref in refs]


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
        doc["parameters"] = {k: (int(v) if float(v).is_integer() else v) for k, v in model.parameters.items()}
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
        for field in ("name", "symbol", "description"):
            if getattr(node, field):
                spec[field] = getattr(node, field)
        if node.references:
            spec["references"] = _refs(node.references)
        nodes[node.id] = spec
    doc["nodes"] = nodes
    if model.joint_initial:
        doc["initial_states"] = [
            {"nodes": list(g.nodes), "states": [{"values": list(v), "probability": p} for v, p in g.outcomes]}
            for g in model.joint_initial
        ]
    return pyyaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def write_yaml(model: Model, path: str | os.PathLike) -> None:
    """Write the model as YAML (atomically)."""
    atomic_write_text(path, to_yaml(model))
