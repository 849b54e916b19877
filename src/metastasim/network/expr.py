"""Boolean rule expressions: an immutable tree parsed once, never ``eval``-ed.

``And``, ``Or`` and ``Xor`` are n-ary (chains such as ``a | b | c`` become one node),
which keeps trees shallow.  Every traversal here is iterative, so rules nested more
than 10,000 levels deep (seen in published bnet files) are printed, evaluated and
compiled without hitting Python's recursion limit.

Examples
--------
>>> rule = parse_rule("A & !(B | C)")
>>> sorted(rule.variables())
['A', 'B', 'C']
>>> rule.evaluate({"A": True, "B": False, "C": False})
True
>>> rule.to_string()
'A & !(B | C)'
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Literal

import numpy as np

from metastasim.errors import ParseError
from metastasim.network import parser as _p

__all__ = [
    "Expr",
    "Const",
    "Var",
    "Not",
    "And",
    "Or",
    "Xor",
    "TRUE",
    "FALSE",
    "parse_rule",
    "truth_table",
    "equivalent",
    "OP_VAR",
    "OP_CONST",
    "OP_NOT",
    "OP_AND",
    "OP_OR",
    "OP_XOR",
]

# Opcodes of the postfix form (shared with the compiled engine).
OP_VAR, OP_CONST, OP_NOT, OP_AND, OP_OR, OP_XOR = range(6)

Style = Literal["bnet", "maboss"]


class Expr:
    """Base class of rule expressions.  Instances are immutable; compare with :func:`equivalent`."""

    __slots__ = ("_postfix", "_vars")

    def __init__(self) -> None:
        self._postfix: tuple | None = None
        self._vars: frozenset[str] | None = None

    # -- structure -------------------------------------------------------
    @property
    def children(self) -> tuple[Expr, ...]:
        return ()

    def postfix(self) -> tuple[tuple[int, object], ...]:
        """The expression as a postfix program of ``(opcode, argument)`` pairs.

        ``OP_VAR`` carries a name, ``OP_CONST`` a bool, ``OP_NOT`` nothing and the
        n-ary operators their arity.  Computed once, iteratively.
        """
        if self._postfix is None:
            program: list[tuple[int, object]] = []
            stack: list[tuple[Expr, bool]] = [(self, False)]
            while stack:
                node, expanded = stack.pop()
                if isinstance(node, Var):
                    program.append((OP_VAR, node.name))
                elif isinstance(node, Const):
                    program.append((OP_CONST, node.value))
                elif expanded:
                    program.append(node._opcode())
                else:
                    stack.append((node, True))
                    for child in reversed(node.children):
                        stack.append((child, False))
            self._postfix = tuple(program)
        return self._postfix

    def _opcode(self) -> tuple[int, object]:  # pragma: no cover - overridden
        raise NotImplementedError

    def variables(self) -> frozenset[str]:
        """Names this expression reads."""
        if self._vars is None:
            self._vars = frozenset(arg for op, arg in self.postfix() if op == OP_VAR)  # type: ignore[misc]
        return self._vars

    def iter_nodes(self) -> Iterator[Expr]:
        """Every sub-expression, parents before children (iterative)."""
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    # -- evaluation --------------------------------------------------------
    def evaluate(self, values: Mapping[str, bool | int]) -> bool:
        """Value of the expression for the given variable values."""
        stack: list[bool] = []
        for op, arg in self.postfix():
            if op == OP_VAR:
                stack.append(bool(values[arg]))  # type: ignore[index]
            elif op == OP_CONST:
                stack.append(bool(arg))
            elif op == OP_NOT:
                stack.append(not stack.pop())
            else:
                k = int(arg)  # type: ignore[arg-type]
                items = stack[-k:]
                del stack[-k:]
                if op == OP_AND:
                    stack.append(all(items))
                elif op == OP_OR:
                    stack.append(any(items))
                else:
                    stack.append(sum(items) % 2 == 1)
        return stack[0]

    # -- transformation ----------------------------------------------------
    def map_leaves(self, fn: Callable[[Expr], Expr]) -> Expr:
        """A copy with every ``Var``/``Const`` leaf replaced by ``fn(leaf)`` (iterative)."""
        stack: list[Expr] = []
        for op, arg in self.postfix():
            if op == OP_VAR:
                stack.append(fn(Var(arg)))  # type: ignore[arg-type]
            elif op == OP_CONST:
                stack.append(fn(TRUE if arg else FALSE))
            elif op == OP_NOT:
                stack.append(Not(stack.pop()))
            else:
                k = int(arg)  # type: ignore[arg-type]
                items = tuple(stack[-k:])
                del stack[-k:]
                stack.append({OP_AND: And, OP_OR: Or, OP_XOR: Xor}[op](items))
        return stack[0]

    def rename(self, mapping: Mapping[str, str]) -> Expr:
        """A copy with variables renamed (names absent from ``mapping`` are kept)."""
        return self.map_leaves(lambda leaf: Var(mapping.get(leaf.name, leaf.name)) if isinstance(leaf, Var) else leaf)

    # -- printing ----------------------------------------------------------
    def to_string(self, style: Style = "bnet") -> str:
        """Text of the rule, with the fewest parentheses that read the same in every dialect.

        ``xor`` sub-expressions are always parenthesised, because bnet and MaBoSS
        give it different precedence.
        """
        del style  # both dialects use the same symbols: ! & | ^
        pieces: list[str] = []
        # stack items: an Expr to print, or a literal string to emit
        stack: list[Expr | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                pieces.append(item)
                continue
            if isinstance(item, Var):
                pieces.append(item.name)
            elif isinstance(item, Const):
                pieces.append("1" if item.value else "0")
            elif isinstance(item, Not):
                pieces.append("!")
                arg = item.arg
                if isinstance(arg, (Var, Const, Not)):
                    stack.append(arg)
                else:
                    stack.extend([")", arg])
                    pieces.append("(")
            else:
                sep = {And: " & ", Or: " | ", Xor: " ^ "}[type(item)]
                for i in range(len(item.args) - 1, -1, -1):
                    child = item.args[i]
                    if _needs_parens(item, child):
                        stack.extend([")", child, "("])
                    else:
                        stack.append(child)
                    if i:
                        stack.append(sep)
        return "".join(pieces)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        text = self.to_string()
        if len(text) > 80:
            text = text[:77] + "..."
        return f"<{type(self).__name__} {text}>"


def _needs_parens(parent: Expr, child: Expr) -> bool:
    if isinstance(child, (Var, Const, Not)):
        return False
    if isinstance(parent, Xor) or isinstance(child, Xor):
        return True
    return isinstance(parent, And) and isinstance(child, Or)


class Const(Expr):
    __slots__ = ("value",)

    def __init__(self, value: bool):
        super().__init__()
        self.value = bool(value)


TRUE = Const(True)
FALSE = Const(False)


class Var(Expr):
    __slots__ = ("name",)

    def __init__(self, name: str):
        super().__init__()
        self.name = name


class Not(Expr):
    __slots__ = ("arg",)

    def __init__(self, arg: Expr):
        super().__init__()
        self.arg = arg

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def _opcode(self) -> tuple[int, object]:
        return (OP_NOT, None)


class _NAry(Expr):
    __slots__ = ("args",)
    _code = -1

    def __init__(self, args: tuple[Expr, ...] | list[Expr]):
        super().__init__()
        args = tuple(args)
        if len(args) < 2:
            raise ValueError(f"{type(self).__name__} needs at least two arguments")
        self.args = args

    @property
    def children(self) -> tuple[Expr, ...]:
        return self.args

    def _opcode(self) -> tuple[int, object]:
        return (self._code, len(self.args))


class And(_NAry):
    __slots__ = ()
    _code = OP_AND


class Or(_NAry):
    __slots__ = ()
    _code = OP_OR


class Xor(_NAry):
    __slots__ = ()
    _code = OP_XOR


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------

_CONSTANTS = {"true": True, "false": False}
_NARY = {"and": And, "or": Or, "xor": Xor}


class _Pending:
    """An n-ary node still being extended by the parser (flattened in O(1) per operand)."""

    __slots__ = ("cls", "items")

    def __init__(self, cls: type, items: deque):
        self.cls = cls
        self.items = items


class _RuleBuilder:
    def operand(self, tok: _p.Token) -> Expr:
        if tok.kind == "num":
            if tok.text in ("0", "1"):
                return TRUE if tok.text == "1" else FALSE
            raise ParseError(f"only the constants 0 and 1 may appear in a rule, not {tok.text!r}")
        low = tok.text.lower()
        if low in _CONSTANTS:
            return TRUE if _CONSTANTS[low] else FALSE
        return Var(tok.text)

    def unary(self, op: str, arg, tok: _p.Token):
        if op != "not":
            raise ParseError(f"operator {tok.text!r} is not allowed in a rule")
        return Not(_freeze(arg))

    def binary(self, op: str, left, right, tok: _p.Token):
        cls = _NARY.get(op)
        if cls is None:
            raise ParseError(f"operator {tok.text!r} is not allowed in a rule")
        lp = isinstance(left, _Pending) and left.cls is cls
        rp = isinstance(right, _Pending) and right.cls is cls
        if lp and rp:
            left.items.extend(right.items)
            return left
        if lp:
            left.items.append(_freeze(right))
            return left
        if rp:
            right.items.appendleft(_freeze(left))
            return right
        return _Pending(cls, deque((_freeze(left), _freeze(right))))

    def ternary(self, cond, yes, no, tok: _p.Token):
        c, a, b = _freeze(cond), _freeze(yes), _freeze(no)
        return Or((And((c, a)), And((Not(c), b))))


def _freeze(item) -> Expr:
    """Turn parser output (possibly nested ``_Pending`` nodes) into an immutable ``Expr``."""
    if not isinstance(item, _Pending):
        return item
    # Iterative post-order over pending nodes; frozen Expr children are left alone.
    done: dict[int, Expr] = {}
    stack: list[tuple[_Pending, bool]] = [(item, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            args = [done[id(c)] if isinstance(c, _Pending) else c for c in node.items]
            done[id(node)] = node.cls(args)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in node.items if isinstance(c, _Pending))
    return done[id(item)]


def parse_rule(text: str, *, dialect: Literal["logic", "maboss"] = "logic") -> Expr:
    """Parse a Boolean rule.

    Parameters
    ----------
    text
        The rule: names, ``0``/``1``/``true``/``false``, ``!``/``~``/``not``,
        ``&``/``&&``/``and``, ``|``/``||``/``or``, ``^``/``xor`` and parentheses.
    dialect
        ``"logic"`` (bnet, YAML, API: ``!`` > ``&`` > ``^`` > ``|``) or ``"maboss"``
        (MaBoSS 2's grammar: ``&`` > ``|`` > ``^`` > ``?:``, which also accepts
        ``c ? a : b``).

    Raises
    ------
    ParseError
        With the line (counted from the start of ``text``) and the column.
    """
    d = _p.LOGIC_MABOSS if dialect == "maboss" else _p.LOGIC
    return _freeze(_p.parse(text, d, _RuleBuilder()))


# ---------------------------------------------------------------------------
# truth tables (bit-parallel, chunked)
# ---------------------------------------------------------------------------

_WORD_PATTERNS = np.array(
    [
        0xAAAAAAAAAAAAAAAA,
        0xCCCCCCCCCCCCCCCC,
        0xF0F0F0F0F0F0F0F0,
        0xFF00FF00FF00FF00,
        0xFFFF0000FFFF0000,
        0xFFFFFFFF00000000,
    ],
    dtype=np.uint64,
)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def _iter_table_chunks(expr: Expr, order: tuple[str, ...], chunk_words: int) -> Iterator[np.ndarray]:
    k = len(order)
    index = {name: i for i, name in enumerate(order)}
    program = expr.postfix()
    missing = expr.variables() - set(order)
    if missing:
        raise ValueError(f"variables {sorted(missing)} are not in the table's order")
    n_words = max(1, (1 << k) >> 6)
    for start in range(0, n_words, chunk_words):
        w = np.arange(start, min(n_words, start + chunk_words), dtype=np.uint64)
        cols: dict[int, np.ndarray] = {}

        def column(i: int, w: np.ndarray = w, cols: dict[int, np.ndarray] = cols) -> np.ndarray:
            if i not in cols:
                if i < 6:
                    cols[i] = np.full(w.shape, _WORD_PATTERNS[i], dtype=np.uint64)
                else:
                    bit = (w >> np.uint64(i - 6)) & np.uint64(1)
                    cols[i] = np.where(bit.astype(bool), _ALL, np.uint64(0))
            return cols[i]

        stack: list[np.ndarray] = []
        for op, arg in program:
            if op == OP_VAR:
                stack.append(column(index[arg]))  # type: ignore[index]
            elif op == OP_CONST:
                stack.append(np.full(w.shape, _ALL if arg else np.uint64(0), dtype=np.uint64))
            elif op == OP_NOT:
                stack.append(~stack.pop())
            else:
                n = int(arg)  # type: ignore[arg-type]
                acc = stack[-n].copy()
                for other in stack[-n + 1 :]:
                    if op == OP_AND:
                        acc &= other
                    elif op == OP_OR:
                        acc |= other
                    else:
                        acc ^= other
                del stack[-n:]
                stack.append(acc)
        result = stack[0]
        if k < 6:
            result = result & np.uint64((1 << (1 << k)) - 1)
        yield result


def truth_table(expr: Expr, order: tuple[str, ...] | list[str], *, packed: bool = False) -> np.ndarray:
    """Truth table of ``expr`` over the variables ``order``.

    Row ``r`` holds the value for the assignment in which variable ``order[i]`` is
    bit ``i`` of ``r``.  With ``packed=True`` the rows are returned as uint64 words
    (row ``r`` is bit ``r % 64`` of word ``r // 64``); otherwise as a uint8 array of
    length ``2**len(order)``.
    """
    order = tuple(order)
    words = np.concatenate(list(_iter_table_chunks(expr, order, 1 << 14)))
    if packed:
        return words
    bits = np.unpackbits(words.view(np.uint8), bitorder="little")
    return bits[: 1 << len(order)].copy()


SIGN_LIMIT = 16  # influence signs are computed from truth tables up to this many inputs


def influence_signs(expr: Expr, order: tuple[str, ...] | list[str] | None = None) -> dict[str, str]:
    """How each variable acts on ``expr``: ``"positive"``, ``"negative"``, ``"dual"`` or ``"unknown"``.

    A variable is positive when switching it on can switch the expression on and never
    switches it off (negative the other way round, dual when both happen); ``unknown``
    when it has no effect, or when the rule reads more than ``SIGN_LIMIT`` variables.

    >>> influence_signs(parse_rule("A & !B | C & B"))
    {'A': 'positive', 'B': 'dual', 'C': 'positive'}
    """
    order = tuple(sorted(expr.variables())) if order is None else tuple(order)
    if len(order) > SIGN_LIMIT:
        return {name: "unknown" for name in order}
    table = truth_table(expr, order).astype(np.int8)
    rows = np.arange(len(table))
    signs = {}
    for bit, name in enumerate(order):
        low = rows[(rows >> bit) & 1 == 0]
        diff = table[low | (1 << bit)] - table[low]
        up, down = bool((diff > 0).any()), bool((diff < 0).any())
        signs[name] = "dual" if up and down else "positive" if up else "negative" if down else "unknown"
    return signs


def equivalent(a: Expr, b: Expr, *, max_vars: int = 30) -> bool:
    """Whether two expressions compute the same function (compared by truth table)."""
    order = tuple(sorted(a.variables() | b.variables()))
    if len(order) > max_vars:
        raise ValueError(f"{len(order)} variables: too many to compare by truth table")
    chunks_a = _iter_table_chunks(a, order, 1 << 14)
    chunks_b = _iter_table_chunks(b, order, 1 << 14)
    return all(np.array_equal(x, y) for x, y in zip(chunks_a, chunks_b))
