"""MaBoSS ``.cfg`` files: settings applied to a model of any format.

The reader accepts what MaBoSS 2 accepts: ``$param = …;``, ``X.istate = 0|1|-1;``
(``-1``: random), ``[X].istate = p [1], q [0];`` and joint
``[A, B].istate = p [0, 1], …;``, ``X.is_internal = 0|1;``, ``X.in_graph = 0|1;``,
``X.schedule = t1:v1, …;``, and ``sample_count``, ``max_time``, ``time_tick``,
``discrete_time``, ``thread_count``, ``seed_pseudorandom``, ``statdist_traj_count``,
``statdist_cluster_threshold`` (other MaBoSS run settings, and ``X.refstate``, are
read and ignored).  Mutations as MaBoSS users write them, rates guarded by
``$Low_X`` / ``$High_X`` parameters as pyMaBoSS's ``mutate`` produces: a non-zero
value becomes a :class:`~metastasim.network.Knockout` /
:class:`~metastasim.network.ForceOn` in ``model.perturbations``.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

from metastasim.errors import MetastasimError, ModelError, ParseError
from metastasim.io._maboss_text import _IDENT, _eval_value, _finite, _Lines, _Params, _statements, _strip_comments
from metastasim.network.model import JointInitial, Model
from metastasim.network.perturbations import ForceOn, Knockout, Schedule
from metastasim.network.rates import Rate

__all__ = ["apply_cfg"]

_SETTINGS = {
    "sample_count": ("sample_count", int),
    "max_time": ("max_time", float),
    "time_tick": ("time_tick", float),
    "discrete_time": ("discrete_time", bool),
    "thread_count": ("thread_count", int),
    "seed_pseudorandom": ("seed", int),
    "statdist_traj_count": ("statdist_traj_count", int),
    "statdist_cluster_threshold": ("statdist_cluster_threshold", float),
}
_IGNORED_SETTINGS = {
    "use_physrandgen",
    "use_glibc_rand",
    "use_mtrandgen",
    "display_traj",
    "statdist_similarity_cache_max_size",
    "init_pop",
    "max_pop",
}


@dataclass
class _Cfg:
    """One .cfg file's statements, in file order: ``(kind, names, value text, line, column)``.

    ``kind`` is ``"$"`` (a parameter; ``names`` holds its name), ``"="`` (a setting) or the
    node attribute (``"istate"``, ``"is_internal"``…; ``"[istate]"`` for the bracket form),
    with the node names in ``names``.
    """

    path: str | None = None
    statements: list[tuple[str, list[str], str, int, int]] = field(default_factory=list)


def _parse_cfg(text: str, path: str | None) -> _Cfg:
    cfg = _Cfg(path)
    clean = _strip_comments(text)
    lines = _Lines(clean)
    param_re = re.compile(rf"\s*\$({_IDENT})\s*=\s*")
    joint_re = re.compile(r"\s*\[([^\]]*)\]\s*\.\s*istate\s*=\s*", re.IGNORECASE)
    attr_re = re.compile(rf"\s*({_IDENT})\s*\.\s*({_IDENT})\s*=\s*")
    setting_re = re.compile(rf"\s*({_IDENT})\s*=\s*")
    patterns = (("param", param_re), ("joint", joint_re), ("attr", attr_re), ("setting", setting_re))
    for stmt, start in _statements(clean, lines, path):
        if not stmt.strip():
            continue
        kind, m = next(
            ((k, m) for k, regex in patterns if (m := regex.match(stmt))),
            (None, None),
        )
        if m is None:
            raise ParseError(f"cannot read statement {stmt.strip()[:60]!r}", path=path, line=lines.line(start))
        vpos = start + m.end()
        value = stmt[m.end() :]
        line, col = lines.line(vpos), lines.column(vpos)
        if not value.strip():
            raise ParseError("missing value after '='", path=path, line=line)
        if kind == "param":
            cfg.statements.append(("$", [m.group(1)], value, line, col))
        elif kind == "joint":
            names = [s.strip() for s in m.group(1).split(",")]
            if not all(re.fullmatch(_IDENT, s) for s in names):
                raise ParseError(f"invalid node list [{m.group(1)}]", path=path, line=line)
            cfg.statements.append(("[istate]", names, value, line, col))
        elif kind == "attr":
            cfg.statements.append((m.group(2).lower(), [m.group(1)], value, line, col))
        else:
            cfg.statements.append(("=", [m.group(1)], value, line, col))
    return cfg


def _joint_outcomes(text: str, size: int, params, path, line, col) -> list[tuple[tuple[int, ...], float]]:
    items: list[str] = []
    depth, startpos = 0, 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            items.append(text[startpos:i])
            startpos = i + 1
    items.append(text[startpos:])
    outcomes = []
    for item in items:
        m = re.fullmatch(r"\s*(.+?)\s*\[([^\]]*)\]\s*", item)
        if not m:
            raise ParseError(f"expected 'probability [values]' but found {item.strip()!r}", path=path, line=line)
        prob = _eval_value(m.group(1), params, path, line, col)
        try:
            values = tuple(int(v) for v in m.group(2).split(","))
        except ValueError:
            raise ParseError(f"state [{m.group(2)}] must list 0s and 1s", path=path, line=line) from None
        if len(values) != size or any(v not in (0, 1) for v in values):
            raise ModelError(
                f"state [{m.group(2)}] must give 0 or 1 for each of the {size} node(s)", path=path, line=line
            )
        if not 0.0 <= prob <= 1.0:
            raise ModelError(f"initial-state probability {prob:g} is outside [0, 1]", path=path, line=line)
        outcomes.append((values, prob))
    total = sum(p for _, p in outcomes)
    if total <= 0:
        raise ModelError("initial-state probabilities are all zero", path=path, line=line)
    return [(v, p / total) for v, p in outcomes]


@dataclass
class _At:
    """Where a .cfg statement is written, and the parameter values it is evaluated with."""

    path: str | None
    line: int
    col: int
    params: _Params

    def value(self, text: str, what: str) -> float:
        """``text`` evaluated (a finite number), errors located at the statement."""
        return _finite(
            _eval_value(text, self.params.values, self.path, self.line, self.col), what, self.path, self.line
        )

    def error(self, message: str) -> ModelError:
        return ModelError(message, path=self.path, line=self.line)


def _set_initial(model: Model, names: list[str], outcomes, path, line) -> None:
    """Give ``names`` a (joint) initial distribution; earlier settings of them are replaced."""
    wanted = set(names)
    for group in model.joint_initial:
        shared = wanted & set(group.nodes)
        if shared and not set(group.nodes) <= wanted:
            where = f" (line {group.line})" if group.line else ""
            raise ModelError(
                f"{', '.join(sorted(shared))} belong{'s' if len(shared) == 1 else ''} to the joint "
                f"initial state [{', '.join(group.nodes)}]{where}: set the whole group",
                path=path,
                line=line,
            )
    model.joint_initial = [g for g in model.joint_initial if not set(g.nodes) & wanted]
    if len(names) == 1:
        model.nodes[names[0]].initial = sum(p for values, p in outcomes if values[0] == 1)
    else:
        model.joint_initial.append(JointInitial(tuple(names), tuple(outcomes), line=line))


def _joint_istate(model: Model, names: list[str], text: str, at: _At) -> None:
    """``[A].istate = p [1], q [0];`` or joint ``[A, B].istate = p [0, 1], …;``."""
    outcomes = _joint_outcomes(text, len(names), at.params.values, at.path, at.line, at.col)
    _set_initial(model, names, outcomes, at.path, at.line)


def _istate(model: Model, names: list[str], text: str, at: _At) -> None:
    (name,) = names
    value = at.value(text, f"{name}.istate")
    if value not in (-1, 0, 1):
        raise at.error(
            f"{name}.istate must be 0, 1 or -1 (random), not {value:g}; "
            f"write [{name}].istate = p [1], 1 - p [0]; for a probability"
        )
    _set_initial(model, names, [((1,), 0.5), ((0,), 0.5)] if value < 0 else [((int(value),), 1.0)], at.path, at.line)


def _is_internal(model: Model, names: list[str], text: str, at: _At) -> None:
    model.nodes[names[0]].is_internal = at.value(text, f"{names[0]}.is_internal") != 0


def _in_graph(model: Model, names: list[str], text: str, at: _At) -> None:
    model.nodes[names[0]].in_graph = at.value(text, f"{names[0]}.in_graph") != 0


def _schedule(model: Model, names: list[str], text: str, at: _At) -> None:
    """``X.schedule = t1:v1, t2:v2, …;`` (times and values may use ``$parameters``); a later one replaces it."""
    (name,) = names
    changes = []
    for item in text.split(","):
        time, sep, value = item.partition(":")
        if not sep or not time.strip() or not value.strip():
            raise ParseError(
                f"{name}.schedule: expected 'time: value' but found {item.strip()!r}", path=at.path, line=at.line
            )
        changes.append((at.value(time, f"{name}.schedule"), at.value(value, f"{name}.schedule")))
    try:
        schedule = Schedule(name, tuple(changes))
    except ModelError as exc:
        raise exc.located(at.path, at.line) from None
    kept = tuple(p for p in model.perturbations if not (isinstance(p, Schedule) and p.node == name))
    model.perturbations = kept + (schedule,)


def _read_and_ignore(model: Model, names: list[str], text: str, at: _At) -> None:
    at.value(text, f"{names[0]}.attribute")


#: Node attributes a .cfg may set: ``X.attr = value;`` -> ``handler(model, [X], value text, _At)``.
_NODE_ATTRIBUTES = {
    "[istate]": _joint_istate,
    "istate": _istate,
    "is_internal": _is_internal,
    "in_graph": _in_graph,
    "schedule": _schedule,
    "refstate": _read_and_ignore,
}


def _setting(name: str, text: str, at: _At, values: dict, where: dict) -> None:
    """A run setting (``max_time = 50;``), evaluated now; later statements win."""
    if name not in _SETTINGS:
        if name not in _IGNORED_SETTINGS:
            warnings.warn(f"{at.path or 'cfg'}:{at.line}: unknown setting {name!r} ignored", stacklevel=4)
        return
    field_name, cast = _SETTINGS[name]
    value = at.value(text, name)
    if cast is not float and value != int(value):
        raise at.error(f"{name} must be an integer, not {value:g}")
    values[field_name] = cast(value) if cast is not float else value
    where[field_name] = (at.path, at.line)


def _apply_cfgs(model: Model, sources: Sequence[_Cfg], params: _Params) -> None:
    """Apply the statements of ``sources`` to ``model`` in order, as MaBoSS does.

    Each statement is evaluated with the parameter values defined before it (earlier
    files, earlier lines); rates read the final values.
    """
    values: dict[str, object] = {}
    where: dict[str, tuple[str | None, int]] = {}
    for cfg in sources:
        for kind, names, text, line, col in cfg.statements:
            at = _At(cfg.path, line, col, params)
            if kind == "$":
                params.define(names[0], text, cfg.path, line, col)
            elif kind == "=":
                _setting(names[0], text, at, values, where)
            elif kind not in _NODE_ATTRIBUTES:
                known = ", ".join(k for k in _NODE_ATTRIBUTES if not k.startswith("["))
                raise at.error(f"unknown node attribute {kind!r} (MaBoSS knows {known})")
            else:
                unknown = [name for name in names if name not in model.nodes]
                if unknown:
                    raise at.error(f"unknown node {unknown[0]!r}")
                _NODE_ATTRIBUTES[kind](model, names, text, at)
    try:
        model.settings = model.settings.with_(**values)
    except MetastasimError as exc:
        culprit = next((k for k in where if k in str(exc)), None)
        p, line = where.get(culprit, (None, None))
        raise ModelError(str(exc), path=p, line=line) from None
    model.parameters, found = _extract_mutations(model, params.values)
    model.perturbations = tuple(model.perturbations) + found
    _check_rates(model, params)


def apply_cfg(model: Model, cfg_texts: Sequence[str] | str, *, cfg_paths: Sequence[str | None] = ()) -> Model:
    """Apply MaBoSS ``.cfg`` text(s) to a model of any format, in order (later ones win).

    As MaBoSS's ``-c`` does with any network: ``$parameters`` (added to
    ``model.parameters``; rates that read them use the final values), initial states
    (``X.istate``, ``[A, B].istate``), ``X.is_internal``, run settings
    (``max_time``…), and mutations written with ``$Low_X`` / ``$High_X`` when the
    model's rates read them.  Each statement is evaluated with the parameters defined
    before it, as in MaBoSS.

    Parameters
    ----------
    model
        The model, changed in place (its settings, parameters, initial states,
        internal nodes and perturbations).
    cfg_texts
        The text of one ``.cfg`` file, or of several applied in order.
    cfg_paths
        The files' paths, for error messages.

    Returns
    -------
    Model
        ``model``, checked.

    Raises
    ------
    ModelError
        Naming the ``.cfg`` file and line: syntax errors, unknown nodes or
        attributes, undefined parameters, values out of range.
    """
    if isinstance(cfg_texts, str):
        cfg_texts = [cfg_texts]
    cfg_paths = list(cfg_paths) + [None] * (len(cfg_texts) - len(cfg_paths))
    sources = [_parse_cfg(text, p) for text, p in zip(cfg_texts, cfg_paths)]
    params = _Params(dict(model.parameters), {name: (model.source, None) for name in model.parameters})
    _apply_cfgs(model, sources, params)
    return model.validate()


def _extract_mutations(model: Model, params: dict[str, float]) -> tuple[dict[str, float], tuple]:
    """Turn non-zero ``$Low_X`` / ``$High_X`` into perturbations; keep the parameters at 0."""
    params = dict(params)
    perturbations = []
    for node in model.nodes.values():
        used = node.rate_up.parameters() | node.rate_down.parameters()
        low, high = f"Low_{node.id}", f"High_{node.id}"
        is_low = low in used and params.get(low, 0.0) != 0.0
        is_high = high in used and params.get(high, 0.0) != 0.0
        if is_low and is_high:
            raise ModelError(
                f"both ${low} and ${high} are set: {node.id} cannot be knocked out and forced on",
                path=model.source,
                line=node.line,
            )
        if is_low:
            perturbations.append(Knockout(node.id))
            params[low] = 0.0
        if is_high:
            perturbations.append(ForceOn(node.id))
            params[high] = 0.0
    return params, tuple(perturbations)


def _check_rates(model: Model, params: _Params) -> None:
    """Every rate finite and non-negative, reported where the culprit is written."""
    for node in model.nodes.values():
        for attr in ("rate_up", "rate_down"):
            rate: Rate = getattr(node, attr)
            where = (node.source or model.source, node.line_of(attr))
            problem = model.rate_reads_problem(node.id, attr)  # located here: the .bnd line of the rate
            if problem:
                raise ModelError(problem[1], path=where[0], line=where[1])
            reads = sorted(rate.nodes())
            for logic, states in itertools.product((True, False), itertools.product((0, 1), repeat=len(reads))):
                try:
                    value = rate.evaluate(model.parameters, logic=logic, nodes=dict(zip(reads, states)))
                except ModelError as exc:
                    raise ModelError(f"{attr} of {node.id}: {exc.message}", path=where[0], line=where[1]) from None
                if value >= 0 and value != math.inf:
                    continue
                bad = [
                    n
                    for n in sorted(rate.parameters())
                    if not (model.parameters.get(n, 0.0) >= 0 and math.isfinite(model.parameters.get(n, 0.0)))
                ]
                if bad and bad[0] in params.where:
                    where = params.where[bad[0]]
                    cause = f" (${bad[0]} = {model.parameters[bad[0]]:g})"
                else:
                    cause = ""
                raise ModelError(
                    f"{attr} of {node.id} is {value:g} when its logic is {str(logic).lower()}{cause}: "
                    "rates must be finite and non-negative",
                    path=where[0],
                    line=where[1],
                )
