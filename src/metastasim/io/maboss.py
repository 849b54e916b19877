"""MaBoSS models: a ``.bnd`` file of node blocks and a ``.cfg`` file of settings.

The reader accepts what MaBoSS 2 accepts in the ``max_rate``-free subset:

- ``.bnd``: ``Node X { logic = …; rate_up = …; rate_down = …; description = "…"; }``
  blocks, ``$param = …;`` definitions, ``/* */``, ``//`` and ``#`` comments;
  MaBoSS's precedence for ``logic`` (``&`` over ``|`` over ``^`` over ``?:``);
- ``.cfg``: ``$param = …;``, ``X.istate = 0|1|-1;`` (``-1``: random),
  ``[X].istate = p [1], q [0];`` and joint ``[A, B].istate = p [0, 1], …;``,
  ``X.is_internal = 0|1;``, and ``sample_count``, ``max_time``, ``time_tick``,
  ``discrete_time``, ``thread_count``, ``seed_pseudorandom``,
  ``statdist_traj_count``, ``statdist_cluster_threshold`` (other MaBoSS run
  settings are read and ignored);
- mutations as MaBoSS users write them: rates guarded by ``$Low_X`` / ``$High_X``
  parameters, as pyMaBoSS's ``mutate`` produces; a non-zero value in the ``.cfg``
  becomes a :class:`~metastasim.network.Knockout` / :class:`~metastasim.network.ForceOn`
  in ``model.perturbations``.

Nodes without an initial state start on with probability 0.5, as in MaBoSS.
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

from metastasim.errors import MetastasimError, ModelError, ParseError
from metastasim.io.files import atomic_write_many, read_text
from metastasim.network.expr import Var, parse_rule
from metastasim.network.model import JointInitial, Model, Node, is_identity
from metastasim.network.perturbations import ForceOn, Knockout, Schedule
from metastasim.network.rates import Rate, format_number, parse_rate

__all__ = ["read_maboss", "parse_maboss", "write_maboss", "to_maboss", "apply_cfg"]

_SETTINGS = {
    "sample_count": ("sample_count", int),
    "max_time": ("max_time", float),
    "time_tick": ("time_tick", float),
    "discrete_time": ("discrete_time", bool),
    "thread_count": ("thread_count", int),
    "seed_pseudorandom": ("seed", int),
    "statdist_traj_count": ("statdist_traj_count", int),
    "statdist_cluster_threshold": ("statdist_cluster_threshold", float),
}
_IGNORED_SETTINGS = {
    "use_physrandgen",
    "use_glibc_rand",
    "use_mtrandgen",
    "display_traj",
    "statdist_similarity_cache_max_size",
    "init_pop",
    "max_pop",
}
_IDENT = r"[A-Za-z_]\w*"
_NEXT_ATTRIBUTE = re.compile(r"\n\s*[A-Za-z_]\w*\s*=(?!=)")


class _Lines:
    """Line numbers of offsets in a text."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)

    def column(self, pos: int) -> int:
        return pos - self.starts[self.line(pos) - 1] + 1


def _strip_comments(text: str) -> str:
    """Blank out comments (keeping line breaks and string contents)."""
    out = list(text)
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            at_line_start = False
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
            continue
        if (c == "/" and text.startswith("//", i)) or (c == "#" and at_line_start):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
            continue
        if c == "\n":
            at_line_start = True
        elif not c.isspace():
            at_line_start = False
        i += 1
    return "".join(out)


@dataclass
class _NodeBlock:
    name: str
    line: int
    attrs: dict[str, tuple[str, int, int, bool]] = field(default_factory=dict)  # name -> (text, line, col, is_string)


def _statements(text: str, lines: _Lines, path: str | None):
    """Yield ``(statement_text, start_offset)`` for each ``;``-terminated statement."""
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return
        j = pos
        while j < n and text[j] != ";":
            if text[j] == '"':
                j += 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
            j += 1
        if j >= n:
            raise ParseError(f"missing ';' after {text[pos:].strip()[:40]!r}", path=path, line=lines.line(pos))
        yield text[pos:j], pos
        pos = j + 1


