"""The robustness command: a screen's ranking across plausible parameter sets."""

from __future__ import annotations

import json

import click

from metastasim.cli._common import (
    cascade_options,
    check_splitting,
    dask_client,
    echo_rows,
    invoked_command,
    load,
    load_spec,
    model_options,
    progress_bar,
    split_list,
    warmed_up,
)

__all__ = ["robustness"]


@click.command()
@model_options
@click.option("--draws", type=click.IntRange(min=1), default=32, show_default=True, help="Parameter sets drawn.")
@click.option(
    "--targets",
    default="all",
    show_default=True,
    metavar="genes|drugs|all|LIST",
    help="Genes, drugs, all, or a comma-separated list of nodes and drugs.",
)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="K of the top-K fraction.")
@click.option(
    "--mode",
    type=click.Choice(["experimental", "spontaneous", "both"]),
    default="both",
    show_default=True,
    help="Cascade mode(s) of each screen; the ranking reads the spontaneous one when both.",
)
@click.option(
    "--cells", type=click.IntRange(min=1), default=1_000_000, show_default=True, help="Experimental cells per arm."
)
@click.option(
    "--spontaneous-cells",
    type=click.IntRange(min=1),
    default=20_000,
    show_default=True,
    help="Working population per stage and arm of the spontaneous cascade (splitting).",
)
@click.option("--replicates", type=int, default=10, show_default=True, help="Replicates of the splitting estimator.")
@click.option("--contexts", metavar="LIST", help="Contexts for the phenotype readout [all; normoxia always].")
@click.option(
    "--samples", type=click.IntRange(min=1), default=2000, show_default=True, help="Trajectories per context."
)
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=1, show_default=True, help="Random seed.")
@click.option(
    "--method", type=click.Choice(["lhs", "sobol"]), default="lhs", show_default=True, help="Design of the draws."
)
@click.option(
    "--tolerance",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="Keep draws whose validation score is at least the nominal score minus this.",
)
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Facts of the behavioural filter [the curated model's, for the curated model; none otherwise].",
)
@click.option("--no-filter", is_flag=True, help="Keep every draw (no validation).")
@click.option(
    "--filter-samples",
    type=click.IntRange(min=10),
    default=2000,
    show_default=True,
    help="Trajectories per arm of the filter's cell facts.",
)
@cascade_options
@click.option(
    "--store",
    default="metastasim-results.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite results store; an ensemble run again with the same settings resumes from it.",
)
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run the tasks on this Dask cluster.")
@click.option("--threads", type=click.IntRange(min=0), help="Threads in this process (0: all cores).")
@click.option("--rows", type=click.IntRange(min=0), default=25, show_default=True, help="Targets printed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--out", type=click.Path(file_okay=False), help="Also write the tables as CSV and the JSON here.")
def robustness(
    model,
    model_option,
    cfg,
    draws,
    targets,
    top,
    mode,
    cells,
    spontaneous_cells,
    replicates,
    contexts,
    samples,
    seed,
    method,
    tolerance,
    facts_file,
    no_filter,
    filter_samples,
    no_alterations,
    cascade_file,
    store,
    scheduler,
    threads,
    rows,
    as_json,
    out,
) -> None:
    """Rank the targets on many plausible parameter sets: how robust is each rank?

    Draws the model's rate parameters and the cascade's pass-rule constants from their
    ranges, keeps the draws that still reproduce the validation facts (within
    --tolerance of the nominal score), screens the targets on each kept draw with the
    same cells and seeds, and reports each target's median rank, the fraction of draws
    that put it in the top K, and its log2 effect with its 5-95% range across draws."""
    from metastasim.models import CURATED, load_drugs
    from metastasim.robustness import draw_parameters, run_robustness
    from metastasim.screen import ScreenParams, singles
    from metastasim.screen.store import ResultStore
    from metastasim.validation import load_facts, read_facts

    m = load(model if model or model_option else CURATED, model_option, cfg)
    spec = load_spec(cascade_file)
    drugs = load_drugs()
    wanted = targets if targets in ("genes", "drugs", "all") else split_list(targets, "--targets")
    singles(m, drugs, wanted)  # unknown targets: one line, before the store is touched
    modes = ("spontaneous", "experimental") if mode == "both" else (mode,)
    if "spontaneous" in modes:
        check_splitting(spontaneous_cells, replicates, "--spontaneous-cells")
    params = ScreenParams(
        modes=modes,
        cells=cells,
        spontaneous_cells=spontaneous_cells,
        replicates=replicates,
        seed=seed,
        contexts=tuple(split_list(contexts, "--contexts")) if contexts else None,
        samples=samples,
        alterations=not no_alterations,
        splitting=("spontaneous",) if "spontaneous" in modes else (),
    ).check(m, spec)
    if no_filter:
        facts = []
    elif facts_file:
        facts = read_facts(facts_file)
    else:
        facts = load_facts() if (model or model_option or CURATED) == CURATED and not cfg else []
    draw_parameters(m, spec, draws, seed=seed, method=method)  # ranges checked before anything is written
    command = invoked_command(click.get_current_context())
    client = dask_client(scheduler) if scheduler else None
    try:
        with ResultStore(store) as db:
            warmed_up()
            with progress_bar(1, "draws x arms", True, unit="tasks") as progress:
                result = run_robustness(
                    m,
                    spec,
                    facts,
                    drugs,
                    draws=draws,
                    targets=wanted,
                    top=top,
                    params=params,
                    tolerance=tolerance,
                    validation_samples=filter_samples,
                    seed=seed,
                    method=method,
                    store=db,
                    client=client,
                    threads=threads,
                    progress=progress,
                    command=command,
                )
    finally:
        if client is not None:
            client.close()
    payload = result.to_dict()
    if out:
        from metastasim.io.files import write_folder

        write_folder(
            out,
            {
                "robustness.json": json.dumps(payload, indent=1) + "\n",
                "targets.csv": result.targets().to_csv(float_format="%.6g"),
                "draws.csv": result.table.join(result.validation).join(result.agreement()).to_csv(float_format="%.6g"),
                "ranks.csv": result.ranks().to_csv(),
            },
        )
    if as_json:
        click.echo(json.dumps(payload, indent=1))
        return
    _print(result, rows)


