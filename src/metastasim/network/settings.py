"""Simulation settings, as MaBoSS's ``.cfg`` holds them."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from metastasim.errors import SimulationError

__all__ = ["Settings", "MAX_WINDOWS", "MAX_SAMPLES"]

#: The largest number of time windows (``max_time / time_tick``) a run may record.
MAX_WINDOWS = 1_000_000
#: The largest number of trajectories in one run (the fixed-point sums stay exact below it).
MAX_SAMPLES = 2**31 - 1


@dataclass(frozen=True)
class Settings:
    """How to simulate a model.

    Parameters
    ----------
    sample_count
        Number of trajectories.
    max_time
        Model time at which every trajectory stops.
    time_tick
        Width of the windows over which probabilities are averaged (as MaBoSS).
    discrete_time
        If true, every transition takes one ``time_tick`` instead of an exponential time
        (MaBoSS's discrete time).
    thread_count
        Threads to use; 0 means all cores.  Results do not depend on it.
    seed
        Seed of the random streams (0 to 2**64 - 1).
    statdist_traj_count
        Number of trajectories (the first ones) whose stationary distributions
        are estimated and clustered, as MaBoSS's ``statdist_traj_count``; 0: none.
    statdist_cluster_threshold
        Similarity (0 to 1) from which two of those distributions join one
        cluster, as MaBoSS's ``statdist_cluster_threshold``.
    """

    sample_count: int = 10_000
    max_time: float = 50.0
    time_tick: float = 0.5
    discrete_time: bool = False
    thread_count: int = 0
    seed: int = 0
    statdist_traj_count: int = 0
    statdist_cluster_threshold: float = 1.0

    def __post_init__(self) -> None:
        self.validate()

    def _set(self, name: str, value) -> None:
        object.__setattr__(self, name, value)

    def validate(self) -> None:
        """Check every field (normalising numpy scalars); raise :class:`SimulationError` on a bad one."""
        for name, lo, hi in (
            ("sample_count", 1, MAX_SAMPLES),
            ("thread_count", 0, None),
            ("seed", 0, 2**64 - 1),
            ("statdist_traj_count", 0, MAX_SAMPLES),
        ):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise SimulationError(f"{name} must be an integer, not {value!r}")
            value = int(value)
            if value < lo or (hi is not None and value > hi):
                bound = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
                raise SimulationError(f"{name} must be {bound}, not {value}")
            self._set(name, value)
        for name in ("max_time", "time_tick"):
            value = getattr(self, name)
            if (
                isinstance(value, (bool, np.bool_))
                or not isinstance(value, numbers.Real)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise SimulationError(f"{name} must be a positive finite number, not {value!r}")
            self._set(name, float(value))
        threshold = self.statdist_cluster_threshold
        if (
            isinstance(threshold, (bool, np.bool_))
            or not isinstance(threshold, numbers.Real)
            or not 0 <= threshold <= 1
        ):
            raise SimulationError(f"statdist_cluster_threshold must be from 0 to 1, not {threshold!r}")
        self._set("statdist_cluster_threshold", float(threshold))
        if not isinstance(self.discrete_time, (bool, np.bool_)):
            raise SimulationError(f"discrete_time must be true or false, not {self.discrete_time!r}")
        self._set("discrete_time", bool(self.discrete_time))
        if self.max_time / self.time_tick > MAX_WINDOWS:
            raise SimulationError(
                f"max_time / time_tick = {self.max_time / self.time_tick:.0f} windows; "
                f"at most {MAX_WINDOWS} are allowed (raise time_tick)"
            )

    @property
    def n_windows(self) -> int:
        """Number of time windows: ``ceil(max_time / time_tick)``."""
        return max(1, math.ceil(self.max_time / self.time_tick - 1e-9))

    def with_(self, **changes) -> Settings:
        """A copy with some fields changed; ``None`` values are ignored."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise SimulationError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict:
        return asdict(self)
