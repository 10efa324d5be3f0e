"""Packaging: one version string (``srnnkit.__version__``) and the PEP 561 ``py.typed`` marker.

pyproject.toml declares the version dynamic and reads it from ``srnnkit.__version__``; the
command line (``srnnkit --version``), the built distribution's metadata and the package
agree; ``py.typed`` is in the package and in its package data.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import srnnkit

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def _pyproject() -> dict:
    return tomllib.loads(PYPROJECT.read_text())


def test_version_is_declared_once():
    conf = _pyproject()
    assert "version" not in conf["project"], "pyproject.toml must not repeat the version"
    assert "version" in conf["project"]["dynamic"]
    assert conf["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "srnnkit.__version__"}


def test_setuptools_resolves_the_package_version():
    pyprojecttoml = pytest.importorskip("setuptools.config.pyprojecttoml")
    conf = pyprojecttoml.read_configuration(PYPROJECT, expand=True)
    assert conf["project"]["version"] == srnnkit.__version__
    assert "py.typed" in conf["tool"]["setuptools"]["package-data"]["srnnkit"]


def test_py_typed_marker_is_in_the_package():
    assert (Path(srnnkit.__file__).parent / "py.typed").is_file()


def test_console_script_prints_the_version():
    entry = _pyproject()["project"]["scripts"]["srnnkit"]
    module, func = entry.split(":")
    code = (f"import sys; sys.argv = ['srnnkit', '--version']; "
            f"from {module} import {func}; {func}()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"srnnkit {srnnkit.__version__}"


@pytest.mark.slow
def test_built_wheel_carries_the_version_and_py_typed(tmp_path):
    """Build the wheel (no network: the installed setuptools) from a copy of the sources (the
    build leaves build/ and egg-info behind) and read what it ships."""
    pytest.importorskip("setuptools")
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.nbi", "*.nbc"))
    dist = tmp_path / "dist"
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                          "--no-build-isolation", "-q", "-w", str(dist), str(tree)],
                         capture_output=True, text=True, cwd=tmp_path)
    if out.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {out.stderr.strip()[-300:]}")
    (wheel,) = dist.glob("srnnkit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        version = next(line.split(":", 1)[1].strip()
                       for line in zf.read(meta).decode().splitlines()
                       if line.startswith("Version:"))
        entry_points = zf.read(next(n for n in names
                                    if n.endswith("entry_points.txt"))).decode()
    assert version == srnnkit.__version__
    assert "srnnkit/py.typed" in names
    assert "srnnkit = srnnkit.cli:console_main" in entry_points
