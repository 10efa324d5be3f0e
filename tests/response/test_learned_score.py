"""FDT with a learned score (docs/theory.md §12) and with the input inside the activation (§11).

References: the exact grid kernels of 1-D SRNNs (GridChain), the closed forms of a linear
SRNN (where the learned score must be the sample Gaussian's), perturbation with common random
numbers on an 8-unit network, and finite differences for the features' gradients. Monte Carlo
comparisons are within 4 standard errors (the estimator's own), fixed seeds.
"""

import warnings

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.dynamics._activations import ACTIVATIONS
from srnnkit.response import _fdt, _score
from srnnkit.response._score import ScoreFeatures, ScoreStats, fit_score

R = sk.response


def tanh_1d(sigma, w=2.0, mode="additive"):
    """The 1-D tanh SRNNs of docs/theory.md §12: gamma=1.5, c=0.7, f=tanh."""
    return sk.SRNN(W=[[w]], C=[[0.7]], sigma=sigma, gamma=1.5, b=[0.2], readout=np.tanh,
                   input_mode=mode)


# ------------------------------------------------------------------------------ the fit
def _summed_gradients(feats, h, e=1e-6):
    """Central differences of the features' gradients, summed over the states ``h``."""
    n = h.shape[1]
    num = np.zeros((feats.n_features, n))
    for i in range(n):
        d = np.zeros(n)
        d[i] = e
        num[:, i] = ((feats(h + d) - feats(h - d)) / (2 * e)).sum(axis=0)
    return num


@pytest.mark.parametrize("activation, mode, n_act", [
    ("tanh", "additive", 6 + 9), ("relu", "additive", 3), ("relu", "activation", 3),
    ("tanh", "activation", 6 + 9), ("sigmoid", "activation", 6 + 9)])
def test_feature_gradients_match_finite_differences(activation, mode, n_act):
    """a(z) and a'(z) per unit; a ReLU's a'(z) is a step (its gradient a Dirac mass the loss
    would need), left out; with the input inside a smooth activation also a'(z_k) h_i."""
    model = sk.SRNN.random(3, 2, noise=0.3, activation=activation, input_mode=mode, seed=0)
    rng = np.random.default_rng(0)
    feats = ScoreFeatures(model, np.zeros(3), np.eye(3), n_fourier=5, seed=1)
    h = rng.standard_normal((4, 3))
    np.testing.assert_allclose(feats.grad_sum(h), _summed_gradients(feats, h), rtol=1e-6,
                               atol=1e-8)
    assert feats(h).shape == (4, feats.n_features) == (4, 1 + 3 + n_act + 5)


@pytest.mark.parametrize("activation, mode", [
    ("tanh", "activation"), ("sigmoid", "additive"), ("relu", "activation"),
    ("identity", "additive")])
