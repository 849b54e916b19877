"""Execute ``docs/tutorial.ipynb`` and store its outputs in it (the docs show the stored outputs).

Run after editing the notebook, from the repository root, with the package importable::

    python docs/execute_tutorial.py            # refresh docs/tutorial.ipynb in place
    python docs/execute_tutorial.py OUT.ipynb  # or write the executed copy elsewhere

Cells run in a ``python3`` kernel started in ``docs/``; any error stops the run and
leaves the stored notebook as it was.  Timing metadata is not recorded, so a re-run
with the same package changes the file only where the outputs change.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

__all__ = ["NOTEBOOK", "execute"]

NOTEBOOK = Path(__file__).resolve().with_name("tutorial.ipynb")


def execute(path: Path = NOTEBOOK, *, out: Path | None = None, timeout: int = 600) -> float:
    """Run every cell of the notebook at ``path`` and write it, with its outputs, to ``out`` (default: ``path``).

    Returns the seconds the execution took (kernel start included).
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    nbformat.write(nb, out or path)
    return elapsed


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    seconds = execute(out=target)
    print(f"executed {NOTEBOOK.name} in {seconds:.1f} s -> {target or NOTEBOOK}")
