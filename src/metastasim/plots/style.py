"""The look every metastasim figure shares: palette, fonts, and how a figure is made when none is given.

Colours are the Okabe-Ito palette for categories and cividis / a purple-orange
diverging map for values, all distinguishable with the common colour-vision
deficiencies; line styles and markers repeat the distinction where it matters.
"""

from __future__ import annotations

from contextlib import contextmanager

from matplotlib import rc_context
from matplotlib.axes import Axes

__all__ = ["OKABE_ITO", "STYLE", "styled", "new_axes", "drawing", "label_colour"]

#: Okabe & Ito (2008) colour-blind-safe palette (its yellow darkened: lines on white must stay visible).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999", "#9C8500")

#: matplotlib settings of every figure (the SVG ones matter only when a figure is saved as SVG within them).
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: small, selectable, drawn in the reader's sans-serif
    "svg.hashsalt": "metastasim",  # the same figure gives the same SVG
}


@contextmanager
def styled():
    """Draw within :data:`STYLE` (the caller's settings come back afterwards)."""
    with rc_context(STYLE):
        yield


def new_axes(figsize: tuple[float, float], **kwargs) -> Axes:
    """Axes (or an array of them, with ``nrows``/``ncols``) on a new pyplot figure of ``figsize`` inches.

    Used when a plot is asked for without ``ax``: a pyplot figure, so that Jupyter shows it.
    Call within :func:`styled` for the package's look.
    """
    from matplotlib import pyplot as plt

    _, axes = plt.subplots(figsize=figsize, **kwargs)
    return axes


@contextmanager
def drawing(ax, figsize: tuple[float, float], **kwargs):
    """Within :func:`styled`: ``ax`` as given, or new axes (:func:`new_axes`) laid out tightly once drawn."""
    with styled():
        made = ax is None
        axes = new_axes(figsize, **kwargs) if made else ax
        yield axes
        if made:
            first = axes.flat[0] if hasattr(axes, "flat") else axes
            first.figure.tight_layout()


def label_colour(value: float, vmin: float, vmax: float, cmap) -> str:
    """Black or white, whichever reads better on the colour ``cmap`` gives ``value`` in ``[vmin, vmax]``."""
    r, g, b, _ = cmap((value - vmin) / (vmax - vmin) if vmax > vmin else 0.5)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
