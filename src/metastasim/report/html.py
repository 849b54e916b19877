"""The report as one self-contained HTML file: figures inline, no script, style or font fetched."""

from __future__ import annotations

import base64
import math
import re
from importlib import resources

import jinja2

from metastasim.cascade import compare_anchors
from metastasim.network.model import Reference
from metastasim.report import figures, robust
from metastasim.report.analysis import GLUTAMINE_NODES, ReportData
from metastasim.report.network import MODULE_COLOURS, network_svg

__all__ = ["render", "summary"]

#: Rows of the time-course figure: the arms of the UPR, and glutamine metabolism with what it feeds.
COURSE_GROUPS = {
    "UPR": {
        "load": ("UnfoldedProteins", "HSPA5"),
        "IRE1": ("ERN1", "XBP1"),
        "PERK": ("EIF2AK3", "EIF2S1", "ATF4", "DDIT3"),
        "ATF6": ("ATF6",),
    },
    "glutamine": {"": GLUTAMINE_NODES},
}
TOP_RANKED = 20


def _img(svg_text: str, alt: str, figure_id: str) -> str:
    """An SVG figure as an image (its ids cannot clash with the page's), shown at its natural size or larger."""
    match = re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', svg_text)
    width = f' style="--w: {float(match.group(1)) * 4 / 3:.0f}px"' if match else ""
    data = base64.b64encode(svg_text.encode("utf-8")).decode("ascii")
    return f'<img class="figure" id="{figure_id}" alt="{alt}"{width} src="data:image/svg+xml;base64,{data}">'


def _ref(ref: Reference) -> dict:
    return {
        "id": ref.id,
        "url": ref.url,
        "label": ref.short,
        "citation": ref.citation,
        "statement": ref.statement,
        "regulators": ", ".join(ref.regulators),
    }


def _num(x, fmt: str = "{:.3g}") -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else fmt.format(x)


