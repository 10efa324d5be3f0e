"""Sphinx configuration for the srnnkit documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Nothing is executed at build time except importing srnnkit for autodoc (which does no
numerical work); the figures are PNGs made by ``docs/make_figures.py``.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
os.environ.setdefault("MPLBACKEND", "Agg")

import srnnkit  # noqa: E402

project = "srnnkit"
author = "srnnkit developers"
copyright = "2026, srnnkit developers"
version = release = srnnkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "make_figures.py"]
templates_path = ["_templates"]

# API reference: one page per public object, generated from the docstrings.
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "none"          # numpydoc's Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

# Markdown pages (the user guide) with $...$ / $$...$$ math and heading anchors.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# MathJax is referenced from the HTML (loaded by the reader's browser): no network at build time.
html_theme = "alabaster"
html_title = f"srnnkit {release}"
html_static_path: list[str] = []
html_theme_options = {"description": "Stochastic RNNs and nonequilibrium response theory",
                      "fixed_sidebar": True}

suppress_warnings = ["myst.header"]
