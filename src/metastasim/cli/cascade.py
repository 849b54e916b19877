"""The cascade command and its tables."""

from __future__ import annotations

import json

import click

from metastasim.cli._common import (
    cascade_options,
    check_splitting,
    echo_rows,
    load,
    load_spec,
    model_options,
    node_options,
    pct,
    perturbations,
    progress_bar,
    warmed_up,
)

__all__ = ["cascade"]


@click.command()
@model_options
@node_options
@click.option(
    "--mode",
    type=click.Choice(["experimental", "spontaneous"]),
    default="experimental",
    show_default=True,
    help="Cells injected into the circulation, or leaving the primary tumour.",
)
@click.option(
    "--cells",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Cells sent through the cascade (splitting: the working population of every stage, shared "
    "among the replicates).",
)
@click.option(
    "--estimator",
    type=click.Choice(["auto", "direct", "splitting"]),
    default="auto",
    show_default=True,
    help="direct: count the cells that pass every stage; splitting: weighted clones resampled between "
    "stages (for rare outcomes); auto: splitting for the spontaneous mode, direct for the "
    "experimental one.",
)
@click.option(
    "--replicates",
    type=int,
    default=10,
    show_default=True,
    help="Splitting: independent replicates, whose spread gives the intervals (at least 2).",
)
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), default=1, show_default=True, help="Random seed.")
@click.option(
    "--from-stage",
    metavar="STAGE",
    help="Give the drugs (--drug) only from this stage on, e.g. after dissemination; "
    "--ko/--oe/--inhibit always apply throughout.",
)
@cascade_options
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=1 << 16,
    show_default=True,
    help="Cells per chunk (bounds memory; results do not depend on it).",
)
@click.option("--threads", type=click.IntRange(min=0), help="Threads (0: all cores); results do not depend on it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--out", type=click.Path(file_okay=False), help="Also write the tables as CSV and the JSON here.")
def cascade(
    model,
    model_option,
    cfg,
    drug,
    ko,
    oe,
    inhibit,
    mode,
    cells,
    estimator,
    replicates,
    seed,
    from_stage,
    no_alterations,
    cascade_file,
    chunk_size,
    threads,
    as_json,
    out,
) -> None:
    """Send a population of cells through the metastatic cascade and count who gets through.

    Prints, per stage, the cells entering and passing with 95% CIs, the metastatic
    efficiency, the phenotypes of the survivors and which heritable alterations are
    enriched among metastasis-forming cells."""
    from metastasim.cascade import compare_anchors, default_estimator, run_cascade
    from metastasim.models import CURATED

    estimator = default_estimator(mode) if estimator == "auto" else estimator
    if estimator == "splitting":
        check_splitting(cells, replicates, "--cells")
    m = load(model if model or model_option else CURATED, model_option, cfg)
    spec = load_spec(cascade_file)
    spec.check(m)
    stages = spec.mode(mode).stages
    if from_stage is not None:
        if not drug:
            raise click.UsageError("--from-stage needs at least one --drug")
        if from_stage not in stages:
            raise click.UsageError(
                f"--from-stage: mode {mode} has no stage {from_stage!r}; stages: {', '.join(stages)}"
            )
    drugs = perturbations(m, (), (), (), (), drug)
    others = perturbations(m, ko, oe, inhibit, ())
    whole, treatment = (others, drugs) if from_stage else (drugs + others, [])
    warmed_up()
    label = "clone-steps" if estimator == "splitting" else "cells through the cascade"
    with progress_bar(cells, label, cells >= 20_000) as progress:
        result = run_cascade(
            m,
            spec,
            mode=mode,
            cells=cells,
            seed=seed,
            perturbations=whole,
            treatment=treatment,
            treatment_from=from_stage,
            alterations=not no_alterations,
            chunk_size=chunk_size,
            threads=threads,
            progress=progress,
            estimator=estimator,
            replicates=replicates,
        )
    payload = {"model": m.name, **result.to_dict(), "anchors": compare_anchors(spec, result)}
    if out:
        from metastasim.io.files import write_folder

        write_folder(
            out,
            {
                "cascade.json": json.dumps(payload, indent=1) + "\n",
                "stages.csv": result.stage_table().to_csv(float_format="%.6g"),
                "phenotypes.csv": result.phenotype_table().to_csv(index_label="phenotype", float_format="%.4f"),
                "enrichment.csv": result.enrichment().to_csv(float_format="%.6g"),
            },
            stale=(),
        )
    if as_json:
        click.echo(json.dumps(payload, indent=1))
        return
    if estimator == "splitting":
        _print_splitting(m, result, payload["anchors"])
    else:
        _print_cascade(m, result, payload["anchors"])


