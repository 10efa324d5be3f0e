"""The pooled response kernel against a slow plain-NumPy reference (docs/theory.md §4-5).

The reference recomputes every step independently of the compiled loops: the mode states by
explicit convolution sums, the quantile knots, the hat weights by ``np.interp`` on unit
vectors, the Legendre time weights by ``numpy.polynomial.legendre``, and the heat kernel of
the knot chain by ``scipy.linalg.expm`` of its graph Laplacian. Only the mode bank's
parameters (decay rates, frequencies, channels, read strides) are taken from ``fit_bank``.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial import legendre
from scipy.linalg import expm

from srnnkit.kernels import pooled_response_kernel
from srnnkit.kernels._pooled import fit_bank, pack


def _states(x, gamma, omega, chan):
    """(L, M) complex states z_t = sum_{s <= t} lam^(t-s) kap u_s of every mode."""
    a = gamma - 1j * omega
    lam, kap = np.exp(-a), -np.expm1(-a) / a
    L = x.shape[0]
    lags = np.arange(L)[:, None] - np.arange(L)[None, :]            # t - s
    out = np.empty((L, gamma.size), complex)
    for j in range(gamma.size):
        P = np.where(lags >= 0, lam[j] ** np.maximum(lags, 0), 0.0)
        out[:, j] = P @ (kap[j] * x[:, chan[j]])
    return out


def _coords(z, bank):
    """(L, C) real coordinates (real or imaginary part of a mode), in the bank's order."""
    return np.where(bank["cpart"][None, :] == 0, z[:, bank["cmode"]].real,
                    z[:, bank["cmode"]].imag)


def _reference(U, V, R, *, n_modes, n_knots, bandwidth, degree, linear):
    bank = fit_bank(pack(R), n_modes=n_modes, n_knots=n_knots)
    g, w, ch = bank["gamma"], bank["omega"], bank["channel"]
    train = np.concatenate([_coords(_states(r, g, w, ch), bank) for r in R])
    knots = np.maximum.accumulate(np.quantile(train, np.linspace(0, 1, n_knots), axis=0).T,
                                  axis=1)
    sd = train.std(axis=0)
    B = n_knots
    lap = 2 * np.eye(B) - np.eye(B, k=1) - np.eye(B, k=-1)
    lap[0, 0] = lap[-1, -1] = 1.0                                    # reflecting ends
    G = expm(-0.5 * (bandwidth * (B - 1)) ** 2 * lap)

    def pooled(x):
        Z = _coords(_states(x, g, w, ch), bank)
        L = x.shape[0]
        H = np.zeros((degree + 1, Z.shape[1], B))
        S = np.zeros((degree + 1, Z.shape[1]))
        for c in range(Z.shape[1]):
            reads = np.arange(0, L, bank["cstride"][c])
            tau = 2 * (reads + 0.5) / L - 1
            for p in range(degree + 1):
                wt = np.sqrt(2 * p + 1) * legendre.legval(tau, np.eye(degree + 1)[p])
                for r, t in enumerate(reads):
                    hat = np.array([np.interp(Z[t, c], knots[c], np.eye(B)[b])
                                    for b in range(B)])
                    H[p, c] += wt[r] * hat / reads.size
                    S[p, c] += wt[r] * Z[t, c] / sd[c] / reads.size
        return H, S

    Pu = [pooled(x) for x in U]
    Pv = [pooled(x) for x in V]
    K = np.zeros((len(U), len(V)))
    for i, (Hu, Su) in enumerate(Pu):
        for j, (Hv, Sv) in enumerate(Pv):
            K[i, j] = np.einsum("pcb,bd,pcd->", Hu, G, Hv) + linear * np.sum(Su * Sv)
    return K


def _series(n, L, m, seed, unequal=False):
    rng = np.random.default_rng(seed)
    out = [np.cumsum(rng.standard_normal((L, m)), axis=0) / np.sqrt(L) for _ in range(n)]
    return [x[: L - 7 * (i % 3)] for i, x in enumerate(out)] if unequal else out


@pytest.mark.parametrize(("degree", "linear", "unequal", "m"),
                         [(0, 0.0, False, 1), (2, 0.5, True, 2), (1, 1.0, True, 1)])
def test_pooled_kernel_equals_numpy_reference(degree, linear, unequal, m):
    U = _series(4, 48, m, 1, unequal)
    V = _series(3, 40, m, 2, unequal)
    R = _series(5, 56, m, 3, unequal)
    if degree == 1:      # long series: slow modes are read every 2nd or 4th step
        U, V, R = _series(3, 150, m, 1, unequal), _series(2, 90, m, 2), _series(3, 260, m, 3)
        assert fit_bank(pack(R), n_modes=6)["cstride"].max() > 1
    kw = dict(n_modes=6, n_knots=7, bandwidth=0.2, degree=degree, linear=linear)
    K = pooled_response_kernel(U, V, reference=R, **kw)
    np.testing.assert_allclose(K, _reference(U, V, R, **kw), rtol=1e-9, atol=1e-12)


