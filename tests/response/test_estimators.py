"""Monte Carlo estimators against closed forms and the grid oracle (docs/theory.md §9.3, 9.4).

Statistical checks use fixed seeds and a tolerance of 4 standard errors (plus rounding);
the standard error is the estimator's own (across paths, or across independent stationary
runs used as batch means).
"""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response


def within(est, ref, n_se=4.0, floor=1e-9):
    err = np.abs(est.error_to(ref))
    return np.all(err <= n_se * est.stderr + floor), float(np.max(err / (est.stderr + 1e-300)))


def test_perturbation_linear_is_exact(ou):
    ex = R.linear_response(ou, dt=0.01, n_lags=301, discrete=True)
    rf = R.linear_response(ou, dt=0.01, n_lags=301, method="perturbation", n_paths=500, seed=0)
    assert rf.discrete and rf.stderr.shape == rf.values.shape
    assert np.abs(rf.error_to(ex)).max() <= 1e-10


@pytest.mark.parametrize("method", ["girsanov", "fdt"])
def test_linear_estimators_within_4se(ou, method):
    # 16 runs x 12500 steps = 2e5 samples (T_obs = 2000); SE about 0.02-0.03 per lag, itself
    # estimated from the 16 independent runs (batch means)
    ex = R.linear_response(ou, dt=0.01, n_lags=301, discrete=True)
    rf = R.linear_response(ou, dt=0.01, n_lags=301, method=method, n_chains=16,
                           n_steps=12_500, seed=1)
    ok, worst = within(rf, ex)
    assert ok, f"{method}: worst error {worst:.2f} SE"
    assert rf.info["t_obs"] == pytest.approx(2000.0)
    assert np.abs(rf.error_to(ex)).max() < 0.12


@pytest.mark.parametrize("method,tol", [("girsanov", 0.04), ("fdt", 0.05)])
def test_linear_estimators_full_size(ou, method, tol):
    # docs/theory.md §9.3: 2e6 samples at dt = 0.01 (T_obs = 2e4)
    ex = R.linear_response(ou, dt=0.01, n_lags=301, discrete=True)
    rf = R.linear_response(ou, dt=0.01, n_lags=301, method=method, n_chains=32,
                           n_steps=62_500, seed=11)
    assert np.abs(rf.error_to(ex)).max() <= tol
    assert within(rf, ex)[0]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["girsanov", "fdt-grid-score", "perturbation"])
def test_tanh_full_size_within_4se(tanh1d, grid_kernels, method):
    # 2e6 samples (64 runs x 31250 steps, T_obs = 4e4) or 20000 kicked paths
    chain, r1, _ = grid_kernels
    kw = dict(n_chains=64, n_steps=31_250, seed=12)
    if method == "perturbation":
        kw = dict(n_paths=20_000, seed=12)
    if method == "fdt-grid-score":
        method, kw["score"] = "fdt", chain.conjugate_variable
    rf = R.linear_response(tanh1d, dt=0.02, n_lags=60, method=method, **kw)
    ok, worst = within(rf, r1)
    assert ok, f"{method}: worst {worst:.2f} SE"
    assert np.abs(rf.error_to(r1)).max() < 0.03


def test_fdt_exact_score_lag0_identity(ou):
    # with the exact EM score, lag 0 is E[(f - <f>) v] = Q Sigma_dt Sigma_dt^{-1} C = 1.25
    rf = R.linear_response(ou, dt=0.01, n_lags=2, method="fdt", n_chains=4, n_steps=20_000,
                           seed=2)
    assert abs(rf.values[0, 0, 0] - 1.25) < 4 * rf.stderr[0, 0, 0]


def test_second_order_girsanov_within_4se(ou_quad):
    ex = R.second_order_response(ou_quad, dt=0.05, n_lags=12, discrete=True)
    g = R.second_order_response(ou_quad, dt=0.05, n_lags=12, method="girsanov", n_chains=16,
                                n_steps=20_000, seed=3)
    ok, worst = within(g, ex)
    assert ok, f"worst error {worst:.2f} SE"
    for a, b in [(0, 0), (2, 1), (5, 3), (10, 0), (4, 10)]:
        assert abs(g.r2(a, b) - ex.r2(a, b)).max() <= 4 * g.stderr[a, b + 1].max()


