"""Phenotype (or any node) probabilities of a model across its contexts: one simulation per context."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from metastasim.engine import compile_model, simulate
from metastasim.errors import ModelError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation

__all__ = ["by_context"]


def by_context(
    model: Model,
    perturbations: Iterable[Perturbation] = (),
    *,
    contexts: Sequence[str] | None = None,
    nodes: Sequence[str] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Final probability of each node (rows) in each context (columns), same seed in every context.

    ``contexts`` defaults to all of the model's contexts, ``nodes`` to every node; names
    may be ids or symbols.  The same ``perturbations`` apply in every context.
    """
    names = list(model.contexts) if contexts is None else [model.context(c).name for c in contexts]
    if not names:
        raise ModelError(f"model {model.name or ''} defines no contexts".replace("  ", " "))
    rows = list(model.nodes) if nodes is None else [model.resolve(n) for n in nodes]
    perturbations = tuple(perturbations)
    compiled = compile_model(model)
    columns = {}
    for i, name in enumerate(names):
        result = simulate(
            model,
            perturbations,
            context=name,
            sample_count=samples,
            seed=seed,
            threads=threads,
            compiled=compiled,
            record_states=False,
        )
        columns[name] = result.final_nodes()[rows]
        if progress is not None:
            progress(i + 1, len(names))
    return pd.DataFrame(columns)
