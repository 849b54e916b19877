"""Pass rules: from a cell's state at the end of a stage, and the time its nodes spent on, to a chance of passing.

A stage's pass rule is an ordered list of cases.  A case's ``when`` is a Boolean
expression over the network state at the end of the stage; the first case a cell
satisfies gives its pass probability ``p``, which is either a number or a *graded*
expression: arithmetic in MaBoSS's rate language (``+ - * /``, comparisons, ``c ? a : b``, ``log``, ``exp``)
over

- node names, each standing for the node's **occupancy**: the fraction of the stage's
  duration the cell spent with that node on, a number in [0, 1];
- ``$name``, a constant of the stage (its ``constants`` mapping);
- numbers.

A graded expression must stay within [0, 1] whatever the occupancies: it is checked at
every corner of the unit cube and at interior points when the cascade is read, and again
on every cell when it is evaluated.

Examples
--------
>>> g = GradedP.parse("$top * (0.2 + 0.8 * A) * (1 - B)", {"top": 0.5})
>>> sorted(g.nodes)
['A', 'B']
>>> import numpy as np
>>> g.evaluate({"A": np.array([0.0, 1.0]), "B": np.array([0.0, 0.5])}).tolist()
[0.1, 0.25]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from metastasim.errors import ModelError, SimulationError
from metastasim.network.expr import parse_rule, truth_table
from metastasim.network.model import Model
from metastasim.network.rates import FUNCTIONS, Rate, parse_rate

__all__ = ["GradedP", "PassRule", "MAX_GRADED_CORNERS"]

#: A graded expression reading up to this many nodes is checked at every corner of the unit cube.
MAX_GRADED_CORNERS = 16
_INTERIOR_POINTS = 4096
_TOLERANCE = 1e-9


def _truth(x: np.ndarray) -> np.ndarray:
    return x != 0.0


def _evaluate(node: tuple, values: Mapping[str, np.ndarray], constants: Mapping[str, float], size: int) -> np.ndarray:
    kind = node[0]
    if kind == "num":
        return np.full(size, node[1])
    if kind == "param":
        return np.full(size, constants[node[1]])
    if kind == "node":
        return np.asarray(values[node[1]], np.float64)
    if kind == "cond":
        return np.where(
            _truth(_evaluate(node[1], values, constants, size)),
            _evaluate(node[2], values, constants, size),
            _evaluate(node[3], values, constants, size),
        )
    if kind == "call":
        args = [_evaluate(arg, values, constants, size) for arg in node[2]]
        return np.asarray(FUNCTIONS[node[1]].apply(*args), np.float64)
    if kind == "un":
        v = _evaluate(node[2], values, constants, size)
        return {"neg": -v, "pos": v, "not": (~_truth(v)).astype(np.float64)}[node[1]]
    op = node[1]
    a = _evaluate(node[2], values, constants, size)
    b = _evaluate(node[3], values, constants, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "mul": lambda: a * b,
            "div": lambda: a / b,
            "add": lambda: a + b,
            "sub": lambda: a - b,
            "and": lambda: _truth(a) & _truth(b),
            "or": lambda: _truth(a) | _truth(b),
            "xor": lambda: _truth(a) != _truth(b),
            "lt": lambda: a < b,
            "gt": lambda: a > b,
            "le": lambda: a <= b,
            "ge": lambda: a >= b,
            "eq": lambda: a == b,
            "ne": lambda: a != b,
        }[op]()
    return np.asarray(out, np.float64)


@dataclass(frozen=True)
class GradedP:
    """A pass probability that reads node occupancies (see the module documentation)."""

    text: str
    rate: Rate = field(repr=False)
    constants: tuple[tuple[str, float], ...]
    nodes: frozenset[str]

    @classmethod
    def parse(cls, text: str, constants: Mapping[str, float]) -> GradedP:
        """Parse ``text``; raises :class:`ModelError` for bad syntax, ``@`` attributes or undefined constants."""
        rate = parse_rate(text)
        if rate.aliases():
            raise ModelError(
                f"a pass probability cannot read @{sorted(rate.aliases())[0]} (node names read "
                "occupancies, $names the stage's constants)"
            )
        missing = sorted(rate.parameters() - set(constants))
        if missing:
            raise ModelError(
                f"${missing[0]} is not one of the stage's constants"
                + (f" ({', '.join(sorted(constants))})" if constants else " (it has none)")
            )
        used = tuple((k, float(v)) for k, v in constants.items() if k in rate.parameters())
        return cls(text, rate, used, rate.nodes())

    def renamed(self, mapping: Mapping[str, str]) -> GradedP:
        """The same expression reading the nodes ``mapping`` names (node aliases resolved to ids)."""
        rate = self.rate.rename(mapping)
        return GradedP(self.text, rate, self.constants, rate.nodes())

    def evaluate(self, occupancy: Mapping[str, np.ndarray]) -> np.ndarray:
        """Pass probability of each cell from its occupancies (arrays keyed by node)."""
        size = len(next(iter(occupancy.values()))) if occupancy else 1
        return _evaluate(self.rate.ast, occupancy, dict(self.constants), size)

    def range_check(self, seed: int = 0) -> float:
        """Check the expression stays in [0, 1] over the unit cube; return the largest value found."""
        names = sorted(self.nodes)
        n = len(names)
        if n <= MAX_GRADED_CORNERS:
            corners = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
        else:
            corners = np.zeros((0, n))
        inner = np.random.default_rng(seed).random((_INTERIOR_POINTS if n else 1, n))
        points = np.concatenate([corners, inner, np.full((1, n), 0.5)])
        values = self.evaluate({name: points[:, j] for j, name in enumerate(names)}) if n else self.evaluate({})
        bad = ~np.isfinite(values) | (values < -_TOLERANCE) | (values > 1 + _TOLERANCE)
        if bad.any():
            at = points[np.flatnonzero(bad)[0]]
            where = ", ".join(f"{name}={v:g}" for name, v in zip(names, at)) or "always"
            raise ModelError(
                f"pass probability {self.text!r} is {values[bad][0]:g} at {where}; it must stay "
                "within [0, 1] for every occupancy"
            )
        return float(values.max())


@dataclass(frozen=True)
class PassRule:
    """A stage's pass rule compiled against a model, evaluated on many cells at once."""

    stage: str
    reads: tuple[tuple[int, ...], ...]  # node positions each case's ``when`` reads
    tables: tuple[np.ndarray | None, ...]  # truth table of each case over its reads (None: always)
    graded: tuple[GradedP | None, ...]  # each case's graded probability (None: the number in ``p``)
    p: np.ndarray = field(repr=False)  # float64[cases]: the number, or the graded case's largest value
    occupancy: tuple[str, ...] = ()  # node ids whose occupancy the graded cases read

    @classmethod
    def compile(cls, stage, position: dict[str, int], model: Model) -> PassRule:
        """Compile the cases of ``stage`` (a :class:`~metastasim.cascade.spec.Stage`)."""
        reads, tables, graded, top = [], [], [], []
        constants = dict(stage.constants)
        for case in stage.cases:
            if case.when is None:
                reads.append(())
                tables.append(None)
            else:
                expr = parse_rule(case.when)
                mapping = {name: model.resolve(name) for name in expr.variables()}
                expr = expr.rename(mapping) if any(k != v for k, v in mapping.items()) else expr
                names = sorted(expr.variables(), key=position.__getitem__)
                reads.append(tuple(position[n] for n in names))
                tables.append(truth_table(expr, names).astype(bool))
            if isinstance(case.p, str):
                g = GradedP.parse(case.p, constants)
                g = g.renamed({name: model.resolve(name) for name in g.nodes})
                graded.append(g)
                top.append(g.range_check())
            else:
                graded.append(None)
                top.append(float(case.p))
        occupancy = tuple(sorted(set().union(*(g.nodes for g in graded if g is not None)), key=position.__getitem__))
        return cls(stage.name, tuple(reads), tuple(tables), tuple(graded), np.array(top), occupancy)

    def case_of(self, bits: np.ndarray) -> np.ndarray:
        """Index of the first case each cell (row of ``bits``, one column per node) satisfies."""
        case = np.full(bits.shape[0], len(self.tables) - 1, np.int64)
        undecided = np.ones(bits.shape[0], bool)
        for k, (reads, table) in enumerate(zip(self.reads[:-1], self.tables[:-1])):
            index = np.zeros(bits.shape[0], np.int64)
            for j, pos in enumerate(reads):
                index |= bits[:, pos].astype(np.int64) << j
            hit = undecided & table[index]
            case[hit] = k
            undecided &= ~hit
        return case

    def probability(self, bits: np.ndarray, occupancy: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Each cell's case and pass probability, from its final state (``bits``) and, for graded cases, its
        ``[cell, node]`` occupancies in the order of :attr:`occupancy`."""
        case = self.case_of(bits)
        p = self.p[case]
        for k, g in enumerate(self.graded):
            if g is None:
                continue
            rows = np.flatnonzero(case == k)
            if len(rows) == 0:
                continue
            columns = {name: occupancy[rows, self.occupancy.index(name)] for name in g.nodes}
            values = g.evaluate(columns) if columns else np.full(len(rows), g.evaluate({})[0])
            if not (np.isfinite(values).all() and values.min() >= -_TOLERANCE and values.max() <= 1 + _TOLERANCE):
                raise SimulationError(f"stage {self.stage}: pass probability {g.text!r} left [0, 1] on a cell")
            p[rows] = np.clip(values, 0.0, 1.0)
        return case, p
