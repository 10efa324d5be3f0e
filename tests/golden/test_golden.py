"""Golden outputs: the same calls as before the refactor of the dynamics core give
bit-identical arrays (``np.array_equal``, standard errors included).

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
from tests.golden.make_golden import GOLDEN


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
    got = cases.run(name)
    assert sorted(got) == sorted(recorded)
    for key, want in recorded.items():
        have = got[key]
        assert have.shape == want.shape and have.dtype == want.dtype, key
        if not np.array_equal(have, want, equal_nan=want.dtype.kind == "f"):
            diff = np.abs(have.astype(float) - want.astype(float)) if want.dtype.kind in "fiu" \
                else None
            pytest.fail(f"{key} differs from the golden output"
                        + (f" (max abs difference {np.nanmax(diff):.3g})"
                           if diff is not None and diff.size else ""))