def test_score_and_trace_without_features_match_the_features(activation, mode):
    """The blocked, feature-free evaluation (products as one matrix product per block) equals
    phi(h) theta, and its trace (A J_s)_kk equals finite differences of phi(h) theta, over
    more states than one block and with leading dimensions."""
    model = sk.SRNN.random(4, 2, noise=0.3, activation=activation, input_mode=mode, seed=1)
    rng = np.random.default_rng(5)
    feats = ScoreFeatures(model, np.zeros(4), np.eye(4), n_fourier=3, seed=1)
    theta, A = rng.standard_normal((feats.n_features, 4)), rng.standard_normal((4, 4))
    h = rng.standard_normal((3, _score.ROWS + 7, 4))
    s, trace = feats.score_and_trace(h, theta, A)
    np.testing.assert_allclose(s, feats(h) @ theta, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(feats.score_trace(h, theta, A), trace)
    phi = feats(h[0])
    stats = ScoreStats.of(feats, h[0])                                # accumulated by blocks
    np.testing.assert_allclose(stats.gram, phi.T @ phi, rtol=1e-12)
    assert stats.count == h.shape[1]
    e, J = 1e-6, np.zeros((*h.shape, 4))
    for j in range(4):
        d = np.zeros(4)
        d[j] = e
        J[..., j] = (feats(h + d) @ theta - feats(h - d) @ theta) / (2 * e)  # ds_i / dh_j
    np.testing.assert_allclose(trace, np.einsum("kl,...lk->...k", A, J), rtol=1e-6,
                               atol=1e-6)


def test_linear_srnn_learned_score_is_the_sample_gaussian():
    """With the features 1 and h the score-matching solution is -S^{-1}(h - mean), S and mean
    the samples' own covariance (denominator N) and mean (to rounding: no shrinkage there)."""
    model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5,
                    activation="identity")
    rng = np.random.default_rng(1)
    runs = [rng.standard_normal((500, 2)) @ [[1.0, 0.3], [0.0, 0.7]] + [0.5, -1.0]
            for _ in range(4)]
    feats = ScoreFeatures(model, np.zeros(2), np.eye(2))
    learned = fit_score(feats, [ScoreStats.of(feats, r) for r in runs])
    h = np.concatenate(runs)
    S = np.cov(h.T, bias=True)
    x = rng.standard_normal((5, 2))
    np.testing.assert_allclose(learned(x), -(x - h.mean(0)) @ np.linalg.inv(S), rtol=1e-9)
    assert learned.diagnostics["n_features"] == 3


def test_learned_fdt_on_a_linear_srnn_matches_the_closed_form(ou):
    exact = R.linear_response(ou, dt=0.05, n_lags=40, method="analytic", discrete=True)
    rf = R.linear_response(ou, dt=0.05, n_lags=40, method="fdt", score="learned", n_chains=8,
                           n_steps=20_000, seed=0)
    assert rf.info["score"] == "learned"
    z = rf.z_scores(exact)
    assert np.abs(z).max() < 4, np.abs(z).max()
    # lag 0 of a linear readout is exact: the fit keeps Stein's identity for h
    assert rf.values[0, 0, 0] == pytest.approx(exact.values[0, 0, 0], abs=1e-9)


# ------------------------------------------------------- 1-D tanh SRNNs: grid as oracle
@pytest.mark.parametrize("sigma", [0.6, 0.8])
def test_learned_fdt_matches_the_grid_where_the_gaussian_score_fails(sigma):
    """1.6e6 samples: the quasi-Gaussian FDT is off by 10+ SE (lag 0 alone by ~80), the
    learned one is within 4 SE at every lag."""
    model = tanh_1d(sigma)
    exact = R.GridChain(model, dt=0.02).linear_response(101)
    kw = dict(dt=0.02, n_lags=101, method="fdt", n_chains=16, n_steps=100_000, seed=3)
    with pytest.warns(R.GaussianScoreWarning):
        gauss = R.linear_response(model, score="gaussian", **kw)
    learned = R.linear_response(model, **kw)                # "auto" is "learned" here
    assert learned.info["score"] == "learned"
    assert np.abs(gauss.z_scores(exact)).max() > 10
    assert np.abs(learned.z_scores(exact)).max() < 4, np.abs(learned.z_scores(exact)).max()
    fit = learned.info["score_fit"]
    assert fit["loss"] < fit["gaussian_loss"] and fit["n_samples"] == 16 * 100_001


def test_fdt_with_the_input_inside_the_activation_matches_the_grid():
    """The conjugate variable gains the divergence term and the O(dt) correction of the
    chain (the input moves the next state by an amount set by the previous one). The grid's
    exact conjugate variable reproduces the grid kernel to rounding; the learned score's FDT
    is within 4 SE of it with no allowance for a gap (before the correction the gap was
    9e-4 on this network, about 2 SE)."""
    model = tanh_1d(0.6, w=1.1, mode="activation")
    chain = R.GridChain(model, dt=0.02)
    exact = chain.linear_response(101)
    kw = dict(dt=0.02, n_lags=101, method="fdt", n_chains=16, n_steps=50_000, seed=4)
    g = chain._propagated_readouts(101)[..., 0]
    v = chain.conjugate_variable(chain.x[:, None])[:, 0]
    assert np.abs(g @ (chain.stationary * v) - exact.values[:, 0, 0]).max() < 1e-12
    for score in ("learned", chain.conjugate_variable):
        rf = R.linear_response(model, score=score, **kw)
        err = np.abs(rf.error_to(exact))
        assert np.all(err < 4 * rf.stderr), (score, (err / rf.stderr).max())


