"""The network as a Graphviz DOT diagram: nodes coloured by module, activations and inhibitions.

Render with Graphviz (``dot -Tsvg model.dot -o model.svg``); the DOT text itself needs no
Graphviz, so the diagram can be produced anywhere and drawn where ``dot`` is installed.
"""

from __future__ import annotations

from metastasim.network.expr import influence_signs
from metastasim.network.model import Model

__all__ = ["network_dot", "MODULE_COLOURS"]

#: Fill colours per module (Okabe-Ito palette, distinguishable with colour-blindness).
MODULE_COLOURS = {
    "inputs": "#BBBBBB",
    "upr": "#E69F00",
    "isr": "#F0E442",
    "glutamine": "#56B4E9",
    "signalling": "#CC79A7",
    "effectors": "#DDDDDD",
    "phenotypes": "#009E73",
}
_EDGE = {"positive": ("#2B6E2B", "normal"), "negative": ("#B22222", "tee"), "dual": ("#555555", "odot"),
         "unknown": ("#555555", "dot")}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def network_dot(model: Model, *, title: str | None = None, clusters: bool = False) -> str:
    """DOT text of ``model``: nodes coloured by module, green arrows for activation, red bars for inhibition.

    Nodes are labelled by id (gene products by their HGNC symbol) with their full name as
    tooltip; inputs sit on the top rank and phenotypes on the bottom one.  ``clusters``
    boxes each module (readable for small models only).

    >>> from metastasim.network import Model, Node, parse_rule
    >>> m = Model(name="toy")
    >>> _ = m.add_node(Model.input_node("A")), m.add_node(Node("B", parse_rule("!A")))
    >>> '"A" -> "B"' in network_dot(m) and 'arrowhead=tee' in network_dot(m)
    True
    """
    lines = ["digraph network {",
             f"  graph [rankdir=TB, fontname=Helvetica, fontsize=22, labelloc=t, nodesep=0.15, ranksep=0.7, "
             f"newrank=true, splines=true, label={_quote(title or model.name or '')}];",
             "  node [shape=box, style=\"rounded,filled\", fontname=Helvetica, fontsize=14, penwidth=0.6, "
             "margin=\"0.08,0.03\", height=0.3];",
             "  edge [penwidth=0.7, arrowsize=0.6];"]
    modules: dict[str, list[str]] = {}
    for name, node in model.nodes.items():
        modules.setdefault(node.module or "", []).append(name)
    for module, names in modules.items():
        colour = MODULE_COLOURS.get(module, "#FFFFFF")
        boxed = clusters and module
        if boxed:
            lines.append(f"  subgraph {_quote('cluster_' + module)} {{")
            lines.append(f"    label={_quote(module)}; style=dashed; color=\"#999999\"; fontsize=16;")
        elif module in ("inputs", "phenotypes"):
            lines.append(f"  {{ rank={'min' if module == 'inputs' else 'max'}; " + " ".join(map(_quote, names)) + " }")
        for name in names:
            node = model.nodes[name]
            lines.append(f"    {_quote(name)} [fillcolor={_quote(colour)}, tooltip={_quote(node.name or name)}"
                         + (", shape=ellipse" if module == "phenotypes" else "") + "];")
        if boxed:
            lines.append("  }")
    present = [m for m in MODULE_COLOURS if m in modules]
    if present and not clusters:
        legend = "".join(f'<TR><TD BGCOLOR="{MODULE_COLOURS[m]}">{m}</TD></TR>' for m in present)
        lines.append('  legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" '
                     f'CELLPADDING="4">{legend}<TR><TD>green arrow: activates<BR/>red bar: inhibits</TD></TR>'
                     '</TABLE>>];')
    for target, node in model.nodes.items():
        if node.is_input:
            continue
        for source, sign in sorted(influence_signs(node.rule).items()):
            colour, head = _EDGE[sign]
            lines.append(f"  {_quote(source)} -> {_quote(target)} [color={_quote(colour)}, arrowhead={head}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
