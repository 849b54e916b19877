"""The ``metastasim`` command: a thin shell over the Python API.

Every error a user can cause ends in one line on standard error and exit status 2.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
import warnings
from pathlib import Path

import click

import metastasim
from metastasim.errors import MetastasimError
from metastasim.validation.invivo import INVIVO_CELLS

__all__ = ["main", "cli"]

_MODEL_HELP = "A model file (.bnet, .bnd, .sbml/.xml, .yaml) or a bundled model name (cohen2015)."


def _err(message: str) -> None:
    click.echo(f"metastasim: error: {message}", err=True)


@contextlib.contextmanager
def _progress(total: int, label: str, enabled: bool, *, unit: str = ""):
    """A progress bar on standard error (only on a terminal); yields a ``progress(done, total)`` callback.

    With ``unit``, the bar also shows the rate in ``unit`` per minute.
    """
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task):
            return Text(f"{task.speed * 60:.1f} {unit}/min" if task.speed else f"- {unit}/min")

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    columns += [Rate()] if unit else []
    with Progress(*columns, TimeRemainingColumn(), transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, total_now: bar.update(task, completed=done, total=total_now)


@contextlib.contextmanager
def _status(message: str):
    """A spinner on standard error while something slow happens (only on a terminal)."""
    if not sys.stderr.isatty():
        yield
        return
    with _stderr_console().status(message):
        yield


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _perturbations(model, ko, oe, inhibit, set_, drug=()):
    """Command-line perturbations, drugs first (resolved against the curated drug library)."""
    from metastasim.network.perturbations import parse_perturbation

    out = []
    if drug:
        from metastasim.models import load_drugs
        from metastasim.network.drugs import find_drug, parse_drug_dose

        library = load_drugs()
        for text in drug:
            name, dose = parse_drug_dose(text)
            out += find_drug(library, name).perturbations(dose, model=model)
    out += [parse_perturbation("ko", x) for x in ko]
    out += [parse_perturbation("oe", x) for x in oe]
    out += [parse_perturbation("inhibit", x) for x in inhibit]
    out += [parse_perturbation("set", x) for x in set_]
    return out


def _load(model: str | None, model_option: str | None, cfg: tuple[str, ...]):
    from metastasim.models import load_any

    if model is not None and model_option is not None:
        raise click.UsageError("give the model once: as MODEL or as --model")
    spec = model if model is not None else model_option
    if spec is None:
        raise click.UsageError("missing MODEL (a file, or --model metastasim)")
    return load_any(spec, cfg=list(cfg) or None)


def _model_options(f):
    """MODEL (argument or --model) and --cfg."""
    f = click.option("--cfg", multiple=True, metavar="CFG", help="MaBoSS .cfg file(s) for a .bnd model.")(f)
    f = click.option("--model", "model_option", metavar="MODEL", help="The model, instead of the MODEL argument.")(f)
    return click.argument("model", required=False)(f)


def _node_options(f):
    """Perturbations of nodes: --drug, --ko, --oe, --inhibit."""
    f = click.option("--inhibit", multiple=True, metavar="NODE=E",
                     help="Multiply NODE's rate_up by 1 - E (E in [0, 1]).")(f)
    f = click.option("--oe", multiple=True, metavar="NODE", help="Over-express NODE (fixed at 1).")(f)
    f = click.option("--ko", multiple=True, metavar="NODE", help="Knock out NODE (fixed at 0).")(f)
    return click.option("--drug", multiple=True, metavar="NAME[=DOSE]",
                        help="A drug of the library; DOSE is the fraction of its maximal effect (default 1).")(f)


def _perturbation_options(f):
    """Everything that sets up one run: the model, node perturbations, --set and --context."""
    f = click.option("--set", "set_", multiple=True, metavar="INPUT=0|1", help="Fix an input node.")(f)
    f = _node_options(f)
    f = click.option("--context", metavar="NAME", help="A context of the model (a setting of its inputs).")(f)
    return _model_options(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(metastasim.__version__, prog_name="metastasim")
def cli() -> None:
    """Simulate logical models of the metastatic cascade (MaBoSS semantics)."""


@cli.command(help="Simulate MODEL and print final node and state probabilities.\n\nMODEL: " + _MODEL_HELP)
@_perturbation_options
@click.option("--samples", type=click.IntRange(min=1), help="Number of trajectories [model's sample_count].")
@click.option("--max-time", type=float, help="Model time at which trajectories stop [model's max_time].")
@click.option("--time-tick", type=float, help="Width of the averaging windows [model's time_tick].")
@click.option("--discrete-time", is_flag=True, default=None, help="Discrete time: every transition takes one time tick.")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), help="Random seed [model's seed].")
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--out", type=click.Path(file_okay=False), help="Write time courses and final states as CSV/JSON here.")
def simulate(model, model_option, cfg, context, drug, ko, oe, inhibit, set_, samples, max_time, time_tick,
             discrete_time, seed, threads, as_json, out) -> None:
    from metastasim.engine import compile_model, simulate as run, warm_up

    m = _load(model, model_option, cfg)
    if context is not None:
        m.context(context)  # an unknown context fails before any work
    perts = _perturbations(m, ko, oe, inhibit, set_, drug)
    settings = m.settings.with_(sample_count=samples, max_time=max_time, time_tick=time_tick,
                                discrete_time=discrete_time, seed=seed)
    compiled = compile_model(m)
    with _status("preparing the simulator (compiled once per machine, then cached)"):
        seconds = warm_up()
    if seconds > 3 and sys.stderr.isatty():
        click.echo(f"metastasim: compiled the simulator in {seconds:.0f} s; later runs reuse it", err=True)
    long_run = settings.sample_count * len(m) * settings.max_time > 2e7
    with _progress(settings.sample_count, "simulating", long_run) as progress:
        result = run(m, perts, context=context, sample_count=samples, max_time=max_time, time_tick=time_tick,
                     discrete_time=discrete_time, seed=seed, threads=threads, compiled=compiled, progress=progress)
    files = _result_files(m, result) if out else {}
    if out:
        from metastasim.io._files import write_folder

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


_RESULT_FILES = ("node_probabilities.csv", "final_nodes.csv", "result.json", "state_probabilities.csv",
                 "final_states.csv")


def _result_files(model, result) -> dict[str, str]:
    files = {
        "node_probabilities.csv": result.node_probabilities().to_csv(float_format="%.6g"),
        "final_nodes.csv": result.final_nodes().to_frame().assign(se=result.final_node_se()).to_csv(
            index_label="node", float_format="%.6g"),
        "result.json": json.dumps(_json_result(model, result), indent=1) + "\n",
    }
    if result.state_probs is not None:
        files["state_probabilities.csv"] = result.state_probabilities().to_csv(float_format="%.6g")
    if result.final_state_codes is not None:
        files["final_states.csv"] = result.final_state_distribution().to_csv(index_label="state",
                                                                             float_format="%.6g")
    return files


def _print_result(model, result, written) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    perts = ", ".join(result.perturbations) or "none"
    console.print(f"[bold]{model.name or 'model'}[/bold]: {len(model)} nodes, hash {result.model_hash}, "
                  f"perturbations: {perts}")
    console.print(f"{result.sample_count:,} trajectories to t = {result.max_time:g}, seed {result.seed}: "
                  f"{result.elapsed:.2f} s ({result.trajectories_per_second:,.0f}/s on {result.threads} "
                  f"thread{'s' if result.threads != 1 else ''})")
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


@cli.command()
@click.argument("source")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--cfg", multiple=True, metavar="CFG", help="MaBoSS .cfg file(s) for a .bnd source.")
def convert(source, target, cfg) -> None:
    """Convert SOURCE to TARGET; formats follow the suffixes (.bnet .bnd .sbml .xml .yaml).

    Rates and initial probabilities that TARGET's format cannot hold are dropped
    with a warning.
    """
    from metastasim.io.formats import format_of, write_model

    m = _load(source, None, cfg)
    format_of(target)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = write_model(m, target, drop_rates=True, drop_initial_states=True)
    for w in caught:
        click.echo(f"metastasim: warning: {w.message}", err=True)
    click.echo("wrote " + ", ".join(written))


@cli.command()
@_perturbation_options
@click.option("--trap-spaces", is_flag=True, help="List minimal trap spaces instead of fixed points.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="List at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def attractors(model, model_option, cfg, context, drug, ko, oe, inhibit, set_, trap_spaces, limit, as_json) -> None:
    """Fixed points (or minimal trap spaces) of MODEL's Boolean rules, inputs free unless --set."""
    from metastasim.analysis import count_fixed_points, count_trap_spaces, fixed_points
    from metastasim.analysis import trap_spaces as minimal_trap_spaces

    m = _load(model, model_option, cfg)
    perts = _perturbations(m, ko, oe, inhibit, set_, drug)
    lister, counter = (minimal_trap_spaces, count_trap_spaces) if trap_spaces else (fixed_points, count_fixed_points)
    found = lister(m, perts, context=context, limit=limit)
    total = counter(m, perts, context=context) if len(found) == limit else len(found)  # count separately only past the limit
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


