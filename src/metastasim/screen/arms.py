"""The arms of a screen: what each perturbation is, built by one shared core.

An :class:`Arm` is one condition of a screen: the untreated control, a gene
knock-out or over-expression, a drug of the library, a graded inhibition of a gene
or a drug dose, or a pair of two single arms given together.  Every arm has a
canonical ``key`` (``KO(ATF4)``, ``telaglenastat``, ``telaglenastat@0.25``,
``KO(ATF4) + KO(EIF2AK3)``): the results store finds finished arms by it, so a
re-run recomputes nothing it already has.

Examples
--------
>>> from metastasim.models import load_model, load_drugs
>>> model, drugs = load_model(), load_drugs()
>>> [a.key for a in singles(model, drugs, ["ATF4", "telaglenastat"])]
['KO(ATF4)', 'telaglenastat']
>>> [a.key for a in pairs(model, singles(model, drugs, ["ATF4", "MYC", "GLS"]))]
['KO(ATF4) + KO(MYC)', 'KO(ATF4) + KO(GLS)', 'KO(MYC) + KO(GLS)']
>>> [a.key for a in dose_series(model, drugs, ["GLS"], [0, 0.5, 1])]
['inhibit(GLS)@0.5', 'inhibit(GLS)@1']
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from metastasim.errors import ModelError, UnknownNameError
from metastasim.network.drugs import Drug, DrugTarget, find_drug
from metastasim.network.model import Model
from metastasim.network.perturbations import ForceOn, Knockout, Perturbation, resolve_perturbations

__all__ = ["Arm", "CONTROL", "gene_nodes", "singles", "pairs", "dose_series", "resolve_targets", "TargetSet"]

Kind = Literal["control", "knockout", "overexpression", "drug", "dose", "pair"]
TargetSet = Literal["genes", "drugs", "all"]


@dataclass(frozen=True)
class Arm:
    """One condition of a screen.

    ``target`` is the gene node or drug name the arm acts on (empty for the control
    and pairs), ``members`` the keys of the single arms a pair combines, ``dose`` the
    fraction of the maximal effect (1 for knock-outs, over-expressions and full-dose
    drugs).
    """

    key: str
    kind: Kind
    perturbations: tuple[Perturbation, ...]
    target: str = ""
    dose: float = 1.0
    members: tuple[str, ...] = ()


#: The untreated arm every effect is measured against.
CONTROL = Arm("control", "control", ())


def gene_nodes(model: Model) -> list[str]:
    """Nodes that stand for a gene product (they carry an HGNC symbol) and are not inputs, in model order."""
    return [n.id for n in model.nodes.values() if n.symbol and not n.is_input]


def _gene_arm(model: Model, name: str, kind: Literal["knockout", "overexpression"]) -> Arm:
    node = model.resolve(name)
    if model.nodes[node].is_input:
        raise ModelError(f"{node} is an input of the model (a microenvironment setting), not a target")
    pert = Knockout(node) if kind == "knockout" else ForceOn(node)
    label = "KO" if kind == "knockout" else "OE"
    return Arm(f"{label}({node})", kind, resolve_perturbations(model, (pert,), with_model=False), target=node)


def _drug_arm(model: Model, drug: Drug, dose: float = 1.0, target: str | None = None) -> Arm:
    perts = resolve_perturbations(model, drug.perturbations(dose, model=model), with_model=False)
    if dose == 1.0 and target is None:
        return Arm(drug.name, "drug", perts, target=drug.name)
    return Arm(f"{drug.name}@{_dose_text(dose)}", "dose", perts, target=target or drug.name, dose=dose)


def _dose_text(dose: float) -> str:
    """The shortest text that reads back as ``dose`` (keys must not merge two doses)."""
    return np.format_float_positional(dose, trim="-")


def resolve_targets(
    model: Model, drugs: Mapping[str, Drug], targets: TargetSet | Sequence[str]
) -> list[tuple[str, str]]:
    """``(kind, name)`` for each target: ``("gene", node id)`` or ``("drug", drug name)``.

    ``targets`` is ``"genes"``, ``"drugs"``, ``"all"`` or a list of node ids,
    HGNC symbols and drug names (or aliases).  A name that is neither a node nor a
    drug raises :class:`UnknownNameError` with the closest names of both kinds.
    """
    if isinstance(targets, str):
        if targets not in ("genes", "drugs", "all"):
            raise ModelError(f"targets must be genes, drugs, all or a list of names, not {targets!r}")
        genes = [("gene", n) for n in gene_nodes(model)] if targets in ("genes", "all") else []
        return genes + ([("drug", d) for d in drugs] if targets in ("drugs", "all") else [])
    out: list[tuple[str, str]] = []
    for name in targets:
        name = name.strip()
        try:
            out.append(("gene", model.resolve(name)))
            continue
        except UnknownNameError as node_error:
            try:
                out.append(("drug", find_drug(drugs, name).name))
            except UnknownNameError as drug_error:
                raise UnknownNameError(
                    f"{name!r} is neither a node of the model nor a drug of the library "
                    f"({node_error.message}; {drug_error.message})"
                ) from None
    if len(set(out)) != len(out):
        seen = [name for i, (_, name) in enumerate(out) if (_, name) in out[:i]]
        raise ModelError(f"target listed twice: {', '.join(seen)}")
    return out


def singles(
    model: Model, drugs: Mapping[str, Drug], targets: TargetSet | Sequence[str] = "all", *, overexpression: bool = False
) -> list[Arm]:
    """One arm per target: a knock-out of each gene (and an over-expression, if asked), each drug at full dose."""
    arms = []
    for kind, name in resolve_targets(model, drugs, targets):
        if kind == "gene":
            arms.append(_gene_arm(model, name, "knockout"))
            if overexpression:
                arms.append(_gene_arm(model, name, "overexpression"))
        else:
            arms.append(_drug_arm(model, drugs[name]))
    return arms


def pairs(model: Model, arms: Sequence[Arm]) -> list[Arm]:
    """Every pair of the given single arms, given together.

    Their perturbations combine as any perturbations do (see
    :func:`~metastasim.network.perturbations.resolve_perturbations`): inhibitions of
    one node by both members act independently (Bliss).  Pairs that would fix one node
    both on and off (a knock-out with an over-expression of the same gene) are left out.
    """
    out = []
    for a, b in itertools.combinations(arms, 2):
        if a.kind == "pair" or b.kind == "pair":
            raise ModelError("pairs are built from single arms")
        try:
            perts = resolve_perturbations(model, a.perturbations + b.perturbations, with_model=False)
        except ModelError:  # the members fix one node to different values: they cannot be given together
            continue
        out.append(Arm(f"{a.key} + {b.key}", "pair", perts, members=(a.key, b.key)))
    return out


def dose_series(
    model: Model, drugs: Mapping[str, Drug], targets: TargetSet | Sequence[str], doses: Sequence[float]
) -> list[Arm]:
    """Each target at each dose above 0: drugs at a fraction of their maximal effect, genes inhibited.

    A gene at dose ``d`` loses the fraction ``d`` of its steady activity (the same
    conversion the drug library uses for a drug's stated efficacy); dose 1 is a full
    inhibition.  Dose 0 is the control and is not listed.
    """
    grid = sorted({_dose(d) for d in doses})
    arms = []
    for kind, name in resolve_targets(model, drugs, targets):
        for d in grid:
            if d == 0:
                continue
            if kind == "drug":  # the full dose is the drug's single arm (same key: computed once)
                arms.append(_drug_arm(model, drugs[name], d))
            else:
                arms.append(_drug_arm(model, Drug(f"inhibit({name})", (DrugTarget(name, "inhibit"),)), d, name))
    return arms


def _dose(value) -> float:
    try:
        d = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"a dose is a number in [0, 1], not {value!r}") from None
    if not 0 <= d <= 1:  # also rejects NaN
        raise ModelError(f"a dose is a fraction of the maximal effect, in [0, 1], not {value!r}")
    return d
