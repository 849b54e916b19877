"""The ``metastasim`` command: a thin shell over the Python API.

Every error a user can cause ends in one line on standard error and exit status 2.
One module per command family: :mod:`~metastasim.cli.network` (simulate, contexts,
attractors, convert), :mod:`~metastasim.cli.cascade`, :mod:`~metastasim.cli.screen`
(screen, results), :mod:`~metastasim.cli.validate`, :mod:`~metastasim.cli.robustness` and :mod:`~metastasim.cli.report`;
what they share is in :mod:`~metastasim.cli._common`.
"""

from __future__ import annotations

import sqlite3
import sys
import warnings

import click

import metastasim
from metastasim.cli import cascade, network, report, robustness, screen, validate
from metastasim.cli._common import err
from metastasim.errors import MetastasimError

__all__ = ["main", "cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(metastasim.__version__, prog_name="metastasim")
def cli() -> None:
    """Simulate logical models of the metastatic cascade (MaBoSS semantics)."""


for _command in (
    network.simulate,
    network.contexts,
    network.attractors,
    network.convert,
    cascade.cascade,
    screen.screen,
    screen.results,
    validate.validate,
    robustness.robustness,
    report.report,
):
    cli.add_command(_command)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"metastasim: warning: {message}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one line and exit status 2."""
    warnings.showwarning = _show_warning
    try:
        cli.main(args=argv, prog_name="metastasim", standalone_mode=False)
    except click.UsageError as exc:
        hint = f" (see: metastasim {exc.ctx.info_name if exc.ctx and exc.ctx.parent else ''} --help)".replace("  ", " ")
        err(exc.format_message().replace("\n", " ") + hint)
        return 2
    except click.exceptions.Abort:
        err("interrupted")
        return 130
    except click.ClickException as exc:
        err(exc.format_message().replace("\n", " "))
        return 2
    except MetastasimError as exc:
        err(str(exc))
        return 2
    except sqlite3.Error as exc:  # the results store failed under us (disk full, locked for too long)
        err(f"results store: {exc}")
        return 2
    except OSError as exc:
        err(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
