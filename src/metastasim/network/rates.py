"""Transition rates in MaBoSS's language.

A rate is an arithmetic expression over numbers, named parameters (``$u_X``), the
node's own rule (``@logic``), the states of other nodes (0 or 1, as in MaBoSS),
MaBoSS's conditional ``c ? a : b`` and its built-in functions (:data:`FUNCTIONS`:
``log(x)``, ``log(x, base)``, ``exp(x)``, ``exp(x, base)``).  MaBoSS reads ``rate_up`` as the rate at which an
*off* node turns on, whatever its rule says; the usual ``rate_up = @logic ? $u : 0``
makes it turn on only while the rule holds.  metastasim keeps the expression as
written and reduces it, for simulation, to the four numbers the engine needs (the up
and down rates with the rule true and false) or, for a rate that reads nodes, to a
table of those rates over the states of the nodes it reads.

Examples
--------
>>> r = parse_rate("@logic ? $u : 0")
>>> r.evaluate({"u": 2.5}, logic=True), r.evaluate({"u": 2.5}, logic=False)
(2.5, 0.0)
>>> graded = parse_rate("@logic ? $u * (A + B) / 2 : 0")
>>> graded.evaluate({"u": 2.0}, logic=True, nodes={"A": 1, "B": 0})
1.0
>>> up_rate(3).to_string()
'@logic ? 3 : 0'
>>> parse_rate("@logic ? $fast : log(1.0, 2)").evaluate({"fast": 4.0}, logic=False)
0.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from metastasim.errors import ModelError, ParseError
from metastasim.network import parser as _p
from metastasim.network.parser import is_valid_name

__all__ = ["Rate", "parse_rate", "up_rate", "down_rate", "format_number", "RateFunction", "FUNCTIONS"]

Ast = tuple


@dataclass(frozen=True)
class RateFunction:
    """A built-in function of MaBoSS's rate language.

    ``apply`` takes the evaluated arguments (floats or NumPy arrays) and returns the
    value with C's rules: ``log(0)`` is ``-inf``, ``log`` of a negative number is NaN,
    an overflowing ``exp`` is ``inf`` (a rate that ends up so is refused when the
    model is checked).
    """

    name: str
    min_args: int
    max_args: int
    signature: str
    apply: Callable[..., float | np.ndarray]

    def arity_problem(self, count: int) -> str | None:
        """Why ``count`` arguments do not fit, or ``None``."""
        if self.min_args <= count <= self.max_args:
            return None
        want = str(self.min_args) if self.min_args == self.max_args else f"{self.min_args} or {self.max_args}"
        return f"{self.name}() takes {want} argument{'s' if want != '1' else ''}, not {count} ({self.signature})"


def _log(value, base=None):
    with np.errstate(all="ignore"):
        out = np.log(value)
        return out if base is None else out / np.log(base)


def _exp(value, base=None):
    with np.errstate(all="ignore"):
        return np.exp(value) if base is None else np.exp(value * np.log(base))


#: MaBoSS's built-in functions (its ``BuiltinFunctions.cc``), by name.
FUNCTIONS: dict[str, RateFunction] = {
    f.name: f
    for f in (
        RateFunction("log", 1, 2, "log(VALUE[, BASE=e])", _log),
        RateFunction("exp", 1, 2, "exp(VALUE[, BASE=e])", _exp),
    )
}


class _RateBuilder:
    def operand(self, tok: _p.Token) -> Ast:
        if tok.kind == "num":
            return ("num", float(tok.text), tok.text)
        if tok.kind == "var":
            return ("param", tok.text[1:])
        if tok.kind == "alias":
            return ("alias", tok.text[1:])
        low = tok.text.lower()
        if low in ("true", "false"):
            return ("num", 1.0 if low == "true" else 0.0, "1" if low == "true" else "0")
        return ("node", tok.text)

    def unary(self, op: str, arg: Ast, tok: _p.Token) -> Ast:
        return ("un", op, arg)

    def binary(self, op: str, left: Ast, right: Ast, tok: _p.Token) -> Ast:
        return ("bin", op, left, right)

    def ternary(self, cond: Ast, yes: Ast, no: Ast, tok: _p.Token) -> Ast:
        return ("cond", cond, yes, no)

    def call(self, name: str, args: list[Ast], tok: _p.Token) -> Ast:
        function = FUNCTIONS.get(name)
        if function is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise ParseError(f"unknown function {name!r} (MaBoSS's functions: {known})")
        problem = function.arity_problem(len(args))
        if problem:
            raise ParseError(problem)
        return ("call", name, tuple(args))


_SYMBOL = {
    "mul": "*",
    "div": "/",
    "add": "+",
    "sub": "-",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "eq": "==",
    "ne": "!=",
    "and": "&",
    "or": "|",
    "xor": "^",
}
_PREC = {name: _p.RATE.binary[sym][0] for name, sym in _SYMBOL.items()}


def format_number(value: float) -> str:
    """Shortest text that reads back as ``value`` (integers without a decimal point)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclass(frozen=True, eq=False)
