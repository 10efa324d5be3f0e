"""Numerical tests of srnnkit.learning against independent computations."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

import srnnkit as sk
from srnnkit.features import LegendreBasis, MonomialBasis
from srnnkit.learning import (
    ResponseFeatures,
    ResponseKernelClassifier,
    ResponseKernelRidge,
    SignatureTransformer,
    SRNNReservoir,
    kernel_ridge_cv,
)

# The plain kernel machine of docs/theory.md section 5: K(u, v) itself, no intercept, no
# difference channel, no amplitude search, no block averaging, no normalisation.
PLAIN = dict(kernel="response", fit_intercept=False, derivative=False, input_scale=1.0,
             max_length=None, normalize=False, dyadic_order=0)


def _inputs(n, L, m, seed):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.standard_normal((n, L, m)), axis=1) / np.sqrt(L)


# ------------------------------------------------------------------ SRNNReservoir
def test_reservoir_noiseless_equals_plain_esn_recursion():
    """noise=0, dt=1, leak=1: the features follow the recursion h <- tanh(Wh + b) + Cu."""
    X = _inputs(4, 25, 2, 0)
    res = SRNNReservoir(n_hidden=10, noise=0.0, n_paths=1, pooling="both", dt=1.0,
                        standardize=False,
                        random_state=3).fit(X)
    F = res.transform(X)
    W, C, b = res.model_.W, res.model_.C, res.model_.b
    for i, u in enumerate(X):
        h = np.zeros(10)
        for _ in range(10):          # default burn-in: ten relaxation times 1/(leak dt)
            h = np.tanh(W @ h + b)
        hs = []
        for t in range(len(u)):
            h = np.tanh(W @ h + b) + C @ u[t]
            hs.append(h)
        np.testing.assert_allclose(F[i, :10], hs[-1], atol=1e-12)
        np.testing.assert_allclose(F[i, 10:], np.mean(hs, axis=0), atol=1e-12)


def test_reservoir_noise_average_matches_independent_euler_maruyama():
    """Mean last state over 1024 paths vs a plain NumPy EM ensemble (4 standard errors)."""
    u = _inputs(1, 30, 1, 1)[0]
    res = SRNNReservoir(n_hidden=5, noise=0.3, leak=2.0, dt=0.1, n_paths=1024, standardize=False,
                        random_state=0).fit(u[None])
    f = res.transform(u[None])[0]
    W, C, b = res.model_.W, res.model_.C, res.model_.b
    rng = np.random.default_rng(7)
    M, dt = 4096, 0.1
    H = np.zeros((M, 5))
    for _ in range(60):                     # burn-in: 10 relaxation times 1/(leak dt) = 50 steps
        H += dt * (-2.0 * H + np.tanh(H @ W.T + b)) \
            + np.sqrt(dt) * 0.3 * rng.standard_normal(H.shape)
    for t in range(30):
        H += dt * (-2.0 * H + np.tanh(H @ W.T + b) + u[t] @ C.T) \
            + np.sqrt(dt) * 0.3 * rng.standard_normal(H.shape)
    se = np.sqrt(H.var(axis=0) / M + H.var(axis=0) / 1024)
    assert np.all(np.abs(f - H.mean(axis=0)) < 4 * se)


def test_reservoir_batch_independence_and_unequal_lengths():
    X = [np.sin(np.arange(L)[:, None] * [0.1, 0.2]) for L in (12, 20, 12, 7)]
    res = SRNNReservoir(n_hidden=8, n_paths=3, random_state=1, pooling="mean").fit(X)
    F = res.transform(X)
    for i, x in enumerate(X):
        np.testing.assert_array_equal(F[i], res.transform(x[None])[0])
    # same random_state -> same network and noise; different -> different
    F2 = SRNNReservoir(n_hidden=8, n_paths=3, random_state=1, pooling="mean").fit(X).transform(X)
    np.testing.assert_array_equal(F, F2)
    F3 = SRNNReservoir(n_hidden=8, n_paths=3, random_state=2, pooling="mean").fit(X).transform(X)
    assert not np.allclose(F, F3)
    # n_jobs does not change the result
    F4 = SRNNReservoir(n_hidden=8, n_paths=3, random_state=1, pooling="mean",
                       n_jobs=2).fit(X).transform(X)
    np.testing.assert_array_equal(F, F4)


def test_reservoir_batches_equal_one_simulate_call_per_series(monkeypatch):
    """Series of one length run as one batch with common noise (found by profiling: the
    per-series calls spent 5x the simulation in overhead); each row is still the pooled
    mean of `simulate` of that series alone, bit for bit, in batches of any size."""
    from srnnkit.learning import _reservoir

    rng = np.random.default_rng(4)
    X = [rng.standard_normal((int(L), 2)) for L in rng.integers(3, 15, size=25)]
    res = SRNNReservoir(n_hidden=6, n_paths=5, pooling="both", random_state=2).fit(X)
    F = res.transform(X)
    for i, x in enumerate(X):
        h = sk.simulate(res.model_, (x - res.shift_) / res.scale_, dt=res.dt_, n_paths=5,
                        seed=res.noise_seed_, h0=res.h0_, burn_in=0).mean
        np.testing.assert_array_equal(F[i], np.r_[h[-1], h[1:].mean(axis=0)])
    monkeypatch.setattr(_reservoir, "BATCH_VALUES", 50)        # batches of 1 or 2 series
    np.testing.assert_array_equal(res.transform(X), F)


def test_reservoir_rejects_wrong_channels():
    res = SRNNReservoir(n_hidden=4, n_paths=1, random_state=0).fit(np.zeros((2, 5, 2)))
    with pytest.raises(ValueError, match=r"X(\[0\])? must be series with 2 channel"):
        res.transform(np.zeros((2, 5, 3)))


def _offset_sines(n, sd, seed):
    """Sines of 3 or 4 cycles (the class) over 40 steps, each plus its own offset ~ N(0, sd)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = np.linspace(0, 1, 40)
    X = np.sin(2 * np.pi * (3 + y)[:, None] * t + rng.uniform(0, 2 * np.pi, n)[:, None])
    return X + rng.normal(0, sd, n)[:, None], y


