"""Signatures: docs/theory.md §9.6 reference values, iisignature agreement, stream, dtype,
threads."""

from __future__ import annotations

import numpy as np
import pytest
from sigref import signature_ref

import srnnkit as sk
from srnnkit.signatures import signature_dim, word_to_index

iisignature = pytest.importorskip("iisignature")

RTOL = {np.float64: 1e-12, np.float32: 2e-5}

PATH_96 = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0], [2.5, 0.5]])


@pytest.mark.parametrize(
    ("word", "value"),
    [((1, 2), -0.875), ((2, 1), 2.125), ((1, 2, 1), -1.2291666667),
     ((2, 2, 1, 1), 2.1901041667), ((1, 1, 1, 1), 1.6276041667)],
)
def test_theory_reference_values(word, value):
    # docs/theory.md §9.6 writes 1-based letters; the library's letters are 0-based.
    sig = sk.signature(PATH_96, 4)
    idx = word_to_index(tuple(a - 1 for a in word), 2)
    assert sig[idx] == pytest.approx(value, abs=1e-9)


def test_level_one_and_two_closed_forms():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 3))
    sig = sk.signature(x, 2)
    inc = x[-1] - x[0]
    np.testing.assert_allclose(sig[:3], inc, rtol=1e-14)
    # symmetric part of level 2 is inc (x) inc / 2
    lv2 = sig[3:].reshape(3, 3)
    np.testing.assert_allclose(lv2 + lv2.T, np.outer(inc, inc), rtol=1e-13, atol=1e-14)


def test_levy_area_equals_shoelace_area():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 2))
    x = np.vstack([x, x[:1]])  # closed loop: Lévy area = signed enclosed area
    sig = sk.signature(x, 2)
    s12 = sig[word_to_index((0, 1), 2)]
    s21 = sig[word_to_index((1, 0), 2)]
    area = 0.5 * np.sum(x[:-1, 0] * x[1:, 1] - x[1:, 0] * x[:-1, 1])
    assert 0.5 * (s12 - s21) == pytest.approx(area, rel=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("depth", [1, 2, 4, 6])
def test_matches_iisignature(d, depth):
    if d ** depth > 20000:
        pytest.skip("large")
    rng = np.random.default_rng(10 * d + depth)
    for n_points in (2, 3, 6, 17):
        x = rng.standard_normal((4, n_points, d))
        ours = sk.signature(x, depth)
        ref = iisignature.sig(x, depth)
        scale = np.abs(ref).max(axis=-1, keepdims=True)
        np.testing.assert_allclose(ours / scale, ref / scale, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("d", "depth"), [(2, 5), (4, 3), (3, 4)])
def test_matches_numpy_reference(d, depth):
    rng = np.random.default_rng(d)
    x = rng.standard_normal((11, d))
    ref = signature_ref(x, depth)
    np.testing.assert_allclose(sk.signature(x, depth), ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(("d", "depth"), [(2, 4), (4, 5), (8, 3)])
def test_float32_computed_in_float32(d, depth):
    rng = np.random.default_rng(0)
    x = (0.3 * rng.standard_normal((5, 40, d))).astype(np.float32)
    ours = sk.signature(x, depth)
    assert ours.dtype == np.float32
    ref = iisignature.sig(x.astype(np.float64), depth)
    scale = np.abs(ref).max(axis=-1, keepdims=True)
    err = np.abs(ours - ref).max(axis=-1, keepdims=True) / scale
    assert err.max() < RTOL[np.float32]
    assert err.max() > 1e-12  # really single precision, not silently float64


@pytest.mark.parametrize(("d", "depth"), [(1, 3), (2, 4), (3, 3), (4, 5)])
def test_stream_equals_prefix_signatures(d, depth):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 9, d))
    stream = sk.signature(x, depth, stream=True)
    assert stream.shape == (2, 8, signature_dim(d, depth))
    for i in range(1, 9):  # the same operations in the same order: the same bits
        np.testing.assert_array_equal(stream[:, i - 1], sk.signature(x[:, : i + 1], depth))
    np.testing.assert_allclose(stream, iisignature.sig(x, depth, 2), rtol=1e-12, atol=1e-13)


