"""The models bundled with metastasim: the curated model and examples, as package data.

The curated model is data, not code: YAML modules with every rule's evidence
(``models/metastasim/*.yaml``), its contexts, its drug library and the published
findings it is validated against (``facts.yaml``).  This module only finds and loads
those files.

Examples
--------
>>> model = load_model()
>>> model.nodes["EIF2AK3"].name, model.resolve("EIF2AK3")
('PERK (active)', 'EIF2AK3')
>>> sorted(load_drugs()["telaglenastat"].aliases)
['CB-839']
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from metastasim.errors import ModelError, UnknownNameError
from metastasim.io.formats import read_model
from metastasim.io.maboss import read_maboss
from metastasim.io.yaml import read_drug_library, read_yaml
from metastasim.network.drugs import Drug
from metastasim.network.model import Model

__all__ = [
    "CURATED",
    "PHENOTYPES",
    "CONTEXTS",
    "EXAMPLES",
    "BUNDLED",
    "data_path",
    "load_model",
    "load_drugs",
    "load_example",
    "load_any",
]

#: Name of the curated model.
CURATED = "metastasim"
#: The curated model's phenotype nodes, exactly these names.
PHENOTYPES = (
    "EMT",
    "Invasion",
    "Migration",
    "AnoikisResistance",
    "ImmuneEscape",
    "Angiogenesis",
    "Adhesion",
    "Dormancy",
    "Proliferation",
    "Apoptosis",
)
#: The curated model's contexts, exactly these names.
CONTEXTS = (
    "normoxia",
    "primary",
    "circulation",
    "dormant_niche",
    "colonization",
    "hypoxia",
    "glutamine_deprivation",
    "er_stress",
    "tgfb",
)
#: Bundled example models: name -> files under ``metastasim/models``.
EXAMPLES = {
    "cohen2015": ("examples/cohen2015/cohen2015.bnd", "examples/cohen2015/cohen2015.cfg"),
}
BUNDLED = (CURATED, *EXAMPLES)


def data_path(*parts: str) -> Path:
    """Path of a file shipped under ``metastasim/models``."""
    return Path(str(resources.files("metastasim") / "models" / Path(*parts)))


def load_model(name: str = CURATED) -> Model:
    """The curated model (or a bundled example by name)."""
    if name == CURATED:
        model = read_yaml(data_path(CURATED, "model.yaml"))
        model.name = CURATED
        return model
    return load_example(name)


def load_drugs() -> dict[str, Drug]:
    """The drug library of the curated model, by name."""
    return read_drug_library(data_path(CURATED, "drugs.yaml"))


def load_example(name: str) -> Model:
    """A bundled example model by name (see :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise UnknownNameError(f"no bundled model {name!r}; bundled: {', '.join(BUNDLED)}")
    bnd, cfg = (data_path(rel) for rel in EXAMPLES[name])
    model = read_maboss(bnd, cfg)
    model.name = name
    return model


def load_any(spec: str | os.PathLike, *, cfg=None) -> Model:
    """A model from a file path, or a bundled model by name when no such file exists."""
    if isinstance(spec, str) and spec in BUNDLED and not Path(spec).exists():
        if cfg is not None:
            raise ModelError(f"--cfg cannot be combined with the bundled model {spec!r}")
        return load_model(spec)
    if not Path(spec).exists():
        hint = f" (bundled models: {', '.join(BUNDLED)})" if Path(spec).suffix == "" else ""
        raise ModelError(f"no such file{hint}", path=str(spec))
    return read_model(spec, cfg=cfg)