def test_reservoir_warns_when_series_offsets_dominate():
    """Held-out check: offsets c_i ~ N(0, 10^2) per series put the reservoir at chance
    (0.515 +- 0.022 over 5 seeds, benchmarks in the SeriesOffsetWarning docstring), silently."""
    X, _ = _offset_sines(20, 10.0, 0)
    with pytest.warns(sk.learning.SeriesOffsetWarning,
                      match=r"channel 0 the series' means vary \d+ times.*standardize='series'"):
        SRNNReservoir(n_hidden=8, n_paths=2, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sk.learning.SeriesOffsetWarning)
        SRNNReservoir(n_hidden=8, n_paths=2, random_state=0).fit(_offset_sines(20, 1.0, 0)[0])
        SRNNReservoir(n_hidden=8, n_paths=2, random_state=0, standardize="series").fit(X)


def test_reservoir_series_standardization_ignores_each_series_level():
    X, _ = _offset_sines(12, 0.0, 1)
    shifted = X + np.random.default_rng(2).normal(0, 10, 12)[:, None]
    res = SRNNReservoir(n_hidden=8, n_paths=2, pooling="both", standardize="series",
                        random_state=0)
    F = res.fit(X).transform(X)
    assert np.all(res.shift_ == 0)
    # the deviation around the series' own means, pooled over the training series
    np.testing.assert_allclose(res.scale_, [np.std(X - X.mean(axis=1, keepdims=True))],
                               rtol=1e-9)
    np.testing.assert_allclose(res.fit(shifted).transform(shifted), F, atol=1e-9)
    np.testing.assert_allclose(res.transform(X + 3.0), F, atol=1e-9)