@pytest.mark.parametrize("w, sigma, dt", [(1.47, 1.03, 0.02), (1.1, 0.6, 0.05),
                                          (2.0, 0.8, 0.01)])
def test_first_order_correction_removes_the_time_step_bias(w, sigma, dt):
    """With the grid's own score (and its derivative), the corrected conjugate variable of
    conjugate_values gives the chain's lag-0 response to O(dt^2), evaluated on the grid (no
    sampling): the continuous-time form is off by O(dt) (1e-3..1e-2 of the kernel), the
    corrected one at least 30 times less."""
    model = sk.SRNN(W=[[w]], C=[[0.62]], sigma=sigma, gamma=1.5, b=[0.26], readout=np.tanh,
                    input_mode="activation")
    chain = R.GridChain(model, dt=dt)
    exact = chain.linear_response(1).values[0, 0, 0]
    x = chain.x[:, None]
    s = chain.score(x)
    trace = w * sigma ** 2 * np.gradient(s[:, 0], chain.spacing)[:, None]
    r0 = {}
    for name, kw in (("continuous", {}), ("corrected", dict(dt=dt, score_trace=trace))):
        v = _fdt.conjugate_values(model, x, s, **kw)[:, 0]
        r0[name] = abs(float(chain.stationary @ (v * chain.f[:, 0])) - exact)
    assert r0["continuous"] > 1e-3 * abs(exact)
    assert r0["corrected"] < r0["continuous"] / 30, r0


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_corrected_conjugate_variable_matches_finite_differences(activation):
    """n = 3, a full leak and a 3x2 noise: conjugate_values(dt=...) with the learned-score
    trace equals a plain finite-difference evaluation of -div(Gbar_a) - Gbar_a.s with
    Gbar_a = G_a + dt (J_{G_a}(Sigma s - F) + 1/2 tr(Sigma Hess G_a)), s any feature score."""
    rng = np.random.default_rng(3)
    model = sk.SRNN(W=rng.normal(0, 0.6, (3, 3)), C=rng.normal(0, 1, (3, 2)),
                    sigma=rng.normal(0, 0.5, (3, 2)), gamma=[[1.2, 0.3, 0], [-0.2, 0.9, 0.1],
                                                             [0, 0.4, 1.5]],
                    b=rng.normal(0, 0.3, 3), activation=activation, input_mode="activation")
    feats = ScoreFeatures(model, np.zeros(3), np.eye(3), n_fourier=4, seed=2)
    theta = rng.normal(0, 0.5, (feats.n_features, 3))
    S, W, dt = model.diffusion, model.W, 0.05
    act = ACTIVATIONS[activation]

    def G(h):                                                        # (..., n, m)
        return act.derivative(h @ W.T + model.b)[..., :, None] * model.C

    def partial(fn, h, i, e=1e-4):
        d = np.zeros(3)
        d[i] = e
        return (fn(h + d) - fn(h - d)) / (2 * e)

    def Gbar(h):
        s = feats(h) @ theta
        J = np.stack([partial(G, h, i) for i in range(3)], axis=-1)  # (..., n, m, l)
        out = G(h) + dt * np.einsum("...kal,...l->...ka", J, s @ S - model.drift(h))
        for i in range(3):
            for j in range(3):
                hij = partial(lambda x, j=j: partial(G, x, j, 1e-3), h, i, 1e-3)
                out = out + 0.5 * dt * S[i, j] * hij
        return out

    h = rng.normal(0, 0.7, (5, 3))
    s = feats(h) @ theta
    div = sum(partial(Gbar, h, k, 1e-4)[..., k, :] for k in range(3))
    ref = -div - np.einsum("...ka,...k->...a", Gbar(h), s)
    got = _fdt.conjugate_values(model, h, s, dt=dt,
                                score_trace=feats.score_trace(h, theta, W @ S))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_gaussian_score_in_the_activation_mode_is_the_divergence_form():
    """score='gaussian' with the input inside the activation: v = -div G - G.s with the run's
    Gaussian score; it runs, warns, and is biased like the additive one."""
    model = tanh_1d(0.6, w=1.1, mode="activation")
    with pytest.warns(R.GaussianScoreWarning):
        rf = R.linear_response(model, dt=0.02, n_lags=5, method="fdt", score="gaussian",
                               n_chains=4, n_steps=5000, seed=0)
    assert rf.info["score"] == "gaussian" and np.all(np.isfinite(rf.values))


