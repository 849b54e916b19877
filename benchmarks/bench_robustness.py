"""Speed of robustness ensembles: seconds per (draw, arm) of the curated model at the default screen settings.

Usage::

    .venv/bin/python benchmarks/bench_robustness.py [--draws 2] [--targets ATF4,GLS] [--json FILE]

Draws ``--draws`` parameter sets (Latin hypercube, seed 1) and, for each, evaluates the
control and each of ``--targets`` at the default screen settings (both cascade modes,
10^6 experimental cells, 20,000 spontaneous cells by splitting, every context, 2,000
samples) in this process on all cores; then one (draw, arm) task on one engine thread,
as a Dask worker runs it; then the behavioural filter (cell facts, 2,000 samples) of one
draw, on all cores.  Compilation is done before timing.

Projections for the full ensemble (32 draws + the nominal set, 88 arms each: 87 targets
and the control; 33 validations):

- 2 cores: 33 x 88 x (seconds per task on all cores) + 33 x (seconds per validation);
- 32 single-threaded Dask workers: the same tasks at the one-thread time each, spread
  over 32 workers ((tasks x seconds) / 32: the tasks are many and of similar length, and
  the scheduler submits a draw's arms as soon as its validation returns, so workers
  do not wait for a stage to end); transfers and scheduling are not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--targets", default="ATF4,GLS")
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args(argv)

    from metastasim.cascade import load_cascade
    from metastasim.models import load_drugs, load_model
    from metastasim.robustness import apply_draw, draw_parameters
    from metastasim.robustness.tasks import run_validation
    from metastasim.screen import CONTROL, ScreenParams, evaluate_arm, singles
    from metastasim.validation import load_facts

    model, spec, drugs = load_model(), load_cascade(), load_drugs()
    params = ScreenParams().check(model, spec)
    table = draw_parameters(model, spec, max(args.draws, 1), seed=1)
    warm = ScreenParams(modes=("experimental",), splitting=(), cells=2000, contexts=("normoxia",), samples=50)
    evaluate_arm(model, spec, CONTROL, warm.check(model, spec))  # compile
    evaluate_arm(model, spec, CONTROL, ScreenParams(modes=("spontaneous",), spontaneous_cells=200).check(model, spec))

    times = []
    for i in range(args.draws):
        m, s = apply_draw(model, spec, table.iloc[i])
        for arm in [CONTROL, *singles(m, drugs, args.targets.split(","))]:
            t = time.perf_counter()
            evaluate_arm(m, s, arm, params)
            times.append(time.perf_counter() - t)
            print(f"draw {i} {arm.key}: {times[-1]:.1f} s", file=sys.stderr)
    per_task = sum(times) / len(times)
    m, s = apply_draw(model, spec, table.iloc[0])
    arm = singles(m, drugs, args.targets.split(",")[:1])[0]
    t = time.perf_counter()
    evaluate_arm(m, s, arm, params, threads=1)
    per_task_1 = time.perf_counter() - t
    facts = [f for f in load_facts() if f.level == "cell"]
    t = time.perf_counter()
    run_validation(m, s, facts, drugs, 2000, 1, None)
    per_validation = time.perf_counter() - t

    draws, arms = 33, 88
    tasks = draws * arms
    two_cores = tasks * per_task + draws * per_validation
    cluster = (tasks * per_task_1 + draws * per_validation * os.cpu_count()) / 32
    out = {
        "cores": os.cpu_count(),
        "tasks_timed": len(times),
        "seconds_per_task": per_task,
        "seconds_per_task_one_thread": per_task_1,
        "seconds_per_validation": per_validation,
        "projected_2_cores_hours": two_cores / 3600,
        "projected_32_workers_minutes": cluster / 60,
    }
    print(
        f"per (draw, arm) task, default screen settings: {per_task:.1f} s on {os.cpu_count()} cores "
        f"({len(times)} tasks), {per_task_1:.1f} s on one thread\n"
        f"behavioural filter (173 cell facts, 2,000 samples) per draw: {per_validation:.1f} s\n"
        f"32 draws x 87 targets (33 x 88 tasks with the nominal set and the controls): "
        f"{two_cores / 3600:.1f} h on this machine, about {cluster / 60:.0f} min on 32 single-threaded Dask workers"
    )
    if args.json_file:
        with open(args.json_file, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
