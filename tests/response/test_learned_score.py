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
from srnnkit.response import _fdt
from srnnkit.response._score import ScoreFeatures, ScoreStats, fit_score

R = sk.response


def tanh_1d(sigma, w=2.0, mode="additive"):
    """The 1-D tanh SRNNs of docs/theory.md §12: gamma=1.5, c=0.7, f=tanh."""
    return sk.SRNN(W=[[w]], C=[[0.7]], sigma=sigma, gamma=1.5, b=[0.2], readout=np.tanh,
                   input_mode=mode)


# ------------------------------------------------------------------------------ the fit
def test_feature_gradients_match_finite_differences():
    model = sk.SRNN.random(3, 2, noise=0.3, seed=0)
    rng = np.random.default_rng(0)
    feats = ScoreFeatures(model, np.zeros(3), np.eye(3), n_fourier=5, seed=1)
    h = rng.standard_normal((4, 3))
    e = 1e-6
    num = np.zeros((feats.n_features, 3))
    for i in range(3):
        d = np.zeros(3)
        d[i] = e
        num[:, i] = ((feats(h + d) - feats(h - d)) / (2 * e)).sum(axis=0)
    np.testing.assert_allclose(feats.grad_sum(h), num, rtol=1e-6, atol=1e-8)
    assert feats(h).shape == (4, feats.n_features) == (4, 1 + 3 + 6 + 5)


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
    """The conjugate variable gains the divergence term -a''(wh+b) w c. Against the grid:
    within 4 SE plus the O(dt) gap between the FDT and the EM chain's kernel for a
    state-dependent input direction (9e-4 at dt = 0.02 for this network, computed on the
    grid itself)."""
    model = tanh_1d(0.6, w=1.1, mode="activation")
    chain = R.GridChain(model, dt=0.02)
    exact = chain.linear_response(101)
    kw = dict(dt=0.02, n_lags=101, method="fdt", n_chains=16, n_steps=50_000, seed=4)
    # the gap itself: the FDT correlation with the exact grid score, evaluated on the grid
    g = chain._propagated_readouts(101)[..., 0]
    v = chain.conjugate_variable(chain.x[:, None])[:, 0]
    gap = np.abs(g @ (chain.stationary * v) - exact.values[:, 0, 0]).max()
    assert 1e-4 < gap < 1.5e-3
    for score in ("learned", chain.conjugate_variable):
        rf = R.linear_response(model, score=score, **kw)
        err = np.abs(rf.error_to(exact))
        assert np.all(err < 4 * rf.stderr + gap), (score, (err / rf.stderr).max())


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
