"""`metastasim report --quick`, opened in a real browser (Debian's Chromium driven by Playwright).

The report is rendered once per session, as a user runs it; the browser then checks what a reader
relies on: it opens offline with no console error and no request leaving the file, every section and
figure is there and drawn, the tables hold every node, target and fact, the search boxes filter, and the
validation score shown is the one `metastasim validate --json` prints.  Screenshots at the viewport
of a laptop and of a projector are kept in ``test-artifacts/`` (or ``$METASTASIM_ARTIFACTS``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import metastasim.report
from metastasim.cli import cli
from metastasim.models import PHENOTYPES, load_drugs, load_model
from metastasim.report.analysis import ReportSettings
from metastasim.screen import gene_nodes
from metastasim.validation import load_facts

METASTASIM = Path(sys.executable).parent / "metastasim"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("METASTASIM_ARTIFACTS", ROOT / "test-artifacts"))
SECTIONS = ("model", "phenotypes", "cascade", "targets", "validation", "provenance")
FIGURES = (
    "fig-phenotypes",
    "fig-courses",
    "fig-funnel",
    "fig-enrichment",
    "fig-ranking",
    "fig-synergy",
    "fig-doses",
    "fig-rank-stability",
)
VIEWPORTS = {"laptop": (1366, 768), "projector": (1920, 1080)}


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report"
    proc = subprocess.run(
        [str(METASTASIM), "report", "--quick", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    if executable is None:
        message = "Debian's chromium is not installed (apt install chromium): the report's browser test needs it"
        if os.environ.get("METASTASIM_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # the flags keep Chromium from calling home (the network is closed here, and a report must not need it)
        b = pw.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-default-apps",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def page_log(rendered, browser):
    """The report opened at laptop size: the page, its console messages, page errors and requests."""
    out, _ = rendered
    page = browser.new_page(viewport=dict(zip(("width", "height"), VIEWPORTS["laptop"])))
    log = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda m: log["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("request", lambda r: log["requests"].append(r.url))
    page.goto((out / "index.html").as_uri(), wait_until="load")
    yield page, log
    page.close()


def test_the_command_writes_one_file_and_prints_a_summary(rendered):
    out, proc = rendered
    html = out / "index.html"
    assert html.is_file() and html.stat().st_size > 100_000
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("results.sqlite")) == [
        "index.html",
        "summary.json",
    ]
    assert str(html) in proc.stdout and "validation:" in proc.stdout and "best targets" in proc.stdout
    assert proc.stderr == ""  # not a terminal: no progress bar, and no warning
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["provenance"]["model_hash"] == load_model().hash()
    assert summary["provenance"]["command"] == "metastasim report --quick"


def test_the_file_is_self_contained(rendered):
    text = (Path(rendered[0]) / "index.html").read_text(encoding="utf-8")
    # nothing is loaded from elsewhere: no external script, style sheet, image, font or frame
    assert not re.search(r'<(script|img|link|iframe|source|embed)\b[^>]*\b(src|href)="(?!data:|#)', text)
    assert "@import" not in text and not re.search(r"url\((?!['\"]?(data:|#))", text)


def test_opens_offline_with_no_console_error_and_no_request(page_log, rendered):
    page, log = page_log
    uri = (rendered[0] / "index.html").as_uri()
    assert log["errors"] == []
    assert [m for m in log["console"] if m[0] in ("error", "warning")] == []
    assert [u for u in log["requests"] if u != uri and not u.startswith("data:")] == []


def test_every_section_and_figure_is_present_and_drawn(page_log):
    page, _ = page_log
    for section in SECTIONS:
        text = page.inner_text(f"#{section}")
        assert len(text) > 200, f"section {section} is (nearly) empty"
    for figure in FIGURES:
        size = page.evaluate(
            f"(() => {{ const i = document.getElementById('{figure}'); "
            "return i && i.complete ? [i.naturalWidth, i.naturalHeight, i.clientWidth] : null; })()"
        )
        assert size is not None, f"figure {figure} is missing"
        assert min(size) > 150, f"figure {figure} is not drawn ({size})"
    # the network: one box per node of the model, with activation and inhibition edges
    model = load_model()
    if page.get_attribute("#network-box", "data-layout") == "graphviz":
        nodes = page.evaluate(
            "Array.from(document.querySelectorAll('#network-box g.node title')).map(t => t.textContent)"
        )
        assert set(nodes) == set(model.nodes)
        assert page.locator("#network-box g.edge").count() > len(model.nodes)
    else:  # the row layout: every node's label is drawn
        labels = page.evaluate("Array.from(document.querySelectorAll('#network-box text')).map(t => t.textContent)")
        assert set(model.nodes) <= set(labels)
    box = page.locator("#network-box svg").bounding_box()
    assert box["width"] > 800 and box["height"] > 400


def test_tables_hold_every_node_target_and_fact(page_log):
    page, _ = page_log
    model, facts, drugs = load_model(), load_facts(), load_drugs()
    assert page.locator("#nodes-table tbody tr").count() == len(model.nodes)
    assert page.locator("#ranking-table tbody tr").count() == len(gene_nodes(model)) + len(drugs)
    invivo = [f for f in facts if f.level == "invivo"]
    assert page.locator("#validation-table tbody tr").count() == len(facts) - len(invivo)
    assert page.locator("#invivo-table tbody tr").count() == len(invivo) > 0
    # every reference of the model is a link to its DOI / PubMed page, and nothing else is linked
    links = page.evaluate("Array.from(document.querySelectorAll('#nodes-table a')).map(a => a.getAttribute('href'))")
    expected = {r.url for n in model.nodes.values() for r in (*n.references, *n.evidence)}
    assert set(links) == expected and "" not in expected
    assert all(
        u.startswith(("https://doi.org/", "https://pubmed.ncbi.nlm.nih.gov/", "https://pmc.ncbi.nlm.nih.gov/"))
        for u in links
    )
    # the heat map (an SVG image whose text stays text) names every phenotype and context
    src = page.get_attribute("#fig-phenotypes", "src")
    heat = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
    assert all(f">{p}<" in heat for p in PHENOTYPES)
    assert all(f">{c.replace('_', ' ')}<" in heat for c in model.contexts)
    assert page.locator("#synergy-table tbody tr").count() >= 1
    assert page.locator("#ic50-table tbody tr").count() >= 1
    assert page.locator("#stages-experimental tbody tr").count() >= 4
    assert page.locator("#stages-spontaneous tbody tr").count() >= 4


def test_the_ranking_carries_each_ensembled_targets_robustness(page_log, rendered):
    page, _ = page_log
    quick = ReportSettings.preset(quick=True)
    block = json.loads((rendered[0] / "summary.json").read_text(encoding="utf-8"))["summary"]["robustness"]
    assert block["draws"] == quick.robustness_draws and 0 < block["kept"] <= block["draws"]
    assert block["top"] == quick.robustness_top and -1 <= block["tau_median"] <= 1
    assert len(block["targets"]) == quick.robustness_targets
    for t in block["targets"]:
        assert t["top_fraction"] * block["kept"] == pytest.approx(round(t["top_fraction"] * block["kept"]))
        lo, hi = t["top_fraction_ci95"]
        assert lo <= t["top_fraction"] <= hi
        if t["log2_low"] is not None and t["log2_high"] is not None:
            assert t["log2_low"] <= t["log2_high"]
    # the table: two more columns, filled for the ensembled targets (the best of the nominal screen), "—" elsewhere
    headers = page.evaluate(
        "Array.from(document.querySelectorAll('#ranking-table th')).map(t => t.textContent.replace(/\\s+/g, ' '))"
    )
    assert any(h.startswith(f"in top {quick.robustness_top} over draws") for h in headers)
    assert any("over draws (5–95%)" in h for h in headers)
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('#ranking-table tbody tr')).map(r => "
        "[r.cells[1].textContent, r.querySelector('.robust-top') ? r.querySelector('.robust-top').textContent : null, "
        "r.getAttribute('title')])"
    )
    filled = {arm: top for arm, top, _ in rows if top is not None}
    assert set(filled) == {t["arm"] for t in block["targets"]}
    # the best targets of the ranking, an arm with the perturbations of a better one left out (it would tie)
    best, seen = [], set()
    for arm, _, perturbations in rows:
        if perturbations not in seen:
            seen.add(perturbations)
            best.append(arm)
    assert best[: len(filled)] == list(filled)
    for t in block["targets"]:
        assert filled[t["arm"]].startswith(f"{round(t['top_fraction'] * block['kept'])}/{block['kept']} (")
    assert page.locator("#ranking-table td.robust-none").count() == 2 * (len(rows) - len(filled))
    assert len(filled) < len(best)  # some rows are left out of the ensemble, and say so
    # the section: counts, agreement, the rank-stability plot, and why there is no sensitivity chart
    text = page.inner_text("#robustness-filter")
    assert f"{block['kept']} of {block['draws']} draws kept" in page.inner_text("#robustness-kept")
    assert f"{block['tau_median']:.2f}" in page.inner_text("#robustness-tau") and "Kendall" in text
    assert page.locator("#fig-sensitivity").count() == 0
    reason = page.inner_text("#robustness-no-sensitivity")
    assert "quick report's ensemble" in reason and "--draws 32" in reason
    assert page.inner_text("#robustness-command").startswith(f"metastasim robustness --draws {quick.robustness_draws}")


def test_search_boxes_filter_the_tables(page_log):
    page, _ = page_log
    page.fill("input[data-table='nodes-table']", "ATF4")
    shown = page.locator("#nodes-table tbody tr:visible").count()
    assert 1 <= shown < 40
    assert page.locator("#node-ATF4").is_visible()
    page.fill("input[data-table='nodes-table']", "")
    assert page.locator("#nodes-table tbody tr:visible").count() == len(load_model().nodes)


def test_the_validation_score_is_the_one_validate_prints(page_log, validation_json):
    page, _ = page_log
    score = float(page.get_attribute("#validation-score", "data-score"))
    assert score == validation_json["score"]
    assert page.inner_text("#validation-score") == f"{100 * validation_json['score']:.1f}%"
    passed = page.locator("#validation-table td.status-pass").count()
    assert passed == validation_json["reproduced"]


def test_provenance_says_how_to_reproduce(page_log):
    page, _ = page_log
    text = page.inner_text("#provenance")
    assert load_model().hash() in text
    assert page.inner_text("#command") == "metastasim report --quick"
    assert "seed" in text and "run time" in text


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_screenshots_at_laptop_and_projector_size(rendered, browser, name):
    width, height = VIEWPORTS[name]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto((rendered[0] / "index.html").as_uri(), wait_until="load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"))
    page.screenshot(path=str(ARTIFACTS / f"report-{name}-full.png"), full_page=True)
    # nothing wider than the window: no horizontal scroll bar on the page itself
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()
    assert (ARTIFACTS / f"report-{name}.png").stat().st_size > 20_000


def test_json_prints_the_summary_file(rendered, tmp_path, monkeypatch):
    # the analysis is the session's rendered report, copied where the command asks for it (recomputing
    # it here would cost a minute: the rerun from the store is checked by the slow test below)
    def copy_rendered(out, settings, **kwargs):
        out = Path(out)
        out.mkdir(parents=True)
        for name in ("index.html", "summary.json"):
            shutil.copy(rendered[0] / name, out / name)
        return None, out / "index.html"

    monkeypatch.setattr(metastasim.report, "build_report", copy_rendered)
    result = CliRunner().invoke(cli, ["report", "--quick", "--out", str(tmp_path / "again"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads((rendered[0] / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_rerun_from_the_store_prints_the_same_summary(rendered, tmp_path):
    # the store of the rendered report is reused: the screen is read back, the rest recomputed (about a minute)
    out = rendered[0]
    proc = subprocess.run(
        [
            str(METASTASIM),
            "report",
            "--quick",
            "--out",
            str(tmp_path / "again"),
            "--store",
            str(out / "results.sqlite"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert printed == json.loads((tmp_path / "again" / "summary.json").read_text(encoding="utf-8"))
    first = json.loads((out / "summary.json").read_text(encoding="utf-8"))["summary"]
    # the same seed gives the same report (only the times differ)
    assert {k: v for k, v in printed["summary"].items() if k != "elapsed"} == {
        k: v for k, v in first.items() if k != "elapsed"
    }


def test_bad_options_end_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for args in (["--out", str(blocker)], ["--cells", "0"], ["--seed", "-1"], ["--cells", "nan"]):
        proc = subprocess.run(
            [str(METASTASIM), "report", "--quick", *args], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("metastasim: error:"), proc.stderr
    assert blocker.read_text() == "x"
