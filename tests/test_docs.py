"""The documentation: the API reference lists every public name, the guide's code runs.

The API check parses the reStructuredText sources of docs/api (no Sphinx build needed). The
guide check executes every fenced ```python block of each user-guide page, top to bottom, in
one namespace per page (blocks meant only for display are fenced ```text, ```bash or with
Sphinx's ``{code-block}`` directive).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import srnnkit

DOCS = Path(__file__).resolve().parent.parent / "docs"
API = DOCS / "api"


def _subpackages() -> list[str]:
    """Public subpackages and modules of srnnkit (no leading underscore, not __main__)."""
    names = [m.name for m in pkgutil.iter_modules(srnnkit.__path__)
             if not m.name.startswith("_")]
    return sorted(names)


def _autosummary_names(text: str) -> set[str]:
    """Entries of every ``.. autosummary::`` directive in an rst source."""
    names: set[str] = set()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip().startswith(".. autosummary::"):
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("   ")):
                entry = lines[i].strip()
                if entry and not entry.startswith(":"):
                    names.add(entry.split()[0])
                i += 1
        else:
            i += 1
    return names


def _literal_names(text: str) -> set[str]:
    return set(re.findall(r"``([\w.]+)``", text))


def test_every_subpackage_has_an_api_page():
    index = (API / "index.rst").read_text()
    for sub in _subpackages():
        assert (API / f"{sub}.rst").exists(), f"docs/api/{sub}.rst is missing"
        assert re.search(rf"^\s+{sub}\s*$", index, re.M), f"{sub} not in docs/api/index.rst"


def test_every_markdown_page_in_the_site():
    """A docs/*.md page outside the index's toctrees would fail the -W build: say which."""
    index = (DOCS / "index.md").read_text()
    entries = set(re.findall(r"^([\w/.-]+)\s*$", index, re.M))
    missing = [p.stem for p in DOCS.glob("*.md") if p.stem != "index" and p.stem not in entries]
    assert not missing, f"add these pages to a toctree in docs/index.md: {missing}"


def test_top_level_names_in_api_reference():
    text = (API / "srnnkit.rst").read_text()
    listed = _literal_names(text)
    missing = [n for n in srnnkit.__all__ if f"srnnkit.{n}" not in listed]
    assert not missing, f"srnnkit.__all__ names missing from docs/api/srnnkit.rst: {missing}"


@pytest.mark.parametrize("sub", _subpackages())
def test_subpackage_names_in_api_reference(sub):
    mod = importlib.import_module(f"srnnkit.{sub}")
    public = getattr(mod, "__all__", None)
    assert public is not None, f"srnnkit.{sub} has no __all__"
    text = (API / f"{sub}.rst").read_text()
    documented = _autosummary_names(text) | {
        n.rsplit(".", 1)[-1] for n in _literal_names(text) if n.startswith(f"srnnkit.{sub}.")}
    missing = sorted(set(public) - documented)
    assert not missing, f"srnnkit.{sub}.__all__ names missing from docs/api/{sub}.rst: {missing}"


def test_reexported_pages_point_to_documented_objects():
    # a page that only re-exports (readouts) must point at pages that document the objects
    model_names = _autosummary_names((API / "model.rst").read_text())
    mod = importlib.import_module("srnnkit.readouts")
    assert set(mod.__all__) <= model_names


# ------------------------------------------------------------------- the guide's code runs
# page -> (marked slow?, requirement). The default run executes the cheap pages; the slow
# step of CI runs the rest. cuda.md needs a GPU (or the CUDA simulator) and runs only there.
GUIDE = {
    "simulation.md": False,
    "response.md": True,
    "volterra.md": True,
    "signatures.md": False,
    "kernels.md": False,
    "learning.md": True,
    "trained.md": True,
    "cli.md": True,
    "plotting.md": False,
    "parallel.md": True,
    "conventions.md": False,
    "paper_map.md": False,
    "theory.md": False,
    "robustness.md": False,
    "cuda.md": True,
}


def _python_blocks(text: str) -> list[str]:
    """Bodies of the fenced blocks whose info string is exactly ``python``."""
    return re.findall(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, re.S | re.M)


def _run_page(page: str) -> None:
    import doctest
    import warnings

    text = (DOCS / page).read_text()
    namespace: dict = {"__name__": f"docs_{page[:-3]}"}
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for i, block in enumerate(_python_blocks(text)):
        name = f"docs/{page}, python block {i + 1}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if block.lstrip().startswith(">>>"):
                test = parser.get_doctest(block, namespace, name, str(DOCS / page), 0)
                runner = doctest.DocTestRunner(optionflags=flags)
                runner.run(test, clear_globs=False)
                assert runner.failures == 0, f"{name}: doctest failed (output above)"
            else:
                exec(compile(block, name, "exec"), namespace)


def test_guide_pages_listed():
    """Every Markdown page of docs/ is either run here or has no python blocks."""
    for path in sorted(DOCS.glob("*.md")):
        if path.name not in GUIDE:
            assert not _python_blocks(path.read_text()), f"{path.name}: add it to GUIDE"


@pytest.mark.parametrize("page", [
    pytest.param(p, marks=[pytest.mark.slow] if slow else []) for p, slow in GUIDE.items()])
def test_guide_page_runs(page, monkeypatch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    if page == "cuda.md":
        import os

        if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
            # the simulator runs kernels as Python: the page's GPU-sized examples would take
            # far too long (tests/cuda checks the kernels on small sizes instead)
            pytest.skip("CUDA simulator only: the page needs a real GPU")
        numba_cuda = pytest.importorskip("numba.cuda")
        if not numba_cuda.is_available():
            pytest.skip("no CUDA device")
    if page == "parallel.md":
        pytest.importorskip("dask.distributed")
    monkeypatch.setenv("SRNNKIT_DOCS", str(DOCS))
    monkeypatch.chdir(tmp_path)             # pages may write files (CLI, saved models)
    _run_page(page)


def _public_objects():
    import inspect

    seen = {}
    modules = [srnnkit] + [importlib.import_module(f"srnnkit.{s}") for s in _subpackages()]
    for mod in modules:
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.setdefault(id(obj), (f"{mod.__name__}.{name}", obj))
    return sorted(seen.values(), key=lambda x: x[0])


def test_every_public_object_has_an_example():
    """numpydoc docstrings with an Examples section (run as doctests by pytest)."""
    import inspect

    missing = [name for name, obj in _public_objects()
               if ">>>" not in (inspect.getdoc(obj) or "")
               or "Examples\n--------" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"public objects without an Examples section: {missing}"


# ------------------------------------------------------------- the site works offline
def _check_site():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_site", DOCS / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MATH = '<p><span class="math notranslate nohighlight">\\(R(\\tau)\\)</span></p>'


def test_site_checker_flags_remote_math(tmp_path):
    check = _check_site()
    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("// MathJax")
    cdn = '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
    local = '<script defer src="_static/mathjax/tex-chtml.js"></script>'
    pages = {"cdn.html": cdn + MATH, "none.html": MATH, "local.html": local + MATH,
             "link.html": '<a href="https://www.sphinx-doc.org/">Sphinx</a><link rel="next" '
                          'href="https://example.org/x.html">',
             "font.html": '<link rel="stylesheet" href="//fonts.example.org/a.css">'}
    for name, body in pages.items():
        (tmp_path / name).write_text(f"<html><head></head><body>{body}</body></html>")
    found = "\n".join(check.site_problems(tmp_path))
    assert "cdn.html: fetches https://cdn.jsdelivr.net" in found
    assert "none.html: has math but loads no local MathJax" in found
    assert "font.html: fetches //fonts.example.org/a.css" in found
    assert "local.html" not in found and "link.html" not in found


def test_docs_config_ships_mathjax_and_the_theme():
    """conf.py serves MathJax from the site (no CDN) with the pydata theme, both declared in
    the docs extra (the build itself runs in .ci/run, then docs/check_site.py)."""
    import importlib.util
    import tomllib

    text = (DOCS / "conf.py").read_text()
    assert '"sphinx-mathjax-offline"' in text and 'html_theme = "pydata_sphinx_theme"' in text
    extra = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())[
        "project"]["optional-dependencies"]["docs"]
    assert any(d.startswith("sphinx-mathjax-offline") for d in extra)
    assert any(d.startswith("pydata-sphinx-theme") for d in extra)
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None:
        pytest.skip("the docs extra is not installed")
    bundled = Path(spec.origin).parent / "static" / "mathjax" / "tex-chtml.js"
    assert bundled.stat().st_size > 100_000                  # MathJax itself, not a stub


def test_built_site_loads_nothing_from_the_network():
    site = DOCS / "_build" / "html"
    if not (site / "index.html").exists():
        pytest.skip("the site is not built (.ci/run builds and checks it)")
    assert _check_site().site_problems(site) == []


def test_code_blocks_fit_the_page():
    """Code lines of the guide are at most 100 characters: the width the theme shows without
    a scroll bar in a 1280-pixel window (checked by a headless-Chromium screenshot)."""
    long = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text()
        blocks = re.findall(r"^```(?:python|bash|\{code-block\}[^\n]*)[ \t]*\n(.*?)^```",
                            text, re.S | re.M)
        long += [f"{path.name}: {line[:60]}... ({len(line)})" for block in blocks
                 for line in block.splitlines() if len(line) > 100]
    assert not long, long
