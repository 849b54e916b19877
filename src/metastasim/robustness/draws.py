"""Parameter draws: a space-filling sample of a model's uncertain numbers, and models that carry one.

The uncertain numbers are the rate parameters some rate reads (each from
:meth:`Model.parameter_range <metastasim.network.model.Model.parameter_range>`) and the
constants of the cascade's pass rules (each from
:meth:`Stage.constant_range <metastasim.cascade.definition.Stage.constant_range>`).
:func:`draw_parameters` spreads ``n`` points over the unit hypercube (Latin hypercube
or scrambled Sobol sequence, seeded, :mod:`scipy.stats.qmc`) and maps each coordinate
through its range; :func:`apply_draw` returns the model and cascade with one row's
values, exactly as if the YAML files said them.

Examples
--------
>>> from metastasim.models import load_model
>>> from metastasim.cascade import load_cascade
>>> model, spec = load_model(), load_cascade()
>>> table = draw_parameters(model, spec, 4, seed=1)
>>> len(table), "rate:fast" in table.columns, "stage:invasion:leave" in table.columns
(4, True, True)
>>> m, s = apply_draw(model, spec, table.iloc[0])
>>> bool(m.parameters["fast"] == table.iloc[0]["rate:fast"])
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import qmc

from metastasim.cascade.definition import CascadeSpec
from metastasim.errors import ModelError, UnknownNameError
from metastasim.network.model import Model
from metastasim.network.ranges import Range

__all__ = ["uncertain_numbers", "draw_parameters", "nominal_draw", "apply_draw", "METHODS"]

#: Designs :func:`draw_parameters` knows.
METHODS = ("lhs", "sobol")


def _read_parameters(model: Model) -> list[str]:
    """Parameters some node's rate reads, in the model's order of parameters."""
    read: set[str] = set()
    for node in model.nodes.values():
        read |= node.rate_up.parameters() | node.rate_down.parameters()
    return [p for p in model.parameters if p in read]


def uncertain_numbers(model: Model, spec: CascadeSpec | None = None) -> dict[str, tuple[float, Range]]:
    """Column name -> ``(nominal value, range)`` of every number a draw varies.

    ``rate:NAME`` for a rate parameter that some rate reads, ``stage:STAGE:NAME`` for a
    constant of a stage's pass rule.  Numbers whose range is a single point (a zero
    rate, a range declared as one value) are left out: they cannot vary.
    """
    out: dict[str, tuple[float, Range]] = {}
    for name in _read_parameters(model):
        out[f"rate:{name}"] = (float(model.parameters[name]), model.parameter_range(name))
    for stage in spec.stages.values() if spec is not None else ():
        for name, value in stage.constants:
            out[f"stage:{stage.name}:{name}"] = (float(value), stage.constant_range(name))
    return {k: v for k, v in out.items() if v[1].high > v[1].low}


def draw_parameters(
    model: Model, spec: CascadeSpec | None, n: int, *, seed: int = 1, method: str = "lhs"
) -> pd.DataFrame:
    """``n`` draws of the uncertain numbers: one row per draw (index ``draw``, from 0), one column per number.

    Parameters
    ----------
    model, spec
        The model and its cascade (``spec`` may be ``None``: rates only).
    n
        Number of draws (at least 1).
    seed
        Seeds the design: the same seed gives the same table.
    method
        ``"lhs"``: a Latin hypercube (each number's range cut into ``n`` equally likely
        strata, one draw in each); ``"sobol"``: a scrambled Sobol sequence (best with
        ``n`` a power of two).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ModelError(f"the number of draws must be a whole number >= 1, not {n!r}")
    if method not in METHODS:
        raise ModelError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    numbers = uncertain_numbers(model, spec)
    if not numbers:
        raise ModelError("the model has no uncertain number to draw (no rate parameter, no stage constant)")
    rng = np.random.default_rng(seed)
    d = len(numbers)
    if method == "lhs":
        unit = qmc.LatinHypercube(d=d, seed=rng).random(n)
    else:
        sampler = qmc.Sobol(d=d, scramble=True, seed=rng)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():  # n not a power of two: balance is lost, which the docs say
                warnings.simplefilter("ignore", UserWarning)
                unit = sampler.random(n)
    cols = {name: rng_.scale(unit[:, j]) for j, (name, (_, rng_)) in enumerate(numbers.items())}
    table = pd.DataFrame(cols)
    table.index.name = "draw"
    return table


def nominal_draw(model: Model, spec: CascadeSpec | None = None) -> pd.Series:
    """The nominal values of the uncertain numbers, as one row of :func:`draw_parameters`'s table."""
    return pd.Series({k: v for k, (v, _) in uncertain_numbers(model, spec).items()}, dtype=float)


def apply_draw(model: Model, spec: CascadeSpec | None, row: Mapping[str, float]) -> tuple[Model, CascadeSpec | None]:
    """Copies of ``model`` and ``spec`` with the values of ``row`` (a row of :func:`draw_parameters`).

    Rate parameters change in the model's ``parameters`` (as an edited ``parameters:``
    block would), stage constants in their stage's ``constants``; the originals are not
    touched.  An unknown column raises :class:`~metastasim.errors.UnknownNameError`.
    """
    m = model.copy()
    stages = dict(spec.stages) if spec is not None else {}
    changed: dict[str, dict[str, float]] = {}
    for column, value in dict(row).items():
        kind, _, rest = str(column).partition(":")
        if kind == "rate" and rest in m.parameters:
            m.parameters[rest] = float(value)
        elif kind == "stage" and rest.count(":") == 1 and rest.split(":")[0] in stages:
            stage, name = rest.split(":")
            if name not in dict(stages[stage].constants):
                raise UnknownNameError(f"stage {stage!r} has no constant {name!r}")
            changed.setdefault(stage, {})[name] = float(value)
        else:
            raise UnknownNameError(f"{column!r} is not an uncertain number of this model and cascade")
    for stage, values in changed.items():
        old = stages[stage]
        stages[stage] = dataclasses.replace(old, constants=tuple((k, values.get(k, v)) for k, v in old.constants))
    return m, (dataclasses.replace(spec, stages=stages) if spec is not None else None)
