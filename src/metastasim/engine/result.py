"""The outcome of a simulation, with everything needed to reproduce it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from metastasim.errors import NothingToPlotError, UnknownNameError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Result", "state_label", "unpack_states"]


def unpack_states(words: np.ndarray, n: int) -> np.ndarray:
    """``[rows, n]`` booleans (node ``i`` in column ``i``) from packed per-trajectory state words."""
    bits = np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1, bitorder="little")
    return bits[:, :n].astype(bool)


def state_label(code: int | np.ndarray, outputs: tuple[str, ...]) -> str:
    """MaBoSS's name of an output state: the nodes that are on, joined by ``" -- "`` (``"<nil>"``: none).

    ``code`` is an integer (bit ``b`` is ``outputs[b]``) or, past 64 outputs, a row
    of uint64 words (bit ``b % 64`` of word ``b // 64``).
    """
    if isinstance(code, np.ndarray):
        code = sum(int(w) << (64 * i) for i, w in enumerate(code.tolist()))
    code, on = int(code), []
    while code:  # the set bits, lowest first
        low = code & -code
        on.append(outputs[low.bit_length() - 1])
        code ^= low
    return " -- ".join(on) if on else "<nil>"


@dataclass(repr=False)  # a short __repr__ below: the arrays are for code, not for reading
class Result:
    """Probabilities estimated from ``sample_count`` trajectories.

    Time-course probabilities are averages over the windows ``[t, t + time_tick)``
    (MaBoSS's definition); final probabilities are those of the states at
    ``max_time``.

    Attributes
    ----------
    node_ids
        All nodes, in model order.
    outputs
        Nodes over which full states are counted (the model's non-internal nodes
        unless chosen otherwise).
    times
        Start of each time window.
    node_probs
        ``[window, node]`` probability that the node is on.
    final_node_probs
        ``[node]`` probability that the node is on at ``max_time``.
    state_codes, state_probs
        Output states seen (bit ``b`` of a code is ``outputs[b]``) and their
        ``[window, state]`` probabilities; ``None`` when states were not recorded
        (``record_states=False``).  Past 64 outputs a state is a row of uint64
        words (``[state, word]``, bit ``b % 64`` of word ``b // 64``).
    final_state_codes, final_state_counts
        Output states at ``max_time`` (coded as ``state_codes``) and how many
        trajectories ended in each; ``None`` past 64 outputs unless states were
        recorded.
    final_states
        Per-trajectory final states of all nodes, packed 64 per uint64 word
        (``[trajectory, word]``), when asked for; see :meth:`trajectory_states`.
    occupancy, occupancy_nodes, occupancy_window
        When asked for: ``[trajectory, node]`` fraction of ``occupancy_window``
        during which each trajectory had each of ``occupancy_nodes`` on.
    transition_entropy, transition_entropy_se
        When asked for (``entropy=True``): MaBoSS's TH per window, the entropy in
        bits of which non-internal node flips next, averaged over the window and the
        trajectories, and its standard error (MaBoSS's ErrorTH).
    graph_nodes, graph_counts, graph_durations
        When nodes are observed (``in_graph``): ``[from, to]`` number of changes of
        their joint state (code bit ``b`` is ``graph_nodes[b]``) over all
        trajectories, and the mean time spent in ``from`` before each; see
        :meth:`observed_graph`.
    statdist_codes, statdist_probs, statdist_cluster_threshold
        With the setting ``statdist_traj_count``: the output states visited by
        the first trajectories (coded as ``state_codes``) and the
        ``[trajectory, state]`` fraction of ``[0, max_time]`` each spent in each
        (MaBoSS's stationary distributions; see :meth:`statdist`).
    """

    node_ids: tuple[str, ...]
    outputs: tuple[str, ...]
    times: np.ndarray
    node_probs: np.ndarray
    final_node_probs: np.ndarray
    state_codes: np.ndarray | None
    state_probs: np.ndarray | None
    final_state_codes: np.ndarray | None
    final_state_counts: np.ndarray | None
    final_states: np.ndarray | None
    sample_count: int
    seed: int
    max_time: float
    time_tick: float
    discrete_time: bool
    perturbations: tuple[str, ...]
    model_hash: str
    version: str
    n_transitions: int
    elapsed: float
    threads: int
    context: str | None = None
    occupancy: np.ndarray | None = None
    occupancy_nodes: tuple[str, ...] = ()
    occupancy_window: tuple[float, float] | None = None
    transition_entropy: np.ndarray | None = None
    transition_entropy_se: np.ndarray | None = None
    graph_nodes: tuple[str, ...] = ()
    graph_counts: np.ndarray | None = None
    graph_durations: np.ndarray | None = None
    statdist_codes: np.ndarray | None = None
    statdist_probs: np.ndarray | None = None
    statdist_cluster_threshold: float = 1.0

    # -- tables ------------------------------------------------------------
    def node_probabilities(self) -> pd.DataFrame:
        """Window-averaged probabilities, one row per window start, one column per node."""
        return pd.DataFrame(self.node_probs, index=pd.Index(self.times, name="time"), columns=list(self.node_ids))

    def final_nodes(self) -> pd.Series:
        """Probability of each node being on at ``max_time``."""
        return pd.Series(self.final_node_probs, index=list(self.node_ids), name="probability")

    def final_node_se(self) -> pd.Series:
        """Standard errors of :meth:`final_nodes` (binomial)."""
        p = self.final_node_probs
        return pd.Series(np.sqrt(p * (1 - p) / self.sample_count), index=list(self.node_ids), name="se")

    def state_probabilities(self) -> pd.DataFrame:
        """Window-averaged probabilities of output states (columns named as MaBoSS does)."""
        if self.state_probs is None:
            raise ValueError("states were not recorded in this run")
        labels = [state_label(c, self.outputs) for c in self.state_codes]
        return pd.DataFrame(self.state_probs, index=pd.Index(self.times, name="time"), columns=labels)

    def final_state_distribution(self) -> pd.Series:
        """Probability of each output state at ``max_time``, most likely first."""
        if self.final_state_codes is None:
            raise ValueError("final output states were not recorded (more than 64 outputs: record_states=True)")
        probs = self.final_state_counts / self.sample_count
        labels = [state_label(c, self.outputs) for c in self.final_state_codes]
        series = pd.Series(probs, index=labels, name="probability")
        return series.sort_values(ascending=False, kind="stable")

    def observed_graph(self) -> pd.DataFrame:
        """Changes of the observed nodes' joint state, summed over trajectories (MaBoSS's observed graph).

        Rows are the states left, columns the states entered, named as MaBoSS names
        states (:func:`state_label`).
        """
        return self._graph_frame(self.graph_counts)

    def observed_durations(self) -> pd.DataFrame:
        """Mean time spent in each observed state before each change counted in :meth:`observed_graph` (0: none)."""
        return self._graph_frame(self.graph_durations)

    def _graph_frame(self, table: np.ndarray | None) -> pd.DataFrame:
        if table is None:
            raise ValueError("no node was observed in this run: mark nodes in_graph, or simulate with observed=[...]")
        labels = [state_label(c, self.graph_nodes) for c in range(table.shape[0])]
        return pd.DataFrame(table, index=pd.Index(labels, name="from"), columns=pd.Index(labels, name="to"))

    @property
    def state_entropy(self) -> np.ndarray | None:
        """``[window]`` entropy in bits of the output-state distribution (MaBoSS's ``H``); None without states."""
        if self.state_probs is None:
            return None
        p = self.state_probs
        return -np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0), axis=1)

    def statdist(self) -> pd.DataFrame:
        """Stationary distribution of each of the first trajectories: its time fraction in each output state.

        One row per trajectory (numbered from 1, as MaBoSS does), one column per
        output state; set ``statdist_traj_count`` in the settings to get it.
        """
        if self.statdist_probs is None:
            raise ValueError("no stationary distributions: set statdist_traj_count in the settings")
        labels = [state_label(c, self.outputs) for c in self.statdist_codes]
        index = pd.RangeIndex(1, len(self.statdist_probs) + 1, name="trajectory")
        return pd.DataFrame(self.statdist_probs, index=index, columns=labels)

    def statdist_clusters(self) -> pd.Series:
        """The cluster (from 1) of each trajectory of :meth:`statdist`, as MaBoSS clusters them."""
        from metastasim.engine.statdist import cluster_trajectories

        table = self.statdist()
        labels = cluster_trajectories(table.to_numpy(), self.statdist_cluster_threshold)
        return pd.Series(labels, index=table.index, name="cluster")

    def statdist_cluster_summary(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Each cluster's stationary distribution (mean of its trajectories') and its standard error.

        Returns
        -------
        tuple of pandas.DataFrame
            Probabilities and errors, one row per cluster (from 1), one column per
            output state.
        """
        from metastasim.engine.statdist import cluster_distributions

        table = self.statdist()
        mean, error = cluster_distributions(table.to_numpy(), self.statdist_clusters().to_numpy())
        index = pd.RangeIndex(1, len(mean) + 1, name="cluster")
        return (
            pd.DataFrame(mean, index=index, columns=table.columns),
            pd.DataFrame(error, index=index, columns=table.columns),
        )

    def trajectory_states(self) -> pd.DataFrame:
        """Per-trajectory final states (0/1), when the run kept them."""
        if self.final_states is None:
            raise ValueError("run the simulation with keep_final_states=True")
        bits = unpack_states(self.final_states, len(self.node_ids))
        return pd.DataFrame(bits.astype(np.int8), columns=list(self.node_ids))

    # -- provenance ------------------------------------------------------------
    @property
    def trajectories_per_second(self) -> float:
        return self.sample_count / self.elapsed if self.elapsed > 0 else math.inf

    def provenance(self) -> dict:
        return {
            "model_hash": self.model_hash,
            "seed": self.seed,
            "samples": self.sample_count,
            "max_time": self.max_time,
            "time_tick": self.time_tick,
            "discrete_time": self.discrete_time,
            "context": self.context,
            "perturbations": list(self.perturbations),
            "version": self.version,
        }

    def to_dict(self, *, time_course: bool = False) -> dict:
        """Plain data for JSON: provenance, final node and state probabilities."""
        out = self.provenance()
        out["nodes"] = {k: float(v) for k, v in zip(self.node_ids, self.final_node_probs)}
        if self.final_state_codes is not None:
            out["final_states"] = {k: float(v) for k, v in self.final_state_distribution().items()}
        out["transitions"] = int(self.n_transitions)
        if time_course:
            out["time"] = [float(t) for t in self.times]
            out["node_probabilities"] = {
                name: [float(v) for v in self.node_probs[:, i]] for i, name in enumerate(self.node_ids)
            }
        return out

    # -- pictures ------------------------------------------------------------
    def plot_trajectory(self, nodes: Sequence[str] | None = None, *, ax: Axes | None = None) -> Axes:
        """Probability of each node being on over time (window averages), one line per node.

        Parameters
        ----------
        nodes
            Node ids, in legend order (default: the outputs; pass a few for a large
            model).
        ax
            Matplotlib axes to draw on (default: a new figure).

        Returns
        -------
        matplotlib.axes.Axes
            One line per node, its y data the node's column of :meth:`node_probabilities`.

        Examples
        --------
        >>> from metastasim.models import load_model
        >>> from metastasim.engine import simulate
        >>> result = simulate(load_model(), context="er_stress", sample_count=200, seed=1)
        >>> ax = result.plot_trajectory(["ERN1", "XBP1", "DDIT3"])
        >>> [line.get_label() for line in ax.get_lines()]
        ['ERN1', 'XBP1', 'DDIT3']
        """
        from metastasim import plots

        if isinstance(nodes, str):
            raise TypeError(f"nodes: a list of node ids, e.g. [{nodes!r}]")
        nodes = list(self.outputs if nodes is None else nodes)
        unknown = [n for n in nodes if n not in self.node_ids]
        if unknown:
            raise UnknownNameError(f"no node {', '.join(map(repr, unknown))} in this result")
        return plots.trajectory(self.node_probabilities(), nodes, ax=ax)

    def plot_piechart(self, *, top: int = 8, ax: Axes | None = None) -> Axes:
        """The final states of the outputs as a pie: the ``top`` most likely, the rest grouped as "others".

        Parameters
        ----------
        top
            States drawn on their own (the rest make one wedge when more than one is left).
        ax
            Matplotlib axes to draw on (default: a new figure).

        Returns
        -------
        matplotlib.axes.Axes
            Its wedges (``ax.patches``) are labelled with the states, most likely
            first, as :meth:`final_state_distribution` names them.

        Raises
        ------
        NothingToPlotError
            When the run did not count final states (more than 64 outputs).

        Examples
        --------
        >>> from metastasim.models import PHENOTYPES, load_model
        >>> from metastasim.engine import simulate
        >>> result = simulate(load_model(), context="primary", outputs=PHENOTYPES, sample_count=200, seed=1)
        >>> ax = result.plot_piechart(top=4)
        >>> len(ax.patches) <= 5
        True
        """
        from metastasim import plots

        if self.final_state_codes is None:
            raise NothingToPlotError(
                "this run did not count final states (more than 64 outputs): simulate with "
                "outputs= a few nodes, e.g. the phenotypes"
            )
        return plots.piechart(self.final_state_distribution(), top=top, ax=ax)

    def __repr__(self) -> str:
        """One line: what was simulated and how (the arrays stay out of it)."""
        return (
            f"Result(context={self.context!r}, perturbations={self.perturbations!r}, "
            f"sample_count={self.sample_count}, max_time={self.max_time:g}, seed={self.seed}, "
            f"nodes={len(self.node_ids)}, outputs={len(self.outputs)}, model_hash={self.model_hash[:12]!r})"
        )

    def _repr_html_(self) -> str:
        from metastasim.display import summary_html

        facts = {
            "context": self.context or "–",
            "perturbations": ", ".join(self.perturbations) or "none",
            "trajectories": f"{self.sample_count:,}",
            "max time": self.max_time,
            "seed": self.seed,
            "model hash": self.model_hash[:12],
            "version": self.version,
        }
        if self.final_state_codes is not None:
            dist = self.final_state_distribution()
            table, what = dist.head(8).to_frame(), f"final states, {min(8, len(dist))} most likely of {len(dist)}"
        else:
            nodes = self.final_nodes()[list(self.outputs)].sort_values(ascending=False, kind="stable")
            table, what = nodes.head(10).to_frame(), f"outputs most often on at the end, 10 of {len(nodes)}"
        return summary_html("metastasim simulation result", facts, table, caption=what)