def test_second_order_perturbation_linear_exact(ou_quad):
    ex = R.second_order_response(ou_quad, dt=0.05, n_lags=8, discrete=True)
    p = R.second_order_response(ou_quad, dt=0.05, n_lags=8, method="perturbation", n_paths=50,
                                seed=4)
    # a quadratic readout of a linear SRNN is exactly quadratic in the kicks
    assert np.abs(p.error_to(ex)).max() < 1e-9


def test_first_order_of_quadratic_readout_is_zero_by_girsanov(ou_quad):
    g = R.linear_response(ou_quad, dt=0.05, n_lags=20, method="girsanov", n_chains=16,
                          n_steps=10_000, seed=5)
    assert within(g, np.zeros_like(g.values))[0]


# ----------------------------------------------------------- nonlinear: all methods agree
@pytest.fixture(scope="module")
def grid_kernels():
    model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    chain = R.GridChain(model, dt=0.02)
    return chain, chain.linear_response(60), chain.second_order_response(8)


@pytest.mark.parametrize("method", ["perturbation", "girsanov", "fdt-grid-score"])
def test_tanh_first_order_methods_agree_with_grid(tanh1d, grid_kernels, method):
    chain, r1, _ = grid_kernels
    kw = dict(n_chains=16, n_steps=20_000, seed=6)
    if method == "perturbation":
        kw = dict(n_paths=6000, seed=6)
    if method == "fdt-grid-score":
        method, kw["score"] = "fdt", chain.conjugate_variable
    rf = R.linear_response(tanh1d, dt=0.02, n_lags=60, method=method, **kw)
    ok, worst = within(rf, r1)
    assert ok, f"{method}: worst {worst:.2f} SE"


def test_tanh_quasi_gaussian_fdt_bias_is_small_but_documented(tanh1d, grid_kernels):
    _, r1, _ = grid_kernels
    with pytest.warns(R.GaussianScoreWarning):
        rf = R.linear_response(tanh1d, dt=0.02, n_lags=60, method="fdt", score="gaussian",
                               n_chains=8, n_steps=40_000, seed=7)
    assert rf.info["score"] == "gaussian"
    assert rf.values[0, 0, 0] == pytest.approx(1.0, abs=1e-10)   # exact at lag 0, linear f
    assert np.abs(rf.error_to(r1)).max() < 0.05                  # docs/theory.md V2C: ~1.7e-2


@pytest.mark.parametrize("method", ["perturbation", "girsanov"])
def test_tanh_second_order_methods_agree_with_grid(tanh1d, grid_kernels, method):
    _, _, r2 = grid_kernels
    kw = (dict(n_paths=6000, seed=8) if method == "perturbation"
          else dict(n_chains=16, n_steps=20_000, seed=8))
    est = R.second_order_response(tanh1d, dt=0.02, n_lags=8, method=method, **kw)
    ok, worst = within(est, r2)
    assert ok, f"{method}: worst {worst:.2f} SE"


def test_selection_rule_linear_readout(tanh1d, grid_kernels):
    # R2(0, .) = 0 for f = Q h + q: exactly on the grid and in every estimator
    _, _, r2 = grid_kernels
    assert np.abs(r2.values[0]).max() < 1e-12
    assert np.abs(r2.values[1]).max() > 1e-3
    g = R.second_order_response(tanh1d, dt=0.02, n_lags=4, method="girsanov", n_chains=4,
                                n_steps=20_000, seed=9)
    assert np.all(np.abs(g.values[0]) <= 4 * g.stderr[0])


def test_tanh2d_perturbation_and_girsanov_agree(tanh2d):
    kw = dict(dt=0.05, n_lags=30)
    p = R.linear_response(tanh2d, method="perturbation", n_paths=4000, seed=10, **kw)
    g = R.linear_response(tanh2d, method="girsanov", n_chains=16, n_steps=10_000, seed=10, **kw)
    assert p.values.shape == (30, 2, 2)
    se = np.sqrt(p.stderr ** 2 + g.stderr ** 2)
    assert np.all(np.abs(p.values - g.values) <= 4 * se)
    assert np.abs(p.values[0] - np.array([[1.0, 0.0], [0.5 - 0.3, 0.0 - 0.7]])).max() < 1e-6


