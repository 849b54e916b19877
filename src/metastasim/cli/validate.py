"""The validate command: the curated model against published findings."""

from __future__ import annotations

import json

import click

from metastasim.cli._common import echo_rows, progress_bar, warmed_up
from metastasim.validation.invivo import INVIVO_CELLS

__all__ = ["validate"]


@click.command()
@click.option(
    "--samples",
    type=click.IntRange(min=10),
    default=10000,
    show_default=True,
    help="Trajectories per arm of each fact (enough that a 2-point change is clear).",
)
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), default=1, show_default=True, help="Random seed.")
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option(
    "--invivo-cells",
    type=click.IntRange(min=20),
    default=INVIVO_CELLS,
    show_default=True,
    help="Working population per stage and arm of the in-vivo (effect-size) facts, splitting estimator.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the table as CSV to this file.")
def validate(samples, seed, threads, invivo_cells, as_json, out) -> None:
    """Simulate every published finding in the curated model's facts and print the score."""

    from metastasim.cascade import load_cascade
    from metastasim.models import load_drugs, load_model
    from metastasim.validation import load_facts
    from metastasim.validation import validate as run

    model, facts, drugs = load_model(), load_facts(), load_drugs()
    warmed_up()
    with progress_bar(len(facts) * 2, "simulating the distinct arms of the facts", True) as progress:
        report = run(
            model,
            facts,
            drugs,
            samples=samples,
            seed=seed,
            threads=threads,
            cascade=load_cascade(),
            progress=progress,
            invivo_cells=invivo_cells,
        )
    table = report.table()
    if out:
        from metastasim.io.files import atomic_write_text

        atomic_write_text(out, table.to_csv(index=False, float_format="%.4g"))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1))
        return
    _print_validation(report, table)


def _print_validation(report, table) -> None:
    """The facts table as plain text (readable in a terminal, a pipe or a log), then the score."""
    view = table.assign(
        perturbation=[p + (f" (on {b})" if b else "") for p, b in zip(table.perturbation, table.baseline)],
        change=[f"{c:+.3f}" for c in table.change],
    )
    columns = ["fact", "context", "perturbation", "readout", "expected", "change", "observed", "status", "reference"]
    click.echo(f"Validation of the curated model against {len(table)} published findings")
    echo_rows([columns] + view[columns].astype(str).values.tolist(), right=(columns.index("change"),))
    unexpected = len(report.unexpected_failures)
    click.echo(
        f"score: {report.reproduced}/{len(table)} findings reproduced ({report.score:.1%}); "
        f"{len(table) - report.reproduced - unexpected} known failures (reasons in facts.yaml), "
        f"{unexpected} unexpected; {report.samples:,} trajectories per arm of cell facts (cascade facts: "
        f"their own cell counts), seed {report.seed}, "
        f"model {report.model_hash}, {report.elapsed:.1f} s"
    )
    if report.invivo:
        _print_invivo(report)


def _print_invivo(report) -> None:
    """The in-vivo (effect-size) facts: published and model log2 ratios, then their score."""

    def signed(x):
        return "n/a" if x is None else f"{x:+.2f}"

    rows = [
        [
            "fact",
            "mode",
            "perturbation",
            "measure",
            "published log2",
            "per cell",
            "model log2 (95% CI)",
            "status",
            "reference",
        ]
    ]
    for r in (r.row() for r in report.invivo):
        low, high = r["model_log2_ci95"]
        bound = ">= " if r["bound"] else ""
        rows.append(
            [
                r["fact"],
                r["mode"],
                r["perturbation"],
                r["measure"],
                bound + signed(r["observed_log2"]),
                bound + signed(r["per_cell_log2"]),
                f"{signed(r['model_log2'])} ({signed(low)} to {signed(high)})",
                r["status"],
                r["reference"],
            ]
        )
    click.echo("")
    click.echo("Effect sizes against published mouse experiments (log2 ratio of metastasis, perturbed / control)")
    echo_rows(rows, right=(4, 5, 6))
    known = sum(r.status == "known failure" for r in report.invivo)
    unexpected = sum(r.status == "FAIL" for r in report.invivo)
    click.echo(
        f"in-vivo score: {report.invivo_passed}/{len(report.invivo)} effect sizes within 2x "
        f"({report.invivo_score:.1%}); {known} known failures (reasons in facts.yaml), {unexpected} unexpected; "
        f"{report.invivo[0].cells:,} cells per stage and arm (splitting), seed {report.seed}"
    )