class Rate:
    """A parsed rate expression.  Build with :func:`parse_rate`, :func:`up_rate` or :func:`down_rate`."""

    ast: Ast

    # -- inspection ------------------------------------------------------
    def _walk(self):
        stack = [self.ast]
        while stack:
            node = stack.pop()
            yield node
            kind = node[0]
            if kind == "un":
                stack.append(node[2])
            elif kind == "bin":
                stack.extend((node[2], node[3]))
            elif kind == "cond":
                stack.extend(node[1:])
            elif kind == "call":
                stack.extend(node[2])

    def parameters(self) -> frozenset[str]:
        """Names of the ``$parameters`` it reads (without the ``$``)."""
        return frozenset(n[1] for n in self._walk() if n[0] == "param")

    def aliases(self) -> frozenset[str]:
        """Names of the ``@attributes`` it reads (normally only ``logic``)."""
        return frozenset(n[1] for n in self._walk() if n[0] == "alias")

    def nodes(self) -> frozenset[str]:
        """Node names read directly (their state, 0 or 1, as in MaBoSS)."""
        return frozenset(n[1] for n in self._walk() if n[0] == "node")

    def rename(self, mapping: Mapping[str, str]) -> Rate:
        """The same expression reading the nodes ``mapping`` names instead (others unchanged)."""

        def walk(node: Ast) -> Ast:
            kind = node[0]
            if kind == "node":
                return ("node", mapping.get(node[1], node[1]))
            if kind == "un":
                return ("un", node[1], walk(node[2]))
            if kind == "bin":
                return ("bin", node[1], walk(node[2]), walk(node[3]))
            if kind == "cond":
                return ("cond", walk(node[1]), walk(node[2]), walk(node[3]))
            if kind == "call":
                return ("call", node[1], tuple(walk(arg) for arg in node[2]))
            return node

        return Rate(walk(self.ast))

    # -- evaluation --------------------------------------------------------
    def evaluate(self, params: Mapping[str, float], *, logic: bool, nodes: Mapping[str, int] | None = None) -> float:
        """Value with the given parameter values, the node's rule true or false and,
        for a rate that reads nodes, their states (0 or 1) in ``nodes``.

        Only the taken branch of a conditional is evaluated, as in MaBoSS.

        Raises
        ------
        ModelError
            If it reads an undefined parameter, an attribute other than
            ``@logic``, or a node whose state is not given.
        """
        try:
            return _eval(self.ast, params, logic, nodes or {})
        except RecursionError:
            raise ModelError("rate expression nested too deeply to evaluate") from None

    # -- printing ----------------------------------------------------------
    def to_string(self) -> str:
        try:
            return _to_string(self.ast, 0)
        except RecursionError:
            raise ModelError("rate expression nested too deeply to print") from None

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"<Rate {self.to_string()}>"

    def simple_value(self, kind: Literal["up", "down"]) -> str | None:
        """For ``@logic ? v : 0`` (up) or ``@logic ? 0 : v`` (down), the text of ``v``.

        ``v`` must be a number or a parameter.  Returns ``None`` for other shapes.
        """
        a = self.ast
        if a[0] != "cond" or a[1] != ("alias", "logic"):
            return None
        value, zero = (a[2], a[3]) if kind == "up" else (a[3], a[2])
        if zero[0] != "num" or zero[1] != 0.0:
            return None
        if value[0] == "num":
            return value[2]
        if value[0] == "param":
            return "$" + value[1]
        return None


