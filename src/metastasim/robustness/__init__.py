"""Robustness of a screen's ranking to the model's uncertain numbers: ensembles and global sensitivity.

The rates of a logical model and the pass probabilities of its cascade are reasoned
values, not measurements.  :func:`run_robustness` draws parameter sets from their
plausible ranges (:func:`draw_parameters`, :func:`apply_draw`), keeps those that still
reproduce the validation facts, screens the targets on each kept draw with the same
cells and seeds, and reports each target's rank and effect across the draws
(:class:`RobustnessResult`); :func:`sensitivity` says which numbers move a target's
effect most.
"""

from metastasim.robustness.draws import METHODS, apply_draw, draw_parameters, nominal_draw, uncertain_numbers
from metastasim.robustness.result import RobustnessResult
from metastasim.robustness.run import DEFAULT_TOLERANCE, FILTER_LEVELS, VALIDATION_SAMPLES, run_robustness
from metastasim.robustness.sensitivity import MIN_DRAWS, sensitivity

__all__ = [
    "uncertain_numbers",
    "draw_parameters",
    "nominal_draw",
    "apply_draw",
    "METHODS",
    "run_robustness",
    "RobustnessResult",
    "DEFAULT_TOLERANCE",
    "VALIDATION_SAMPLES",
    "FILTER_LEVELS",
    "sensitivity",
    "MIN_DRAWS",
]
