"""Shared problem factories (the reference setups of docs/theory.md §9)."""

import os

import numpy as np
import pytest
from hypothesis import settings

import srnnkit as sk

# Fuzz tests draw their examples from a fixed seed (derandomized), so every CI run checks the
# same cases and a failure reproduces; `--hypothesis-seed` or HYPOTHESIS_PROFILE=explore draws
# new ones by hand.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A test that allocates far beyond its size (a guard that did not fire) fails with a
# MemoryError instead of taking the whole machine down: the suite peaks below 1 GB, so the
# heap of the test process is capped at 8 GiB (SRNNKIT_TEST_MEMORY_GB changes it; 0: no cap).
_CAP_GB = float(os.environ.get("SRNNKIT_TEST_MEMORY_GB", "8"))
if _CAP_GB > 0:
    try:
        import resource

        _soft, _hard = resource.getrlimit(resource.RLIMIT_DATA)
        _cap = int(_CAP_GB * 2**30)
        if _soft == resource.RLIM_INFINITY or _soft > _cap:
            resource.setrlimit(resource.RLIMIT_DATA, (_cap, _hard))
    except (ImportError, ValueError, OSError):   # not POSIX, or a lower limit is set
        pass


def ou_model(readout=None) -> "sk.SRNN":
    """The two-unit linear SRNN of docs/theory.md §9.1 (V1)."""
    return sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]],
                   sigma=[[0.6, 0.0], [0.2, 0.5]], gamma=[1.0, 0.8],
                   activation="identity", readout=readout)


@pytest.fixture
def ou():
    return ou_model()


@pytest.fixture
def tanh1d():
    """The 1-D tanh SRNN of docs/theory.md §9.5 (V2: gamma=1, w=0.8, b=0.3, c=1, sigma=0.5, f=h)."""
    return sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3], activation="tanh")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _progress_switch_restored():
    """A test that switches progress bars globally (sk.show_progress(...) called plainly)
    leaves the switch as it found it."""
    from srnnkit import _progress

    before = _progress._SETTING
    yield
    _progress._SETTING = before