def _parse_bnd(text: str, path: str | None) -> tuple[list[_NodeBlock], list[tuple[str, str, int, int]]]:
    clean = _strip_comments(text)
    lines = _Lines(clean)
    blocks: list[_NodeBlock] = []
    params: list[tuple[str, str, int, int]] = []
    pos, n = 0, len(clean)
    node_re = re.compile(rf"node\s+({_IDENT})\s*\{{", re.IGNORECASE)
    param_re = re.compile(rf"\$({_IDENT})\s*=")
    attr_re = re.compile(rf"({_IDENT})\s*=\s*")
    while True:
        while pos < n and clean[pos].isspace():
            pos += 1
        if pos >= n:
            break
        m = param_re.match(clean, pos)
        if m:
            end = clean.find(";", m.end())
            if end < 0:
                raise ParseError(f"missing ';' after ${m.group(1)} =", path=path, line=lines.line(pos))
            params.append((m.group(1), clean[m.end() : end], lines.line(m.end()), lines.column(m.end())))
            pos = end + 1
            continue
        m = node_re.match(clean, pos)
        if not m:
            word = clean[pos:].split(None, 1)[0][:40]
            raise ParseError(f"expected 'Node NAME {{' but found {word!r}", path=path, line=lines.line(pos))
        block = _NodeBlock(m.group(1), lines.line(pos))
        pos = m.end()
        while True:
            while pos < n and clean[pos].isspace():
                pos += 1
            if pos >= n:
                raise ParseError(f"node {block.name}: missing '}}' at the end of the file", path=path, line=block.line)
            if clean[pos] == "}":
                pos += 1
                break
            a = attr_re.match(clean, pos)
            if not a:
                word = clean[pos:].split(None, 1)[0][:40]
                raise ParseError(
                    f"node {block.name}: expected 'attribute = value;' but found {word!r}",
                    path=path,
                    line=lines.line(pos),
                )
            name = a.group(1)
            vstart = a.end()
            if clean.startswith('"', vstart):
                j = vstart + 1
                while j < n and clean[j] != '"':
                    j += 2 if clean[j] == "\\" else 1
                value, is_string = re.sub(r"\\(.)", r"\1", clean[vstart + 1 : j]), True
                end = clean.find(";", j)
                if end < 0 or clean[j + 1 : end].strip():
                    raise ParseError(f"node {block.name}: missing ';' after {name}", path=path, line=lines.line(vstart))
            else:
                end = vstart
                while end < n and clean[end] not in ";}":
                    end += 1
                if end >= n or clean[end] != ";":
                    raise ParseError(
                        f"node {block.name}: missing ';' after {name} = …", path=path, line=lines.line(vstart)
                    )
                value, is_string = clean[vstart:end], False
                runaway = _NEXT_ATTRIBUTE.search(value)
                if runaway:  # "logic = A & B" with no ';' before the next "rate_up = ..."
                    raise ParseError(
                        f"node {block.name}: missing ';' after {name} = …",
                        path=path,
                        line=lines.line(vstart + runaway.start()),
                    )
            if name in block.attrs:
                raise ModelError(f"node {block.name}: {name} is given twice", path=path, line=lines.line(pos))
            block.attrs[name] = (value, lines.line(vstart), lines.column(vstart), is_string)
            pos = end + 1
        blocks.append(block)
    return blocks, params


def _located(exc: ModelError, path: str | None, line: int, column: int = 0) -> ModelError:
    return exc.located(path, line, column - 1 if column else 0)


def _eval_value(text: str, params: dict[str, float], path, line, col) -> float:
    try:
        return parse_rate(text).evaluate(params, logic=False)
    except ModelError as exc:
        raise _located(exc, path, line, col) from None


