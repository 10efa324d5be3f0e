"""The kernel machine's selection helpers (srnnkit.learning._kernel_select) against direct
computations: the candidate Grams of the pooled kernel, the mixture grid, the
one-standard-error rule, and the leave-one-out errors against brute-force refits."""

from __future__ import annotations

import numpy as np

from srnnkit.kernels._pooled import embed, fit_bank, heat_features, pack
from srnnkit.learning._kernel_select import LooFit, heat_grams, loo_fit, mixture_grid, one_se


def test_heat_grams_equal_the_feature_grams():
    rng = np.random.default_rng(0)
    series = [np.cumsum(rng.standard_normal((40 + 3 * i, 2)), axis=0) for i in range(6)]
    packed = pack(series)
    bank = fit_bank(packed, n_modes=6, n_knots=7)
    E, _ = embed(packed, bank, None, 3)
    widths = np.array([0.1, 0.4, 1.0])
    seen = 0
    for b, d, K in heat_grams(E, widths, 2):
        F = heat_features(E, b, d)
        np.testing.assert_allclose(K, F @ F.T, rtol=1e-10, atol=1e-12)
        seen += 1
    assert seen == 9


def test_mixture_grid_simplest_first():
    grid = mixture_grid(["a", "b", "c"])
    np.testing.assert_array_equal(grid[:3], np.eye(3))
    assert all(np.isclose(w.sum(), 1.0) and np.all(w >= 0) for w in grid)
    assert all(np.allclose(w * 4, np.round(w * 4)) for w in grid)
    # singles, 3 pairs x 3 splits, then all three with every part >= 1/4 (3 ways)
    assert len(grid) == 3 + 9 + 3
    assert len({tuple(w) for w in grid}) == len(grid)


def _fit(per):
    per = np.asarray(per, float)
    return LooFit(float(per.mean()), 1.0, np.zeros(1), per, np.zeros(1), np.zeros((1, 1)))


def test_one_se_prefers_the_first_within_one_standard_error():
    rng = np.random.default_rng(1)
    base = rng.uniform(0.5, 1.5, 50)
    best = _fit(base)
    z = rng.standard_normal(50)
    d = 0.01 * (z - z.mean())
    se = d.std(ddof=1) / np.sqrt(50)
    close = _fit(base + d + 0.5 * se)          # worse by half a standard error: kept
    far = _fit(base + d + 2.0 * se)            # worse by two standard errors: dropped
    assert one_se([close, best]) == 0
    assert one_se([far, best]) == 1
    assert one_se([far, close, best]) == 1


def test_loo_fit_equals_brute_force_with_intercept():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((12, 5))
    K = A @ A.T
    y = A @ rng.standard_normal(5) + 0.1 * rng.standard_normal(12)
    Yc = (y - y.mean())[:, None]
    grid = np.array([1e-3, 1e-1, 1.0])
    fit = loo_fit(K, Yc, grid, relative=False)
    brute = []
    for a in grid:
        err = 0.0
        for i in range(12):
            keep = np.arange(12) != i
            Kk, yk = K[np.ix_(keep, keep)], y[keep]
            col = Kk.mean(axis=0)
            Kc = Kk - col[None, :] - col[:, None] + col.mean()
            c = np.linalg.solve(Kc + a * np.eye(11), yk - yk.mean())
            kc = K[i, keep] - col - K[i, keep].mean() + col.mean()
            err += (kc @ c + yk.mean() - y[i]) ** 2
        brute.append(err / 12)
    np.testing.assert_allclose(fit.errors, brute, rtol=1e-8)
