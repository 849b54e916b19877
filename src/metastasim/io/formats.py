"""Pick a model format from a file suffix; load the models bundled with metastasim."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from metastasim.errors import ModelError, UnknownNameError
from metastasim.io.bnet import read_bnet, write_bnet
from metastasim.io.maboss import read_maboss, write_maboss
from metastasim.io.sbmlqual import read_sbmlqual, write_sbmlqual
from metastasim.io.yaml import read_yaml, write_yaml
from metastasim.network.model import Model

__all__ = ["FORMATS", "format_of", "read_model", "write_model", "EXAMPLES", "example_files", "load_example",
           "load_any"]

#: File suffix -> format name.
FORMATS = {
    ".bnet": "bnet",
    ".bnd": "maboss",
    ".sbml": "sbmlqual",
    ".xml": "sbmlqual",
    ".yaml": "yaml",
    ".yml": "yaml",
}

#: Bundled example models: name -> files under ``metastasim/data``.
EXAMPLES = {
    "cohen2015": ("examples/cohen2015/cohen2015.bnd", "examples/cohen2015/cohen2015.cfg"),
}


def format_of(path: str | os.PathLike) -> str:
    """The format a path's suffix names (``bnet``, ``maboss``, ``sbmlqual``, ``yaml``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise ModelError(f"cannot tell the format from the suffix {suffix or '(none)'!r}; use one of {known}",
                         path=str(path))
    return FORMATS[suffix]


def read_model(path: str | os.PathLike, *, cfg: str | os.PathLike | list | None = None) -> Model:
    """Read a model in any supported format.

    For a MaBoSS ``.bnd`` file, ``cfg`` names its ``.cfg`` file(s); by default a
    ``.cfg`` beside it with the same stem is used if there is one.
    """
    fmt = format_of(path)
    if cfg is not None and fmt != "maboss":
        raise ModelError("a .cfg file goes with a MaBoSS .bnd model only", path=str(path))
    if fmt == "maboss":
        if cfg is None:
            sibling = Path(path).with_suffix(".cfg")
            cfg = sibling if sibling.is_file() else None
        return read_maboss(path, cfg)
    return {"bnet": read_bnet, "sbmlqual": read_sbmlqual, "yaml": read_yaml}[fmt](path)


def write_model(model: Model, path: str | os.PathLike, *, drop_rates: bool = False,
                drop_initial_states: bool = False) -> list[str]:
    """Write ``model`` in the format the suffix of ``path`` names; return the files written.

    A MaBoSS model is written as ``path`` (``.bnd``) and the same stem with ``.cfg``.
    """
    fmt = format_of(path)
    if fmt == "maboss":
        cfg = str(Path(path).with_suffix(".cfg"))
        write_maboss(model, path, cfg)
        return [str(path), cfg]
    if fmt == "yaml":
        write_yaml(model, path)
    else:
        writer = write_bnet if fmt == "bnet" else write_sbmlqual
        writer(model, path, drop_rates=drop_rates, drop_initial_states=drop_initial_states)
    return [str(path)]


def example_files(name: str) -> tuple[Path, ...]:
    """Paths of a bundled example's files."""
    if name not in EXAMPLES:
        raise UnknownNameError(f"no bundled model {name!r}; bundled: {', '.join(sorted(EXAMPLES))}")
    root = resources.files("metastasim") / "data"
    return tuple(Path(str(root / rel)) for rel in EXAMPLES[name])


def load_example(name: str) -> Model:
    """Load a bundled example model by name (see :data:`EXAMPLES`)."""
    bnd, cfg = example_files(name)
    model = read_maboss(bnd, cfg)
    model.name = name
    return model


def load_any(spec: str | os.PathLike, *, cfg: str | os.PathLike | list | None = None) -> Model:
    """A model from a file path, or a bundled model by name when no such file exists."""
    if isinstance(spec, str) and spec in EXAMPLES and not Path(spec).exists():
        if cfg is not None:
            raise ModelError(f"--cfg cannot be combined with the bundled model {spec!r}")
        return load_example(spec)
    if not Path(spec).exists():
        hint = f" (bundled models: {', '.join(sorted(EXAMPLES))})" if Path(spec).suffix == "" else ""
        raise ModelError(f"no such file{hint}", path=str(spec))
    return read_model(spec, cfg=cfg)