# --------------------------------------------------------------- options and plumbing
def test_no_warning_for_linear_networks_or_learned_scores(ou, tanh1d):
    with warnings.catch_warnings():
        warnings.simplefilter("error", R.GaussianScoreWarning)
        R.linear_response(ou, dt=0.05, n_lags=3, method="fdt", score="gaussian", n_chains=2,
                          n_steps=300, seed=0)
        R.linear_response(tanh1d, dt=0.05, n_lags=3, method="fdt", n_chains=2, n_steps=300,
                          seed=0, burn_in=100)


def test_learned_fdt_is_reproducible_whatever_the_threads_or_storage(tanh2d, monkeypatch):
    kw = dict(dt=0.05, n_lags=6, method="fdt", score="learned", n_chains=6, n_steps=1500,
              seed=9, burn_in=100)
    a = R.linear_response(tanh2d, **kw)
    b = R.linear_response(tanh2d, n_jobs=2, **kw)
    monkeypatch.setattr(_fdt, "_KEEP_FLOATS", 0)          # simulate the runs twice instead
    c = R.linear_response(tanh2d, **kw)
    for other in (b, c):
        np.testing.assert_array_equal(a.values, other.values)
        np.testing.assert_array_equal(a.stderr, other.stderr)
    assert set(a.info["score_fit"]) == {"lambda", "n_features", "n_samples", "loss",
                                        "gaussian_loss"}


def test_bad_score_names_the_argument(tanh1d):
    with pytest.raises(ValueError, match="score"):
        R.linear_response(tanh1d, dt=0.05, n_lags=3, method="fdt", score="kde")
    with pytest.raises(ValueError, match="score='learned'"):
        R.linear_response(tanh1d, dt=0.05, n_lags=3, method="fdt", score="exact")


# ----------------------------------------------------------------------------- slow
@pytest.mark.slow
def test_learned_fdt_standard_error_is_calibrated():
    """Over 20 seeds the spread of the estimates is the reported standard error (ratio within
    [0.7, 1.4]: the 20-sample spread itself is uncertain by ~16 %), at short and long lags:
    the fit's influence is in the standard error (without it: ratio ~0.2 at lag 0)."""
    model = tanh_1d(0.6, w=1.0)
    kw = dict(dt=0.02, n_lags=61, method="fdt", n_chains=16, n_steps=20_000)
    runs = [R.linear_response(model, seed=100 + s, **kw) for s in range(20)]
    vals = np.array([r.values[:, 0, 0] for r in runs])
    se = np.sqrt((np.array([r.stderr[:, 0, 0] for r in runs]) ** 2).mean(axis=0))
    ratio = vals.std(axis=0, ddof=1) / se
    assert np.all((ratio[[0, 10, 30, 60]] > 0.7) & (ratio[[0, 10, 30, 60]] < 1.4)), ratio


