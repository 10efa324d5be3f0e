"""CUDA tests run on Numba's CUDA simulator unless NUMBA_ENABLE_CUDASIM is already set.

Numba reads NUMBA_ENABLE_CUDASIM when ``numba.cuda`` is first imported (srnnkit imports it
only for ``device="cuda"``), so the variable is set here, at collection time, and the Numba
configuration is reloaded in case ``numba`` itself was imported earlier.  On a machine with
a GPU, run ``NUMBA_ENABLE_CUDASIM=0 pytest tests/cuda`` to test the real device.
"""

import os
import sys

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numba
import pytest

numba.core.config.reload_config()

if "numba.cuda" in sys.modules:  # pragma: no cover - imported earlier without the variable
    from numba import cuda as _cuda

    _OK = _cuda.is_available()
else:
    _OK = True

SIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def pytest_collection_modifyitems(config, items):
    if _OK:
        return
    skip = pytest.mark.skip(reason="numba.cuda was imported before tests/cuda/conftest.py "
                            "without NUMBA_ENABLE_CUDASIM and no GPU is present")
    for item in items:
        if "tests/cuda" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def launch(monkeypatch):
    """Set CUDA launch knobs (SRNNKIT_CUDA_*) for one test."""

    def set_(**kw):
        for k, v in kw.items():
            monkeypatch.setenv(f"SRNNKIT_CUDA_{k.upper()}", str(v))

    return set_
