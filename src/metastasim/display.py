"""Compact HTML summaries of results, for Jupyter's ``_repr_html_`` (pandas only; no layer imported).

Examples
--------
>>> import pandas as pd
>>> html = summary_html("Result", {"samples": 1000}, pd.DataFrame({"p": [0.25]}, index=["EMT"]))
>>> "<th>samples</th>" in html and "0.25" in html
True
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import pandas as pd

__all__ = ["summary_html"]


def _value(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def summary_html(
    title: str, facts: Mapping[str, object], table: pd.DataFrame | None = None, *, caption: str = ""
) -> str:
    """A title, a two-column table of ``facts`` and, below, ``table`` (numbers to 4 significant digits).

    Parameters
    ----------
    title
        What the object is, in bold.
    facts
        Name -> value (floats to 4 significant digits, the rest as ``str``).
    table
        The head of the object's main table, drawn with :meth:`pandas.DataFrame.to_html`.
    caption
        A line under ``table`` (e.g. how many rows it leaves out).
    """
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_value(v))}</td></tr>" for k, v in facts.items())
    parts = [
        f'<div class="metastasim"><strong>{escape(title)}</strong>',
        f'<table class="metastasim-facts">{rows}</table>',
    ]
    if table is not None:
        parts.append(table.to_html(float_format=lambda x: f"{x:.4g}", border=0, na_rep="–"))
    if caption:
        parts.append(f"<small>{escape(caption)}</small>")
    return "".join(parts) + "</div>"
