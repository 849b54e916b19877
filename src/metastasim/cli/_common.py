"""What the commands share: loading a model, perturbation options, progress bars, tables."""

from __future__ import annotations

import contextlib
import shlex
import sys

import click
from click.core import ParameterSource

__all__ = [
    "MODEL_HELP",
    "err",
    "progress_bar",
    "parts_progress",
    "spinner",
    "warmed_up",
    "stderr_console",
    "perturbations",
    "load",
    "model_options",
    "node_options",
    "perturbation_options",
    "cascade_options",
    "load_spec",
    "cascade_options",
    "load_spec",
    "check_splitting",
    "pct",
    "echo_rows",
    "split_list",
    "dask_client",
    "invoked_command",
]

MODEL_HELP = "A model file (.bnet, .bnd, .sbml/.xml, .yaml) or a bundled model name (cohen2015)."


def err(message: str) -> None:
    click.echo(f"metastasim: error: {message}", err=True)


@contextlib.contextmanager
def progress_bar(total: int, label: str, enabled: bool, *, unit: str = ""):
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
    with Progress(*columns, TimeRemainingColumn(), transient=True, console=stderr_console()) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, total_now: bar.update(task, completed=done, total=total_now)


@contextlib.contextmanager
def spinner(message: str):
    """A spinner on standard error while something slow happens (only on a terminal)."""
    if not sys.stderr.isatty():
        yield
        return
    with stderr_console().status(message):
        yield


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def warmed_up() -> float:
    """Compile (or load from cache) the simulator's kernels under a spinner; the seconds it took."""
    from metastasim.engine import warm_up

    with spinner("preparing the simulator (compiled once per machine, then cached)"):
        return warm_up()


@contextlib.contextmanager
def parts_progress():
    """Progress bars for work in named parts; yields ``progress(part, done, total)`` (only on a terminal)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
    ) as bar:
        tasks: dict[str, int] = {}

        def update(part: str, done: int, total: int) -> None:
            if part not in tasks:
                tasks[part] = bar.add_task(part, total=total)
            bar.update(tasks[part], completed=done, total=total)

        yield update


def perturbations(model, ko, oe, inhibit, set_, drug=()):
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


def load(model: str | None, model_option: str | None, cfg: tuple[str, ...]):
    from metastasim.models import load_any

    if model is not None and model_option is not None:
        raise click.UsageError("give the model once: as MODEL or as --model")
    spec = model if model is not None else model_option
    if spec is None:
        raise click.UsageError("missing MODEL (a file, or --model metastasim)")
    return load_any(spec, cfg=list(cfg) or None)


def model_options(f):
    """MODEL (argument or --model) and --cfg."""
    f = click.option(
        "--cfg",
        multiple=True,
        metavar="CFG",
        help="MaBoSS .cfg file (any model format); repeat to apply several in order.",
    )(f)
    f = click.option("--model", "model_option", metavar="MODEL", help="The model, instead of the MODEL argument.")(f)
    return click.argument("model", required=False)(f)


def node_options(f):
    """Perturbations of nodes: --drug, --ko, --oe, --inhibit."""
    f = click.option(
        "--inhibit", multiple=True, metavar="NODE=E", help="Multiply NODE's rate_up by 1 - E (E in [0, 1])."
    )(f)
    f = click.option("--oe", multiple=True, metavar="NODE", help="Over-express NODE (fixed at 1).")(f)
    f = click.option("--ko", multiple=True, metavar="NODE", help="Knock out NODE (fixed at 0).")(f)
    return click.option(
        "--drug",
        multiple=True,
        metavar="NAME[=DOSE]",
        help="A drug of the library; DOSE is the fraction of its maximal effect (default 1).",
    )(f)


def cascade_options(f):
    """The population and its cascade: --no-alterations and --cascade FILE."""
    f = click.option(
        "--cascade",
        "cascade_file",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="A cascade file [the curated model's cascade.yaml].",
    )(f)
    return click.option("--no-alterations", is_flag=True, help="A homogeneous population: no heritable alterations.")(f)


def load_spec(cascade_file: str | None):
    """The cascade of ``--cascade FILE``, or the curated model's."""
    from metastasim.cascade import load_cascade, read_cascade

    return read_cascade(cascade_file) if cascade_file else load_cascade()


def perturbation_options(f):
    """Everything that sets up one run: the model, node perturbations, --set and --context."""
    f = click.option("--set", "set_", multiple=True, metavar="INPUT=0|1", help="Fix an input node.")(f)
    f = node_options(f)
    f = click.option("--context", metavar="NAME", help="A context of the model (a setting of its inputs).")(f)
    return model_options(f)


def check_splitting(cells: int, replicates: int, cells_option: str) -> None:
    """The splitting estimator's bounds, as a usage error naming the option (checked before anything runs)."""
    if replicates < 2:
        raise click.BadParameter(
            f"splitting needs at least 2 replicates, not {replicates}", param_hint="'--replicates'"
        )
    if cells < 2 * replicates:
        raise click.BadParameter(
            f"splitting needs at least 2 cells per replicate: {cells} cells for {replicates} replicates",
            param_hint=f"'{cells_option}'",
        )


def pct(x: float) -> str:
    return "-" if x != x else (f"{100 * x:.3g}%" if x >= 1e-4 or x == 0 else f"{100 * x:.2g}%")


def echo_rows(rows: list[list[str]], right: tuple[int, ...] = ()) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()
        )


def split_list(text: str, option: str) -> list[str]:
    items = [x.strip() for x in text.split(",")]
    if not all(items):
        raise click.UsageError(f"{option} takes a comma-separated list, not {text!r}")
    return items


def dask_client(address: str):
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


def invoked_command(ctx: click.Context) -> str:
    """The command line that ran ``ctx``'s command, rebuilt from the options given on it.

    Read from what click parsed, not from ``sys.argv``, so that a command run in-process
    (``main(argv)``, a test, a notebook) records its own arguments, not its host's.
    Parameters are written in the command's order, each value as click converted it.
    """
    words = ["metastasim", ctx.command.name or ""]
    for param in ctx.command.params:
        if ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
            words += _words(param, ctx.params[param.name])
    return shlex.join(words)


def _words(param: click.Parameter, value) -> list[str]:
    """How ``param`` with its parsed ``value`` reads on a command line."""

    def one(occurrence) -> list[str]:  # the values of one use of the parameter (several when nargs > 1)
        return [str(v) for v in occurrence] if param.nargs != 1 else [str(occurrence)]

    uses = list(value) if param.multiple or (isinstance(param, click.Argument) and param.nargs == -1) else [value]
    if isinstance(param, click.Argument):
        return [w for use in uses for w in (one(use) if param.nargs != -1 else [str(use)])]
    if param.count:
        return [param.opts[0]] * int(value)
    if param.is_flag and param.secondary_opts:  # --x/--no-x
        return [param.opts[0] if value else param.secondary_opts[0]]
    if param.is_flag:  # given, it moved the value off the default (or left it there: then it needs no word)
        return [param.opts[0]] if value != param.default else []
    return [w for use in uses for w in [param.opts[0], *one(use)]]
