"""Structure of the package: dependencies point downward
(simulate never imports response), no function over 100 lines (docstring included)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "srnnkit"
OWNED = ["."]     # the whole package


def _functions():
    for entry in OWNED:
        root = SRC / entry
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{path.relative_to(SRC)}:{node.lineno} {node.name}", \
                        node.end_lineno - node.lineno + 1


def test_no_function_over_100_lines():
    long = [f"{name} ({n} lines)" for name, n in _functions() if n > 100]
    assert not long, f"functions over 100 lines: {long}"


@pytest.mark.parametrize("module,forbidden", [
    ("srnnkit.simulate", ("srnnkit.response", "srnnkit.learning")),
    ("srnnkit.dynamics", ("srnnkit.simulate", "srnnkit.response", "srnnkit.learning")),
    ("srnnkit.model", ("srnnkit.simulate", "srnnkit.response")),
])
def test_dependencies_point_downward(module, forbidden):
    code = (f"import sys, numpy as np, srnnkit as sk, {module}\n"
            "m = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, activation='identity')\n"
            "sk.simulate(m, np.zeros((5, 1)), dt=0.1, n_paths=3, seed=0) "
            f"if '{module}' == 'srnnkit.simulate' else None\n"
            f"print(sorted(k for k in sys.modules if k.startswith({forbidden!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(SRC.parent),
                                          "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# Nothing the project ships or shows points users to the working notes it does not ship (the
# theory page is docs/theory.md, with the same section numbers).
ROOT = SRC.parent.parent
NO_NOTES = ["src", "tests", "docs", "benchmarks", "examples", "README.md", "CHANGELOG.md",
            "pyproject.toml"]


def test_no_reference_to_the_working_notes():
    notes = "THEORY" + ".md"
    hits = []
    for entry in NO_NOTES:
        root = ROOT / entry
        assert root.exists(), entry
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.suffix not in (".py", ".md", ".rst", ".txt", ".toml") \
                    or "__pycache__" in path.parts or "_build" in path.parts:
                continue
            for lineno, line in enumerate(path.read_text().splitlines(), start=1):
                if notes in line:
                    hits.append(f"{path.relative_to(ROOT)}:{lineno}")
    assert not hits, f"cite docs/theory.md instead of {notes}: {hits}"


def test_no_pointer_to_the_working_notes_folder():
    """The project's files never send users to the unshipped working-notes folder."""
    folder = "../" + "shared"
    hits = []
    for entry in NO_NOTES:
        root = ROOT / entry
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.suffix not in (".py", ".md", ".rst", ".txt", ".toml") \
                    or "__pycache__" in path.parts or "_build" in path.parts:
                continue
            hits += [f"{path.relative_to(ROOT)}:{i}"
                     for i, line in enumerate(path.read_text().splitlines(), start=1)
                     if folder in line]
    assert not hits, f"the project points to {folder}: {hits}"


def test_compiled_loop_modules_are_named_for_what_they_are():
    """Vocabulary: a module of compiled loops is not called ``*_kernels.py`` (a kernel here
    is a response or signature kernel, a mathematical object)."""
    misnamed = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        if "kernels" in path.stem and ("@njit" in text or "numba.njit" in text):
            misnamed.append(str(path.relative_to(SRC)))
    assert not misnamed, f"compiled-loop modules named as kernels: {misnamed}"


def test_no_control_characters_in_the_sources():
    """Found by fuzzing: an edit wrote ``\\b`` and ``\\t`` as characters into two docstrings
    (``\\beta`` became a backspace and 'eta', ``\\text`` a TAB and 'ext')."""
    bad = {"\t": "TAB", "\b": "backspace", "\f": "form feed", "\v": "vertical tab",
           "\a": "bell", "\r": "carriage return"}
    found = [f"{path.relative_to(SRC)}:{i}: {name}"
             for path in sorted(SRC.rglob("*.py"))
             for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
             for ch, name in bad.items() if ch in line]
    assert not found, found
