"""Bad input: clear errors that name the argument and the way out."""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response


def test_analytic_on_nonlinear_names_the_way_out(tanh1d):
    with pytest.raises(ValueError, match="method='perturbation'"):
        R.linear_response(tanh1d, dt=0.1, n_lags=3)
    with pytest.raises(ValueError, match="activation='identity'"):
        R.second_order_response(tanh1d, dt=0.1, n_lags=3)


def test_analytic_needs_known_readout():
    model = sk.SRNN(W=[[0.2]], C=[[1.0]], sigma=0.3, activation="identity",
                    readout=lambda h: np.sin(h))
    with pytest.raises(ValueError, match="readout"):
        R.linear_response(model, dt=0.1, n_lags=3)


def test_girsanov_needs_c_in_range_of_sigma():
    model = sk.SRNN(W=[[0.0, 0.2], [0.1, 0.0]], C=[[0.0], [1.0]], sigma=[[0.5], [0.0]],
                    activation="identity")
    with pytest.raises(ValueError, match=r"range\(C\) inside range\(sigma\).*perturbation"):
        R.linear_response(model, dt=0.1, n_lags=3, method="girsanov", n_chains=2, n_steps=10)
    with pytest.raises(ValueError, match="range"):
        R.second_order_response(model, dt=0.1, n_lags=3, method="girsanov", n_chains=2,
                                n_steps=10)
    with pytest.raises(ValueError, match="range"):
        R.volterra_terms(model, np.ones((5, 1)), dt=0.1, n_paths=4)
    # the perturbation method still works there
    rf = R.linear_response(model, dt=0.1, n_lags=3, method="perturbation", n_paths=10, seed=0)
    assert rf.values.shape == (3, 2, 1)


@pytest.mark.parametrize("n_lags,exc", [(0, ValueError), (-2, ValueError), (2.5, TypeError)])
def test_bad_n_lags(ou, n_lags, exc):
    with pytest.raises(exc, match="n_lags"):
        R.linear_response(ou, dt=0.1, n_lags=n_lags)
    with pytest.raises(exc, match="n_lags"):
        R.second_order_response(ou, dt=0.1, n_lags=n_lags)


@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan")])
def test_bad_dt(ou, dt):
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        R.linear_response(ou, dt=dt, n_lags=3)
    with pytest.raises(ValueError, match="dt"):
        R.second_order_response(ou, dt=dt, n_lags=3)


def test_bad_method_model_and_options(ou, tanh1d, tanh2d):
    with pytest.raises(ValueError, match="method must be one of"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="magic")
    with pytest.raises(ValueError, match="method must be one of"):
        R.second_order_response(ou, dt=0.1, n_lags=3, method="fdt")
    with pytest.raises(TypeError, match=r"model must be an srnnkit\.SRNN"):
        R.linear_response("model", dt=0.1, n_lags=3)
    with pytest.raises(ValueError, match="n_hidden == 1"):
        R.linear_response(tanh2d, dt=0.1, n_lags=3, method="grid")
    with pytest.raises(ValueError, match="score='exact' needs a linear SRNN"):
        R.linear_response(tanh1d, dt=0.1, n_lags=3, method="fdt", score="exact", n_chains=2,
                          n_steps=10)
    with pytest.raises(ValueError, match="n_steps"):
        R.linear_response(ou, dt=0.1, n_lags=30, method="fdt", n_steps=20)
    with pytest.raises(ValueError, match="n_paths"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="perturbation", n_paths=1)
    with pytest.raises(ValueError, match="eps"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="perturbation", eps=0.0)
    with pytest.raises(ValueError, match="second_method"):
        R.VolterraSeries.from_model(ou, order=2, dt=0.1, n_lags=3, method="fdt")
    # found by fuzzing: 'pathwise' was refused as a bad `method`, not for its order 2
    with pytest.raises(ValueError, match=r"method='pathwise' has no second-order estimator; "
                                         r"pass second_method= one of 'girsanov', "
                                         r"'perturbation', 'mixed'"):
        R.VolterraSeries.from_model(ou, order=2, dt=0.1, n_lags=3, method="pathwise")


def test_grid_chain_errors(tanh1d, tanh2d):
    with pytest.raises(ValueError, match="n_hidden == 1"):
        R.GridChain(tanh2d, dt=0.1)
    with pytest.raises(ValueError, match="spacing must be at most"):
        R.GridChain(tanh1d, dt=0.0001, spacing=0.01)
    with pytest.raises(ValueError, match="bounds"):
        R.GridChain(tanh1d, dt=0.02, bounds=(1.0, -1.0))


