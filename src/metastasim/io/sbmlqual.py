"""SBML Level 3 with the qual package (GINsim, CellCollective, bioLQM), through python-libsbml.

Reading accepts Boolean models only (every ``maxLevel`` at most 1; a multi-valued
model is an error).  Function terms may compare a species with a number or, as GINsim
and CellCollective write them, with the id of one of the transition's inputs, which
stands for that input's ``thresholdLevel`` (``<ci>theta_t1_nik</ci>``); a transition may
have several inputs and several outputs (each output gets the transition's function).
A species with no transition, or with a transition that has neither function terms
nor a default term, is an input (it keeps its value); a transition
with only a default term sets a constant.  Function terms are read in
order (the first that holds gives the level, else the default term).  Files with
consistency messages that do not affect their content (no ``compartment`` on a
species, a non-standard ``essential`` attribute, an empty ``listOfInputs``) are
accepted, as other tools accept them; XML that is not well-formed is an error
naming its line.

SBML-qual holds no rates and only 0/1 initial levels: writing a model that has
other rates or initial probabilities raises
:class:`~metastasim.errors.RatesNotSupportedError` /
:class:`~metastasim.errors.InitialStateNotSupportedError` unless asked to drop them.
"""

from __future__ import annotations

import os
import re

from metastasim.errors import ModelError
from metastasim.io._export import check_lossless
from metastasim.io.files import atomic_write_text, read_text
from metastasim.network.expr import FALSE, TRUE, And, Const, Expr, Not, Or, Var, Xor, influence_signs
from metastasim.network.model import Model, Node, is_identity

__all__ = ["read_sbmlqual", "parse_sbmlqual", "write_sbmlqual", "to_sbmlqual"]


def _libsbml():
    import libsbml  # imported lazily: it is slow to load

    return libsbml


def _xml_errors(doc, path: str | None) -> None:
    """Raise on errors that mean the XML could not be read (not on consistency notes)."""
    sbml = _libsbml()
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        fatal = err.getSeverity() == sbml.LIBSBML_SEV_FATAL
        xml_level = err.getErrorId() < 10000  # libsbml's XML-layer error codes
        if fatal or (xml_level and err.getSeverity() >= sbml.LIBSBML_SEV_ERROR):
            message = " ".join(err.getMessage().split())
            raise ModelError(f"not readable as SBML: {message}", path=path, line=err.getLine() or None)


