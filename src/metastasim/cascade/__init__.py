"""The metastatic cascade on heterogeneous cell populations (stages, modes, alterations as data)."""

from metastasim.cascade.run import AlterationResult, CascadeResult, StageResult, compare_anchors, run_cascade
from metastasim.cascade.spec import (
    MODES, Alteration, Anchor, CascadeSpec, Case, Mode, Prepare, Stage, parse_cascade, read_cascade,
)
from metastasim.cascade.stats import OddsRatio, binomial_ci, odds_ratio

__all__ = [
    "run_cascade", "compare_anchors", "CascadeResult", "StageResult", "AlterationResult", "load_cascade",
    "CascadeSpec", "Stage", "Mode", "Prepare", "Case", "Alteration", "Anchor", "MODES",
    "parse_cascade", "read_cascade", "binomial_ci", "odds_ratio", "OddsRatio",
]


def load_cascade() -> CascadeSpec:
    """The curated model's cascade (``models/metastasim/cascade.yaml``)."""
    from metastasim.models import CURATED, data_path

    return read_cascade(data_path(CURATED, "cascade.yaml"))
