"""Tokenizer and operator-precedence parser shared by logical rules and rate expressions.

The parser is iterative (shunting-yard), so rules nested tens of thousands of levels
deep parse without touching Python's recursion limit.  It does not build objects
itself: it hands each operand and operator to a *builder*, so one grammar engine
serves both Boolean rules (:mod:`metastasim.network.expr`) and MaBoSS rate
expressions (:mod:`metastasim.network.rates`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from metastasim.errors import ParseError

__all__ = [
    "Dialect",
    "Token",
    "tokenize",
    "parse",
    "Builder",
    "LOGIC",
    "LOGIC_MABOSS",
    "RATE",
    "RESERVED",
    "is_valid_name",
]

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f\v]+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?P<tail>\w*)
  | (?P<var>\$[A-Za-z_]\w*)
  | (?P<alias>@[A-Za-z_]\w*)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[!~&|^()?:+\-*/<>,])
    """,
    re.VERBOSE,
)

_WORD_OPERATORS = {"not": "!", "and": "&", "or": "|", "xor": "^"}
_NAME = re.compile(r"[A-Za-z_]\w*\Z")
#: Words that cannot name a node (any case): operators, constants, MaBoSS's keyword.
RESERVED = frozenset({*_WORD_OPERATORS, "true", "false", "node"})


def is_valid_name(name: object) -> bool:
    """Whether ``name`` can name a node: letters, digits and ``_``, not starting with a digit, not reserved."""
    return isinstance(name, str) and bool(_NAME.match(name)) and name.lower() not in RESERVED


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "var", "alias", "ident", "op"
    text: str
    pos: int


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _error(text: str, pos: int, message: str) -> ParseError:
    line, col = _line_col(text, pos)
    return ParseError(message, line=line, column=col)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; word operators (``and``, ``NOT``…) become symbols."""
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    match = _TOKEN_RE.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            raise _error(text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        if kind == "tail":  # a number glued to letters, such as 4EBP1
            kind = "num"
        if kind == "num" and m.group("tail"):
            raise _error(text, pos, f"invalid name {m.group(0)!r}: a name cannot start with a digit")
        if kind != "ws":
            value = m.group(0)
            if kind == "ident" and value.lower() in _WORD_OPERATORS:
                tokens.append(Token("op", _WORD_OPERATORS[value.lower()], pos))
            else:
                tokens.append(Token(kind, value, pos))
        pos = m.end()
    return tokens


@dataclass(frozen=True)
class Dialect:
    """Operators a grammar accepts: symbol -> (precedence, canonical name)."""

    name: str
    binary: dict[str, tuple[int, str]]
    unary: dict[str, str]
    operands: frozenset[str]  # token kinds accepted as operands
    ternary: bool = False
    calls: bool = False  # ``name(arg, …)`` function calls

    TERNARY_PREC = 0


_AND = ("&", "&&")
_OR = ("|", "||")

#: bnet, YAML and the Python API: ``!`` binds tightest, then ``&``, ``^``, ``|``.
LOGIC = Dialect(
    "logic",
    binary={**{s: (3, "and") for s in _AND}, "^": (2, "xor"), **{s: (1, "or") for s in _OR}},
    unary={"!": "not", "~": "not"},
    operands=frozenset({"num", "ident"}),
)

#: MaBoSS ``logic``: the grammar of MaBoSS 2 (``&`` over ``|`` over ``^`` over ``?:``).
LOGIC_MABOSS = Dialect(
    "maboss-logic",
    binary={**{s: (3, "and") for s in _AND}, **{s: (2, "or") for s in _OR}, "^": (1, "xor")},
    unary={"!": "not", "~": "not"},
    operands=frozenset({"num", "ident"}),
    ternary=True,
)

#: MaBoSS rates and parameter values: C-like arithmetic with MaBoSS's logical operators.
RATE = Dialect(
    "rate",
    binary={
        "*": (8, "mul"),
        "/": (8, "div"),
        "+": (7, "add"),
        "-": (7, "sub"),
        "<": (6, "lt"),
        ">": (6, "gt"),
        "<=": (6, "le"),
        ">=": (6, "ge"),
        "==": (5, "eq"),
        "!=": (5, "ne"),
        **{s: (4, "and") for s in _AND},
        **{s: (3, "or") for s in _OR},
        "^": (2, "xor"),
    },
    unary={"!": "not", "~": "not", "-": "neg", "+": "pos"},
    operands=frozenset({"num", "ident", "var", "alias"}),
    ternary=True,
    calls=True,
)


class Builder(Protocol):
    def operand(self, token: Token) -> Any: ...
    def unary(self, op: str, arg: Any, token: Token) -> Any: ...
    def binary(self, op: str, left: Any, right: Any, token: Token) -> Any: ...
    def ternary(self, cond: Any, yes: Any, no: Any, token: Token) -> Any: ...
    def call(self, name: str, args: list[Any], token: Token) -> Any: ...  # only for dialects with calls


def _describe(tok: Token | None) -> str:
    return "the end of the expression" if tok is None else repr(tok.text)


def _build_call(text: str, builder: Builder, tok: Token, args: list[Any]) -> Any:
    """``builder.call``, with an error it raises placed at the function's name."""
    try:
        return builder.call(tok.text, args, tok)
    except ParseError as exc:
        if exc.line is not None:
            raise
        raise _error(text, tok.pos, exc.message) from None


