"""Time of the report (`metastasim report`), part by part.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--full] [--threads 0]

Builds the ``--quick`` report and, with ``--full``, the default one (what ``make run``
does) into temporary folders, each with a fresh results store (nothing read back), after
compiling the kernels (not timed), and prints the wall time of each part: phenotypes and
time courses, the cascade in both modes, the screen, the validation, and the rendering
(figures, network layout, HTML).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also the default (make run) report")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)

    from metastasim.engine import warm_up
    from metastasim.engine.simulator import resolve_threads
    from metastasim.report import build_report
    from metastasim.report.analysis import ReportSettings

    warm_up()
    print(f"report benchmark: {resolve_threads(args.threads)} threads, seed 1, kernels compiled beforehand")
    for quick in (True, False) if args.full else (True,):
        settings = ReportSettings.preset(quick=quick)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            data, path = build_report(Path(tmp) / "report", settings, threads=args.threads)
            total = time.perf_counter() - started
            size = path.stat().st_size
        parts = dict(data.timings)
        parts["rendering (figures, network, HTML)"] = total - data.provenance["elapsed"]
        name = "--quick" if quick else "default"
        print(
            f"\n{name}: {total:.1f} s in all, index.html {size / 1e6:.2f} MB, {len(data.screen.arms)} screen arms, "
            f"{settings.cells:,} cells per cascade mode"
        )
        for part, seconds in parts.items():
            print(f"  {part:<38} {seconds:7.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