class _MathReader:
    """Turn a qual function term's MathML (a libsbml ASTNode) into a rule, iteratively."""

    def __init__(self, species: set[str], thresholds: dict[str, float | None], path: str | None, line: int | None):
        # thresholds: the ids of the transition's inputs -> their thresholdLevel (None: not set)
        self.species, self.thresholds, self.path, self.line = species, thresholds, path, line
        sbml = _libsbml()
        self.t = sbml
        self.relational = {
            sbml.AST_RELATIONAL_EQ: "eq",
            sbml.AST_RELATIONAL_NEQ: "neq",
            sbml.AST_RELATIONAL_GEQ: "geq",
            sbml.AST_RELATIONAL_GT: "gt",
            sbml.AST_RELATIONAL_LEQ: "leq",
            sbml.AST_RELATIONAL_LT: "lt",
        }

    def error(self, message: str) -> ModelError:
        return ModelError(message, path=self.path, line=self.line)

    def number(self, node) -> float | None:
        t = self.t
        if node.getType() in (t.AST_INTEGER,):
            return float(node.getInteger())
        if node.getType() in (t.AST_REAL, t.AST_REAL_E, t.AST_RATIONAL):
            return float(node.getReal())
        return None

    def name(self, node) -> str | None:
        if node.getType() == self.t.AST_NAME:
            name = node.getName()
            if name in self.thresholds:
                raise self.error(f"the threshold {name!r} stands alone; compare a species with it")
            if name not in self.species:
                raise self.error(
                    f"function term reads {name!r}, which is neither a qualitative species nor "
                    "the id of one of the transition's inputs (a threshold)"
                )
            return name
        return None

    def level(self, node) -> float | None:
        """A number, or the thresholdLevel of the input whose id ``node`` names."""
        value = self.number(node)
        if value is not None or node.getType() != self.t.AST_NAME or node.getName() not in self.thresholds:
            return value
        level = self.thresholds[node.getName()]
        if level is None:
            raise self.error(f"the input {node.getName()!r} used as a threshold has no thresholdLevel")
        return level

    def compare(self, op: str, name: str, c: float) -> Expr:
        x = Var(name)
        table = {
            "eq": lambda: x if c == 1 else Not(x) if c == 0 else FALSE,
            "neq": lambda: Not(x) if c == 1 else x if c == 0 else TRUE,
            "geq": lambda: TRUE if c <= 0 else x if c <= 1 else FALSE,
            "gt": lambda: TRUE if c < 0 else x if c < 1 else FALSE,
            "leq": lambda: TRUE if c >= 1 else Not(x) if c >= 0 else FALSE,
            "lt": lambda: TRUE if c > 1 else Not(x) if c > 0 else FALSE,
        }
        return table[op]()

    def relation(self, node, op: str) -> Expr:
        if node.getNumChildren() != 2:
            raise self.error("comparisons must have two arguments")
        a, b = node.getChild(0), node.getChild(1)
        flipped = {"eq": "eq", "neq": "neq", "geq": "leq", "gt": "lt", "leq": "geq", "lt": "gt"}
        level_a, level_b = self.level(a), self.level(b)
        if level_a is None and level_b is not None and self.name(a) is not None:
            return self.compare(op, a.getName(), level_b)
        if level_a is not None and level_b is None and self.name(b) is not None:
            return self.compare(flipped[op], b.getName(), level_a)
        for side, level in ((a, level_a), (b, level_b)):
            if level is None:
                self.name(side)  # an unknown name: say which
        raise self.error("comparisons must set a species against a number or a threshold")

    def read(self, root) -> Expr:
        t = self.t
        out: list[Expr] = []
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            kind = node.getType()
            if kind in self.relational:
                out.append(self.relation(node, self.relational[kind]))
            elif kind == t.AST_NAME:
                out.append(Var(self.name(node)))
            elif kind == t.AST_CONSTANT_TRUE:
                out.append(TRUE)
            elif kind == t.AST_CONSTANT_FALSE:
                out.append(FALSE)
            elif self.number(node) is not None:
                out.append(TRUE if self.number(node) != 0 else FALSE)
            elif kind in (t.AST_LOGICAL_AND, t.AST_LOGICAL_OR, t.AST_LOGICAL_XOR, t.AST_LOGICAL_NOT):
                k = node.getNumChildren()
                if not expanded:
                    stack.append((node, True))
                    stack.extend((node.getChild(i), False) for i in range(k - 1, -1, -1))
                    continue
                args = out[len(out) - k :]
                del out[len(out) - k :]
                if kind == t.AST_LOGICAL_NOT:
                    if k != 1:
                        raise self.error("'not' takes one argument")
                    out.append(Not(args[0]))
                elif k == 0:
                    out.append(TRUE if kind == t.AST_LOGICAL_AND else FALSE)
                elif k == 1:
                    out.append(args[0])
                else:
                    out.append({t.AST_LOGICAL_AND: And, t.AST_LOGICAL_OR: Or, t.AST_LOGICAL_XOR: Xor}[kind](args))
            else:
                raise self.error(f"unsupported MathML element {node.getName() or node.getType()!r} in a function term")
        return out[0]


