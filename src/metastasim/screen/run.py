"""Run a screen: every arm not yet in the store, in this process or as Dask tasks, each stored as it finishes.

Examples
--------
>>> from metastasim.models import load_model, load_drugs
>>> from metastasim.cascade import load_cascade
>>> from metastasim.screen import singles, run_screen, ScreenParams
>>> model, drugs = load_model(), load_drugs()
>>> params = ScreenParams(modes=("experimental",), cells=20_000, contexts=("normoxia",), samples=200)
>>> result = run_screen(model, load_cascade(), singles(model, drugs, ["ITGB1"]), params)
>>> list(result.ranking().index)
['KO(ITGB1)']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from metastasim.cascade.spec import CascadeSpec
from metastasim.errors import MetastasimError, ModelError, SimulationError, StoreError
from metastasim.network.model import Model
from metastasim.network.perturbations import describe
from metastasim.screen.arms import CONTROL, Arm
from metastasim.screen.evaluate import ScreenParams, evaluate_arm, run_key
from metastasim.screen.result import ScreenResult
from metastasim.screen.store import ResultStore

__all__ = ["run_screen", "load_result"]


def run_screen(
    model: Model,
    spec: CascadeSpec,
    arms: Sequence[Arm],
    params: ScreenParams | None = None,
    *,
    store: ResultStore | str | None = None,
    client=None,
    threads: int | None = None,
    command: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ScreenResult:
    """Simulate every arm of ``arms`` (and the control) that ``store`` does not hold yet; score them all.

    Parameters
    ----------
    model, spec
        The model and its cascade.
    arms
        From :func:`~metastasim.screen.singles`, :func:`~metastasim.screen.pairs`,
        :func:`~metastasim.screen.dose_series` (any mix; a pair's members are
        simulated too, for its synergy scores).
    params
        Cells, seed, modes, contexts: what, with the model, identifies the run
        (``None``: the defaults of :class:`ScreenParams`).
    store
        A :class:`ResultStore` or the path of one (``None``: kept in memory only).
        Arms already stored for the same run are not recomputed.
    client
        A ``dask.distributed.Client``: arms run as tasks on its cluster (each with
        one engine thread) and stream back into the store.  ``None``: in this
        process, on ``threads`` cores.  The numbers are the same either way.
    progress
        Called as ``progress(arms_done, arms_total)``.
    """
    started = time.perf_counter()
    params = (params if params is not None else ScreenParams()).check(model, spec)
    wanted = _with_members([CONTROL, *arms])
    own = not isinstance(store, ResultStore)
    db = ResultStore(":memory:" if store is None else store) if own else store
    try:
        key = run_key(params, model, spec)
        run_id = db.run(
            key,
            params.to_dict(),
            model=model.name or "",
            model_hash=model.hash(),
            cascade_hash=spec.hash(),
            command=command,
        )
        done = {a["key"]: a for a in db.arms(run_id, [a.key for a in wanted])}
        for arm in wanted:
            if arm.key in done and tuple(done[arm.key]["perturbations"]) != tuple(map(describe, arm.perturbations)):
                raise StoreError(
                    f"{db.path}: run {run_id} holds an arm {arm.key} with other perturbations "
                    f"({'; '.join(done[arm.key]['perturbations'])}); use another --store"
                )
        todo = [a for a in wanted if a.key not in done]
        count = len(wanted) - len(todo)
        if progress is not None:
            progress(count, len(wanted))
        for arm, payload, elapsed in _execute(model, spec, todo, params, client, threads):
            db.add(run_id, arm, payload, elapsed)
            count += 1
            if progress is not None:
                progress(count, len(wanted))
        stored = db.arms(run_id, [a.key for a in wanted])
        return ScreenResult(
            params,
            stored,
            run_id=run_id,
            run_key=key,
            model_hash=model.hash(),
            store=db.path,
            computed=len(todo),
            elapsed=time.perf_counter() - started,
        )
    finally:
        if own:
            db.close()


def load_result(store: ResultStore, run: str | int) -> ScreenResult:
    """A run of ``store`` (id or key prefix) as a :class:`ScreenResult`, from what is stored."""
    info = store.find_run(run)
    # runs stored before the splitting estimator have no "splitting": every mode was counted cell by cell
    params = ScreenParams(
        **{
            **info["params"],
            "modes": tuple(info["params"]["modes"]),
            "contexts": tuple(info["params"]["contexts"]),
            "splitting": tuple(info["params"].get("splitting", ())),
        }
    )
    arms = store.arms(info["id"])
    if not any(a["key"] == "control" for a in arms):
        raise ModelError(f"{store.path}: run {info['id']} has no finished control arm yet; run the screen again")
    return ScreenResult(
        params, arms, run_id=info["id"], run_key=info["key"], model_hash=info["model_hash"], store=store.path
    )


def _with_members(arms: Sequence[Arm]) -> list[Arm]:
    """The arms without duplicates (first wins), checking that each pair's members are among them."""
    out: dict[str, Arm] = {}
    for arm in arms:
        if arm.key in out and out[arm.key].perturbations != arm.perturbations:
            raise ModelError(f"two different arms named {arm.key}")
        out.setdefault(arm.key, arm)
    for arm in out.values():
        missing = [m for m in arm.members if m not in out]
        if missing:
            raise ModelError(f"pair {arm.key} needs its single arms in the screen too: {', '.join(missing)}")
    return list(out.values())


def _execute(model, spec, arms, params, client, threads):
    """Yield ``(arm, payload, seconds)`` as arms finish."""
    if client is None:
        for arm in arms:
            t = time.perf_counter()
            payload = evaluate_arm(model, spec, arm, params, threads=threads)
            yield arm, payload, time.perf_counter() - t
        return
    from dask.distributed import as_completed

    model_f, spec_f = client.scatter([model, spec], broadcast=True, hash=False)
    futures = {client.submit(_timed, model_f, spec_f, arm, params, pure=False): arm for arm in arms}
    try:
        for future in as_completed(futures):
            try:
                payload, elapsed = future.result()
            except MetastasimError:
                raise
            except Exception as exc:  # a worker died, or the cluster went away
                raise SimulationError(
                    f"arm {futures[future].key} failed on the cluster: {type(exc).__name__}: {exc}"
                ) from None
            yield futures[future], payload, elapsed
    finally:
        client.cancel(list(futures))


def _timed(model, spec, arm, params):
    t = time.perf_counter()
    payload = evaluate_arm(model, spec, arm, params, threads=1)
    return payload, time.perf_counter() - t
