"""Tables of the curated model, generated from its YAML at build time.

Each directive loads the model, drugs, facts or cascade through the package's own
loaders (:mod:`metastasim.models`, :func:`metastasim.validation.load_facts`), so the
pages always show what the package ships; nothing is copied by hand.  In a MyST page::

    ```{metastasim-table} nodes
    :module: upr
    ```

Tables: ``nodes`` (id, name, HGNC symbol, module, rule, references), ``rules`` (rule and
rates), ``evidence`` (every reference behind every rule), ``parameters`` (with their
plausible ranges), ``contexts``, ``drugs``, ``facts`` (``:level: cell|cascade|invivo``),
and the cascade's ``stages``, ``constants`` (with their ranges) and ``alterations``.
The YAML files are recorded as dependencies, so an edit to the model rebuilds the pages.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


@functools.cache
def _model():
    from metastasim.models import load_model

    return load_model()


@functools.cache
def _drugs():
    from metastasim.models import load_drugs

    return load_drugs()


@functools.cache
def _facts():
    from metastasim.validation import load_facts

    return load_facts()


@functools.cache
def _cascade():
    from metastasim.cascade import load_cascade

    return load_cascade()


def _data_files() -> list[Path]:
    from metastasim.models import CURATED, data_path

    return sorted(data_path(CURATED).glob("*.yaml"))


# -- building blocks -----------------------------------------------------------------
def _text(value) -> list[nodes.Node]:
    return [nodes.Text(str(value))] if value not in (None, "") else []


def _code(value) -> list[nodes.Node]:
    return [nodes.literal(text=str(value))] if value not in (None, "") else []


def _link(ref, label: str | None = None) -> nodes.Node:
    """A reference as a link to its DOI or PubMed page, the full citation as its tooltip."""
    text = label or ref.short
    if not ref.url:
        return nodes.Text(text)
    link = nodes.reference("", text, refuri=ref.url, internal=False)
    link["reftitle"] = ref.citation or ref.id
    return link


def _joined(items: list[nodes.Node], sep: str = "; ") -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for i, item in enumerate(items):
        if i:
            out.append(nodes.Text(sep))
        out.append(item)
    return out


def _table(headers: list[str], rows: list[list], *, caption: str, name: str, widths: list[int] | None = None):
    """A docutils table; a cell is a string or a list of inline nodes."""
    table = nodes.table(classes=["metastasim-table", f"metastasim-{name}", "colwidths-given"])
    table += nodes.title(text=caption)
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths or [1] * len(headers):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row(headers)
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: list) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        para = nodes.paragraph()
        para += _text(cell) if isinstance(cell, str) else cell
        entry += para
        row += entry
    return row


# -- the tables ------------------------------------------------------------------------
def _nodes_table(module: str | None):
    model = _model()
    rows = []
    for node in model:
        if module and node.module != module:
            continue
        refs = [_link(r) for r in (*node.references, *node.evidence)]
        cells = [_code(node.id), node.name, node.symbol] + ([] if module else [node.module or ""])
        rows.append(cells + [_code(node.rule), _joined(refs)])
    if module:
        return _table(
            ["node", "name", "HGNC symbol", "rule", "references"],
            rows,
            caption=f"{len(rows)} nodes of module {module}",
            name="nodes",
            widths=[14, 18, 10, 26, 32],
        )
    return _table(
        ["node", "name", "HGNC symbol", "module", "rule", "references"],
        rows,
        caption=f"{len(rows)} nodes",
        name="nodes",
        widths=[12, 16, 10, 8, 24, 30],
    )


def _rules_table(module: str | None):
    model = _model()
    rows = [
        [_code(n.id), _code(n.rule), _code(n.rate_up), _code(n.rate_down)]
        for n in model
        if not module or n.module == module
    ]
    where = f" of module {module}" if module else ""
    return _table(
        ["node", "rule", "rate_up", "rate_down"],
        rows,
        caption=f"Rules and rates of {len(rows)} nodes{where}",
        name="rules",
        widths=[10, 30, 30, 20],
    )


def _evidence_table(module: str | None):
    model = _model()
    rows = []
    for node in model:
        if module and node.module != module:
            continue
        for ref in node.references:
            rows.append([_code(node.id), "(the node)", [_link(ref, ref.citation or ref.id)], ref.statement])
        for ref in node.evidence:
            rows.append(
                [
                    _code(node.id),
                    _joined([nodes.literal(text=r) for r in ref.regulators], ", "),
                    [_link(ref, ref.citation or ref.id)],
                    ref.statement,
                ]
            )
    where = f" in module {module}" if module else ""
    return _table(
        ["node", "supports (regulators)", "reference", "finding"],
        rows,
        caption=f"{len(rows)} references behind the rules{where}",
        name="evidence",
        widths=[8, 10, 30, 40],
    )


def _range_text(rng) -> str:
    """``[low, high]``, marked as the default when the file declares none."""
    text = f"[{rng.low:g}, {rng.high:g}]"
    return text if rng.declared else f"{text} (default)"


def _parameters_table():
    model = _model()
    rows = []
    for k, v in model.parameters.items():
        rng = model.parameter_range(k)
        rows.append([_code("$" + k), f"{v:g}", _range_text(rng), rng.why])
    return _table(
        ["parameter", "value (per hour)", "plausible range (log-uniform)", "why"],
        rows,
        caption=f"{len(rows)} rate parameters (model.yaml)",
        name="parameters",
        widths=[14, 10, 14, 62],
    )


def _contexts_table():
    model = _model()
    rows = []
    for ctx in model.contexts.values():
        on = [nodes.literal(text=i) for i in model.inputs if ctx.inputs.get(i)]
        rows.append(
            [_code(ctx.name), _joined(on, ", ") or "none", ctx.description, _joined([_link(r) for r in ctx.references])]
        )
    return _table(
        ["context", "inputs on (the others off)", "description", "references"],
        rows,
        caption=f"{len(rows)} contexts, each a setting of every input node (contexts.yaml)",
        name="contexts",
        widths=[14, 22, 44, 20],
    )


def _drugs_table():
    rows = []
    for drug in _drugs().values():
        targets = [
            nodes.literal(text=f"{t.node} {t.action}" + (f" {t.efficacy:g}" if t.action == "inhibit" else ""))
            for t in drug.targets
        ]
        name = [nodes.strong(text=drug.name)] + (
            [nodes.Text(" (" + ", ".join(drug.aliases) + ")")] if drug.aliases else []
        )
        ref = [_link(drug.reference)] if drug.reference else []
        rows.append([name, drug.drug_class, _joined(targets, ", "), ref, drug.note])
    return _table(
        ["drug (aliases)", "class", "targets (action, efficacy)", "reference", "why this efficacy"],
        rows,
        caption=f"{len(rows)} drugs (drugs.yaml)",
        name="drugs",
        widths=[14, 18, 14, 12, 42],
    )


def _facts_table(level: str):
    facts = [f for f in _facts() if f.level == level]
    rows = []
    for fact in facts:
        where = fact.context if level == "cell" else f"{fact.mode} cascade"
        base = fact.baseline.describe()
        arm = f"{where}{', on ' + base if base else ''}: {fact.perturbation.describe()}"
        if level == "invivo":
            m = fact.invivo
            change = f"{fact.readout}, {m.kind} {m.control} → {m.perturbed} (published)"
        else:
            change = f"{fact.readout} {fact.expected}"
        status = (
            [nodes.emphasis(text="known failure: "), nodes.Text(fact.known_failure)]
            if fact.known_failure
            else "expected to hold"
        )
        rows.append(
            [
                [nodes.literal(text=fact.id), nodes.Text(" "), _link(fact.reference)],
                fact.finding,
                [nodes.Text(arm), nodes.Text(" → "), nodes.strong(text=change)],
                status,
            ]
        )
    label = {"cell": "cell-level facts", "cascade": "cascade facts", "invivo": "in-vivo effect sizes"}[level]
    return _table(
        ["fact, reference", "finding", "simulated as: context, perturbation → readout", "status"],
        rows,
        caption=f"{len(rows)} {label} (facts.yaml)",
        name=f"facts-{level}",
        widths=[18, 36, 22, 24],
    )


def _stages_table():
    spec = _cascade()
    rows = []
    for stage in spec.stages.values():
        modes = [name for name, mode in spec.modes.items() if stage.name in mode.stages]
        name = [nodes.literal(text=stage.name)] + ([nodes.Text(f" ({modes[0]} only)")] if len(modes) == 1 else [])
        where = [nodes.literal(text=stage.context)]
        if stage.inputs:
            where.append(nodes.Text(" with " + ", ".join(f"{k}={v}" for k, v in stage.inputs)))
        where.append(nodes.Text(f", {stage.duration:g} h"))
        cases = [
            nodes.literal(
                text=(f"{c.when}: " if c.when else "otherwise: ") + (c.p if isinstance(c.p, str) else f"{c.p:g}")
            )
            for c in stage.cases
        ]
        rule = _joined(cases, "; ")
        if stage.constants:
            rule.append(
                nodes.Text(
                    "; with "
                    + ", ".join(f"${k} = {v:g} in {_range_text(stage.constant_range(k))}" for k, v in stage.constants)
                )
            )
        rows.append([name, stage.description, where, rule, _joined([_link(r) for r in stage.references])])
    return _table(
        ["stage", "what happens", "context, duration", "pass probability (the first case that holds)", "references"],
        rows,
        caption=f"{len(rows)} stages of the cascade (cascade.yaml)",
        name="stages",
        widths=[13, 22, 15, 32, 18],
    )


def _constants_table():
    spec = _cascade()
    rows = []
    for stage in spec.stages.values():
        for k, v in stage.constants:
            rng = stage.constant_range(k)
            rows.append([_code(stage.name), _code("$" + k), f"{v:g}", _range_text(rng), rng.why])
    return _table(
        ["stage", "constant", "value", "plausible range (uniform)", "why"],
        rows,
        caption=f"{len(rows)} constants of the pass rules (cascade.yaml)",
        name="constants",
        widths=[12, 14, 8, 14, 52],
    )


def _alterations_table():
    spec = _cascade()
    rows = [
        [
            _code(a.id),
            _code(a.node),
            a.change,
            f"{a.frequency:.0%}",
            a.description,
            _joined([_link(r) for r in a.references]),
        ]
        for a in spec.alterations
    ]
    return _table(
        ["alteration", "node", "change", "frequency", "description", "references"],
        rows,
        caption=f"{len(rows)} heritable alterations (cascade.yaml)",
        name="alterations",
        widths=[10, 8, 6, 6, 30, 20],
    )


_TABLES = {
    "nodes": _nodes_table,
    "rules": _rules_table,
    "evidence": _evidence_table,
    "parameters": _parameters_table,
    "contexts": _contexts_table,
    "drugs": _drugs_table,
    "facts": _facts_table,
    "stages": _stages_table,
    "constants": _constants_table,
    "alterations": _alterations_table,
}


class ModelTable(SphinxDirective):
    """``metastasim-table KIND``: a table of the curated model, read from its YAML now."""

    required_arguments = 1
    option_spec: ClassVar[dict] = {
        "module": directives.unchanged,
        "level": lambda value: directives.choice(value, ("cell", "cascade", "invivo")),
    }

    def run(self):
        kind = self.arguments[0]
        if kind not in _TABLES:
            raise self.error(f"unknown table {kind!r}; known: {', '.join(_TABLES)}")
        for path in [*_data_files(), Path(__file__)]:  # the YAML, and how it is drawn
            self.env.note_dependency(str(path))
        if kind in ("nodes", "rules", "evidence"):
            module = self.options.get("module")
            if module and module not in {n.module for n in _model()}:
                raise self.error(f"no module {module!r} in the curated model")
            return [_TABLES[kind](module)]
        if kind == "facts":
            return [_facts_table(self.options.get("level", "cell"))]
        return [_TABLES[kind]()]


def setup(app):
    app.add_directive("metastasim-table", ModelTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