def _truth(x: float) -> bool:
    return x != 0.0


def _eval(node: Ast, params: Mapping[str, float], logic: bool, nodes: Mapping[str, int]) -> float:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "param":
        try:
            return float(params[node[1]])
        except KeyError:
            raise ModelError(f"parameter ${node[1]} is used but never defined") from None
    if kind == "alias":
        if node[1] != "logic":
            raise ModelError(f"@{node[1]}: only @logic may appear in a rate")
        return 1.0 if logic else 0.0
    if kind == "node":
        try:
            return 1.0 if nodes[node[1]] else 0.0
        except KeyError:
            raise ModelError(f"the rate reads node {node[1]!r}, whose state is not given") from None
    if kind == "cond":
        branch = node[2] if _truth(_eval(node[1], params, logic, nodes)) else node[3]
        return _eval(branch, params, logic, nodes)
    if kind == "call":
        return float(FUNCTIONS[node[1]].apply(*(_eval(arg, params, logic, nodes) for arg in node[2])))
    if kind == "un":
        v = _eval(node[2], params, logic, nodes)
        return {"neg": -v, "pos": v, "not": float(not _truth(v))}[node[1]]
    op, a = node[1], _eval(node[2], params, logic, nodes)
    if op == "and" and not _truth(a):
        return 0.0
    if op == "or" and _truth(a):
        return 1.0
    b = _eval(node[3], params, logic, nodes)
    if op == "mul":
        return a * b
    if op == "div":
        if b == 0.0:
            return math.copysign(math.inf, a) if a != 0.0 else math.nan
        return a / b
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op in ("and", "or"):
        return float(_truth(b))
    if op == "xor":
        return float(_truth(a) != _truth(b))
    return float({"lt": a < b, "gt": a > b, "le": a <= b, "ge": a >= b, "eq": a == b, "ne": a != b}[op])


def _to_string(node: Ast, parent_prec: int) -> str:
    kind = node[0]
    if kind == "num":
        return node[2]
    if kind == "param":
        return "$" + node[1]
    if kind == "alias":
        return "@" + node[1]
    if kind == "node":
        return node[1]
    if kind == "call":
        return f"{node[1]}({', '.join(_to_string(arg, 0) for arg in node[2])})"
    if kind == "un":
        sym = {"neg": "-", "pos": "+", "not": "!"}[node[1]]
        return sym + _to_string(node[2], 99)
    if kind == "cond":
        text = f"{_to_string(node[1], 1)} ? {_to_string(node[2], 1)} : {_to_string(node[3], 1)}"
        return f"({text})" if parent_prec > 0 else text
    prec = _PREC[node[1]]
    text = f"{_to_string(node[2], prec)} {_SYMBOL[node[1]]} {_to_string(node[3], prec + 1)}"
    return f"({text})" if prec < parent_prec else text


def parse_rate(text: str) -> Rate:
    """Parse a MaBoSS rate expression (``@logic ? $u : 0``, ``2.5``, ``$k * 2``, ``log($k, 2)``…).

    Raises
    ------
    ParseError
        With the line and column (relative to ``text``): bad syntax, an unknown
        function, a function given the wrong number of arguments.
    """
    return Rate(_p.parse(text, _p.RATE, _RateBuilder()))


def _value_ast(value: float | str) -> Ast:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("$"):
            text = text[1:]
        if not is_valid_name(text):
            raise ParseError(f"{value!r} is neither a number nor a parameter name")
        return ("param", text)
    value = float(value)
    return ("num", value, format_number(value))


def up_rate(value: float | str) -> Rate:
    """``@logic ? value : 0``: turn on at ``value`` while the rule holds (the usual rate_up)."""
    return Rate(("cond", ("alias", "logic"), _value_ast(value), ("num", 0.0, "0")))


def down_rate(value: float | str) -> Rate:
    """``@logic ? 0 : value``: turn off at ``value`` while the rule fails (the usual rate_down)."""
    return Rate(("cond", ("alias", "logic"), ("num", 0.0, "0"), _value_ast(value)))