def test_pooled_kernel_symmetric_normalised_and_thread_independent():
    U = _series(5, 64, 2, 4, unequal=True)
    K1 = pooled_response_kernel(U, n_modes=8, normalize=True, n_jobs=1)
    K2 = pooled_response_kernel(U, n_modes=8, normalize=True, n_jobs=2)
    np.testing.assert_array_equal(K1, K2)
    np.testing.assert_allclose(K1, K1.T, atol=1e-14)
    np.testing.assert_allclose(np.diag(K1), 1.0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(K1) > -1e-10)                  # positive semi-definite


def test_pooled_kernel_rejects_bad_input():
    U = _series(3, 20, 1, 5)
    with pytest.raises(ValueError, match="n_knots"):
        pooled_response_kernel(U, n_knots=1)
    with pytest.raises(ValueError, match="bandwidth"):
        pooled_response_kernel(U, bandwidth=0.0)
    with pytest.raises(ValueError, match="degree"):
        pooled_response_kernel(U, degree=3)
    bad = [u.copy() for u in U]
    bad[1][3, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        pooled_response_kernel(bad)
    with pytest.raises(TypeError, match="normalize"):
        pooled_response_kernel(U, normalize="yes")


def test_pooled_kernel_ridge_equals_precomputed_kernel_ridge():
    """ResponseKernelRidge(kernel="pooled") predicts as kernel ridge on the Gram matrix of
    pooled_response_kernel (scaled by the estimator's component scale) given as precomputed:
    the explicit-feature, chunked prediction and the intercept's centring agree."""
    from srnnkit.learning import ResponseKernelRidge

    X = _series(14, 60, 2, 6, unequal=True)
    Xt = _series(5, 50, 2, 7, unequal=True)
    y = np.array([np.sin(3 * x[:, 0].mean()) + x[-1, 1] for x in X])
    kw = dict(bandwidth=0.25, degree=1, n_modes=10, n_knots=9)
    est = ResponseKernelRidge(kernel="pooled", kernel_weights=[1.0, 0.0], alpha=0.05,
                              derivative=False, scaling=None, **kw).fit(X, y)
    s2 = est.component_scales_[0] ** 2
    K = pooled_response_kernel(X, reference=X, **kw) / s2
    Kt = pooled_response_kernel(Xt, X, reference=X, **kw) / s2
    pre = ResponseKernelRidge(kernel="precomputed", alpha=0.05).fit(K, y)
    np.testing.assert_allclose(est.predict(Xt), pre.predict(Kt), rtol=1e-9, atol=1e-11)


def _unit_spread(K):
    """K divided by the mean eigenvalue of its centred form (trace of H K H over n)."""
    n = K.shape[0]
    H = np.eye(n) - 1.0 / n
    return np.trace(H @ K @ H) / n


def _brute_loo_predictions(K, y, alpha):
    """Kernel ridge with an intercept refitted without each series, predicting it."""
    n = K.shape[0]
    out = np.empty(n)
    for i in range(n):
        keep = np.arange(n) != i
        Kk, yk = K[np.ix_(keep, keep)], y[keep]
        col = Kk.mean(axis=0)
        Kc = Kk - col[None, :] - col[:, None] + col.mean()
        c = np.linalg.solve(Kc + alpha * np.eye(n - 1), yk - yk.mean())
        out[i] = (K[i, keep] - col - K[i, keep].mean() + col.mean()) @ c + yk.mean()
    return out


def test_stacked_kernel_weights_equal_nnls_of_brute_force_leave_one_out():
    """kernel_weights="auto": the weights are the non-negative least squares of the targets
    on every candidate's leave-one-out predictions (each from a refit without the series,
    here on Grams from pooled_response_kernel and from standardised LinearSRNNFeatures),
    normalised; when the threshold readouts get weight, the stack without them is kept
    unless the stack with them has a brute-force leave-one-out error, as one kernel ridge,
    smaller by more than one standard error of the paired difference. The machine then
    predicts as kernel ridge on the weighted sum of the candidate Grams given as
    precomputed."""
    from scipy.optimize import nnls

    from srnnkit.learning import LinearSRNNFeatures, ResponseKernelRidge
    from srnnkit.learning._kernel_ridge import BANDWIDTHS

    X = _series(16, 60, 2, 6, unequal=True)
    Xt = _series(5, 50, 2, 7, unequal=True)
    y = np.array([np.sin(3 * x[:, 0].mean()) + x[-1, 1] + 0.3 * x[:, 1].std() for x in X])
    kw = dict(n_modes=10, n_knots=9)
    est = ResponseKernelRidge(kernel="pooled", alpha=0.05, derivative=False, scaling=None,
                              **kw).fit(X, y)
    # 6 bandwidths x 3 degrees, 3 linear, 2 threshold readouts (plain, plain + time-weighted)
    cands = ([("pooled", b, d) for d in range(3) for b in BANDWIDTHS]
             + [("linear", np.nan, d) for d in range(3)]
             + [("threshold", np.nan, d) for d in range(2)])
    feats = LinearSRNNFeatures(random_state=0).fit(X)
    F = feats.transform(X)
    mean, sd = F.mean(axis=0), F.std(axis=0)
    sd[sd == 0] = 1.0
    grams, tests = [], []
    for kind, b, d in cands:
        def gram(U, V=None, kind=kind, b=b, d=d):
            if kind == "threshold":
                cols = F.shape[1] // 2 if d == 0 else F.shape[1]
                A = ((feats.transform(U) - mean) / sd)[:, :cols]
                B = A if V is None else ((feats.transform(V) - mean) / sd)[:, :cols]
                return A @ B.T
            heat = pooled_response_kernel(U, V, reference=X, bandwidth=1.0 if kind ==
                                          "linear" else b, degree=d, **kw)
            if kind == "pooled":
                return heat
            return pooled_response_kernel(U, V, reference=X, bandwidth=1.0, degree=d,
                                          linear=1.0, **kw) - heat
        K = gram(X)
        s = _unit_spread(K)
        grams.append(K / s)
        tests.append(gram(Xt, X) / s)
    A = np.stack([_brute_loo_predictions(K, y, 0.05) - y.mean() for K in grams], axis=1)

    def stack(use):
        w = nnls(A[:, use], y - y.mean())[0]
        w = w / w.sum()
        K = sum(wi * grams[i] for wi, i in zip(w, use, strict=True))
        return use, w, (_brute_loo_predictions(K, y, 0.05) - y) ** 2

    full = stack(list(range(len(cands))))
    assert full[1][-2:].sum() > 0                    # the threshold readouts get weight
    plain = stack(list(range(len(cands) - 2)))
    diff = full[2] - plain[2]
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    use, w, _ = full if full[2].mean() + se < plain[2].mean() else plain
    assert [c[0] for c in est.components_] == [cands[i][0] for i in use]
    np.testing.assert_allclose(est.component_weights_, w, rtol=1e-6, atol=1e-9)
    assert np.count_nonzero(est.component_weights_) >= 2      # a mixture, not one kernel
    K = sum(wi * grams[i] for wi, i in zip(w, use, strict=True))
    Kt = sum(wi * tests[i] for wi, i in zip(w, use, strict=True))
    pre = ResponseKernelRidge(kernel="precomputed", alpha=0.05).fit(K, y)
    np.testing.assert_allclose(est.predict(Xt), pre.predict(Kt), rtol=1e-8, atol=1e-10)


def test_pooled_kernel_is_free_of_the_amplitude_and_its_modes_scale_with_the_length():
    """The rank scale: multiplying every series by a constant leaves the heat part of the
    kernel unchanged (states, knots and hat weights scale together). The bank: its slowest
    decay rate and lowest frequency are 1/L and 2 pi/L per step, so a set resampled to 4x
    its length gets modes 4x slower per step (the same in physical time)."""
    U = _series(4, 80, 2, 8)
    K = pooled_response_kernel(U, n_modes=12)
    K7 = pooled_response_kernel([7.0 * u for u in U], n_modes=12)
    np.testing.assert_allclose(K7, K, rtol=1e-9, atol=1e-12)
    b1 = fit_bank(pack(U), n_modes=64)
    b4 = fit_bank(pack([np.repeat(u, 4, axis=0) for u in U]), n_modes=64)
    # gamma = L^(-q) with the same low-discrepancy points q: the same place on the log scale
    np.testing.assert_allclose(np.sort(np.log(b1["gamma"]) / np.log(1 / 80)),
                               np.sort(np.log(b4["gamma"]) / np.log(1 / 320)), rtol=1e-12)
    assert b1["gamma"].min() >= 1 / 80 and b4["gamma"].min() >= 1 / 320
    w1, w4 = b1["omega"][b1["omega"] > 0], b4["omega"][b4["omega"] > 0]
    assert w1.min() >= 2 * np.pi / 80 * (1 - 1e-12) and w4.min() >= 2 * np.pi / 320 * (1 - 1e-12)
    assert w4.min() < w1.min() / 3


@pytest.mark.parametrize("factor", [1e200, 1e-300])
def test_the_linear_term_holds_at_any_finite_scale(factor):
    """Found by fuzzing: the states' deviation overflowed (1e200) or vanished (1e-300) and
    the linear term dropped out of an otherwise finite kernel."""
    from srnnkit.kernels import pooled_response_kernel

    X = np.random.default_rng(6).standard_normal((6, 12, 2))
    np.testing.assert_allclose(pooled_response_kernel(factor * X, linear=1.0),
                               pooled_response_kernel(X, linear=1.0), rtol=1e-10, atol=1e-12)
