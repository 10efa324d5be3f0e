"""Few pairs per thread are solved one pair at a time (row strips, no lanes): the same bits as
the lane sweeps and the plain scheme; the coarse-grid check solves the checked paths'
self-kernels only, with the values (and so the warnings) of the Gram's diagonal it used to
take."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from kernel_oracles import MonomialBasis, goursat_oracle, linear_cells, oracle_gram, rbf_cells

from srnnkit.kernels import CoarseGridWarning, _signature, response_kernel, signature_kernel
from srnnkit.kernels import _common as cm
from srnnkit.kernels import _pde_loops as kr

pytestmark = [pytest.mark.numba,
              pytest.mark.filterwarnings("ignore::srnnkit.kernels.CoarseGridWarning")]


def _padded(rng, lengths, d, amp):
    X = np.zeros((len(lengths), max(lengths), d))
    for i, n in enumerate(lengths):
        X[i, :n] = amp * rng.standard_normal((n, d))
    return X, np.asarray(lengths, dtype=np.int64)


def _with_lanes(px, py, nl):
    pad = (-len(px)) % nl
    return (np.concatenate([px, np.full(pad, px[-1])]),
            np.concatenate([py, np.full(pad, py[-1])]))


@pytest.mark.parametrize("seed", range(6))
def test_pair_sweeps_are_the_lane_sweeps_bits(seed):
    """Unequal lengths (2-40 points), 1-8 channels, dyadic orders 0-2 (strips of four refined
    rows and the remainder rows), every kernel: the pair solver and 8 lanes agree bit for bit."""
    rng = np.random.default_rng(seed)
    n, d, R, r = 4, int(rng.integers(1, 9)), 2 ** (seed % 3), 1 + seed % 3
    X, nx = _padded(rng, rng.integers(2, 41, n), d, 0.4)
    px, py = (a.astype(np.int64) for a in np.triu_indices(n))
    qx, qy = _with_lanes(px, py, 8)
    lanes, pairs = np.empty(len(qx)), np.empty(len(px))
    dX = np.ascontiguousarray(np.diff(X, axis=1))
    kr.sig_linear_gram(dX, nx - 1, dX, nx - 1, qx, qy, R, 0.7 / R**2, 8, lanes)
    kr.sig_linear_pairs(dX, nx - 1, dX, nx - 1, px, py, R, 0.7 / R**2, pairs)
    assert np.array_equal(lanes[: len(px)], pairs)
    kr.sig_rbf_gram(X, nx, X, nx, qx, qy, R, 0.78, 1.0 / R**2, 8, lanes)
    kr.sig_rbf_pairs(X, nx, X, nx, px, py, R, 0.78, 1.0 / R**2, pairs)
    assert np.array_equal(lanes[: len(px)], pairs)
    kap = rng.uniform(0.5, 1.5, (X.shape[1] * r, X.shape[1] * r))
    kr.response_gram(X, nx, X, nx, kap, r, qx, qy, R, 1.0 / R**2, 8, lanes)
    kr.response_pairs(X, nx, X, nx, kap, r, px, py, R, 1.0 / R**2, pairs)
    assert np.array_equal(lanes[: len(px)], pairs)


@pytest.mark.parametrize("lev", [0, 1, pytest.param(2, marks=pytest.mark.slow)])  # 2: 8 s
def test_few_long_pairs_match_the_plain_scheme(lev):
    rng = np.random.default_rng(11)
    X = np.cumsum(rng.standard_normal((2, 300, 3)), axis=1) * 0.03
    K = signature_kernel(X, dyadic_order=lev, scale=0.7)            # 3 pairs: one at a time
    # the oracle forms G by a BLAS product and scale before the R² split, and rounds
    # otherwise over 1.4e6 cells at order 2: 2e-12 apart (the lane sweeps are the same bits)
    ref = oracle_gram(X, X, lambda x, y: linear_cells(x, y, 0.7), R=2**lev)
    np.testing.assert_allclose(K, ref, rtol=1e-10, atol=0)
    Kr = signature_kernel(X[:, :60], static="rbf", scale=0.8, dyadic_order=lev)
    ref = oracle_gram(X[:, :60], X[:, :60], lambda x, y: rbf_cells(x, y, 0.8), R=2**lev)
    np.testing.assert_allclose(Kr, ref, rtol=1e-10, atol=0)
    many = signature_kernel(np.concatenate([X, X, X, X]), dyadic_order=lev, scale=0.7)
    assert np.array_equal(K, many[:2, :2])                          # 36 pairs: 64 lanes


def test_few_pairs_skip_the_lanes(monkeypatch):
    """2 paths (3 pairs) on one thread: one pair at a time, the lane loop is not called
    (a lone pair of 2000 steps ran 13x slower in it than in the pair sweep)."""
    calls = []
    real = kr.sig_linear_gram

    def spy(*args):
        calls.append(args[-2])          # the lane count
        return real(*args)
    monkeypatch.setattr(kr, "sig_linear_gram", spy)
    X = np.random.default_rng(3).standard_normal((2, 30, 2)) * 0.1
    signature_kernel(X, n_jobs=1)
    assert calls == []
    signature_kernel(np.concatenate([X] * 8), n_jobs=1)             # 136 pairs: lanes
    assert calls and min(calls) > cm.PAIR_LANES
    assert cm.pair_lanes(3, 1, 64, True) == 1 and cm.pair_lanes(3, 1, 64, False) == 4


def test_grid_check_solves_self_kernels_only(monkeypatch):
    """The check used to take the diagonal of the checked paths' whole Gram (up to 10 pairs
    for 4 paths, in lanes) at both orders; it solves the pairs (i, i) only, to the same bits,
    and a symmetric Gram lends it the coarse ones."""
    rng = np.random.default_rng(5)
    X, n = _padded(rng, [50, 400, 120, 300, 7, 260], 3, 0.05)
    for static, scale in (("linear", 0.7), ("rbf", 0.9)):
        for lev in (0, 1):
            diag = np.diag(_signature._levels(X, n, X, n, True, static, lev, False, scale, 1,
                                              "cpu"))
            assert np.array_equal(_signature._self_kernels(X, n, static, lev, scale, 1), diag)
    seen = []
    real = kr.sig_linear_pairs

    def spy(dX, nX, dY, nY, px, py, *rest):
        seen.append(np.array_equal(px, py))
        return real(dX, nX, dY, nY, px, py, *rest)
    monkeypatch.setattr(kr, "sig_linear_pairs", spy)
    signature_kernel(X[:1, :400], n_jobs=1)       # the Gram (1 pair), the check's finer one
    assert seen == [True, True]
    seen.clear()
    signature_kernel(X[:1, :400], X[:1, :50], n_jobs=1)   # (x, y), then both orders of each
    assert len(seen) == 5


def _warned(func, *args, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        func(*args, **kw)
    return [str(w.message) for w in rec if issubclass(w.category, CoarseGridWarning)]


@pytest.mark.parametrize("amp,warns", [(0.02, False), (0.2, True)])
def test_lone_long_path_warns_as_the_oracle_estimate_says(amp, warns):
    """A lone path of 400 steps: the warning fires exactly when the Richardson estimate from
    the plain scheme's self-kernels (orders 0 and 1) exceeds 1 %."""
    x = np.cumsum(np.random.default_rng(8).standard_normal((400, 2)), axis=0) * amp
    a, b = (goursat_oracle(linear_cells(x, x), R) for R in (1, 2))
    err = 4 / 3 * abs(a - b) / abs(b)
    assert (err > cm.COARSE_ERROR) == warns
    msgs = _warned(signature_kernel, x[None], dyadic_order=0)
    assert len(msgs) == warns
    if warns:
        assert f"off by about {100 * err:.2g} %" in msgs[0]