def test_estimates_reproducible_from_seed(tanh1d):
    kw = dict(dt=0.02, n_lags=10, method="girsanov", n_chains=3, n_steps=2000)
    a = R.linear_response(tanh1d, seed=123, **kw)
    b = R.linear_response(tanh1d, seed=123, **kw)
    c = R.linear_response(tanh1d, seed=124, **kw)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    p1 = R.linear_response(tanh1d, dt=0.02, n_lags=5, method="perturbation", n_paths=50,
                           seed=np.random.SeedSequence(5))
    p2 = R.linear_response(tanh1d, dt=0.02, n_lags=5, method="perturbation", n_paths=50,
                           seed=np.random.SeedSequence(5))
    np.testing.assert_array_equal(p1.values, p2.values)


def test_two_channel_second_order_ordering():
    # linear SRNN, two inputs, quadratic readout: R2_{ab} is not symmetric in (a, b), so this
    # pins the channel order (a = most recent input) of every estimator against (3.1)
    model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0, 0.2], [0.5, -1.0]],
                    sigma=[[0.6, 0.0], [0.2, 0.5]], gamma=[1.0, 0.8], activation="identity",
                    readout=sk.readouts.Quadratic([[1.0, 0.3], [0.3, 0.5]]))
    ex = R.second_order_response(model, dt=0.05, n_lags=6, discrete=True)
    assert np.abs(ex.values[2, 3, 0, 0, 1] - ex.values[2, 3, 0, 1, 0]) > 1e-2
    p = R.second_order_response(model, dt=0.05, n_lags=6, method="perturbation", n_paths=20,
                                seed=0)
    assert np.abs(p.error_to(ex)).max() < 1e-9
    g = R.second_order_response(model, dt=0.05, n_lags=6, method="girsanov", n_chains=16,
                                n_steps=20_000, seed=1)
    assert within(g, ex)[0]
    # and the series built from them reproduces the exact EM mean for a 2-channel input
    u = np.stack([np.sin(np.arange(6) / 2.0), np.cos(np.arange(6) / 3.0)], axis=1)
    vs = R.VolterraSeries(R.linear_response(model, dt=0.05, n_lags=6, discrete=True), p,
                          mean=R.VolterraSeries.from_model(model, 1, dt=0.05, n_lags=6,
                                                           discrete=True).mean)
    A = np.array([[1.0, -0.5], [0.3, 0.8]])
    mu = np.zeros(2)
    S = R.stationary_covariance(model, 0.05)
    M = np.array([[1.0, 0.3], [0.3, 0.5]])
    for j in range(6):
        mu = mu + 0.05 * (-A @ mu + model.C @ u[j])
    assert vs.predict(u)[-1, 0] == pytest.approx(0.5 * np.trace(M @ S) + 0.5 * mu @ M @ mu,
                                                 abs=1e-9)


def test_a_double_well_tail_needs_a_larger_kick():
    """docs/response.md, "Stable states that the noise rarely switches between": on the 1-D
    network w = 3, b = 0, sigma = 0.8, common random numbers with the default kick merge the
    kicked copies, and the kernel's slow tail comes out too small by many SE; eps = 0.1
    samples the barrier crossings (4000 starts, 400 lags, seed 0, against the grid kernel;
    lag 0, whose SE is rounding, left out)."""
    import warnings

    model = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.8, b=[0.0])
    exact = sk.response.linear_response(model, dt=0.05, n_lags=400, method="grid").values
    z = {}
    for eps in (1e-3, 1e-1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = sk.response.linear_response(model, dt=0.05, n_lags=400, method="perturbation",
                                            n_paths=4000, seed=0, eps=eps)
        z[eps] = np.abs((r.values - exact) / r.stderr)[1:]
    assert np.mean(z[1e-3] > 4) > 0.1           # measured 0.34: the limitation the docs state
    assert np.max(z[1e-1]) < 4                  # measured 1.2