def parse_sbmlqual(text: str, *, path: str | None = None) -> Model:
    """Parse SBML-qual text into a :class:`Model`."""
    sbml = _libsbml()
    if not text.strip():
        raise ModelError("the file is empty", path=path)
    doc = sbml.readSBMLFromString(text)
    _xml_errors(doc, path)
    model = doc.getModel()
    if model is None:
        raise ModelError("no <model> element: not an SBML model", path=path)
    qual = model.getPlugin("qual")
    if qual is None:
        raise ModelError("no qual package: this SBML file is not a logical (SBML-qual) model", path=path)
    species_ids: list[str] = []
    constant: dict[str, bool] = {}
    result = Model(name=model.getName() or model.getId(), source=path)
    for qs in qual.getListOfQualitativeSpecies():
        sid = qs.getId()
        if qs.isSetMaxLevel() and qs.getMaxLevel() > 1:
            raise ModelError(
                f"species {sid} has maxLevel {qs.getMaxLevel()}: multi-valued models are not supported "
                "(only Boolean, maxLevel 1)",
                path=path,
                line=qs.getLine() or None,
            )
        initial = 0.5
        if qs.isSetInitialLevel():
            level = qs.getInitialLevel()
            if level not in (0, 1):
                raise ModelError(
                    f"species {sid} has initialLevel {level}: only 0 or 1", path=path, line=qs.getLine() or None
                )
            initial = float(level)
        constant[sid] = qs.getConstant()
        node = Model.input_node(sid, line=qs.getLine() or None, initial=initial)
        node.name = qs.getName() if qs.isSetName() and qs.getName() != sid else ""
        result.add_node(node)
        species_ids.append(sid)
    if not species_ids:
        raise ModelError("no qualitative species", path=path)
    known = set(species_ids)
    assigned: dict[str, int | None] = {}
    for tr in qual.getListOfTransitions():
        line = tr.getLine() or None
        outputs = [o.getQualitativeSpecies() for o in tr.getListOfOutputs()]
        for sid in outputs:
            if sid not in known:
                raise ModelError(f"transition {tr.getId()} sets unknown species {sid!r}", path=path, line=line)
            if sid in assigned:
                raise ModelError(f"species {sid} is the output of two transitions", path=path, line=line)
            assigned[sid] = line
        for inp in tr.getListOfInputs():
            if inp.getQualitativeSpecies() not in known:
                raise ModelError(
                    f"transition {tr.getId()} reads unknown species {inp.getQualitativeSpecies()!r}",
                    path=path,
                    line=line,
                )
        terms = tr.getListOfFunctionTerms()
        default = terms.getDefaultTerm()
        if default is None:
            if terms.size() == 0:
                continue  # no terms at all: an input, which keeps its value
            raise ModelError(f"transition {tr.getId()} has function terms but no default term", path=path, line=line)
        if default.getResultLevel() > 1:
            raise ModelError(
                f"transition {tr.getId()}: default level {default.getResultLevel()}; only Boolean models are supported",
                path=path,
                line=line,
            )
        for sid in outputs:
            if constant[sid]:
                raise ModelError(f"species {sid} is declared constant but a transition sets it", path=path, line=line)
        thresholds = {
            inp.getId(): float(inp.getThresholdLevel()) if inp.isSetThresholdLevel() else None
            for inp in tr.getListOfInputs()
            if inp.isSetId()
        }
        pieces = []
        for i in range(terms.size()):
            ft = terms.get(i)
            reader = _MathReader(known, thresholds, path, ft.getLine() or line)
            if not ft.isSetMath():
                raise ModelError(
                    f"transition {tr.getId()}: a function term has no math", path=path, line=ft.getLine() or line
                )
            level = ft.getResultLevel()
            if level > 1:
                raise ModelError(
                    f"transition {tr.getId()}: result level {level}; only Boolean models are supported",
                    path=path,
                    line=ft.getLine() or line,
                )
            pieces.append((reader.read(ft.getMath()), level))
        rule = _chain(pieces, default.getResultLevel())
        for sid in outputs:
            node: Node = result.nodes[sid]
            node.rule = rule
            node.is_input = False
    for node in result.nodes.values():
        if node.is_input:
            node.rule = Var(node.id)
    return result.validate()


def _chain(pieces: list[tuple[Expr, int]], default: int) -> Expr:
    """The first holding condition gives the level, else ``default`` (simplified when uniform)."""
    if not pieces:
        return TRUE if default else FALSE
    if all(level == 1 for _, level in pieces) and default == 0:
        conds = [c for c, _ in pieces]
        return conds[0] if len(conds) == 1 else Or(conds)
    if all(level == 0 for _, level in pieces) and default == 1:
        conds = [c for c, _ in pieces]
        return Not(conds[0] if len(conds) == 1 else Or(conds))
    rule: Expr = TRUE if default else FALSE
    for cond, level in reversed(pieces):
        value = TRUE if level else FALSE
        rule = Or((And((cond, value)), And((Not(cond), rule))))
    return rule


