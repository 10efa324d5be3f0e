"""Kernels with the input inside the activation (docs/theory.md section 11).

Perturbation: the kick is one Euler-Maruyama step with u = ±eps e_a. Girsanov: the
state-dependent weight (sigma^+ G(h_j))^T xi_j / sqrt(dt), G(h) = diag(a'(Wh+b)) C, and the
same-step second-order term with its H part. Grid: the transition kernel's mean
x + dt F(x, u). References: the V5 values of the theory page (grid transfer operator) and
the grid itself; Monte Carlo estimates within 4 standard errors (plus the O(eps^2) bias of
the kicks).
"""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response

# V5: gamma=1.3, w=1.1, c=0.9, b=-0.1, sigma=0.6, f(h)=h, dt=0.02 (docs/theory.md section 11)
V5_R1 = {0: 0.6319285, 10: 0.5790497, 25: 0.5062047, 50: 0.4024356}
V5_R2 = {(5, 2): 0.0976794, (10, 5): 0.0943269, (20, 0): 0.0991790}   # r2(m1, m2)


@pytest.fixture
def v5():
    return sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1],
                   input_mode="activation")


def test_first_order_matches_v5(v5):
    eps = 1e-3
    rf = R.linear_response(v5, dt=0.02, n_lags=51, method="perturbation", n_paths=10_000,
                           eps=eps, seed=0)
    # the central difference is odd in eps: its bias is O(eps^2), here below 1e-5 (a''' of
    # tanh is bounded by 2, |C|^3 < 1, times dt and the lag's propagation, divided by 6)
    bias = eps**2
    for k, ref in V5_R1.items():
        err = abs(rf.values[k, 0, 0] - ref)
        assert err < 4 * rf.stderr[k, 0, 0] + bias, (k, err, rf.stderr[k, 0, 0])
    assert rf.stderr[:, 0, 0].max() < 5e-3


def test_second_order_matches_v5(v5):
    r2 = R.second_order_response(v5, dt=0.02, n_lags=21, method="perturbation", n_paths=4000,
                                 eps=1e-2, seed=1)
    for (m1, m2), ref in V5_R2.items():
        err = abs(r2.r2(m1, m2)[0, 0, 0] - ref)
        se = r2.stderr[m1, m2 + 1, 0, 0, 0]
        assert err < 4 * se + 1e-4, (m1, m2, err, se)          # bias O(eps^2) = 1e-4


def test_additive_kick_and_drift_kick_agree_for_a_linear_network():
    """With the identity activation both input modes are one model: the kernels agree."""
    kw = dict(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=[[0.6, 0.0], [0.2, 0.5]],
              gamma=[1.0, 0.8], activation="identity", readout=[[1.0, 0.5]])
    a = R.linear_response(sk.SRNN(**kw), dt=0.05, n_lags=5, method="perturbation",
                          n_paths=50, seed=2)
    b = R.linear_response(sk.SRNN(**kw, input_mode="activation"), dt=0.05, n_lags=5,
                          method="perturbation", n_paths=50, seed=2)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12)


def test_drift_kick_on_a_two_input_network_matches_finite_differences_of_simulate():
    """r1(k)·dt·eps is the change of E f(h_{k+1}) when u_0 = eps e_a: compare the CRN kernel
    with a common-noise difference of two driven ensembles (independent code path: simulate)."""
    model = sk.SRNN(W=[[0.3, -0.5], [0.4, 0.2]], C=[[1.0, 0.2], [-0.3, 0.8]], sigma=0.4,
                    gamma=1.0, b=[0.1, -0.2], readout=[[1.0, -0.5]], input_mode="activation")
    dt, eps, n_lags = 0.05, 0.05, 6
    rf = R.linear_response(model, dt=dt, n_lags=n_lags, method="perturbation", n_paths=4000,
                           eps=1e-3, seed=3)
    for a in range(2):
        u = np.zeros((n_lags, 2))
        up, um = u.copy(), u.copy()
        up[0, a], um[0, a] = eps, -eps
        kw = dict(dt=dt, n_paths=20_000, seed=4, burn_in=400)
        yp = sk.simulate(model, up, **kw, save="paths").outputs[:, 1:, 0]
        ym = sk.simulate(model, um, **kw, save="paths").outputs[:, 1:, 0]   # same noise
        d = (yp - ym) / (2 * eps * dt)
        se = d.std(axis=0) / np.sqrt(d.shape[0])
        err = np.abs(d.mean(axis=0) - rf.values[:, 0, a])
        assert np.all(err < 4 * np.hypot(se, rf.stderr[:, 0, a]) + 5e-3), (a, err, se)


