"""The cascade's mechanics against exact answers on small models, and its invariants on the curated one."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

from metastasim.cascade import binomial_ci, load_cascade, odds_ratio, parse_cascade, run_cascade
from metastasim.errors import ModelError, SimulationError
from metastasim.io import parse_yaml
from metastasim.models import load_drugs, load_model
from metastasim.network.perturbations import ForceOn, Knockout

# A toy model: S is an input; M remembers S (M = M | S); B follows nothing (alterations set it).
TOY = """
format: metastasim-model/1
settings: {max_time: 5, time_tick: 1, sample_count: 100, seed: 0}
nodes:
  S: {rule: S, input: true, initial: 0}
  M: {rule: M | S, initial: 0, rate_up: 20, rate_down: 20}
  B: {rule: 'false', initial: 0}
  C: {rule: 'false', initial: 0}
contexts:
  signal: {inputs: {S: 1}}
  quiet: {inputs: {S: 0}}
"""


def toy_spec(p_m: float = 0.7, p_other: float = 0.2, p2: float = 0.5, frequency: float = 0.25) -> str:
    return f"""
format: metastasim-cascade/1
phenotypes: [M, B]
stages:
  first: {{context: quiet, duration: 2, pass: [{{when: M, p: {p_m}}}, {{p: {p_other}}}]}}
  second: {{context: quiet, duration: 2, pass: [{{when: B, p: 1.0}}, {{p: {p2}}}]}}
modes:
  experimental: {{prepare: {{context: signal, duration: 3}}, stages: [first, second]}}
  spontaneous: {{prepare: {{context: quiet, duration: 3}}, stages: [first, second]}}
alterations:
  B_gain: {{node: B, change: gain, frequency: {frequency}}}
anchors:
  - {{mode: experimental, stage: second, fraction: 0.5, reference: 'doi:10.1000/x'}}
