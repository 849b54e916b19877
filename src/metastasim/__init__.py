"""metastasim: ER stress, glutamine metabolism and the metastatic cascade as a logical model.

The package is layered: :mod:`metastasim.io` reads and writes model files,
:mod:`metastasim.network` holds the model, :mod:`metastasim.engine` simulates it,
and :mod:`metastasim.analysis` computes attractors.
"""

from metastasim._version import __version__
from metastasim.errors import MetastasimError

__all__ = ["__version__", "MetastasimError", "load_model"]


def load_model(name: str = "metastasim"):
    """The curated model (or a bundled example by name); see :mod:`metastasim.models`."""
    from metastasim.models import load_model as _load  # lazily: keeps ``import metastasim`` light

    return _load(name)
