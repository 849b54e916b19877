"""A toy model and cascade where the best of two knock-outs flips at a known rate, and a fact that breaks.

Gene A starts on and switches off at rate ``$k`` (its rule is ``0``); gene B stays on.  A cell
passes the single stage with ``CA * occ(A) + CB * occ(B)``, ``occ`` the fraction of the stage
(``T`` hours) the node was on: ``occ(A) = (1 - exp(-k T)) / (k T)``, ``occ(B) = 1``.  Knocking
out A prevents the share ``CA occ(A) / (CA occ(A) + CB)`` of the control's metastases,
knocking out B the share ``CB / (...)``: KO(A) ranks first exactly when ``CA occ(A) > CB``,
that is when ``k < K_STAR`` (:func:`k_star`).  Proliferation and Apoptosis are fixed, so both
knock-outs spare every normal cell and the ranking reads the prevented share alone.

The fact ``toy_a_ko_lowers_r``: knocking out A lowers R (which follows A quickly) at the end
of the run (``MAX_TIME`` hours), where A is still on with probability ``exp(-k MAX_TIME)``;
the fact is reproduced (change of at least 0.02) only while ``k`` is below about
``ln(50) / MAX_TIME`` = 0.78.
"""

from __future__ import annotations

import math

from scipy import optimize

from metastasim.cascade import parse_cascade
from metastasim.io import parse_yaml
from metastasim.network.ranges import Range
from metastasim.validation.facts import parse_facts

CA, CB, T, MAX_TIME, K_NOMINAL, K_LOW, K_HIGH = 0.8, 0.2, 2.0, 5.0, 0.5, 0.2, 20.0

MODEL = f"""
format: metastasim-model/1
settings: {{max_time: {MAX_TIME}, time_tick: 1, sample_count: 100, seed: 0}}
parameters: {{k: {K_NOMINAL}}}
nodes:
  S: {{rule: S, input: true, initial: 0}}
  A: {{rule: '0', initial: 1, rate_down: '$k', symbol: TOYA}}
  B: {{rule: '1', initial: 1, symbol: TOYB}}
  R: {{rule: A, initial: 1, rate_up: 50, rate_down: 50}}
  Proliferation: {{rule: '1', initial: 1}}
  Apoptosis: {{rule: '0', initial: 0}}
contexts:
  normoxia: {{inputs: {{S: 0}}}}
"""

CASCADE = f"""
format: metastasim-cascade/1
phenotypes: [Proliferation, Apoptosis]
stages:
  grow:
    context: normoxia
    duration: {T}
    pass: [{{p: '{CA} * A + {CB} * B'}}]
modes:
  experimental: {{prepare: {{context: normoxia, duration: 0.000001}}, stages: [grow]}}
  spontaneous: {{prepare: {{context: normoxia, duration: 0.000001}}, stages: [grow]}}
"""

FACTS = """
format: metastasim-facts/1
facts:
- id: toy_a_ko_lowers_r
  finding: Knocking out A lowers R.
  reference: {id: 'doi:10.0000/toy', citation: Toy 2026}
  context: normoxia
  perturbation: {ko: [A]}
  readout: R
  expected: down
"""


def occupancy(k: float) -> float:
    """Mean fraction of [0, T] that A, on at 0 and switching off at rate k, spends on."""
    return (1.0 - math.exp(-k * T)) / (k * T)


def k_star() -> float:
    """The rate where both knock-outs prevent the same share: ``CA occ(A) = CB``."""
    return optimize.brentq(lambda k: CA * occupancy(k) - CB, 1e-6, 1e3, xtol=1e-12)


def mass_below(k: float) -> float:
    """Probability of a log-uniform draw on [K_LOW, K_HIGH] falling below ``k``."""
    return math.log(k / K_LOW) / math.log(K_HIGH / K_LOW)


def model():
    m = parse_yaml(MODEL)
    m.parameter_ranges["k"] = Range(K_LOW, K_HIGH, log=True)
    return m


def cascade():
    return parse_cascade(CASCADE)


def facts():
    return parse_facts(FACTS)
