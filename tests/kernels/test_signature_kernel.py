"""signature_kernel against a plain-NumPy PDE oracle, iisignature and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_oracles import linear_cells, oracle_gram, rbf_cells, signature_features

from srnnkit.kernels import signature_kernel

# these tests check the discretised scheme itself, coarse grids included
pytestmark = [pytest.mark.numba,
              pytest.mark.filterwarnings("ignore::srnnkit.kernels.CoarseGridWarning")]


@pytest.fixture(scope="module")
def paths():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(4, 7, 3)) * 0.4
    Y = rng.normal(size=(3, 6, 3)) * 0.4
    return X, Y


@pytest.mark.parametrize("lev", [0, 1, 2])
def test_linear_matches_numpy_oracle(paths, lev):
    X, Y = paths
    K = signature_kernel(X, Y, dyadic_order=lev, scale=0.7)
    ref = oracle_gram(X, Y, lambda x, y: linear_cells(x, y, 0.7), R=2**lev)
    np.testing.assert_allclose(K, ref, rtol=1e-13, atol=0)


def test_rbf_matches_numpy_oracle(paths):
    X, Y = paths
    K = signature_kernel(X, Y, static="rbf", scale=0.8, dyadic_order=1, richardson=True)
    ref = oracle_gram(X, Y, lambda x, y: rbf_cells(x, y, 0.8), R=2, richardson=True)
    np.testing.assert_allclose(K, ref, rtol=1e-13, atol=0)


def test_straight_line_closed_form():
    # <S(x), S(x)> for a straight line with increment D is I0(2|D|)
    x = np.array([[0.0, 0.0, 0.0], [0.7, -0.4, 0.5]])
    K = signature_kernel(x, dyadic_order=5, richardson=True)
    assert abs(K[0, 0] - np.i0(2 * np.linalg.norm(x[1]))) < 1e-5


def test_matches_iisignature_at_high_depth(paths):
    X, Y = paths
    ref = signature_features(X, 12) @ signature_features(Y, 12).T
    K = signature_kernel(X, Y, dyadic_order=5, richardson=True)
    np.testing.assert_allclose(K, ref, atol=1e-5)


def test_second_order_error_ratio(paths):
    X, Y = paths
    # converged reference (checked against iisignature in the test above)
    ref = signature_kernel(X, Y, dyadic_order=9, richardson=True)
    err = [np.linalg.norm(signature_kernel(X, Y, dyadic_order=lv) - ref)
           for lv in (3, 4, 5, 6)]
    ratios = np.array(err[:-1]) / np.array(err[1:])
    assert np.all((ratios > 3.3) & (ratios < 4.7)), ratios


def test_symmetric_gram_is_symmetric_psd_and_equals_full():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(12, 9, 2)) * 0.3
    Ks = signature_kernel(X, dyadic_order=2)
    Kf = signature_kernel(X, X, dyadic_order=2)
    assert np.array_equal(Ks, Ks.T)
    np.testing.assert_allclose(Ks, Kf, rtol=1e-12, atol=1e-12 * np.abs(Kf).max())
    w = np.linalg.eigvalsh(Ks)
    assert w.min() >= -1e-10 * np.trace(Ks)


def test_bit_identical_across_n_jobs():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 12, 3)) * 0.3
    Y = rng.normal(size=(35, 10, 3)) * 0.3
    for kw in ({}, {"static": "rbf"}):
        K1 = signature_kernel(X, Y, dyadic_order=1, n_jobs=1, **kw)
        K2 = signature_kernel(X, Y, dyadic_order=1, n_jobs=2, **kw)
        Km = signature_kernel(X, Y, dyadic_order=1, n_jobs=-1, **kw)
        assert np.array_equal(K1, K2) and np.array_equal(K1, Km)
        # few pairs: the lane grouping differs between 1 and 2 threads
        s1 = signature_kernel(X[:5], Y[:3], dyadic_order=2, n_jobs=1, **kw)
        s2 = signature_kernel(X[:5], Y[:3], dyadic_order=2, n_jobs=2, **kw)
        assert np.array_equal(s1, s2)
        S1 = signature_kernel(X, n_jobs=1, **kw)
        S2 = signature_kernel(X, n_jobs=2, **kw)
        assert np.array_equal(S1, S2)


@pytest.mark.parametrize("static", ["linear", "rbf"])
def test_unequal_lengths(static):
    rng = np.random.default_rng(5)
    X = [rng.normal(size=(n, 2)) * 0.5 for n in (2, 9, 5, 13)]
    Y = [rng.normal(size=(n, 2)) * 0.5 for n in (7, 3)]
    K = signature_kernel(X, Y, static=static, dyadic_order=1)
    for i, x in enumerate(X):
        for j, y in enumerate(Y):
            kij = signature_kernel(x, y, static=static, dyadic_order=1)[0, 0]
            assert K[i, j] == kij
    Ks = signature_kernel(X, static=static)
    assert Ks.shape == (4, 4) and np.array_equal(Ks, Ks.T)
    assert Ks[2, 3] == signature_kernel(X[2], X[3], static=static)[0, 0]


def test_linear_scale_is_path_scaling(paths):
    X, Y = paths
    K1 = signature_kernel(X, Y, scale=2.0, dyadic_order=2)
    K2 = signature_kernel(X * np.sqrt(2.0), Y * np.sqrt(2.0), dyadic_order=2)
    np.testing.assert_allclose(K1, K2, rtol=1e-12)


@pytest.mark.parametrize("size", [1e-300, 1e-156, 1e154, 1e160])
def test_rbf_depends_on_paths_over_scale_only_at_extreme_sizes(size):
    # found by fuzzing: paths of size 1e154 at scale=1e154 were 4.5 % off with no warning
    # (squared distances overflowed), at 1e-156 raised NonFiniteResultError (1/scale²) and
    # at 1e-300 ZeroDivisionError
    X = np.random.default_rng(1).standard_normal((3, 6, 2)).cumsum(1) * 0.3
    Y = np.random.default_rng(2).standard_normal((2, 5, 2)).cumsum(1) * 0.3
    want = oracle_gram(X, Y, lambda x, y: rbf_cells(x, y, 1.0), R=2)
    got = signature_kernel(X * size, Y * size, static="rbf", scale=size, dyadic_order=1)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    sym = signature_kernel(X * size, static="rbf", scale=size, dyadic_order=1)
    np.testing.assert_allclose(sym, oracle_gram(X, X, lambda x, y: rbf_cells(x, y, 1.0), R=2),
                               rtol=1e-12)



def test_rbf_paths_beyond_1e308_scales_keep_the_old_formula():
    """In units of scale paths of size 1e300 at scale=1e-10 were inf (a NaN Gram,
    NonFiniteResultError); distinct points are beyond the kernel's reach, so the Gram is the
    one of any paths with all points far apart in units of scale, as before the rescaling.
    A subnormal scale with 1/scale**2 infinite is named (it was ZeroDivisionError)."""
    X = np.random.default_rng(0).standard_normal((3, 6, 2))
    want = signature_kernel(X, static="rbf", scale=1e-10, dyadic_order=1)
    for size, scale in ((1e300, 1e-10), (1e200, 1e-120), (1.0, 1e-300)):
        got = signature_kernel(X * size, static="rbf", scale=scale, dyadic_order=1)
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="scale"):
        signature_kernel(X, static="rbf", scale=1e-310, dyadic_order=1)

def test_bad_input():
    X = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match="Y must have the same number of channels"):
        signature_kernel(X, np.zeros((2, 5, 2)))
    bad = X.copy()
    bad[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="X must contain only finite values"):
        signature_kernel(bad)
    with pytest.raises(ValueError, match="X must be paths of length >= 2"):
        signature_kernel(np.zeros((2, 1, 3)))
    with pytest.raises(ValueError, match=r"Y must be paths of length >= 2"):
        signature_kernel(X, [np.zeros((4, 3)), np.zeros((1, 3))])
    with pytest.raises(ValueError, match="static must be one of 'linear', 'rbf'; got 'poly'"):
        signature_kernel(X, static="poly")
    with pytest.raises(ValueError, match="dyadic_order must be an integer >= 1 when richardson"):
        signature_kernel(X, richardson=True)
    with pytest.raises(TypeError, match="dyadic_order must be an integer"):
        signature_kernel(X, dyadic_order=1.5)
    with pytest.raises(ValueError, match="scale must be a finite number > 0"):
        signature_kernel(X, scale=0.0)
    with pytest.raises(ValueError, match="n_jobs must be a non-zero integer"):
        signature_kernel(X, n_jobs=0)
    with pytest.raises(ValueError, match=r"X must be an array of shape"):
        signature_kernel(np.zeros(5))
    with pytest.raises(ValueError, match=r"X\[1\] must be an array with 3 channels"):
        signature_kernel([np.zeros((4, 3)), np.zeros((4, 2))])
