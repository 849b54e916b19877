"""Sphinx configuration of metastasim's documentation (`make docs` builds docs/_build/html).

Why this stack: the docstrings are numpydoc, so Sphinx + numpydoc renders them as
written; pydata-sphinx-theme is the theme of numpy, scipy and pandas, which our users
already read; myst-nb keeps the Markdown pages as they are and renders the tutorial
notebook with its stored outputs (never executed here, so the build stays fast and
needs no simulation); sphinx-click writes the CLI reference from the click commands
themselves, so it cannot drift from `metastasim --help`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import metastasim

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))  # the extensions of this site

project = "metastasim"
author = "the metastasim authors"
copyright = "metastasim authors"
release = metastasim.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "sphinx_click",
    "model_tables",  # _ext/model_tables.py: the curated model's tables, from its YAML
    "api_pages",  # _ext/api_pages.py: api/<module>.rst from each public module's __all__
]

# Pages are Markdown (MyST), reStructuredText for the API templates, and the tutorial notebook.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
# Curly quotes, but "--option" stays two hyphens (the CLI help and the prose name options).
smartquotes_action = "qe"
exclude_patterns = [
    "_build",
    "_ext",
    "_templates",
    "jupyter_execute",
    "**.ipynb_checkpoints",
    "model_network.dot",  # the source of model_network.png (make figures), not a page
]
templates_path = ["_templates"]

# -- MyST and notebooks --------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the tutorial is rendered with the outputs stored in it

# -- API reference ---------------------------------------------------------------------
# The public modules, each one page (written into api/ by _ext/api_pages.py, from __all__).
api_modules = [
    "metastasim.models",
    "metastasim.network",
    "metastasim.io",
    "metastasim.io.files",
    "metastasim.engine",
    "metastasim.analysis",
    "metastasim.cascade",
    "metastasim.screen",
    "metastasim.validation",
    "metastasim.robustness",
    "metastasim.report",
    "metastasim.plots",
    "metastasim.errors",
]
autosummary_generate = False  # the summary tables link to the objects on the same page
autodoc_default_options = {"members": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
numpydoc_show_class_members = False  # members are documented by autodoc, once
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- HTML --------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"metastasim {release}"
html_static_path = ["_static"]
html_css_files = ["metastasim.css"]
html_context = {"default_mode": "auto"}
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# Pages without sub-pages get no (empty) section navigation.
html_sidebars = {"index": [], "getting_started": [], "tutorial": [], "cli": [], "changelog": []}
html_show_sourcelink = False