@dataclass
class _Cfg:
    """One .cfg file's statements, in file order: ``(kind, names, value text, line, column)``.

    ``kind`` is ``"$"`` (a parameter; ``names`` holds its name), ``"="`` (a setting) or the
    node attribute (``"istate"``, ``"is_internal"``…; ``"[istate]"`` for the bracket form),
    with the node names in ``names``.
    """

    path: str | None = None
    statements: list[tuple[str, list[str], str, int, int]] = field(default_factory=list)


def _parse_cfg(text: str, path: str | None) -> _Cfg:
    cfg = _Cfg(path)
    clean = _strip_comments(text)
    lines = _Lines(clean)
    param_re = re.compile(rf"\s*\$({_IDENT})\s*=\s*")
    joint_re = re.compile(r"\s*\[([^\]]*)\]\s*\.\s*istate\s*=\s*", re.IGNORECASE)
    attr_re = re.compile(rf"\s*({_IDENT})\s*\.\s*({_IDENT})\s*=\s*")
    setting_re = re.compile(rf"\s*({_IDENT})\s*=\s*")
    patterns = (("param", param_re), ("joint", joint_re), ("attr", attr_re), ("setting", setting_re))
    for stmt, start in _statements(clean, lines, path):
        if not stmt.strip():
            continue
        kind, m = next(
            ((k, m) for k, regex in patterns if (m := regex.match(stmt))),
            (None, None),
        )
        if m is None:
            raise ParseError(f"cannot read statement {stmt.strip()[:60]!r}", path=path, line=lines.line(start))
        vpos = start + m.end()
        value = stmt[m.end() :]
        line, col = lines.line(vpos), lines.column(vpos)
        if not value.strip():
            raise ParseError("missing value after '='", path=path, line=line)
        if kind == "param":
            cfg.statements.append(("$", [m.group(1)], value, line, col))
        elif kind == "joint":
            names = [s.strip() for s in m.group(1).split(",")]
            if not all(re.fullmatch(_IDENT, s) for s in names):
                raise ParseError(f"invalid node list [{m.group(1)}]", path=path, line=line)
            cfg.statements.append(("[istate]", names, value, line, col))
        elif kind == "attr":
            cfg.statements.append((m.group(2).lower(), [m.group(1)], value, line, col))
        else:
            cfg.statements.append(("=", [m.group(1)], value, line, col))
    return cfg


def _joint_outcomes(text: str, size: int, params, path, line, col) -> list[tuple[tuple[int, ...], float]]:
    items: list[str] = []
    depth, startpos = 0, 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            items.append(text[startpos:i])
            startpos = i + 1
    items.append(text[startpos:])
    outcomes = []
    for item in items:
        m = re.fullmatch(r"\s*(.+?)\s*\[([^\]]*)\]\s*", item)
        if not m:
            raise ParseError(f"expected 'probability [values]' but found {item.strip()!r}", path=path, line=line)
        prob = _eval_value(m.group(1), params, path, line, col)
        try:
            values = tuple(int(v) for v in m.group(2).split(","))
        except ValueError:
            raise ParseError(f"state [{m.group(2)}] must list 0s and 1s", path=path, line=line) from None
        if len(values) != size or any(v not in (0, 1) for v in values):
            raise ModelError(
                f"state [{m.group(2)}] must give 0 or 1 for each of the {size} node(s)", path=path, line=line
            )
        if not 0.0 <= prob <= 1.0:
            raise ModelError(f"initial-state probability {prob:g} is outside [0, 1]", path=path, line=line)
        outcomes.append((values, prob))
    total = sum(p for _, p in outcomes)
    if total <= 0:
        raise ModelError("initial-state probabilities are all zero", path=path, line=line)
    return [(v, p / total) for v, p in outcomes]


def _finite(value: float, what: str, path, line) -> float:
    if not math.isfinite(value):
        raise ModelError(f"{what} is {value:g}: it must be a finite number", path=path, line=line)
    return value


