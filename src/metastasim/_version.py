"""The installed package version (a leaf module any layer may import)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("metastasim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"
