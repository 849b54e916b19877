"""Stationary distributions of single trajectories and their clusters, as MaBoSS's ``statdist``.

A trajectory's stationary distribution is the fraction of ``[0, max_time]`` it
spends in each output state.  MaBoSS estimates it for the first
``statdist_traj_count`` trajectories and clusters them: the similarity of two
distributions ``p`` and ``q`` is ``(sum of p over the states q visits) * (sum of q
over the states p visits)``; two trajectories whose similarity reaches
``statdist_cluster_threshold`` join one cluster, and clusters are closed under that
relation (the connected components of the similarity graph), numbered by their
first trajectory.  A cluster's distribution is the mean of its members'
distributions, with the standard error of that mean.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from metastasim.engine.chunks import Outputs, SimulationRun
from metastasim.engine.kernel import MAX_NODES_PER_WORD, STATES_RECORD, STATES_RECORD_WIDE
from metastasim.engine.wide_states import _rebuild, key_words, output_keys

__all__ = ["trajectory_distributions", "cluster_trajectories", "cluster_distributions"]

_SIMILARITY_SLACK = 1e-12  # sums of time fractions that should be 1 may fall short by rounding


def trajectory_distributions(run: SimulationRun, out_bit: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The output states visited and ``[trajectory, state]`` time fractions of ``run``'s first ``count`` trajectories.

    The trajectories are simulated again from their own random streams, so they are
    exactly those of ``run``; ``out_bit`` gives each node's output number (-1: none).
    States are codes, or rows of words past 64 outputs, in numeric order.
    """
    n_out = int((out_bit >= 0).sum())
    wide = n_out > MAX_NODES_PER_WORD
    again = SimulationRun(
        run.cm,
        run.settings,
        out_bit,
        STATES_RECORD_WIDE if wide else STATES_RECORD,
        run.n_threads,
        run.stream,
        run.first,
        run.initial_states,
        run.trajectory_forcing,
        run.trajectory_ids,
        run.occ_slot,
        run.occ_window,
    )
    cap = 64
    while True:
        out = Outputs(count, again.n_words, cap, again.n_occ)
        again.block(0, count, out)
        longest = int(out.rec_n[:count].max(initial=0))
        if longest <= cap:
            break
        cap = longest
    if wide:
        keys = np.zeros((count, cap, key_words(n_out)), np.uint64)
        _rebuild(out.rec_code, out.rec_n, count, cap, output_keys(out.final_words[:count], again.recorded.out_nodes),
                 again.recorded.out_slot, keys)  # fmt: skip
    max_time = float(run.settings.max_time)
    per_traj: list[dict] = []
    for k in range(count):
        m = int(out.rec_n[k])
        times = out.rec_time[k, :m]
        spans = np.append(times[1:], max_time) - times
        fractions: dict = {}
        for j in np.flatnonzero(spans > 0).tolist():
            key = keys[k, j].tobytes() if wide else int(out.rec_code[k, j])
            fractions[key] = fractions.get(key, 0.0) + spans[j] / max_time
        per_traj.append(fractions)
    return _table(per_traj, key_words(n_out) if wide else 0)


def _table(per_traj: list[dict], n_kw: int) -> tuple[np.ndarray, np.ndarray]:
    """States in numeric order and the ``[trajectory, state]`` matrix of per-trajectory fractions."""
    seen = sorted({key for one in per_traj for key in one}, key=lambda key: _as_int(key))
    column = {key: i for i, key in enumerate(seen)}
    probs = np.zeros((len(per_traj), len(seen)))
    for k, one in enumerate(per_traj):
        for key, p in one.items():
            probs[k, column[key]] = p
    if n_kw:
        codes = np.array([np.frombuffer(key, np.uint64) for key in seen], np.uint64).reshape(len(seen), n_kw)
    else:
        codes = np.array(seen, np.uint64)
    return codes, probs


def _as_int(key) -> int:
    return int.from_bytes(key, "little") if isinstance(key, bytes) else key


def cluster_trajectories(probs: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster number (from 1, in order of first trajectory) of each row of ``probs``.

    Parameters
    ----------
    probs
        ``[trajectory, state]`` stationary distributions.
    threshold
        Similarity from which two trajectories are linked (MaBoSS's
        ``statdist_cluster_threshold``).

    Returns
    -------
    numpy.ndarray
        ``[trajectory]`` cluster numbers.
    """
    support = (probs > 0).astype(np.float64)
    shared = probs @ support.T  # shared[i, j]: the mass of i on the states j visits
    similarity = shared * shared.T
    linked = csr_matrix(similarity >= threshold - _SIMILARITY_SLACK)
    _, labels = connected_components(linked, directed=False)
    first_seen = {}
    for label in labels.tolist():
        first_seen.setdefault(label, len(first_seen) + 1)
    return np.array([first_seen[label] for label in labels.tolist()], np.int64)


def cluster_distributions(probs: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cluster's mean distribution and the standard error of that mean, ``[cluster, state]`` each.

    As MaBoSS: the error is ``sqrt((mean(p**2) - mean(p)**2) / (size - 1))``, 0 for a
    cluster of one trajectory.
    """
    n_clusters = int(clusters.max(initial=0))
    mean = np.zeros((n_clusters, probs.shape[1]))
    error = np.zeros_like(mean)
    for c in range(1, n_clusters + 1):
        members = probs[clusters == c]
        size = len(members)
        mean[c - 1] = members.mean(axis=0)
        if size > 1:
            var = ((members**2).mean(axis=0) - mean[c - 1] ** 2) / (size - 1)
            error[c - 1] = np.sqrt(np.where(var > np.finfo(float).tiny ** 2, var, 0.0))
    return mean, error