# ----------------------------------------------------------------------------- grid (V5)
@pytest.fixture(scope="module")
def v5_chain():
    v5 = sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1], input_mode="activation")
    return R.GridChain(v5, dt=0.02), v5


def test_grid_reproduces_v5(v5_chain):
    """The V5 values of docs/theory.md §11 (given to 7 digits; the grid is spectrally accurate)."""
    chain, v5 = v5_chain
    r1 = chain.linear_response(51).values[:, 0, 0]
    for k, ref in V5_R1.items():
        assert abs(r1[k] - ref) < 2e-5, (k, r1[k], ref)
    r2 = chain.second_order_response(21)
    for (m1, m2), ref in V5_R2.items():
        assert abs(r2.r2(m1, m2)[0, 0, 0] - ref) < 2e-5, (m1, m2)
    assert abs(chain.mean_output[0] - (-0.1589841)) < 1e-6
    N = 100
    w = (0.5 + 0.8 * np.sin(2 * np.pi * 0.02 * np.arange(N) / 2))[:, None]
    vs = R.VolterraSeries(chain.linear_response(N), chain.second_order_response(N),
                          mean=chain.mean_output)
    assert abs(vs.predict(0.1 * w)[-1, 0] - chain.mean_output[0] - 0.0328308) < 2e-6
    assert abs(chain.expectation(0.1 * w)[-1, 0] - chain.mean_output[0] - 0.0327313) < 2e-6
    # the front ends give the same kernels
    np.testing.assert_array_equal(
        R.linear_response(v5, dt=0.02, n_lags=51, method="grid").values,
        chain.linear_response(51).values)


def test_grid_kernels_are_derivatives_of_the_grid_expectation(v5_chain):
    """r1, r2 and d2 are the first and second u-derivatives of the exact E f(h_N) (central
    differences of GridChain.expectation with an input at one or two steps)."""
    chain, _ = v5_chain
    N, dt, e = 12, 0.02, 1e-3
    r1 = chain.linear_response(N).values[:, 0, 0]
    r2 = chain.second_order_response(N).values[..., 0, 0, 0]

    def Ef(kicks):
        u = np.zeros((N, 1))
        for j, a in kicks:
            u[j, 0] += a
        return chain.expectation(u)[-1, 0]

    for j in (N - 1, N - 4, 2):
        d1 = (Ef([(j, e)]) - Ef([(j, -e)])) / (2 * e * dt)
        assert abs(d1 - r1[N - 1 - j]) < 1e-6, j
        d2 = (Ef([(j, e)]) - 2 * Ef([]) + Ef([(j, -e)])) / (e * e)
        assert abs(d2 - dt**2 * r2[N - 1 - j, 0]) < 1e-6 * max(1.0, dt**2 * abs(r2[N - 1 - j, 0])
                                                                 ) + 1e-7, j
    for j1, j2 in ((N - 1, 3), (7, 5)):
        mixed = (Ef([(j1, e), (j2, e)]) - Ef([(j1, e), (j2, -e)]) - Ef([(j1, -e), (j2, e)])
                 + Ef([(j1, -e), (j2, -e)])) / (4 * e * e * dt * dt)
        assert abs(mixed - r2[N - 1 - j1, j1 - j2]) < 1e-4 * abs(mixed) + 1e-5, (j1, j2)


def test_grid_identity_activation_is_the_additive_model():
    kw = dict(W=[[0.4]], C=[[0.8]], sigma=0.5, gamma=1.0, b=[0.2], activation="identity")
    a = R.GridChain(sk.SRNN(**kw), dt=0.05)
    b = R.GridChain(sk.SRNN(**kw, input_mode="activation"), dt=0.05)
    np.testing.assert_array_equal(a.linear_response(5).values, b.linear_response(5).values)
    np.testing.assert_array_equal(a.second_order_response(4).values,
                                  b.second_order_response(4).values)


# ------------------------------------------------------------------------- Girsanov
def test_girsanov_first_order_matches_the_grid(v5_chain):
    """16 runs x 3e4 steps: every lag within 4 SE of the exact grid kernel (SE ~ 4e-3)."""
    chain, v5 = v5_chain
    exact = chain.linear_response(51).values
    rf = R.linear_response(v5, dt=0.02, n_lags=51, method="girsanov", n_chains=16,
                           n_steps=30_000, seed=0)
    z = rf.z_scores(exact)
    assert np.abs(z).max() < 4, np.abs(z).max()
    assert rf.stderr.max() < 6e-3