# --------------------------------------------------- docs/theory.md §5 equivalence
def test_kernel_machine_equivalence_primal_dual():
    """Ridge on noise-averaged SRNN features == kernel ridge with K = Phi Phi^T (to 1e-8)."""
    X, y, _ = sk.datasets.srnn_teacher(40, 30, n_paths=64, seed=0)
    res = SRNNReservoir(n_hidden=12, noise=0.2, dt=0.1, n_paths=16, random_state=0).fit(X)
    Phi = res.transform(X)
    tr, te = slice(0, 30), slice(30, 40)
    alpha = 0.05
    primal = Ridge(alpha=alpha, fit_intercept=False, solver="cholesky").fit(Phi[tr], y[tr])
    dual = ResponseKernelRidge(kernel="precomputed", alpha=alpha, fit_intercept=False).fit(
        Phi[tr] @ Phi[tr].T, y[tr])
    pred_p = primal.predict(Phi[te])
    pred_d = dual.predict(Phi[te] @ Phi[tr].T)
    np.testing.assert_allclose(pred_d, pred_p, rtol=1e-8, atol=1e-10)
    # the primal weights are the dual coefficients mapped back: theta = Phi^T c
    np.testing.assert_allclose(Phi[tr].T @ dual.dual_coef_, primal.coef_, rtol=1e-8,
                               atol=1e-10)


