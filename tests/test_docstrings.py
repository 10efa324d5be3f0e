"""Every public object has a numpydoc docstring with its Parameters and Returns.

numpydoc's own validator (``numpydoc.validate.validate``, the one the docs build runs when
``numpydoc_validation_checks`` is set in docs/conf.py) checks, for the public objects of the
subpackages in ``SUBPACKAGES`` (every name in their ``__all__``, and for a class its public
methods and properties defined in srnnkit), and for the top-level ``srnnkit.__all__`` objects
defined in ``TOP_LEVEL_FROM``:

- PR01: every parameter is documented;
- PR02: no documented parameter that the signature lacks;
- RT01: a function or method that returns something has a Returns section;
- GL08: the object has a docstring.

``SUBPACKAGES`` lists every public subpackage and ``TOP_LEVEL_FROM = ("srnnkit",)`` covers every
top-level object; a new public subpackage is added to ``SUBPACKAGES``.
"""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

CHECKS = frozenset({"PR01", "PR02", "RT01", "GL08"})

# Subpackages (or modules) whose ``__all__`` is validated: every public subpackage.
SUBPACKAGES = [
    "srnnkit.signatures",
    "srnnkit.features",
    "srnnkit.plotting",
    "srnnkit.model",
    "srnnkit.readouts",
    "srnnkit.nn",
    "srnnkit.datasets",
    "srnnkit.analysis",
    "srnnkit.dynamics",
    "srnnkit.simulate",
    "srnnkit.response",
    "srnnkit.kernels",
    "srnnkit.learning",
    "srnnkit.cli",
]

# The top-level ``srnnkit.__all__`` objects whose defining module starts with one of these
# (all of them).
TOP_LEVEL_FROM = ("srnnkit",)

# Optional dependency each subpackage needs to import.
NEEDS = {"srnnkit.nn": "torch"}


def _own_members(cls: type) -> list[str]:
    """Public methods and properties of ``cls`` defined in srnnkit (not inherited from
    scikit-learn, torch or builtins), in definition order."""
    names: dict[str, None] = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("srnnkit"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(value, (types.FunctionType, property, classmethod, staticmethod)):
                names.setdefault(name)
    return list(names)


def _targets(module_name: str, names: list[str]) -> list[str]:
    """Dotted paths of the objects ``module_name.<name>`` to validate (callables, and the
    public members of classes)."""
    module = importlib.import_module(module_name)
    out = []
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType) or not callable(obj):
            continue          # submodules and constants (documented on their module's page)
        out.append(f"{module_name}.{name}")
        if inspect.isclass(obj):
            out += [f"{module_name}.{name}.{member}" for member in _own_members(obj)]
    return out


def _problems(paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        result = numpydoc_validate.validate(path)
        problems += [f"{path}: {code} {message}" for code, message in result["errors"]
                     if code in CHECKS]
    return problems


@pytest.mark.parametrize("module_name", SUBPACKAGES)
def test_public_docstrings(module_name):
    if module_name in NEEDS:
        pytest.importorskip(NEEDS[module_name])
    module = importlib.import_module(module_name)
    problems = _problems(_targets(module_name, list(module.__all__)))
    assert not problems, "numpydoc problems:\n" + "\n".join(problems)


def test_top_level_docstrings():
    import srnnkit

    names = []
    for name in srnnkit.__all__:
        obj = getattr(srnnkit, name)
        if getattr(obj, "__module__", "").startswith(TOP_LEVEL_FROM):
            names.append(name)
    assert names, "TOP_LEVEL_FROM matches no top-level object"
    # numpydoc resolves a dotted path by importing it, so ``srnnkit.simulate`` means the
    # (callable) subpackage of that name, not the function: validate each top-level function
    # at its defining module, whichever of the two the attribute is bound to after the tests
    # that ran before this one.
    paths = [_defining_path(path) for path in _targets("srnnkit", names)]
    problems = _problems(paths)
    assert not problems, "numpydoc problems:\n" + "\n".join(problems)


def _defining_path(path: str) -> str:
    """``srnnkit.<name>`` as ``<defining module>.<name>`` for a top-level function."""
    import srnnkit

    parts = path.split(".")
    obj = getattr(srnnkit, parts[1]) if len(parts) == 2 else None
    if isinstance(obj, types.FunctionType):
        return f"{obj.__module__}.{obj.__qualname__}"
    return path


def test_validator_catches_a_missing_parameter():
    """The checks are live: an undocumented parameter and a missing Returns are reported."""

    def f(a, b):
        """Add.

        Parameters
        ----------
        a : int
            First.
        """
        return a + b

    doc = numpydoc_validate.get_doc_object(f)
    codes = {code for code, _ in numpydoc_validate.validate(doc)["errors"]}
    assert {"PR01", "RT01"} <= codes