def test_response_kernel_few_pairs_match_the_oracle():
    rng = np.random.default_rng(9)
    L, dt = 40, 0.05
    U = 0.4 * rng.standard_normal((2, L, 2))
    basis = MonomialBasis(2)
    K = response_kernel(U, dt=dt, basis=basis, dyadic_order=1)
    many = response_kernel(np.concatenate([U] * 6), dt=dt, basis=basis, dyadic_order=1)
    assert np.array_equal(K, many[:2, :2])
    mid = (np.arange(2 * L) + 0.5) * dt / 2                          # two pieces per cell
    kap = basis.kappa(mid[:, None], mid[None, :]) * (dt / 2) ** 2
    for i in range(2):
        for j in range(2):
            G = kap * np.repeat(np.repeat(U[i] @ U[j].T, 2, 0), 2, 1)
            assert np.isclose(K[i, j], goursat_oracle(G), rtol=1e-12, atol=0)


def test_response_check_reuses_the_coarse_diagonal(monkeypatch):
    """A symmetric response Gram lends the coarse-grid check its diagonal (the same bits as
    the check's own solve), so a lone series is solved twice (the Gram, the finer
    self-kernel), not three times; the warning is unchanged."""
    rng = np.random.default_rng(12)
    U = 0.5 * rng.standard_normal((3, 80, 2))
    basis = MonomialBasis(2)
    K = response_kernel(U, dt=0.05, basis=basis)
    assert np.array_equal(np.diag(K), response_kernel(U, dt=0.05, basis=basis, diagonal=True))
    calls = []
    real = kr.response_pairs

    def spy(*args):
        calls.append(len(args[6]))
        return real(*args)
    monkeypatch.setattr(kr, "response_pairs", spy)
    W = np.cumsum(U[:2], axis=1) * 0.2
    msgs = _warned(response_kernel, W[:1], dt=0.05, basis=basis)
    assert calls == [1, 1] and len(msgs) == 1
    calls.clear()
    assert len(_warned(response_kernel, W[:1], W[1:], dt=0.05, basis=basis)) == 2
    assert calls == [1, 1, 1, 1, 1]                 # (u, v), then both orders of u and of v


def test_pairs_on_two_threads_are_lanes_on_one():
    """5 pairs: 8 lanes on one thread, one pair at a time on two (3 per thread): the same
    bits."""
    assert cm.pair_lanes(5, 1, 64, True) == 8 and cm.pair_lanes(5, 2, 64, True) == 1
    rng = np.random.default_rng(13)
    X = [0.3 * rng.standard_normal((n, 3)) for n in (40, 7, 33, 21, 50)]
    y = 0.3 * rng.standard_normal((45, 3))
    for kw in ({"dyadic_order": 1}, {"static": "rbf", "dyadic_order": 2}):
        one = signature_kernel(X, y, n_jobs=1, **kw)
        assert np.array_equal(one, signature_kernel(X, y, n_jobs=2, **kw))
    basis = MonomialBasis(1)
    one = response_kernel(X, y[None], dt=0.05, basis=basis, n_jobs=1)
    assert np.array_equal(one, response_kernel(X, y[None], dt=0.05, basis=basis, n_jobs=2))
