"""response_kernel against signature features (iisignature), the NumPy PDE oracle,
signature_kernel on explicit tensor paths, and truncation / basis limits."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_oracles import (
    ExponentialBasis,
    LegendreBasis,
    MonomialBasis,
    WeightedMonomialBasis,
    goursat_oracle,
    response_gram_features,
    tensor_path,
)

from srnnkit.kernels import response_kernel, signature_kernel

# these tests check the discretised scheme itself, coarse grids included
pytestmark = [pytest.mark.numba,
              pytest.mark.filterwarnings("ignore::srnnkit.kernels.CoarseGridWarning")]

T = 1.0
DT = T / 6  # six input cells on [0, 1]


@pytest.fixture(scope="module")
def v4_inputs():
    """Scalar inputs of amplitude 2.5 on 6 cells (the setting of THEORY.md V4 / 9.7)."""
    rng = np.random.default_rng(2021)
    u, v = 2.5 * rng.uniform(-1, 1, size=(2, 6, 1))
    return u, v


def test_reference_values_9_7():
    """docs/theory.md §9.7: K for the stated inputs u, v (T = 1, six cells, amplitude 2.5)."""
    u = 2.5 * np.array([0.9, -0.4, 1.3, 0.2, -1.1, 0.6])[None, :, None]
    v = 2.5 * np.array([0.3, 1.0, -0.7, 0.8, 0.5, -0.2])[None, :, None]

    def K(**kw):
        return float(response_kernel(u, v, dt=DT, **kw)[0, 0])

    from srnnkit import features

    linear = features.MonomialBasis(1)
    assert K(basis=linear, dyadic_order=6, richardson=True) == pytest.approx(1.5448172, abs=1e-6)
    # the piecewise-linear path on 4 sub-pieces per cell: features and PDE agree
    assert K(basis=linear, refine=4, depth=14) == pytest.approx(1.5447657, abs=1e-6)
    assert K(basis=linear, refine=4, dyadic_order=6, richardson=True) == \
        pytest.approx(1.5447657, abs=1e-6)
    kappa_exp = features.WeightedMonomialBasis(None)
    assert K(basis=kappa_exp, dyadic_order=6, richardson=True) == \
        pytest.approx(1.5518962, abs=1e-6)


@pytest.fixture(scope="module")
def small_inputs():
    rng = np.random.default_rng(11)
    U = [rng.normal(size=(n, 2)) * 0.8 for n in (5, 3, 4)]
    V = [rng.normal(size=(n, 2)) * 0.8 for n in (4, 2)]
    return U, V


BASES = [MonomialBasis(1), LegendreBasis(2, T=1.0), ExponentialBasis([0.0, 1.0, 2.5]),
         WeightedMonomialBasis(3)]


@pytest.mark.parametrize("basis", BASES, ids=lambda b: type(b).__name__)
@pytest.mark.parametrize("r", [1, 3])
def test_truncated_equals_feature_gram(small_inputs, basis, r):
    U, V = small_inputs
    depth = 4
    K = response_kernel(U, V, dt=0.2, basis=basis, refine=r, depth=depth)
    ref = response_gram_features(U, V, 0.2, basis, depth, r)
    np.testing.assert_allclose(K, ref, rtol=1e-10, atol=1e-10)
    Ks = response_kernel(U, dt=0.2, basis=basis, refine=r, depth=depth)
    ref_s = response_gram_features(U, U, 0.2, basis, depth, r)
    np.testing.assert_allclose(Ks, ref_s, rtol=1e-10, atol=1e-10)
    assert np.array_equal(Ks, Ks.T)


def test_truncated_high_depth_scalar_input(v4_inputs):
    u, v = v4_inputs
    basis = MonomialBasis(1)
    K = response_kernel(u, v, dt=DT, basis=basis, refine=4, depth=12)
    ref = response_gram_features([u], [v], DT, basis, 12, 4)
    assert abs(K[0, 0] - ref[0, 0]) < 1e-10


def test_pde_equals_numpy_oracle(small_inputs):
    U, V = small_inputs
    basis = LegendreBasis(2, T=1.0)
    for kw in ({"refine": 2, "dyadic_order": 1}, {"dyadic_order": 2}):
        K = response_kernel(U, V, dt=0.2, basis=basis, **kw)
        for i, u in enumerate(U):
            for j, v in enumerate(V):
                if "refine" in kw:
                    r, R = kw["refine"], 2 ** kw["dyadic_order"]
                    e = np.arange(6 * r + 1) * (0.2 / r)
                    ints = basis.integrals(e[:-1], e[1:])
                    kap = ints @ ints.T
                else:
                    r, R = 2 ** kw["dyadic_order"], 1
                    h = 0.2 / r
                    mid = (np.arange(6 * r) + 0.5) * h
                    kap = basis.kappa(mid[:, None], mid[None, :]) * h * h
                uv = np.repeat(np.repeat(u @ v.T, r, 0), r, 1)
                G = kap[: len(u) * r, : len(v) * r] * uv
                assert abs(K[i, j] - goursat_oracle(G, R)) <= 1e-13 * abs(K[i, j])


def test_refine_equals_signature_kernel_of_tensor_path(small_inputs):
    U, V = small_inputs
    basis = ExponentialBasis([0.0, 1.5])
    K = response_kernel(U, V, dt=0.2, basis=basis, refine=3, dyadic_order=2)
    X = [tensor_path(u, 0.2, basis, 3) for u in U]
    Y = [tensor_path(v, 0.2, basis, 3) for v in V]
    np.testing.assert_allclose(K, signature_kernel(X, Y, dyadic_order=2), rtol=1e-12)


def test_pl_path_pde_equals_features(v4_inputs):
    """THEORY.md 9.7(b) setting: same PL path (4 sub-pieces per cell), features vs PDE."""
    u, v = v4_inputs
    basis = MonomialBasis(1)
    feats = response_gram_features([u], [v], DT, basis, 16, 4)[0, 0]
    pde = response_kernel(u, v, dt=DT, basis=basis, refine=4, dyadic_order=5,
                          richardson=True)[0, 0]
    assert abs(pde - feats) < 1e-6
    # and the exact truncated kernel converges to the PDE value
    trunc = [response_kernel(u, v, dt=DT, basis=basis, refine=4, depth=n)[0, 0]
             for n in (2, 4, 12)]
    errs = np.abs(np.array(trunc) - pde)
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-8


@pytest.mark.parametrize("basis", [MonomialBasis(1), LegendreBasis(2, T=1.0),
                                   ExponentialBasis([0.0, 1.0, 2.5])],
                         ids=lambda b: type(b).__name__)
def test_kappa_pde_equals_smooth_path_limit(v4_inputs, basis):
    """κ-midpoint PDE (smooth path) = limit of the exact PL paths as refine grows."""
    u, v = v4_inputs
    mid = response_kernel(u, v, dt=DT, basis=basis, dyadic_order=6, richardson=True)[0, 0]
    pl = [response_kernel(u, v, dt=DT, basis=basis, refine=r, dyadic_order=4,
                          richardson=True)[0, 0] for r in (8, 16)]
    smooth = (4 * pl[1] - pl[0]) / 3  # chordal error O(1/r²)
    assert abs(mid - smooth) < 1e-6
    assert abs(pl[1] - mid) < abs(pl[0] - mid)


def test_infinite_basis_e_st_vs_truncated_basis(v4_inputs):
    """κ = e^{st} (infinite weighted monomials) vs its P = 10 truncation (cf. V4c)."""
    u, v = v4_inputs
    K_inf = response_kernel(u, v, dt=DT, basis=WeightedMonomialBasis(None), dyadic_order=5,
                            richardson=True)[0, 0]
    K_10 = response_kernel(u, v, dt=DT, basis=WeightedMonomialBasis(9), dyadic_order=5,
                           richardson=True)[0, 0]
    assert abs(K_inf - K_10) < 1e-7
    # the level-1..depth features of the P = 8 basis agree too
    feats = response_gram_features([u], [v], DT, WeightedMonomialBasis(7), 4, 8)[0, 0]
    trunc = response_kernel(u, v, dt=DT, basis=WeightedMonomialBasis(7), refine=8,
                            depth=4)[0, 0]
    assert abs(feats - trunc) < 1e-10


def test_second_order_error_ratio_midpoint(v4_inputs):
    u, v = v4_inputs
    basis = WeightedMonomialBasis(None)
    ref = response_kernel(u, v, dt=DT, basis=basis, dyadic_order=8, richardson=True)[0, 0]
    err = [abs(response_kernel(u, v, dt=DT, basis=basis, dyadic_order=lv)[0, 0] - ref)
           for lv in (2, 3, 4, 5)]
    ratios = np.array(err[:-1]) / np.array(err[1:])
    assert np.all((ratios > 3.3) & (ratios < 4.7)), ratios


def test_gram_symmetric_psd_and_threads():
    rng = np.random.default_rng(5)
    U = rng.normal(size=(40, 8, 2))
    basis = WeightedMonomialBasis(None)
    K1 = response_kernel(U, dt=0.1, basis=basis, dyadic_order=2, n_jobs=1)
    K2 = response_kernel(U, dt=0.1, basis=basis, dyadic_order=2, n_jobs=2)
    assert np.array_equal(K1, K2) and np.array_equal(K1, K1.T)
    w = np.linalg.eigvalsh(K1)
    assert w.min() >= -1e-10 * np.trace(K1)
    Kf = response_kernel(U, U, dt=0.1, basis=basis, dyadic_order=2, n_jobs=2)
    np.testing.assert_allclose(Kf, K1, rtol=1e-12)
    Kt1 = response_kernel(U[:9], U[:7], dt=0.1, basis=MonomialBasis(1), refine=2, depth=3,
                          n_jobs=1)
    Kt2 = response_kernel(U[:9], U[:7], dt=0.1, basis=MonomialBasis(1), refine=2, depth=3,
                          n_jobs=2)
    assert np.array_equal(Kt1, Kt2)
    # few pairs: the lane grouping differs between 1 and 2 threads
    kt1 = response_kernel(U[:3], U[:2], dt=0.1, basis=MonomialBasis(1), refine=2, depth=3,
                          n_jobs=1)
    kt2 = response_kernel(U[:3], U[:2], dt=0.1, basis=MonomialBasis(1), refine=2, depth=3,
                          n_jobs=2)
    assert np.array_equal(kt1, kt2)
    np.testing.assert_allclose(kt1, Kt1[:3, :2], rtol=1e-14)


def test_unequal_lengths_match_single_pairs(small_inputs):
    U, V = small_inputs
    basis = MonomialBasis(2)
    K = response_kernel(U, V, dt=0.2, basis=basis, dyadic_order=1)
    for i, u in enumerate(U):
        for j, v in enumerate(V):
            assert K[i, j] == response_kernel(u, v, dt=0.2, basis=basis, dyadic_order=1)[0, 0]


def test_constant_basis_closed_form():
    # psi = 1, one cell: X is a straight line, K = I0(2 sqrt(<ΔX, ΔY>)) for X = Y
    u = np.array([[0.3, -0.9]])
    basis = MonomialBasis(0)
    K = response_kernel(u, dt=1.0, basis=basis, depth=20, refine=1)[0, 0]
    assert abs(K - np.i0(2 * np.linalg.norm(u))) < 1e-12


def test_bad_input(small_inputs):
    U, _V = small_inputs
    basis = MonomialBasis(1)
    with pytest.raises(ValueError, match="V must have the same number of channels as U"):
        response_kernel(U, np.zeros((2, 3, 3)), dt=0.1, basis=basis)
    with pytest.raises(ValueError, match="U must contain only finite values"):
        response_kernel(np.full((2, 3, 1), np.nan), dt=0.1, basis=basis)
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        response_kernel(U, dt=-1.0, basis=basis)
    with pytest.raises(TypeError, match="basis must be a support basis with a kappa"):
        response_kernel(U, dt=0.1, basis=object())
    with pytest.raises(TypeError, match="basis must be a finite support basis with an integrals"):
        class KappaOnly:
            def kappa(self, s, t):
                return np.exp(s * t)
        response_kernel(U, dt=0.1, basis=KappaOnly(), refine=2)
    with pytest.raises(ValueError, match="depth must be an integer in"):
        response_kernel(U, dt=0.1, basis=basis, depth=0)
    with pytest.raises(ValueError, match="U must be a non-empty array"):
        response_kernel(np.zeros((2, 0, 1)), dt=0.1, basis=basis)
    with pytest.raises(ValueError, match="the time table of response_kernel must fit in"):
        response_kernel(np.ones((1, 3000, 1)), dt=0.1, basis=basis, dyadic_order=4)
    with pytest.raises(ValueError, match=r"basis.kappa\(s, t\) must be finite"):
        class Blowup:
            def kappa(self, s, t):
                with np.errstate(invalid="ignore"):
                    return np.sqrt(1.0 - s * t)
        response_kernel(np.ones((1, 12, 1)), dt=0.1, basis=Blowup())
