"""The metastatic cascade on heterogeneous cell populations (stages, modes, alterations as data)."""

from metastasim.cascade.run import (
    ESTIMATORS,
    AlterationResult,
    CascadeResult,
    StageResult,
    compare_anchors,
    default_estimator,
    run_cascade,
)
from metastasim.cascade.spec import (
    MODES,
    Alteration,
    Anchor,
    CascadeSpec,
    Case,
    Mode,
    Prepare,
    Stage,
    parse_cascade,
    read_cascade,
)
from metastasim.cascade.splitting import SplitAlteration, SplitStage, SplittingResult
from metastasim.cascade.stats import OddsRatio, binomial_ci, odds_ratio, replicate_ci

__all__ = [
    "run_cascade",
    "compare_anchors",
    "CascadeResult",
    "StageResult",
    "AlterationResult",
    "load_cascade",
    "ESTIMATORS",
    "default_estimator",
    "SplittingResult",
    "SplitStage",
    "SplitAlteration",
    "replicate_ci",
    "CascadeSpec",
    "Stage",
    "Mode",
    "Prepare",
    "Case",
    "Alteration",
    "Anchor",
    "MODES",
    "parse_cascade",
    "read_cascade",
    "binomial_ci",
    "odds_ratio",
    "OddsRatio",
]


def load_cascade() -> CascadeSpec:
    """The curated model's cascade (``models/metastasim/cascade.yaml``)."""
    from metastasim.models import CURATED, data_path

    return read_cascade(data_path(CURATED, "cascade.yaml"))
