"""Support bases: evaluation, closed-form kappa, exact integrals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.polynomial import legendre as npleg

from srnnkit.features import (
    ExponentialBasis,
    LegendreBasis,
    MonomialBasis,
    WeightedMonomialBasis,
)

FINITE = [
    MonomialBasis(0),
    MonomialBasis(4),
    WeightedMonomialBasis(5),
    LegendreBasis(0, T=1.0),
    LegendreBasis(5, T=2.5),
    ExponentialBasis([0.0, 0.7, 2.0, -0.3]),
]


def _explicit(basis, t):
    """Basis values from the textbook definitions (independent of the library)."""
    t = np.asarray(t, dtype=float)
    if isinstance(basis, WeightedMonomialBasis):
        return np.stack([t**p / math.sqrt(math.factorial(p)) for p in range(basis.degree + 1)], -1)
    if isinstance(basis, MonomialBasis):
        return np.stack([t**p for p in range(basis.degree + 1)], -1)
    if isinstance(basis, LegendreBasis):
        x = 2 * t / basis.T - 1
        cols = []
        for p in range(basis.degree + 1):
            c = np.zeros(p + 1)
            c[p] = 1
            cols.append(np.sqrt((2 * p + 1) / basis.T) * npleg.legval(x, c))
        return np.stack(cols, -1)
    return np.exp(-np.multiply.outer(t, basis.rates))


@pytest.mark.parametrize("basis", FINITE, ids=repr)
def test_evaluation_matches_definition(basis):
    t = np.linspace(0, 2.5, 13)
    vals = basis(t)
    assert vals.shape == (13, basis.n_functions)
    np.testing.assert_allclose(vals, _explicit(basis, t), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("basis", FINITE, ids=repr)
def test_kappa_is_inner_product_of_features(basis):
    s = np.linspace(0, 2.5, 7)
    t = np.linspace(0.1, 2.0, 5)
    grid = basis.kappa(s[:, None], t[None, :])
    assert grid.shape == (7, 5)
    np.testing.assert_allclose(grid, basis(s) @ basis(t).T, rtol=1e-12, atol=1e-12)
    # elementwise with broadcasting, and scalars give scalars
    np.testing.assert_allclose(basis.kappa(s, s), np.sum(basis(s) ** 2, axis=1), rtol=1e-12)
    assert np.ndim(basis.kappa(0.3, 0.4)) == 0


def test_weighted_monomial_infinite_kappa_is_exp():
    inf = WeightedMonomialBasis()
    assert inf.n_functions is None
    s = np.linspace(0, 1.5, 6)
    t = np.linspace(0, 1.2, 4)
    trunc = WeightedMonomialBasis(30)
    feats = trunc(s) @ trunc(t).T
    np.testing.assert_allclose(inf.kappa(s[:, None], t[None, :]), feats, rtol=1e-14)
    np.testing.assert_allclose(inf.kappa(s[:, None], t[None, :]), np.exp(np.outer(s, t)),
                               rtol=1e-15)


def test_legendre_orthonormal_and_christoffel_darboux():
    T = 3.0
    b = LegendreBasis(6, T=T)
    nodes, w = npleg.leggauss(20)
    s = T / 2 * (nodes + 1)
    gram = (b(s) * (T / 2 * w)[:, None]).T @ b(s)
    np.testing.assert_allclose(gram, np.eye(7), atol=1e-13)
    # Christoffel-Darboux closed form off the diagonal
    x, y = 0.3, -0.55
    n = 6
    Pn = npleg.legval
    e = np.eye(n + 2)
    cd = (n + 1) / 2 * (Pn(x, e[n + 1]) * Pn(y, e[n]) - Pn(x, e[n]) * Pn(y, e[n + 1])) / (x - y)
    assert b.kappa(T * (x + 1) / 2, T * (y + 1) / 2) == pytest.approx(2 / T * cd, rel=1e-12)


def _antiderivative_integrals(basis, a, b):
    """Closed-form ∫_a^b psi from antiderivatives (independent of the library)."""
    if isinstance(basis, MonomialBasis | WeightedMonomialBasis):
        p = np.arange(basis.degree + 1)
        w = np.array([1 / math.sqrt(math.factorial(k)) for k in p]) if isinstance(
            basis, WeightedMonomialBasis) else np.ones(p.size)
        return w * (np.power.outer(b, p + 1) - np.power.outer(a, p + 1)) / (p + 1)
    if isinstance(basis, LegendreBasis):
        cols = []
        for p in range(basis.degree + 1):
            c = np.zeros(p + 1)
            c[p] = 1
            ci = npleg.legint(c)
            xa, xb = 2 * a / basis.T - 1, 2 * b / basis.T - 1
            cols.append(np.sqrt((2 * p + 1) / basis.T) * basis.T / 2
                        * (npleg.legval(xb, ci) - npleg.legval(xa, ci)))
        return np.stack(cols, -1)
    lam = basis.rates
    out = np.empty((a.size, lam.size))
    for i, r in enumerate(lam):
        out[:, i] = (b - a) if r == 0 else (np.exp(-r * a) - np.exp(-r * b)) / r
    return out


@pytest.mark.parametrize("basis", FINITE, ids=repr)
def test_integrals_exact(basis):
    a = np.array([0.0, 0.3, 1.0, 2.0])
    b = np.array([0.3, 1.0, 2.5, 2.0])
    got = basis.integrals(a, b)
    assert got.shape == (4, basis.n_functions)
    np.testing.assert_allclose(got, _antiderivative_integrals(basis, a, b), rtol=1e-12,
                               atol=1e-14)


def test_integrals_stable_on_tiny_cells():
    b = MonomialBasis(6)
    a = np.array([10.0])
    h = ((a + 1e-9) - a)[0]  # the cell length as represented in floating point
    got = b.integrals(a, a + h)[0]
    # midpoint rule; its error O(h^3 p^2 a^(p-2)) is far below 1e-12 relative here,
    # while b**(p+1) - a**(p+1) would lose about 9 digits to cancellation
    expected = h * (a[0] + h / 2) ** np.arange(7)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_infinite_basis_errors():
    b = WeightedMonomialBasis()
    with pytest.raises(ValueError, match="infinite"):
        b([0.1])
    with pytest.raises(ValueError, match="infinite"):
        b.integrals([0.0], [1.0])


@pytest.mark.parametrize(
    ("factory", "exc"),
    [(lambda: MonomialBasis(-1), ValueError), (lambda: MonomialBasis(1.5), TypeError),
     (lambda: LegendreBasis(2, T=0.0), ValueError), (lambda: LegendreBasis(2, T="a"), TypeError),
     (lambda: ExponentialBasis([[1.0]]), ValueError), (lambda: ExponentialBasis([np.nan]),
                                                       ValueError),
     (lambda: WeightedMonomialBasis(-2), ValueError)],
)
def test_bad_parameters(factory, exc):
    with pytest.raises(exc):
        factory()


def test_bad_times():
    b = MonomialBasis(2)
    with pytest.raises(ValueError, match="a and b"):
        b.integrals([0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="t must"):
        b(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="s and t must broadcast"):
        b.kappa(np.zeros(3), np.zeros(4))


def test_repr_and_equality():
    assert repr(LegendreBasis(2, T=1.5)) == "LegendreBasis(degree=2, T=1.5)"
    assert MonomialBasis(3) == MonomialBasis(3)
    assert MonomialBasis(3) != WeightedMonomialBasis(3)


def test_legendre_kappa_on_a_grid_keeps_two_polynomials():
    # found by fuzzing: on the broadcast grid all 2 (degree + 1) polynomials were kept (5.1 GB
    # and 13 s for degree 30 on the 3200 x 3200 time table of one response kernel)
    import tracemalloc

    b = LegendreBasis(30, T=1.0)
    a = (np.arange(600) + 0.5) / 600
    tracemalloc.start()
    K = b.kappa(a[:, None], a[None, :])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 6 * K.nbytes, peak / K.nbytes                 # was 62 grids
    x = 2 * a - 1
    psi = np.stack([math.sqrt(2 * p + 1) * npleg.legval(x, [0] * p + [1]) for p in range(31)], 1)
    np.testing.assert_allclose(K, psi @ psi.T, rtol=1e-10, atol=1e-10 * np.abs(K).max())
    assert b.kappa(np.array([0.2, 0.4]), 0.7).shape == (2,) and np.ndim(b.kappa(0.2, 0.7)) == 0
