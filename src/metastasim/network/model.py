"""The logical model: an ordered dict of nodes, their rules, rates and annotations.

Examples
--------
>>> from metastasim.network import Model, Node, parse_rule
>>> m = Model([Node("A", parse_rule("A"), is_input=True), Node("B", parse_rule("A & !B"))])
>>> m.inputs
['A']
>>> len(m.hash())
16
>>> with m:                      # edits inside the block are undone at its end
...     m.nodes["B"].initial = 1.0
>>> m.nodes["B"].initial
0.5
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from metastasim.errors import ModelError, UnknownNameError
from metastasim.network.expr import Expr, Var
from metastasim.network.parser import RESERVED, is_valid_name
from metastasim.network.ranges import Range, default_range
from metastasim.network.rates import Rate, down_rate, up_rate
from metastasim.network.settings import Settings

__all__ = [
    "Reference",
    "Context",
    "Node",
    "JointInitial",
    "Model",
    "is_identity",
    "DEFAULT_RATE_UP",
    "DEFAULT_RATE_DOWN",
]

DEFAULT_RATE_UP = up_rate(1)
DEFAULT_RATE_DOWN = down_rate(1)
#: Most nodes one node's rates may read (the rates are tabulated over their states).
MAX_RATE_READS = 12


@dataclass(frozen=True)
class Reference:
    """A literature reference.

    ``id`` is ``doi:…``, ``pmid:…``, ``pmcid:PMC…`` or an http(s) address; ``statement`` the finding it supports;
    ``citation`` a short human citation; ``regulators`` the nodes of a rule whose
    influence the finding supports (for evidence attached to a rule).
    """

    id: str
    statement: str = ""
    citation: str = ""
    regulators: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        """``Luzzi et al. 1998`` from a citation ``Luzzi KJ, MacDonald IC, ... Am J Pathol 1998;...`` (else the id)."""
        first = self.citation.split(",")[0].split()[0] if self.citation.strip() else ""
        if not first[:1].isalpha():  # no leading author name ("[authors not displayed] Cancer Res 1962")
            return self.id
        year = re.search(r"\b(19|20)\d\d\b", self.citation)
        several = "," in self.citation or "et al" in self.citation
        return f"{first}{' et al.' if several else ''}{' ' + year.group(0) if year else ''}"

    @property
    def url(self) -> str:
        """A link to the reference (doi.org or PubMed)."""
        kind, _, value = self.id.partition(":")
        if kind.lower() == "doi":
            return f"https://doi.org/{value}"
        if kind.lower() == "pmid":
            return f"https://pubmed.ncbi.nlm.nih.gov/{value}/"
        if kind.lower() == "pmcid":
            return f"https://pmc.ncbi.nlm.nih.gov/articles/{value}/"
        if kind.lower() in ("http", "https"):
            return self.id
        return ""


@dataclass(frozen=True)
class Context:
    """A named setting of the model's input nodes (a microenvironment)."""

    name: str
    inputs: Mapping[str, int]
    description: str = ""
    references: tuple[Reference, ...] = ()
    source: str | None = None
    line: int | None = None


@dataclass(eq=False)
class Node:
    """One Boolean variable of a model.

    Parameters
    ----------
    id
        Identifier, unique in the model (case-sensitive).
    rule
        Boolean expression giving the node's target value.  An input reads itself.
    rate_up, rate_down
        MaBoSS rate expressions; defaults ``@logic ? 1 : 0`` and ``@logic ? 0 : 1``.
    initial
        Probability that the node is on at time 0 (ignored for nodes of a joint
        initial-state group).
    is_input
        Set by the microenvironment rather than by regulators.
    is_internal
        Left out of full-state probabilities (MaBoSS's ``is_internal``).
    in_graph
        Part of the observed transition graph (MaBoSS's ``in_graph``).
    name, symbol, description, references
        Annotations: a readable name, the HGNC symbol, a sentence, references
        about the node itself.
    module
        The part of the model the node belongs to (e.g. ``upr``).
    evidence
        References supporting the rule, each naming the regulators it supports.
    source
        The file the node is defined in, when it is not the model's own file
        (models split into module files).
    line
        Line of the file where the node is defined, for error messages.
    lines
        Lines of individual fields (``"rule"``, ``"rate_up"``, ``"rate_down"``,
        ``"initial"``) where a reader knows them, for error messages.
    """

    id: str
    rule: Expr
    rate_up: Rate = DEFAULT_RATE_UP
    rate_down: Rate = DEFAULT_RATE_DOWN
    initial: float = 0.5
    is_input: bool = False
    is_internal: bool = False
    in_graph: bool = False
    name: str = ""
    symbol: str = ""
    description: str = ""
    references: tuple[Reference, ...] = ()
    module: str = ""
    evidence: tuple[Reference, ...] = ()
    source: str | None = None
    line: int | None = None
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, field_name: str) -> int | None:
        """Line of a field, or of the node's definition."""
        return self.lines.get(field_name, self.line)