def _print(result, rows: int) -> None:
    s = result.summary()
    t = result.targets()
    table = [["target", "nominal", "median rank", f"top-{result.top}", "log2 median [5-95%]"]]
    for name, r in t.head(rows).iterrows():
        table.append(
            [
                name,
                str(int(r["nominal_rank"])),
                f"{r['median_rank']:g}",
                f"{r['top_fraction']:.0%}",
                f"{r['log2_median']:+.2f} [{r['log2_low']:+.2f}, {r['log2_high']:+.2f}]",
            ]
        )
    echo_rows(table, right=(1, 2, 3))
    if len(t) > rows:
        click.echo(f"({len(t) - rows} more targets: --rows, --json or --out)")
    click.echo(
        f"\n{s['draws']} draws ({result.method}, seed {result.seed}): {s['kept']} kept, {s['dropped']} dropped "
        f"(validation score below {result.nominal_score:.3f} - {result.tolerance:g}); "
        f"median Kendall tau against the nominal ranking {s['tau_median']:.2f}, "
        f"median top-{result.top} overlap {s['overlap_median']:.0%}; "
        f"{result.computed} tasks computed, the rest from {result.store}"
    )
    dropped = result.dropped
    if len(dropped):
        broken = dropped["broken"].str.split(";").explode()
        counts = broken[broken != ""].value_counts()
        if len(counts):
            click.echo("facts the dropped draws broke: " + ", ".join(f"{k} ({v})" for k, v in counts.head(8).items()))
