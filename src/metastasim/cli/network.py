"""Commands on one network: simulate, contexts, attractors, convert."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import click

from metastasim.cli._common import (
    MODEL_HELP,
    load,
    model_options,
    node_options,
    perturbation_options,
    perturbations,
    progress_bar,
    warmed_up,
)
from metastasim.cli._ensemble import ensemble_options, simulate_ensemble

__all__ = ["simulate", "contexts", "attractors", "convert"]


@click.command(
    help="Simulate MODEL and print final node and state probabilities.\n\nMODEL: "
    + MODEL_HELP
    + "\n\nWith --ensemble, MODEL... are several models over the same nodes, simulated as one ensemble."
)
@perturbation_options
@click.option("--samples", type=click.IntRange(min=1), help="Number of trajectories [model's sample_count].")
@click.option("--max-time", type=float, help="Model time at which trajectories stop [model's max_time].")
@click.option("--time-tick", type=float, help="Width of the averaging windows [model's time_tick].")
@click.option(
    "--discrete-time", is_flag=True, default=None, help="Discrete time: every transition takes one time tick."
)
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), help="Random seed [model's seed].")
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--out", type=click.Path(file_okay=False), help="Write time courses and final states as CSV/JSON here.")
@click.option(
    "--states",
    is_flag=True,
    help="Count the joint states of the output nodes whatever their number (by default only up to 16 outputs; "
    "--format maboss always counts them), for --out's state_probabilities.csv and final_states.csv.",
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(["metastasim", "maboss"]),
    default="metastasim",
    show_default=True,
    help="Files --out writes: metastasim's CSV/JSON, or MaBoSS's PREFIX_probtraj.csv, _fp.csv, _statdist.csv, "
    "_observed_graph.csv and _observed_durations.csv, PREFIX being the model file's stem (the model's name for a "
    "bundled model).",
)
@ensemble_options
def simulate(
    model,
    more_models,
    model_option,
    cfg,
    context,
    drug,
    ko,
    oe,
    inhibit,
    set_,
    samples,
    max_time,
    time_tick,
    discrete_time,
    seed,
    threads,
    as_json,
    out,
    states,
    out_format,
    ensemble,
    individual,
    random_sampling,
) -> None:
    from metastasim.engine import compile_model
    from metastasim.engine import simulate as run

    if ensemble or more_models or individual or random_sampling:
        return simulate_ensemble(click.get_current_context().params)
    m = load(model, model_option, cfg)
    if context is not None:
        m.context(context)  # an unknown context fails before any work
    perts = perturbations(m, ko, oe, inhibit, set_, drug)
    maboss = bool(out) and out_format == "maboss"
    settings = m.settings.with_(
        sample_count=samples, max_time=max_time, time_tick=time_tick, discrete_time=discrete_time, seed=seed
    )
    compiled = compile_model(m)
    seconds = warmed_up()
    if seconds > 3 and sys.stderr.isatty():
        click.echo(f"metastasim: compiled the simulator in {seconds:.0f} s; later runs reuse it", err=True)
    long_run = settings.sample_count * len(m) * settings.max_time > 2e7
    with progress_bar(settings.sample_count, "simulating", long_run) as progress:
        result = run(
            m,
            perts,
            context=context,
            sample_count=samples,
            max_time=max_time,
            time_tick=time_tick,
            discrete_time=discrete_time,
            seed=seed,
            threads=threads,
            compiled=compiled,
            progress=progress,
            record_states=True if states or maboss else None,
            **({"keep_final_states": True, "entropy": True} if maboss else {}),
        )
    if maboss:
        files = _maboss_files(m, model or model_option, result, perts, context, compiled)
    else:
        files = _result_files(m, result) if out else {}
    if out:
        from metastasim.io.files import write_folder

        write_folder(out, files, stale=_RESULT_FILES)
    if as_json:
        payload = _json_result(m, result)
        if out:
            payload["files"] = sorted(str(Path(out) / name) for name in files)
        click.echo(json.dumps(payload, indent=1))
    else:
        _print_result(m, result, out and sorted(files))


def _json_result(model, result) -> dict:
    """The JSON other tools rely on: nodes, symbols, phenotypes, context, perturbations, samples, seed…"""
    from metastasim.models import PHENOTYPES

    payload = {"model": model.name, **result.to_dict()}
    final = payload["nodes"]
    payload["symbols"] = {n.symbol: final[n.id] for n in model.nodes.values() if n.symbol}
    payload["phenotypes"] = {name: final[name] for name in PHENOTYPES if name in final}
    return payload


_RESULT_FILES = (
    "node_probabilities.csv",
    "final_nodes.csv",
    "result.json",
    "state_probabilities.csv",
    "final_states.csv",
)


def _result_files(model, result) -> dict[str, str]:
    files = {
        "node_probabilities.csv": result.node_probabilities().to_csv(float_format="%.6g"),
        "final_nodes.csv": result.final_nodes()
        .to_frame()
        .assign(se=result.final_node_se())
        .to_csv(index_label="node", float_format="%.6g"),
        "result.json": json.dumps(_json_result(model, result), indent=1) + "\n",
    }
    if result.state_probs is not None:
        files["state_probabilities.csv"] = result.state_probabilities().to_csv(float_format="%.6g")
    if result.final_state_codes is not None:
        files["final_states.csv"] = result.final_state_distribution().to_csv(index_label="state", float_format="%.6g")
    return files


def _maboss_files(model, spec: str, result, perts, context, compiled) -> dict[str, str]:
    """MaBoSS's result files, named after the model file's stem."""
    from metastasim.engine.fixed_points import reached_fixed_points
    from metastasim.io.maboss_results import maboss_result_texts

    prefix = Path(spec).stem if Path(spec).suffix else (model.name or spec)
    fixed = reached_fixed_points(model, result, perts, context=context, compiled=compiled)
    return maboss_result_texts(result, prefix, fixed)


def _print_result(model, result, written) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    perts = ", ".join(result.perturbations) or "none"
    console.print(
        f"[bold]{model.name or 'model'}[/bold]: {len(model)} nodes, hash {result.model_hash}, perturbations: {perts}"
    )
    console.print(
        f"{result.sample_count:,} trajectories to t = {result.max_time:g}, seed {result.seed}: "
        f"{result.elapsed:.2f} s ({result.trajectories_per_second:,.0f}/s on {result.threads} "
        f"thread{'s' if result.threads != 1 else ''})"
    )
    table = Table(title=f"Probability at t = {result.max_time:g}", title_justify="left")
    table.add_column("node")
    table.add_column("P(on)", justify="right")
    table.add_column("± s.e.", justify="right")
    final, se = result.final_nodes(), result.final_node_se()
    for node in result.outputs or result.node_ids:
        table.add_row(node, f"{final[node]:.4f}", f"{se[node]:.4f}")
    console.print(table)
    if result.final_state_codes is not None and len(result.outputs) <= 16:
        dist = result.final_state_distribution()
        states = Table(title="Most likely final states (output nodes on)", title_justify="left")
        states.add_column("state")
        states.add_column("probability", justify="right")
        for label, p in dist.head(8).items():
            states.add_row(label, f"{p:.4f}")
        if len(dist) > 8:
            states.add_row(f"… {len(dist) - 8} more", f"{dist.iloc[8:].sum():.4f}")
        console.print(states)
    if written:
        console.print("wrote " + ", ".join(written))


@click.command()
@click.argument("source")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option(
    "--cfg", multiple=True, metavar="CFG", help="MaBoSS .cfg file (any format); repeat to apply several in order."
)
def convert(source, target, cfg) -> None:
    """Convert SOURCE to TARGET; formats follow the suffixes (.bnet .bnd .sbml .xml .yaml).

    Rates and initial probabilities that TARGET's format cannot hold are dropped
    with a warning.
    """
    from metastasim.io.formats import format_of, write_model

    m = load(source, None, cfg)
    format_of(target)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = write_model(m, target, drop_rates=True, drop_initial_states=True)
    for w in caught:
        click.echo(f"metastasim: warning: {w.message}", err=True)
    click.echo("wrote " + ", ".join(written))


@click.command()
@perturbation_options
@click.option("--trap-spaces", is_flag=True, help="List minimal trap spaces instead of fixed points.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="List at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def attractors(model, model_option, cfg, context, drug, ko, oe, inhibit, set_, trap_spaces, limit, as_json) -> None:
    """Fixed points (or minimal trap spaces) of MODEL's Boolean rules, inputs free unless --set."""
    from metastasim.analysis import count_fixed_points, count_trap_spaces, fixed_points
    from metastasim.analysis import trap_spaces as minimal_trap_spaces

    m = load(model, model_option, cfg)
    perts = perturbations(m, ko, oe, inhibit, set_, drug)
    lister, counter = (minimal_trap_spaces, count_trap_spaces) if trap_spaces else (fixed_points, count_fixed_points)
    found = lister(m, perts, context=context, limit=limit)
    total = (
        counter(m, perts, context=context) if len(found) == limit else len(found)
    )  # count separately only past the limit
    kind = "minimal trap spaces" if trap_spaces else "fixed points"
    if as_json:
        click.echo(json.dumps({"model": m.name, "kind": kind, "count": total, "listed": found}, indent=1))
        return
    click.echo(f"{m.name or 'model'}: {total} {kind}" + (f" (first {len(found)} listed)" if len(found) < total else ""))
    order = list(m.nodes)
    for i, att in enumerate(found, 1):
        on = [k for k in order if att.get(k) == 1]
        free = [k for k in order if att.get(k) == "*"]
        line = f"{i:>4}. on: {', '.join(on) or '(none)'}"
        if free:
            line += f"   free: {', '.join(free)}"
        click.echo(line)


