"""device='cuda' Gram matrices equal the CPU's to float64 rounding."""

import numpy as np
import pytest

from srnnkit.features import MonomialBasis, WeightedMonomialBasis
from srnnkit.kernels import response_kernel, signature_kernel

pytestmark = pytest.mark.gpu

RTOL = 1e-12


@pytest.mark.parametrize("static,lev,rich", [("linear", 0, False), ("linear", 1, True),
                                             ("rbf", 1, False)])
def test_signature_kernel_matches_cpu(static, lev, rich):
    rng = np.random.default_rng(lev)
    X = 0.5 * rng.normal(size=(3, 5, 2))
    Y = 0.5 * rng.normal(size=(2, 4, 2))
    kw = dict(static=static, dyadic_order=lev, richardson=rich)
    np.testing.assert_allclose(signature_kernel(X, Y, device="cuda", **kw),
                               signature_kernel(X, Y, **kw), rtol=RTOL)
    np.testing.assert_allclose(signature_kernel(X, device="cuda", **kw),
                               signature_kernel(X, **kw), rtol=RTOL)


def test_signature_kernel_straight_line_closed_form():
    """A straight line against itself: k = I_0(2 |dx|), independent of the CPU code."""
    x = np.array([[[0.0, 0.0], [1.0, 0.5]]])
    K = signature_kernel(x, dyadic_order=4, richardson=True, device="cuda")
    assert np.isclose(K[0, 0], np.i0(2 * np.sqrt(1.25)), rtol=1e-4)


def test_unequal_lengths_and_tiled_diagonals(launch):
    """Unequal lengths; 4 threads per block, so each anti-diagonal is swept in tiles; the
    diagonals in shared memory (default) and in global scratch."""
    rng = np.random.default_rng(5)
    L = [0.4 * rng.normal(size=(n, 2)) for n in (7, 3, 5)]
    ref = signature_kernel(L, dyadic_order=1)
    launch(threads=4, max_blocks=2)
    np.testing.assert_allclose(signature_kernel(L, dyadic_order=1, device="cuda"), ref,
                               rtol=RTOL)
    launch(shared_bytes=0)
    np.testing.assert_allclose(signature_kernel(L, dyadic_order=1, device="cuda"), ref,
                               rtol=RTOL)


@pytest.mark.parametrize("basis,kw", [(MonomialBasis(1), dict(dyadic_order=1)),
                                      (WeightedMonomialBasis(), dict(dyadic_order=1)),
                                      (MonomialBasis(2), dict(refine=2, dyadic_order=1,
                                                              richardson=True))])
def test_response_kernel_matches_cpu(basis, kw):
    rng = np.random.default_rng(9)
    U = rng.normal(size=(3, 4, 2))
    V = rng.normal(size=(2, 3, 2))
    np.testing.assert_allclose(response_kernel(U, V, dt=0.2, basis=basis, device="cuda", **kw),
                               response_kernel(U, V, dt=0.2, basis=basis, **kw), rtol=RTOL)