@dataclass
class _Params:
    """Parameter values and where each was last defined."""

    values: dict[str, float] = field(default_factory=dict)
    where: dict[str, tuple[str | None, int]] = field(default_factory=dict)

    def define(self, name: str, text: str, path, line, col) -> None:
        self.values[name] = _eval_value(text, self.values, path, line, col)
        self.where[name] = (path, line)


@dataclass
class _At:
    """Where a .cfg statement is written, and the parameter values it is evaluated with."""

    path: str | None
    line: int
    col: int
    params: _Params

    def value(self, text: str, what: str) -> float:
        """``text`` evaluated (a finite number), errors located at the statement."""
        return _finite(
            _eval_value(text, self.params.values, self.path, self.line, self.col), what, self.path, self.line
        )

    def error(self, message: str) -> ModelError:
        return ModelError(message, path=self.path, line=self.line)


def _set_initial(model: Model, names: list[str], outcomes, path, line) -> None:
    """Give ``names`` a (joint) initial distribution; earlier settings of them are replaced."""
    wanted = set(names)
    for group in model.joint_initial:
        shared = wanted & set(group.nodes)
        if shared and not set(group.nodes) <= wanted:
            where = f" (line {group.line})" if group.line else ""
            raise ModelError(
                f"{', '.join(sorted(shared))} belong{'s' if len(shared) == 1 else ''} to the joint "
                f"initial state [{', '.join(group.nodes)}]{where}: set the whole group",
                path=path,
                line=line,
            )
    model.joint_initial = [g for g in model.joint_initial if not set(g.nodes) & wanted]
    if len(names) == 1:
        model.nodes[names[0]].initial = sum(p for values, p in outcomes if values[0] == 1)
    else:
        model.joint_initial.append(JointInitial(tuple(names), tuple(outcomes), line=line))


def _joint_istate(model: Model, names: list[str], text: str, at: _At) -> None:
    """``[A].istate = p [1], q [0];`` or joint ``[A, B].istate = p [0, 1], …;``."""
    outcomes = _joint_outcomes(text, len(names), at.params.values, at.path, at.line, at.col)
    _set_initial(model, names, outcomes, at.path, at.line)


def _istate(model: Model, names: list[str], text: str, at: _At) -> None:
    (name,) = names
    value = at.value(text, f"{name}.istate")
    if value not in (-1, 0, 1):
        raise at.error(
            f"{name}.istate must be 0, 1 or -1 (random), not {value:g}; "
            f"write [{name}].istate = p [1], 1 - p [0]; for a probability"
        )
    _set_initial(model, names, [((1,), 0.5), ((0,), 0.5)] if value < 0 else [((int(value),), 1.0)], at.path, at.line)


def _is_internal(model: Model, names: list[str], text: str, at: _At) -> None:
    model.nodes[names[0]].is_internal = at.value(text, f"{names[0]}.is_internal") != 0


def _in_graph(model: Model, names: list[str], text: str, at: _At) -> None:
    model.nodes[names[0]].in_graph = at.value(text, f"{names[0]}.in_graph") != 0


def _schedule(model: Model, names: list[str], text: str, at: _At) -> None:
    """``X.schedule = t1:v1, t2:v2, …;`` (times and values may use ``$parameters``); a later one replaces it."""
    (name,) = names
    changes = []
    for item in text.split(","):
        time, sep, value = item.partition(":")
        if not sep or not time.strip() or not value.strip():
            raise ParseError(
                f"{name}.schedule: expected 'time: value' but found {item.strip()!r}", path=at.path, line=at.line
            )
        changes.append((at.value(time, f"{name}.schedule"), at.value(value, f"{name}.schedule")))
    try:
        schedule = Schedule(name, tuple(changes))
    except ModelError as exc:
        raise exc.located(at.path, at.line) from None
    kept = tuple(p for p in model.perturbations if not (isinstance(p, Schedule) and p.node == name))
    model.perturbations = kept + (schedule,)