@click.command()
@model_options
@node_options
@click.option("--nodes", metavar="A,B,...", help="Nodes to show (ids or symbols) [the phenotypes, or every node].")
@click.option("--samples", type=click.IntRange(min=1), help="Trajectories per context [model's sample_count].")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), help="Random seed [model's seed].")
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the table as CSV to this file.")
def contexts(model, model_option, cfg, drug, ko, oe, inhibit, nodes, samples, seed, threads, as_json, out) -> None:
    """Phenotype probabilities of MODEL (default: the curated model) in each of its contexts.

    Perturbations apply in every context."""
    from metastasim.analysis import by_context
    from metastasim.models import CURATED, PHENOTYPES
    from metastasim.network import describe

    m = load(model if model or model_option else CURATED, model_option, cfg)
    perts = perturbations(m, ko, oe, inhibit, (), drug)
    shown = [x for x in nodes.split(",") if x] if nodes else [p for p in PHENOTYPES if p in m.nodes] or None
    warmed_up()
    with progress_bar(len(m.contexts), "simulating each context", True) as progress:
        table = by_context(m, perts, nodes=shown, samples=samples, seed=seed, threads=threads, progress=progress)
    settings = m.settings.with_(sample_count=samples, seed=seed)
    if out:
        from metastasim.io.files import atomic_write_text

        atomic_write_text(out, table.to_csv(float_format="%.4f"))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "model": m.name,
                    "samples": settings.sample_count,
                    "seed": settings.seed,
                    "max_time": settings.max_time,
                    "perturbations": [describe(p) for p in perts],
                    "contexts": {c: table[c].to_dict() for c in table.columns},
                },
                indent=1,
            )
        )
        return
    click.echo(
        f"{m.name}: probability of each node at t = {settings.max_time:g} in each context "
        f"({settings.sample_count:,} trajectories per context, seed {settings.seed})"
    )
    click.echo(table.rename(columns=lambda c: c.replace("_", " ")).to_string(float_format="{:.2f}".format))
    if perts:
        click.echo("perturbations: " + ", ".join(describe(p) for p in perts))
