"""Speed of screens: all single targets, 500 pairs, and the parallel efficiency of a 2-worker LocalCluster.

Usage::

    .venv/bin/python benchmarks/bench_screen.py [--cells 100000] [--pairs 500] [--full] [--json FILE]

1. every single target of the curated model (a knock-out of each gene node and each
   drug of the library) on the experimental cascade with ``--cells`` cells each, with
   the normal-cell (normoxia) readout, in this process on all cores;
2. ``--pairs`` pairs of those targets, the same readouts;
3. the singles again on a ``LocalCluster`` with one, then two single-threaded worker
   processes: parallel efficiency = t(1 worker) / (2 x t(2 workers));
4. with ``--full``, the singles with the CLI's default readouts (both modes,
   10^6 / 10^7 cells, all nine contexts).

Compilation is done before timing; each part uses a fresh in-memory store, so
nothing is read back instead of computed.  Prints arms per minute and seconds per
arm, and from the latter the time the full pair screen would take on N workers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _timed(model, spec, arms, params, **kw):
    from metastasim.screen import run_screen

    started = time.perf_counter()
    result = run_screen(model, spec, arms, params, **kw)
    wall = time.perf_counter() - started
    assert result.computed == len(arms) + 1
    return wall, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--full", action="store_true", help="also time the CLI's default readouts")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    from metastasim.cascade import load_cascade
    from metastasim.engine import warm_up
    from metastasim.engine.simulator import resolve_threads
    from metastasim.models import load_drugs, load_model
    from metastasim.screen import ScreenParams, pairs, singles

    warm_up()
    model, drugs, spec = load_model(), load_drugs(), load_cascade()
    params = ScreenParams(modes=("experimental",), cells=args.cells, contexts=("normoxia",), seed=1)
    single = singles(model, drugs, "all")
    everything = list(pairs(model, single))
    chosen = [everything[i] for i in range(0, len(everything), max(1, len(everything) // args.pairs))][: args.pairs]
    _timed(model, spec, single[:2], params)  # first-call costs

    out: dict = {"cells": args.cells, "threads": resolve_threads(0), "singles": len(single)}
    t_single, result = _timed(model, spec, single, params)
    out["singles_s"] = t_single
    # the pairs: their members are already known from the singles, but a fresh store recomputes them;
    # time the pairs alone
    t_pairs, _ = _timed(model, spec, chosen + [a for a in single if any(a.key in p.members for p in chosen)], params)
    members = len({m for p in chosen for m in p.members})
    out.update({"pairs": len(chosen), "pairs_s": t_pairs, "pair_members": members})

    cluster_s = {}
    for workers in (1, 2):
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as lc,
            Client(lc) as client,
        ):
            _timed(model, spec, single[: workers * 2], params, client=client)  # workers compile / load kernels
            cluster_s[workers], _ = _timed(model, spec, single, params, client=client)
    out["cluster_s"] = cluster_s
    out["parallel_efficiency"] = cluster_s[1] / (2 * cluster_s[2])

    if args.full:
        full_params = ScreenParams().check(model, spec)
        out["full_singles_s"], _ = _timed(model, spec, single, full_params)
        with (
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as lc,
            Client(lc) as client,
        ):
            _timed(model, spec, single[:1], full_params, client=client)
            some = single[1:11]
            wall, _ = _timed(model, spec, some, full_params, client=client)
            out["full_task_s"] = wall / (len(some) + 1)

    n1 = len(single) + 1
    per_pair = t_pairs / (len(chosen) + members + 1)
    all_pairs = len(everything)
    print(
        f"screen benchmark: curated model, experimental cascade, {args.cells:,} cells per arm, normoxia "
        f"readout ({params.samples} trajectories), {out['threads']} threads, python {sys.version.split()[0]}"
    )
    print(
        f"  all singles ({len(single)} targets + control)   {t_single:7.1f} s   "
        f"{60 * n1 / t_single:7.0f} arms/min   {t_single / n1:.3f} s/arm"
    )
    print(
        f"  {len(chosen)} pairs (+ {members} members + control)  {t_pairs:7.1f} s   "
        f"{60 * (len(chosen) + members + 1) / t_pairs:7.0f} arms/min   {per_pair:.3f} s/arm"
    )
    print(f"  LocalCluster, 1 worker process          {cluster_s[1]:7.1f} s")
    print(
        f"  LocalCluster, 2 worker processes        {cluster_s[2]:7.1f} s   parallel efficiency "
        f"{out['parallel_efficiency']:.0%}"
    )
    if args.full:
        print(
            f"  all singles, CLI default readouts       {out['full_singles_s']:7.1f} s   "
            f"{out['full_singles_s'] / n1:.2f} s/arm (both modes at 10^6/10^7 cells, 9 contexts x 2000)"
        )

    def projection(label: str, task_s: float) -> None:
        minutes = {n: all_pairs * task_s / n / 60 for n in (1, 8, 32, 128)}
        out[f"all_pairs_min_{label}"] = minutes
        print(
            f"  all {all_pairs:,} pairs of the {len(single)} targets, {label}: "
            + ", ".join(f"{m:.1f} min on {n} worker{'s' if n > 1 else ''}" for n, m in minutes.items())
            + f" ({task_s:.3f} s per arm on one single-threaded worker)"
        )

    projection(f"{args.cells:,} cells + normoxia", cluster_s[1] / n1)
    if args.full:
        projection("CLI default readouts", out["full_task_s"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
