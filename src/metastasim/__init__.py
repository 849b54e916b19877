"""metastasim: ER stress, glutamine metabolism and the metastatic cascade as a logical model.

The package is layered: :mod:`metastasim.io` reads and writes model files,
:mod:`metastasim.network` holds the model, :mod:`metastasim.engine` simulates it,
and :mod:`metastasim.analysis` computes attractors.
"""

from metastasim._version import __version__
from metastasim.errors import MetastasimError

__all__ = ["__version__", "MetastasimError"]
