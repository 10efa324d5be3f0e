"""Equivalences with the library's own response features (srnnkit.features)."""

from __future__ import annotations

import numpy as np
import pytest

from srnnkit.kernels import response_kernel

features = pytest.importorskip("srnnkit.features")
# these tests check the discretised scheme itself, coarse grids included
pytestmark = [pytest.mark.numba,
              pytest.mark.filterwarnings("ignore::srnnkit.kernels.CoarseGridWarning")]


def _bases():
    return [features.MonomialBasis(2), features.WeightedMonomialBasis(3),
            features.LegendreBasis(2, T=1.2), features.ExponentialBasis([0.0, 0.7, 2.0])]


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(12)
    return rng.normal(size=(5, 6, 2)) * 0.9, rng.normal(size=(3, 6, 2)) * 0.9


@pytest.mark.parametrize("basis", _bases(), ids=repr)
@pytest.mark.parametrize("refine", [1, 2])
def test_truncated_kernel_is_feature_gram(inputs, basis, refine):
    U, V = inputs
    depth = 3
    FU = features.response_features(U, dt=0.2, basis=basis, depth=depth, refine=refine,
                                     scalar_term=True)
    FV = features.response_features(V, dt=0.2, basis=basis, depth=depth, refine=refine,
                                    scalar_term=True)
    K = response_kernel(U, V, dt=0.2, basis=basis, depth=depth, refine=refine)
    np.testing.assert_allclose(K, FU @ FV.T, rtol=1e-10, atol=1e-10)
    Ks = response_kernel(U, dt=0.2, basis=basis, depth=depth, refine=refine)
    np.testing.assert_allclose(Ks, FU @ FU.T, rtol=1e-10, atol=1e-10)


def test_pde_is_limit_of_feature_grams(inputs):
    U, V = inputs
    basis = features.MonomialBasis(1)
    pde = response_kernel(U[:2], V[:2], dt=0.2, basis=basis, refine=2, dyadic_order=5,
                          richardson=True)
    errs = []
    for depth in (2, 4, 8):
        FU = features.response_features(U[:2], dt=0.2, basis=basis, depth=depth, refine=2,
                                        scalar_term=True)
        FV = features.response_features(V[:2], dt=0.2, basis=basis, depth=depth, refine=2,
                                        scalar_term=True)
        errs.append(np.abs(FU @ FV.T - pde).max())
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 1e-6


def test_infinite_basis_uses_kappa_only(inputs):
    U, _ = inputs
    K_inf = response_kernel(U, dt=0.2, basis=features.WeightedMonomialBasis(None),
                            dyadic_order=3, richardson=True)
    K_14 = response_kernel(U, dt=0.2, basis=features.WeightedMonomialBasis(13),
                           dyadic_order=3, richardson=True)
    np.testing.assert_allclose(K_inf, K_14, rtol=1e-7)
    with pytest.raises(TypeError, match="basis must be a finite support basis"):
        response_kernel(U, dt=0.2, basis=features.WeightedMonomialBasis(None), refine=2)
