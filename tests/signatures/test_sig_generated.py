"""The update generated per (channels, depth) (signatures/_codegen.py) against the general
loops (bit for bit), iisignature and the NumPy reference; dispatch and threads."""

from __future__ import annotations

import numpy as np
import pytest
from sigref import signature_ref

import srnnkit as sk
from srnnkit.features import MonomialBasis, response_features
from srnnkit.signatures import _signature

iisignature = pytest.importorskip("iisignature")

NEVER = 10**30


def both(monkeypatch, f):
    """f() with the general loops, then with the generated update (each compiles once)."""
    monkeypatch.setattr(_signature, "FIXED_MIN_WORK", NEVER)
    general = f()
    monkeypatch.setattr(_signature, "FIXED_MIN_WORK", 0)
    return general, f()


# depth 2 (the top bracket is level 1), odd channels (vector tails), the W-SIG case
@pytest.mark.parametrize(("d", "depth"), [(2, 2), (3, 4), (4, 5)])
@pytest.mark.parametrize("stream", [False, True])
def test_generated_equals_general_loops_bitwise(monkeypatch, d, depth, stream):
    rng = np.random.default_rng(10 * d + depth)
    x = rng.standard_normal((3, 11, d))  # 10 segments: two full blocks of 4 and a rest
    general, fixed = both(monkeypatch, lambda: sk.signature(x, depth, stream=stream))
    np.testing.assert_array_equal(fixed, general)
    ref = iisignature.sig(x, depth, 2 if stream else 0)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(fixed / scale, ref / scale, rtol=0, atol=1e-13)


def test_generated_matches_numpy_reference_and_float32(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 9, 3))
    monkeypatch.setattr(_signature, "FIXED_MIN_WORK", 0)
    np.testing.assert_allclose(sk.signature(x[0], 4), signature_ref(x[0], 4), rtol=1e-12,
                               atol=1e-13)
    x32 = (0.5 * x).astype(np.float32)
    general, fixed = both(monkeypatch, lambda: sk.signature(x32, 4))
    assert fixed.dtype == np.float32
    np.testing.assert_array_equal(fixed, general)
    np.testing.assert_allclose(fixed, sk.signature(x32.astype(np.float64), 4), rtol=2e-5,
                               atol=2e-6)


def test_generated_stream_last_row_is_the_signature(monkeypatch):
    # blocked (4 segments at a time) and one-at-a-time accumulate in the same order
    monkeypatch.setattr(_signature, "FIXED_MIN_WORK", 0)
    rng = np.random.default_rng(4)
    for n_points in range(2, 12):
        x = rng.standard_normal((n_points, 3))
        np.testing.assert_array_equal(sk.signature(x, 4), sk.signature(x, 4, stream=True)[-1])


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_generated_reproducible_whatever_n_jobs(monkeypatch, n_jobs):
    monkeypatch.setattr(_signature, "FIXED_MIN_WORK", 0)
    x = np.random.default_rng(5).standard_normal((7, 30, 3))
    np.testing.assert_array_equal(sk.signature(x, 4, n_jobs=n_jobs), sk.signature(x, 4))


@pytest.mark.parametrize("stream", [False, True])
def test_generated_response_features_bitwise(monkeypatch, stream):
    u = np.random.default_rng(6).standard_normal((3, 12, 2))

    def rf():
        return response_features(u, dt=0.05, basis=MonomialBasis(1), depth=3, refine=2,
                                 stream=stream)

    general, fixed = both(monkeypatch, rf)
    np.testing.assert_array_equal(fixed, general)


def test_dispatch_rule():
    assert _signature.use_fixed(4, 5, _signature.FIXED_MIN_WORK)
    assert not _signature.use_fixed(4, 5, _signature.FIXED_MIN_WORK - 1)
    assert not _signature.use_fixed(_signature.FIXED_MAX_CHANNELS + 1, 2, NEVER)
    assert not _signature.use_fixed(2, _signature.FIXED_MAX_DEPTH + 1, NEVER)


def test_fixed_layout_is_aligned_and_a_permutation():
    from srnnkit.signatures._codegen import fixed_layout

    for d, depth, itemsize in [(3, 4, 8), (4, 5, 4), (1, 2, 8)]:
        lay = fixed_layout(d, depth, itemsize)
        assert all(o % lay.align == 0 for o in lay.offs[1:])
        assert lay.bufs[0] % lay.align == 0 and lay.t0 % lay.align == 0
        assert lay.t_stride % lay.align == 0 and lay.t_stride >= d ** (depth - 1)
        assert len(set(lay.perm.tolist())) == lay.perm.size  # one entry per word
        assert lay.perm.max() < lay.n_state <= lay.bufs[0]
