"""The model core: rules, rates, nodes, models, perturbations and settings."""

from metastasim.network.expr import (
    And,
    Const,
    Expr,
    Not,
    Or,
    Var,
    Xor,
    equivalent,
    influence_signs,
    parse_rule,
    truth_table,
)
from metastasim.network.model import Context, JointInitial, Model, Node, Reference, is_identity
from metastasim.network.perturbations import (
    ForceOn,
    Inhibit,
    Knockout,
    Perturbation,
    Schedule,
    SetInput,
    context_perturbations,
    describe,
    parse_perturbation,
    resolve_perturbations,
)
from metastasim.network.ranges import Range, default_range
from metastasim.network.rates import Rate, down_rate, parse_rate, up_rate
from metastasim.network.settings import Settings

__all__ = [
    "Range",
    "default_range",
    "Expr",
    "Const",
    "Var",
    "Not",
    "And",
    "Or",
    "Xor",
    "parse_rule",
    "truth_table",
    "equivalent",
    "influence_signs",
    "Model",
    "Node",
    "Reference",
    "Context",
    "JointInitial",
    "is_identity",
    "Knockout",
    "ForceOn",
    "Inhibit",
    "SetInput",
    "Schedule",
    "Perturbation",
    "resolve_perturbations",
    "parse_perturbation",
    "describe",
    "context_perturbations",
    "Rate",
    "parse_rate",
    "up_rate",
    "down_rate",
    "Settings",
]
