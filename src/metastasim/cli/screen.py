"""Screens: the screen command, reading stored runs back (results), and their tables."""

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

__all__ = ["screen", "results"]


@click.command()
@model_options
@click.option(
    "--targets",
    default="all",
    show_default=True,
    metavar="genes|drugs|all|LIST",
    help="Genes (a knock-out of every gene node), drugs (the library), all, or a comma-separated list "
    "of nodes and drugs.",
)
@click.option("--overexpression", is_flag=True, help="Also over-express each gene target.")
@click.option("--pairs", is_flag=True, help="Also every pair of the targets (with Bliss and HSA synergy).")
@click.option(
    "--doses",
    metavar="D1,D2,...",
    help="Also a dose series of each target: drugs at these fractions of their maximal effect, genes "
    "inhibited by these fractions of their activity; fits an IC50.",
)
@click.option(
    "--mode",
    type=click.Choice(["experimental", "spontaneous", "both"]),
    default="both",
    show_default=True,
    help="Cascade mode(s) read; the ranking reads the spontaneous one (the whole cascade) when both.",
)
@click.option(
    "--cells",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="Cells per arm in the experimental cascade (direct estimator, cell by cell).",
)
@click.option(
    "--spontaneous-cells",
    type=click.IntRange(min=1),
    default=20_000,
    show_default=True,
    help="Working population per stage and arm in the spontaneous cascade (splitting estimator).",
)
@click.option(
    "--replicates",
    type=int,
    default=10,
    show_default=True,
    help="Replicates of the splitting estimator, whose pairing with the control's gives the intervals.",
)
@click.option("--contexts", metavar="LIST", help="Contexts for the phenotype readout [all; normoxia always].")
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Trajectories per context (phenotype and normal-cell readouts).",
)
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=1, show_default=True, help="Random seed.")
@cascade_options
@click.option(
    "--store",
    default="metastasim-results.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite results store; a screen run again with the same settings resumes from it.",
)
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run the arms on this Dask cluster.")
@click.option("--threads", type=click.IntRange(min=0), help="Threads in this process (0: all cores).")
@click.option("--top", type=click.IntRange(min=0), default=25, show_default=True, help="Rows of each table printed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--out", type=click.Path(file_okay=False), help="Also write the tables as CSV and the JSON here.")
def screen(
    model,
    model_option,
    cfg,
    targets,
    overexpression,
    pairs,
    doses,
    mode,
    cells,
    spontaneous_cells,
    replicates,
    contexts,
    samples,
    seed,
    no_alterations,
    cascade_file,
    store,
    scheduler,
    threads,
    top,
    as_json,
    out,
) -> None:
    """Rank targets and drugs (and pairs, and doses) by how much they cut metastatic efficiency.

    Every arm is sent through the cascade on the same cells (and, for the
    spontaneous cascade, the same replicates) as the control; its effect is the
    log2 change of the metastatic efficiency with a 95% CI, weighed
    by how well it spares untransformed cells (proliferating and alive in
    normoxia).  Results go to the store as each arm finishes."""
    from metastasim.models import CURATED, load_drugs
    from metastasim.screen import ScreenParams, dose_series, run_screen, singles
    from metastasim.screen import pairs as all_pairs
    from metastasim.screen.store import ResultStore

    m = load(model if model or model_option else CURATED, model_option, cfg)
    spec = load_spec(cascade_file)
    drugs = load_drugs()
    wanted = targets if targets in ("genes", "drugs", "all") else split_list(targets, "--targets")
    arms = singles(m, drugs, wanted, overexpression=overexpression)
    if pairs:
        arms += all_pairs(m, arms)
    if doses is not None:
        arms += dose_series(m, drugs, wanted, split_list(doses, "--doses"))
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
    ).check(m, spec)
    command = invoked_command(click.get_current_context())
    client = dask_client(scheduler) if scheduler else None
    try:
        with ResultStore(store) as db:
            warmed_up()
            with progress_bar(len(arms) + 1, "arms", True, unit="arms") as progress:
                result = run_screen(
                    m, spec, arms, params, store=db, client=client, threads=threads, command=command, progress=progress
                )
    finally:
        if client is not None:
            client.close()
    _report_screen(result, as_json, out, top)