def test_volterra_input_errors(tanh1d, ou):
    vs = R.VolterraSeries.from_model(ou, order=1, dt=0.1, n_lags=5)
    with pytest.raises(ValueError, match="inputs"):
        vs.predict(np.ones((5, 3)))
    with pytest.raises(ValueError, match="amplitudes"):
        R.volterra_convergence(tanh1d, np.ones((5, 1)), dt=0.02, amplitudes=[0.1])
    with pytest.raises(TypeError, match="first"):
        R.VolterraSeries(np.ones((3, 1, 1)), mean=[0.0])
    with pytest.raises(ValueError, match="order-2"):
        _ = vs.first.d2
    with pytest.raises(TypeError, match="order-2 VolterraSeries"):
        R.volterra_convergence(tanh1d, np.ones((5, 1)), dt=0.02, series=vs)
    vs2 = R.VolterraSeries.from_model(ou, order=2, dt=0.1, n_lags=5)
    with pytest.raises(ValueError, match=r"dt = 0\.02"):
        R.volterra_convergence(ou, np.ones((5, 1)), dt=0.02, series=vs2)


def test_divergence_is_reported_with_the_step():
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, gamma=1.0, activation="identity")
    with pytest.raises(sk.DivergenceError, match="step"):
        # dt * gamma = 2.5 makes the EM chain explode (no stationary law for the chain)
        R.linear_response(model, dt=2.5, n_lags=3, method="girsanov", n_chains=2, n_steps=2000,
                          burn_in=10)
    with pytest.raises(sk.DivergenceError, match="kicked ensemble"):
        R.linear_response(model, dt=2.5, n_lags=2000, method="perturbation", n_paths=4,
                          burn_in=0)


# ------------------------------------------- found by fuzzing: confident numbers that are wrong
TANH = dict(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])


def test_grid_refuses_inputs_that_push_the_law_off_it():
    """Amplitude 10 moves the law far past the default bounds: the chain kept 9e-40 of the
    mass and gave E f = 9e-40 against Monte Carlo's 9.66 (an 'exact' reference for
    volterra_convergence). Amplitude 1 stays inside and agrees with simulate."""
    chain = R.GridChain(sk.SRNN(**TANH), 0.05)
    with pytest.raises(ValueError, match=r"inputs.*left it.*wider bounds"):
        chain.expectation(np.full((40, 1), 10.0))
    with pytest.raises(ValueError, match="reference='montecarlo'"):
        R.volterra_convergence(sk.SRNN(**TANH), 20 * np.ones((40, 1)), dt=0.05,
                               amplitudes=(2, 1, 0.5, 0.25))
    mc = sk.simulate(sk.SRNN(**TANH), np.ones((40, 1)), dt=0.05, n_paths=4000, seed=0)
    assert abs(chain.expectation(np.ones((40, 1)))[-1, 0] - mc.mean[-1, 0]) < 4 * mc.stderr[-1, 0]


@pytest.mark.parametrize("gamma, dt, match", [(1.0, 3.0, "smaller dt"), (0.0, 0.05, "gamma=0"),
                                              (-1.0, 0.05, "gamma=-1")])
def test_grid_refuses_a_chain_without_a_stationary_law(gamma, dt, match):
    """At dt = 3 (|1 - dt gamma| = 2) the 'stationary law' sat on the grid's edge and r1(0)
    came out -1e-11 for the exact 1; gamma = 0 divided by zero, gamma < 0 leaked a NaN."""
    with pytest.raises(ValueError, match=rf"stationary law.*{match}"):
        R.GridChain(sk.SRNN(**{**TANH, "gamma": gamma}), dt)


def test_fdt_needs_noise():
    """sigma = 0 gave [0.907, 0.881] with standard error 0 for the exact [1, 0.972]."""
    model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.0, b=[0.2])
    with pytest.raises(ValueError, match=r"model.sigma.*non-zero noise.*'perturbation'"):
        R.linear_response(model, dt=0.05, n_lags=2, method="fdt", seed=0)


@pytest.mark.parametrize("W, gamma, dt, match", [
    ([[1.0]], 1.0, 0.05, "singular|real part 0"),          # marginally stable
    ([[0.0]], -1.0, 0.05, "real part -1"),                  # growing
    ([[0.0]], 1.0, 2.5, "smaller dt"),                      # the Euler chain expands
])
def test_closed_forms_refuse_a_linear_network_without_a_stationary_law(W, gamma, dt, match):
    model = sk.SRNN(W=W, C=[[1.0]], sigma=0.5, gamma=gamma, activation="identity")
    with pytest.raises(ValueError, match=match):
        R.linear_response(model, dt=dt, n_lags=3, discrete=True)
    with pytest.raises(ValueError, match=match):
        R.second_order_response(model, dt=dt, n_lags=3, discrete=True)
    if dt < 1:
        with pytest.raises(ValueError, match="stationary"):
            R.linear_response(model, dt=dt, n_lags=3, method="girsanov", n_chains=2,
                              n_steps=100, seed=0)


