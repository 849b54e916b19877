"""Shared fixtures: where the project's shared reference material lives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PEER_MODELS = SHARED / "peer-models"
MABOSS_REFERENCE = SHARED / "reference" / "maboss"
DATA = Path(__file__).resolve().parent / "data"

# Helper modules shared by tests (``import exact_chain``) live in this folder, which has no ``__init__.py``:
# put it on the path whatever pytest's import mode and whichever test file is run alone.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the shared reference folder must sit beside the checkout")
    return SHARED


def peer_model_dirs() -> list[Path]:
    return sorted(p for p in PEER_MODELS.iterdir() if p.is_dir()) if PEER_MODELS.is_dir() else []


METASTASIM = Path(sys.executable).parent / "metastasim"


@pytest.fixture(scope="session")
def validation_json() -> dict:
    """`metastasim validate --json` with its defaults, run once per session.

    The validation and report tests read it.
    """
    proc = subprocess.run([str(METASTASIM), "validate", "--json"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
