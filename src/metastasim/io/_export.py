"""What each export format can hold, checked before writing."""

from __future__ import annotations

import warnings

from metastasim.errors import InitialStateNotSupportedError, RatesNotSupportedError
from metastasim.network.model import Model

__all__ = ["check_lossless"]

_DEFAULT_VALUES = (1.0, 0.0, 0.0, 1.0)  # up if rule true/false, down if rule true/false


def check_lossless(
    model: Model, fmt: str, *, drop_rates: bool, drop_initial_states: bool, deterministic_initial: bool
) -> None:
    """Raise if writing ``model`` to ``fmt`` would lose its rates or initial states.

    With ``drop_*`` set, warn instead.  ``deterministic_initial`` says whether the
    format can hold 0/1 initial states (SBML-qual can, bnet cannot).
    """
    custom_rates = [n for n in model.nodes if model.rate_reads(n) or model.rate_values(n) != _DEFAULT_VALUES]
    custom_rates += [f"mutation {p}" for p in model.perturbations]
    if custom_rates:
        message = (
            f"{fmt} cannot hold transition rates or mutations; {len(custom_rates)} would be lost "
            f"({', '.join(map(str, custom_rates[:5]))}{'…' if len(custom_rates) > 5 else ''})"
        )
        if not drop_rates:
            raise RatesNotSupportedError(message + "; pass drop_rates=True to drop them")
        warnings.warn(message + "; dropped", stacklevel=3)
    grouped = {name for g in model.joint_initial for name in g.nodes}
    lossy = [
        n.id
        for n in model.nodes.values()
        if n.id in grouped or not (n.initial == 0.5 or deterministic_initial and n.initial in (0.0, 1.0))
    ]
    if lossy:
        shown = ", ".join(lossy[:5]) + ("…" if len(lossy) > 5 else "")
        message = f"{fmt} cannot hold the initial states of {len(lossy)} node(s) ({shown})"
        if not drop_initial_states:
            raise InitialStateNotSupportedError(message + "; pass drop_initial_states=True to drop them")
        warnings.warn(message + "; dropped", stacklevel=3)
