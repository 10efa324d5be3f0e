"""Golden outputs: the same calls as before the refactor of the dynamics core give
bit-identical arrays (``np.array_equal``, standard errors included) on the machine that
recorded them, and the same arrays to rounding (``ROUNDING`` of each entry's largest
magnitude, floored at 1e-3 of its case's) on another CPU.

The recorded file is ``golden.npz`` (``make_golden.py``); an entry is only ever re-recorded
with a reason written in CHANGELOG.md.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

if "numba.cuda" not in sys.modules:       # the CUDA cases run on Numba's simulator
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    import numba

    numba.core.config.reload_config()

from tests.golden import cases
from tests.golden.make_golden import GOLDEN, ROUNDING, machine


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as data:
        return {k: data[k] for k in data.files}


def _params():
    for name, (_, group) in cases.CASES.items():
        marks = [pytest.mark.slow] if group == "slow" else []
        if group == "cuda":
            marks = [pytest.mark.gpu]
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_golden(golden, name):
    if cases.CASES[name][1] == "cuda" and not cases.cuda_ready():
        pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 or a GPU")
    recorded = {k: v for k, v in golden.items() if k.startswith(name + "/")}
    assert recorded, f"no golden entry for {name}: run tests/golden/make_golden.py {name}"
    strict = str(recorded.pop(name + "/__machine__", "")) == machine()
    got = cases.run(name)
    assert sorted(got) == sorted(recorded)
    scale = max((np.max(np.abs(v[np.isfinite(v)]), initial=0.0)
                 for v in recorded.values() if v.dtype.kind == "f"), default=0.0)
    for key, want in recorded.items():
        have = got[key]
        assert have.shape == want.shape and have.dtype == want.dtype, key
        if np.array_equal(have, want, equal_nan=want.dtype.kind == "f"):
            continue
        diff = np.abs(have.astype(float) - want.astype(float)) if want.dtype.kind in "fiu" \
            else None
        if not strict and want.dtype.kind == "f" and _rounding(key, have, want, scale):
            continue
        pytest.fail(f"{key} differs from the golden output"
                    + (f" (max abs difference {np.nanmax(diff):.3g})"
                       if diff is not None and diff.size else "")
                    + ("" if strict else " beyond rounding on this machine"))


def _rounding(key: str, have: np.ndarray, want: np.ndarray, scale: float) -> bool:
    """Differences a CPU other than the recording one can make: NaN and infinities where the
    record has them, and elsewhere at most ``ROUNDING`` of the entry's largest finite
    magnitude, or of 1e-3 of the case's when that is larger (a standard error that is
    rounding noise, as on a linear network, is held to the scale of its values). An error
    slope is fitted to logs of errors down to ~1e-7 of the mean they are taken from, so the
    mean's rounding moves it by up to ~1e-6: it is held to 1e-5."""
    finite = np.isfinite(want)
    if not np.array_equal(have[~finite], want[~finite], equal_nan=True) \
            or not np.all(np.isfinite(have[finite])):
        return False
    own = np.max(np.abs(want[finite]), initial=0.0)
    tol = 1e-5 if key.rsplit("/", 1)[-1].startswith("slope") \
        else ROUNDING * max(own, 1e-3 * scale)
    return bool(np.all(np.abs(have[finite] - want[finite]) <= tol))
