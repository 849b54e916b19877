"""Run a robustness ensemble: draw parameter sets, keep the behavioural ones, screen each on the same cells.

Examples
--------
A small ensemble of a two-target screen of the curated model, without the behavioural
filter (no facts):

>>> from metastasim.models import load_model, load_drugs
>>> from metastasim.cascade import load_cascade
>>> from metastasim.screen import ScreenParams
>>> params = ScreenParams(modes=("experimental",), splitting=(), cells=20_000, contexts=("normoxia",), samples=100)
>>> r = run_robustness(load_model(), load_cascade(), [], load_drugs(), draws=2, targets=["ITGB1", "ATF4"],
...                    top=1, params=params)
>>> r.summary()["kept"], sorted(r.targets().index)
(2, ['KO(ATF4)', 'KO(ITGB1)'])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from metastasim.errors import ModelError, StoreError
from metastasim.network.perturbations import describe
from metastasim.robustness.draws import apply_draw, draw_parameters
from metastasim.robustness.result import RobustnessResult
from metastasim.robustness.tasks import VALIDATION_ARM, Draw, execute, validation_key
from metastasim.screen.arms import CONTROL, singles
from metastasim.screen.evaluate import ScreenParams, run_key
from metastasim.screen.result import ScreenResult
from metastasim.screen.store import ResultStore

__all__ = ["run_robustness", "DEFAULT_TOLERANCE", "VALIDATION_SAMPLES", "FILTER_LEVELS"]

#: A draw is kept when its validation score is at least the nominal score minus this.
DEFAULT_TOLERANCE = 0.05
#: Trajectories per arm of the behavioural filter's cell facts.
VALIDATION_SAMPLES = 2000
#: The fact levels the behavioural filter checks by default.
FILTER_LEVELS = ("cell",)


def run_robustness(
    model,
    spec,
    facts,
    drugs,
    *,
    draws: int = 32,
    targets: str | Sequence[str] | None = None,
    top: int = 10,
    params: ScreenParams | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    validation_samples: int = VALIDATION_SAMPLES,
    levels: Sequence[str] | None = FILTER_LEVELS,
    seed: int = 1,
    method: str = "lhs",
    store: ResultStore | str | None = None,
    client=None,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    command: str = "",
) -> RobustnessResult:
    """Screen ``targets`` on ``draws`` parameter sets that still reproduce the validation facts.

    Parameters
    ----------
    model, spec
        The model and its cascade; their uncertain numbers are drawn from their ranges
        (:func:`~metastasim.robustness.draw_parameters`).
    facts, drugs
        Validation facts for the behavioural filter (an empty list: keep every draw) and
        the drug library.
    draws
        Parameter sets drawn (the nominal set is screened besides them).
    targets
        What :func:`~metastasim.screen.singles` takes (``None``: ``"all"``, genes and drugs).
    top
        ``K`` of the top-K fraction and overlap.
    params
        Cells, seed, modes, contexts of every screen (``None``: :class:`ScreenParams` defaults);
        the same for every draw, so every draw is screened on the same cells.
    tolerance
        A draw is kept when its validation score (fraction of facts reproduced) is at least
        the nominal score minus ``tolerance``.
    validation_samples, levels
        Trajectories per arm of the filter's facts, and the fact levels it checks
        (``None``: all of ``facts``).
    seed, method
        Seed of the design (and of the validation runs), ``"lhs"`` or ``"sobol"``.
    store, client, threads, progress
        As for :func:`~metastasim.screen.run_screen`: the SQLite results store (each task
        stored as it finishes; a rerun computes only what is missing), a Dask client, engine
        threads here, ``progress(done, total)``.
    """
    started = time.perf_counter()
    _check(draws, top, tolerance, validation_samples)
    params = (params if params is not None else ScreenParams()).check(model, spec)
    wanted = "all" if targets is None else targets
    singles(model, drugs, wanted)  # unknown targets fail here, before anything runs
    if levels is not None:
        facts = [f for f in facts if f.level in tuple(levels)]
    table = draw_parameters(model, spec, draws, seed=seed, method=method)
    own = not isinstance(store, ResultStore)
    db = ResultStore(":memory:" if store is None else store) if own else store
    try:
        ens = [Draw(-1, model, spec)] + [Draw(i, *apply_draw(model, spec, row)) for i, row in table.iterrows()]
        todo_validation = []
        outcome: dict[int, dict] = {}
        for d in ens:
            d.arms = [CONTROL, *singles(d.model, drugs, wanted)]
            vkey = validation_key(d.model, d.spec, facts, validation_samples, seed)
            d.validation_run = db.run(
                vkey,
                {"robustness": "validation", "samples": validation_samples, "seed": seed, "draw": d.index},
                model=d.model.name or "",
                model_hash=d.model.hash(),
                cascade_hash=d.spec.hash(),
                command=command,
            )
            d.screen_key = run_key(params, d.model, d.spec)
            d.screen_run = db.run(
                d.screen_key,
                params.to_dict(),
                model=d.model.name or "",
                model_hash=d.model.hash(),
                cascade_hash=d.spec.hash(),
                command=command,
            )
            stored = db.arms(d.validation_run, ["validation"])
            if stored:
                outcome[d.index] = stored[0]["payload"]
            else:
                todo_validation.append(("validation", d, None, (facts, drugs, validation_samples, seed)))
        state = _State(ens, params, db, tolerance, progress)
        state.outcome.update(outcome)
        state.count = len(outcome)
        first = [*todo_validation, *state.decide()]
        state.report()
        execute(first, client=client, threads=threads, on_done=state.done)
        if len(state.outcome) != len(ens):
            raise StoreError("the ensemble ended with draws not validated")  # cannot happen: every task ran
        screens = {
            d.index: ScreenResult(
                params,
                db.arms(d.screen_run, [a.key for a in d.arms]),
                run_id=d.screen_run,
                run_key=d.screen_key,
                model_hash=d.model.hash(),
                store=db.path,
            )
            for d in ens
            if d.index in state.kept
        }
        return RobustnessResult(
            table=table,
            validation=state.validation_table(),
            screens=screens,
            top=top,
            tolerance=tolerance,
            seed=seed,
            method=method,
            params=params,
            facts=len(facts),
            validation_samples=validation_samples,
            computed=state.computed,
            elapsed=time.perf_counter() - started,
            store=db.path,
        )
    finally:
        if own:
            db.close()


class _State:
    """Bookkeeping while tasks finish: store each, decide each draw once the nominal score is known."""

    def __init__(self, ens, params, db, tolerance, progress):
        self.ens = {d.index: d for d in ens}
        self.params, self.db, self.tolerance, self.progress = params, db, tolerance, progress
        self.outcome: dict[int, dict] = {}
        self.decided: set[int] = set()
        self.kept: set[int] = set()
        self.count = 0
        self.computed = 0
        self.total = sum(1 + len(d.arms) for d in ens)

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.count, self.total)

    def decide(self) -> list:
        """Screen tasks of every draw whose fate is now known (none before the nominal score)."""
        if -1 not in self.outcome:
            return []
        nominal = self.outcome[-1]["score"]
        tasks = []
        for index, d in self.ens.items():
            if index in self.decided or index not in self.outcome:
                continue
            self.decided.add(index)
            if index != -1 and self.outcome[index]["score"] < nominal - self.tolerance - 1e-12:
                self.total -= len(d.arms)
                continue
            self.kept.add(index)
            done = {a["key"]: a for a in self.db.arms(d.screen_run, [a.key for a in d.arms])}
            for arm in d.arms:
                if arm.key in done:
                    if tuple(done[arm.key]["perturbations"]) != tuple(map(describe, arm.perturbations)):
                        raise StoreError(
                            f"{self.db.path}: run {d.screen_run} holds an arm {arm.key} with other perturbations; "
                            "use another --store"
                        )
                    self.count += 1
                else:
                    tasks.append(("arm", d, arm, self.params))
        return tasks

    def done(self, task, payload, elapsed) -> list:
        kind, d, arm, _ = task
        if kind == "validation":
            self.db.add(d.validation_run, VALIDATION_ARM, payload, elapsed)
            self.outcome[d.index] = payload
        else:
            self.db.add(d.screen_run, arm, payload, elapsed)
        self.count += 1
        self.computed += 1
        new = self.decide() if kind == "validation" else []
        self.report()
        return new

    def validation_table(self):
        import pandas as pd

        nominal = self.outcome[-1]
        base = set(nominal["reproduced"])
        rows = []
        for index in sorted(i for i in self.ens if i >= 0):
            o = self.outcome[index]
            broken = sorted(base - set(o["reproduced"]))
            rows.append(
                {
                    "draw": index,
                    "score": o["score"],
                    "kept": index in self.kept,
                    "broken": ";".join(broken),
                    "gained": ";".join(sorted(set(o["reproduced"]) - base)),
                }
            )
        table = pd.DataFrame(rows, columns=["draw", "score", "kept", "broken", "gained"]).set_index("draw")
        table.attrs["nominal_score"] = nominal["score"]
        return table


def _check(draws, top, tolerance, samples) -> None:
    def whole(value) -> bool:
        return not isinstance(value, bool) and isinstance(value, int)

    if not whole(draws) or draws < 1:
        raise ModelError(f"the number of draws must be a whole number >= 1, not {draws!r}")
    if not whole(top) or top < 1:
        raise ModelError(f"top (K of the top-K fraction) must be a whole number >= 1, not {top!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance <= 1:
        raise ModelError(f"the tolerance is a fraction of the facts, in [0, 1], not {tolerance!r}")
    if not whole(samples) or samples < 1:
        raise ModelError(f"validation samples must be a whole number >= 1, not {samples!r}")
