"""Validation of the curated model against published experimental findings."""

from metastasim.validation.facts import Arm, Fact, check_facts, parse_facts, read_facts
from metastasim.validation.run import MIN_EFFECT, Z_MIN, FactResult, ValidationReport, validate

__all__ = [
    "Arm",
    "Fact",
    "parse_facts",
    "read_facts",
    "check_facts",
    "FactResult",
    "ValidationReport",
    "validate",
    "MIN_EFFECT",
    "Z_MIN",
    "load_facts",
]


def load_facts() -> list[Fact]:
    """The curated model's validation facts (``models/metastasim/facts.yaml``)."""
    from metastasim.models import CURATED, data_path

    return read_facts(data_path(CURATED, "facts.yaml"))
