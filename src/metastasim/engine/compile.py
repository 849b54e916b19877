"""Compile a :class:`~metastasim.network.Model` to the flat arrays the kernel reads.

Compilation is done once per model; perturbations are then applied as cheap masks
on copies of the rate and forcing arrays (:meth:`CompiledModel.perturbed`), so a
screen of thousands of perturbations never recompiles rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from metastasim.engine.kernel import TABLE_MAX_INPUTS
from metastasim.errors import ModelError
from metastasim.network.expr import OP_CONST, OP_NOT, OP_VAR, truth_table
from metastasim.network.model import Model
from metastasim.network.perturbations import ForceOn, Inhibit, Knockout, Perturbation, Schedule, SetInput

__all__ = ["CompiledModel", "compile_model", "RATE_CAP"]

#: Rates above this are treated as this value: such an event happens within
#: 1e-12 time units, indistinguishable from MaBoSS's "infinite" ``1E308`` rates on
#: any time grid, while the total rate can never overflow.
RATE_CAP = 1e12


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A model as arrays.  Treat the arrays as read-only; they are shared."""

    node_ids: tuple[str, ...]
    model_hash: str
    kind: np.ndarray  # int64[n]: 0 truth table, 1 postfix program
    in_ptr: np.ndarray  # int64[n+1]: inputs of node i are in_var[in_ptr[i]:in_ptr[i+1]]
    in_var: np.ndarray  # int64
    tab_off: np.ndarray  # int64[n]: offset of node i's table in `tables`
    tables: np.ndarray  # uint8, flattened truth tables (0/1)
    code_ptr: np.ndarray  # int64[n+1]
    code_op: np.ndarray  # int64
    code_arg: np.ndarray  # int64
    max_stack: int
    dep_ptr: np.ndarray  # int64[n+1]: nodes whose rule reads node j
    dep_node: np.ndarray  # int64
    dep_bit: np.ndarray  # int64: bit of j in the dependent's table index, -1 for programs
    up_t: np.ndarray  # float64[n]: rate_up with the rule true / false
    up_f: np.ndarray
    dn_t: np.ndarray  # float64[n]: rate_down with the rule true / false
    dn_f: np.ndarray
    gr_off: np.ndarray  # int64[n]: offset of node i's rate rows in gr_up/gr_dn, -1 if its rates read no node
    gr_up: np.ndarray  # float64: rate_up / rate_down per row of the node's truth table
    gr_dn: np.ndarray  #   (graded nodes: rates that read other nodes' states)
    base: np.ndarray  # int64[n]: initial value of nodes whose initial state is certain
    grp_ptr: np.ndarray  # int64[g+1]: nodes of random initial-state group g
    grp_node: np.ndarray  # int64
    oc_ptr: np.ndarray  # int64[g+1]: outcomes of group g
    oc_cum: np.ndarray  # float64: cumulative outcome probabilities
    oc_vptr: np.ndarray  # int64: start of each outcome's values in oc_val
    oc_val: np.ndarray  # int64
    forced: np.ndarray  # int64[n]: -1 free, else the fixed value
    perturbations: tuple[Perturbation, ...] = ()
    # scheduled changes, in time order: at sched_time[k] node sched_node[k] is set on with probability sched_val[k]
    sched_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sched_node: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sched_val: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @functools.cached_property
    def position(self) -> dict[str, int]:
        """Node id -> index in the arrays."""
        return {name: i for i, name in enumerate(self.node_ids)}

    def perturbed(self, perturbations: tuple[Perturbation, ...]) -> CompiledModel:
        """A copy with resolved perturbations applied (node names must be ids)."""
        up_t, up_f, gr_up = self.up_t.copy(), self.up_f.copy(), self.gr_up
        forced = self.forced.copy()
        for p in perturbations:
            i = self.position[p.node]
            if isinstance(p, Knockout):
                forced[i] = 0
            elif isinstance(p, ForceOn):
                forced[i] = 1
            elif isinstance(p, SetInput):
                forced[i] = p.value
            elif isinstance(p, Inhibit):
                up_t[i] *= 1.0 - p.efficacy
                up_f[i] *= 1.0 - p.efficacy
                if self.gr_off[i] >= 0:
                    if gr_up is self.gr_up:
                        gr_up = gr_up.copy()
                    lo = self.gr_off[i]
                    gr_up[lo : lo + (1 << int(self.in_ptr[i + 1] - self.in_ptr[i]))] *= 1.0 - p.efficacy
        return replace(
            self,
            up_t=up_t,
            up_f=up_f,
            gr_up=gr_up,
            forced=forced,
            perturbations=self.perturbations + tuple(perturbations),
            **self._schedules(perturbations),
        )

    def _schedules(self, perturbations: tuple[Perturbation, ...]) -> dict[str, np.ndarray]:
        """``sched_time``/``sched_node``/``sched_val`` with the schedules among ``perturbations`` added, by time."""
        changes = [
            (t, k, self.position[p.node], v)
            for k, p in enumerate(perturbations)
            if isinstance(p, Schedule)
            for t, v in p.changes
        ]
        if not changes:
            return {}
        old = [(float(t), -1, int(i), float(v)) for t, i, v in zip(self.sched_time, self.sched_node, self.sched_val)]
        merged = sorted(old + changes, key=lambda c: (c[0], c[1]))
        return {
            "sched_time": np.array([c[0] for c in merged], np.float64),
            "sched_node": np.array([c[2] for c in merged], np.int64),
            "sched_val": np.array([c[3] for c in merged], np.float64),
        }