@click.command()
@click.argument("run", required=False)
@click.option(
    "--store",
    default="metastasim-results.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False, exists=True),
    help="SQLite results store.",
)
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
                if p.get("robustness") == "validation":  # a robustness ensemble's behavioural filter of one draw
                    what = [f"{p['samples']:,} samples", str(p["seed"]), f"validation of draw {p['draw']}"]
                else:
                    what = [f"{p['cells']:,}", str(p["seed"]), ",".join(p["modes"])]
                rows.append([str(r["id"]), r["key"][:8], r["created"], r["model"], str(r["arms"]), *what])
            echo_rows(rows, right=(0, 4, 5, 6))
            if not runs:
                click.echo(f"(no runs in {store})")
            return
        result = load_result(db, run)
    if csv_file:
        from metastasim.io.files import atomic_write_text

        atomic_write_text(csv_file, result.ranking().to_csv(float_format="%.6g"))
    _report_screen(result, as_json, out, top)


def _report_screen(result, as_json: bool, out: str | None, top: int) -> None:
    """Write the screen's tables (``--out``) and print them, or its JSON."""
    payload = result.to_dict()
    if out:
        from metastasim.io.files import write_folder

        write_folder(
            out,
            {
                "screen.json": json.dumps(payload, indent=1) + "\n",
                "ranking.csv": result.ranking().to_csv(float_format="%.6g"),
                "synergy.csv": result.synergy().to_csv(float_format="%.6g"),
                "doses.csv": result.dose_response().to_csv(index=False, float_format="%.6g"),
                "ic50.csv": result.ic50().to_csv(float_format="%.6g"),
                "phenotypes.csv": result.phenotypes().to_csv(index=False, float_format="%.4g"),
                **(
                    {"stages.csv": result.stage_effects().to_csv(index=False, float_format="%.6g")}
                    if result.stages_mode
                    else {}
                ),
            },
            stale=("stages.csv",),
        )
    if as_json:
        click.echo(json.dumps(payload, indent=1))
        return
    _print_screen(result, top)


def _print_screen(result, top: int) -> None:
    p, mode = result.params, result.rank_mode
    sizes = ", ".join(
        f"{p.cells_of(m):,} {'clones per stage' if p.estimator_of(m) == 'splitting' else 'cells'} ({m})"
        for m in p.modes
    )
    click.echo(
        f"screen run {result.run_id} ({result.run_key[:8]}) in {result.store}: {len(result.arms)} arms, "
        f"{result.computed} simulated now; {sizes}, {p.samples} trajectories per context, seed {p.seed}"
    )
    ctrl = result.effect("control", mode)
    if p.estimator_of(mode) == "splitting":
        interval = (
            f"95% CI {ctrl.efficiency_low:.3g} to {ctrl.efficiency_high:.3g}"
            if ctrl.efficiency > 0
            else "no clone got through"
        )
        click.echo(
            f"control: metastatic efficiency {ctrl.efficiency:.3g} ({interval}; {mode}, splitting: "
            f"{p.cells_of(mode):,} clones per stage in {p.replicates} replicates)"
        )
    else:
        click.echo(f"control: {ctrl.metastatic:,.0f} metastatic cells of {p.cells_of(mode):,} ({mode})")
    ranking = result.ranking()
    click.echo(
        f"\nsingle targets, best first (score = metastases prevented x normal cells spared; top {top} of "
        f"{len(ranking)})"
    )
    others = [m for m in p.modes if m != mode]
    rows = [
        ["rank", "arm", f"log2 change ({mode})", "95% CI", "prevented", "normal cells spared", "score"]
        + [f"log2 change ({m}, 95% CI)" for m in others]
    ]

    def fmt(x: float, spec: str) -> str:  # undefined (no metastatic or normal cell in the control): "-"
        return "-inf" if x == float("-inf") else (format(x, spec) if x == x and abs(x) != float("inf") else "-")

    for arm, r in ranking.head(top).iterrows():
        none_left = r[f"{mode}_lfc"] == float("-inf")  # splitting: no clone of the arm got through
        rows.append(
            [
                str(r["rank"]),
                arm,
                fmt(r[f"{mode}_lfc"], "+.2f"),
                "none left"
                if none_left
                else f"{fmt(r[f'{mode}_lfc_low'], '+.2f')} to {fmt(r[f'{mode}_lfc_high'], '+.2f')}",
                fmt(r["prevented"], ".0%"),
                fmt(r["spared"], ".0%"),
                fmt(r["score"], ".3f"),
            ]
            + [
                f"{fmt(r[f'{m}_lfc'], '+.2f')} ({fmt(r[f'{m}_lfc_low'], '+.1f')} to {fmt(r[f'{m}_lfc_high'], '+.1f')})"
                for m in others
            ]
        )
    echo_rows(rows, right=(0, 2, 4, 5, 6, 7))
    _print_synergy(result, top)
    _print_ic50(result)
    _print_stage_effects(result, ranking.head(top).index)