@cli.command()
@_model_options
@_node_options
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
    from metastasim.engine import warm_up
    from metastasim.models import CURATED, PHENOTYPES
    from metastasim.network import describe

    m = _load(model if model or model_option else CURATED, model_option, cfg)
    perts = _perturbations(m, ko, oe, inhibit, (), drug)
    shown = [x for x in nodes.split(",") if x] if nodes else [p for p in PHENOTYPES if p in m.nodes] or None
    with _status("preparing the simulator (compiled once per machine, then cached)"):
        warm_up()
    with _progress(len(m.contexts), "simulating each context", True) as progress:
        table = by_context(m, perts, nodes=shown, samples=samples, seed=seed, threads=threads, progress=progress)
    settings = m.settings.with_(sample_count=samples, seed=seed)
    if out:
        from metastasim.io._files import atomic_write_text

        atomic_write_text(out, table.to_csv(float_format="%.4f"))
    if as_json:
        click.echo(json.dumps({"model": m.name, "samples": settings.sample_count, "seed": settings.seed,
                               "max_time": settings.max_time, "perturbations": [describe(p) for p in perts],
                               "contexts": {c: table[c].to_dict() for c in table.columns}}, indent=1))
        return
    click.echo(f"{m.name}: probability of each node at t = {settings.max_time:g} in each context "
               f"({settings.sample_count:,} trajectories per context, seed {settings.seed})")
    click.echo(table.rename(columns=lambda c: c.replace("_", " ")).to_string(float_format="{:.2f}".format))
    if perts:
        click.echo("perturbations: " + ", ".join(describe(p) for p in perts))


