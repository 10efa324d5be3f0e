"""Sphinx configuration for the srnnkit documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Nothing is executed at build time except importing srnnkit for autodoc (which does no
numerical work); the figures are PNGs made by ``docs/make_figures.py``.

The site works offline: MathJax is served from ``_static/mathjax`` (the
``sphinx-mathjax-offline`` package of the ``docs`` extra bundles MathJax 3 and copies it
there), and the theme (``pydata-sphinx-theme``) bundles its fonts and scripts.
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
    "sphinx-mathjax-offline",     # MathJax 3 copied into _static/mathjax: no CDN
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "make_figures.py", "check_site.py"]
templates_path = ["_templates"]

# API reference: one page per public object, generated from the docstrings.
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "none"          # numpydoc's Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = {"PR01", "PR02", "RT01", "GL08"}

# Markdown pages (the user guide) with $...$ / $$...$$ math and heading anchors.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# The theme NumPy, SciPy and scikit-learn use. The left sidebar holds the site's contents
# and the page's own table of contents (no right sidebar), so code blocks get the full width
# of the page; the top bar keeps only search and the light/dark switch.
html_theme = "pydata_sphinx_theme"
html_title = f"srnnkit {release}"
html_static_path = ["_static"]
html_css_files = ["srnnkit.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "navbar_center": [],
    "navbar_end": ["theme-switcher"],
}
html_sidebars = {"**": ["srnnkit-globaltoc", "page-toc"]}
html_show_sourcelink = False

suppress_warnings = ["myst.header"]