def _print_synergy(result, top: int) -> None:
    """The pairs, most synergistic first (Bliss and HSA excess with their 95% CIs)."""
    syn = result.synergy()
    if not len(syn):
        return
    click.echo(f"\npairs, most synergistic first (efficiency as a fraction of the control's; top {top} of {len(syn)})")
    rows = [["pair", "f(a)", "f(b)", "f(pair)", "Bliss excess", "95% CI", "HSA excess", "95% CI"]]
    for pair, r in syn.head(top).iterrows():
        rows.append(
            [
                pair,
                f"{r.f_a:.2f}",
                f"{r.f_b:.2f}",
                f"{r.f_ab:.2f}",
                f"{r.bliss:+.3f}",
                f"{r.bliss_low:+.3f} to {r.bliss_high:+.3f}",
                f"{r.hsa:+.3f}",
                f"{r.hsa_low:+.3f} to {r.hsa_high:+.3f}",
            ]
        )
    echo_rows(rows, right=(1, 2, 3, 4, 6))


def _print_ic50(result) -> None:
    """The dose series' fits: IC50, Hill slope, maximal effect."""
    ic50 = result.ic50()
    if not len(ic50):
        return
    click.echo("\ndose response (IC50: dose halving the metastatic efficiency; '-' if no tested dose did)")
    rows = [["target", "IC50", "Hill slope", "max effect"]]
    for target, r in ic50.iterrows():
        rows.append(
            [
                target,
                "-" if r.ic50 != r.ic50 else f"{'< ' if r.ic50_below else ''}{r.ic50:.3g}",
                "-" if r.hill != r.hill else f"{r.hill:.2g}",
                f"{r.max_effect:.0%}",
            ]
        )
    echo_rows(rows, right=(1, 2, 3))


def _print_stage_effects(result, arms) -> None:
    """Where each of the best targets acts: the log2 change of each stage's pass fraction."""
    table = result.stage_effects()
    if not len(table):
        return
    table = table[table.arm.isin(arms)]
    stages = list(dict.fromkeys(table.stage))
    click.echo(
        f"\nwhere they act: log2 change of each stage's pass fraction ({result.stages_mode} cascade; "
        f"* where the 95% CI excludes 0)"
    )
    rows = [["arm", *stages]]
    for arm in arms:
        cells = []
        for r in table[table.arm == arm].itertuples():
            sure = r.log2_low > 0 or r.log2_high < 0
            cells.append(
                "-"
                if r.log2 != r.log2
                else ("-inf" if r.log2 == float("-inf") else f"{r.log2:+.2f}") + ("*" if sure else "")
            )
        rows.append([arm, *cells])
    echo_rows(rows, right=tuple(range(1, len(stages) + 1)))