"""


@pytest.fixture(scope="module")
def toy():
    return parse_yaml(TOY)


def within(k: int, n: int, p: float) -> bool:
    """The exact 99.9% interval of k/n covers p."""
    lo, hi = binomial_ci(k, n, level=0.999)
    return lo <= p <= hi


def test_pass_probabilities_follow_the_rule_and_the_carried_state(toy):
    # experimental: prepare with S on sets the memory M (M = M | S, fast), which the first stage
    # (S off) only keeps if the state is carried over: every cell meets the first case.
    res = run_cascade(toy, parse_cascade(toy_spec()), mode="experimental", cells=40_000, seed=5)
    first, second = res.stages
    assert first.case_entered == [40_000, 0]
    assert within(first.passed, 40_000, 0.7)
    # second stage: carriers of B pass surely, the others with 0.5; cumulative = 0.7 * (0.25 + 0.75 * 0.5)
    assert within(second.passed, first.passed, 0.25 + 0.75 * 0.5)
    assert within(res.metastatic, 40_000, 0.7 * 0.625)
    # spontaneous: M was never set, so every cell meets the otherwise case (p = 0.2)
    spont = run_cascade(toy, parse_cascade(toy_spec()), mode="spontaneous", cells=40_000, seed=5, estimator="direct")
    assert spont.stages[0].case_entered == [0, 40_000]
    assert within(spont.stages[0].passed, 40_000, 0.2)


def test_alterations_are_drawn_with_their_frequency_and_selected(toy):
    res = run_cascade(toy, parse_cascade(toy_spec(frequency=0.1)), cells=40_000, seed=2)
    (alt,) = res.alterations
    assert within(alt.carriers, 40_000, 0.1)
    # B carriers pass the second stage surely, the others with 0.5: odds ratio of metastasis is known
    # exactly: P(met | B) = 0.7, P(met | not B) = 0.35 -> OR = (0.7/0.3) / (0.35/0.65)
    o = res.odds_ratio(alt)
    truth = (0.7 / 0.3) / (0.35 / 0.65)
    assert o.low <= truth <= o.high
    assert res.enrichment().loc["B_gain", "odds_ratio"] == pytest.approx(o.estimate)
    assert res.stages[-1].phenotypes["B"] == alt.carriers_metastatic
    homogeneous = run_cascade(toy, parse_cascade(toy_spec(frequency=0.1)), cells=2000, seed=2, alterations=False)
    assert homogeneous.alterations == []


def test_a_knockout_wins_over_a_cells_own_gain(toy):
    spec = parse_cascade(toy_spec(frequency=0.5))
    res = run_cascade(toy, spec, cells=20_000, seed=4, perturbations=[Knockout("B")])
    # nobody has B on: the second stage passes half of the cells whatever they carry
    assert res.stages[-1].phenotypes["B"] == 0
    assert within(res.stages[-1].passed, res.stages[0].passed, 0.5)


def test_same_cells_whatever_the_chunk_size_and_threads():
    model, spec = load_model(), load_cascade()

    def run(chunk, threads):
        d = run_cascade(model, spec, cells=6000, seed=11, chunk_size=chunk, threads=threads).to_dict()
        d.pop("elapsed_s"), d.pop("threads")
        return d

    reference = run(1 << 16, 2)
    assert run(977, 1) == reference
    assert run(4096, 2) == reference
    other_seed = run_cascade(model, spec, cells=6000, seed=12).to_dict()
    assert [s["passed"] for s in other_seed["stages"]] != [s["passed"] for s in reference["stages"]]


def test_treatment_from_a_later_stage_leaves_the_earlier_stages_identical():
    model, spec = load_model(), load_cascade()
    drug = load_drugs()["HC-5404"].perturbations(1.0, model=model)
    plain = run_cascade(model, spec, cells=8000, seed=3)
    late = run_cascade(model, spec, cells=8000, seed=3, treatment=drug, treatment_from="dormancy")
    for a, b in zip(plain.stages[:2], late.stages[:2]):
        assert (a.entered, a.passed, a.phenotypes) == (b.entered, b.passed, b.phenotypes)
    assert late.stage("dormancy").passed < plain.stage("dormancy").passed
    throughout = run_cascade(model, spec, cells=8000, seed=3, perturbations=drug)
    assert throughout.stages[0].passed != plain.stages[0].passed  # given from the start it acts in circulation too
    assert late.to_dict()["treatment"]["from_stage"] == "dormancy"


def test_until_stops_after_a_stage_with_the_same_counts():
    model, spec = load_model(), load_cascade()
    full = run_cascade(model, spec, cells=5000, seed=8, keep_survivors=["circulation"])
    short = run_cascade(model, spec, cells=5000, seed=8, until="extravasation", keep_survivors=["circulation"])
    assert [s.passed for s in short.stages] == [s.passed for s in full.stages[:2]]
    assert not short.complete and math.isnan(short.efficiency)
    assert np.array_equal(short.survivors["circulation"], full.survivors["circulation"])
    assert len(full.survivors["circulation"]) == full.stages[0].passed


def test_bad_cascades_are_clear_errors(toy):
    spec = parse_cascade(toy_spec())
    with pytest.raises(SimulationError, match="at least one cell"):
        run_cascade(toy, spec, cells=0)
    with pytest.raises(ModelError, match="unknown cascade mode"):
        run_cascade(toy, spec, mode="orthotopic")
    with pytest.raises(ModelError, match=r"duration of stage first must be positive, not -1") as exc:
        parse_cascade(
            toy_spec().replace("duration: 2, pass: [{when: M", "duration: -1, pass: [{when: M"), path="c.yaml"
        )
    assert exc.value.line == 5 and exc.value.path == "c.yaml"
    with pytest.raises(ModelError, match="duration of stage first must be positive, not 0"):
        parse_cascade(toy_spec().replace("duration: 2, pass: [{when: M", "duration: 0, pass: [{when: M"))
    with pytest.raises(ModelError, match="last case of stage first must have no 'when'"):
        parse_cascade(toy_spec().replace("{p: 0.2}", "{when: B, p: 0.2}"))
    with pytest.raises(ModelError, match=r"p of a case of stage first must be in \[0, 1\], not 1.5"):
        parse_cascade(toy_spec(p_m=1.5))
    with pytest.raises(ModelError, match="unknown stage 'third'"):
        parse_cascade(toy_spec().replace("stages: [first, second]}\n  spont", "stages: [first, third]}\n  spont"))
    bad_node = parse_cascade(toy_spec().replace("{when: M,", "{when: Q,"))
    with pytest.raises(ModelError, match="stage first: unknown node 'Q'"):
        run_cascade(toy, bad_node, cells=10)


def test_intervals_agree_with_scipy():
    for k, n in ((0, 50), (3, 1000), (222, 1_000_000), (50, 50)):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert binomial_ci(k, n) == pytest.approx((ci.low, ci.high), rel=1e-9, abs=1e-12)
    table = [[30, 70], [100, 800]]
    ref = stats.contingency.odds_ratio(table, kind="sample")
    ci = ref.confidence_interval(0.95)
    o = odds_ratio(30, 70, 100, 800)
    assert (o.estimate, o.low, o.high) == pytest.approx((ref.statistic, ci.low, ci.high), rel=1e-9)
    # sparse tables: scipy's conditional (Fisher) estimate and exact interval; no metastatic carrier gives 0
    for table in ([[0, 10], [5, 100]], [[0, 5000], [2, 94998]], [[3, 40], [60, 2000]]):
        ref = stats.contingency.odds_ratio(table, kind="conditional")
        ci = ref.confidence_interval(0.95)
        o = odds_ratio(*table[0], *table[1])
        assert o.exact and (o.estimate, o.low, o.high) == pytest.approx((ref.statistic, ci.low, ci.high), rel=1e-9)
    zero = odds_ratio(0, 5000, 2, 94998)
    assert zero.estimate == 0 and zero.low == 0 and 1 < zero.high < math.inf


def test_a_treatment_acts_only_from_its_stage_even_on_altered_nodes(toy):
    # half of the cells carry a B gain; B decides the second stage only.  A knock-out of B given from
    # the second stage must leave the first stage (and the B carriers in it) exactly as without it.
    spec = parse_cascade(toy_spec(frequency=0.5))
    plain = run_cascade(toy, spec, cells=10_000, seed=9)
    late = run_cascade(toy, spec, cells=10_000, seed=9, treatment=[Knockout("B")], treatment_from="second")
    assert (late.stages[0].passed, late.stages[0].phenotypes) == (plain.stages[0].passed, plain.stages[0].phenotypes)
    assert late.stages[0].phenotypes["B"] > 0 and late.stages[1].phenotypes["B"] == 0
    assert within(late.stages[1].passed, late.stages[0].passed, 0.5)
    with pytest.raises(SimulationError, match="no stage 'third'"):
        run_cascade(toy, spec, cells=10, treatment_from="third")
    forced = run_cascade(toy, spec, cells=2000, seed=9, perturbations=[ForceOn("B")])
    assert forced.stages[1].passed == forced.stages[0].passed  # every cell has B: all pass the second stage


@pytest.mark.parametrize(
    "change, message, line",
    [
        (("phenotypes: [M, B]", "phenotypes: [M, M]"), "phenotypes lists a node twice", 3),
        (
            ("{mode: experimental, stage: second", "{mode: [experimental], stage: second"),
            "anchor names stage 'second' of mode ['experimental']",
            13,
        ),
        (
            ("{when: M, p: 0.7}", "{when: " + " & ".join(f"N{i}" for i in range(21)) + ", p: 0.7}"),
            "reads 21 nodes; at most 20",
            5,
        ),
    ],
)
def test_malformed_cascade_files_name_the_line(change, message, line):
    with pytest.raises(ModelError, match=re.escape(message)) as exc:
        parse_cascade(toy_spec().replace(*change), path="c.yaml")
    assert exc.value.line == line and exc.value.path == "c.yaml"


def test_unknown_names_point_at_their_line(toy):
    text = toy_spec().replace("  B_gain: {node: B,", "  B_gain: {node: Q,")
    with pytest.raises(ModelError, match="alteration B_gain: unknown node 'Q'") as exc:
        run_cascade(toy, parse_cascade(text, path="c.yaml"), cells=10)
    assert exc.value.line == 11
    text = toy_spec().replace("prepare: {context: signal", "prepare: {context: sigal")
    with pytest.raises(ModelError, match="prepare of mode experimental: unknown context 'sigal'") as exc:
        run_cascade(toy, parse_cascade(text, path="c.yaml"), cells=10)
    assert exc.value.line == 8