@pytest.mark.slow
def test_learned_fdt_agrees_with_perturbation_on_an_8_unit_network():
    """docs/theory.md §12 acceptance: median |z| against CRN perturbation <= 1 (the
    quasi-Gaussian score has its largest |z| above 10 here)."""
    model = sk.SRNN.random(8, 2, spectral_radius=0.8, input_scale=0.5, noise=0.3, seed=0)
    kw = dict(dt=0.02, n_lags=60)
    ref = R.linear_response(model, method="perturbation", n_paths=4000, seed=1, **kw)
    est = R.linear_response(model, method="fdt", n_chains=16, n_steps=100_000, seed=2, **kw)
    z = (est.values - ref.values) / np.hypot(est.stderr, ref.stderr)
    assert np.median(np.abs(z)) <= 1.0, np.median(np.abs(z))
    assert np.abs(z).max() < 4.5


def test_products_make_lag_0_exact_with_the_input_inside_the_activation():
    """Found by fuzzing: a 3-unit tanh network with a strongly driven unit. The exact lag-0
    value is Q E[diag a'(z)] C (40000 independent stationary states, standard error from
    them). Without the products a'(z_k) h_i the learned-score FDT was 7-11 SE off on four
    seeds (pooled over six: 4 % of the value); with them (unshrunk, so Stein's identity holds
    for them) 0.4-1.9."""
    import srnnkit.response._score as score_module

    rng = np.random.default_rng(3)
    W, C = rng.normal(size=(3, 3)) * 0.6, rng.normal(size=(3, 2))
    b, Q = rng.normal(size=3) * 0.3, rng.normal(size=(2, 3))
    model = sk.SRNN(W=W, C=C, sigma=0.5, gamma=1.5, b=b, input_mode="activation", readout=Q)
    H = sk.simulate(model, None, n_steps=1, dt=0.05, n_paths=40000, seed=1,
                    save="states").states[:, -1]
    v = np.einsum("pi,si,ia->spa", Q, 1 - np.tanh(H @ W.T + b) ** 2, C)
    exact, exact_se = v.mean(0), v.std(0) / np.sqrt(len(v))
    rf = R.linear_response(model, dt=0.05, n_lags=2, method="fdt", seed=0)
    assert rf.info["score_fit"]["n_features"] == 1 + 3 * 3 + 3 * 3       # 1, h, a, a', products
    assert score_module.PRODUCT_MAX_UNITS >= 3
    z = (rf.values[0] - exact) / np.hypot(rf.stderr[0], exact_se)
    assert np.abs(z).max() < 4, z


def test_a_nonlinear_readout_keeps_lag_0_exact():
    """Found by fuzzing: an 8-unit tanh network (input in the drift, noise amplitudes 0.1 to
    0.8) read out by f = tanh. The exact lag-0 value of the chain is E[diag f'(h)] C (40000
    independent stationary states, standard error from them). Without the readout's outputs
    among the score's features the learned-score FDT was 2.5 % of the lag-0 peak off (largest
    |z| 12-27 on seeds 0-3); with them (unshrunk, so Stein's identity holds for them) 0.4-0.6 %
    and 1.0-2.1."""
    rng = np.random.default_rng(1)
    n = 8
    model = sk.SRNN(W=rng.normal(0, 1.5, (n, n)) / np.sqrt(n), C=rng.normal(size=(n, 1)),
                    sigma=np.diag(np.geomspace(0.1, 0.8, n)), gamma=1.0,
                    b=rng.normal(0, 0.3, n), readout=np.tanh)
    H = sk.simulate(model, None, n_steps=1, dt=0.05, n_paths=40000, seed=1,
                    save="states").states[:, -1]
    v = (1 - np.tanh(H) ** 2)[:, :, None] * model.C[None]                 # (S, p = n, m)
    exact, exact_se = v.mean(0), v.std(0) / np.sqrt(len(v))
    rf = R.linear_response(model, dt=0.05, n_lags=2, method="fdt", n_chains=8,
                           n_steps=20_000, seed=0)
    z = (rf.values[0] - exact) / np.hypot(rf.stderr[0], exact_se)
    assert np.abs(z).max() < 4, np.abs(z).max()
    assert rf.info["score_fit"]["n_features"] == 1 + 3 * n + n       # 1, h, a, a', f(h)