@pytest.mark.parametrize("basis", [MonomialBasis(1), LegendreBasis(2, 1.0)])
@pytest.mark.parametrize("unequal", [False, True])
def test_truncated_response_kernel_ridge_equals_ridge_on_features(basis, unequal):
    """ResponseKernelRidge(depth=N, refine=1) == Ridge on ResponseFeatures(depth=N) + scalar."""
    X = _inputs(24, 10, 1, 2)
    if unequal:
        X = [x[: 6 + i % 5] for i, x in enumerate(X)]
    y = np.array([np.sin(3 * x.sum()) for x in X])
    Xtr, Xte, ytr = X[:18], X[18:], y[:18]
    depth, alpha = 3, 1e-3
    feats = ResponseFeatures(basis, depth=depth, refine=1, scalar_term=True).fit(Xtr)
    primal = Ridge(alpha=alpha, fit_intercept=False, solver="cholesky").fit(
        feats.transform(Xtr), ytr)
    krr = ResponseKernelRidge(basis=basis, depth=depth, refine=1, alpha=alpha, **PLAIN).fit(
        Xtr, ytr)
    np.testing.assert_allclose(krr.predict(Xte), primal.predict(feats.transform(Xte)),
                               rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------- efficient CV
def _brute_loo(K, y, alpha):
    n = len(y)
    err = 0.0
    for i in range(n):
        keep = np.arange(n) != i
        c = np.linalg.solve(K[np.ix_(keep, keep)] + alpha * np.eye(n - 1), y[keep])
        err += np.sum((K[i, keep] @ c - y[i]) ** 2)
    return err / n


def test_cv_alpha_equals_brute_force_loo():
    X = _inputs(25, 12, 2, 3)
    y = np.stack([X[:, :, 0].mean(1) ** 2, np.tanh(X[:, -1, 1])], axis=1)
    alphas = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    kw = dict(dt=0.1, scaling=None, time_augment=False, basis=MonomialBasis(1), **PLAIN)
    est = ResponseKernelRidge(alphas=alphas, **kw).fit(X, y)
    Kx = sk.kernels.response_kernel(X, dt=0.1, basis=MonomialBasis(1))
    # two targets: the errors are summed in units of each target's standard deviation
    brute = np.array([_brute_loo(Kx, y / y.std(axis=0), a) for a in alphas])
    np.testing.assert_allclose(est.cv_errors_, brute, rtol=1e-8)
    assert est.alpha_ == alphas[int(np.argmin(brute))]
    np.testing.assert_allclose(est.dual_coef_, np.linalg.solve(
        Kx + est.alpha_ * np.eye(len(y)), y), rtol=1e-8, atol=1e-12)


def test_gcv_matches_definition():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((15, 6))
    K = A @ A.T
    y = rng.standard_normal(15)
    alphas = np.array([1e-2, 1.0, 5.0])
    _, _, errs = kernel_ridge_cv(K, y, alphas, cv="gcv")
    for a, e in zip(alphas, errs, strict=True):
        H = K @ np.linalg.inv(K + a * np.eye(15))
        r = y - H @ y
        assert np.isclose(e, 15 * r @ r / np.trace(np.eye(15) - H) ** 2, rtol=1e-9)


def test_gcv_with_an_intercept_counts_its_degree_of_freedom():
    """Found by fuzzing: the estimators' GCV on a centred Gram left the intercept out of the
    degrees of freedom, fell to 0 with the penalty on a Gram of rank n - 1 and always chose
    the grid's smallest penalty. Against the definition with the full hat matrix
    H = Hc + 11^T/n (kernel ridge on the centred Gram plus the mean)."""
    from srnnkit.learning._kernel_ridge import _kernel_ridge_cv
    from srnnkit.learning._kernel_select import centre

    rng = np.random.default_rng(4)
    n = 20
    A = rng.standard_normal((n, 40))                  # more features than series: rank n - 1
    y = A[:, 0] + 0.5 * rng.standard_normal(n)
    Kc, yc = centre(A @ A.T), y - y.mean()
    alphas = np.logspace(-6, 3, 10)
    _, _, errs = _kernel_ridge_cv(Kc, yc, alphas, "gcv", intercept=True)
    for a, e in zip(alphas, errs, strict=True):
        if a < 1e-3:        # the definition's own trace and residual cancel there
            continue
        H = Kc @ np.linalg.inv(Kc + a * np.eye(n)) + np.ones((n, n)) / n
        r = y - H @ y
        assert np.isclose(e, n * r @ r / np.trace(np.eye(n) - H) ** 2, rtol=1e-7)
    assert np.all(np.isfinite(errs) & (errs > 0))
    assert 0 < np.argmin(errs) < alphas.size - 1       # an interior choice, not the smallest


def test_kernel_ridge_cv_rejects_bad_alphas():
    with pytest.raises(ValueError, match="alphas must be positive"):
        kernel_ridge_cv(np.eye(3), np.ones(3), [0.0, 1.0])


# ------------------------------------------------------------------ classifier
def test_classifier_is_one_vs_rest_kernel_ridge():
    rng = np.random.default_rng(5)
    labels = np.repeat(["x", "y", "z"], 10)
    X = rng.standard_normal((30, 15, 1)) * 0.3 + np.repeat([-1.0, 0.0, 1.0], 10)[:, None, None]
    X[labels == "y"] += 0.5 * np.sin(np.arange(15))[None, :, None]
    # fixed kernel weights: the classifier's own choice of whether to keep the whole path
    # (by leave-one-out misclassification, which the regressor has not) is not made
    w = [1.0, 1.0, 1.0]
    clf = ResponseKernelClassifier(alpha=0.1, kernel_weights=w).fit(X, labels)
    Y = np.where(labels[:, None] == np.array(["x", "y", "z"])[None], 1.0, -1.0)
    reg = ResponseKernelRidge(alpha=0.1, kernel_weights=w).fit(X, Y)
    np.testing.assert_allclose(clf.decision_function(X), reg.predict(X), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), np.array(["x", "y", "z"])[
        reg.predict(X).argmax(1)])
    Xt = rng.standard_normal((30, 15, 1)) * 0.3 + np.repeat([-1.0, 0.0, 1.0], 10)[:, None, None]
    Xt[labels == "y"] += 0.5 * np.sin(np.arange(15))[None, :, None]
    assert clf.score(Xt, labels) >= 0.9


def test_classifier_binary_decision_sign():
    X = _inputs(20, 8, 1, 6)
    y = (X[:, -1, 0] > 0).astype(int)
    clf = ResponseKernelClassifier(alphas=[1e-3, 1e-1]).fit(X, y)
    d = clf.decision_function(X)
    assert d.shape == (20,)
    np.testing.assert_array_equal(clf.predict(X), (d > 0).astype(int))


