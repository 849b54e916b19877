"""metastasim: ER stress, glutamine metabolism and the metastatic cascade as a logical model.

The package is layered: :mod:`metastasim.io` reads and writes model files,
:mod:`metastasim.network` holds the model, :mod:`metastasim.engine` simulates it,
and :mod:`metastasim.analysis` computes attractors.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("metastasim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from metastasim.errors import MetastasimError  # noqa: E402

__all__ = ["__version__", "MetastasimError"]