def _pct(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{100 * x:.3g}%" if x >= 1e-4 or x == 0 else f"{100 * x:.2g}%"


def _nodes(data: ReportData) -> list[dict]:
    rows = []
    for node in data.model.nodes.values():
        rows.append(
            {
                "id": node.id,
                "symbol": node.symbol,
                "module": node.module,
                "name": node.name,
                "colour": MODULE_COLOURS.get(node.module, "#FFFFFF"),
                "description": node.description,
                "rule": "input (set by the context)" if node.is_input else str(node.rule),
                "rates": "" if node.is_input else f"up: {node.rate_up}; down: {node.rate_down}",
                "refs": [_ref(r) for r in (*node.references, *node.evidence)],
            }
        )
    return rows


def _size(result) -> str:
    """How a cascade result was estimated, in words (the estimators differ in what a cell count means)."""
    if result.estimator == "splitting":
        return f"{result.cells:,} clones per stage in {result.replicates} replicates"
    return f"{result.metastatic:,} of {result.cells:,} cells"


def _cascade(data: ReportData) -> dict:
    stages, anchors, enrich, tables = {}, {}, {}, {}
    for mode, result in data.cascades.items():
        stages[mode] = result.stage_table()
        anchors[mode] = compare_anchors(data.spec, result)
        enrich[mode] = result.enrichment()
        counted = result.estimator == "direct"
        tables[mode] = {
            "efficiency": _pct(result.efficiency),
            "ci": " to ".join(_pct(x) for x in result.efficiency_ci95),
            "size": _size(result),
            "counted": counted,
            "stages": [
                {
                    "stage": s,
                    "context": r.context.replace("_", " "),
                    "entered": f"{int(r.entered):,}" if counted else "",
                    "passed": f"{int(r.passed):,}" if counted else "",
                    "ess": "" if counted else f"{r.ess:,.0f}",
                    "fraction": _pct(r.fraction),
                    "ci": f"{_pct(r.ci95_low)} to {_pct(r.ci95_high)}",
                    "cumulative": _pct(r.cumulative),
                    "cumulative_ci": f"{_pct(r.cumulative_low)} to {_pct(r.cumulative_high)}",
                }
                for s, r in stages[mode].iterrows()
            ],
            "anchors": [
                {
                    **a,
                    "measured_pct": _pct(a["measured"]),
                    "simulated_pct": _pct(a["simulated"]),
                    "ci": " to ".join(_pct(x) for x in a["simulated_ci95"]),
                    "url": Reference(a["reference"]).url,
                }
                for a in anchors[mode]
            ],
            "enrichment": [
                {
                    "alteration": k,
                    "node": r.node,
                    "change": r.change,
                    "frequency": _pct(r.carriers / result.cells if counted else r.frequency),
                    "frequency_metastatic": _pct(r.frequency_metastatic),
                    "odds_ratio": _num(r.odds_ratio),
                    "ci": f"{_num(r.ci95_low)} to {_num(r.ci95_high)}",
                }
                for k, r in enrich[mode].iterrows()
            ],
        }
    titles = {
        mode: f"{mode} ({_size(r) if r.estimator == 'splitting' else f'{r.cells:,} cells'})"
        for mode, r in data.cascades.items()
    }
    figs = {
        "funnel": _img(figures.funnel(stages, anchors, titles), "The cascade as a funnel", "fig-funnel"),
        "enrichment": _img(figures.enrichment(enrich), "Enrichment of alterations", "fig-enrichment"),
    }
    return {"modes": tables, "figures": figs}


def _targets(data: ReportData) -> dict:
    screen = data.screen
    mode = screen.rank_mode
    other = next((m for m in screen.params.modes if m != mode), None)
    ranking = screen.ranking()
    syn = screen.synergy()
    doses = screen.dose_response()
    ic50 = screen.ic50()
    members = list(dict.fromkeys([k for pair in syn.index for k in (syn.loc[pair, "a"], syn.loc[pair, "b"])]))
    order = [k for k in ranking.index if k in members]
    p = screen.params
    ctrl = screen.effect("control", mode)
    if p.estimator_of(mode) == "splitting":
        control = (
            f"an efficiency of {_pct(ctrl.efficiency)}, 95% CI {_pct(ctrl.efficiency_low)} to "
            f"{_pct(ctrl.efficiency_high)}"
        )
    else:
        control = f"{ctrl.metastatic:,.0f} metastatic cells"
    sizes = {
        m: (
            f"{p.cells_of(m):,} clones per stage ({p.replicates} replicates paired with the control's)"
            if p.estimator_of(m) == "splitting"
            else f"{p.cells_of(m):,} cells"
        )
        for m in p.modes
    }
    ensembled = robust.columns(data.robustness)
    rows = []
    for arm, r in ranking.iterrows():
        rows.append(
            {
                "rank": int(r["rank"]),
                "arm": arm,
                "kind": r["kind"],
                "lfc": "none left" if r[f"{mode}_lfc"] == -math.inf else _num(r[f"{mode}_lfc"], "{:+.2f}"),
                "lfc_ci": f"{_num(r[f'{mode}_lfc_low'], '{:+.2f}')} to {_num(r[f'{mode}_lfc_high'], '{:+.2f}')}",
                "other": f"{_num(r[f'{other}_lfc'], '{:+.2f}')} ({_num(r[f'{other}_lfc_low'], '{:+.1f}')} to "
                f"{_num(r[f'{other}_lfc_high'], '{:+.1f}')})"
                if other
                else "",
                "efficiency": _pct(r[f"{mode}_efficiency"]),
                "prevented": _pct(r["prevented"]),
                "spared": _pct(r["spared"]),
                "score": _num(r["score"], "{:.3f}"),
                "perturbations": r["perturbations"],
                "robust": ensembled.get(arm),
            }
        )
    synergy_rows = [
        {
            "pair": k,
            "f_a": _num(r.f_a, "{:.2f}"),
            "f_b": _num(r.f_b, "{:.2f}"),
            "f_ab": _num(r.f_ab, "{:.2f}"),
            "bliss": _num(r.bliss, "{:+.3f}"),
            "bliss_ci": f"{_num(r.bliss_low, '{:+.3f}')} to {_num(r.bliss_high, '{:+.3f}')}",
            "hsa": _num(r.hsa, "{:+.3f}"),
            "hsa_ci": f"{_num(r.hsa_low, '{:+.3f}')} to {_num(r.hsa_high, '{:+.3f}')}",
        }
        for k, r in syn.iterrows()
    ]
    ic50_rows = [
        {
            "target": k,
            "ic50": "–" if r.ic50 != r.ic50 else f"{'< ' if r.ic50_below else ''}{r.ic50:.3g}",
            "hill": _num(r.hill, "{:.2g}"),
            "max_effect": _pct(r.max_effect),
        }
        for k, r in ic50.iterrows()
    ]
    figs = {
        "ranking": _img(
            figures.ranking(ranking, mode, other, TOP_RANKED, spread=robust.spread(data.robustness)),
            "Ranked single targets",
            "fig-ranking",
        ),
        "synergy": None,
        "doses": None,
        "stages": None,
    }  # the last three only when there is something to draw
    stage_table = screen.stage_effects()
    if len(stage_table):
        top = [a for a in ranking.index[:TOP_RANKED]]
        figs["stages"] = _img(figures.stage_heatmap(stage_table, top), "Where each target acts", "fig-stages")
    if len(order) >= 2:
        figs["synergy"] = _img(figures.synergy_heatmap(syn, order), "Synergy of the top pairs", "fig-synergy")
    if len(doses):
        figs["doses"] = _img(figures.dose_response(doses), "Dose response of the top drugs", "fig-doses")
    left_out = [m for m in data.spec.modes if m not in p.modes]  # cascade modes the screen did not run
    none_left = [arm for arm, r in ranking.iterrows() if r[f"{mode}_lfc"] == -math.inf or r["prevented"] >= 0.99]
    missed = [r.fact.perturbation.describe() for r in data.validation.invivo if not r.reproduced]
    return {
        "mode": mode,
        "other": other,
        "left_out": left_out,
        "ranking": rows,
        "synergy": synergy_rows,
        "ic50": ic50_rows,
        "figures": figs,
        "control": control,
        "sizes": sizes,
        "stages_mode": screen.stages_mode,
        "none_left": none_left,
        "invivo_missed": missed,
        "samples": p.samples,
        "top": TOP_RANKED,
        "pairs_of": order,
        "n_arms": len(screen.arms),
        "drugs_dosed": list(ic50.index),
        "ensembled": len(ensembled),
        "robust_top": data.robustness.top if data.robustness is not None else 0,
    }


def _validation(data: ReportData) -> dict:
    report = data.validation
    rows = []
    for r in report.results:
        f = r.fact
        rows.append(
            {
                "fact": f.id,
                "where": f.where.replace("_", " "),
                "perturbation": f.perturbation.describe()
                + (f" (on {f.baseline.describe()})" if f.baseline.describe() else ""),
                "readout": f.readout,
                "expected": f.expected,
                "change": f"{r.delta:+.3f}",
                "observed": r.observed,
                "status": r.status,
                "passed": r.reproduced,
                "known_failure": f.known_failure,
                "finding": f.finding,
                "ref": _ref(f.reference),
            }
        )
    invivo = []
    for r in report.invivo:
        row, f = r.row(), r.fact
        bound = ">= " if row["bound"] else ""
        invivo.append(
            {
                **row,
                "published": bound + _num(row["observed_log2"], "{:+.2f}"),
                "per_cell": bound + _num(row["per_cell_log2"], "{:+.2f}"),
                "model": f"{_num(r.model_log2, '{:+.2f}')} ({_num(r.model_low, '{:+.2f}')} to "
                f"{_num(r.model_high, '{:+.2f}')})",
                "passed": r.reproduced,
                "quote": f.invivo.quote,
                "ref": _ref(f.reference),
            }
        )
    return {
        "rows": rows,
        "score": report.score,
        "reproduced": report.reproduced,
        "facts": len(report.results),
        "known": sum(bool(r.fact.known_failure) for r in report.results),
        "unexpected": len(report.unexpected_failures),
        "samples": report.samples,
        "invivo": invivo,
        "invivo_passed": report.invivo_passed,
        "invivo_score": report.invivo_score,
        "invivo_cells": report.invivo[0].cells if report.invivo else 0,
    }


def render(data: ReportData) -> str:
    """The report's HTML text."""
    network, layout = network_svg(data.model, title=None)
    phen = _img(figures.phenotype_heatmap(data.phenotypes), "Phenotypes by context", "fig-phenotypes")
    courses = _img(figures.time_courses(data.courses, COURSE_GROUPS), "Time courses", "fig-courses")
    cascade = _cascade(data)
    targets = _targets(data)
    validation = _validation(data)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(
        resources.files("metastasim.report").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    )
    settings = data.settings
    return template.render(
        model=data.model,
        nodes=_nodes(data),
        network=network,
        layout=layout,
        modules=[(m, c) for m, c in MODULE_COLOURS.items() if any(n.module == m for n in data.model.nodes.values())],
        phenotypes_fig=phen,
        courses_fig=courses,
        course_contexts=list(data.courses),
        course_groups=COURSE_GROUPS,
        contexts={c.name: c.description for c in data.model.contexts.values()},
        cascade=cascade,
        targets=targets,
        robustness=robust.section(data.robustness, settings, data.provenance.get("robustness_command", "")),
        validation=validation,
        settings=settings,
        provenance=data.provenance,
        timings={k: f"{v:.1f} s" for k, v in data.timings.items()},
        summary=summary(data),
        phenotype_samples=settings.samples,
    )


def summary(data: ReportData) -> dict:
    """The headline numbers (also printed by ``metastasim report``)."""
    ranking = data.screen.ranking()
    top = [
        {"arm": k, "prevented": _pct(r["prevented"]), "spared": _pct(r["spared"])}
        for k, r in ranking.head(5).iterrows()
    ]
    eff = {
        m: {
            "efficiency": _pct(r.efficiency),
            "ci": " to ".join(_pct(x) for x in r.efficiency_ci95),
            "estimator": r.estimator,
            "size": _size(r),
        }
        for m, r in data.cascades.items()
    }
    return {
        "score": data.validation.score,
        "reproduced": data.validation.reproduced,
        "facts": len(data.validation.results),
        "invivo_passed": data.validation.invivo_passed,
        "invivo_facts": len(data.validation.invivo),
        "efficiency": eff,
        "top": top,
        "arms": len(data.screen.arms),
        "robustness": robust.summary_block(data.robustness),
        "elapsed": data.provenance.get("total_elapsed", data.provenance["elapsed"]),
    }