def test_a_readout_or_score_that_returns_nan_is_named():
    nan_readout = sk.SRNN(**TANH, readout=lambda h: np.full((*h.shape[:-1], 1), np.nan))
    for method in ("perturbation", "grid", "girsanov"):
        with pytest.raises(ValueError, match=r"model\.readout must be a readout that "
                                             r"returns finite values"):
            R.linear_response(nan_readout, dt=0.05, n_lags=3, method=method, seed=0,
                              **({"n_paths": 100} if method == "perturbation" else {}))
    with pytest.raises(sk.DivergenceError, match="readout returned NaN"):
        sk.simulate(nan_readout, np.zeros((5, 1)), dt=0.05, n_paths=10, seed=0)
    model = sk.SRNN(**TANH)
    with pytest.raises(ValueError, match="score must be a callable returning finite"):
        R.linear_response(model, dt=0.05, n_lags=3, method="fdt", seed=0, n_chains=2,
                          n_steps=200, score=lambda h: np.full(h.shape, np.nan))
    with pytest.raises(ValueError, match=r"score must be a callable h -> v\(h\).*shape"):
        R.linear_response(model, dt=0.05, n_lags=3, method="fdt", seed=0, n_chains=2,
                          n_steps=200, score=lambda h: np.zeros((*h.shape[:-1], 5)))


def test_volterra_terms_names_a_way_out_it_has():
    """Found by fuzzing: it advised method='perturbation', an argument it does not take."""
    deg = sk.SRNN(W=[[0, 0], [0, 0]], C=[[1], [0]], sigma=[[0, 0], [0, 0.5]],
                  activation="identity")
    with pytest.raises(ValueError, match=r"series= of volterra_convergence") as info:
        R.volterra_terms(deg, np.ones((5, 1)), dt=0.05, n_paths=100)
    assert "Use method=" not in str(info.value)


def test_a_series_from_a_kernel_with_nan_is_refused():
    """Found by fuzzing: predict returned [0, nan, nan, nan] without a word."""
    rf = R.ResponseFunction(np.full((3, 1, 1), np.nan), dt=0.1)
    with pytest.raises(ValueError, match="first must be a kernel with finite values"):
        R.VolterraSeries(rf, mean=[0.0])


def test_volterra_convergence_refuses_a_series_of_another_model():
    """Found by fuzzing: a 1-D tanh network's series was used for a 2-D linear SRNN and the
    'errors' were meaningless."""
    th = sk.SRNN(**TANH)
    other = sk.SRNN(**{**TANH, "W": [[0.5]]})
    lin = sk.SRNN(W=np.zeros((2, 2)), C=[[1.0], [0.5]], sigma=0.5, activation="identity")
    series = R.VolterraSeries.from_model(th, dt=0.05, n_lags=10, order=2, method="grid")
    # the same weights with another activation, input mode or readout (found by fuzzing:
    # only the weights were compared)
    sigm = sk.SRNN(**{**TANH, "activation": "sigmoid"})
    inside = sk.SRNN(**{**TANH, "input_mode": "activation"})
    doubled = sk.SRNN(**{**TANH, "readout": [[2.0]]})
    for model, match in ((lin, r"\(p, m\) = \(2, 1\)"), (other, "other weights"),
                         (sigm, "activation='tanh', not 'sigmoid'"),
                         (inside, "input_mode='additive', not 'activation'"),
                         (doubled, "another readout")):
        with pytest.raises(ValueError, match=f"series must be a VolterraSeries of this.*{match}"):
            R.volterra_convergence(model, np.ones((10, 1)), dt=0.05, series=series)


def test_volterra_predict_checks_the_inputs_step():
    """Found by fuzzing: an input sampled at another step was read at the kernels' step
    (0.4455 where the exact mean is 0.5396); dt= now checks it."""
    vs = R.VolterraSeries.from_model(sk.SRNN(**TANH), order=2, dt=0.02, n_lags=40,
                                     method="grid")
    u = 0.3 * np.sin(np.pi * 0.02 * np.arange(30))[:, None]
    np.testing.assert_array_equal(vs.predict(u, dt=0.02), vs.predict(u))
    with pytest.raises(ValueError, match=r"dt must be the series' own step 0\.02 .*got 0\.01"):
        vs.predict(u, dt=0.01)
    with pytest.raises(ValueError, match="dt must be"):
        vs.terms(u, dt=0.04)


def test_kernels_at_tiny_steps_are_compared_relatively():
    """np.isclose's absolute tolerance took dt = 1e-9 and 3e-9 for one step."""
    first = R.ResponseFunction(np.ones((3, 1, 1)), dt=1e-9)
    second = R.ResponseFunction(np.ones((3, 3, 1, 1, 1)), dt=3e-9, order=2)
    with pytest.raises(ValueError, match="dt"):
        R.VolterraSeries(first, second, mean=[0.0])