def _read_and_ignore(model: Model, names: list[str], text: str, at: _At) -> None:
    at.value(text, f"{names[0]}.attribute")


#: Node attributes a .cfg may set: ``X.attr = value;`` -> ``handler(model, [X], value text, _At)``.
_NODE_ATTRIBUTES = {
    "[istate]": _joint_istate,
    "istate": _istate,
    "is_internal": _is_internal,
    "in_graph": _in_graph,
    "schedule": _schedule,
    "refstate": _read_and_ignore,
}


def _setting(name: str, text: str, at: _At, values: dict, where: dict) -> None:
    """A run setting (``max_time = 50;``), evaluated now; later statements win."""
    if name not in _SETTINGS:
        if name not in _IGNORED_SETTINGS:
            warnings.warn(f"{at.path or 'cfg'}:{at.line}: unknown setting {name!r} ignored", stacklevel=4)
        return
    field_name, cast = _SETTINGS[name]
    value = at.value(text, name)
    if cast is not float and value != int(value):
        raise at.error(f"{name} must be an integer, not {value:g}")
    values[field_name] = cast(value) if cast is not float else value
    where[field_name] = (at.path, at.line)


def _apply_cfgs(model: Model, sources: Sequence[_Cfg], params: _Params) -> None:
    """Apply the statements of ``sources`` to ``model`` in order, as MaBoSS does.

    Each statement is evaluated with the parameter values defined before it (earlier
    files, earlier lines); rates read the final values.
    """
    values: dict[str, object] = {}
    where: dict[str, tuple[str | None, int]] = {}
    for cfg in sources:
        for kind, names, text, line, col in cfg.statements:
            at = _At(cfg.path, line, col, params)
            if kind == "$":
                params.define(names[0], text, cfg.path, line, col)
            elif kind == "=":
                _setting(names[0], text, at, values, where)
            elif kind not in _NODE_ATTRIBUTES:
                known = ", ".join(k for k in _NODE_ATTRIBUTES if not k.startswith("["))
                raise at.error(f"unknown node attribute {kind!r} (MaBoSS knows {known})")
            else:
                unknown = [name for name in names if name not in model.nodes]
                if unknown:
                    raise at.error(f"unknown node {unknown[0]!r}")
                _NODE_ATTRIBUTES[kind](model, names, text, at)
    try:
        model.settings = model.settings.with_(**values)
    except MetastasimError as exc:
        culprit = next((k for k in where if k in str(exc)), None)
        p, line = where.get(culprit, (None, None))
        raise ModelError(str(exc), path=p, line=line) from None
    model.parameters, found = _extract_mutations(model, params.values)
    model.perturbations = tuple(model.perturbations) + found
    _check_rates(model, params)


def apply_cfg(model: Model, cfg_texts: Sequence[str] | str, *, cfg_paths: Sequence[str | None] = ()) -> Model:
    """Apply MaBoSS ``.cfg`` text(s) to a model of any format, in order (later ones win).

    As MaBoSS's ``-c`` does with any network: ``$parameters`` (added to
    ``model.parameters``; rates that read them use the final values), initial states
    (``X.istate``, ``[A, B].istate``), ``X.is_internal``, run settings
    (``max_time``…), and mutations written with ``$Low_X`` / ``$High_X`` when the
    model's rates read them.  Each statement is evaluated with the parameters defined
    before it, as in MaBoSS.

    Parameters
    ----------
    model
        The model, changed in place (its settings, parameters, initial states,
        internal nodes and perturbations).
    cfg_texts
        The text of one ``.cfg`` file, or of several applied in order.
    cfg_paths
        The files' paths, for error messages.

    Returns
    -------
    Model
        ``model``, checked.

    Raises
    ------
    ModelError
        Naming the ``.cfg`` file and line: syntax errors, unknown nodes or
        attributes, undefined parameters, values out of range.
    """
    if isinstance(cfg_texts, str):
        cfg_texts = [cfg_texts]
    cfg_paths = list(cfg_paths) + [None] * (len(cfg_texts) - len(cfg_paths))
    sources = [_parse_cfg(text, p) for text, p in zip(cfg_texts, cfg_paths)]
    params = _Params(dict(model.parameters), {name: (model.source, None) for name in model.parameters})
    _apply_cfgs(model, sources, params)
    return model.validate()


