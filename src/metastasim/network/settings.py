"""Simulation settings, as MaBoSS's ``.cfg`` holds them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from metastasim.errors import SimulationError

__all__ = ["Settings", "MAX_WINDOWS"]

#: The largest number of time windows (``max_time / time_tick``) a run may record.
MAX_WINDOWS = 1_000_000


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
    """

    sample_count: int = 10_000
    max_time: float = 50.0
    time_tick: float = 0.5
    discrete_time: bool = False
    thread_count: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`SimulationError` on a value no simulation can use."""
        if not isinstance(self.sample_count, int) or isinstance(self.sample_count, bool) or self.sample_count < 1:
            raise SimulationError(f"sample_count must be a positive integer, not {self.sample_count!r}")
        for name in ("max_time", "time_tick"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise SimulationError(f"{name} must be a positive finite number, not {value!r}")
        if self.max_time / self.time_tick > MAX_WINDOWS:
            raise SimulationError(
                f"max_time / time_tick = {self.max_time / self.time_tick:.0f} windows; "
                f"at most {MAX_WINDOWS} are allowed (raise time_tick)"
            )
        if not isinstance(self.thread_count, int) or self.thread_count < 0:
            raise SimulationError(f"thread_count must be 0 (all cores) or a positive integer, not {self.thread_count!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**64:
            raise SimulationError(f"seed must be an integer from 0 to 2**64 - 1, not {self.seed!r}")

    @property
    def n_windows(self) -> int:
        """Number of time windows: ``ceil(max_time / time_tick)``."""
        return max(1, math.ceil(self.max_time / self.time_tick - 1e-9))

    def with_(self, **changes) -> "Settings":
        """A copy with some fields changed; ``None`` values are ignored."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise SimulationError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict:
        return asdict(self)
