"""One API page per public module, written from the module's ``__all__`` at build time.

For each module named in the ``api_modules`` setting (conf.py), ``builder-inited``
writes ``api/<module>.rst``: the module's docstring, a summary table of its classes and
functions (autosummary), then each of them once (autodoc, numpydoc docstrings) and its
constants with their ``#:`` comments.  A name is documented where the public module
exports it, so an object re-exported by a package appears once, under the package.
A page is rewritten only when its text changes, so incremental builds stay incremental.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _comment(module, name: str) -> str:
    """The ``#:`` comment of ``name`` in the module, or in the submodule that defines it."""
    candidates = [module.__name__]
    if hasattr(module, "__path__"):
        candidates += [info.name for info in pkgutil.walk_packages(module.__path__, module.__name__ + ".")]
    for modname in candidates:
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except PycodeError:  # a module without source: no comments to read
            docs = {}
        if ("", name) in docs:
            return "\n".join(docs[("", name)]).strip()
    return ""


def _heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def module_page(modname: str) -> str:
    module = importlib.import_module(modname)
    names = list(getattr(module, "__all__", ()))
    groups: dict[str, list[str]] = {"class": [], "function": [], "exception": [], "data": []}
    for name in names:
        groups[_kind(getattr(module, name))].append(name)
    out = [
        _heading(f"``{modname}``", "="),
        f".. automodule:: {modname}\n   :no-members:\n",
        f".. currentmodule:: {modname}\n",
    ]
    listed = groups["class"] + groups["function"] + groups["exception"]
    if listed:
        out.append(".. autosummary::\n   :nosignatures:\n\n" + "".join(f"   {n}\n" for n in listed))
    titles = {"class": "Classes", "function": "Functions", "exception": "Exceptions", "data": "Constants"}
    for kind, title in titles.items():
        if not groups[kind]:
            continue
        out.append(_heading(title, "-"))
        for name in groups[kind]:
            if kind == "function":
                out.append(f".. autofunction:: {name}\n")
            elif kind == "data":
                value = repr(getattr(module, name))
                option = f"   :value: {value}\n" if len(value) <= 80 and "\n" not in value else ""
                comment = _comment(module, name)
                body = "".join(f"   {line}\n" if line else "\n" for line in comment.splitlines())
                out.append(f".. py:data:: {name}\n{option}\n{body}")
            else:
                bases = "   :show-inheritance:\n" if kind == "exception" else ""
                out.append(f".. autoclass:: {name}\n   :members:\n{bases}")
    return "\n".join(out)


def write_pages(app) -> None:
    folder = Path(app.srcdir) / "api"
    folder.mkdir(exist_ok=True)
    for modname in app.config.api_modules:
        path = folder / f"{modname}.rst"
        text = module_page(modname)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def setup(app):
    app.add_config_value("api_modules", [], "env")
    app.connect("builder-inited", write_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