def parse_maboss(
    bnd_text: str,
    cfg_texts: Sequence[str] | str = (),
    *,
    bnd_path: str | None = None,
    cfg_paths: Sequence[str | None] = (),
) -> Model:
    """Parse the text of a ``.bnd`` file and of zero or more ``.cfg`` files (later ones win).

    Raises
    ------
    ModelError
        Naming the file and line: syntax errors, duplicate nodes, names used but
        never defined, negative or non-finite rates, probabilities outside [0, 1],
        unsupported features (``max_rate``, rates that read node values).
    """
    if isinstance(cfg_texts, str):
        cfg_texts = [cfg_texts]
    cfg_paths = list(cfg_paths) + [None] * (len(cfg_texts) - len(cfg_paths))
    blocks, bnd_params = _parse_bnd(bnd_text, bnd_path)
    if not blocks:
        raise ModelError("no nodes: the .bnd file defines no 'Node' block", path=bnd_path)
    sources = [_parse_cfg(text, p) for text, p in zip(cfg_texts, cfg_paths)]

    params = _Params()  # the .bnd first, then each .cfg in order
    for name, text, line, col in bnd_params:
        params.define(name, text, bnd_path, line, col)

    model = Model(source=bnd_path)
    for block in blocks:
        model.add_node(_build_node(block, bnd_path))
    for block in blocks:
        node = model.nodes[block.name]
        missing = sorted(node.rule.variables() - model.nodes.keys())
        if missing:
            raise ModelError(
                f"logic of {block.name} reads {', '.join(missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} never defined as a node",
                path=bnd_path,
                line=node.line_of("rule"),
            )
    _apply_cfgs(model, sources, params)
    return model.validate()


def _build_node(block: _NodeBlock, path: str | None) -> Node:
    attrs = block.attrs
    for name, (_, line, _, _) in attrs.items():
        if name == "max_rate":
            raise ModelError(
                f"node {block.name}: max_rate is not supported (use rates without it)", path=path, line=line
            )
        if name not in ("logic", "rate_up", "rate_down", "description", "name", "symbol"):
            raise ModelError(
                f"node {block.name}: unsupported attribute {name!r} "
                "(metastasim reads logic, rate_up, rate_down, description)",
                path=path,
                line=line,
            )
    node = Node(block.name, Var(block.name), line=block.line)
    node.lines = {{"logic": "rule"}.get(name, name): line for name, (_, line, _, _) in attrs.items()}
    if "logic" in attrs:
        text, line, col, _ = attrs["logic"]
        try:
            node.rule = parse_rule(text, dialect="maboss")
        except ModelError as exc:
            raise _located(exc, path, line, col) from None
    for attr in ("rate_up", "rate_down"):
        if attr in attrs:
            text, line, col, _ = attrs[attr]
            try:
                rate = parse_rate(text)
            except ModelError as exc:
                raise _located(exc, path, line, col) from None
            setattr(node, attr, rate)
    for attr in ("description", "name", "symbol"):
        if attr in attrs:
            setattr(node, attr, attrs[attr][0])
    node.is_input = is_identity(node)
    return node


