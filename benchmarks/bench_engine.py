"""Simulator speed against MaBoSS, with the settings of the reference measurements.

Usage::

    .venv/bin/python benchmarks/bench_engine.py [--repeat 5] [--no-maboss] [--json FILE] [--functions]

For the Cohen 2015 model (32 nodes, 100,000 trajectories) and the Montagud 2022 model
(133 nodes, 10,000 trajectories), both from ``../shared/reference/maboss`` with their
own ``.cfg`` (random inputs as there), ``max_time = 50``, ``time_tick = 0.5``,
continuous time, the same outputs as MaBoSS records: it prints trajectories/s and
transitions/s on one and on two threads (best of ``--repeat`` runs, compile time
excluded), the speed-up per core over MaBoSS, the parallel efficiency, the compile
times (the model's arrays, and numba's JIT with an empty cache, in a subprocess) and
the peak memory of this process.

MaBoSS is run side by side through ``cmaboss`` (MaBoSS's engine as a Python
extension, 64-node build: Cohen only) when it is installed, so that the Cohen ratio
is measured in one run on one machine.  MaBoSS's figures measured on the reference
machine (``../shared/reference/maboss/README.md``) are printed beside them.

``--functions`` times instead the Cohen model with its rates written with MaBoSS's
built-in functions (``@logic ? $u_X * exp(log(1, 2)) : 0``…, the same values) against
the same rates written plainly, in one session: rates are evaluated when the model is
compiled, so the two must run alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent.parent / "shared" / "reference" / "maboss"

MODELS = {
    "cohen2015": dict(
        bnd="cohen2015/metastasis.bnd",
        cfg=["cohen2015/cohen2015_model.cfg"],
        samples=100_000,
        maboss_seconds=3.63,
        maboss_samples=100_000,
    ),
    "montagud2022": dict(
        bnd="montagud2022/Montagud2022_Prostate_Cancer.bnd",
        cfg=["montagud2022/montagud2022_model.cfg"],
        samples=10_000,
        maboss_seconds=6.6,
        maboss_samples=10_000,
    ),
}
SETTINGS = dict(max_time=50.0, time_tick=0.5, discrete_time=False)


def load(name: str):
    from metastasim.io import read_maboss

    spec = MODELS[name]
    return read_maboss(REFERENCE / spec["bnd"], [REFERENCE / c for c in spec["cfg"]])


def jit_compile_seconds() -> float:
    """Seconds numba needs to compile the kernels from nothing (fresh cache, fresh process)."""
    code = (
        "import time; t = time.perf_counter();"
        "from metastasim.io import parse_bnet; from metastasim.engine import simulate;"
        "m = parse_bnet('A, A\\nB, A & !C\\nC, B'); t1 = time.perf_counter();"
        "simulate(m, sample_count=10, max_time=1); print(time.perf_counter() - t1)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def time_ours(model, compiled, samples: int, threads: int, repeat: int) -> tuple[float, int]:
    from metastasim.engine import simulate

    simulate(model, sample_count=min(samples, 2000), compiled=compiled, threads=threads, **SETTINGS)  # warm
    best, transitions = float("inf"), 0
    for _ in range(repeat):
        t = time.perf_counter()
        result = simulate(model, sample_count=samples, compiled=compiled, threads=threads, seed=1, **SETTINGS)
        best = min(best, time.perf_counter() - t)
        transitions = result.n_transitions
    return best, transitions


def time_maboss(name: str, samples: int, repeat: int) -> float | None:
    try:
        import cmaboss
    except ImportError:
        return None
    spec = MODELS[name]
    best = float("inf")
    for _ in range(repeat):
        try:
            sim = cmaboss.MaBoSSSim(
                network=str(REFERENCE / spec["bnd"]), configs=[str(REFERENCE / c) for c in spec["cfg"]]
            )
        except cmaboss.BNException:  # the 64-node build cannot load larger models
            return None
        sim.update_parameters(sample_count=samples, thread_count=1, statdist_traj_count=0, **SETTINGS)
        t = time.perf_counter()
        sim.run()
        best = min(best, time.perf_counter() - t)
    return best


def with_functions(bnd_text: str) -> str:
    """The Cohen rates rewritten with built-in functions that leave their values exactly as they were."""
    import re

    text = re.sub(r"@logic \? (\$u_\w+) : 0", r"@logic ? \1 * exp(log(1, 2)) : exp(-1) * A_off", bnd_text)
    text = re.sub(r"@logic \? 0 : (\$d_\w+)", r"@logic ? log(1) * $d_pad : exp(0, 2) * \1", text)
    return text.replace("A_off", "log(1, 10)")


def bench_functions(repeat: int) -> None:
    from metastasim.engine import compile_model
    from metastasim.io import parse_maboss
    from metastasim.io.files import read_text

    spec = MODELS["cohen2015"]
    bnd = read_text(REFERENCE / spec["bnd"])
    cfgs = [read_text(REFERENCE / c) for c in spec["cfg"]] + ["$d_pad = 1;"]
    n = spec["samples"]
    plain = parse_maboss(bnd, cfgs)
    funcs = parse_maboss(with_functions(bnd), cfgs)
    changed = sum(
        node.rate_up.to_string() != plain.nodes[k].rate_up.to_string()
        or node.rate_down.to_string() != plain.nodes[k].rate_down.to_string()
        for k, node in funcs.nodes.items()
    )
    print(f"cohen2015, {n:,} trajectories, 1 thread: rates of {changed} of {len(plain)} nodes use log/exp")
    compiled = {"plain": compile_model(plain), "functions": compile_model(funcs)}
    same = all(
        (getattr(compiled["plain"], k) == getattr(compiled["functions"], k)).all()
        for k in ("up_t", "up_f", "dn_t", "dn_f")
    )
    print(f"  compiled rate arrays identical: {same}")
    times = {"plain": float("inf"), "functions": float("inf")}
    for _ in range(3):  # interleaved, so that drifts of a noisy machine hit both alike
        for label, model in (("plain", plain), ("functions", funcs)):
            seconds, transitions = time_ours(model, compiled[label], n, 1, repeat)
            times[label] = min(times[label], seconds)
    for label, seconds in times.items():
        print(f"  {label:9s}: {seconds:6.3f} s per run ({transitions:,} transitions)")
    print(f"  functions / plain: {times['functions'] / times['plain']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-maboss", action="store_true", help="do not run cmaboss side by side")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--functions", action="store_true", help="time rates written with log/exp against plain rates")
    args = parser.parse_args()
    if args.functions:
        bench_functions(args.repeat)
        return

    from metastasim import __version__
    from metastasim.engine import compile_model

    print(
        f"metastasim {__version__}, {os.cpu_count()} cores, best of {args.repeat} runs; "
        f"max_time {SETTINGS['max_time']:g}, time_tick {SETTINGS['time_tick']:g}, continuous time\n"
    )
    jit = jit_compile_seconds()
    print(f"numba JIT compile of the kernels (empty cache): {jit:.1f} s (once per machine; cached afterwards)\n")
    figures = {"jit_compile_seconds": jit, "models": {}}
    for name, spec in MODELS.items():
        model = load(name)
        t = time.perf_counter()
        compiled = compile_model(model)
        compile_s = time.perf_counter() - t
        n = spec["samples"]
        one, transitions = time_ours(model, compiled, n, 1, args.repeat)
        two, _ = time_ours(model, compiled, n, 2, args.repeat)
        ref_rate = spec["maboss_samples"] / spec["maboss_seconds"]
        live = None if args.no_maboss else time_maboss(name, n, max(1, args.repeat // 2))
        row = {
            "nodes": len(model),
            "trajectories": n,
            "transitions_per_trajectory": transitions / n,
            "model_compile_seconds": compile_s,
            "seconds_1_thread": one,
            "seconds_2_threads": two,
            "trajectories_per_second_1_thread": n / one,
            "trajectories_per_second_2_threads": n / two,
            "transitions_per_second_1_thread": transitions / one,
            "speedup_per_core_vs_maboss_reference": (n / one) / ref_rate,
            "parallel_efficiency_2_threads": one / (2 * two),
            "maboss_live_seconds": live,
            "speedup_per_core_vs_maboss_live": (live / one) if live else None,
        }
        figures["models"][name] = row
        print(
            f"{name}: {len(model)} nodes, {n:,} trajectories, {transitions / n:.1f} transitions each; "
            f"model compiled to arrays in {compile_s * 1000:.0f} ms"
        )
        print(
            f"  1 thread : {one:6.3f} s  {n / one:>10,.0f} trajectories/s  "
            f"{transitions / one / 1e6:6.2f} M transitions/s"
        )
        print(f"  2 threads: {two:6.3f} s  {n / two:>10,.0f} trajectories/s  parallel efficiency {one / (2 * two):.0%}")
        print(
            f"  MaBoSS 2.6.6 on the reference machine: {spec['maboss_seconds']:.2f} s ({ref_rate:,.0f}/s) "
            f"-> {row['speedup_per_core_vs_maboss_reference']:.1f}x per core"
        )
        if live:
            print(
                f"  MaBoSS (cmaboss) here, same run, 1 thread: {live:.2f} s ({n / live:,.0f}/s) "
                f"-> {live / one:.1f}x per core"
            )
        elif not args.no_maboss:
            print("  MaBoSS (cmaboss) here: not available for this model (64-node build) or not installed")
        print()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["peak_memory_mb"] = peak
    print(f"peak memory of this process (Python, numba, both models): {peak:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
