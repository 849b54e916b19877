"""In-vivo (effect-size) facts: the published ratio as stated, the model's ratio against an exact answer, bad facts."""

from __future__ import annotations

import math
import re

import pytest

from graded_toy import MODEL, T, exact_occupancy  # tests/graded_toy.py
from metastasim.cascade import parse_cascade
from metastasim.errors import ModelError
from metastasim.io import parse_yaml
from metastasim.validation import parse_facts, validate
from metastasim.validation.invivo import Measure


def measure(kind, control, perturbed, **kw) -> Measure:
    return Measure(kind, control, perturbed, route="", quote="", where="Abstract", **kw)


def test_published_ratios_follow_the_stated_numbers():
    assert measure("count", 257, 79).observed_log2 == pytest.approx(math.log2(79 / 257))
    assert measure("burden", 100, 9).observed_log2 == pytest.approx(math.log2(0.09))
    # incidence: mean metastases per mouse from the Poisson zero class, lambda = -ln(1 - k/n)
    lam = lambda k, n: -math.log(1 - k / n)  # noqa: E731
    assert measure("incidence", "1/4", "3/4").observed_log2 == pytest.approx(math.log2(lam(3, 4) / lam(1, 4)))
    assert measure("incidence", "16/17", "2/19").observed_log2 == pytest.approx(math.log2(lam(2, 19) / lam(16, 17)))
    # a stated primary-tumour shrinkage is taken out: the model follows cells leaving a primary of fixed size
    m = measure("incidence", "16/17", "2/19", primary=(6316, 1209))
    assert m.per_cell_log2 == pytest.approx(m.observed_log2 - math.log2(1209 / 6316))


def test_pass_means_same_sign_and_within_2x():
    m = measure("count", 8, 1)  # log2 -3
    assert m.passes(-2.01) and m.passes(-3.99) and not m.passes(-1.9) and not m.passes(-4.2)
    assert not m.passes(0.0) and not m.passes(math.nan) and not m.passes(-math.inf)
    bound = measure("count", 1, 3, bound="at_least")  # more than three times: at least log2 3 - 1
    assert bound.passes(0.6) and bound.passes(5.0) and not bound.passes(0.5) and not bound.passes(-1.0)


FACT = """
format: metastasim-facts/1
facts:
- id: toy
  level: invivo
  mode: experimental
  route: tail vein
  finding: losing X lowers metastasis
  measure: {measure}
  control: {control}
  perturbed: {perturbed}
  quote: q
  where: Abstract
  reference: {{id: 'doi:10.1000/x', citation: c}}
  perturbation: {{ko: [X]}}
"""


@pytest.mark.parametrize(
    "measure_, control, perturbed, extra, message, line",
    [
        ("incidence", "0/10", "5/10", "", "an incidence of 0/10 has no finite Poisson rate", 10),
        ("incidence", "5/10", "10/10", "", "an incidence of 10/10 has no finite Poisson rate", 10),
        ("incidence", "a/b", "5/10", "", "an incidence is written k/n", 10),
        ("incidence", "12/10", "5/10", "", "0 <= k <= n", 10),
        ("count", "-3", "5", "", "needs two positive numbers", 10),
        ("count", "8", "0", "", "a complete prevention has no log2", 10),
        ("volume", "8", "1", "", "measure must be one of count, burden, incidence", 9),
        ("count", "8", "1", "  bound: at_most\n", "bound must be 'at_least'", 16),
        ("count", "8", "1", "  primary: [0, 3]\n", "primary must be two positive sizes", 16),
        ("count", "8", "1", "  expected: down\n", "'expected' is not a field of an in-vivo fact", 16),
        ("count", "[8]", "1", "", "control must be a number or an incidence", 10),
    ],
)
def test_bad_invivo_facts_name_their_line(measure_, control, perturbed, extra, message, line):
    text = FACT.format(measure=measure_, control=control, perturbed=perturbed) + extra
    with pytest.raises(ModelError, match=re.escape(message)) as exc:
        parse_facts(text, path="facts.yaml")
    assert exc.value.path == "facts.yaml" and exc.value.line == line


def test_a_fact_without_its_quote_is_refused():
    text = FACT.format(measure="count", control=8, perturbed=1).replace("  quote: q\n", "")
    with pytest.raises(ModelError, match="an in-vivo fact needs 'quote'"):
        parse_facts(text)


def test_the_models_ratio_matches_the_exact_one():
    """One graded stage, p = floor + (1 - floor) * occupancy(X): losing X leaves floor, exactly."""
    model = parse_yaml(MODEL)
    spec = parse_cascade(f"""
format: metastasim-cascade/1
stages:
  grow: {{context: quiet, duration: {T}, constants: {{floor: 0.2}}, pass: [{{p: '$floor + (1 - $floor) * X'}}]}}
modes:
  experimental: {{prepare: {{context: quiet, duration: 0.000001}}, stages: [grow]}}
""")
    exact = math.log2(0.2 / (0.2 + 0.8 * exact_occupancy()))
    facts = parse_facts(FACT.format(measure="count", control=1, perturbed=0.5))
    report = validate(model, facts, {}, cascade=spec, seed=2, invivo_cells=40_000)
    (result,) = report.invivo
    assert result.model_low <= exact <= result.model_high
    assert abs(result.model_log2 - exact) < 0.05
    assert result.reproduced == (abs(exact + 1) <= 1) and report.invivo_passed == int(result.reproduced)
    row = report.to_dict()["invivo"]["results"][0]
    assert row["level"] == "invivo" and row["observed_log2"] == -1 and row["status"] in ("pass", "FAIL")