def _extract_mutations(model: Model, params: dict[str, float]) -> tuple[dict[str, float], tuple]:
    """Turn non-zero ``$Low_X`` / ``$High_X`` into perturbations; keep the parameters at 0."""
    params = dict(params)
    perturbations = []
    for node in model.nodes.values():
        used = node.rate_up.parameters() | node.rate_down.parameters()
        low, high = f"Low_{node.id}", f"High_{node.id}"
        is_low = low in used and params.get(low, 0.0) != 0.0
        is_high = high in used and params.get(high, 0.0) != 0.0
        if is_low and is_high:
            raise ModelError(
                f"both ${low} and ${high} are set: {node.id} cannot be knocked out and forced on",
                path=model.source,
                line=node.line,
            )
        if is_low:
            perturbations.append(Knockout(node.id))
            params[low] = 0.0
        if is_high:
            perturbations.append(ForceOn(node.id))
            params[high] = 0.0
    return params, tuple(perturbations)


def _check_rates(model: Model, params: _Params) -> None:
    """Every rate finite and non-negative, reported where the culprit is written."""
    for node in model.nodes.values():
        for attr in ("rate_up", "rate_down"):
            rate: Rate = getattr(node, attr)
            where = (node.source or model.source, node.line_of(attr))
            problem = model.rate_reads_problem(node.id, attr)  # located here: the .bnd line of the rate
            if problem:
                raise ModelError(problem[1], path=where[0], line=where[1])
            reads = sorted(rate.nodes())
            for logic, states in itertools.product((True, False), itertools.product((0, 1), repeat=len(reads))):
                try:
                    value = rate.evaluate(model.parameters, logic=logic, nodes=dict(zip(reads, states)))
                except ModelError as exc:
                    raise ModelError(f"{attr} of {node.id}: {exc.message}", path=where[0], line=where[1]) from None
                if value >= 0 and value != math.inf:
                    continue
                bad = [
                    n
                    for n in sorted(rate.parameters())
                    if not (model.parameters.get(n, 0.0) >= 0 and math.isfinite(model.parameters.get(n, 0.0)))
                ]
                if bad and bad[0] in params.where:
                    where = params.where[bad[0]]
                    cause = f" (${bad[0]} = {model.parameters[bad[0]]:g})"
                else:
                    cause = ""
                raise ModelError(
                    f"{attr} of {node.id} is {value:g} when its logic is {str(logic).lower()}{cause}: "
                    "rates must be finite and non-negative",
                    path=where[0],
                    line=where[1],
                )


def read_maboss(
    bnd_path: str | os.PathLike, cfg_path: str | os.PathLike | Sequence[str | os.PathLike] | None = None
) -> Model:
    """Read a MaBoSS model from a ``.bnd`` file and optional ``.cfg`` file(s)."""
    if cfg_path is None:
        cfgs: list = []
    elif isinstance(cfg_path, (str, os.PathLike)):
        cfgs = [cfg_path]
    else:
        cfgs = list(cfg_path)
    model = parse_maboss(
        read_text(bnd_path),
        [read_text(c) for c in cfgs],
        bnd_path=str(bnd_path),
        cfg_paths=[str(c) for c in cfgs],
    )
    model.name = os.path.splitext(os.path.basename(bnd_path))[0]
    return model


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def _mutable_rates(node: Node) -> tuple[str, str]:
    low, high = f"$Low_{node.id}", f"$High_{node.id}"
    up = f"{low} ? 0 : ({high} ? 1E308/$nb_mutable : ({node.rate_up.to_string()}))"
    down = f"{high} ? 0 : ({low} ? 1E308/$nb_mutable : ({node.rate_down.to_string()}))"
    return up, down


