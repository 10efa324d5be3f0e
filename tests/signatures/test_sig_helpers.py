"""Word helpers, layout, path transforms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.signatures import (
    add_basepoint,
    index_to_word,
    lead_lag,
    level_slices,
    signature_dim,
    time_augment,
    word_to_index,
    words,
)


@pytest.mark.parametrize(("d", "depth"), [(1, 1), (1, 5), (2, 3), (3, 4), (7, 2)])
def test_signature_dim(d, depth):
    assert signature_dim(d, depth) == sum(d**k for k in range(1, depth + 1))
    assert signature_dim(d, depth, scalar_term=True) == signature_dim(d, depth) + 1


def test_words_layout_is_lexicographic_earliest_letter_first():
    expected = [w for k in (1, 2, 3) for w in itertools.product(range(3), repeat=k)]
    assert words(3, 3) == expected
    # a path moving along channel 0 and then channel 1: only words with every 0 before
    # every 1 are non-zero, which pins the letter order to "earliest first"
    sig = sk.signature([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]], 2)
    assert sig[word_to_index((0, 1), 2)] == 1.0
    assert sig[word_to_index((1, 0), 2)] == 0.0


def test_words_and_indices_consistent():
    ws = words(2, 3, scalar_term=True)
    assert ws[0] == ()
    for i, w in enumerate(ws):
        assert word_to_index(w, 2, scalar_term=True) == i
        assert index_to_word(i, 2, scalar_term=True) == w


def test_level_slices_cover_layout():
    sl = level_slices(3, 3, scalar_term=True)
    assert sl[0] == slice(0, 1)
    assert [s.stop - s.start for s in sl[1:]] == [3, 9, 27]
    assert sl[-1].stop == signature_dim(3, 3, scalar_term=True)


def test_time_augment():
    x = np.arange(6.0).reshape(1, 3, 2)
    y = time_augment(x)
    assert y.shape == (1, 3, 3)
    np.testing.assert_allclose(y[0, :, 0], [0, 0.5, 1])
    np.testing.assert_array_equal(y[..., 1:], x)
    y2 = time_augment(x[0], times=[0.0, 2.0, 5.0])
    np.testing.assert_array_equal(y2[:, 0], [0, 2, 5])
    with pytest.raises(ValueError, match="times"):
        time_augment(x, times=[0.0, 1.0])


def test_basepoint_makes_signature_see_start():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 3))
    y = add_basepoint(x)
    assert y.shape == (2, 7, 3)
    np.testing.assert_allclose(sk.signature(y, 1), x[:, -1])
    z = add_basepoint(x[0], basepoint=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(z[0], [1, 2, 3])


def test_lead_lag_quadratic_variation():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((25, 2))
    ll = lead_lag(x)
    assert ll.shape == (49, 4)
    sig = sk.signature(ll, 2)
    for k in range(2):
        lead_lag_word = sig[word_to_index((k, 2 + k), 4)]
        lag_lead_word = sig[word_to_index((2 + k, k), 4)]
        qv = np.sum(np.diff(x[:, k]) ** 2)
        assert lead_lag_word - lag_lead_word == pytest.approx(qv, rel=1e-12)
    # the lag and lead channels each trace the path itself
    np.testing.assert_allclose(sig[:2], x[-1] - x[0])
    np.testing.assert_allclose(sig[2:4], x[-1] - x[0])


def test_combine_with_the_scalar_term_multiplies_any_tensor_algebra_elements():
    """Found by fuzzing: level 0 was taken as 1 (and written as 1) whatever it held. Against
    the plain sum of Kronecker products out_n = sum_k a_k (x) b_(n-k), k = 0..n."""
    from srnnkit.signatures import signature_combine, signature_inverse

    rng = np.random.default_rng(9)
    d, N = 2, 3
    a, b = (rng.standard_normal(signature_dim(d, N, True)) for _ in range(2))
    a[0], b[0] = 2.0, -0.5

    def levels(v):
        out, st = [v[:1]], 1
        for k in range(1, N + 1):
            out.append(v[st:st + d**k])
            st += d**k
        return out

    A, B = levels(a), levels(b)
    ref = np.concatenate([sum(np.kron(A[k], B[n - k]) for k in range(n + 1))
                          for n in range(N + 1)])
    np.testing.assert_allclose(signature_combine(a, b, d, N, scalar_term=True), ref,
                               rtol=1e-14, atol=1e-14)
    with pytest.raises(ValueError, match=r"sig must be signatures .*level 0 equal to 1"):
        signature_inverse(a, d, N, scalar_term=True)