def test_scalar_term_and_batch_axes():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 5, 2))
    s = sk.signature(x, 3)
    s0 = sk.signature(x, 3, scalar_term=True)
    assert s.shape == (2, 3, 14)
    assert s0.shape == (2, 3, 15)
    np.testing.assert_array_equal(s0[..., 0], 1.0)
    np.testing.assert_array_equal(s0[..., 1:], s)
    np.testing.assert_allclose(s[1, 2], sk.signature(x[1, 2], 3), rtol=0, atol=0)
    st = sk.signature(x, 2, stream=True, scalar_term=True)
    assert st.shape == (2, 3, 4, 7)
    np.testing.assert_array_equal(st[..., 0], 1.0)


def test_integer_and_list_input_promoted_to_float64():
    out = sk.signature([[0, 0], [1, 2], [3, -1], [2, 1]], 2)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, signature_ref(np.array([[0, 0], [1, 2], [3, -1], [2, 1]]), 2))


@pytest.mark.parametrize("n_jobs", [1, 2, 3, -1])
def test_reproducible_whatever_n_jobs(n_jobs):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 30, 3))
    base = sk.signature(x, 4)
    np.testing.assert_array_equal(sk.signature(x, 4, n_jobs=n_jobs), base)
    np.testing.assert_array_equal(sk.signature(x, 4, stream=True, n_jobs=n_jobs),
                                  sk.signature(x, 4, stream=True))


def test_top_level_blocking_matches_one_segment_at_a_time():
    # Lengths around the block size of the kernel (4 segments) must all agree with
    # the streamed (unblocked) computation's last row, bit for bit (the blocked top level
    # accumulates in segment order).
    rng = np.random.default_rng(6)
    for n_points in range(2, 12):
        x = rng.standard_normal((n_points, 3))
        np.testing.assert_array_equal(sk.signature(x, 4), sk.signature(x, 4, stream=True)[-1])


def test_top_level_namespace():
    import srnnkit.signatures as sigs

    assert sk.signature is sigs.signature
    assert sk.signature_dim is sigs.signature_dim


def test_ragged_paths_error_advises_padding_and_the_advice_holds():
    """The error for a list of unequal paths advises one padded call (found by profiling:
    one call per path costs ~0.1 ms each in overhead); repeating the last point leaves each
    signature unchanged, checked against one call per path."""
    rng = np.random.default_rng(3)
    paths = [rng.standard_normal((L, 2)) for L in (3, 7, 5)]
    with pytest.raises(ValueError, match="Pad unequal-length paths to one length by "
                                         "repeating each one's last point"):
        sk.signature(paths, 3)
    padded = np.stack([np.vstack([p, np.repeat(p[-1:], 7 - len(p), axis=0)]) for p in paths])
    np.testing.assert_allclose(sk.signature(padded, 3),
                               np.stack([sk.signature(p, 3) for p in paths]),
                               rtol=1e-13, atol=1e-15)


def test_small_calls_skip_the_cost_estimate(monkeypatch):
    """A call of under 1e6 segment-entries runs without its estimate (half of a small call's
    time); a larger one still gets it (and its CostWarning when long)."""
    from srnnkit.signatures import _cost

    calls = []
    real = _cost.signature_cost
    monkeypatch.setattr(_cost, "signature_cost", lambda *a, **k: calls.append(1) or real(*a, **k))
    from srnnkit.signatures import _signature

    monkeypatch.setattr(_signature, "signature",
                        _signature.costed(_cost.signature_cost,
                                          cheap=_cost.tiny_signature)(
                            _signature.signature.__wrapped__))
    x = np.random.default_rng(0).standard_normal((20, 2))
    np.testing.assert_array_equal(_signature.signature(x, 3), sk.signature(x, 3))
    assert calls == []
    _signature.signature(np.zeros((400, 300, 2)), 4)          # 400 x 300 x 30 > 1e6
    assert calls == [1]
    assert not _cost.tiny_signature(x)                        # no depth: not plain to see
    # found by review: a NumPy depth overflowed d**depth and a huge call looked tiny
    assert not _cost.tiny_signature(np.zeros((2, 3, 4)), np.int64(32))
