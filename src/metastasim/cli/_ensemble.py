"""``metastasim simulate --ensemble A.bnet B.bnet …``: several models over the same nodes as one ensemble.

As MaBoSS's ``--ensemble``: the models are given as arguments, ``--cfg`` applies to each
of them, the trajectories are shared among the models (equally, or at random with
``--random-sampling``), and ``--individual`` (MaBoSS's ``--save-individual``) adds each
model's own result: printed after the combined one, under ``"individual"`` in
``--json``, and written to ``--out`` as ``model_<i>_<file>`` beside the combined files
(``<i>`` counts from 0 in the order given, as MaBoSS's ``_model_<i>_`` files).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from metastasim.cli._common import load, perturbations, progress_bar, warmed_up

__all__ = ["ensemble_options", "simulate_ensemble"]


def ensemble_options(f):
    """The extra MODEL arguments and --ensemble, --individual, --random-sampling of ``simulate``."""
    f = click.option(
        "--random-sampling",
        is_flag=True,
        help="With --ensemble: each trajectory runs a model drawn at random (default: equal shares).",
    )(f)
    f = click.option(
        "--individual",
        "--save-individual",
        "individual",
        is_flag=True,
        help="With --ensemble: also print (and write with --out) each model's own result.",
    )(f)
    f = click.option(
        "--ensemble",
        is_flag=True,
        help="Simulate the MODEL arguments (same nodes) as one ensemble, as MaBoSS --ensemble.",
    )(f)
    return click.argument("more_models", nargs=-1, metavar="[MODEL]...")(f)


class _Ensemble:
    """What the result writers read of a model (name, nodes, size), for the ensemble as a whole."""

    def __init__(self, models, labels):
        self.name = f"ensemble of {len(models)} model{'s' if len(models) != 1 else ''}"
        self.nodes = models[0].nodes
        self.labels = labels

    def __len__(self) -> int:
        return len(self.nodes)


def _specs(params: dict) -> list[str]:
    """The ensemble's model files, after checking the options that go with --ensemble."""
    if not params["ensemble"]:
        if params["more_models"]:
            raise click.UsageError("several MODELs given: add --ensemble to simulate them as one ensemble")
        flag = "--individual" if params["individual"] else "--random-sampling"
        raise click.UsageError(f"{flag} goes with --ensemble")
    if params["out_format"] != "metastasim":
        raise click.UsageError("--format maboss writes one model's results: not available with --ensemble")
    if params["model_option"] is not None:
        raise click.UsageError("--ensemble takes its models as MODEL arguments, not --model")
    specs = [s for s in (params["model"], *params["more_models"]) if s is not None]
    if not specs:
        raise click.UsageError("--ensemble needs MODEL files")
    return specs


def simulate_ensemble(params: dict) -> None:
    """Run ``simulate --ensemble`` with the command's parsed ``params``."""
    from metastasim.engine import simulate_ensemble as run

    specs = _specs(params)
    models = [load(spec, None, params["cfg"]) for spec in specs]
    context = params["context"]
    if context is not None:
        for m in models:
            m.context(context)  # an unknown context fails before any work
    p = params
    perts = perturbations(models[0], p["ko"], p["oe"], p["inhibit"], p["set_"], p["drug"])
    settings = models[0].settings.with_(sample_count=p["samples"], max_time=p["max_time"], seed=p["seed"])
    warmed_up()
    long_run = settings.sample_count * len(models[0]) * settings.max_time > 2e7
    with progress_bar(settings.sample_count, "simulating the ensemble", long_run) as progress:
        ens = run(
            models,
            perts,
            context=context,
            sample_count=p["samples"],
            max_time=p["max_time"],
            time_tick=p["time_tick"],
            discrete_time=p["discrete_time"],
            seed=p["seed"],
            threads=p["threads"],
            record_states=True if p["states"] else None,
            random_sampling=p["random_sampling"],
            labels=specs,
            progress=progress,
        )
    view = _Ensemble(models, specs)
    out, individual = p["out"], p["individual"]
    files = _files(view, models, ens, individual) if out else {}
    if out:
        from metastasim.io.files import write_folder

        write_folder(out, files, stale=_stale(out))
    if p["as_json"]:
        payload = _payload(view, models, ens, individual)
        if out:
            payload["files"] = sorted(str(Path(out) / name) for name in files)
        click.echo(json.dumps(payload, indent=1))
    else:
        _print(view, models, ens, individual, out and sorted(files))


def _combined_json(view, ens) -> dict:
    from metastasim.cli.network import _json_result

    return {**_json_result(view, ens.combined), "ensemble": ens.to_dict()}


def _individual_json(model, label, result) -> dict:
    from metastasim.cli.network import _json_result

    return {"file": label, **_json_result(model, result)}


def _payload(view, models, ens, individual: bool) -> dict:
    payload = _combined_json(view, ens)
    if individual:
        payload["individual"] = [
            None if r is None else _individual_json(m, label, r)
            for m, label, r in zip(models, ens.labels, ens.individual)
        ]
    return payload


def _files(view, models, ens, individual: bool) -> dict[str, str]:
    from metastasim.cli.network import _result_files

    files = _result_files(view, ens.combined)
    files["result.json"] = json.dumps(_combined_json(view, ens), indent=1) + "\n"
    if individual:
        for i, (m, label, r) in enumerate(zip(models, ens.labels, ens.individual)):
            if r is None:
                continue
            own = _result_files(m, r)
            own["result.json"] = json.dumps(_individual_json(m, label, r), indent=1) + "\n"
            files.update({f"model_{i}_{name}": text for name, text in own.items()})
    return files


def _stale(out: str) -> tuple[str, ...]:
    """Result files an earlier run may have left in ``out``: the plain ones and every model's."""
    from metastasim.cli.network import _RESULT_FILES

    folder = Path(out)
    earlier = [q.name for q in folder.glob("model_*_*")] if folder.is_dir() else []
    return _RESULT_FILES + tuple(n for n in earlier if n.split("_", 2)[-1] in _RESULT_FILES)


def _print(view, models, ens, individual: bool, written) -> None:
    from metastasim.cli.network import _print_result

    how = "random shares" if ens.random_sampling else "equal shares"
    shares = ", ".join(f"{label} ({n:,})" for label, n in zip(ens.labels, ens.counts.tolist()))
    click.echo(f"{view.name}, trajectories in {how}: {shares}")
    _print_result(view, ens.combined, None if individual else written)
    if individual:
        for i, (m, label, r) in enumerate(zip(models, ens.labels, ens.individual)):
            click.echo(f"\nmodel {i}: {label}" + (" (no trajectories)" if r is None else ""))
            if r is not None:
                _print_result(m, r, None)
        if written:
            click.echo("wrote " + ", ".join(written))
