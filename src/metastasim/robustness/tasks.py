"""The tasks of an ensemble: one validation per draw, one screen arm per (draw, arm); run here or on Dask.

Each task's outcome goes into the results store as soon as it exists: a screen arm under
its draw's own run (the run key holds the drawn model's hash, so every draw is a run of
its own, :func:`metastasim.screen.evaluate.run_key`), a draw's validation as the single
``validation`` row of a run keyed by the drawn model, the cascade and the filter's
settings.  An ensemble started again finds both and computes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from metastasim._version import __version__
from metastasim.errors import MetastasimError, SimulationError
from metastasim.screen.arms import Arm
from metastasim.screen.evaluate import evaluate_arm
from metastasim.validation import validate

__all__ = ["Draw", "validation_key", "run_validation", "execute"]

#: The pseudo-arm under which a draw's validation outcome is stored.
VALIDATION_ARM = Arm("validation", "validation", ())  # type: ignore[arg-type]


@dataclass
class Draw:
    """One parameter set of the ensemble (``index`` -1: the nominal model) with its model and cascade."""

    index: int
    model: object
    spec: object
    arms: list = field(default_factory=list)
    validation_run: int = 0
    screen_run: int = 0
    screen_key: str = ""


def validation_key(model, spec, facts, samples: int, seed: int) -> str:
    """What identifies a draw's validation: the drawn model and cascade, the facts, sample size and seed."""
    what = [
        [f.id, f.level, f.context, f.mode, f.cells, f.perturbation.describe(), f.baseline.describe(), f.readout]
        + [f.expected]
        for f in facts
    ]
    text = json.dumps(
        {
            "robustness": "validation",
            "model": model.hash(),
            "cascade": spec.hash(),
            "facts": what,
            "samples": samples,
            "seed": seed,
            "version": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_validation(model, spec, facts, drugs, samples: int, seed: int, threads: int | None) -> dict:
    """A draw's validation outcome as stored: score and the ids of the facts reproduced."""
    if not facts:
        return {"score": 0.0, "facts": 0, "reproduced": []}
    report = validate(model, facts, drugs, samples=samples, seed=seed, cascade=spec, threads=threads)
    return {
        "score": report.score,
        "facts": len(report.results),
        "reproduced": [r.fact.id for r in report.results if r.reproduced],
    }


def _task(kind, model, spec, what, context, threads):
    t = time.perf_counter()
    if kind == "validation":
        facts, drugs, samples, seed = context
        payload = run_validation(model, spec, facts, drugs, samples, seed, threads)
    else:
        payload = evaluate_arm(model, spec, what, context, threads=threads)
    return payload, time.perf_counter() - t


def execute(tasks, client=None, threads=None, on_done=None):
    """Run ``tasks`` and call ``on_done(task, payload, seconds)`` as each finishes; it may return new tasks.

    A task is ``(kind, draw, what, context)``: kind ``"validation"`` (``context``: facts,
    drugs, samples, seed) or ``"arm"`` (``what``: the :class:`Arm`, ``context``: the
    checked :class:`~metastasim.screen.ScreenParams`).  In this process tasks run one
    after the other, each on ``threads`` engine threads; with ``client`` (a
    ``dask.distributed.Client``) every task is a Dask task on one engine thread, and new
    tasks returned by ``on_done`` are submitted at once, so the cluster never waits for a
    whole stage of the ensemble.  Seeded numbers are the same either way.
    """
    queue = list(tasks)
    if client is None:
        while queue:
            task = queue.pop(0)
            kind, draw, what, context = task
            payload, elapsed = _task(kind, draw.model, draw.spec, what, context, threads)
            queue.extend(on_done(task, payload, elapsed) or ())
        return
    from dask.distributed import as_completed

    scattered: dict[int, tuple] = {}

    def submit(task):
        kind, draw, what, context = task
        if draw.index not in scattered:
            scattered[draw.index] = tuple(client.scatter([draw.model, draw.spec], broadcast=True, hash=False))
        model_f, spec_f = scattered[draw.index]
        return client.submit(_task, kind, model_f, spec_f, what, context, 1, pure=False)

    futures = {}
    for task in queue:
        futures[submit(task)] = task
    pending = as_completed(list(futures))
    try:
        for future in pending:
            task = futures.pop(future)
            try:
                payload, elapsed = future.result()
            except MetastasimError:
                raise
            except Exception as exc:  # a worker died, or the cluster went away
                what = task[2].key if task[0] == "arm" else "validation"
                raise SimulationError(
                    f"draw {task[1].index} {what} failed on the cluster: {type(exc).__name__}: {exc}"
                ) from None
            for new in on_done(task, payload, elapsed) or ():
                f = submit(new)
                futures[f] = new
                pending.add(f)
    finally:
        client.cancel(list(futures))