@pytest.mark.parametrize("readout", ["quadratic", "callable"])
@pytest.mark.parametrize("mode", ["additive", "activation"])
def test_readout_features_and_their_gradients(readout, mode):
    """The readout's outputs are the last features of a nonlinear network with a nonlinear
    readout (none for a linear readout or a linear network); their summed gradients and the
    score's trace match finite differences (exact Jacobian for a Quadratic readout)."""
    rng = np.random.default_rng(2)
    M = rng.standard_normal((3, 3))
    ro = sk.readouts.Quadratic(M) if readout == "quadratic" else (lambda h: np.sin(h[..., :2]))
    model = sk.SRNN(W=rng.normal(size=(3, 3)), C=rng.normal(size=(3, 1)), sigma=0.4,
                    input_mode=mode, readout=ro)
    feats = ScoreFeatures(model, np.zeros(3), np.eye(3))
    p = model.n_outputs
    assert feats.readout and feats.n_features == feats.k_readout + p
    h = rng.standard_normal((5, 3))
    np.testing.assert_allclose(feats(h)[:, feats.k_readout:], model.output(h))
    np.testing.assert_allclose(feats.grad_sum(h), _summed_gradients(feats, h), rtol=1e-6,
                               atol=1e-7)
    e = 1e-6
    theta, A = rng.standard_normal((feats.n_features, 3)), rng.standard_normal((3, 3))
    s, trace = feats.score_and_trace(h, theta, A)
    np.testing.assert_allclose(s, feats(h) @ theta, atol=1e-12)
    jac = np.stack([(feats(h + e * np.eye(3)[k]) - feats(h - e * np.eye(3)[k])) @ theta
                    / (2 * e) for k in range(3)], axis=-1)                   # ds_l / dh_k
    np.testing.assert_allclose(trace, np.einsum("kl,tlk->tk", A, jac), rtol=1e-5, atol=1e-6)
    for other in (sk.SRNN(W=model.W, C=model.C, sigma=0.4, readout=[[1.0, 0.0, 2.0]]),
                  sk.SRNN(W=0.1 * model.W, C=model.C, sigma=0.4, activation="identity",
                          readout=ro)):
        assert not ScoreFeatures(other, np.zeros(3), np.eye(3)).readout


def test_a_unit_with_little_noise_keeps_the_fit_accurate():
    """Found by fuzzing: unit 0 gets noise 1e-4 (unit 1: 0.5), so a'(z_0) is a constant to
    1e-9 and the products a'(z_0) h_i equal h_i on the samples. The standardised Gram's
    condition number was 5e17-7e18, ``inv`` returned rounding noise with no error, and the
    lag-0 value of the readout h_0, exact by Stein's identity, was 0.72, 1.32 and 1.47 on
    seeds 0-2 (6-10 standard errors off 1). With the collinear directions dropped it is 1 to
    rounding, and the lags agree with perturbation."""
    model = sk.SRNN(W=0.5 * np.eye(2), C=[[1.0], [1.0]], sigma=[[1e-4, 0.0], [0.0, 0.5]])
    ref = R.linear_response(model, dt=0.05, n_lags=10, method="perturbation", n_paths=2000,
                            seed=1)
    rf = R.linear_response(model, dt=0.05, n_lags=10, method="fdt", n_chains=8,
                           n_steps=20_000, seed=0)
    assert rf.values[0, 0, 0] == pytest.approx(1.0, abs=1e-6)
    z = (rf.values - ref.values)[:, 0, 0] / np.hypot(rf.stderr, ref.stderr)[:, 0, 0]
    assert np.abs(z[1:]).max() < 4, z


def test_the_gram_inverse_drops_collinear_directions_only_when_needed():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4))
    G = X.T @ X / 50
    np.testing.assert_array_equal(_score._inverse(G), np.linalg.inv(G))    # accurate: inv
    X = np.column_stack([X, X[:, 0] + 1e-10 * rng.standard_normal(50)])   # collinear
    G = X.T @ X / 50
    inv = _score._inverse(G)
    assert np.abs(inv).max() < 1e3                          # not 1/1e-20 rounding noise
    np.testing.assert_allclose(G @ inv @ G, G, atol=1e-8)   # a pseudo-inverse