def test_girsanov_second_order_matches_the_grid(v5_chain):
    """Entries (including the coincident-kick column with its H term) within 4 SE."""
    chain, v5 = v5_chain
    exact = chain.second_order_response(6).values
    r2 = R.second_order_response(v5, dt=0.02, n_lags=6, method="girsanov", n_chains=16,
                                 n_steps=30_000, seed=1)
    z = r2.z_scores(exact)
    assert np.abs(z).max() < 4, np.abs(z).max()
    # the H part matters: the coincident column without it (the additive formula with
    # G(h) in place of C) is many standard errors away
    g = chain._propagated_readouts(6)[..., 0]                       # (6, n_grid)
    h_part = (chain.stationary * chain.a2 / chain.dt) @ chain._kernel(0.0, 1) @ g.T
    without_h = exact[:, 0, 0, 0, 0] - chain.c[0] ** 2 * h_part
    assert np.all(np.abs(without_h - r2.values[:, 0, 0, 0, 0]) > 6 * r2.stderr[:, 0, 0, 0, 0])


def test_girsanov_identity_activation_equals_the_additive_estimate():
    kw = dict(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=[[0.6, 0.0], [0.2, 0.5]],
              gamma=[1.0, 0.8], activation="identity", readout=[[1.0, 0.5]])
    est = [R.linear_response(sk.SRNN(**kw, input_mode=mode), dt=0.05, n_lags=5,
                             method="girsanov", n_chains=2, n_steps=500, seed=3)
           for mode in ("additive", "activation")]
    np.testing.assert_array_equal(est[0].values, est[1].values)


@pytest.fixture
def act2d():
    """2-D tanh SRNN, two inputs, input inside the activation, non-square noise (2 x 3)."""
    return sk.SRNN(W=[[0.3, -0.5], [0.4, 0.2]], C=[[1.0, 0.2], [-0.3, 0.8]],
                   sigma=[[0.5, 0.1, 0.2], [0.0, 0.4, -0.1]], gamma=1.0, b=[0.1, -0.2],
                   readout=[[1.0, -0.5]], input_mode="activation")


def test_girsanov_agrees_with_perturbation_on_a_two_input_network(act2d):
    """Non-square sigma (sigma^+ weights) and two channels: Girsanov and CRN kicks agree
    within 4 combined SE on every lag and channel."""
    kw = dict(dt=0.05, n_lags=20, burn_in=400)
    g = R.linear_response(act2d, method="girsanov", n_chains=16, n_steps=20_000, seed=4, **kw)
    p = R.linear_response(act2d, method="perturbation", n_paths=4000, seed=5, **kw)
    z = (g.values - p.values) / np.hypot(g.stderr, p.stderr)
    assert np.abs(z).max() < 4, np.abs(z).max()


def test_girsanov_second_order_agrees_with_double_kicks(act2d):
    kw = dict(dt=0.05, n_lags=4, burn_in=400)
    g = R.second_order_response(act2d, method="girsanov", n_chains=16, n_steps=20_000, seed=6,
                                **kw)
    p = R.second_order_response(act2d, method="perturbation", n_paths=4000, seed=7, **kw)
    z = (g.values - p.values) / np.hypot(g.stderr, p.stderr)
    assert np.abs(z).max() < 4.5, np.abs(z).max()     # 64 entries: the largest |z| of noise


def test_girsanov_refuses_units_the_noise_misses():
    """Input inside the activation with a rank-1 noise: G(h) leaves range(sigma)."""
    model = sk.SRNN(W=[[0.3, -0.5], [0.4, 0.2]], C=[[1.0], [0.5]], sigma=[[0.5], [0.2]],
                    gamma=1.0, input_mode="activation")
    with pytest.raises(ValueError, match=r"units \[0, 1\]"):
        R.linear_response(model, dt=0.05, n_lags=3, method="girsanov")
    # a unit without input may lack its own noise
    ok = sk.SRNN(W=[[0.3, -0.5], [0.4, 0.2]], C=[[1.0], [0.0]], sigma=[[0.5], [0.0]],
                 gamma=1.0, input_mode="activation")
    R.linear_response(ok, dt=0.05, n_lags=3, method="girsanov", n_chains=2, n_steps=100,
                      seed=0, burn_in=10)