def parse(text: str, dialect: Dialect, builder: Builder) -> Any:
    """Parse ``text`` with ``dialect``, building the result through ``builder``.

    In a dialect with calls, ``name(a, b, …)`` hands the name and the parsed
    arguments to ``builder.call``.

    Raises
    ------
    ParseError
        With the line (relative to ``text``) and column of the offending token.
    """
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty expression", line=1)
    out: list[Any] = []
    # operator stack entries: (kind, name, precedence, token); kind in
    # "unary", "binary", "(", "?", ":", "call" (a function's name and its open parenthesis)
    ops: list[tuple[str, str, int, Token]] = []
    argc: list[int] = []  # for each open call, the arguments completed so far
    expect_operand = True
    tern = Dialect.TERNARY_PREC

    def reduce_top() -> None:
        kind, name, _, tok = ops.pop()
        if kind == "unary":
            out.append(builder.unary(name, out.pop(), tok))
        elif kind == "binary":
            right = out.pop()
            left = out.pop()
            out.append(builder.binary(name, left, right, tok))
        elif kind == ":":
            no = out.pop()
            yes = out.pop()
            cond = out.pop()
            out.append(builder.ternary(cond, yes, no, tok))
        elif kind == "?":
            raise _error(text, tok.pos, "'?' without its ':'")
        elif kind == "call":
            raise _error(text, tok.pos, f"unclosed '(' after {tok.text}")
        else:  # "("
            raise _error(text, tok.pos, "unclosed '('")

    def reduce_group(closer: Token) -> str:
        """Reduce back to the innermost '(' or call; return its kind."""
        while ops and ops[-1][0] not in ("(", "call"):
            if ops[-1][0] == "?":
                raise _error(text, ops[-1][3].pos, "'?' without its ':'")
            reduce_top()
        if not ops:
            what = "')' without a matching '('" if closer.text == ")" else "',' outside a function's arguments"
            raise _error(text, closer.pos, what)
        return ops[-1][0]

    def close_call(count: int) -> None:
        _, _, _, name_tok = ops.pop()
        argc.pop()
        args = out[len(out) - count :]
        del out[len(out) - count :]
        out.append(_build_call(text, builder, name_tok, args))

    for i, tok in enumerate(tokens):
        if expect_operand:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if dialect.calls and tok.kind == "ident" and nxt is not None and nxt.text == "(":
                ops.append(("call", tok.text, -1, tok))
                argc.append(0)
            elif ops and ops[-1][0] == "call" and tok.text == ")" and tokens[i - 1].text == "(":
                close_call(0)  # name()
                expect_operand = False
            elif tok.kind in dialect.operands:
                out.append(builder.operand(tok))
                expect_operand = False
            elif tok.kind == "op" and tok.text == "(":
                if not (i and ops and ops[-1][0] == "call" and ops[-1][3] is tokens[i - 1]):
                    ops.append(("(", "(", -1, tok))
            elif tok.kind == "op" and tok.text in dialect.unary:
                ops.append(("unary", dialect.unary[tok.text], 99, tok))
            else:
                raise _error(text, tok.pos, f"expected a name, a constant or '(' but found {_describe(tok)}")
            continue
        if tok.kind == "op" and tok.text in dialect.binary:
            prec, name = dialect.binary[tok.text]
            while ops and ops[-1][0] in ("unary", "binary") and ops[-1][2] >= prec:
                reduce_top()
            ops.append(("binary", name, prec, tok))
            expect_operand = True
        elif tok.kind == "op" and tok.text == ")":
            if reduce_group(tok) == "call":
                close_call(argc[-1] + 1)
            else:
                ops.pop()
        elif dialect.calls and tok.kind == "op" and tok.text == ",":
            if reduce_group(tok) != "call":
                raise _error(text, tok.pos, "',' outside a function's arguments")
            argc[-1] += 1
            expect_operand = True
        elif dialect.ternary and tok.kind == "op" and tok.text == "?":
            while ops and ops[-1][0] in ("unary", "binary") and ops[-1][2] > tern:
                reduce_top()
            ops.append(("?", "?", tern, tok))
            expect_operand = True
        elif dialect.ternary and tok.kind == "op" and tok.text == ":":
            while ops and ops[-1][0] in ("unary", "binary", ":"):
                reduce_top()
            if not ops or ops[-1][0] != "?":
                raise _error(text, tok.pos, "':' without a '?' before it")
            ops.pop()
            ops.append((":", ":", tern, tok))
            expect_operand = True
        else:
            raise _error(text, tok.pos, f"expected an operator or ')' but found {_describe(tok)}")
    if expect_operand:
        raise _error(text, len(text), "the expression ends where a name or constant was expected")
    while ops:
        reduce_top()
    if len(out) != 1:  # pragma: no cover - guarded by the state machine above
        raise ParseError("malformed expression", line=1)
    return out[0]
