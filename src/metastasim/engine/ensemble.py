"""Ensembles of models, as MaBoSS's ``--ensemble`` simulates them.

An ensemble is a list of models over the same nodes (typically the many Boolean
models that fit the same data).  Its ``sample_count`` trajectories are shared among
the models, each trajectory running one model; the combined probabilities are those
of all trajectories together, that is the mixture of the models' probabilities
weighted by their shares of the trajectories.

Examples
--------
>>> from metastasim.io import parse_bnet
>>> from metastasim.engine import simulate_ensemble
>>> a = parse_bnet("A, A\\nB, A")
>>> b = parse_bnet("A, A\\nB, !A")
>>> ens = simulate_ensemble([a, b], sample_count=1000, max_time=5, seed=1)
>>> ens.counts.tolist()
[500, 500]
>>> round(float(ens.combined.final_nodes()["B"]), 1)  # B copies A in one model, negates it in the other
0.5
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metastasim._version import __version__
from metastasim.engine.chunks import words
from metastasim.engine.result import Result, unpack_states
from metastasim.engine.simulator import simulate
from metastasim.errors import ModelError, SimulationError
from metastasim.network.model import Model
from metastasim.network.perturbations import Perturbation

__all__ = ["simulate_ensemble", "EnsembleResult", "ensemble_counts"]

_SAMPLING_TAG = 0x656E73  # "ens": keeps the draw of the shares apart from any other use of the seed


@dataclass(repr=False)
class EnsembleResult:
    """The outcome of :func:`simulate_ensemble`.

    Attributes
    ----------
    combined
        All trajectories together, as one :class:`Result` (node order and outputs of
        the first model): plots, tables and files work on it as on any result.
    individual
        Each model's own result, from its share of the trajectories (``None`` for a
        model that received none); probabilities are within that model.
    labels
        A name per model (the model's file, name, or ``model_<i>``).
    counts
        Trajectories that ran each model.
    random_sampling
        Whether the shares were drawn at random rather than split equally.
    """

    combined: Result
    individual: tuple[Result | None, ...]
    labels: tuple[str, ...]
    counts: np.ndarray
    random_sampling: bool

    def shares(self) -> pd.Series:
        """Trajectories per model, indexed by label."""
        return pd.Series(self.counts, index=list(self.labels), name="trajectories")

    def to_dict(self) -> dict:
        """Plain data for JSON: how the trajectories were shared."""
        return {
            "random_sampling": self.random_sampling,
            "models": [{"model": lab, "trajectories": int(n)} for lab, n in zip(self.labels, self.counts)],
        }

    def __repr__(self) -> str:
        return (
            f"EnsembleResult(models={len(self.labels)}, counts={self.counts.tolist()}, "
            f"random_sampling={self.random_sampling}, combined={self.combined!r})"
        )


def ensemble_counts(sample_count: int, n_models: int, *, random_sampling: bool = False, seed: int = 0, stream: int = 0):
    """Trajectories per model, as MaBoSS shares them.

    Equal split: each model gets ``sample_count // n_models`` and the first model the
    remainder too.  Random sampling: each trajectory picks a model uniformly at random
    (a multinomial draw, seeded by ``seed`` and ``stream``).  Either way the models then
    run consecutive blocks of trajectory numbers, model 0 first.
    """
    if n_models < 1:
        raise SimulationError("an ensemble needs at least one model")
    if random_sampling:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(stream), _SAMPLING_TAG])))
        return rng.multinomial(sample_count, np.full(n_models, 1.0 / n_models)).astype(np.int64)
    counts = np.full(n_models, sample_count // n_models, dtype=np.int64)
    counts[0] += sample_count % n_models
    return counts


def simulate_ensemble(
    models: Iterable[Model],
    perturbations: Iterable[Perturbation] = (),
    *,
    context: str | None = None,
    sample_count: int | None = None,
    max_time: float | None = None,
    time_tick: float | None = None,
    discrete_time: bool | None = None,
    seed: int | None = None,
    threads: int | None = None,
    outputs: Sequence[str] | None = None,
    record_states: bool | None = None,
    keep_final_states: bool = False,
    random_sampling: bool = False,
    stream: int = 0,
    labels: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EnsembleResult:
    """Simulate an ensemble of models over the same nodes, as MaBoSS's ``--ensemble``.

    The run settings (``sample_count``, ``max_time``, ``time_tick``, ``discrete_time``,
    ``seed``, threads) are the first model's, overridden by the arguments, and apply
    to every model, as MaBoSS reads one configuration for the ensemble.  Each model
    keeps its own rules, rates, parameters and initial states.  Trajectory ``k`` of the
    ensemble draws from the random stream ``(seed, stream, k)`` whichever model it
    runs, so a seed gives the same result with any number of threads.

    Parameters
    ----------
    models
        The models; all must have the same node ids (in any order).
    perturbations, context
        Applied to every model (as :func:`~metastasim.engine.simulate`).
    sample_count, max_time, time_tick, discrete_time, seed, threads
        Override the first model's settings.
    outputs
        Nodes whose joint states are counted (default: the first model's non-internal
        nodes, which MaBoSS imposes on every model of the ensemble).
    record_states, keep_final_states
        As :func:`~metastasim.engine.simulate`; kept final states are in trajectory
        order (model 0's block first).
    random_sampling
        Draw each trajectory's model at random instead of splitting the trajectories
        equally (MaBoSS's ``--random-sampling``); see :func:`ensemble_counts`.
    stream
        Random stream of the whole ensemble.
    labels
        A name per model for tables and files (default: each model's source file,
        name, or ``model_<i>``).
    progress
        Called as ``progress(done, sample_count)``.

    Returns
    -------
    EnsembleResult
        The combined result and each model's own.

    Raises
    ------
    ModelError
        When a model's nodes differ from the first model's (naming that model's file).
    """
    started = time.perf_counter()
    models, perturbations = list(models), tuple(perturbations)
    if not models:
        raise SimulationError("an ensemble needs at least one model")
    labels = _labels(models, labels)
    _check_same_nodes(models, labels)
    first = models[0]
    settings = first.settings.with_(
        sample_count=sample_count, max_time=max_time, time_tick=time_tick, discrete_time=discrete_time, seed=seed
    )
    outs = list(first.outputs) if outputs is None else list(dict.fromkeys(first.resolve(o) for o in outputs))
    counts = ensemble_counts(
        settings.sample_count, len(models), random_sampling=random_sampling, seed=settings.seed, stream=stream
    )
    results: list[Result | None] = []
    offset = 0
    for model, n in zip(models, counts.tolist()):
        if n == 0:
            results.append(None)
            continue
        results.append(
            simulate(
                model,
                perturbations,
                context=context,
                sample_count=n,
                max_time=settings.max_time,
                time_tick=settings.time_tick,
                discrete_time=settings.discrete_time,
                seed=settings.seed,
                threads=settings.thread_count if threads is None else threads,
                outputs=outs,
                record_states=record_states,
                keep_final_states=keep_final_states,
                stream=stream,
                first_trajectory=offset,
                progress=None if progress is None else _shifted(progress, offset, settings.sample_count),
            )
        )
        offset += n
    combined = _combine(tuple(first.nodes), [r for r in results if r is not None], started)
    return EnsembleResult(
        combined=combined, individual=tuple(results), labels=labels, counts=counts, random_sampling=random_sampling
    )


def _labels(models: list[Model], labels: Sequence[str] | None) -> tuple[str, ...]:
    if labels is None:
        return tuple(m.source or m.name or f"model_{i}" for i, m in enumerate(models))
    if len(labels) != len(models):
        raise SimulationError(f"{len(labels)} labels for {len(models)} models")
    return tuple(str(x) for x in labels)


def _check_same_nodes(models: list[Model], labels: tuple[str, ...]) -> None:
    """Every model has the first model's node ids (MaBoSS matches the networks' nodes by name)."""
    reference = set(models[0].nodes)
    for model, label in zip(models[1:], labels[1:]):
        ids = set(model.nodes)
        if ids == reference:
            continue
        extra = [n for n in model.nodes if n not in reference]
        missing = [n for n in models[0].nodes if n not in ids]
        parts = ([f"has {_names(extra)}"] if extra else []) + ([f"lacks {_names(missing)}"] if missing else [])
        raise ModelError(
            f"the models of an ensemble must have the same nodes, but this one differs from the first model "
            f"({labels[0]}): it {' and '.join(parts)}",
            path=model.source or label,
        )


def _names(ids: list[str]) -> str:
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return ("node " if len(ids) == 1 else "nodes ") + shown


def _shifted(progress: Callable[[int, int], None], offset: int, total: int) -> Callable[[int, int], None]:
    return lambda done, _count: progress(offset + done, total)


def _combine(node_ids: tuple[str, ...], results: list[Result], started: float) -> Result:
    """One :class:`Result` of all trajectories of ``results`` (in that order), nodes in ``node_ids`` order."""
    head = results[0]
    n = np.array([r.sample_count for r in results], dtype=np.int64)
    total = int(n.sum())
    weights = n / total
    columns = [[r.node_ids.index(name) for name in node_ids] for r in results]
    node_probs = sum(w * r.node_probs[:, c] for w, r, c in zip(weights, results, columns))
    final_node_probs = sum(w * r.final_node_probs[c] for w, r, c in zip(weights, results, columns))
    state_codes, state_probs = _mixed_states(results, weights)
    fcodes, fcounts = _summed_final_states(results)
    hashes = ",".join(r.model_hash for r in results)
    return Result(
        node_ids=node_ids,
        outputs=head.outputs,
        times=head.times,
        node_probs=node_probs,
        final_node_probs=final_node_probs,
        state_codes=state_codes,
        state_probs=state_probs,
        final_state_codes=fcodes,
        final_state_counts=fcounts,
        final_states=_final_states(node_ids, results, columns),
        sample_count=total,
        seed=head.seed,
        max_time=head.max_time,
        time_tick=head.time_tick,
        discrete_time=head.discrete_time,
        perturbations=tuple(dict.fromkeys(p for r in results for p in r.perturbations)),
        context=head.context,
        model_hash=hashlib.sha256(f"ensemble:{hashes}".encode()).hexdigest()[:16],
        version=__version__,
        n_transitions=sum(r.n_transitions for r in results),
        elapsed=time.perf_counter() - started,
        threads=head.threads,
    )


def _mixed_states(results: list[Result], weights: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The union of the output states seen and their weighted window probabilities (None: not recorded)."""
    if any(r.state_probs is None for r in results):
        return None, None
    codes = np.unique(np.concatenate([r.state_codes for r in results]))
    probs = np.zeros((results[0].times.size, codes.size))
    for w, r in zip(weights, results):
        probs[:, np.searchsorted(codes, r.state_codes)] += w * r.state_probs
    return codes, probs


def _summed_final_states(results: list[Result]) -> tuple[np.ndarray | None, np.ndarray | None]:
    if any(r.final_state_codes is None for r in results):
        return None, None
    codes = np.unique(np.concatenate([r.final_state_codes for r in results]))
    counts = np.zeros(codes.size, dtype=np.int64)
    for r in results:
        np.add.at(counts, np.searchsorted(codes, r.final_state_codes), r.final_state_counts)
    return codes, counts


def _final_states(node_ids: tuple[str, ...], results: list[Result], columns: list[list[int]]) -> np.ndarray | None:
    """Kept final states of all trajectories, repacked in ``node_ids`` order."""
    if any(r.final_states is None for r in results):
        return None
    n, n_words = len(node_ids), words(len(node_ids))
    blocks = []
    for r, cols in zip(results, columns):
        if list(cols) == list(range(n)):
            blocks.append(r.final_states)
            continue
        bits = unpack_states(r.final_states, len(r.node_ids))[:, cols]
        packed = np.packbits(bits, axis=1, bitorder="little")
        padded = np.zeros((bits.shape[0], n_words * 8), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        blocks.append(padded.view("<u8").astype(np.uint64))
    return np.concatenate(blocks)