def read_sbmlqual(path: str | os.PathLike) -> Model:
    """Read an SBML-qual file."""
    model = parse_sbmlqual(read_text(path), path=str(path))
    if not model.name:
        model.name = os.path.splitext(os.path.basename(path))[0]
    return model


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def _mathml(rule: Expr) -> str:
    """MathML for a rule, built iteratively (species compared with 1)."""
    pieces: list[str] = ['<math xmlns="http://www.w3.org/1998/Math/MathML">']
    stack: list[Expr | str] = [rule]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
        elif isinstance(item, Var):
            pieces.append(f'<apply><eq/><ci> {item.name} </ci><cn type="integer"> 1 </cn></apply>')
        elif isinstance(item, Const):
            pieces.append("<true/>" if item.value else "<false/>")
        else:
            tag = {Not: "not", And: "and", Or: "or", Xor: "xor"}[type(item)]
            pieces.append(f"<apply><{tag}/>")
            stack.append("</apply>")
            stack.extend(reversed(item.children))
    pieces.append("</math>")
    return "".join(pieces)


def to_sbmlqual(model: Model, *, drop_rates: bool = False, drop_initial_states: bool = False) -> str:
    """The model as SBML Level 3 Version 1 with qual Version 1.

    Raises
    ------
    RatesNotSupportedError, InitialStateNotSupportedError
        If the model holds rates or initial probabilities SBML-qual cannot, unless dropped.
    """
    check_lossless(
        model, "SBML-qual", drop_rates=drop_rates, drop_initial_states=drop_initial_states, deterministic_initial=True
    )
    sbml = _libsbml()
    doc = sbml.SBMLDocument(sbml.SBMLNamespaces(3, 1, "qual", 1))
    doc.setPackageRequired("qual", True)
    m = doc.createModel()
    m.setId(re.sub(r"\W", "_", model.name or "model") if re.match(r"[A-Za-z_]", model.name or "") else "model")
    if model.name:
        m.setName(model.name)
    comp = m.createCompartment()
    comp.setId("cell")
    comp.setConstant(True)
    qual = m.getPlugin("qual")
    for node in model.nodes.values():
        qs = qual.createQualitativeSpecies()
        qs.setId(node.id)
        qs.setCompartment("cell")
        qs.setConstant(False)
        qs.setMaxLevel(1)
        if node.name:
            qs.setName(node.name)
        if node.initial in (0.0, 1.0):
            qs.setInitialLevel(int(node.initial))
    for node in model.nodes.values():
        if node.is_input and is_identity(node):
            continue
        tr = qual.createTransition()
        tr.setId(f"tr_{node.id}")
        reads = sorted(node.rule.variables())
        for name, sign in influence_signs(node.rule, reads).items():
            inp = tr.createInput()
            inp.setId(f"tr_{node.id}_in_{name}")
            inp.setQualitativeSpecies(name)
            inp.setTransitionEffect(sbml.INPUT_TRANSITION_EFFECT_NONE)
            inp.setSign(
                {
                    "positive": sbml.INPUT_SIGN_POSITIVE,
                    "negative": sbml.INPUT_SIGN_NEGATIVE,
                    "dual": sbml.INPUT_SIGN_DUAL,
                    "unknown": sbml.INPUT_SIGN_UNKNOWN,
                }[sign]
            )
        out = tr.createOutput()
        out.setId(f"tr_{node.id}_out")
        out.setQualitativeSpecies(node.id)
        out.setTransitionEffect(sbml.OUTPUT_TRANSITION_EFFECT_ASSIGNMENT_LEVEL)
        tr.createDefaultTerm().setResultLevel(0)
        ft = tr.createFunctionTerm()
        ft.setResultLevel(1)
        math = sbml.readMathMLFromString(_mathml(node.rule))
        if math is None:  # pragma: no cover - our MathML is well-formed
            raise ModelError(f"could not build MathML for {node.id}")
        ft.setMath(math)
    return sbml.writeSBMLToString(doc)


def write_sbmlqual(
    model: Model, path: str | os.PathLike, *, drop_rates: bool = False, drop_initial_states: bool = False
) -> None:
    """Write the model to an SBML-qual file (atomically)."""
    atomic_write_text(path, to_sbmlqual(model, drop_rates=drop_rates, drop_initial_states=drop_initial_states))
