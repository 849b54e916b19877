"""The network as a Graphviz DOT diagram: nodes coloured by module, activations and inhibitions.

Render with Graphviz (``dot -Tsvg model.dot -o model.svg``); the DOT text itself needs no
Graphviz, so the diagram can be produced anywhere and drawn where ``dot`` is installed.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess

from metastasim.network.expr import influence_signs
from metastasim.network.model import Model

__all__ = ["network_dot", "network_svg", "MODULE_COLOURS"]

#: Fill colours per module (Okabe-Ito palette, distinguishable with colour-blindness).
MODULE_COLOURS = {
    "inputs": "#BBBBBB",
    "upr": "#E69F00",
    "isr": "#F0E442",
    "glutamine": "#56B4E9",
    "signalling": "#CC79A7",
    "effectors": "#FFFFFF",
    "phenotypes": "#009E73",
}
# phenotypes are ovals and inputs dashed: told apart from the other modules without colour
_SHAPES = {"phenotypes": ", shape=ellipse", "inputs": ', style="rounded,filled,dashed", penwidth=1.2'}
# blue arrows and vermilion bars: told apart by colour with any colour vision, and by their heads
_EDGE = {
    "positive": ("#1F63A8", "normal"),
    "negative": ("#D55E00", "tee"),
    "dual": ("#555555", "odot"),
    "unknown": ("#555555", "dot"),
}


def _influences(model: Model, target: str) -> list[tuple[str, str, bool]]:
    """``(source, sign, through_rate)`` for every node ``target`` reads.

    Nodes read by the rule get the rule's sign; nodes read only by a graded rate get
    the sign of their effect on the steady level ``up / (up + down)``, whether the rule
    holds or not (positive if switching them on never lowers it).
    """
    out = [(source, sign, False) for source, sign in sorted(influence_signs(model.nodes[target].rule).items())]
    reads = model.rate_reads(target)
    for source in sorted(set(reads) - model.nodes[target].rule.variables()):
        others = [r for r in reads if r != source]
        moves = set()
        for states in itertools.product((0, 1), repeat=len(others)):
            rates = [model.rate_values(target, {**dict(zip(others, states)), source: v}) for v in (0, 1)]
            for up, down in ((0, 2), (1, 3)):  # rule true, rule false
                level = [r[up] / (r[up] + r[down]) if r[up] + r[down] > 0 else 0.0 for r in rates]
                moves.add((level[1] > level[0]) - (level[1] < level[0]))
        sign = (
            "positive"
            if moves <= {0, 1} and 1 in moves
            else "negative"
            if moves <= {0, -1} and -1 in moves
            else "dual"
            if {1, -1} <= moves
            else "unknown"
        )
        out.append((source, sign, True))
    return out


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def network_dot(model: Model, *, title: str | None = None, clusters: bool = False, legend: bool = True) -> str:
    """DOT text of ``model``: nodes coloured by module, blue arrows for activation, vermilion bars for inhibition.

    Nodes are labelled by id (gene products by their HGNC symbol) with their full name as
    tooltip; inputs sit on the top rank and phenotypes on the bottom one.  ``clusters``
    boxes each module (readable for small models only); ``legend`` adds a key of the
    module colours.  Tight node spacing and merged parallel edges keep a model of ~100
    nodes legible at the width of a page.

    >>> from metastasim.network import Model, Node, parse_rule
    >>> m = Model(name="toy")
    >>> _ = m.add_node(Model.input_node("A")), m.add_node(Node("B", parse_rule("!A")))
    >>> '"A" -> "B"' in network_dot(m) and 'arrowhead=tee' in network_dot(m)
    True
    """
    lines = [
        "digraph network {",
        f"  graph [rankdir=TB, fontname=Helvetica, fontsize=22, labelloc=t, nodesep=0.05, ranksep=0.5, "
        f"newrank=true, splines=true, concentrate=true, label={_quote(title or model.name or '')}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=14, penwidth=0.6, '
        'margin="0.08,0.03", height=0.3];',
        "  edge [penwidth=0.7, arrowsize=0.6];",
    ]
    modules: dict[str, list[str]] = {}
    for name, node in model.nodes.items():
        modules.setdefault(node.module or "", []).append(name)
    for module, names in modules.items():
        colour = MODULE_COLOURS.get(module, "#FFFFFF")
        boxed = clusters and module
        if boxed:
            lines.append(f"  subgraph {_quote('cluster_' + module)} {{")
            lines.append(f'    label={_quote(module)}; style=dashed; color="#999999"; fontsize=16;')
        elif module in ("inputs", "phenotypes"):
            lines.append(f"  {{ rank={'min' if module == 'inputs' else 'max'}; " + " ".join(map(_quote, names)) + " }")
        for name in names:
            node = model.nodes[name]
            lines.append(
                f"    {_quote(name)} [fillcolor={_quote(colour)}, tooltip={_quote(node.name or name)}"
                + _SHAPES.get(module, "")
                + "];"
            )
        if boxed:
            lines.append("  }")
    present = [m for m in MODULE_COLOURS if m in modules]
    if present and legend and not clusters:
        key = "".join(f'<TR><TD BGCOLOR="{MODULE_COLOURS[m]}">{m}</TD></TR>' for m in present)
        lines.append(
            '  legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" '
            f'CELLPADDING="4">{key}<TR><TD>blue arrow: activates<BR/>vermilion bar: inhibits<BR/>'
            "dotted: acts through a graded rate</TD></TR>"
            "</TABLE>>];"
        )
    for target, node in model.nodes.items():
        if node.is_input:
            continue
        for source, sign, through_rate in _influences(model, target):
            colour, head = _EDGE[sign]
            style = ", style=dotted" if through_rate else ""
            lines.append(f"  {_quote(source)} -> {_quote(target)} [color={_quote(colour)}, arrowhead={head}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def network_svg(model: Model, *, title: str | None = None) -> tuple[str, str]:
    """The network as SVG text and the tool that laid it out (``"graphviz"`` or ``"matplotlib"``).

    Graphviz's ``dot`` draws the diagram when it is installed (``apt install graphviz``);
    otherwise a plainer layout in rows, one per module, is drawn with matplotlib.
    """
    dot = shutil.which("dot")
    if dot:
        try:
            proc = subprocess.run(
                [dot, "-Tsvg"],
                input=network_dot(model, title=title, legend=False),
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=120,
                check=True,
            )
            text = proc.stdout
            return text[text.index("<svg") :], "graphviz"  # sized by the page's style sheet
        except (OSError, subprocess.SubprocessError, ValueError):
            pass  # a broken Graphviz: fall back to the plain layout
    return _rows_svg(model, title), "matplotlib"


def _rows_svg(model: Model, title: str | None) -> str:
    from matplotlib import rc_context

    from metastasim.report.figures import subplots, svg

    order = [m for m in MODULE_COLOURS if any(n.module == m for n in model.nodes.values())]
    order += sorted({n.module for n in model.nodes.values()} - set(order))
    rows = {m: [n for n in model.nodes.values() if n.module == m] for m in order}
    width = max(len(r) for r in rows.values())
    pos = {}
    for y, nodes in enumerate(rows.values()):
        for x, node in enumerate(nodes):
            pos[node.id] = ((x + 0.5) * width / len(nodes), -y * 1.6 - (0.45 if x % 2 else 0.0))
    with rc_context({"svg.fonttype": "none", "font.family": "sans-serif", "svg.hashsalt": "metastasim"}):
        fig, ax = subplots((max(12, width * 0.9), 1.6 * len(rows) + 1.5))
        for target, node in model.nodes.items():
            if node.is_input:
                continue
            for source, sign, through_rate in _influences(model, target):
                colour, head = _EDGE[sign]
                ax.annotate(
                    "",
                    xy=pos[target],
                    xytext=pos[source],
                    arrowprops={
                        "arrowstyle": "-|>" if head == "normal" else "-[",
                        "color": colour,
                        "alpha": 0.45,
                        "linewidth": 0.6,
                        "shrinkA": 9,
                        "shrinkB": 9,
                        "linestyle": ":" if through_rate else "-",
                    },
                )
        for name, (x, y) in pos.items():
            ax.text(
                x,
                y,
                name,
                ha="center",
                va="center",
                fontsize=8,
                bbox={
                    "boxstyle": "round,pad=0.25",
                    "facecolor": MODULE_COLOURS.get(model.nodes[name].module, "#FFFFFF"),
                    "edgecolor": "#333333",
                    "linewidth": 0.5,
                },
            )
        for y, module in enumerate(rows):
            ax.text(-0.6, -y * 1.6, module, ha="right", va="center", fontsize=10, fontweight="bold")
        ax.set_xlim(-3.5, width + 0.5)
        ax.set_ylim(-1.6 * len(rows), 1.0)
        ax.set_axis_off()
        if title:
            ax.set_title(title)
        return svg(fig)
