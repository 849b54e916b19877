"""Analyses built on the model core: attractors through mpbn."""

from metastasim.analysis.attractors import (
    boolean_rules,
    count_fixed_points,
    count_trap_spaces,
    fixed_points,
    trap_spaces,
)

__all__ = ["fixed_points", "trap_spaces", "count_fixed_points", "count_trap_spaces", "boolean_rules"]