# ---------------------------------------------------------------- transformers
def test_response_features_transformer_matches_functional_core():
    X = _inputs(5, 9, 2, 7)
    est = ResponseFeatures(MonomialBasis(2), depth=2, refine=2).fit(X)
    mu = X.reshape(-1, 2).mean(0)
    sd = X.reshape(-1, 2).std(0)
    Z = (X - mu) / sd
    Z = np.concatenate([np.ones((5, 9, 1)), Z], axis=2)
    ref = sk.response_features(Z, dt=1 / 9, basis=MonomialBasis(2), depth=2, refine=2)
    np.testing.assert_allclose(est.transform(X), ref, rtol=1e-12)
    assert est.n_features_out_ == ref.shape[1]


def test_signature_transformer_matches_iisignature():
    iisignature = pytest.importorskip("iisignature")
    X = [np.random.default_rng(i).standard_normal((6 + i, 2)) for i in range(4)]
    F = SignatureTransformer(depth=3, basepoint=True).transform(X)
    for i, x in enumerate(X):
        x0 = np.vstack([np.zeros(2), x])
        path = np.hstack([np.linspace(0, 1, len(x0))[:, None], x0])
        np.testing.assert_allclose(F[i], iisignature.sig(path, 3), rtol=1e-10, atol=1e-12)


def test_end_to_end_srnn_teacher_regression():
    """Response-kernel ridge learns an SRNN teacher's mean output: test R^2 >= 0.9."""
    X, y, _ = sk.datasets.srnn_teacher(120, 40, n_paths=256, seed=11)
    est = ResponseKernelRidge(alphas=np.logspace(-6, 0, 7)).fit(X[:90], y[:90])
    assert r2_score(y[90:], est.predict(X[90:])) >= 0.9


def test_float_scaling_divides_the_inputs():
    X = _inputs(3, 7, 1, 8)
    est = ResponseFeatures(depth=2, scaling=2.0, time_augment=False, dt=0.1).fit(X)
    ref = sk.response_features(X / 2.0, dt=0.1, basis=MonomialBasis(1), depth=2)
    np.testing.assert_allclose(est.transform(X), ref, rtol=1e-12)


# ------------------------------------------------------------------ units of the inputs
def test_standardization_holds_at_any_finite_scale():
    """Mean and deviation at 1e-170 and 1e155 are the scaled ones (squares of such values
    underflow / overflow); at ordinary sizes the plain formula's bits are kept."""
    from srnnkit.learning._input import standardization

    v = np.random.default_rng(0).standard_normal((50, 3)) + np.array([0.0, 3.0, -1.0])
    mean, sd = standardization(v)
    np.testing.assert_array_equal(mean, v.mean(axis=0))
    np.testing.assert_array_equal(sd, v.std(axis=0))
    for f in (1e-170, 1e155):
        m_f, s_f = standardization(v * f)
        np.testing.assert_allclose(m_f / f, mean, rtol=1e-13)
        np.testing.assert_allclose(s_f / f, sd, rtol=1e-13)


@pytest.mark.parametrize("factor", [1e-170, 1e155])
def test_estimators_that_standardize_do_not_depend_on_the_units(factor):
    from srnnkit.learning import LinearSRNNClassifier, LinearSRNNFeatures, ReservoirForecaster

    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 15, 2))
    y = np.arange(12) % 2
    X[y == 1, :, 0] += 1
    for est in (LinearSRNNClassifier(random_state=0), ResponseKernelClassifier()):
        np.testing.assert_array_equal(est.fit(X * factor, y).decision_function(X * factor)
                                      > 0, est.fit(X, y).decision_function(X) > 0)
    for est in (SRNNReservoir(10, random_state=0), LinearSRNNFeatures(20, random_state=0)):
        np.testing.assert_allclose(est.fit(X * factor).transform(X * factor),
                                   est.fit(X).transform(X), rtol=1e-8, atol=1e-10)
    s = sk.datasets.mackey_glass(400)
    f = ReservoirForecaster(random_state=0)
    # on this smooth series the penalty chosen in time is near the bottom of its grid, so the
    # readout passes the standardised series' rounding (1e-16) on amplified: 2e-8 measured
    np.testing.assert_allclose(f.fit(s * factor).predict(2) / factor, f.fit(s).predict(2),
                               rtol=1e-6)


