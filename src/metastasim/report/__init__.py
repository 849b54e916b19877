"""Figures and reports of the curated model (the top layer: may import every other layer)."""

from __future__ import annotations

from metastasim.report.network import MODULE_COLOURS, network_dot, network_svg

__all__ = ["network_dot", "network_svg", "MODULE_COLOURS", "build_report"]


def build_report(out, settings=None, *, store=None, threads=None, command: str = "", progress=None):
    """Run the analysis of the curated model and write ``out/index.html`` (and ``out/summary.json``).

    ``settings`` is a :class:`~metastasim.report.analysis.ReportSettings` (default:
    the full report).  The screen's arms go to ``store`` (default
    ``out/results.sqlite``, created first), so a second run with the same settings
    reads them back, and one that was interrupted resumes; the HTML and the summary
    are written only at the end, all at once.
    Returns the :class:`~metastasim.report.analysis.ReportData` and the path of the HTML file.
    """
    import json
    import time
    from pathlib import Path

    from metastasim.cascade import load_cascade
    from metastasim.errors import MetastasimError
    from metastasim.io.files import write_folder
    from metastasim.models import load_drugs, load_model
    from metastasim.report.analysis import ReportSettings, collect
    from metastasim.report.html import render, summary
    from metastasim.validation import load_facts

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise MetastasimError(f"{out}: exists and is not a folder")
    settings = settings or ReportSettings()
    if store is None:
        out.mkdir(parents=True, exist_ok=True)
        store = out / "results.sqlite"
    started = time.perf_counter()
    data = collect(
        load_model(),
        load_cascade(),
        load_drugs(),
        load_facts(),
        settings,
        store=str(store),
        threads=threads,
        command=command,
        progress=progress,
    )
    html = render(data)
    data.provenance["total_elapsed"] = time.perf_counter() - started  # with the figures and the HTML
    facts = {"summary": summary(data), "provenance": data.provenance, "timings": data.timings}
    write_folder(out, {"index.html": html, "summary.json": json.dumps(facts, indent=1, default=str) + "\n"})
    return data, out / "index.html"
