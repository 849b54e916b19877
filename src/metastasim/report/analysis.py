"""The analysis behind the report: every number the HTML shows, computed from the curated model.

:func:`collect` runs, in order, the phenotypes across contexts, time courses of the
UPR arms and of glutamine metabolism, the cascade in both modes, a screen of every
single target and drug followed by pairs of the best ones and dose series of the best
drugs, and the validation.  Each part uses the same seed; all of it is reproducible
from :class:`ReportSettings`, whatever the number of threads.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from metastasim._version import __version__
from metastasim.analysis import by_context
from metastasim.cascade import CascadeSpec, SplittingResult, run_cascade
from metastasim.cascade.splitting import DEFAULT_REPLICATES
from metastasim.engine import compile_model, simulate
from metastasim.errors import ModelError
from metastasim.network.model import Model
from metastasim.robustness import RobustnessResult, run_robustness
from metastasim.screen import ScreenParams, ScreenResult, dose_series, pairs, run_screen, singles
from metastasim.screen.store import ResultStore
from metastasim.validation import ValidationReport, validate

__all__ = ["ReportSettings", "ReportData", "collect", "UPR_NODES", "GLUTAMINE_NODES", "COURSE_CONTEXTS"]

#: Key nodes of each UPR arm (and the load they answer), drawn over time.
UPR_NODES = ("UnfoldedProteins", "HSPA5", "ERN1", "XBP1", "EIF2AK3", "EIF2S1", "ATF4", "DDIT3", "ATF6")
#: Key nodes of glutamine metabolism and what it feeds.
GLUTAMINE_NODES = ("Glutamine", "SLC1A5", "GLS", "Glutamate", "aKG", "GSH", "ROS", "ASNS", "MTOR")
#: Replicates of every splitting estimate of the report (their spread gives the intervals).
REPLICATES = DEFAULT_REPLICATES
#: Where the time courses are drawn: the tumour, the blood stream, the dormant niche.
COURSE_CONTEXTS = ("primary", "circulation", "dormant_niche")


@dataclass(frozen=True)
class ReportSettings:
    """What decides the report's numbers.

    Every cascade of the report is estimated by splitting (weighted clones resampled
    between stages, :func:`~metastasim.cascade.run_cascade`), which reaches a given
    interval width about ten times sooner than counting cells in either mode
    (``benchmarks/bench_rare.py``).  ``cells`` clones per stage go through each
    mode's funnel; the screen's arms take ``screen_cells`` through the spontaneous
    (whole) cascade, which the ranking, the pairs and the dose series read, and half
    as many through the experimental one, shown beside it.  ``samples`` trajectories per context
    for the heat map and time courses; ``validation_samples`` per arm of each fact
    (the default is ``metastasim validate``'s, so the score is the one it prints).
    The robustness ensemble (:func:`~metastasim.robustness.run_robustness`) screens the
    ``robustness_targets`` best single targets of the screen on ``robustness_draws``
    parameter sets and the nominal one, in the ranked (spontaneous) mode only, with
    ``robustness_cells`` clones per stage; its behavioural filter runs the cell facts at
    ``robustness_filter_samples`` trajectories per arm.  Its top K is half its targets.
    The screen pairs the ``top_pairs`` best single targets that lower metastasis
    without abolishing it alone, with one another, and gives the ``top_drugs`` best
    drugs at each of ``doses``.
    """

    cells: int = 40_000
    seed: int = 1
    screen_cells: int = 6_000
    samples: int = 10_000
    screen_samples: int = 2000
    validation_samples: int = 10_000
    top_pairs: int = 8
    top_drugs: int = 4
    doses: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0)
    robustness_draws: int = 26
    robustness_targets: int = 8
    robustness_cells: int = 1500
    robustness_filter_samples: int = 400
    quick: bool = False

    @classmethod
    def preset(cls, *, quick: bool = False, cells: int | None = None, seed: int = 1) -> ReportSettings:
        """The defaults, or the ``--quick`` ones (fewer cells, trajectories, pairs and doses; same validation)."""
        base = (
            cls(
                cells=10_000,
                screen_cells=2_000,
                samples=2000,
                screen_samples=1000,
                top_pairs=5,
                top_drugs=3,
                doses=(0.25, 0.5, 1.0),
                robustness_draws=6,
                robustness_targets=4,
                robustness_cells=1000,
                robustness_filter_samples=200,
                quick=True,
            )
            if quick
            else cls()
        )
        base = replace(base, seed=seed)
        return replace(base, cells=cells) if cells is not None else base

    def __post_init__(self) -> None:
        for name in (
            "cells",
            "screen_cells",
            "samples",
            "screen_samples",
            "validation_samples",
            "top_pairs",
            "top_drugs",
            "robustness_draws",
            "robustness_filter_samples",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ModelError(f"{name} must be a positive whole number, not {value!r}")
        if isinstance(self.robustness_targets, bool) or not isinstance(self.robustness_targets, (int, np.integer)):
            raise ModelError(f"robustness_targets must be a whole number >= 2, not {self.robustness_targets!r}")
        if self.robustness_targets < 2:
            raise ModelError(f"robustness_targets must be a whole number >= 2, not {self.robustness_targets!r}")
        for name in ("cells", "screen_cells", "robustness_cells"):
            if getattr(self, name) < 4 * REPLICATES:
                raise ModelError(
                    f"{name} must be at least {4 * REPLICATES} (splitting in {REPLICATES} replicates of "
                    f"at least 2 clones per mode), not {getattr(self, name)}"
                )
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ModelError(f"seed must be a whole number >= 0, not {self.seed!r}")

    def screen_params(self) -> ScreenParams:
        # the report reads the screen's cascade and its normal-cell readout (normoxia), not per-context phenotypes
        return ScreenParams(
            modes=("spontaneous", "experimental"),
            splitting=("spontaneous", "experimental"),
            spontaneous_cells=self.screen_cells,
            cells=self.screen_cells // 2,
            replicates=REPLICATES,
            seed=self.seed,
            contexts=("normoxia",),
            samples=self.screen_samples,
        )

    @property
    def robustness_top(self) -> int:
        """K of the ensemble's top-K fraction: half its targets."""
        return max(1, self.robustness_targets // 2)

    def robustness_params(self) -> ScreenParams:
        """The screen of each draw: :meth:`screen_params` in the ranked (spontaneous) mode only, with fewer clones."""
        return replace(
            self.screen_params(),
            modes=("spontaneous",),
            splitting=("spontaneous",),
            spontaneous_cells=self.robustness_cells,
        )

    def command(self) -> str:
        """The ``metastasim report`` command that reproduces these settings (the Python call where none does)."""
        default = ReportSettings.preset(quick=self.quick, seed=self.seed)
        if replace(self, cells=default.cells) != default:
            return (
                f"python -c 'from metastasim.report import build_report; from metastasim.report.analysis "
                f'import ReportSettings; build_report("report", {self!r})\''
            )
        parts = ["metastasim report"] + (["--quick"] if self.quick else [])
        parts += [f"--cells {self.cells}"] if self.cells != default.cells else []
        parts += [f"--seed {self.seed}"] if self.seed != 1 else []
        return " ".join(parts)


@dataclass
class ReportData:
    """Everything the report shows (tables and results), with the time each part took."""

    model: Model
    settings: ReportSettings
    phenotypes: pd.DataFrame  # phenotype x context: probability at the end of the run
    courses: dict[str, pd.DataFrame]  # context -> time x node probabilities
    cascades: dict[str, SplittingResult]  # mode -> splitting run (stage table, phenotypes, enrichment)
    spec: CascadeSpec
    screen: ScreenResult
    validation: ValidationReport
    robustness: RobustnessResult | None = None  # the ensemble over the best targets' ranks
    timings: dict[str, float] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)


Progress = Callable[[str, int, int], None]


def collect(
    model: Model,
    spec: CascadeSpec,
    drugs: dict,
    facts: list,
    settings: ReportSettings,
    *,
    store: ResultStore | str | None = None,
    threads: int | None = None,
    command: str = "",
    progress: Progress | None = None,
) -> ReportData:
    """Run every analysis of the report; ``progress(part, done, total)`` is called as work advances."""

    def tick(part: str) -> Callable[[int, int], None]:
        return (lambda done, total: progress(part, done, total)) if progress is not None else None

    timings: dict[str, float] = {}
    started = time.perf_counter()
    compiled = compile_model(model)
    s = settings

    t = time.perf_counter()
    phenotypes = by_context(
        model,
        nodes=_phenotypes(model),
        samples=s.samples,
        seed=s.seed,
        threads=threads,
        progress=tick("phenotypes by context"),
    )
    courses = {}
    nodes = [n for n in (*UPR_NODES, *GLUTAMINE_NODES) if n in model.nodes]
    contexts = [c for c in COURSE_CONTEXTS if c in model.contexts]
    for i, ctx in enumerate(contexts):
        result = simulate(
            model,
            context=ctx,
            sample_count=s.samples,
            seed=s.seed,
            threads=threads,
            compiled=compiled,
            record_states=False,
        )
        courses[ctx] = pd.DataFrame(
            result.node_probs[:, [result.node_ids.index(n) for n in nodes]],
            index=pd.Index(result.times, name="time"),
            columns=nodes,
        )
        if progress is not None:
            progress("time courses", i + 1, len(contexts))
    timings["phenotypes and time courses"] = time.perf_counter() - t

    t = time.perf_counter()
    cascades = {}
    for mode in ("experimental", "spontaneous"):
        cascades[mode] = run_cascade(
            model,
            spec,
            mode=mode,
            cells=s.cells,
            seed=s.seed,
            threads=threads,
            estimator="splitting",
            replicates=REPLICATES,
            progress=tick(f"cascade ({mode})"),
        )
    timings["cascade"] = time.perf_counter() - t

    t = time.perf_counter()
    screen = _screen(model, spec, drugs, s, store, threads, command, progress)
    timings["screen"] = time.perf_counter() - t

    t = time.perf_counter()
    chosen = robustness_targets(model, drugs, screen, s.robustness_targets)
    robustness = run_robustness(
        model,
        spec,
        facts,
        drugs,
        draws=s.robustness_draws,
        targets=chosen,
        top=s.robustness_top,
        params=s.robustness_params(),
        validation_samples=s.robustness_filter_samples,
        seed=s.seed,
        store=store,
        threads=threads,
        progress=tick("robustness"),
        command=command,
    )
    timings["robustness"] = time.perf_counter() - t

    t = time.perf_counter()
    validation = validate(
        model,
        facts,
        drugs,
        samples=s.validation_samples,
        seed=s.seed,
        threads=threads,
        cascade=spec,
        progress=tick("validation"),
    )
    timings["validation"] = time.perf_counter() - t

    provenance = {
        "version": __version__,
        "model": model.name,
        "model_hash": model.hash(),
        "cascade_hash": spec.hash(),
        "settings": asdict(settings),
        "command": command or settings.command(),
        "validate_command": "metastasim validate"
        + (f" --samples {s.validation_samples}" if s.validation_samples != 10_000 else "")
        + (f" --seed {s.seed}" if s.seed != 1 else ""),
        "screen_store": str(screen.store),
        "screen_run": screen.run_key[:8],
        "robustness_command": robustness_command(s, chosen, screen.store),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(terse=True),
        "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "elapsed": time.perf_counter() - started,
    }
    return ReportData(
        model, settings, phenotypes, courses, cascades, spec, screen, validation, robustness, timings, provenance
    )


def robustness_targets(model: Model, drugs: dict, screen: ScreenResult, n: int) -> list[str]:
    """The names (genes, drugs) of the ``n`` best single targets of ``screen``'s ranking.

    An arm with the same perturbations as a better one (drugs of one target at the same
    efficacy) is left out: it would only repeat that arm's numbers as a tie.
    """
    arms = {a.key: a for a in singles(model, drugs, "all")}
    chosen, seen = [], set()
    for key in screen.ranking().index:
        if key in arms and arms[key].perturbations not in seen:
            seen.add(arms[key].perturbations)
            chosen.append(arms[key].target)
    return chosen[:n]


def robustness_command(s: ReportSettings, targets: list[str], store) -> str:
    """The ``metastasim robustness`` command that reproduces the report's ensemble (more draws: a larger one)."""
    import shlex

    p = s.robustness_params()
    parts = [
        "metastasim robustness",
        f"--draws {s.robustness_draws}",
        f"--targets {shlex.quote(','.join(targets))}",
        f"--top {s.robustness_top}",
        "--mode spontaneous",
        f"--spontaneous-cells {p.spontaneous_cells}",
        f"--replicates {p.replicates}",
        f"--contexts {','.join(p.contexts)}",
        f"--samples {p.samples}",
        f"--filter-samples {s.robustness_filter_samples}",
        f"--seed {s.seed}",
    ]
    if store and str(store) != ":memory:":
        parts.append(f"--store {shlex.quote(str(store))}")
    return " ".join(parts)


def _phenotypes(model: Model) -> list[str]:
    from metastasim.models import PHENOTYPES

    return [p for p in PHENOTYPES if p in model.nodes]


def _screen(model, spec, drugs, s: ReportSettings, store, threads, command, progress) -> ScreenResult:
    """Every single target and drug; then pairs of the best singles and dose series of the best drugs."""
    params = s.screen_params()
    own = not isinstance(store, ResultStore)
    db = ResultStore(":memory:" if store is None else store) if own else store
    try:
        first = singles(model, drugs, "all")
        result = run_screen(
            model,
            spec,
            first,
            params,
            store=db,
            threads=threads,
            command=command,
            progress=(lambda d, n: progress("screen: single targets", d, n)) if progress else None,
        )
        ranking = result.ranking()
        helpful = ranking[ranking["prevented"] > 0]
        # a target that alone leaves no metastatic cell leaves nothing for a partner to add: not paired
        partial = helpful[helpful[f"{result.rank_mode}_efficiency"] > 0]
        order = list(partial.index[: s.top_pairs])
        best = sorted((a for a in first if a.key in order), key=lambda a: order.index(a.key))
        top_drugs = list(helpful[helpful["kind"] == "drug"].index[: s.top_drugs])
        second = first + pairs(model, best) + dose_series(model, drugs, top_drugs, s.doses)
        return run_screen(
            model,
            spec,
            second,
            params,
            store=db,
            threads=threads,
            command=command,
            progress=(lambda d, n: progress("screen: pairs and doses", d, n)) if progress else None,
        )
    finally:
        if own:
            db.close()
