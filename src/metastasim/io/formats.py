"""Pick a model format from a file suffix."""

from __future__ import annotations

import os
from pathlib import Path

from metastasim.errors import ModelError
from metastasim.io.bnet import read_bnet, write_bnet
from metastasim.io.files import read_text
from metastasim.io.maboss import read_maboss, write_maboss
from metastasim.io.maboss_cfg import apply_cfg
from metastasim.io.sbmlqual import read_sbmlqual, write_sbmlqual
from metastasim.io.yaml import read_yaml, write_yaml
from metastasim.network.model import Model

__all__ = ["FORMATS", "format_of", "read_model", "write_model"]

#: File suffix -> format name.
FORMATS = {
    ".bnet": "bnet",
    ".bnd": "maboss",
    ".sbml": "sbmlqual",
    ".xml": "sbmlqual",
    ".yaml": "yaml",
    ".yml": "yaml",
}


def format_of(path: str | os.PathLike) -> str:
    """The format a path's suffix names (``bnet``, ``maboss``, ``sbmlqual``, ``yaml``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise ModelError(
            f"cannot tell the format from the suffix {suffix or '(none)'!r}; use one of {known}", path=str(path)
        )
    return FORMATS[suffix]


def read_model(path: str | os.PathLike, *, cfg: str | os.PathLike | list | None = None) -> Model:
    """Read a model in any supported format, with optional MaBoSS ``.cfg`` file(s).

    ``cfg`` names one ``.cfg`` file or a list of them, applied in order as MaBoSS's
    ``-c`` options are, whatever the model's format (see
    :func:`~metastasim.io.apply_cfg`).  For a MaBoSS ``.bnd`` file given no ``cfg``, a
    ``.cfg`` beside it with the same stem is used if there is one.
    """
    fmt = format_of(path)
    cfgs = [] if cfg is None else [cfg] if isinstance(cfg, (str, os.PathLike)) else list(cfg)
    if fmt == "maboss":
        if cfg is None:
            sibling = Path(path).with_suffix(".cfg")
            cfgs = [sibling] if sibling.is_file() else []
        return read_maboss(path, cfgs)
    model = {"bnet": read_bnet, "sbmlqual": read_sbmlqual, "yaml": read_yaml}[fmt](path)
    if cfgs:
        apply_cfg(model, [read_text(c) for c in cfgs], cfg_paths=[str(c) for c in cfgs])
    return model


def write_model(
    model: Model, path: str | os.PathLike, *, drop_rates: bool = False, drop_initial_states: bool = False
) -> list[str]:
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