def to_maboss(model: Model) -> tuple[str, str]:
    """The model as MaBoSS ``(bnd_text, cfg_text)``.

    Perturbations the model carries (``model.perturbations``: knock-outs and
    over-expressions) are written as MaBoSS users write mutations, schedules as
    ``X.schedule = t1:v1, …;``.
    """
    mutated: dict[str, str] = {}
    schedules: list[str] = []
    for p in model.perturbations:
        if isinstance(p, Schedule):
            changes = ", ".join(f"{format_number(t)}:{format_number(v)}" for t, v in p.changes)
            schedules.append(f"{p.node}.schedule = {changes};")
        elif isinstance(p, Knockout):
            mutated[p.node] = "low"
        elif isinstance(p, ForceOn):
            mutated[p.node] = "high"
        else:
            raise ModelError(f"MaBoSS files can carry knock-outs, over-expressions and schedules, not {p!r}")
    already = {n.id for n in model.nodes.values() if f"Low_{n.id}" in n.rate_up.parameters() | n.rate_down.parameters()}
    bnd: list[str] = []
    for node in model.nodes.values():
        bnd.append(f"Node {node.id} {{")
        for attr in ("name", "symbol", "description"):
            if getattr(node, attr):
                bnd.append(f'  {attr} = "{_escape(getattr(node, attr))}";')
        bnd.append(f"  logic = {node.rule.to_string('maboss')};")
        if node.id in mutated and node.id not in already:
            up, down = _mutable_rates(node)
        else:
            up, down = node.rate_up.to_string(), node.rate_down.to_string()
        bnd.append(f"  rate_up = {up};")
        bnd.append(f"  rate_down = {down};")
        bnd.append("}")
        bnd.append("")

    cfg: list[str] = []
    params = dict(model.parameters)
    mutable = sorted(set(mutated) | already)
    if mutable:
        params["nb_mutable"] = max(1, len(mutable))
        for name in mutable:
            params[f"Low_{name}"] = 1.0 if mutated.get(name) == "low" else 0.0
            params[f"High_{name}"] = 1.0 if mutated.get(name) == "high" else 0.0
    cfg.extend(f"${name} = {format_number(value)};" for name, value in params.items())
    if cfg:
        cfg.append("")
    grouped = {name for g in model.joint_initial for name in g.nodes}
    for node in model.nodes.values():
        if node.id in grouped:
            continue
        p1 = float(node.initial)
        cfg.append(f"[{node.id}].istate = {format_number(p1)} [1], {format_number(1.0 - p1)} [0];")
    for g in model.joint_initial:
        outcomes = ", ".join(f"{format_number(p)} [{', '.join(str(v) for v in values)}]" for values, p in g.outcomes)
        cfg.append(f"[{', '.join(g.nodes)}].istate = {outcomes};")
    cfg.append("")
    cfg.extend(f"{node.id}.is_internal = {int(node.is_internal)};" for node in model.nodes.values())
    cfg.extend(f"{node.id}.in_graph = 1;" for node in model.nodes.values() if node.in_graph)
    cfg.extend(schedules)
    cfg.append("")
    s = model.settings
    cfg.extend(
        [
            f"sample_count = {s.sample_count};",
            f"max_time = {format_number(s.max_time)};",
            f"time_tick = {format_number(s.time_tick)};",
            f"discrete_time = {int(s.discrete_time)};",
            f"thread_count = {max(1, s.thread_count)};",
            f"seed_pseudorandom = {s.seed};",
        ]
    )
    if s.statdist_traj_count:
        cfg.append(f"statdist_traj_count = {s.statdist_traj_count};")
        cfg.append(f"statdist_cluster_threshold = {format_number(s.statdist_cluster_threshold)};")
    return "\n".join(bnd), "\n".join(cfg) + "\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def write_maboss(model: Model, bnd_path: str | os.PathLike, cfg_path: str | os.PathLike | None = None) -> None:
    """Write ``.bnd`` and ``.cfg`` files (the ``.cfg`` defaults to the ``.bnd`` path with ``.cfg``)."""
    bnd_text, cfg_text = to_maboss(model)
    if cfg_path is None:
        cfg_path = os.path.splitext(os.fspath(bnd_path))[0] + ".cfg"
    atomic_write_many({bnd_path: bnd_text, cfg_path: cfg_text})
