"""Fixtures of the plot tests: a headless backend, every pyplot figure closed after its test, small curated runs."""

from __future__ import annotations

import matplotlib
import pytest

from metastasim.cascade import load_cascade
from metastasim.models import load_drugs, load_model


@pytest.fixture(autouse=True)
def _headless():
    matplotlib.use("Agg")
    yield
    from matplotlib import pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture(scope="session")
def spec():
    return load_cascade()


@pytest.fixture(scope="session")
def drugs():
    return load_drugs()
