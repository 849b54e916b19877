"""Simulation results in MaBoSS's output files: ``_probtraj.csv``, ``_fp.csv``, ``_statdist.csv``.

The files are laid out as MaBoSS 2 / cmaboss writes them, so that pyMaBoSS,
WebMaBoSS and users' scripts read them:

- ``<prefix>_probtraj.csv``: a header ``Time TH ErrorTH H HD=0`` followed by as many
  ``State Proba ErrorProba`` triples as the most states seen in one window, then
  one line per time window with the states of nonzero probability (tab-separated;
  times and entropies with 4 decimals, probabilities with 6, as MaBoSS);
- ``<prefix>_fp.csv``: ``Fixed Points (n)``, then ``FP Proba State`` and one column
  per node, one line per fixed point reached;
- ``<prefix>_statdist.csv``: the stationary distribution of each of the first
  ``statdist_traj_count`` trajectories, the trajectories of each cluster, and each
  cluster's distribution with its error (empty when ``statdist_traj_count`` is 0,
  as MaBoSS leaves it).

What metastasim does not compute is written so that readers still parse it:
``TH`` and ``ErrorTH`` are ``nan`` unless the result carries the transition
entropy, and ``HD=0`` is 1 (MaBoSS's Hamming-distance columns count distances to
the ``refstate`` nodes; with none, every state is at distance 0).  ``ErrorProba`` is
``sqrt(p (1 - p) / (N - 1))``: MaBoSS's error when trajectories keep their state
through a window, and an upper bound of it otherwise.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from metastasim.io.files import atomic_write_many

if TYPE_CHECKING:  # io does not import the engine: a result comes in, files go out
    from metastasim.engine.result import Result

__all__ = [
    "write_maboss_results",
    "maboss_result_texts",
    "probtraj_text",
    "fp_text",
    "statdist_text",
    "observed_graph_texts",
    "read_probtraj",
    "read_fp",
]


def _fixed(value: float, digits: int) -> str:
    return "nan" if math.isnan(value) else f"{value:.{digits}f}"


def probtraj_text(result: Result) -> str:
    """The ``_probtraj.csv`` text of a result that recorded output states."""
    if result.state_probs is None:
        raise ValueError("the MaBoSS probtraj file needs the output-state table: simulate with record_states=True")
    probs, n = result.state_probs, result.sample_count
    labels = list(result.state_probabilities().columns)
    entropy = result.state_entropy
    th = getattr(result, "transition_entropy", None)
    th_se = getattr(result, "transition_entropy_se", None)
    nan = np.full(len(result.times), np.nan)
    th = nan if th is None else np.asarray(th, float)
    th_se = nan if th_se is None else np.asarray(th_se, float)
    seen = probs > 0
    width = int(seen.sum(axis=1).max(initial=0))
    lines = ["\t".join(["Time", "TH", "ErrorTH", "H", "HD=0"] + ["State", "Proba", "ErrorProba"] * width)]
    for w, t in enumerate(result.times):
        fields = [f"{t:.4f}", _fixed(th[w], 4), _fixed(th_se[w], 4), _fixed(entropy[w], 4), _fixed(1.0, 4)]
        for s in np.flatnonzero(seen[w]).tolist():
            p = float(probs[w, s])
            error = math.sqrt(max(p * (1 - p), 0.0) / (n - 1)) if n > 1 else 0.0
            fields += [labels[s], f"{p:.6f}", f"{error:.6f}"]
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def fp_text(fixed_points: pd.DataFrame) -> str:
    """The ``_fp.csv`` text of a :func:`~metastasim.engine.fixed_points.reached_fixed_points` table."""
    nodes = list(fixed_points.columns[2:])
    lines = [f"Fixed Points ({len(fixed_points)})"]
    if len(fixed_points):
        lines.append("\t".join(["FP", "Proba", "State", *nodes]))
    for k, (_, row) in enumerate(fixed_points.iterrows(), start=1):
        values = [str(int(row[node])) for node in nodes]
        lines.append("\t".join([f"#{k}", f"{row['probability']:g}", row["state"], *values]))
    return "\n".join(lines) + "\n"


def _g10(value: float) -> str:
    return f"{value:.10g}"


def _distribution(probs: np.ndarray, labels: list[str]) -> list[str]:
    return [field for s in np.flatnonzero(probs > 0).tolist() for field in (labels[s], _g10(probs[s]))]


def statdist_text(result: Result) -> str:
    """The ``_statdist.csv`` text (empty without stationary distributions, as MaBoSS)."""
    if result.statdist_probs is None:
        return ""
    table = result.statdist()
    probs, labels = table.to_numpy(), list(table.columns)
    clusters = result.statdist_clusters().to_numpy()
    mean, error = result.statdist_cluster_summary()
    width = int((probs > 0).sum(axis=1).max(initial=0))
    lines = ["\t".join(["Trajectory"] + ["State", "Proba"] * width)]
    lines += ["\t".join([f"#{k + 1}", *_distribution(probs[k], labels)]) for k in range(len(probs))]
    for c in range(1, int(clusters.max(initial=0)) + 1):
        members = np.flatnonzero(clusters == c)
        lines += ["", f"Trajectory[cluster=#{c},size={len(members)}]" + "\tState\tProba" * 4 + " ..."]
        lines += ["\t".join([f"#{k + 1}", *_distribution(probs[k], labels)]) for k in members.tolist()]
    lines += ["", "Cluster" + "\tState\tProba\tErrorProba" * 4 + "..."]
    for c in range(len(mean)):
        m, e = mean.to_numpy()[c], error.to_numpy()[c]
        fields = [f for s in np.flatnonzero(m > 0).tolist() for f in (labels[s], _g10(m[s]), _g10(e[s]))]
        lines.append("\t".join([f"#{c + 1}", *fields]))
    return "\n".join(lines) + "\n"


def observed_graph_texts(result: Result) -> tuple[str, str]:
    """MaBoSS's ``_observed_graph.csv`` and ``_observed_durations.csv``: empty when no node was observed.

    A square table over every state of the observed (``in_graph``) nodes, named as
    MaBoSS names them, in MaBoSS's order: the number of changes from the row's state
    to the column's, summed over trajectories, and the mean time spent in the row's
    state before each (0 where none happened).
    """
    if result.graph_counts is None:
        return "", ""
    counts, durations = result.observed_graph(), result.observed_durations()
    header = "\t".join(["State", *counts.columns]) + "\n"

    def table(frame: pd.DataFrame, cell) -> str:
        rows = ("\t".join([label, *(cell(v) for v in row)]) for label, row in zip(frame.index, frame.to_numpy()))
        return header + "".join(r + "\n" for r in rows)

    return table(counts, lambda v: str(int(v))), table(durations, lambda v: f"{v:.6g}")


def maboss_result_texts(result: Result, prefix: str, fixed_points: pd.DataFrame | None = None) -> dict[str, str]:
    """File name -> text of the MaBoSS output files of ``result`` (``_fp.csv`` only with ``fixed_points``)."""
    graph, durations = observed_graph_texts(result)
    files = {
        f"{prefix}_probtraj.csv": probtraj_text(result),
        f"{prefix}_statdist.csv": statdist_text(result),
        f"{prefix}_observed_graph.csv": graph,
        f"{prefix}_observed_durations.csv": durations,
    }
    if fixed_points is not None:
        files[f"{prefix}_fp.csv"] = fp_text(fixed_points)
    return files


def write_maboss_results(
    result: Result, folder: str | os.PathLike, prefix: str, *, fixed_points: pd.DataFrame | None = None
) -> list[str]:
    """Write ``result`` into ``folder`` as the files MaBoSS writes.

    ``<prefix>_probtraj.csv``, ``_statdist.csv``, ``_fp.csv``, ``_observed_graph.csv``
    and ``_observed_durations.csv`` (the last two empty when no node is ``in_graph``,
    as MaBoSS leaves them).

    Parameters
    ----------
    result
        A result with its output-state table (``record_states=True``).
    folder
        Where to write (created if missing); the files are written all or none.
    prefix
        File-name prefix, as MaBoSS's ``-o`` option.
    fixed_points
        A :func:`~metastasim.engine.fixed_points.reached_fixed_points` table; the
        ``_fp.csv`` file is written only with it.

    Returns
    -------
    list of str
        The paths written.
    """
    texts = maboss_result_texts(result, prefix, fixed_points)
    paths = {Path(folder) / name: text for name, text in texts.items()}
    atomic_write_many(paths)
    return sorted(str(p) for p in paths)


def read_probtraj(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read a MaBoSS ``_probtraj.csv``.

    Returns
    -------
    tuple of pandas.DataFrame
        The per-window columns before the first ``State`` (``TH``, ``ErrorTH``,
        ``H``, ``HD=…``), the state probabilities and their errors (``[time,
        state]``, 0 where a state is not listed), all indexed by time.
    """
    lines = Path(path).read_text().splitlines()
    header = lines[0].split("\t")
    first = header.index("State")
    rows = [line.split("\t") for line in lines[1:] if line]
    times = pd.Index([float(r[0]) for r in rows], name="Time")
    head = pd.DataFrame([[float(v) for v in r[1:first]] for r in rows], index=times, columns=header[1:first])
    probs: list[dict[str, float]] = []
    errors: list[dict[str, float]] = []
    for r in rows:
        triples = r[first:]
        probs.append({triples[i]: float(triples[i + 1]) for i in range(0, len(triples), 3)})
        errors.append({triples[i]: float(triples[i + 2]) for i in range(0, len(triples), 3)})
    return (
        head,
        pd.DataFrame(probs, index=times).fillna(0.0),
        pd.DataFrame(errors, index=times).fillna(0.0),
    )


def read_fp(path: str | os.PathLike) -> pd.DataFrame:
    """Read a MaBoSS ``_fp.csv``: one row per fixed point (``FP``, ``Proba``, ``State``, one column per node)."""
    lines = Path(path).read_text().splitlines()
    if len(lines) < 2:
        return pd.DataFrame(columns=["FP", "Proba", "State"])
    header = lines[1].split("\t")
    rows = [line.split("\t") for line in lines[2:] if line]
    table = pd.DataFrame(rows, columns=header)
    table["Proba"] = table["Proba"].astype(float)
    for node in header[3:]:
        table[node] = table[node].astype(int)
    return table
