"""The report command: the whole analysis of the curated model as one HTML file."""

from __future__ import annotations

import json

import click

from metastasim.cli._common import parts_progress, warmed_up

__all__ = ["report"]


@click.command()
@click.option(
    "--out",
    default="report",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for index.html (one self-contained file), summary.json and the screen's results.sqlite.",
)
@click.option(
    "--quick", is_flag=True, help="Fewer cells, trajectories, pairs and doses; the validation keeps its defaults."
)
@click.option(
    "--cells",
    type=click.IntRange(min=1000),
    metavar="N",
    help="Clones per stage in each cascade mode's funnel (splitting) [40,000; --quick: 10,000]; the screen's "
    "arms take 6,000 (spontaneous) and 3,000 (experimental) [--quick: 2,000 and 1,000].",
)
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=1, show_default=True, help="Random seed.")
@click.option(
    "--store",
    type=click.Path(dir_okay=False),
    help="SQLite results store for the screen [OUT/results.sqlite]; a second run resumes from it.",
)
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json (headline numbers, provenance) instead.")
def report(out, quick, cells, seed, store, threads, as_json) -> None:
    """Run the whole analysis of the curated model and write it as one HTML report.

    The model's network and evidence, phenotypes across contexts and time courses of
    the UPR and glutamine metabolism, the cascade in both modes with its calibration
    and enriched alterations, a screen of every target and drug (pairs, doses), the
    validation against published findings, and how to reproduce it all."""

    from metastasim.report import build_report
    from metastasim.report.analysis import ReportSettings

    settings = ReportSettings.preset(quick=quick, cells=cells, seed=seed)
    warmed_up()
    with parts_progress() as progress:
        _, path = build_report(
            out, settings, store=store, threads=threads, command=settings.command(), progress=progress
        )
    written = (path.parent / "summary.json").read_text(encoding="utf-8")  # the headline numbers, computed once
    if as_json:
        click.echo(written, nl=False)
        return
    s = json.loads(written)["summary"]
    click.echo(f"metastasim report: {path} ({path.stat().st_size / 1e6:.1f} MB, {s['elapsed']:.0f} s)")
    click.echo(f"  validation: {s['reproduced']}/{s['facts']} published findings reproduced ({s['score']:.1%})")
    for mode, e in s["efficiency"].items():
        click.echo(f"  metastatic efficiency ({mode}): {e['efficiency']} (95% CI {e['ci']}; {e['size']})")
    click.echo(
        f"  best targets of {s['arms']} screened arms: "
        + "; ".join(f"{t['arm']} (prevents {t['prevented']}, spares {t['spared']})" for t in s["top"][:3])
    )
    click.echo(f"  open it in a browser: {path.resolve().as_uri()}")
