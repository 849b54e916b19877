"""Analyses built on the model core: attractors through mpbn, probabilities across contexts."""

from metastasim.analysis.attractors import (
    boolean_rules,
    count_fixed_points,
    count_trap_spaces,
    fixed_points,
    trap_spaces,
)
from metastasim.analysis.contexts import by_context

__all__ = ["by_context", "fixed_points", "trap_spaces", "count_fixed_points", "count_trap_spaces", "boolean_rules"]