@cli.command()
@click.option("--samples", type=click.IntRange(min=10), default=10000, show_default=True,
              help="Trajectories per arm of each fact (enough that a 2-point change is clear).")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), default=1, show_default=True, help="Random seed.")
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--invivo-cells", type=click.IntRange(min=20), default=INVIVO_CELLS, show_default=True,
              help="Working population per stage and arm of the in-vivo (effect-size) facts, splitting estimator.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the table as CSV to this file.")
def validate(samples, seed, threads, invivo_cells, as_json, out) -> None:
    """Simulate every published finding in the curated model's facts and print the score."""
    from metastasim.engine import warm_up
    from metastasim.models import load_drugs, load_model
    from metastasim.cascade import load_cascade
    from metastasim.validation import load_facts, validate as run

    model, facts, drugs = load_model(), load_facts(), load_drugs()
    with _status("preparing the simulator (compiled once per machine, then cached)"):
        warm_up()
    with _progress(len(facts) * 2, "simulating the distinct arms of the facts", True) as progress:
        report = run(model, facts, drugs, samples=samples, seed=seed, threads=threads, cascade=load_cascade(),
                     progress=progress, invivo_cells=invivo_cells)
    table = report.table()
    if out:
        from metastasim.io._files import atomic_write_text

        atomic_write_text(out, table.to_csv(index=False, float_format="%.4g"))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1))
        return
    _print_validation(report, table)


def _print_validation(report, table) -> None:
    """The facts table as plain text (readable in a terminal, a pipe or a log), then the score."""
    view = table.assign(
        perturbation=[p + (f" (on {b})" if b else "") for p, b in zip(table.perturbation, table.baseline)],
        change=[f"{c:+.3f}" for c in table.change])
    columns = ["fact", "context", "perturbation", "readout", "expected", "change", "observed", "status", "reference"]
    click.echo(f"Validation of the curated model against {len(table)} published findings")
    _echo_rows([columns] + view[columns].astype(str).values.tolist(), right=(columns.index("change"),))
    unexpected = len(report.unexpected_failures)
    click.echo(f"score: {report.reproduced}/{len(table)} findings reproduced ({report.score:.1%}); "
               f"{len(table) - report.reproduced - unexpected} known failures (reasons in facts.yaml), "
               f"{unexpected} unexpected; {report.samples:,} trajectories per arm of cell facts (cascade facts: "
               f"their own cell counts), seed {report.seed}, "
               f"model {report.model_hash}, {report.elapsed:.1f} s")
    if report.invivo:
        _print_invivo(report)


def _print_invivo(report) -> None:
    """The in-vivo (effect-size) facts: published and model log2 ratios, then their score."""
    def signed(x):
        return "n/a" if x is None else f"{x:+.2f}"

    rows = [["fact", "mode", "perturbation", "measure", "published log2", "per cell", "model log2 (95% CI)",
             "status", "reference"]]
    for r in (r.row() for r in report.invivo):
        low, high = r["model_log2_ci95"]
        bound = ">= " if r["bound"] else ""
        rows.append([r["fact"], r["mode"], r["perturbation"], r["measure"], bound + signed(r["observed_log2"]),
                     bound + signed(r["per_cell_log2"]),
                     f"{signed(r['model_log2'])} ({signed(low)} to {signed(high)})", r["status"], r["reference"]])
    click.echo("")
    click.echo("Effect sizes against published mouse experiments (log2 ratio of metastasis, perturbed / control)")
    _echo_rows(rows, right=(4, 5, 6))
    known = sum(r.status == "known failure" for r in report.invivo)
    unexpected = sum(r.status == "FAIL" for r in report.invivo)
    click.echo(f"in-vivo score: {report.invivo_passed}/{len(report.invivo)} effect sizes within 2x "
               f"({report.invivo_score:.1%}); {known} known failures (reasons in facts.yaml), {unexpected} unexpected; "
               f"{report.invivo[0].cells:,} cells per stage and arm (splitting), seed {report.seed}")


@cli.command()
@_model_options
@_node_options
@click.option("--mode", type=click.Choice(["experimental", "spontaneous"]), default="experimental",
              show_default=True, help="Cells injected into the circulation, or leaving the primary tumour.")
