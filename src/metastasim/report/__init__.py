"""Figures and reports of the curated model (the top layer: may import every other layer)."""

from metastasim.report.network import MODULE_COLOURS, network_dot

__all__ = ["network_dot", "MODULE_COLOURS"]
