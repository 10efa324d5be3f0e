"""Algebraic identities (property-based): shuffle, Chen, inverse, reparametrisation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sigref import shuffles

import srnnkit as sk
from srnnkit.signatures import (
    index_to_word,
    signature_combine,
    signature_dim,
    signature_inverse,
    word_to_index,
)

coords = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


@st.composite
def paths(draw, min_points=2, max_points=8, max_d=3):
    d = draw(st.integers(1, max_d))
    n = draw(st.integers(min_points, max_points))
    return draw(arrays(np.float64, (n, d), elements=coords))


def _scale(sig):
    return max(1.0, float(np.abs(sig).max()))


@settings(max_examples=40, deadline=None)
@given(paths(), st.data())
def test_shuffle_identity(x, data):
    d = x.shape[1]
    depth = 4
    sig = sk.signature(x, depth, scalar_term=True)
    la = data.draw(st.integers(1, 2))
    lb = data.draw(st.integers(1, depth - la))
    a = tuple(data.draw(st.lists(st.integers(0, d - 1), min_size=la, max_size=la)))
    b = tuple(data.draw(st.lists(st.integers(0, d - 1), min_size=lb, max_size=lb)))
    lhs = sig[word_to_index(a, d, scalar_term=True)] * sig[word_to_index(b, d, scalar_term=True)]
    rhs = sum(sig[word_to_index(c, d, scalar_term=True)] for c in shuffles(a, b))
    assert abs(lhs - rhs) <= 1e-10 * _scale(sig) ** 2


@settings(max_examples=40, deadline=None)
@given(paths(min_points=3), st.data())
def test_chen_identity(x, data):
    d = x.shape[1]
    depth = data.draw(st.integers(1, 4))
    k = data.draw(st.integers(1, x.shape[0] - 2))
    whole = sk.signature(x, depth)
    combined = signature_combine(sk.signature(x[: k + 1], depth), sk.signature(x[k:], depth),
                                 d, depth)
    np.testing.assert_allclose(combined, whole, rtol=0, atol=1e-10 * _scale(whole))
    # with the scalar term as well
    c0 = signature_combine(sk.signature(x[: k + 1], depth, scalar_term=True),
                           sk.signature(x[k:], depth, scalar_term=True), d, depth,
                           scalar_term=True)
    np.testing.assert_allclose(c0[1:], whole, rtol=0, atol=1e-10 * _scale(whole))
    assert c0[0] == 1.0


@settings(max_examples=40, deadline=None)
@given(paths())
def test_reversed_path_is_inverse(x):
    d = x.shape[1]
    depth = 4
    s = sk.signature(x, depth)
    r = sk.signature(x[::-1], depth)
    unit = signature_combine(s, r, d, depth)
    tol = 1e-10 * _scale(s) ** 2
    np.testing.assert_allclose(unit, 0.0, atol=tol)
    np.testing.assert_allclose(signature_inverse(s, d, depth), r, atol=1e-10 * _scale(s))


@settings(max_examples=40, deadline=None)
@given(paths(), st.data())
def test_reparametrisation_invariance(x, data):
    # Subdividing segments (new points on them) and repeating points is a
    # reparametrisation of the piecewise-linear path: the signature must not change.
    depth = 4
    pieces = [x[:1]]
    for t in range(x.shape[0] - 1):
        n_sub = data.draw(st.integers(1, 4))
        fr = np.sort(np.asarray(data.draw(st.lists(st.floats(0, 1), min_size=n_sub - 1,
                                                     max_size=n_sub - 1)), dtype=float))
        fr = np.concatenate([fr, [1.0]])
        pts = x[t] + fr[:, None] * (x[t + 1] - x[t])
        if data.draw(st.booleans()):
            pts = np.vstack([pts[:1], pts])  # a repeated point (a pause)
        pieces.append(pts)
    y = np.vstack(pieces)
    s = sk.signature(x, depth)
    np.testing.assert_allclose(sk.signature(y, depth), s, rtol=0, atol=1e-10 * _scale(s))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.booleans(), st.data())
def test_word_index_round_trip(d, depth, scalar_term, data):
    dim = signature_dim(d, depth, scalar_term)
    i = data.draw(st.integers(0, dim - 1))
    w = index_to_word(i, d, scalar_term=scalar_term)
    assert len(w) <= depth
    assert word_to_index(w, d, scalar_term=scalar_term) == i


def test_combine_and_inverse_broadcast_and_scalar_term():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 2))
    s = sk.signature(x, 3, scalar_term=True)
    one = sk.signature(x[0], 3, scalar_term=True)
    both = signature_combine(s, one, 2, 3, scalar_term=True)       # (3, dim) with (dim,)
    assert both.shape == s.shape
    for i in range(3):
        np.testing.assert_allclose(
            both[i], signature_combine(s[i], one, 2, 3, scalar_term=True), rtol=1e-14)
    inv = signature_inverse(s, 2, 3, scalar_term=True)
    assert np.all(inv[:, 0] == 1.0)
    unit = signature_combine(s, inv, 2, 3, scalar_term=True)
    np.testing.assert_allclose(unit[:, 1:], 0.0, atol=1e-12)
    np.testing.assert_allclose(inv, sk.signature(x[:, ::-1], 3, scalar_term=True),
                               rtol=1e-12, atol=1e-13)