def test_r2_indices_are_checked():
    """Negative indices wrapped silently (r2(0, -1) gave the coincident d2 entry)."""
    r = R.second_order_response(sk.SRNN(**TANH), dt=0.05, n_lags=5, method="grid")
    assert r.r2(4, 3).shape == (1, 1, 1)
    for args, match in (((-1, 0), r"m1 must be an integer in \[0, 4\]; got -1"),
                        ((0, -1), r"m2 must be an integer in \[0, 3\]; got -1"),
                        ((5, 0), "m1 must be"), ((0, 4), "m2 must be")):
        with pytest.raises(ValueError, match=match):
            r.r2(*args)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(second_method="bogus"), ValueError, "second_method must be one of"),
    (dict(method="grid", n_pathz=5), TypeError, r"method='grid'\) .* takes no n_pathz"),
    (dict(method="grid", n_paths=-5), TypeError, "takes no n_paths"),
])
def test_from_model_names_bad_arguments(kw, exc, match):
    """Found by fuzzing: a bad second_method was reported as `method`, and the grid path
    ignored every other argument."""
    with pytest.raises(exc, match=match):
        R.VolterraSeries.from_model(sk.SRNN(**TANH), dt=0.05, n_lags=5, **kw)


@pytest.mark.parametrize("inputs, amplitudes, match", [
    (np.zeros((10, 1)), [0.1, 0.2], "inputs must be an input that is not zero everywhere"),
    (np.ones((10, 1)), [0.1, 0.1], "amplitudes must be at least two distinct positive"),
])
def test_volterra_convergence_refuses_degenerate_input(inputs, amplitudes, match):
    """Found by fuzzing: slopes of 2e-15 for a zero input, and 2.41 / 4.17 from two equal
    amplitudes (with only NumPy's polyfit warning)."""
    with pytest.raises(ValueError, match=match):
        R.volterra_convergence(sk.SRNN(**TANH), inputs, dt=0.05, amplitudes=amplitudes)


def test_z_scores_of_entries_zero_up_to_rounding():
    """Found by fuzzing: an entry that is zero by the readout's structure had estimate
    1.05e-15 with SE 2.5e-15 against the grid's 5.5e-14: z = -21.5. Errors at rounding level
    of the kernel's scale are 0; a real error keeps its z, and an exact (SE 0) estimate's
    real error is inf."""
    values = np.array([[[1.05e-15]], [[0.5]]])
    est = R.ResponseFunction(values, dt=0.1, stderr=np.array([[[2.5e-15]], [[0.01]]]),
                             method="perturbation")
    np.testing.assert_allclose(est.z_scores(np.array([[[5.5e-14]], [[0.52]]])).ravel(),
                               [0.0, -2.0])
    exact = R.ResponseFunction(values, dt=0.1, stderr=np.zeros((2, 1, 1)),
                               method="perturbation")
    np.testing.assert_array_equal(exact.z_scores(np.array([[[0.0]], [[0.52]]])).ravel(),
                                  [0.0, np.inf])
    # found by fuzzing: a second-order grid reference's rounding at a structural zero
    # (-1.5e-14, 1.7e-12 of the kernel's largest entry, amplified by 1/dt^2) gave z = 9.6
    m = sk.SRNN(W=[[0.7]], C=[[1.0]], sigma=0.7, gamma=1.0, b=[0.2], activation="sigmoid")
    grid = R.GridChain(m, 0.05).second_order_response(12)
    rf = R.second_order_response(m, dt=0.05, n_lags=12, method="perturbation", n_paths=2000,
                                 seed=0)
    z = rf.z_scores(grid)
    assert z[0, 0].ravel()[0] == 0.0 and np.abs(z).max() < 5


def test_a_float32_step_is_the_same_step():
    """Found by fuzzing: a series built at the float32 step of float32 time stamps
    (0.019999999552965164) refused dt=0.02, "must be the series' own step 0.02 ...; got 0.02",
    and so did volterra_convergence(dt=0.02, series=...)."""
    model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    dt32 = np.float32(0.02)
    vs = R.VolterraSeries.from_model(model, order=2, dt=dt32, n_lags=20, method="grid")
    u = 0.1 * np.ones((20, 1))
    np.testing.assert_array_equal(vs.predict(u, dt=0.02), vs.predict(u))
    np.testing.assert_array_equal(vs.predict(u, dt=dt32), vs.predict(u))
    R.volterra_convergence(model, u, dt=0.02, series=vs, amplitudes=[0.4, 0.2])
    with pytest.raises(ValueError, match="dt must be"):       # another step still refused
        vs.predict(u, dt=0.0200001)
