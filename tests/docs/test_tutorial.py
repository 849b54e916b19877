"""The tutorial notebook runs from top to bottom without an error, in well under a minute, and is stored executed.

``docs/tutorial.ipynb`` is kept with its outputs (the docs show them without running it).
After editing it, or when what it shows changes, refresh the stored outputs from the
repository root with::

    PYTHONPATH=src python docs/execute_tutorial.py
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import metastasim

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "tutorial.ipynb"
BUDGET_S = 60


def test_tutorial_runs_without_error_in_under_a_minute(tmp_path, monkeypatch):
    # the kernel imports the metastasim these tests import, whatever the installed one
    here = str(Path(metastasim.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p))
    copy = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    nb = nbformat.read(copy, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb,
        timeout=BUDGET_S,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError at the first cell that fails
    elapsed = time.perf_counter() - started
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert elapsed < BUDGET_S, f"the tutorial took {elapsed:.0f} s"


def test_the_stored_tutorial_is_executed_with_modest_images():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # run once, top to bottom
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    plots = [c for c in code if ".plot_" in c.source]
    assert len(images) >= len(plots) > 0  # every plot cell shows its figure
    assert NOTEBOOK.stat().st_size < 1_000_000
