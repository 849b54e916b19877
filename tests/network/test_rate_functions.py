"""MaBoSS's rate grammar in full: built-in functions, comparisons, logic and unary operators.

Expected values are worked out by hand from MaBoSS's definitions (``BuiltinFunctions.cc``:
``log(x, b) = ln x / ln b``, ``exp(x, b) = e^(x ln b)``; ``BooleanGrammar.y``: C precedence,
``xor`` below ``||``, ``?:`` lowest).
"""

from __future__ import annotations

import math

import pytest

from metastasim.errors import ModelError, ParseError
from metastasim.io import parse_maboss, to_maboss
from metastasim.network import parse_rate
from metastasim.network.rates import FUNCTIONS

NODES = {"A": 1, "B": 0}
PARAMS = {"k": 3.0, "fast": 4.0}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("log(1.0, 2)", 0.0),
        ("log(8, 2)", 3.0),
        ("log(100, 10) + log(1)", 2.0),
        ("exp(0)", 1.0),
        ("exp(3, 2)", 8.0),
        ("exp(log(5))", 5.0),
        ("log(exp(2, 3), 3)", 2.0),
        ("-log(0.5, 2)", 1.0),
        ("--2", 2.0),
        ("+2 * -3", -6.0),
        ("1e-3 * 1E3 + .5 + 5.", 6.5),
        ("2 - 1 - 1", 0.0),
        ("8 / 2 / 2", 2.0),
        ("1 + 2 * 3 == 7", 1.0),
        ("1 < 2 == 1", 1.0),  # relational binds tighter than equality
        ("A != B && B <= 0 && A >= 1", 1.0),
        ("B || !A", 0.0),
        ("1 ^ 1 || 1", 0.0),  # xor below or: 1 ^ (1 || 1)
        ("A ? log(8, 2) : exp(1)", 3.0),
        ("B ? 1 : A ? 2 : 3", 2.0),  # ?: nests to the right
        ("log(A ? 4 : 2, 2)", 2.0),  # a conditional as an argument
        ("exp($k - 3) * $fast", 4.0),
        ("log((1 + 1) * 4, 2)", 3.0),
        ("!log(1)", 1.0),
    ],
)
def test_values(text, expected):
    value = parse_rate(text).evaluate(PARAMS, logic=True, nodes=NODES)
    assert value == pytest.approx(expected, abs=1e-12)


def test_the_issue_example_reads_and_follows_the_rule():
    rate = parse_rate("@logic ? $fast : log(1.0, 2)")
    assert rate.evaluate(PARAMS, logic=True) == 4.0
    assert rate.evaluate(PARAMS, logic=False) == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "@logic ? $fast : log(1.0, 2)",
        "-log(2) + exp(1, 2) * 3",
        "log(A ? 1 : 2, 2) == 1 & !B",
        "2 * (log(3) - 1) / exp(-$k)",
        "exp(log(exp(1)), log(2 + A))",
        "(A ? 1 : 2) * 3",
    ],
)
def test_to_string_round_trips(text):
    rate = parse_rate(text)
    again = parse_rate(rate.to_string())
    assert again.ast == rate.ast
    assert again.to_string() == rate.to_string()


def test_functions_read_nodes_and_parameters_through_their_arguments():
    rate = parse_rate("@logic ? log(1 + A, $base) : exp(B)")
    assert rate.nodes() == {"A", "B"}
    assert rate.parameters() == {"base"}
    assert rate.rename({"A": "X"}).to_string() == "@logic ? log(1 + X, $base) : exp(B)"


def test_c_semantics_for_bad_arguments():
    assert parse_rate("log(0)").evaluate({}, logic=True) == -math.inf
    assert math.isnan(parse_rate("log(-1)").evaluate({}, logic=True))
    assert parse_rate("exp(1000)").evaluate({}, logic=True) == math.inf


def test_the_function_table_is_maboss_s():
    assert {name: (f.min_args, f.max_args) for name, f in FUNCTIONS.items()} == {"log": (1, 2), "exp": (1, 2)}


@pytest.mark.parametrize(
    "text, words, column",
    [
        ("@logic ? 1 : foo(2)", ("unknown function 'foo'", "log"), 14),
        ("exp()", ("exp() takes 1 or 2 arguments, not 0",), 1),
        ("1 + log(1, 2, 3)", ("log() takes 1 or 2 arguments, not 3",), 5),
        ("log((1, 2))", ("',' outside",), 7),
        ("1, 2", ("',' outside",), 2),
        ("log(1", ("unclosed '('",), 1),
        ("log(1,)", ("expected a name",), 7),
        ("log(, 1)", ("expected a name",), 5),
        ("log(1 ? 2, 3)", ("'?' without its ':'",), 7),
    ],
)
def test_bad_calls_are_parse_errors_with_their_column(text, words, column):
    with pytest.raises(ParseError) as info:
        parse_rate(text)
    for word in words:
        assert word in info.value.message
    assert (info.value.line, info.value.column) == (1, column)


def test_rules_still_refuse_commas():
    from metastasim.network import parse_rule

    with pytest.raises(ParseError):
        parse_rule("A, B")
    with pytest.raises(ParseError):
        parse_rule("log(A)")


BND = """Node A {
  logic = !A;
  rate_up = @logic ? $fast : log(1.0, 2);
  rate_down = @logic ? 0 : {down};
}
"""


def test_maboss_file_with_functions_reads_and_writes_back():
    model = parse_maboss(BND.replace("{down}", "exp(1, 2)"), "$fast = 4;")
    assert model.rate_values("A") == (4.0, 0.0, 0.0, 2.0)
    bnd, cfg = to_maboss(model)
    assert "log(1.0, 2)" in bnd and "exp(1, 2)" in bnd
    assert parse_maboss(bnd, cfg).hash() == model.hash()


@pytest.mark.parametrize(
    "down, words",
    [
        ("log(-1)", ("rate_down", "nan", "finite")),
        ("log(0)", ("rate_down", "-inf")),
        ("exp(1000)", ("rate_down", "inf")),
        ("lg(2)", ("unknown function 'lg'",)),
        ("log()", ("log() takes 1 or 2 arguments, not 0",)),
    ],
)
def test_bad_functions_in_a_maboss_file_name_the_line(down, words):
    with pytest.raises(ModelError) as info:
        parse_maboss(BND.replace("{down}", down), "$fast = 4;", bnd_path="m.bnd")
    assert info.value.path == "m.bnd" and info.value.line == 4
    for word in words:
        assert word in info.value.message


def test_parameters_in_a_cfg_may_use_functions():
    model = parse_maboss(BND.replace("{down}", "$d"), "$fast = exp(2, 2); $d = log($fast, 2);")
    assert model.parameters["fast"] == 4.0 and model.parameters["d"] == 2.0
