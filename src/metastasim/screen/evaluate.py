"""What a screen measures for one arm: its raw, per-cell outcomes (scored later, in :mod:`.scores`).

Every arm of a screen is simulated on the same cells with the same seed, so two
arms differ only by their perturbations (common random numbers): effects are read
cell by cell, which makes their confidence intervals far tighter than comparing two
independent samples.  For each arm :func:`evaluate_arm` returns

- per cascade mode estimated directly, the numbers of the cells that formed a
  metastasis (computed with ``viable_only``: exactly the cells of a full run);
- per cascade mode estimated by splitting (the spontaneous one by default: the whole
  cascade, where metastasis is too rare to count), each replicate's estimated
  fraction of cells through each stage; arm and control share seed and replicates,
  so their replicates pair up;
- per context, the final probability of each phenotype (``samples`` trajectories);
- in ``normoxia``, the untransformed-cell proxy, which of the ``samples`` cells end
  proliferating and alive (``Proliferation & !Apoptosis``), packed as bits.

The result is a plain JSON-ready dict: it is what the store keeps and what a Dask
worker sends back.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

from metastasim._version import __version__
from metastasim.cascade.run import run_cascade
from metastasim.cascade.spec import CascadeSpec
from metastasim.cascade.splitting import DEFAULT_REPLICATES
from metastasim.engine import compile_model, simulate
from metastasim.engine.result import unpack_states
from metastasim.errors import ModelError
from metastasim.network.model import Model
from metastasim.screen.arms import Arm

__all__ = ["ScreenParams", "evaluate_arm", "NORMAL_CONTEXT", "unpack_bits"]

#: The context that stands for untransformed cells in the selectivity readout.
NORMAL_CONTEXT = "normoxia"


@dataclass(frozen=True)
class ScreenParams:
    """Everything besides the arm that decides a screen's numbers (so: what identifies a run).

    The first of ``modes`` is the one the ranking reads.  ``cells`` is the population
    of the experimental cascade, ``spontaneous_cells`` that of the spontaneous one;
    the modes in ``splitting`` are estimated by splitting in ``replicates``
    replicates, and their cells are the working population of every stage (see
    :func:`~metastasim.cascade.run_cascade`); the others directly, cell by cell.
    ``samples`` trajectories per context for the phenotype and selectivity readouts,
    each ``duration`` model hours long.
    """

    modes: tuple[str, ...] = ("spontaneous", "experimental")
    cells: int = 1_000_000
    spontaneous_cells: int = 20_000
    seed: int = 1
    splitting: tuple[str, ...] = ("spontaneous",)
    replicates: int = DEFAULT_REPLICATES
    contexts: tuple[str, ...] | None = None  # None: all of the model's contexts
    samples: int = 2000
    duration: float = 48.0
    alterations: bool = True

    def __post_init__(self) -> None:
        for name in ("cells", "spontaneous_cells", "samples", "replicates"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ModelError(f"{name} must be a positive whole number, not {value!r}")
        if self.splitting:
            if self.replicates < 2:
                raise ModelError(f"splitting needs at least 2 replicates, not {self.replicates}")
            for mode in (m for m in self.modes if m in self.splitting):
                if self.cells_of(mode) < 2 * self.replicates:
                    raise ModelError(
                        f"splitting needs at least 2 cells per replicate: {self.cells_of(mode)} "
                        f"{mode} cells for {self.replicates} replicates"
                    )
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or self.seed < 0:
            raise ModelError(f"seed must be a whole number >= 0, not {self.seed!r}")
        if not self.modes:
            raise ModelError("a screen needs at least one cascade mode")
        d = self.duration
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not (d > 0 and np.isfinite(d)):
            raise ModelError(f"duration must be a positive number of hours, not {d!r}")

    def cells_of(self, mode: str) -> int:
        return self.spontaneous_cells if mode == "spontaneous" else self.cells

    def estimator_of(self, mode: str) -> str:
        return "splitting" if mode in self.splitting else "direct"

    def check(self, model: Model, spec: CascadeSpec) -> ScreenParams:
        """Check modes and contexts against the model; return the parameters with contexts filled in."""
        for mode in self.modes:
            spec.mode(mode)
        spec.check(model)
        if NORMAL_CONTEXT not in model.contexts:
            raise ModelError(
                f"the selectivity readout needs a {NORMAL_CONTEXT!r} context; the model has "
                f"{', '.join(model.contexts) or 'none'}"
            )
        for node in ("Proliferation", "Apoptosis"):
            model.resolve(node)  # the selectivity readout reads them (UnknownNameError otherwise)
        chosen = {model.context(c).name for c in (*(self.contexts or model.contexts), NORMAL_CONTEXT)}
        contexts = tuple(c for c in model.contexts if c in chosen)  # model order: the order given does not matter
        return ScreenParams(**{**asdict(self), "contexts": contexts})

    def to_dict(self) -> dict:
        d = asdict(self)
        d["modes"] = list(self.modes)
        d["splitting"] = list(self.splitting)
        d["contexts"] = list(self.contexts) if self.contexts is not None else None
        return d


def run_key(params: ScreenParams, model: Model, spec: CascadeSpec) -> str:
    """What identifies a run: parameters, model dynamics, cascade and package version."""
    text = json.dumps(
        {
            "params": params.to_dict(),
            "model": model.hash(),
            "cascade": spec.hash(),
            "contexts": {name: dict(c.inputs) for name, c in model.contexts.items()},
            "settings": asdict(model.settings),
            "version": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def evaluate_arm(
    model: Model, spec: CascadeSpec, arm: Arm, params: ScreenParams, *, threads: int | None = None
) -> dict:
    """Simulate one arm; the raw outcomes as a JSON-ready dict (see the module notes)."""
    compiled = compile_model(model)  # milliseconds; the cascade runs compile their own
    out: dict = {"key": arm.key, "modes": {}, "contexts": {}}
    for mode in params.modes:
        if params.estimator_of(mode) == "splitting":
            split = run_cascade(
                model,
                spec,
                mode=mode,
                cells=params.cells_of(mode),
                seed=params.seed,
                perturbations=arm.perturbations,
                alterations=params.alterations,
                threads=threads,
                estimator="splitting",
                replicates=params.replicates,
            )
            out["modes"][mode] = {
                "estimator": "splitting",
                "cells": split.cells,
                "replicates": split.replicates,
                "stages": [s.name for s in split.stages],
                "cumulative": [s.cumulative.tolist() for s in split.stages],
                "simulated": split.simulated,
            }
            continue
        last = spec.mode(mode).stages[-1]
        result = run_cascade(
            model,
            spec,
            mode=mode,
            cells=params.cells_of(mode),
            seed=params.seed,
            perturbations=arm.perturbations,
            alterations=params.alterations,
            keep_survivors=[last],
            threads=threads,
            viable_only=True,
            estimator="direct",
        )
        ids = np.sort(result.survivors[last]).astype(np.int64)
        out["modes"][mode] = {"cells": result.cells, "metastatic": ids.tolist(), "simulated": result.simulated}
    phenotypes = list(spec.phenotypes)
    for context in params.contexts or ():
        r = simulate(
            model,
            arm.perturbations,
            context=context,
            sample_count=params.samples,
            max_time=params.duration,
            seed=params.seed,
            threads=threads,
            compiled=compiled,
            record_states=False,
            keep_final_states=True,
        )
        bits = unpack_states(r.final_states, compiled.n_nodes)
        pos = compiled.position
        out["contexts"][context] = {p: float(bits[:, pos[model.resolve(p)]].mean()) for p in phenotypes}
        if context == NORMAL_CONTEXT:
            fit = bits[:, pos[model.resolve("Proliferation")]] & ~bits[:, pos[model.resolve("Apoptosis")]]
            out["normal_fit"] = base64.b64encode(np.packbits(fit).tobytes()).decode()
    return out


def unpack_bits(text: str, n: int) -> np.ndarray:
    """The ``n`` booleans packed by :func:`evaluate_arm` (``normal_fit``)."""
    return np.unpackbits(np.frombuffer(base64.b64decode(text), np.uint8))[:n].astype(bool)
