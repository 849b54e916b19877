"""MaBoSS models: a ``.bnd`` file of node blocks and ``.cfg`` files of settings.

The reader accepts what MaBoSS 2 accepts in the ``max_rate``-free subset:

- ``.bnd`` (read here): ``Node X { logic = …; rate_up = …; rate_down = …;
  description = "…"; }`` blocks, ``$param = …;`` definitions, ``/* */``, ``//`` and
  ``#`` comments; MaBoSS's precedence for ``logic`` (``&`` over ``|`` over ``^`` over
  ``?:``);
- ``.cfg`` (read by :mod:`metastasim.io.maboss_cfg`, which any model format can use
  through :func:`apply_cfg`): ``$param = …;``, initial states, internal nodes,
  schedules, run settings, and mutations as MaBoSS users write them (rates guarded
  by ``$Low_X`` / ``$High_X`` parameters, as pyMaBoSS's ``mutate`` produces; a
  non-zero value in the ``.cfg`` becomes a :class:`~metastasim.network.Knockout` /
  :class:`~metastasim.network.ForceOn` in ``model.perturbations``).

Nodes without an initial state start on with probability 0.5, as in MaBoSS.  The
writer (:func:`to_maboss`, :func:`write_maboss`) gives a ``.bnd`` and a ``.cfg`` text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from metastasim.errors import ModelError, ParseError
from metastasim.io._maboss_text import _IDENT, _Lines, _located, _Params, _strip_comments
from metastasim.io.files import atomic_write_many, read_text
from metastasim.io.maboss_cfg import _apply_cfgs, _parse_cfg, apply_cfg
from metastasim.network.expr import Var, parse_rule
from metastasim.network.model import Model, Node, is_identity
from metastasim.network.perturbations import ForceOn, Knockout, Schedule
from metastasim.network.rates import format_number, parse_rate

__all__ = ["read_maboss", "parse_maboss", "write_maboss", "to_maboss", "apply_cfg"]

_NEXT_ATTRIBUTE = re.compile(r"\n\s*[A-Za-z_]\w*\s*=(?!=)")


@dataclass
class _NodeBlock:
    name: str
    line: int
    attrs: dict[str, tuple[str, int, int, bool]] = field(default_factory=dict)  # name -> (text, line, col, is_string)


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