def _treated_with(result) -> str:
    """The perturbations of a cascade run, in words."""
    perts = ", ".join(result.perturbations + tuple(f"{t} from {result.treatment_from}" for t in result.treatment))
    return perts or "none"


def _print_tail(result, anchors, metastatic: str, enriched_among: str) -> None:
    """What both estimators print after their stage table: efficiency, anchors, phenotypes, enrichment."""
    lo, hi = result.efficiency_ci95
    click.echo(f"metastatic efficiency: {pct(result.efficiency)} (95% CI {pct(lo)}-{pct(hi)}; {metastatic})")
    if anchors:
        cited = sorted({a["citation"] or a["reference"] for a in anchors})
        click.echo(
            f"calibration ({'; '.join(cited)}): "
            + "; ".join(f"{a['stage']} {pct(a['simulated'])} vs {pct(a['measured'])} measured" for a in anchors)
        )
    click.echo("\nphenotypes of the survivors of each stage (fraction with the node on)")
    click.echo(result.phenotype_table().to_string(float_format="{:.2f}".format))
    enrich = result.enrichment()
    if len(enrich):
        click.echo(f"\nheritable alterations among {enriched_among}")
        rows = [["alteration", "node", "change", "frequency", "in metastases", "odds ratio", "95% CI"]]
        for aid, r in enrich.iterrows():
            rows.append(
                [
                    aid,
                    r.node,
                    r.change,
                    pct(r.frequency),
                    pct(r.frequency_metastatic),
                    "-" if r.odds_ratio != r.odds_ratio else f"{r.odds_ratio:.2f}",
                    f"{r.ci95_low:.2f}-{r.ci95_high:.2f}",
                ]
            )
        echo_rows(rows, right=(3, 4, 5, 6))


def _print_splitting(model, result, anchors) -> None:
    """Plain-text tables of a splitting run: estimated fractions with their 95% CIs."""
    click.echo(
        f"{model.name}: {result.mode} cascade, splitting estimator: {result.cells:,} clones per stage in "
        f"{result.replicates} replicates, seed {result.seed}, perturbations: {_treated_with(result)} "
        f"({result.elapsed:.1f} s on {result.threads} threads)"
    )
    rows = [["stage", "context", "fraction", "95% CI", "of all cells", "95% CI", "ESS"]]
    for name, r in result.stage_table().iterrows():
        rows.append(
            [
                name,
                r.context,
                pct(r.fraction),
                f"{pct(r.ci95_low)}-{pct(r.ci95_high)}",
                pct(r.cumulative),
                f"{pct(r.cumulative_low)}-{pct(r.cumulative_high)}",
                f"{r.ess:,.0f}",
            ]
        )
    echo_rows(rows, right=(2, 4, 6))
    _print_tail(result, anchors, f"{result.replicates} replicates", "metastasis-forming cells (weighted)")


def _print_cascade(model, result, anchors) -> None:
    """Plain-text tables: stages, efficiency, anchors, survivors' phenotypes, enrichment."""
    click.echo(
        f"{model.name}: {result.mode} cascade, {result.cells:,} cells, seed {result.seed}, "
        f"perturbations: {_treated_with(result)} ({result.elapsed:.1f} s on {result.threads} threads)"
    )
    rows = [["stage", "context", "entered", "passed", "fraction", "95% CI", "of all cells"]]
    for s in result.stages:
        lo, hi = s.ci95
        rows.append(
            [
                s.name,
                s.context,
                f"{s.entered:,}",
                f"{s.passed:,}",
                pct(s.fraction),
                f"{pct(lo)}-{pct(hi)}" if s.entered else "-",
                pct(s.passed / result.cells),
            ]
        )
    echo_rows(rows, right=(2, 3, 4, 6))
    _print_tail(
        result,
        anchors,
        f"{result.metastatic:,} of {result.cells:,} cells",
        f"the {result.metastatic:,} metastasis-forming cells",
    )
