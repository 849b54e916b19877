"""Rules: parsing every operator spelling, precedence, depth, printing and truth tables."""

from __future__ import annotations

import itertools
import sys

import pytest

from metastasim.errors import ParseError
from metastasim.network import And, Not, Or, Var, Xor, equivalent, parse_rule, truth_table


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A & B", lambda a, b, c: a and b),
        ("A and B", lambda a, b, c: a and b),
        ("A && B", lambda a, b, c: a and b),
        ("A | B", lambda a, b, c: a or b),
        ("A or B", lambda a, b, c: a or b),
        ("A || B", lambda a, b, c: a or b),
        ("!A", lambda a, b, c: not a),
        ("~A", lambda a, b, c: not a),
        ("not A", lambda a, b, c: not a),
        ("NOT A AND B", lambda a, b, c: (not a) and b),
        ("A ^ B", lambda a, b, c: a != b),
        ("A xor B", lambda a, b, c: a != b),
        ("A | B & C", lambda a, b, c: a or (b and c)),
        ("!A | B & !C", lambda a, b, c: (not a) or (b and not c)),
        ("(A | B) & C", lambda a, b, c: (a or b) and c),
        ("A & 1", lambda a, b, c: a),
        ("A | false", lambda a, b, c: a),
        ("true & !0", lambda a, b, c: True),
    ],
)
def test_operators_and_precedence(text, expected):
    rule = parse_rule(text)
    names = ["A", "B", "C"]
    for bits in itertools.product((0, 1), repeat=3):
        values = dict(zip(names, bits))
        assert rule.evaluate(values) == bool(expected(*bits)), (text, values)


def test_maboss_precedence_puts_xor_below_or():
    # MaBoSS 2's grammar: & over | over ^, so A ^ B | C means A ^ (B | C)
    maboss = parse_rule("A ^ B | C", dialect="maboss")
    assert equivalent(maboss, parse_rule("A ^ (B | C)"))
    assert not equivalent(parse_rule("A ^ B | C"), maboss)


def test_maboss_ternary_is_if_then_else():
    rule = parse_rule("A ? B : C", dialect="maboss")
    assert equivalent(rule, parse_rule("A & B | !A & C"))


def test_chains_flatten_into_one_node():
    rule = parse_rule("((((A | B) | C) | D) | E)")
    assert isinstance(rule, Or) and len(rule.args) == 5


def test_names_are_case_sensitive():
    rule = parse_rule("abc & !ABC")
    assert rule.variables() == {"abc", "ABC"}
    assert rule.evaluate({"abc": 1, "ABC": 0}) and not rule.evaluate({"abc": 1, "ABC": 1})


@pytest.fixture
def default_recursion_limit():
    """Python's default limit (some libraries raise it on import; we must not need that)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


@pytest.mark.parametrize("depth", [12_000, 25_000])
def test_rules_nested_deeper_than_the_recursion_limit(depth, default_recursion_limit):
    # alternating operators so that nothing flattens: a | (b & (c | (d & ...)))
    text = "".join(f"x{i} {'|' if i % 2 == 0 else '&'} (" for i in range(depth)) + "y" + ")" * depth
    rule = parse_rule(text)
    assert len(rule.variables()) == depth + 1
    printed = rule.to_string()
    again = parse_rule(printed)
    assert again.to_string() == printed
    assert rule.evaluate({**{f"x{i}": 0 for i in range(depth)}, "y": 1}) is False
    assert rule.evaluate({**{f"x{i}": 0 for i in range(depth)}, "x0": 1, "y": 0}) is True
    nots = parse_rule("!(" * depth + "a" + ")" * depth)
    assert nots.evaluate({"a": 1}) is (depth % 2 == 0)


def test_printing_round_trips_and_keeps_xor_parenthesised():
    for text in ["A & !(B | C)", "(A ^ B) | C", "!(A ^ B ^ C)", "A & B | C & (D | !E)", "0", "!1"]:
        rule = parse_rule(text)
        printed = rule.to_string()
        assert equivalent(parse_rule(printed), rule)
        assert equivalent(parse_rule(printed, dialect="maboss"), rule), printed


def test_truth_table_order_and_packing():
    rule = parse_rule("A & !B")
    assert list(truth_table(rule, ["A", "B"])) == [0, 1, 0, 0]  # row r: A = bit 0, B = bit 1
    big = parse_rule(" | ".join(f"v{i}" for i in range(9)) + " & !v9")
    names = [f"v{i}" for i in range(10)]
    assert list(truth_table(big, names)) == [
        int(big.evaluate({n: (r >> i) & 1 for i, n in enumerate(names)})) for r in range(1 << 10)
    ]


def test_constructed_trees_print_and_evaluate():
    rule = And((Var("A"), Not(Or((Var("B"), Xor((Var("C"), Var("D"))))))))
    assert rule.to_string() == "A & !(B | (C ^ D))"


@pytest.mark.parametrize(
    "text, message, column",
    [
        ("A & (B | C", "unclosed '('", 5),
        ("A & B)", "')' without a matching '('", 6),
        ("A & & B", "expected a name", 5),
        ("A B", "expected an operator", 3),
        ("A & 2", "only the constants 0 and 1", None),
        ("4EBP1 & A", "cannot start with a digit", 1),
        ("A & é", "unexpected character", 5),
        ("", "empty expression", None),
        ("A &", "ends where a name", 4),
    ],
)
def test_syntax_errors_say_where(text, message, column):
    with pytest.raises(ParseError) as info:
        parse_rule(text)
    assert message in str(info.value)
    if column is not None:
        assert info.value.column == column