@dataclass(frozen=True)
class JointInitial:
    """A joint initial-state distribution over several nodes (MaBoSS ``[A, B].istate``).

    ``outcomes`` pairs each assignment (one 0/1 per node, in ``nodes`` order) with
    its probability; the probabilities sum to 1.
    """

    nodes: tuple[str, ...]
    outcomes: tuple[tuple[tuple[int, ...], float], ...]
    line: int | None = None


class Model:
    """A logical model.

    Parameters
    ----------
    nodes
        The nodes, in order.
    name, description
        Free text.
    parameters
        Values of the ``$parameters`` rates refer to (names without ``$``).
    joint_initial
        Joint initial-state groups.
    settings
        Default simulation settings (from a MaBoSS ``.cfg`` or the YAML file).
    perturbations
        Perturbations the file itself applies (MaBoSS ``$Low_X = 1``).
    source
        Path of the file the model was read from.
    references
        References for the model as a whole.
    contexts
        Named settings of the input nodes (microenvironments).
    parameter_ranges
        Declared plausible ranges of parameters (:class:`~metastasim.network.ranges.Range`);
        :meth:`parameter_range` gives the default for the others.
    """

    def __init__(
        self,
        nodes: Iterable[Node] = (),
        *,
        name: str = "",
        description: str = "",
        parameters: Mapping[str, float] | None = None,
        joint_initial: Iterable[JointInitial] = (),
        settings: Settings | None = None,
        perturbations: Iterable = (),
        source: str | None = None,
        references: Iterable[Reference] = (),
        contexts: Iterable[Context] = (),
        parameter_ranges: Mapping[str, Range] | None = None,
    ) -> None:
        self.nodes: dict[str, Node] = {}
        self.name = name
        self.description = description
        self.parameters: dict[str, float] = dict(parameters or {})
        self.joint_initial: list[JointInitial] = list(joint_initial)
        self.settings = settings or Settings()
        self.perturbations: tuple = tuple(perturbations)
        self.source = source
        self.references: tuple[Reference, ...] = tuple(references)
        self.contexts: dict[str, Context] = {c.name: c for c in contexts}
        self.parameter_ranges: dict[str, Range] = dict(parameter_ranges or {})
        self._snapshots: list[tuple] = []
        for node in nodes:
            self.add_node(node)

    # -- construction ------------------------------------------------------
    def add_node(self, node: Node) -> Node:
        """Add a node; a second node with the same id, or an invalid id, is an error."""
        if not is_valid_name(node.id):
            reason = " (a reserved word)" if str(node.id).lower() in RESERVED else ""
            raise ModelError(f"invalid node name {node.id!r}{reason}", path=node.source or self.source, line=node.line)
        if node.id in self.nodes:
            first = self.nodes[node.id]
            where = ""
            if first.line is not None:
                in_file = f" of {first.source}" if first.source and first.source != node.source else ""
                where = f" (first defined on line {first.line}{in_file})"
            raise ModelError(
                f"node {node.id!r} is defined twice{where}", path=node.source or self.source, line=node.line
            )
        self.nodes[node.id] = node
        return node

    # -- queries -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes.values())

    def __contains__(self, name: object) -> bool:
        return name in self.nodes

    def parameter_range(self, name: str) -> Range:
        """The plausible range of parameter ``name``: declared, or its value divided or multiplied by 2."""
        if name not in self.parameters:
            raise UnknownNameError(f"unknown parameter {name!r}", path=self.source)
        return self.parameter_ranges.get(name) or default_range(self.parameters[name])

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Model{label}: {len(self.nodes)} nodes, {len(self.inputs)} inputs>"

    @property
    def inputs(self) -> list[str]:
        """Ids of input nodes, in model order."""
        return [n.id for n in self.nodes.values() if n.is_input]

    @property
    def outputs(self) -> list[str]:
        """Ids of nodes that are not internal, in model order."""
        return [n.id for n in self.nodes.values() if not n.is_internal]

    def symbols(self) -> dict[str, str]:
        """HGNC symbol -> node id, for nodes that carry one."""
        return {n.symbol: n.id for n in self.nodes.values() if n.symbol}

    def resolve(self, name: str) -> str:
        """Node id for a node id or HGNC symbol.

        Raises
        ------
        UnknownNameError
            Naming close matches, if there are any.
        """
        if name in self.nodes:
            return name
        by_symbol = [n.id for n in self.nodes.values() if n.symbol == name]
        if len(by_symbol) == 1:
            return by_symbol[0]
        if len(by_symbol) > 1:
            raise UnknownNameError(f"symbol {name!r} names several nodes: {', '.join(by_symbol)}")
        candidates = list(self.nodes) + [n.symbol for n in self.nodes.values() if n.symbol]
        close = difflib.get_close_matches(name, candidates, n=4, cutoff=0.6)
        if not close:
            close = [c for c in candidates if c.lower() == name.lower()]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownNameError(f"unknown node {name!r}{hint}")

    def context(self, name: str) -> Context:
        """A context by name.

        Raises
        ------
        UnknownNameError
            Listing the model's contexts (and the closest matches).
        """
        if name in self.contexts:
            return self.contexts[name]
        if not self.contexts:
            raise UnknownNameError(f"the model defines no contexts (asked for {name!r})")
        close = difflib.get_close_matches(name, list(self.contexts), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise UnknownNameError(f"unknown context {name!r}; {hint}contexts: {', '.join(self.contexts)}")

    def regulators(self) -> dict[str, list[str]]:
        """Node id -> the nodes its rule reads (excluding itself for inputs)."""
        return {n.id: sorted(n.rule.variables() - ({n.id} if n.is_input else set())) for n in self.nodes.values()}

    def rate_reads(self, node_id: str) -> tuple[str, ...]:
        """The nodes whose states ``node_id``'s rates read (sorted; empty for most nodes)."""
        node = self.nodes[node_id]
        return tuple(sorted(node.rate_up.nodes() | node.rate_down.nodes()))

    def rate_reads_problem(self, node_id: str, field_name: str | None = None) -> tuple[str, str] | None:
        """What is wrong with the nodes that ``node_id``'s rates read, or None.

        ``(field to point at, message)``: a read node that is never defined, or more
        than :data:`MAX_RATE_READS` of them.  ``field_name`` (``rate_up`` or
        ``rate_down``) checks that rate alone; by default both, whose reads the engine
        tabulates together.
        """
        node = self.nodes[node_id]
        fields = (field_name,) if field_name else ("rate_up", "rate_down")
        for name in fields:
            unknown = sorted(n for n in getattr(node, name).nodes() if n not in self.nodes)
            if unknown:
                return name, (
                    f"{name} of {node_id} reads {', '.join(unknown)}, which "
                    f"{'is' if len(unknown) == 1 else 'are'} never defined as a node"
                )
        reads = getattr(node, field_name).nodes() if field_name else self.rate_reads(node_id)
        if len(reads) > MAX_RATE_READS:
            who = f"{field_name} of {node_id} reads" if field_name else f"the rates of {node_id} read"
            return field_name or "rate_up", f"{who} {len(reads)} nodes; at most {MAX_RATE_READS} are supported"
        return None

    def rate_values(self, node_id: str, nodes: Mapping[str, int] | None = None) -> tuple[float, float, float, float]:
        """``(up if rule true, up if rule false, down if rule true, down if rule false)``.

        A node whose rates read other nodes (:meth:`rate_reads`) needs their states in ``nodes``.
        """
        node = self.nodes[node_id]
        values = []
        for field_name in ("rate_up", "rate_down"):
            rate: Rate = getattr(node, field_name)
            try:
                values += [
                    rate.evaluate(self.parameters, logic=True, nodes=nodes),
                    rate.evaluate(self.parameters, logic=False, nodes=nodes),
                ]
            except ModelError as exc:
                raise ModelError(
                    f"{field_name} of {node_id}: {exc.message}",
                    path=node.source or self.source,
                    line=node.line_of(field_name),
                ) from None
        return tuple(values)  # type: ignore[return-value]

    # -- checks ----------------------------------------------------------------
    def validate(self) -> Model:
        """Check the model; return it unchanged.

        Raises
        ------
        ModelError
            Names read but never defined, negative or non-finite rates, initial
            probabilities outside [0, 1], malformed joint initial states.
        """
        if not self.nodes:
            raise ModelError("the model defines no nodes", path=self.source)
        labels = ("rate_up", "rate_up", "rate_down", "rate_down")
        for node in self.nodes.values():
            missing = sorted(node.rule.variables() - self.nodes.keys())
            if missing:
                raise ModelError(
                    f"rule of {node.id} reads {', '.join(missing)}, which "
                    f"{'is' if len(missing) == 1 else 'are'} never defined as a node",
                    path=node.source or self.source,
                    line=node.line_of("rule"),
                )
            if not (isinstance(node.initial, (int, float)) and 0.0 <= node.initial <= 1.0):
                raise ModelError(
                    f"initial probability of {node.id} must be in [0, 1], not {node.initial!r}",
                    path=node.source or self.source,
                    line=node.line_of("initial"),
                )
            problem = self.rate_reads_problem(node.id)
            if problem:
                raise ModelError(problem[1], path=node.source or self.source, line=node.line_of(problem[0]))
            reads = self.rate_reads(node.id)
            for states in itertools.product((0, 1), repeat=len(reads)):
                at = dict(zip(reads, states))
                for k, (label, value) in enumerate(zip(labels, self.rate_values(node.id, at))):
                    if not math.isfinite(value) or value < 0:
                        when = "true" if k % 2 == 0 else "false"
                        where = "".join(f", {name}={v}" for name, v in at.items())
                        raise ModelError(
                            f"{label} of {node.id} is {value:g} when its rule is {when}{where}: "
                            "rates must be finite and non-negative",
                            path=node.source or self.source,
                            line=node.line_of(label),
                        )
        for ctx in self.contexts.values():
            for name, value in ctx.inputs.items():
                if name not in self.nodes or not self.nodes[name].is_input:
                    what = "unknown node" if name not in self.nodes else "node that is not an input"
                    raise ModelError(
                        f"context {ctx.name} sets {what} {name!r}", path=ctx.source or self.source, line=ctx.line
                    )
                if isinstance(value, bool) or value not in (0, 1):
                    raise ModelError(
                        f"context {ctx.name} sets {name} to {value!r}, not 0 or 1",
                        path=ctx.source or self.source,
                        line=ctx.line,
                    )
        grouped: set[str] = set()
        for group in self.joint_initial:
            for name in group.nodes:
                if name not in self.nodes:
                    raise ModelError(f"initial state names unknown node {name!r}", path=self.source, line=group.line)
                if name in grouped:
                    raise ModelError(f"{name} appears in two joint initial states", path=self.source, line=group.line)
                grouped.add(name)
            total = 0.0
            for values, p in group.outcomes:
                if len(values) != len(group.nodes) or any(v not in (0, 1) for v in values):
                    raise ModelError(
                        f"initial state {list(values)} does not give 0/1 for each of {', '.join(group.nodes)}",
                        path=self.source,
                        line=group.line,
                    )
                if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
                    raise ModelError(
                        f"initial-state probability {p!r} is outside [0, 1]", path=self.source, line=group.line
                    )
                total += p
            if abs(total - 1.0) > 1e-6:
                raise ModelError(
                    f"initial-state probabilities sum to {total:g}, not 1", path=self.source, line=group.line
                )
        return self

    # -- identity ------------------------------------------------------------
    def dynamics_dict(self) -> dict:
        """The parts of the model that determine its dynamics, as plain data."""
        return {
            "nodes": [
                [
                    n.id,
                    n.rule.to_string(),
                    n.rate_up.to_string(),
                    n.rate_down.to_string(),
                    float(n.initial),
                    bool(n.is_input),
                ]
                for n in self.nodes.values()
            ],
            "parameters": sorted((k, float(v)) for k, v in self.parameters.items()),
            "joint_initial": [
                [list(g.nodes), [[list(v), float(p)] for v, p in g.outcomes]] for g in self.joint_initial
            ],
        }

    def hash(self) -> str:
        """16 hex digits identifying the model's dynamics (not its annotations)."""
        text = json.dumps(self.dynamics_dict(), separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # -- copies and reversible edits -------------------------------------------
    def copy(self) -> Model:
        """An independent copy (rules and rates, being immutable, are shared)."""
        new = copy.copy(self)
        new.nodes = {k: replace(v, lines=dict(v.lines)) for k, v in self.nodes.items()}
        new.parameters = dict(self.parameters)
        new.joint_initial = list(self.joint_initial)
        new.contexts = dict(self.contexts)
        new.parameter_ranges = dict(self.parameter_ranges)
        new._snapshots = []
        return new

    def __enter__(self) -> Model:
        saved_nodes = [
            (node, {f.name: copy.copy(getattr(node, f.name)) for f in fields(node)}) for node in self.nodes.values()
        ]
        self._snapshots.append(
            (
                saved_nodes,
                dict(self.parameters),
                list(self.joint_initial),
                self.settings,
                self.perturbations,
            )
        )
        return self

    def __exit__(self, *exc) -> None:
        saved_nodes, self.parameters, self.joint_initial, self.settings, self.perturbations = self._snapshots.pop()
        self.nodes.clear()
        for node, values in saved_nodes:  # the same Node objects, with their old field values
            for name, value in values.items():
                setattr(node, name, value)
            self.nodes[node.id] = node

    # -- helpers for readers -----------------------------------------------------
    @staticmethod
    def input_node(name: str, *, line: int | None = None, initial: float = 0.5) -> Node:
        """A node that keeps its initial value (its rule reads itself)."""
        return Node(name, Var(name), is_input=True, initial=initial, line=line)


def is_identity(node: Node) -> bool:
    """Whether the node's rule is exactly itself (how bnet and MaBoSS write inputs)."""
    return isinstance(node.rule, Var) and node.rule.name == node.id