@click.option("--cells", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Cells sent through the cascade (splitting: the working population of every stage, shared "
                   "among the replicates).")
@click.option("--estimator", type=click.Choice(["auto", "direct", "splitting"]), default="auto", show_default=True,
              help="direct: count the cells that pass every stage; splitting: weighted clones resampled between "
                   "stages (for rare outcomes); auto: splitting for the spontaneous mode, direct for the "
                   "experimental one.")
@click.option("--replicates", type=int, default=10, show_default=True,
              help="Splitting: independent replicates, whose spread gives the intervals (at least 2).")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), default=1, show_default=True, help="Random seed.")
@click.option("--from-stage", metavar="STAGE",
              help="Give the drugs (--drug) only from this stage on, e.g. after dissemination; "
                   "--ko/--oe/--inhibit always apply throughout.")
@click.option("--no-alterations", is_flag=True, help="A homogeneous population: no heritable alterations.")
@click.option("--cascade", "cascade_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="A cascade file [the curated model's cascade.yaml].")
@click.option("--chunk-size", type=click.IntRange(min=1), default=1 << 16, show_default=True,
              help="Cells per chunk (bounds memory; results do not depend on it).")
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--out", type=click.Path(file_okay=False), help="Also write the tables as CSV and the JSON here.")
def cascade(model, model_option, cfg, drug, ko, oe, inhibit, mode, cells, estimator, replicates, seed, from_stage,
            no_alterations, cascade_file, chunk_size, threads, as_json, out) -> None:
    """Send a population of cells through the metastatic cascade and count who gets through.

    Prints, per stage, the cells entering and passing with 95% CIs, the metastatic
    efficiency, the phenotypes of the survivors and which heritable alterations are
    enriched among metastasis-forming cells."""
    from metastasim.cascade import compare_anchors, default_estimator, load_cascade, read_cascade, run_cascade
    from metastasim.engine import warm_up
    from metastasim.models import CURATED

    estimator = default_estimator(mode) if estimator == "auto" else estimator
    if estimator == "splitting":
        _check_splitting(cells, replicates, "--cells")
    m = _load(model if model or model_option else CURATED, model_option, cfg)
    spec = read_cascade(cascade_file) if cascade_file else load_cascade()
    spec.check(m)
    stages = spec.mode(mode).stages
    if from_stage is not None:
        if not drug:
            raise click.UsageError("--from-stage needs at least one --drug")
        if from_stage not in stages:
            raise click.UsageError(f"--from-stage: mode {mode} has no stage {from_stage!r}; stages: {', '.join(stages)}")
    drugs = _perturbations(m, (), (), (), (), drug)
    others = _perturbations(m, ko, oe, inhibit, ())
    whole, treatment = (others, drugs) if from_stage else (drugs + others, [])
    with _status("preparing the simulator (compiled once per machine, then cached)"):
        warm_up()
    label = "clone-steps" if estimator == "splitting" else "cells through the cascade"
    with _progress(cells, label, cells >= 20_000) as progress:
        result = run_cascade(m, spec, mode=mode, cells=cells, seed=seed, perturbations=whole, treatment=treatment,
                             treatment_from=from_stage, alterations=not no_alterations, chunk_size=chunk_size,
                             threads=threads, progress=progress, estimator=estimator, replicates=replicates)
    payload = {"model": m.name, **result.to_dict(), "anchors": compare_anchors(spec, result)}
    if out:
        from metastasim.io._files import write_folder

        write_folder(out, {
            "cascade.json": json.dumps(payload, indent=1) + "\n",
            "stages.csv": result.stage_table().to_csv(float_format="%.6g"),
            "phenotypes.csv": result.phenotype_table().to_csv(index_label="phenotype", float_format="%.4f"),
            "enrichment.csv": result.enrichment().to_csv(float_format="%.6g"),
        }, stale=())
    if as_json:
        click.echo(json.dumps(payload, indent=1))
        return
    if estimator == "splitting":
        _print_splitting(m, result, payload["anchors"])
    else:
        _print_cascade(m, result, payload["anchors"])


def _check_splitting(cells: int, replicates: int, cells_option: str) -> None:
    """The splitting estimator's bounds, as a usage error naming the option (checked before anything runs)."""
    if replicates < 2:
        raise click.BadParameter(f"splitting needs at least 2 replicates, not {replicates}", param_hint="'--replicates'")
    if cells < 2 * replicates:
        raise click.BadParameter(f"splitting needs at least 2 cells per replicate: {cells} cells for {replicates} "
                                 f"replicates", param_hint=f"'{cells_option}'")


def _pct(x: float) -> str:
    return "-" if x != x else (f"{100 * x:.3g}%" if x >= 1e-4 or x == 0 else f"{100 * x:.2g}%")


def _treated_with(result) -> str:
    """The perturbations of a cascade run, in words."""
    perts = ", ".join(result.perturbations + tuple(f"{t} from {result.treatment_from}" for t in result.treatment))
    return perts or "none"


def _print_tail(result, anchors, metastatic: str, enriched_among: str) -> None:
    """What both estimators print after their stage table: efficiency, anchors, phenotypes, enrichment."""
    lo, hi = result.efficiency_ci95
    click.echo(f"metastatic efficiency: {_pct(result.efficiency)} (95% CI {_pct(lo)}-{_pct(hi)}; {metastatic})")
    if anchors:
        cited = sorted({a["citation"] or a["reference"] for a in anchors})
        click.echo(f"calibration ({'; '.join(cited)}): " + "; ".join(
            f"{a['stage']} {_pct(a['simulated'])} vs {_pct(a['measured'])} measured" for a in anchors))
    click.echo("\nphenotypes of the survivors of each stage (fraction with the node on)")
    click.echo(result.phenotype_table().to_string(float_format="{:.2f}".format))
    enrich = result.enrichment()
    if len(enrich):
        click.echo(f"\nheritable alterations among {enriched_among}")
        rows = [["alteration", "node", "change", "frequency", "in metastases", "odds ratio", "95% CI"]]
        for aid, r in enrich.iterrows():
            rows.append([aid, r.node, r.change, _pct(r.frequency), _pct(r.frequency_metastatic),
                         "-" if r.odds_ratio != r.odds_ratio else f"{r.odds_ratio:.2f}",
                         f"{r.ci95_low:.2f}-{r.ci95_high:.2f}"])
        _echo_rows(rows, right=(3, 4, 5, 6))


def _print_splitting(model, result, anchors) -> None:
    """Plain-text tables of a splitting run: estimated fractions with their 95% CIs."""
    click.echo(f"{model.name}: {result.mode} cascade, splitting estimator: {result.cells:,} clones per stage in "
               f"{result.replicates} replicates, seed {result.seed}, perturbations: {_treated_with(result)} "
               f"({result.elapsed:.1f} s on {result.threads} threads)")
    rows = [["stage", "context", "fraction", "95% CI", "of all cells", "95% CI", "ESS"]]
    for name, r in result.stage_table().iterrows():
        rows.append([name, r.context, _pct(r.fraction), f"{_pct(r.ci95_low)}-{_pct(r.ci95_high)}",
                     _pct(r.cumulative), f"{_pct(r.cumulative_low)}-{_pct(r.cumulative_high)}", f"{r.ess:,.0f}"])
    _echo_rows(rows, right=(2, 4, 6))
    _print_tail(result, anchors, f"{result.replicates} replicates", "metastasis-forming cells (weighted)")


def _print_cascade(model, result, anchors) -> None:
    """Plain-text tables: stages, efficiency, anchors, survivors' phenotypes, enrichment."""
    click.echo(f"{model.name}: {result.mode} cascade, {result.cells:,} cells, seed {result.seed}, "
               f"perturbations: {_treated_with(result)} ({result.elapsed:.1f} s on {result.threads} threads)")
    rows = [["stage", "context", "entered", "passed", "fraction", "95% CI", "of all cells"]]
    for s in result.stages:
        lo, hi = s.ci95
        rows.append([s.name, s.context, f"{s.entered:,}", f"{s.passed:,}", _pct(s.fraction),
                     f"{_pct(lo)}-{_pct(hi)}" if s.entered else "-", _pct(s.passed / result.cells)])
    _echo_rows(rows, right=(2, 3, 4, 6))
    _print_tail(result, anchors, f"{result.metastatic:,} of {result.cells:,} cells",
                f"the {result.metastatic:,} metastasis-forming cells")


def _echo_rows(rows: list[list[str]], right: tuple[int, ...] = ()) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(v.rjust(w) if i in right else v.ljust(w)
                             for i, (v, w) in enumerate(zip(row, widths))).rstrip())


@cli.command()
@_model_options
@click.option("--targets", default="all", show_default=True, metavar="genes|drugs|all|LIST",
              help="Genes (a knock-out of every gene node), drugs (the library), all, or a comma-separated list "
                   "of nodes and drugs.")
@click.option("--overexpression", is_flag=True, help="Also over-express each gene target.")
@click.option("--pairs", is_flag=True, help="Also every pair of the targets (with Bliss and HSA synergy).")
@click.option("--doses", metavar="D1,D2,...",
              help="Also a dose series of each target: drugs at these fractions of their maximal effect, genes "
                   "inhibited by these fractions of their activity; fits an IC50.")
@click.option("--mode", type=click.Choice(["experimental", "spontaneous", "both"]), default="both",
              show_default=True, help="Cascade mode(s) read; the ranking reads the spontaneous one (the whole "
                                      "cascade) when both.")
@click.option("--cells", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Cells per arm in the experimental cascade (direct estimator, cell by cell).")
@click.option("--spontaneous-cells", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="Working population per stage and arm in the spontaneous cascade (splitting estimator).")
@click.option("--replicates", type=int, default=10, show_default=True,
              help="Replicates of the splitting estimator, whose pairing with the control's gives the intervals.")
@click.option("--contexts", metavar="LIST", help="Contexts for the phenotype readout [all; normoxia always].")
@click.option("--samples", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Trajectories per context (phenotype and normal-cell readouts).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=1, show_default=True, help="Random seed.")
@click.option("--no-alterations", is_flag=True, help="A homogeneous population: no heritable alterations.")
@click.option("--cascade", "cascade_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="A cascade file [the curated model's cascade.yaml].")
@click.option("--store", default="metastasim-results.sqlite", show_default=True, type=click.Path(dir_okay=False),
              help="SQLite results store; a screen run again with the same settings resumes from it.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run the arms on this Dask cluster.")
@click.option("--threads", type=click.IntRange(min=0), help="Threads in this process (0: all cores).")
@click.option("--top", type=click.IntRange(min=0), default=25, show_default=True, help="Rows of each table printed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--out", type=click.Path(file_okay=False), help="Also write the tables as CSV and the JSON here.")
def screen(model, model_option, cfg, targets, overexpression, pairs, doses, mode, cells, spontaneous_cells,
           replicates, contexts, samples, seed, no_alterations, cascade_file, store, scheduler, threads, top, as_json,
           out) -> None:
    """Rank targets and drugs (and pairs, and doses) by how much they cut metastatic efficiency.

    Every arm is sent through the cascade on the same cells (and, for the
    spontaneous cascade, the same replicates) as the control; its effect is the
    log2 change of the metastatic efficiency with a 95% CI, weighed
    by how well it spares untransformed cells (proliferating and alive in
    normoxia).  Results go to the store as each arm finishes."""
    from metastasim.cascade import load_cascade, read_cascade
    from metastasim.engine import warm_up
    from metastasim.models import CURATED, load_drugs
    from metastasim.screen import ScreenParams, dose_series, pairs as all_pairs, run_screen, singles
    from metastasim.screen.store import ResultStore

    m = _load(model if model or model_option else CURATED, model_option, cfg)
    spec = read_cascade(cascade_file) if cascade_file else load_cascade()
    drugs = load_drugs()
    wanted = targets if targets in ("genes", "drugs", "all") else _list(targets, "--targets")
    arms = singles(m, drugs, wanted, overexpression=overexpression)
    if pairs:
        arms += all_pairs(m, arms)
    if doses is not None:
        arms += dose_series(m, drugs, wanted, _list(doses, "--doses"))
    modes = ("spontaneous", "experimental") if mode == "both" else (mode,)
    if "spontaneous" in modes:
        _check_splitting(spontaneous_cells, replicates, "--spontaneous-cells")
    params = ScreenParams(modes=modes, cells=cells, spontaneous_cells=spontaneous_cells, replicates=replicates,
                          seed=seed,
                          contexts=tuple(_list(contexts, "--contexts")) if contexts else None, samples=samples,
                          alterations=not no_alterations).check(m, spec)
    command = "metastasim screen " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "metastasim screen"
    client = _dask_client(scheduler) if scheduler else None
    try:
        with ResultStore(store) as db:
            with _status("preparing the simulator (compiled once per machine, then cached)"):
                warm_up()
            with _progress(len(arms) + 1, "arms", True, unit="arms") as progress:
                result = run_screen(m, spec, arms, params, store=db, client=client, threads=threads,
                                    command=command, progress=progress)
    finally:
        if client is not None:
            client.close()
    _report_screen(result, as_json, out, top)


@cli.command()
@click.argument("run", required=False)
@click.option("--store", default="metastasim-results.sqlite", show_default=True,
              type=click.Path(dir_okay=False, exists=True), help="SQLite results store.")
@click.option("--top", type=click.IntRange(min=0), default=25, show_default=True, help="Rows of each table printed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False), help="Write the run's ranking as CSV here.")
@click.option("--out", type=click.Path(file_okay=False), help="Write all the run's tables as CSV and the JSON here.")
def results(run, store, top, as_json, csv_file, out) -> None:
    """List the runs of a results store, or print (and export) the tables of RUN (its id or key)."""
    from metastasim.screen import load_result
    from metastasim.screen.store import ResultStore

    with ResultStore(store, readonly=True) as db:
        if run is None:
            if csv_file or out:
                raise click.UsageError("--csv and --out export one run: name it (RUN)")
            runs = db.runs()
            if as_json:
                click.echo(json.dumps(runs, indent=1))
                return
            rows = [["run", "key", "created", "model", "arms", "cells", "seed", "modes"]]
            for r in runs:
                p = r["params"]
                rows.append([str(r["id"]), r["key"][:8], r["created"], r["model"], str(r["arms"]), f"{p['cells']:,}",
                             str(p["seed"]), ",".join(p["modes"])])
            _echo_rows(rows, right=(0, 4, 5, 6))
            if not runs:
                click.echo(f"(no runs in {store})")
            return
        result = load_result(db, run)
    if csv_file:
        from metastasim.io._files import atomic_write_text

        atomic_write_text(csv_file, result.ranking().to_csv(float_format="%.6g"))
    _report_screen(result, as_json, out, top)


@cli.command()
@click.option("--out", default="report", show_default=True, type=click.Path(file_okay=False),
              help="Folder for index.html (one self-contained file), summary.json and the screen's results.sqlite.")
@click.option("--quick", is_flag=True, help="Fewer cells, trajectories, pairs and doses; the validation keeps its "
                                            "defaults.")
@click.option("--cells", type=click.IntRange(min=1000), metavar="N",
              help="Clones per stage in each cascade mode's funnel (splitting) [40,000; --quick: 10,000]; the screen's "
                   "arms take 6,000 (spontaneous) and 3,000 (experimental) [--quick: 2,000 and 1,000].")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=1, show_default=True, help="Random seed.")
@click.option("--store", type=click.Path(dir_okay=False),
              help="SQLite results store for the screen [OUT/results.sqlite]; a second run resumes from it.")
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json (headline numbers, provenance) instead.")
def report(out, quick, cells, seed, store, threads, as_json) -> None:
    """Run the whole analysis of the curated model and write it as one HTML report.

    The model's network and evidence, phenotypes across contexts and time courses of
    the UPR and glutamine metabolism, the cascade in both modes with its calibration
    and enriched alterations, a screen of every target and drug (pairs, doses), the
    validation against published findings, and how to reproduce it all."""
    from metastasim.engine import warm_up
    from metastasim.report import build_report
    from metastasim.report.analysis import ReportSettings

    settings = ReportSettings.preset(quick=quick, cells=cells, seed=seed)
    with _status("preparing the simulator (compiled once per machine, then cached)"):
        warm_up()
    with _parts_progress() as progress:
        _, path = build_report(out, settings, store=store, threads=threads, command=settings.command(),
                               progress=progress)
    written = (path.parent / "summary.json").read_text(encoding="utf-8")  # the headline numbers, computed once
    if as_json:
        click.echo(written, nl=False)
        return
    s = json.loads(written)["summary"]
    click.echo(f"metastasim report: {path} ({path.stat().st_size / 1e6:.1f} MB, {s['elapsed']:.0f} s)")
    click.echo(f"  validation: {s['reproduced']}/{s['facts']} published findings reproduced ({s['score']:.1%})")
    for mode, e in s["efficiency"].items():
        click.echo(f"  metastatic efficiency ({mode}): {e['efficiency']} (95% CI {e['ci']}; {e['size']})")
    click.echo(f"  best targets of {s['arms']} screened arms: "
               + "; ".join(f"{t['arm']} (prevents {t['prevented']}, spares {t['spared']})" for t in s["top"][:3]))
    click.echo(f"  open it in a browser: {path.resolve().as_uri()}")


@contextlib.contextmanager
def _parts_progress():
    """Progress bars for work in named parts; yields ``progress(part, done, total)`` (only on a terminal)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=_stderr_console()) as bar:
        tasks: dict[str, int] = {}

        def update(part: str, done: int, total: int) -> None:
            if part not in tasks:
                tasks[part] = bar.add_task(part, total=total)
            bar.update(tasks[part], completed=done, total=total)

        yield update


def _list(text: str, option: str) -> list[str]:
    items = [x.strip() for x in text.split(",")]
    if not all(items):
        raise click.UsageError(f"{option} takes a comma-separated list, not {text!r}")
    return items


def _dask_client(address: str):
    """A Dask client of the scheduler at ``address``; one clear line if nothing answers there."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address if "://" in address else "tcp://" + address)
        if parts.scheme == "tcp":  # fail fast (Dask itself retries until its timeout)
            socket.create_connection((parts.hostname, parts.port), timeout=10).close()
        from dask.distributed import Client

        return Client(address, timeout="30s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise click.ClickException(f"--scheduler {address}: cannot connect ({exc})") from None


def _report_screen(result, as_json: bool, out: str | None, top: int) -> None:
    """Write the screen's tables (``--out``) and print them, or its JSON."""
    payload = result.to_dict()
    if out:
        from metastasim.io._files import write_folder

        write_folder(out, {
            "screen.json": json.dumps(payload, indent=1) + "\n",
            "ranking.csv": result.ranking().to_csv(float_format="%.6g"),
            "synergy.csv": result.synergy().to_csv(float_format="%.6g"),
            "doses.csv": result.dose_response().to_csv(index=False, float_format="%.6g"),
            "ic50.csv": result.ic50().to_csv(float_format="%.6g"),
            "phenotypes.csv": result.phenotypes().to_csv(index=False, float_format="%.4g"),
            **({"stages.csv": result.stage_effects().to_csv(index=False, float_format="%.6g")}
               if result.stages_mode else {}),
        }, stale=("stages.csv",))
    if as_json:
        click.echo(json.dumps(payload, indent=1))
        return
    _print_screen(result, top)


def _print_screen(result, top: int) -> None:
    p, mode = result.params, result.rank_mode
    sizes = ", ".join(f"{p.cells_of(m):,} {'clones per stage' if p.estimator_of(m) == 'splitting' else 'cells'} "
                      f"({m})" for m in p.modes)
    click.echo(f"screen run {result.run_id} ({result.run_key[:8]}) in {result.store}: {len(result.arms)} arms, "
               f"{result.computed} simulated now; {sizes}, {p.samples} trajectories per context, seed {p.seed}")
    ctrl = result.effect("control", mode)
    if p.estimator_of(mode) == "splitting":
        interval = (f"95% CI {ctrl.efficiency_low:.3g} to {ctrl.efficiency_high:.3g}" if ctrl.efficiency > 0
                    else "no clone got through")
        click.echo(f"control: metastatic efficiency {ctrl.efficiency:.3g} ({interval}; {mode}, splitting: "
                   f"{p.cells_of(mode):,} clones per stage in {p.replicates} replicates)")
    else:
        click.echo(f"control: {ctrl.metastatic:,.0f} metastatic cells of {p.cells_of(mode):,} ({mode})")
    ranking = result.ranking()
    click.echo(f"\nsingle targets, best first (score = metastases prevented x normal cells spared; top {top} of "
               f"{len(ranking)})")
    others = [m for m in p.modes if m != mode]
    rows = [["rank", "arm", f"log2 change ({mode})", "95% CI", "prevented", "normal cells spared", "score"]
            + [f"log2 change ({m}, 95% CI)" for m in others]]
    def fmt(x: float, spec: str) -> str:  # undefined (no metastatic or normal cell in the control): "-"
        return "-inf" if x == float("-inf") else (format(x, spec) if x == x and abs(x) != float("inf") else "-")

    for arm, r in ranking.head(top).iterrows():
        none_left = r[f"{mode}_lfc"] == float("-inf")  # splitting: no clone of the arm got through
        rows.append([str(r["rank"]), arm, fmt(r[f"{mode}_lfc"], "+.2f"),
                     "none left" if none_left else
                     f"{fmt(r[f'{mode}_lfc_low'], '+.2f')} to {fmt(r[f'{mode}_lfc_high'], '+.2f')}",
                     fmt(r["prevented"], ".0%"), fmt(r["spared"], ".0%"), fmt(r["score"], ".3f")]
                    + [f"{fmt(r[f'{m}_lfc'], '+.2f')} ({fmt(r[f'{m}_lfc_low'], '+.1f')} to "
                       f"{fmt(r[f'{m}_lfc_high'], '+.1f')})" for m in others])
    _echo_rows(rows, right=(0, 2, 4, 5, 6, 7))
    syn = result.synergy()
    if len(syn):
        click.echo(f"\npairs, most synergistic first (efficiency as a fraction of the control's; top {top} of {len(syn)})")
        rows = [["pair", "f(a)", "f(b)", "f(pair)", "Bliss excess", "95% CI", "HSA excess", "95% CI"]]
        for pair, r in syn.head(top).iterrows():
            rows.append([pair, f"{r.f_a:.2f}", f"{r.f_b:.2f}", f"{r.f_ab:.2f}", f"{r.bliss:+.3f}",
                         f"{r.bliss_low:+.3f} to {r.bliss_high:+.3f}", f"{r.hsa:+.3f}",
                         f"{r.hsa_low:+.3f} to {r.hsa_high:+.3f}"])
        _echo_rows(rows, right=(1, 2, 3, 4, 6))
    ic50 = result.ic50()
    if len(ic50):
        click.echo("\ndose response (IC50: dose halving the metastatic efficiency; '-' if no tested dose did)")
        rows = [["target", "IC50", "Hill slope", "max effect"]]
        for target, r in ic50.iterrows():
            rows.append([target, "-" if r.ic50 != r.ic50 else f"{'< ' if r.ic50_below else ''}{r.ic50:.3g}",
                         "-" if r.hill != r.hill else f"{r.hill:.2g}", f"{r.max_effect:.0%}"])
        _echo_rows(rows, right=(1, 2, 3))
    _print_stage_effects(result, ranking.head(top).index)


def _print_stage_effects(result, arms) -> None:
    """Where each of the best targets acts: the log2 change of each stage's pass fraction."""
    table = result.stage_effects()
    if not len(table):
        return
    table = table[table.arm.isin(arms)]
    stages = list(dict.fromkeys(table.stage))
    click.echo(f"\nwhere they act: log2 change of each stage's pass fraction ({result.stages_mode} cascade; "
               f"* where the 95% CI excludes 0)")
    rows = [["arm", *stages]]
    for arm in arms:
        cells = []
        for r in table[table.arm == arm].itertuples():
            sure = r.log2_low > 0 or r.log2_high < 0
            cells.append("-" if r.log2 != r.log2 else ("-inf" if r.log2 == float("-inf") else f"{r.log2:+.2f}")
                         + ("*" if sure else ""))
        rows.append([arm, *cells])
    _echo_rows(rows, right=tuple(range(1, len(stages) + 1)))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"metastasim: warning: {message}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one line and exit status 2."""
    warnings.showwarning = _show_warning
    try:
        cli.main(args=argv, prog_name="metastasim", standalone_mode=False)
    except click.UsageError as exc:
        hint = f" (see: metastasim {exc.ctx.info_name if exc.ctx and exc.ctx.parent else ''} --help)".replace("  ", " ")
        _err(exc.format_message().replace("\n", " ") + hint)
        return 2
    except click.exceptions.Abort:
        _err("interrupted")
        return 130
    except click.ClickException as exc:
        _err(exc.format_message().replace("\n", " "))
        return 2
    except MetastasimError as exc:
        _err(str(exc))
        return 2
    except sqlite3.Error as exc:  # the results store failed under us (disk full, locked for too long)
        _err(f"results store: {exc}")
        return 2
    except OSError as exc:
        _err(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

