"""The data-driven defaults of srnnkit.learning (docs/learning.md, "Defaults from the data").

Independent checks:

- the oscillators' time scales and frequencies follow the series' own length: the same seed
  on a series resampled to 4x its length gives the same draws in units of the length;
- the leave-one-out errors of the ridge readouts (with an unpenalised intercept) equal a
  brute-force refit without each sample, by scikit-learn's ``Ridge``;
- the response-kernel defaults (difference channel, block averaging, amplitude, refinement)
  make the normalised Gram matrix nearly invariant under resampling; the near-constant-Gram
  warning fires when the inputs are too small to tell series apart.
"""

import math

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from srnnkit.learning import (
    LinearSRNNClassifier,
    LinearSRNNFeatures,
    LinearSRNNRegressor,
    NearConstantGramWarning,
    ResponseKernelClassifier,
    ResponseKernelRidge,
    kernel_ridge_cv,
)
from srnnkit.learning import _kernel_ridge as krr
from srnnkit.learning import _oscillator as osc
from srnnkit.learning._ridge import ridge_loo


def _smooth(n, L, seed):
    """Smooth random series: a few random sines on [0, 1], sampled at L points."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, L)
    f = rng.uniform(1.0, 4.0, (n, 3))
    ph = rng.uniform(0.0, 2 * np.pi, (n, 3))
    return np.sin(2 * np.pi * f[:, None, :] * t[None, :, None] + ph[:, None, :]).sum(-1)


def _resample(X, factor):
    L = X.shape[1]
    t = np.linspace(0, L - 1, L * factor)
    return np.stack([np.interp(t, np.arange(L), x) for x in X])


def _unit_draws(values, lo, hi):
    """Where each value sits in [lo, hi] on a log scale (0 at hi, 1 at lo), sorted."""
    return np.sort(np.log(hi / values) / np.log(hi / lo))


# ------------------------------------------------------------ oscillator defaults
def test_time_scales_and_frequencies_follow_the_series_length(monkeypatch):
    # the log-uniform draws alone (the frequencies drawn from the inputs' spectrum, a
    # quarter of the oscillating blocks, are checked by test_frequencies_follow_the_spectrum)
    monkeypatch.setattr(osc, "_SPECTRAL_FRACTION", 0.0)
    X = _smooth(6, 40, 0)
    X4 = _resample(X, 4)
    a = LinearSRNNFeatures(n_oscillators=200, random_state=3).fit(X)
    b = LinearSRNNFeatures(n_oscillators=200, random_state=3).fit(X4)
    for est, L in ((a, 40), (b, 160)):
        # decay rates log-uniform on [1 / (max_memory L), max_decay]: memories from one step
        # to the whole series; frequencies log-uniform on [2 pi / L, pi] (or 0)
        assert est.gamma_.min() >= 1.0 / L and est.gamma_.max() <= 1.0
        w = est.omega_[est.omega_ > 0]
        assert w.min() >= 2 * np.pi / L and w.max() <= np.pi
        assert 0.65 < np.mean(est.omega_ > 0) < 0.85
        # strides are powers of two, sorted, at most one read per radian of phase or decay
        # (fewer where the inputs' fast content would alias: test_strides_do_not_alias...)
        rate = np.maximum(est.gamma_, est.omega_)
        assert np.all(np.diff(est.strides_) >= 0)
        assert np.all(est.strides_ == 2 ** np.round(np.log2(est.strides_)))
        assert np.all(est.strides_ <= np.maximum(1.0, 1 / rate))
    # the same seed draws the same positions on the log scale: in units of the series'
    # length the slow end moves with it (4x), the fast end stays at the sampling step
    np.testing.assert_allclose(_unit_draws(a.gamma_, 1 / 40, 1.0),
                               _unit_draws(b.gamma_, 1 / 160, 1.0), atol=1e-12)
    np.testing.assert_allclose(_unit_draws(a.omega_[a.omega_ > 0], 2 * np.pi / 40, np.pi),
                               _unit_draws(b.omega_[b.omega_ > 0], 2 * np.pi / 160, np.pi),
                               atol=1e-12)
    # the difference channel is weighted to the level channel's size whatever the sampling
    assert 3.5 < b.derivative_weight_[0] / a.derivative_weight_[0] < 4.5
    assert a.strides_.max() < b.strides_.max()


def _periods(seed, n=140, L=1000, periods=(6.0, 6.5, 7.0, 7.5)):
    """4 classes by the period alone (near the sampling limit), random phase and amplitude,
    AR(1) noise: the held-out frequency task of docs/learning.md."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(periods)
    t = np.arange(L)
    X = rng.uniform(0.5, 1.5, (n, 1)) * np.sin(2 * np.pi * t[None] / np.asarray(periods)[y][:, None]
                                               + rng.uniform(0, 2 * np.pi, (n, 1)))
    e = rng.standard_normal((n, L)) * math.sqrt(0.75)
    for k in range(1, L):
        e[:, k] += 0.5 * e[:, k - 1]
    return X + e, y