# ------------------------------------------------------------------------- Volterra
V5_INPUT = (0.5 + 0.8 * np.sin(2 * np.pi * 0.02 * np.arange(100) / 2))[:, None]


@pytest.mark.parametrize("N, n_paths, burn_in", [
    (30, 8000, 1500),
    pytest.param(100, 20_000, None, marks=pytest.mark.slow),
])
def test_volterra_terms_match_the_grid(v5_chain, N, n_paths, burn_in):
    """Orders 1-3 of the V5 input by likelihood-ratio weights (the Taylor series of
    exp(sum_j l_j(eps)), the third derivative of tanh included) against the grid: orders 1
    and 2 from the exact kernels, order 3 from a fourth-order finite difference of the exact
    E f(h_N) in eps (its own error O(e^2 V5) below 3e-4)."""
    chain, v5 = v5_chain
    w = V5_INPUT[:N]
    vs = R.VolterraSeries(chain.linear_response(N), chain.second_order_response(N),
                          mean=chain.mean_output)
    exact = vs.terms(w)[:, -1, 0]

    def Y(a):
        return chain.expectation(a * w)[-1, 0] - chain.mean_output[0]

    e = 0.05
    v3 = (Y(2 * e) - 2 * Y(e) + 2 * Y(-e) - Y(-2 * e)) / (12 * e**3)
    res = R.volterra_terms(v5, w, dt=0.02, order=3, n_paths=n_paths, seed=0, burn_in=burn_in)
    got, se = res.terms[:, -1, 0], res.stderr[:, -1, 0]
    assert np.all(np.abs(got - [*exact, v3]) < 4 * se + [0, 0, 3e-4]), (got, exact, v3, se)
    assert se.max() < 0.01


def test_volterra_series_and_convergence_with_the_input_inside_the_activation(v5_chain):
    chain, v5 = v5_chain
    vs = R.VolterraSeries.from_model(v5, order=2, dt=0.02, n_lags=100, method="grid")
    assert abs(vs.predict(0.1 * V5_INPUT)[-1, 0] - chain.mean_output[0] - 0.0328308) < 2e-6
    # grid reference and grid terms; amplitudes small enough for eps^3 V3 << eps^2 V2
    conv = R.volterra_convergence(v5, V5_INPUT[:40], dt=0.02, amplitudes=(0.1, 0.05, 0.025))
    assert conv.reference == "grid"
    assert abs(conv.slope1 - 2) < 0.15 and abs(conv.slope2 - 3) < 0.2, (conv.slope1,
                                                                         conv.slope2)
    res = vs.girsanov_terms(V5_INPUT[:10], n_paths=500, seed=1)
    assert res.terms.shape == (2, 11, 1) and np.all(np.isfinite(res.terms))


def test_volterra_convergence_montecarlo_on_a_two_input_network(act2d):
    """Common random numbers for the truth and likelihood-ratio terms, input inside the
    activation: order-1 error slope ~2 over large amplitudes."""
    w = np.stack([np.sin(np.arange(40) * 0.2), np.cos(np.arange(40) * 0.1)], axis=1)
    res = R.volterra_convergence(act2d, w, dt=0.05, amplitudes=(1.6, 0.8, 0.4), n_paths=20_000,
                                 seed=3, burn_in=400)
    assert res.reference == "montecarlo" and res.terms_method == "girsanov"
    assert abs(res.slope1 - 2) < 0.35, res.slope1


def test_save_load_keeps_the_mode_and_the_series_model(v5, tmp_path):
    rf = R.linear_response(v5, dt=0.05, n_lags=4, method="fdt", n_chains=2, n_steps=300,
                           seed=0, burn_in=50)
    sk.save(rf, tmp_path / "rf.npz")
    back = sk.load(tmp_path / "rf.npz")
    np.testing.assert_array_equal(back.values, rf.values)
    assert back.info["score_fit"] == rf.info["score_fit"]
    vs = R.VolterraSeries.from_model(v5, order=2, dt=0.05, n_lags=6, method="grid")
    sk.save(vs, tmp_path / "vs.npz")
    back = sk.load(tmp_path / "vs.npz")
    assert back.model.input_mode == "activation"
    np.testing.assert_array_equal(back.predict(V5_INPUT[:6]), vs.predict(V5_INPUT[:6]))