def test_a_network_too_large_for_the_products_is_warned_about():
    import warnings

    for n, warned in ((16, False), (17, True)):
        model = sk.SRNN.random(n, 1, noise=0.5, input_mode="activation", seed=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            R.linear_response(model, dt=0.05, n_lags=2, method="fdt", n_chains=2,
                              n_steps=2000, seed=0)
        got = [w for w in caught if issubclass(w.category, R.LearnedScoreWarning)]
        assert bool(got) == warned and (not got or "products" in str(got[0].message))


@pytest.mark.parametrize("score", ["learned", "gaussian"])
def test_a_degenerate_stationary_law_is_refused(score):
    """Found by fuzzing: a unit with no noise and no coupling stays at 0, the stationary
    law has no density, and the learned score gave kernels of 1e122 with no warning (the
    Gaussian score already refused); both now say why."""
    m = sk.SRNN(W=np.zeros((2, 2)), C=[[0.0], [1.0]], sigma=[[1.0, 0.0], [0.0, 0.0]],
                gamma=1.0)
    with pytest.raises(ValueError, match="singular"):
        sk.response.linear_response(m, dt=0.05, n_lags=5, method="fdt", score=score,
                                    n_chains=4, n_steps=2000, seed=0)


# ------------------------------------------ the time step's correction of the chain's score
def _chain_w3(dt):
    """A 1-D tanh SRNN with the input added to the drift whose Euler-Maruyama chain's score
    differs from the continuous one visibly at dt = 0.1 (found by fuzzing)."""
    return sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=1.5, gamma=2.0, b=[1.0], readout=np.tanh)


def test_additive_score_features_hold_the_chain_score_at_a_large_step():
    """Sampling-free: the score-matching fit under the grid's stationary law of the EM chain
    (dt = 0.1), plugged into the FDT and evaluated by quadrature on the grid. Without the
    products a'(z) h the features miss the chain's O(dt) correction of the score (FDT 4.1e-3
    of the peak off the exact kernel); with them 2.8e-4."""
    model, dt, n_lags = _chain_w3(0.1), 0.1, 10
    chain = R.GridChain(model, dt=dt)
    x, p = chain.x[:, None], chain.stationary
    feats = ScoreFeatures(model, np.zeros(1), np.eye(1))
    assert feats.products
    phi = feats(x)
    grad = np.stack([feats.grad_sum(x[i:i + 1])[:, 0] for i in range(len(p))])   # (G, K)
    theta = -np.linalg.lstsq((phi * p[:, None]).T @ phi, p @ grad, rcond=1e-13)[0]
    v = -(phi @ theta) * model.C[0, 0]
    f = chain.f[:, 0] - chain.mean_output[0]
    fdt = []
    for _ in range(n_lags):
        fdt.append(f @ (p * v))
        f = chain.K @ f
    exact = chain.linear_response(n_lags).values[:, 0, 0]
    assert np.abs(np.array(fdt) - exact).max() < 1e-3 * np.abs(exact).max()


def test_learned_fdt_has_no_time_step_bias_with_the_input_in_the_drift():
    """64 runs of 50000 steps at dt = 0.1 (SE 0.12 % of the peak): without the products the
    estimate was 0.44 % of the peak off the grid at lag 0 (z = 5.6, this seed); with them
    largest |z| 1.9."""
    model = _chain_w3(0.1)
    exact = R.GridChain(model, dt=0.1).linear_response(10)
    rf = R.linear_response(model, dt=0.1, n_lags=10, method="fdt", n_chains=64,
                           n_steps=50_000, seed=0)
    assert rf.stderr.max() < 1.5e-3 * np.abs(exact.values).max()
    assert np.abs(rf.z_scores(exact)).max() < 4
