"""Speed and memory of the metastatic cascade on large populations.

Usage::

    .venv/bin/python benchmarks/bench_cascade.py [--cells 1000000] [--mode experimental] [--threads 0]
                                                 [--chunk-size 65536] [--json FILE]

Sends ``--cells`` cells of the curated model through the cascade (heritable
alterations on, seed 1), after compiling the kernels (not timed), and prints the
wall time, cells per second, the peak resident memory
of this process and the calibration fractions, so one run shows speed and result.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--mode", default="experimental", choices=["experimental", "spontaneous"])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--chunk-size", type=int, default=1 << 16)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)

    from metastasim.cascade import load_cascade, run_cascade
    from metastasim.engine import warm_up
    from metastasim.engine.simulator import resolve_threads
    from metastasim.models import load_model

    warm_up()
    model, spec = load_model(), load_cascade()
    run_cascade(model, spec, mode=args.mode, cells=1000, seed=0, threads=args.threads)  # first-call costs
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    result = run_cascade(
        model, spec, mode=args.mode, cells=args.cells, seed=1, threads=args.threads, chunk_size=args.chunk_size
    )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads = resolve_threads(args.threads)

    print(
        f"cascade benchmark: {args.mode}, {args.cells:,} cells, chunk {args.chunk_size:,}, {threads} thread(s), "
        f"python {sys.version.split()[0]}"
    )
    print(f"  wall time        {wall:8.1f} s")
    print(f"  cells/s          {args.cells / wall:10,.0f}")
    print(f"  peak memory      {peak:8.0f} MiB (process; {rss_before:.0f} MiB before the run)")
    print(
        f"  efficiency       {result.efficiency:.3g} ({result.metastatic:,} metastatic cells, "
        f"95% CI {result.efficiency_ci95[0]:.3g}-{result.efficiency_ci95[1]:.3g})"
    )
    for anchor in spec.anchors:
        if anchor.mode == args.mode:
            print(
                f"  {anchor.stage:<16} {result.cumulative(anchor.stage):.4g} of cells (Luzzi 1998: {anchor.fraction:g})"
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "cells": args.cells,
                    "mode": args.mode,
                    "threads": threads,
                    "chunk_size": args.chunk_size,
                    "wall_s": wall,
                    "cells_per_s": args.cells / wall,
                    "peak_mib": peak,
                    "result": result.to_dict(),
                },
                fh,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