def test_transformers_name_their_output_columns():
    """One name per column of transform, for pipelines and set_output(transform="pandas")."""
    from sklearn.pipeline import make_pipeline

    from srnnkit.learning import LinearSRNNFeatures

    X = _inputs(6, 12, 2, 0)
    sig = SignatureTransformer(depth=2)
    names = sig.get_feature_names_out(["a", "b"])         # stateless: names before fit
    assert list(names[:3]) == ["S(t)", "S(a)", "S(b)"] and names[4] == "S(t,a)"
    for est in (SignatureTransformer(depth=2), ResponseFeatures(basis=MonomialBasis(1), depth=2),
                LinearSRNNFeatures(8, random_state=0), SRNNReservoir(5, random_state=0)):
        F = est.fit_transform(X)
        assert len(est.get_feature_names_out()) == F.shape[1]
        assert len(est.get_feature_names_out(["a", "b"])) == F.shape[1]
        with pytest.raises(ValueError, match="input_features must be 2 channel"):
            est.get_feature_names_out(["a", "b", "c"])      # scikit-learn's rule: one each
    rf = ResponseFeatures(basis=MonomialBasis(1), depth=1).fit(X)
    assert list(rf.get_feature_names_out()) == [f"S(psi{p}.{c})" for p in (0, 1)
                                                for c in ("1", "x0", "x1")]
    with pytest.raises(ValueError, match="input_features"):
        rf.get_feature_names_out(["only one"])
    pd = pytest.importorskip("pandas")
    out = make_pipeline(LinearSRNNFeatures(8, random_state=0)).set_output(
        transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame) and out.columns[0] == "linearsrnnfeatures0"


def test_a_gram_that_breaks_cauchy_schwarz_is_refused_and_no_runtime_warning_leaks():
    """At input_scale 4 the PDE with dyadic order 0 gives normalised 'kernel' values near
    4e4: no kernel. The automatic amplitudes' rejected candidates, and one training series,
    fit without RuntimeWarnings."""
    import warnings

    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 15, 2))
    y = np.arange(12) % 2
    X[y == 1, :, 0] += 1
    with pytest.raises(ValueError, match=r"input_scale.*sqrt\(K\(u, u\) K\(v, v\)\)"):
        ResponseKernelClassifier(kernel="signature", input_scale=4.0, dyadic_order=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert ResponseKernelClassifier(kernel="signature").fit(X, y).score(X, y) == 1.0
        pred = ResponseKernelRidge().fit(X[:1], [2.5]).predict(X[:3])
    np.testing.assert_allclose(pred, 2.5)                 # one series: its target


def test_a_new_path_whose_self_kernel_the_fitted_grid_gets_wrong_is_refined(monkeypatch):
    """A test path far larger than the training ones can get a non-positive self-kernel on
    the fitted PDE grid (ItalyPowerDemand, kernel='signature': -115 at order 3, 50 at 4); its
    rows are recomputed on finer grids instead of giving a NaN decision. Simulated here by a
    self-kernel made negative at the fitted order for the first series."""
    import srnnkit.learning._kernel_ridge as kr

    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 12, 1))
    y = np.arange(10) % 2
    est = ResponseKernelClassifier(kernel="signature", dyadic_order=1).fit(X, y)
    expected = est.decision_function(X[:3])
    real = est._self_kernels

    def wrong_at_fitted_order(paths, order=None):
        out = real(paths, order)
        if order == est.dyadic_order_ and len(paths) == 3:
            out[0] = -1.0
        return out

    monkeypatch.setattr(est, "_self_kernels", wrong_at_fitted_order)
    got = est.decision_function(X[:3])
    assert np.all(np.isfinite(got)) and np.allclose(got[1:], expected[1:], rtol=0, atol=0)
    assert not np.isclose(got[0], expected[0], rtol=0, atol=0) and abs(got[0] - expected[0]) < 0.1
    monkeypatch.setattr(kr, "PREDICT_EXTRA_ORDERS", 0)
    with pytest.raises(ValueError, match="X must be series that the fitted kernel can compare"):
        est.decision_function(X[:3])
