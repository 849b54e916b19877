"""The stochastic simulator: compiled Gillespie kernels with MaBoSS semantics."""

from metastasim.engine.compile import CompiledModel, compile_model
from metastasim.engine.ensemble import EnsembleResult, ensemble_counts, simulate_ensemble
from metastasim.engine.fixed_points import reached_fixed_points
from metastasim.engine.result import Result, state_label
from metastasim.engine.simulator import simulate, warm_up

__all__ = [
    "simulate",
    "warm_up",
    "compile_model",
    "CompiledModel",
    "Result",
    "state_label",
    "simulate_ensemble",
    "EnsembleResult",
    "ensemble_counts",
    "reached_fixed_points",
]
