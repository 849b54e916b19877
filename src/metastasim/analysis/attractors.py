"""Fixed points and minimal trap spaces, through mpbn (imported lazily).

The model's Boolean rules are handed to mpbn with perturbations folded in: a
knock-out or over-expression makes the node constant, a set input fixes it, and a
complete inhibition (efficacy 1) lets the node turn off but never on.  Rates other
than on/off switches are not part of the Boolean abstraction.

Examples
--------
>>> from metastasim.io import parse_bnet
>>> m = parse_bnet("A, A\\nB, A & !C\\nC, B | C")
>>> sorted(fixed_points(m), key=str)
[{'A': 0, 'B': 0, 'C': 0}, {'A': 0, 'B': 0, 'C': 1}, {'A': 1, 'B': 0, 'C': 1}]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from metastasim.network.expr import (
    FALSE,
    OP_AND,
    OP_CONST,
    OP_NOT,
    OP_OR,
    OP_VAR,
    TRUE,
    And,
    Expr,
    Not,
    Or,
    Var,
    Xor,
)
from metastasim.network.model import Model
from metastasim.network.perturbations import ForceOn, Inhibit, Knockout, Perturbation, SetInput, resolve_perturbations

__all__ = ["fixed_points", "trap_spaces", "count_fixed_points", "count_trap_spaces", "boolean_rules"]


def _xor(items: list[Expr]) -> Expr:
    """``items[0] ^ items[1] ^ …`` with only and/or/not, folded as a balanced tree (size O(n²))."""
    if len(items) == 1:
        return items[0]
    a, b = _xor(items[: len(items) // 2]), _xor(items[len(items) // 2 :])
    return Or((And((a, Not(b))), And((Not(a), b))))


def _without_xor(rule: Expr) -> Expr:
    """The rule with every xor rewritten with and/or/not (mpbn has no xor)."""
    if not any(isinstance(e, Xor) for e in rule.iter_nodes()):
        return rule
    stack: list[Expr] = []
    for op, arg in rule.postfix():
        if op == OP_VAR:
            stack.append(Var(arg))
        elif op == OP_CONST:
            stack.append(TRUE if arg else FALSE)
        elif op == OP_NOT:
            stack.append(Not(stack.pop()))
        else:
            args = stack[len(stack) - arg :]
            del stack[len(stack) - arg :]
            stack.append(And(args) if op == OP_AND else Or(args) if op == OP_OR else _xor(args))
    return stack[0]


def boolean_rules(
    model: Model,
    perturbations: Iterable[Perturbation] = (),
    inputs: Mapping[str, int] | None = None,
    context: str | None = None,
) -> dict[str, str]:
    """The rules mpbn reads, with a context's inputs, perturbations and input settings applied."""
    extra = [SetInput(name, value) for name, value in (inputs or {}).items()]
    perts = resolve_perturbations(model, tuple(perturbations) + tuple(extra), context=context)
    rules: dict[str, Expr] = {n.id: n.rule for n in model.nodes.values()}
    for p in perts:
        if isinstance(p, Knockout):
            rules[p.node] = FALSE
        elif isinstance(p, ForceOn):
            rules[p.node] = TRUE
        elif isinstance(p, SetInput):
            rules[p.node] = TRUE if p.value else FALSE
        elif isinstance(p, Inhibit) and p.efficacy >= 1.0:
            rules[p.node] = And((Var(p.node), rules[p.node]))
    return {name: _without_xor(rule).to_string() for name, rule in rules.items()}


def _network(model: Model, perturbations, inputs, context):
    import mpbn  # imported lazily: it loads clingo

    return mpbn.MPBooleanNetwork(boolean_rules(model, perturbations, inputs, context))


def fixed_points(
    model: Model,
    perturbations: Iterable[Perturbation] = (),
    *,
    inputs: Mapping[str, int] | None = None,
    context: str | None = None,
    limit: int | None = None,
) -> list[dict[str, int]]:
    """Fixed points (stable states) as ``{node: 0 or 1}`` dicts, inputs free unless set.

    Parameters
    ----------
    limit
        Stop after this many (None: all).
    """
    net = _network(model, perturbations, inputs, context)
    return [dict(fp) for fp in net.fixedpoints(limit=limit or 0)]


def count_fixed_points(
    model: Model,
    perturbations: Iterable[Perturbation] = (),
    *,
    inputs: Mapping[str, int] | None = None,
    context: str | None = None,
) -> int:
    """Number of fixed points."""
    return int(_network(model, perturbations, inputs, context).count_fixedpoints())


def trap_spaces(
    model: Model,
    perturbations: Iterable[Perturbation] = (),
    *,
    inputs: Mapping[str, int] | None = None,
    context: str | None = None,
    limit: int | None = None,
) -> list[dict[str, int | str]]:
    """Minimal trap spaces (mpbn's attractors) as dicts of 0, 1 or ``"*"`` (free)."""
    net = _network(model, perturbations, inputs, context)
    return [dict(ts) for ts in net.attractors(limit=limit or 0)]


def count_trap_spaces(
    model: Model,
    perturbations: Iterable[Perturbation] = (),
    *,
    inputs: Mapping[str, int] | None = None,
    context: str | None = None,
) -> int:
    """Number of minimal trap spaces."""
    return int(_network(model, perturbations, inputs, context).count_minimal_trapspaces())