def _program(rule, position: dict[str, int]) -> tuple[list[int], list[int], int]:
    ops: list[int] = []
    args: list[int] = []
    depth = max_depth = 0
    for op, arg in rule.postfix():
        if op == OP_VAR:
            ops.append(OP_VAR)
            args.append(position[arg])
            depth += 1
        elif op == OP_CONST:
            ops.append(OP_CONST)
            args.append(1 if arg else 0)
            depth += 1
        elif op == OP_NOT:
            ops.append(OP_NOT)
            args.append(0)
        else:
            ops.append(op)
            args.append(int(arg))
            depth -= int(arg) - 1
        max_depth = max(max_depth, depth)
    return ops, args, max_depth


def _rate_rows(
    model: Model, node_id: str, reads: list[str], rate_reads: tuple[str, ...], table: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """rate_up and rate_down of a graded node for every row of its truth table.

    Row ``r`` has ``reads[b]`` on where bit ``b`` of ``r`` is set; its rule value is ``table[r]``.
    The rates depend only on the rule value and the nodes they read, so each distinct
    combination is evaluated once.
    """
    bits = [reads.index(name) for name in rate_reads]
    rows = np.arange(len(table))
    key = np.zeros(len(table), np.int64)
    for k, b in enumerate(bits):
        key |= ((rows >> b) & 1) << k
    key = key << 1 | table.astype(np.int64)
    up = np.empty(len(table))
    dn = np.empty(len(table))
    for combo in np.unique(key).tolist():
        states = {name: (combo >> (k + 1)) & 1 for k, name in enumerate(rate_reads)}
        u_t, u_f, d_t, d_f = model.rate_values(node_id, states)
        logic = combo & 1
        where = key == combo
        up[where] = u_t if logic else u_f
        dn[where] = d_t if logic else d_f
    return up, dn


def compile_model(model: Model) -> CompiledModel:
    """Compile ``model`` (which must be valid) to arrays.

    Parameters
    ----------
    model
        The model.

    Returns
    -------
    CompiledModel
        Its rules, rates and initial states as the flat arrays the kernel reads.

    Raises
    ------
    ModelError
        From :meth:`Model.validate`, or when a node whose rates read nodes reads more
        than a truth table holds.
    """
    model.validate()
    ids = tuple(model.nodes)
    n = len(ids)
    position = {name: i for i, name in enumerate(ids)}
    rules = _compile_rules(model, position)
    dep_ptr, dep_node, dep_bit = _dependents(rules.edges, n)
    rates = _plain_rates(model, ids)
    initial = _initial_states(model, position)
    return CompiledModel(
        node_ids=ids,
        model_hash=model.hash(),
        **rules.arrays(),
        dep_ptr=dep_ptr,
        dep_node=dep_node,
        dep_bit=dep_bit,
        up_t=rates[:, 0].copy(),
        up_f=rates[:, 1].copy(),
        dn_t=rates[:, 2].copy(),
        dn_f=rates[:, 3].copy(),
        **initial,
        forced=np.full(n, -1, np.int64),
    )


def _array(values, dtype=np.int64) -> np.ndarray:
    """``values`` as an array of ``dtype`` (an empty one when there are none)."""
    return np.asarray(values, dtype=dtype) if len(values) else np.zeros(0, dtype)


class _RuleArrays:
    """Rules and graded rates gathered node by node, to become the matching :class:`CompiledModel` fields."""

    def __init__(self, n: int):
        self.kind = np.zeros(n, np.int64)
        self.in_ptr = np.zeros(n + 1, np.int64)
        self.in_var: list[int] = []
        self.tab_off = np.zeros(n, np.int64)
        self.tables: list[np.ndarray] = []
        self.table_len = 0
        self.code_ptr = np.zeros(n + 1, np.int64)
        self.code_op: list[int] = []
        self.code_arg: list[int] = []
        self.max_stack = 1
        self.edges: list[tuple[int, int, int]] = []  # (source, dependent, bit)
        self.gr_off = np.full(n, -1, np.int64)
        self.gr_up: list[np.ndarray] = []
        self.gr_dn: list[np.ndarray] = []
        self.gr_len = 0

    def add_table(
        self, i: int, table: np.ndarray, reads: list[int], rates: tuple[np.ndarray, np.ndarray] | None
    ) -> None:
        """Node ``i`` as a truth table over the nodes ``reads`` (positions), with its graded rates' rows."""
        if rates is not None:
            self.gr_off[i] = self.gr_len
            self.gr_up.append(rates[0])
            self.gr_dn.append(rates[1])
            self.gr_len += len(table)
        self.tab_off[i] = self.table_len
        self.tables.append(table)
        self.table_len += len(table)
        for bit, source in enumerate(reads):
            self.in_var.append(source)
            self.edges.append((source, i, bit))

    def add_program(self, i: int, ops: list[int], args: list[int], depth: int, reads: list[int]) -> None:
        """Node ``i`` as a postfix program reading the nodes ``reads`` (positions)."""
        self.kind[i] = 1
        self.code_op.extend(ops)
        self.code_arg.extend(args)
        self.max_stack = max(self.max_stack, depth)
        for source in reads:
            self.edges.append((source, i, -1))

    def end_node(self, i: int) -> None:
        """Close node ``i``'s ranges of inputs and program code."""
        self.in_ptr[i + 1] = len(self.in_var)
        self.code_ptr[i + 1] = len(self.code_op)

    def arrays(self) -> dict:
        """The :class:`CompiledModel` fields of the rules and graded rates."""
        return {
            "kind": self.kind,
            "in_ptr": self.in_ptr,
            "in_var": _array(self.in_var),
            "tab_off": self.tab_off,
            "tables": np.concatenate(self.tables).astype(np.uint8) if self.tables else np.zeros(1, np.uint8),
            "code_ptr": self.code_ptr,
            "code_op": _array(self.code_op),
            "code_arg": _array(self.code_arg),
            "max_stack": self.max_stack,
            "gr_off": self.gr_off,
            "gr_up": np.minimum(np.concatenate(self.gr_up), RATE_CAP) if self.gr_up else np.zeros(1),
            "gr_dn": np.minimum(np.concatenate(self.gr_dn), RATE_CAP) if self.gr_dn else np.zeros(1),
        }


def _compile_rules(model: Model, position: dict[str, int]) -> _RuleArrays:
    """Each node's rule as a truth table (with the rows of its rates, if they read nodes) or, when it reads
    more nodes than a table holds, a postfix program."""
    rules = _RuleArrays(len(position))
    for i, node in enumerate(model.nodes.values()):
        rate_reads = model.rate_reads(node.id)
        reads = sorted(node.rule.variables() | set(rate_reads), key=position.__getitem__)
        if rate_reads and len(reads) > TABLE_MAX_INPUTS:
            raise ModelError(
                f"{node.id}: its rule and rates read {len(reads)} nodes; a node whose rates read "
                f"nodes may read at most {TABLE_MAX_INPUTS} in all",
                path=node.source or model.source,
                line=node.line_of("rate_up"),
            )
        if len(reads) <= TABLE_MAX_INPUTS:
            table = truth_table(node.rule, reads)
            rates = _rate_rows(model, node.id, reads, rate_reads, table) if rate_reads else None
            rules.add_table(i, table, [position[name] for name in reads], rates)
        else:
            ops, args, depth = _program(node.rule, position)
            rules.add_program(i, ops, args, depth, [position[name] for name in reads])
        rules.end_node(i)
    return rules


def _dependents(edges: list[tuple[int, int, int]], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dep_ptr``, ``dep_node``, ``dep_bit``: the nodes whose rule reads each node.

    ``edges`` holds ``(source, dependent, bit)``, ``bit`` -1 for a dependent run as a program.
    """
    edges = sorted(edges)
    dep_ptr = np.zeros(n + 1, np.int64)
    for src, _, _ in edges:
        dep_ptr[src + 1] += 1
    dep_ptr = np.cumsum(dep_ptr)
    return dep_ptr.astype(np.int64), _array([e[1] for e in edges]), _array([e[2] for e in edges])


def _plain_rates(model: Model, ids: tuple[str, ...]) -> np.ndarray:
    """``[node, (up_t, up_f, dn_t, dn_f)]``: rate_up and rate_down with the rule true and false, capped.

    Graded nodes keep 0 here: the kernel reads their rates from ``gr_up`` / ``gr_dn``.
    """
    rates = np.array(
        [(0.0,) * 4 if model.rate_reads(name) else model.rate_values(name) for name in ids], dtype=np.float64
    ).reshape(len(ids), 4)
    return np.minimum(rates, RATE_CAP)


def _initial_states(model: Model, position: dict[str, int]) -> dict[str, np.ndarray]:
    """The :class:`CompiledModel` fields of the initial states.

    Certain values go to ``base``; random single nodes and joint groups become groups
    whose outcomes are sampled from cumulative probabilities.
    """
    base = np.zeros(len(position), np.int64)
    grp_ptr, grp_node, oc_ptr, oc_cum, oc_vptr, oc_val = [0], [], [0], [], [], []
    grouped = {name for g in model.joint_initial for name in g.nodes}
    for i, node in enumerate(model.nodes.values()):
        if node.id in grouped:
            continue
        p = float(node.initial)
        if p in (0.0, 1.0):
            base[i] = int(p)
            continue
        grp_node.append(i)
        grp_ptr.append(len(grp_node))
        for value, prob in ((0, 1.0 - p), (1, p)):
            oc_vptr.append(len(oc_val))
            oc_val.append(value)
            oc_cum.append(prob)
        oc_ptr.append(len(oc_cum))
    for g in model.joint_initial:
        grp_node.extend(position[name] for name in g.nodes)
        grp_ptr.append(len(grp_node))
        for values, prob in g.outcomes:
            oc_vptr.append(len(oc_val))
            oc_val.extend(int(v) for v in values)
            oc_cum.append(float(prob))
        oc_ptr.append(len(oc_cum))
    return {
        "base": base,
        "grp_ptr": _array(grp_ptr),
        "grp_node": _array(grp_node),
        "oc_ptr": _array(oc_ptr),
        "oc_cum": _cumulative(oc_cum, grp_ptr, oc_ptr),
        "oc_vptr": _array(oc_vptr),
        "oc_val": _array(oc_val),
    }


def _cumulative(oc_cum: list[float], grp_ptr: list[int], oc_ptr: list[int]) -> np.ndarray:
    """Each group's outcome probabilities, normalised and accumulated; the last outcome catches rounding."""
    cum = np.array(oc_cum, dtype=np.float64)
    for g in range(len(grp_ptr) - 1):
        lo, hi = oc_ptr[g], oc_ptr[g + 1]
        probs = cum[lo:hi] / cum[lo:hi].sum()
        cum[lo:hi] = np.cumsum(probs)
        cum[hi - 1] = 2.0  # the last outcome catches rounding
    return cum