def test_frequencies_follow_the_spectrum():
    """Held-out check: classes told apart only by a period of 6-7.5 steps in 1000-step
    series were 0.746 accurate (MiniRocket 0.995, 5 seeds): log-uniform frequencies on
    [2 pi / L, pi] put 4 % of the blocks in the band of the four periods, and the few with
    the slow decay to resolve them were too few for the readout. A quarter of the
    oscillating blocks now take their frequency from the training inputs' spectrum
    (0.948 over the same 5 seeds); the rest stay log-uniform on the same range. Here (40
    training series, 100 test): 2.7 % of the blocks in the band before, 11 % now; accuracy
    0.81 and 0.84 before, 0.95 and 0.99 now."""
    X, y = _periods(0)
    w0 = 2 * np.pi / 6.75
    f = LinearSRNNFeatures(n_oscillators=400, random_state=0).fit(X[:40])
    w = f.omega_[f.omega_ > 0]
    assert w.min() >= 2 * np.pi / 1000 and w.max() <= np.pi
    band = np.mean(np.abs(w - w0) < 0.12)                    # the four periods' band
    assert band > 0.08                                       # 0.113; was 0.027
    for seed in (0, 1):
        X, y = _periods(seed)
        clf = LinearSRNNClassifier(random_state=seed).fit(X[:40], y[:40])
        assert clf.score(X[40:], y[40:]) > 0.92


def _periodic_noisy(L=400, period=8, n=20, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(L)
    return (np.sin(2 * np.pi * t[None] / period + rng.uniform(0, 2 * np.pi, (n, 1)))
            + 0.7 * rng.standard_normal((n, L)))


def test_strides_do_not_alias_the_inputs_fast_content():
    """A block read at least 8 times per series is read every ``s`` steps only while at
    most 1 % of its state's power lies above ``pi / s``; checked on the actual mean states
    by FFT (independent of the filter formula). The rule of one read per radian of a block's
    own phase or decay alone read slow blocks driven by a period-8 input every 8 steps: up
    to 96 % of their power aliased, and the step features of a pure period-8 sine moved with
    its phase 6.5x as much as when every step is read (the same phase at every read)."""
    L = 400
    X = _periodic_noisy(L)
    f = LinearSRNNFeatures(n_oscillators=200, random_state=0).fit(X)
    S = np.stack([f.mean_states(x) for x in X])                       # (n, L, 2U)
    P = (np.abs(np.fft.rfft(S, axis=1)) ** 2).sum(axis=0)
    P = P[:, 0::2] + P[:, 1::2]                                       # per block
    nu = np.pi * np.arange(P.shape[0]) / (L / 2)
    aliased = np.array([P[nu > np.pi / s, j].sum() / P[:, j].sum()
                        for j, s in enumerate(f.strides_)])
    many = f.strides_ * 8 <= L                  # blocks read at least 8 times
    assert aliased[many].max() < 0.03           # 1 % by the rule; the transient adds a little
    assert f.strides_[many].max() > 1           # slow blocks are still strided
    # the blocks read fewer than 8 times keep one read per radian of phase or decay
    rate = np.maximum(f.gamma_, f.omega_)[~many]
    assert np.all(2 * f.strides_[~many] > 1 / rate) and not many.all()
    # the features of a pure period-8 sine hardly depend on its phase: no more than when
    # every step is read (what is left: the transient from the zero start)
    t = np.arange(L)
    phases = np.stack([np.sin(2 * np.pi * t / 8 + p)
                       for p in np.linspace(0, 2 * np.pi, 8, endpoint=False)])
    kw = dict(n_oscillators=200, pooling="mean", readout="step", random_state=0)
    f = LinearSRNNFeatures(**kw).fit(X)
    spread = np.ptp(f.transform(phases), axis=0).reshape(200, 8)      # (block, its 8 columns)
    every = np.ptp(LinearSRNNFeatures(subsample=False, **kw).fit(X).transform(phases), axis=0)
    assert spread.mean() < 1.5 * every.mean()                         # 1.36x; was 6.5x
    assert spread[f.strides_ * 8 <= L].mean() < 0.03                  # 0.017; was 0.115


def test_resampled_series_keep_their_accuracy():
    """A two-class task and its 4x resampling are classified alike (fixed seeds)."""
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 40)
    t = np.linspace(0, 1, 50)
    bump = np.exp(-((t[None, :] - np.where(y == 1, 0.3, 0.7)[:, None]) / 0.08) ** 2)
    X = bump + 0.3 * rng.standard_normal((80, 50))
    X4 = _resample(X, 4)
    idx = rng.permutation(80)
    tr, te = idx[:50], idx[50:]
    kw = dict(n_oscillators=100, random_state=0)
    acc = LinearSRNNClassifier(**kw).fit(X[tr], y[tr]).score(X[te], y[te])
    acc4 = LinearSRNNClassifier(**kw).fit(X4[tr], y[tr]).score(X4[te], y[te])
    assert acc >= 0.9 and acc4 >= 0.9


