"""A toy model whose occupancy has a closed form, shared by the graded-rule and in-vivo tests.

X switches on at ``UP`` and off at ``DOWN`` (its rule, ``!X``, holds while it is off),
starting off; over ``[0, T]`` its mean occupancy is
``UP / k * (1 - (1 - exp(-k T)) / (k T))`` with ``k = UP + DOWN``.
"""

from __future__ import annotations

import math

UP, DOWN, T = 0.5, 1.0, 2.0

MODEL = f"""
format: metastasim-model/1
settings: {{max_time: 5, time_tick: 1, sample_count: 100, seed: 0}}
nodes:
  S: {{rule: S, input: true, initial: 0}}
  X: {{rule: '!X', initial: 0, rate_up: {UP}, rate_down: {DOWN}}}
  Y: {{rule: 'false', initial: 0}}
contexts:
  quiet: {{inputs: {{S: 0}}}}
"""


def exact_occupancy() -> float:
    """Mean fraction of [0, T] that X, started off, spends on (closed form of the two-state chain)."""
    k = UP + DOWN
    return UP / k * (1.0 - (1.0 - math.exp(-k * T)) / (k * T))
