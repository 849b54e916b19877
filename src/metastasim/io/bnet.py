"""The bnet format of BoolNet, PyBoolNet and biodivine: one ``target, rule`` per line.

What the reader accepts (all seen in published files):

- an optional ``targets, factors`` header, ``#`` comments, blank lines, CRLF ends;
- names that differ only by case (matching is case-sensitive);
- rules nested more than 10,000 levels deep and lines over 1 MB;
- inputs that are never declared: a name read but never defined is an input
  (as if the file said ``x, x``), and so is ``x, x`` itself.

bnet holds no rates, initial states or annotations: nodes read from it start on
with probability 0.5 (as MaBoSS's default) and have rates 1.

Examples
--------
>>> m = parse_bnet("targets, factors\\nB, A & !B")
>>> m.inputs, list(m.nodes)
(['A'], ['B', 'A'])
>>> print(to_bnet(m))
targets, factors
B, A & !B
A, A
<BLANKLINE>
"""

from __future__ import annotations

import os
import re

from metastasim.errors import ModelError, ParseError
from metastasim.io._export import check_lossless
from metastasim.io.files import atomic_write_text, read_text
from metastasim.network.expr import FALSE, parse_rule
from metastasim.network.model import Model, Node, is_identity

__all__ = ["read_bnet", "parse_bnet", "write_bnet", "to_bnet"]

_HEADER = re.compile(r"\s*targets\s*,\s*factors\s*\Z", re.IGNORECASE)


def parse_bnet(text: str, *, path: str | None = None) -> Model:
    """Parse bnet text into a :class:`Model` (see the module notes for what it accepts)."""
    model = Model(source=path)
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0]
        if not line.strip() or _HEADER.match(line):
            continue
        target, comma, rule_text = line.partition(",")
        target = target.strip()
        if not comma:
            raise ModelError(
                f"expected 'target, rule' but found no comma in {line.strip()[:60]!r}", path=path, line=lineno
            )
        if not rule_text.strip():
            raise ModelError(f"node {target!r} has an empty rule", path=path, line=lineno)
        node = model.add_node(Node(target, FALSE, line=lineno))  # checks the name and duplicates
        try:
            node.rule = parse_rule(rule_text)
        except ParseError as exc:
            raise exc.located(path, lineno, line.index(",") + 1) from None
        node.is_input = is_identity(node)
    if not model.nodes:
        raise ModelError("no nodes: the file is empty or holds only comments", path=path)
    first_read: dict[str, int | None] = {}
    for node in model.nodes.values():
        for name in node.rule.variables() - model.nodes.keys():
            first_read.setdefault(name, node.line)
    for name in sorted(first_read):
        model.add_node(Model.input_node(name, line=first_read[name]))
    return model.validate()


def read_bnet(path: str | os.PathLike) -> Model:
    """Read a bnet file."""
    model = parse_bnet(read_text(path), path=str(path))
    model.name = os.path.splitext(os.path.basename(path))[0]
    return model


def to_bnet(model: Model, *, drop_rates: bool = False, drop_initial_states: bool = False) -> str:
    """The model as bnet text.

    Raises
    ------
    RatesNotSupportedError, InitialStateNotSupportedError
        If the model has rates or initial states bnet cannot hold, unless dropped.
    """
    check_lossless(
        model, "bnet", drop_rates=drop_rates, drop_initial_states=drop_initial_states, deterministic_initial=False
    )
    lines = ["targets, factors"]
    lines.extend(f"{n.id}, {n.rule.to_string('bnet')}" for n in model.nodes.values())
    return "\n".join(lines) + "\n"


def write_bnet(
    model: Model, path: str | os.PathLike, *, drop_rates: bool = False, drop_initial_states: bool = False
) -> None:
    """Write the model to a bnet file (atomically)."""
    atomic_write_text(path, to_bnet(model, drop_rates=drop_rates, drop_initial_states=drop_initial_states))