# -------------------------------------------------------------- leave-one-out
def _brute_loo(F, Y, alpha, per_sample=False):
    errs = []
    for i in range(len(F)):
        keep = np.arange(len(F)) != i
        model = Ridge(alpha=alpha, fit_intercept=True, solver="svd").fit(F[keep], Y[keep])
        errs.append(np.sum((model.predict(F[i:i + 1]) - Y[i]) ** 2))
    return np.array(errs) if per_sample else float(np.mean(errs))


@pytest.mark.parametrize(("n", "p"), [(14, 5), (10, 30)])
def test_ridge_leave_one_out_equals_brute_force_refit(n, p):
    """Both regimes (more samples than features, and the reverse) and two column groups."""
    rng = np.random.default_rng(n)
    F = rng.standard_normal((n, p))
    F -= F.mean(axis=0)
    Y = np.c_[F[:, 0] - F[:, 1] ** 2, np.tanh(F[:, 2])] + 0.1 * rng.standard_normal((n, 2))
    groups = [np.arange(p // 2), np.arange(p // 2, p)]
    alphas = np.array([1e-3, 0.1, 1.0, 10.0])
    fit = ridge_loo(F, Y, groups, [[0], [0, 1]], alphas, relative=False)
    for c, cols in enumerate([groups[0], np.arange(p)]):
        brute = [_brute_loo(F[:, cols], Y, a) for a in alphas]
        np.testing.assert_allclose(fit.errors[c], brute, rtol=1e-7)
    # each candidate at its best penalty; the first within one standard error of the best
    best_a = fit.errors.argmin(axis=1)
    scores = fit.errors[[0, 1], best_a]
    b = int(np.argmin(scores))
    per = [_brute_loo(F[:, cols], Y, alphas[a], True)
           for cols, a in zip([groups[0], np.arange(p)], best_a, strict=True)]
    se = np.array([np.std(q - per[b], ddof=1) / np.sqrt(n) for q in per])
    c = int(np.flatnonzero(scores <= scores[b] + se)[0])
    assert (fit.candidate, fit.alpha) == (c, alphas[best_a[c]])
    cols = [groups[0], np.arange(p)][c]
    ref = Ridge(alpha=fit.alpha, solver="svd").fit(F[:, cols], Y)
    np.testing.assert_allclose(fit.coef, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.intercept, ref.intercept_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("weight", [1.0, 2.5])
def test_ridge_leave_one_out_of_a_candidate_with_fewer_columns_than_series(weight):
    """Found by fuzzing the linear readouts: with as many columns in all as series, each
    candidate's Gram is diagonalised whole, and a candidate of fewer columns (the linear
    readouts, 2 U of them beside 16 U threshold readouts) has null vectors besides the
    constant one; the eigenvector left out for the intercept was any one of them, and the
    leave-one-out errors were 1-25 % off (predictions of LinearSRNNRegressor 8 % off)."""
    rng = np.random.default_rng(3)
    n, p = 40, 70
    F = rng.standard_normal((n, p))
    F -= F.mean(axis=0)
    Y = np.c_[F[:, 0] - F[:, 1] + 0.5 * rng.standard_normal(n), np.tanh(F[:, 12])]
    groups = [np.arange(10), np.arange(10, p)]
    alphas = np.array([1e-3, 0.1, 1.0, 10.0])
    fit = ridge_loo(F, Y, groups, [[0], [1], [0, 1]], alphas, relative=False,
                    weights=[[1.0], [1.0], [1.0, weight]])
    Fw = F.copy()
    Fw[:, groups[1]] *= weight
    for c, G in enumerate([F[:, groups[0]], F[:, groups[1]], Fw]):
        brute = [_brute_loo(G, Y, a) for a in alphas]
        np.testing.assert_allclose(fit.errors[c], brute, rtol=1e-7)
    # the relative grid scales with the Gram's own mean eigenvalue (not with the matrix whose
    # eigenvectors separate the constant vector)
    rel = ridge_loo(F, Y, groups, [[0]], np.array([1.0]))
    assert rel.alpha == pytest.approx(np.sum(F[:, :10] ** 2) / n, rel=1e-9)


@pytest.mark.parametrize(("n", "p"), [(30, 8), (12, 40)])
def test_ridge_group_weights_equal_scaled_columns(n, p):
    """A group weight ``w`` is ridge on the columns times ``w`` (its own penalty scale); the
    coefficients come back for the plain columns."""
    rng = np.random.default_rng(n)
    F = rng.standard_normal((n, p))
    F -= F.mean(axis=0)
    Y = (F[:, :2].sum(axis=1) + 0.1 * rng.standard_normal(n))[:, None]
    groups = [np.arange(p // 2), np.arange(p // 2, p)]
    fit = ridge_loo(F, Y, groups, [[0, 1]], weights=[[1.0, 3.0]])
    Fw = F.copy()
    Fw[:, groups[1]] *= 3.0
    ref = ridge_loo(Fw, Y, groups, [[0, 1]])
    np.testing.assert_allclose(fit.errors, ref.errors, rtol=1e-9)
    assert fit.alpha == pytest.approx(ref.alpha, rel=1e-12)
    w = np.r_[np.ones(p // 2), np.full(p - p // 2, 3.0)]
    np.testing.assert_allclose(fit.coef, ref.coef * w, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(F @ fit.coef.T, Fw @ ref.coef.T, rtol=1e-8, atol=1e-10)


def test_ridge_group_grams_gather_each_group_once(monkeypatch):
    """Found by profiling: each group's Gram was ``F[:, g] @ F[:, g].T``, two gathered copies
    multiplied as distinct arrays (BLAS gemm, twice the work of one triangle; a fifth of
    `LinearSRNNClassifier`'s fit on JapaneseVowels and PLAID). One copy per group now
    (``_gram``: syrk), plain and channel-weighted; the choice and the fit are those of the
    explicit products to rounding (1e-12 relative here)."""
    from srnnkit.learning import _ridge

    rng = np.random.default_rng(5)
    n, p = 25, 90                       # every group wider than n (the Gram path)
    F = rng.standard_normal((n, p))
    F -= F.mean(axis=0)
    Y = np.sign(F[:, :3].sum(axis=1) + 0.5 * rng.standard_normal(n))[:, None]
    groups = [np.arange(0, p, 3), np.arange(1, p, 3), np.arange(2, p, 3)]
    colw = [None, rng.uniform(0.2, 1.0, groups[1].size), None]
    cands = [[0], [0, 1], [0, 1, 2]]
    calls = []
    gram = _ridge._gram

    def counting(A):
        calls.append(A.shape)
        return gram(A)

    monkeypatch.setattr(_ridge, "_gram", counting)
    fit = ridge_loo(F, Y, groups, cands, column_weights=colw)
    assert calls == [(n, g.size) for g in groups]              # one product per group
    # reference: the candidates' weighted columns, each Gram an explicit product
    for c, cand in enumerate(cands):
        cols = np.concatenate([groups[g] for g in cand])
        w = np.concatenate([np.ones(groups[g].size) if colw[g] is None else colw[g]
                            for g in cand])
        ref = ridge_loo(F[:, cols] * w, Y, [np.arange(cols.size)], [[0]])
        np.testing.assert_allclose(fit.errors[c], ref.errors[0], rtol=1e-12)


@pytest.mark.parametrize(("n", "p"), [(14, 5), (10, 30)])
@pytest.mark.parametrize("alpha", [1e-6, 1e-10, 1e-14])
def test_ridge_fit_at_tiny_penalties_equals_scikit_learn(n, p, alpha):
    """Found by fuzzing: the fit was (Y - Q diag(lam/(lam+a)) Q^T Y) / a, which cancels and
    divides by a (predictions 20 off at a = 1e-12, 1.9e3 at 1e-14); now it is
    Q diag(1/(lam+a)) Q^T Y."""
    rng = np.random.default_rng(n + p)
    F = rng.standard_normal((n, p))
    F -= F.mean(axis=0)
    Y = np.c_[F[:, 0] ** 2, F[:, 1]] + 0.1 * rng.standard_normal((n, 2)) + 3.0
    fit = ridge_loo(F, Y, [np.arange(p)], [[0]], np.array([alpha]), relative=False)
    ref = Ridge(alpha=alpha, solver="svd").fit(F, Y)
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(fit.coef, ref.coef_, rtol=1e-7, atol=1e-9 * scale)
    np.testing.assert_allclose(fit.intercept, ref.intercept_, rtol=1e-10)


def test_kernel_leave_one_out_with_intercept_equals_brute_force():
    """Kernel ridge with an unpenalised intercept == ridge on the features Phi, K = Phi Phi^T."""
    rng = np.random.default_rng(7)
    Phi = rng.standard_normal((12, 20))
    y = Phi[:, 0] + 0.5 * Phi[:, 1] * Phi[:, 2] + 1.5
    alphas = [1e-2, 0.3, 3.0]
    est = ResponseKernelRidge(kernel="precomputed", alphas=alphas).fit(Phi @ Phi.T, y)
    np.testing.assert_allclose(est.cv_errors_, [_brute_loo(Phi, y, a) for a in alphas],
                               rtol=1e-7)
    ref = Ridge(alpha=est.alpha_, solver="svd").fit(Phi, y)
    Phi_t = rng.standard_normal((5, 20))
    np.testing.assert_allclose(est.predict(Phi_t @ Phi.T), ref.predict(Phi_t), rtol=1e-8)


def test_default_penalty_grid_is_relative_to_the_features():
    """Scaling every feature by 100 scales the chosen penalty by 100**2 and nothing else."""
    rng = np.random.default_rng(2)
    F = rng.standard_normal((20, 50))
    F -= F.mean(axis=0)
    Y = F[:, :1] + 0.2 * rng.standard_normal((20, 1))
    a = ridge_loo(F, Y, [np.arange(50)], [[0]])
    b = ridge_loo(100 * F, Y, [np.arange(50)], [[0]])
    assert math.isclose(b.alpha, 1e4 * a.alpha, rel_tol=1e-9)
    np.testing.assert_allclose(100 * b.coef, a.coef, rtol=1e-6, atol=1e-8)


def _primal_loo(F, y, a):
    """Leave-one-out refits in the primal, (F_c^T F_c + a I) w = F_c^T y_c: well conditioned
    at any penalty when F has fewer columns than rows."""
    err = 0.0
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        m = F[keep].mean(axis=0)
        Fk = F[keep] - m
        w = np.linalg.solve(Fk.T @ Fk + a * np.eye(F.shape[1]), Fk.T @ (y[keep] - y[keep].mean()))
        err += ((F[i] - m) @ w + y[keep].mean() - y[i]) ** 2
    return err / len(y)


def _dual_loo(F, y, a):
    """Leave-one-out refits of the dual form, K = F F^T of full rank (more columns than
    rows)."""
    from .test_kernel_select import _augmented_loo

    return _augmented_loo(F @ F.T, y, a)


@pytest.mark.parametrize(("n", "p"), [(20, 6), (12, 30)])
def test_ridge_leave_one_out_equals_brute_force_at_small_penalties(n, p):
    """Down to 1e4 eps times the largest eigenvalue (a user's ``alphas`` may go there)."""
    rng = np.random.default_rng(5)
    F = rng.standard_normal((n, p)) * np.logspace(0, -2, p)
    F -= F.mean(axis=0)
    y = F[:, 0] * F[:, 1] + F[:, 2] + 0.01 * np.sin(5 * F[:, 0])
    lam = np.linalg.eigvalsh(F @ F.T)
    scale = lam.clip(0).sum() / n
    alphas = np.r_[np.array([1e-8, 1e-10, 1e-12]) * scale, 1e4 * np.finfo(float).eps * lam.max()]
    fit = ridge_loo(F, y[:, None], [np.arange(p)], [[0]], alphas, relative=False)
    brute = _primal_loo if n > p else _dual_loo
    np.testing.assert_allclose(fit.errors[0], [brute(F, y, a) for a in alphas], rtol=1e-10)


# ------------------------------------------------------------------ kernels
def test_kernel_gram_is_nearly_invariant_under_resampling():
    """Time on [0, 1], the balanced difference channel: the normalised Gram of smooth series
    barely moves when they are sampled 4x more finely (or block-averaged back)."""
    X = _smooth(8, 30, 4)
    X4 = _resample(X, 4)
    y = np.arange(8.0)
    kw = dict(kernel="response", input_scale=2.0, dyadic_order=1, alpha=1.0)
    grams = []
    for data, max_length in ((X, None), (X4, None), (X4, 30)):
        est = ResponseKernelRidge(max_length=max_length, **kw).fit(data, y)
        paths = est.X_fit_
        K = est._gram(paths, None)
        d = np.sqrt(np.diag(K))
        grams.append(K / d[:, None] / d[None, :])
    assert est.block_ == 4 and len(est.X_fit_[0]) == 30
    assert np.abs(grams[0] - grams[1]).max() < 0.05
    assert np.abs(grams[0] - grams[2]).max() < 0.05
    assert np.abs(grams[0] - np.eye(8)).max() > 0.2      # and it is not a trivial Gram


def test_kernel_amplitude_grid_and_refinement_rules():
    X = _smooth(10, 25, 5)
    est = ResponseKernelRidge(kernel="response").fit(X, np.arange(10.0))
    # the amplitude is one of the candidates, the largest giving the largest training path
    # a 1-variation of MAX_VARIATION (data channels) unless the refinement cap binds
    paths = est._paths(est._base(X), 1.0)
    var = max(np.linalg.norm(p[:, 1:], axis=1).sum() * est.dt_ for p in paths)
    grid = est._scales(est._base(X))
    assert grid[0] <= krr.MAX_VARIATION / var * (1 + 1e-12)
    np.testing.assert_allclose(grid[1:] / grid[:-1], 0.5)
    assert np.any(np.isclose(grid, est.input_scale_))
    # every PDE sub-cell's increment product is within the bound at the chosen order
    inc = max(np.max(np.sum(p * p, axis=1)) for p in est.X_fit_) * est.dt_ ** 2
    inc *= np.max(est.basis_.kappa(np.array([1.0]), np.array([1.0])))
    assert inc / 4.0 ** est.dyadic_order_ <= krr.MAX_CELL_PRODUCT
    assert est.dyadic_order_ == 0 or inc / 4.0 ** (est.dyadic_order_ - 1) > \
        krr.MAX_CELL_PRODUCT


def test_near_constant_gram_warning():
    X = _smooth(10, 20, 6)
    y = np.repeat([0, 1], 5)
    with pytest.warns(NearConstantGramWarning, match="nearly constant"):
        ResponseKernelClassifier(kernel="response", input_scale=1e-7, alpha=1.0).fit(X, y)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", NearConstantGramWarning)
        ResponseKernelClassifier().fit(X, y)


def test_kernel_classifier_defaults_on_a_shifted_bump_task():
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], 20)
    t = np.linspace(0, 1, 40)
    X = np.exp(-((t[None] - np.where(y == 1, 0.3, 0.6)[:, None]) / 0.1) ** 2)
    X = X + 0.2 * rng.standard_normal(X.shape)
    idx = rng.permutation(40)
    clf = ResponseKernelClassifier().fit(X[idx[:24]], y[idx[:24]])
    assert clf.score(X[idx[24:]], y[idx[24:]]) >= 0.9


def test_threshold_readouts_carry_a_short_pattern_in_long_series(monkeypatch):
    """A 30-step bump at a random place of 1000 steps of unit noise (present in one class,
    absent in the other): the pooled kernel's rank scale averages its rare extremes away,
    the threshold readouts of a linear SRNN count them. Their leave-one-out error inside the
    training split is below every heat kernel's, stacking gives them most of the weight, and
    the test accuracy rises over the machine without them (the same fit with the candidates
    removed)."""
    rng = np.random.default_rng(1)

    def make(n):
        X = rng.standard_normal((n, 1000))
        y = np.arange(n) % 2
        for i in np.flatnonzero(y):
            s = rng.integers(0, 970)
            X[i, s:s + 30] += 2.0 * np.sin(np.pi * np.arange(30) / 29)
        return X, y

    X, y = make(40)
    Xt, yt = make(100)
    clf = ResponseKernelClassifier(kernel="pooled").fit(X, y)
    assert clf.kernel_weights_[3] > 0.5
    errors = list(zip(clf.components_, clf.component_errors_, strict=True))
    assert min(e for c, e in errors if c[0] == "threshold") < min(
        e for c, e in errors if c[0] == "pooled")
    with_thresholds = clf.score(Xt, yt)
    monkeypatch.setattr(krr._KernelBase, "_threshold_candidates",
                        lambda self, series, Yc: (None, []))
    without = ResponseKernelClassifier(kernel="pooled").fit(X, y)
    assert without.kernel_weights_[3] == 0.0
    assert with_thresholds > without.score(Xt, yt)


def test_no_threshold_readout_attributes_stay_behind_when_unused(tmp_path):
    """Found by fuzzing: a refit whose kernel leaves the threshold readouts out (fixed
    weights, or the stack without them winning) set ``threshold_transformer_`` to None but
    kept the standardisation, weights and coefficients of the candidates (or of the last
    fit)."""
    import srnnkit as sk

    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 400))
    y = np.arange(30) % 2
    for i in np.flatnonzero(y):
        s = rng.integers(0, 370)
        X[i, s:s + 30] += 2.0 * np.sin(np.pi * np.arange(30) / 29)
    names = [f"threshold_{k}_" for k in ("shift", "scale", "weights", "coef", "mean")]
    clf = ResponseKernelClassifier(kernel="pooled").fit(X, y)
    assert clf.kernel_weights_[3] > 0 and clf.threshold_transformer_ is not None
    assert all(getattr(clf, k) is not None for k in names)
    clf.set_params(kernel_weights=[1.0, 1.0]).fit(X, y)
    assert clf.kernel_weights_[3] == 0.0
    assert clf.threshold_transformer_ is None and all(getattr(clf, k) is None for k in names)
    sk.save(clf, tmp_path / "clf.npz")
    np.testing.assert_array_equal(sk.load(tmp_path / "clf.npz").decision_function(X[:5]),
                                  clf.decision_function(X[:5]))
    # a precomputed refit after a fit that used them (found in review: they stayed)
    clf.set_params(kernel_weights="auto").fit(X, y)
    assert clf.threshold_transformer_ is not None
    clf.set_params(kernel="precomputed").fit(X @ X.T, y)
    assert clf.threshold_transformer_ is None and all(getattr(clf, k) is None for k in names)
    # nor anything else of the earlier fit (the review's left-over: its weights, components
    # and pooled coefficients stayed, describing a kernel the precomputed fit does not use)
    for name in ("kernel_weights_", "components_", "pooled_coef_", "pooled_bank_"):
        assert not hasattr(clf, name), name
    np.testing.assert_array_equal(clf.classes_, [0, 1])


@pytest.mark.parametrize("scale", [2.0 ** -664, 2.0 ** -266, 2.0 ** 266, 2.0 ** 515,
                                   2.0 ** 664])
def test_regressors_do_not_depend_on_the_targets_scale(scale):
    """Found by fuzzing: the one-standard-error rule squares the squared errors, so targets
    beyond 1e80 (or below 1e-80) changed the chosen model and those at 1e155 crashed
    (IndexError); the kernel machine moved by 0.6 at 1e-200. Targets out of the ordinary
    range are now chosen for at unit size, by a power of two: at these scales (1e-200 to
    1e200, powers of two) the fit is the same to rounding. (At decimal scales the rounding
    of the targets themselves may flip a near-tie of two penalties.)"""
    rng = np.random.default_rng(0)
    f = rng.uniform(1, 4, 40)
    X = np.sin(2 * np.pi * f[:, None] * np.linspace(0, 1, 30)) + 0.1 * rng.standard_normal(
        (40, 30))
    for est in (LinearSRNNRegressor(random_state=0), ResponseKernelRidge()):
        base = est.fit(X[:30], f[:30]).predict(X[30:])
        alpha = est.alpha_
        scaled = est.fit(X[:30], scale * f[:30]).predict(X[30:]) / scale
        np.testing.assert_allclose(scaled, base, rtol=1e-12)
        assert est.alpha_ == pytest.approx(alpha, rel=1e-12)


def test_kernel_ridge_cv_scale_and_gram_checks():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((12, 4))
    K, y = X @ X.T, X[:, 0] + 0.1 * rng.standard_normal(12)
    a, c, _ = kernel_ridge_cv(K, y, [1e-3, 1e-1, 10.0])
    for s in (1e200, 1e-200):                     # every error was inf: alphas[0] came back
        a_s, c_s, _ = kernel_ridge_cv(K, s * y, [1e-3, 1e-1, 10.0])
        assert a_s == a
        np.testing.assert_allclose(c_s / s, c, rtol=1e-12)
    with pytest.raises(ValueError, match="K must be a positive semi-definite Gram matrix; got "
                                         "'one with the eigenvalue -"):
        kernel_ridge_cv(-K, y, [1.0])             # was clipped to a zero kernel, silently
    with pytest.raises(ValueError, match="K must be a symmetric Gram matrix"):
        kernel_ridge_cv(K + np.triu(np.ones_like(K)), y, [1.0])


@pytest.mark.slow        # 17 s before the self-kernels named them first
def test_series_whose_path_kernel_overflows_are_named_at_predict():
    """Found by fuzzing: one held-out series 10x larger and 20x longer than the training
    ones failed the whole batch with the PDE's own message ('shorten the window')."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 25))
    est = ResponseKernelRidge().fit(X, X.mean(axis=1))
    Z = rng.standard_normal((3, 500))
    Z[1] *= 10
    with pytest.raises(ValueError, match=r"X must be series that the fitted whole-path kernel "
                                         r"can compare .* '1 of 3 series \(the first: 1; "
                                         r"up to 500 cells\) whose own kernel overflows"):
        est.predict(Z)
    assert np.isfinite(est.predict(Z[[0, 2]])).all()


def test_depth_with_the_signature_kernel_is_named():
    """The amplitude search read this ValueError as an overflow and blamed input_scale."""
    X = np.random.default_rng(0).standard_normal((12, 20))
    with pytest.raises(ValueError, match="depth must be None with kernel='signature'"):
        ResponseKernelRidge(kernel="signature", depth=2).fit(X, X.mean(axis=1))


def test_a_constant_gram_warns_instead_of_crashing():
    """Found by fuzzing: a constant Gram (precomputed, or a path kernel at a tiny
    input_scale) made the penalty grid relative to a zero eigenvalue: an IndexError deep in
    the leave-one-out, or an eigensolver failure after dividing by a 1e-300 spread."""
    y = np.arange(24) % 2
    for est in (ResponseKernelClassifier(kernel="precomputed"),
                ResponseKernelRidge(kernel="precomputed")):
        with pytest.warns(NearConstantGramWarning):
            est.fit(np.ones((24, 24)), y * 1.0 if isinstance(est, ResponseKernelRidge) else y)
    rng = np.random.default_rng(11)
    X = np.sin(np.linspace(0, 6, 60)[None] * (1 + y[:, None])) + 0.1 * rng.standard_normal(
        (24, 60))
    est = ResponseKernelClassifier(input_scale=1e-9).fit(X, y)
    assert est.score(X, y) > 0.9


@pytest.mark.parametrize(("n", "p"), [(30, 8), (12, 40)])
def test_ridge_column_weights_equal_scaled_columns(n, p):
    """Column weights are ridge on the columns times their weights (the channel weights of
    LinearSRNNClassifier)."""
    rng = np.random.default_rng(n)
    F = rng.standard_normal((n, p))
    F -= F.mean(axis=0)
    Y = (F[:, :2].sum(axis=1) + 0.1 * rng.standard_normal(n))[:, None]
    groups = [np.arange(p // 2), np.arange(p // 2, p)]
    cw = rng.uniform(0, 2, p)
    cw[1] = 0.0
    fit = ridge_loo(F, Y, groups, [[0, 1]], weights=[[1.0, 2.0]],
                    column_weights=[cw[groups[0]], cw[groups[1]]])
    w = cw * np.r_[np.ones(p // 2), np.full(p - p // 2, 2.0)]
    ref = ridge_loo(F * w, Y, groups, [[0, 1]])
    np.testing.assert_allclose(fit.errors, ref.errors, rtol=1e-9)
    np.testing.assert_allclose(F @ fit.coef.T, (F * w) @ ref.coef.T, rtol=1e-8, atol=1e-10)
    assert fit.coef[0, 1] == 0.0


def test_regressor_defaults_to_twice_the_classifiers_oscillators():
    """A continuous target feels the random network's draw in every prediction: with 500
    oscillators Tecator's test RMSE moved by 0.08 from seed to seed (0.765 +- 0.017 over 20
    seeds), with 1000 by 0.03 (0.687 +- 0.011; benchmarks/learning.md, regression run 5). The
    regressor's default is 1000, the classifier's stays 500, and both clone with it."""
    from sklearn.base import clone

    reg, clf = LinearSRNNRegressor(), LinearSRNNClassifier()
    assert reg.n_oscillators == 1000 and clf.n_oscillators == 500
    assert clone(reg).get_params() == reg.get_params()
    assert clone(LinearSRNNRegressor(n_oscillators=7)).n_oscillators == 7
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 30))
    fitted = LinearSRNNRegressor(random_state=0).fit(X, X.mean(axis=1))
    assert fitted.features_.n_oscillators <= 1000
    assert fitted.features_.gamma_.size == fitted.features_.n_oscillators
