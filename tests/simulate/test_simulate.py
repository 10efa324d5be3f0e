"""simulate(): laws, convergence, reproducibility and bad input.

Statistical checks use fixed seeds and compare with independent closed forms
(Lyapunov equations, ODEs solved by SciPy) within 4 standard errors.
"""

import warnings

import numpy as np
import pytest
from scipy import integrate, linalg, stats

import srnnkit as sk
from srnnkit.simulate import default_burn_in, standard_normal
from tests.conftest import ou_model

THEORY_SIGMA = np.array([[0.216637, 0.073275], [0.073275, 0.153772]])


def test_stationary_covariance_reference(ou):
    # docs/theory.md §9.1: Sigma to 1e-6
    np.testing.assert_allclose(sk.response.stationary_covariance(ou), THEORY_SIGMA, atol=1e-6)
    # the Euler-Maruyama chain's covariance solves its own discrete equation and is O(dt) away
    dt = 0.01
    S = sk.response.stationary_covariance(ou, dt=dt)
    P = np.eye(2) - dt * ou.A
    np.testing.assert_allclose(P @ S @ P.T + dt * ou.diffusion, S, atol=1e-14)
    assert 1e-4 < np.abs(S - THEORY_SIGMA).max() < 5e-3


def _cov_se(X):
    """Covariance of rows of X and the standard error of each entry (iid rows)."""
    Xc = X - X.mean(0)
    prods = Xc[:, :, None] * Xc[:, None, :]
    return prods.mean(0), prods.std(0) / np.sqrt(len(X))


@pytest.mark.parametrize("method,dt", [("euler", 0.05), ("exact", 0.05)])
def test_long_stationary_run_matches_law(ou, method, dt):
    # stationary start + 400 unperturbed steps; the law must stay N(0, Sigma or Sigma_dt)
    tr = sk.simulate(ou, None, n_steps=400, dt=dt, n_paths=20_000, seed=11, method=method,
                     save="states", save_every=100)
    S = sk.response.stationary_covariance(ou, dt=dt if method == "euler" else None)
    for k in range(tr.states.shape[1]):
        X = tr.states[:, k]
        mean_se = X.std(0) / np.sqrt(len(X))
        assert np.all(np.abs(X.mean(0)) < 4 * mean_se)
        C, se = _cov_se(X)
        assert np.all(np.abs(C - S) < 4 * se), (k, C - S, se)
    # streamed mean/stderr agree with the saved states
    np.testing.assert_allclose(tr.mean[-1], tr.states[:, -1].mean(0), atol=1e-13)


@pytest.mark.parametrize("dt", [0.01, 0.9, 1.0, 8.0, 1000.0])
def test_exact_step_noise_of_a_stiff_network(dt):
    """Found by fuzzing: Van Loan's exponential over the whole step holds exp(+A^T dt) and
    cancelled, so a unit with lambda dt = 50 got 800 times its noise variance (and beyond
    lambda dt = 709 NaN). The one-step covariance is Sigma - Phi Sigma Phi^T (Lyapunov)."""
    from srnnkit.model._linear import exact_transition

    model = sk.SRNN(W=[[0.0, 1.0], [0.0, 0.0]], C=np.zeros((2, 1)), sigma=0.5,
                    gamma=np.diag([0.1, 50.0]), activation="identity")
    Sigma = linalg.solve_continuous_lyapunov(model.A, model.diffusion)
    Phi, _, Q = exact_transition(model, dt)
    ref = Sigma - Phi @ Sigma @ Phi.T
    np.testing.assert_allclose(Q, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())
    tr = sk.simulate(model, None, n_steps=2, dt=dt, n_paths=20_000, seed=0, method="exact",
                     save="states")
    var = tr.states[:, -1].var(axis=0)               # stationary: the law's own variance
    se = np.diag(Sigma) * np.sqrt(2 / 20_000)
    assert np.all(np.abs(var - np.diag(Sigma)) < 5 * se), (var, np.diag(Sigma))


def test_exact_method_matches_ode_moments_under_time_varying_input():
    model = ou_model()
    model.b[:] = [0.2, -0.1]
    dt, n_steps = 0.1, 30
    t = np.arange(n_steps) * dt
    u = np.sin(3 * t)[:, None] + 0.5
    tr = sk.simulate(model, u, dt=dt, n_paths=40_000, seed=5, method="exact", h0="zeros",
                     save="states")
    A, D = model.A, model.diffusion

    def rhs(s, y):
        j = min(int(s / dt + 1e-9), n_steps - 1)
        mu, P = y[:2], y[2:].reshape(2, 2)
        dmu = -A @ mu + model.b + model.C @ u[j]
        dP = -A @ P - P @ A.T + D
        return np.concatenate([dmu, dP.ravel()])

    y = np.zeros(6)
    for j in range(n_steps):  # integrate cell by cell (the input jumps at cell edges)
        sol = integrate.solve_ivp(rhs, (j * dt, (j + 1) * dt), y, rtol=1e-11, atol=1e-13,
                                  method="DOP853")
        y = sol.y[:, -1]
        if j + 1 in (10, 30):
            X = tr.states[:, j + 1]
            se = X.std(0) / np.sqrt(len(X))
            assert np.all(np.abs(X.mean(0) - y[:2]) < 4 * se)
            C, cse = _cov_se(X)
            assert np.all(np.abs(C - y[2:].reshape(2, 2)) < 4 * cse)
    # and the mean of the exact scheme is exact: with tiny noise it matches the ODE to 1e-9
    quiet = sk.SRNN(W=model.W, C=model.C, sigma=1e-12, gamma=model.gamma, b=model.b,
                    activation="identity")
    tq = sk.simulate(quiet, u, dt=dt, n_paths=1, seed=0, method="exact", h0="zeros")
    np.testing.assert_allclose(tq.mean[-1], y[:2], atol=1e-9)


def test_euler_weak_order_one_linear():
    # the mean of the EM chain of a linear SRNN does not depend on the noise: with a fixed
    # h0 the weak error of E h_T against the exact mean halves with dt
    model = ou_model()
    h0 = np.array([1.0, -0.5])
    T = 1.0
    exact = linalg.expm(-model.A * T) @ h0
    errs = []
    for dt in (0.1, 0.05, 0.025, 0.0125):
        quiet = sk.SRNN(W=model.W, C=model.C, sigma=0.0, gamma=model.gamma,
                        activation="identity")
        tr = sk.simulate(quiet, None, n_steps=round(T / dt), dt=dt, n_paths=1, seed=0, h0=h0)
        errs.append(np.abs(tr.mean[-1] - exact).max())
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios


@pytest.mark.slow
def test_euler_weak_order_one_tanh(tanh1d):
    # nonlinear: E h_T with noise, against a fine-step reference; CRN is impossible across
    # steps so many paths are used (SE ~ 8e-4 vs errors 2.4e-2 .. 5.9e-3)
    T, h0 = 1.0, np.array([1.5])
    ref = sk.simulate(tanh1d, None, n_steps=640, dt=T / 640, n_paths=400_000, seed=1,
                      h0=h0)
    errs, ses = [], []
    for k, n_steps in enumerate((5, 10, 20)):
        tr = sk.simulate(tanh1d, None, n_steps=n_steps, dt=T / n_steps, n_paths=400_000,
                         seed=2 + k, h0=h0)
        errs.append(abs(tr.mean[-1, 0] - ref.mean[-1, 0]))
        ses.append(np.hypot(tr.stderr[-1, 0], ref.stderr[-1, 0]))
    assert max(ses) < 0.2 * min(errs), (errs, ses)
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all((ratios > 1.5) & (ratios < 2.6)), ratios


def test_noise_increments_have_gaussian_moments():
    # gamma = 0, W = 0, identity: h is sigma*B exactly, so increments are N(0, sigma^2 dt)
    with pytest.warns(sk.DissipativityWarning):
        model = sk.SRNN(W=np.zeros((3, 3)), C=np.ones((3, 1)), sigma=[0.5, 1.0, 2.0],
                        gamma=0.0, activation="identity")
    dt = 0.01
    tr = sk.simulate(model, None, n_steps=50, dt=dt, n_paths=4000, seed=3, h0="zeros",
                     save="states")
    inc = np.diff(tr.states, axis=1) / (np.array([0.5, 1.0, 2.0]) * np.sqrt(dt))
    z = inc.reshape(-1, 3)
    N = len(z)
    assert np.all(np.abs(z.mean(0)) < 4 / np.sqrt(N))
    assert np.all(np.abs(z.var(0) - 1) < 4 * np.sqrt(2 / N))
    corr = np.corrcoef(z.T)[np.triu_indices(3, 1)]
    assert np.all(np.abs(corr) < 4 / np.sqrt(N))
    lag = np.mean(inc[:, 1:, 0] * inc[:, :-1, 0])     # independent in time
    assert abs(lag) < 4 / np.sqrt(inc[:, 1:, 0].size)
    for c in range(3):
        assert stats.kstest(z[:, c], "norm").pvalue > 1e-3
    assert abs(stats.kurtosis(z[:, 0])) < 4 * np.sqrt(24 / N)


def test_standard_normal_generator_ks():
    z = standard_normal(42, 200_000)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    tail = np.mean(np.abs(z) > 3.6541528853610088)    # the ziggurat's tail branch
    p = 2 * stats.norm.sf(3.6541528853610088)
    assert abs(tail - p) < 4 * np.sqrt(p / len(z))


@pytest.mark.parametrize("kwargs", [dict(chunk_size=256), dict(chunk_size=1000),
                                    dict(chunk_size=4096), dict(n_jobs=2),
                                    dict(n_jobs=2, chunk_size=512), dict(n_jobs=-1)])
def test_bit_identical_across_chunks_and_threads(kwargs):
    model = sk.SRNN.random(6, 2, noise=0.4, seed=0)
    u = np.random.default_rng(0).standard_normal((40, 2))
    ref = sk.simulate(model, u, dt=0.02, n_paths=1100, seed=9, save="paths")
    tr = sk.simulate(model, u, dt=0.02, n_paths=1100, seed=9, save="paths", **kwargs)
    np.testing.assert_array_equal(ref.mean, tr.mean)
    np.testing.assert_array_equal(ref.stderr, tr.stderr)
    np.testing.assert_array_equal(ref.outputs, tr.outputs)


def test_seeds_and_generators():
    model = sk.SRNN.random(4, 1, noise=0.4, seed=0)
    a = sk.simulate(model, None, n_steps=20, dt=0.05, n_paths=300, seed=1)
    b = sk.simulate(model, None, n_steps=20, dt=0.05, n_paths=300, seed=2)
    assert not np.array_equal(a.mean, b.mean)
    c = sk.simulate(model, None, n_steps=20, dt=0.05, n_paths=300, seed=a.seed_entropy)
    np.testing.assert_array_equal(a.mean, c.mean)
    g1 = sk.simulate(model, None, n_steps=20, dt=0.05, n_paths=10,
                     seed=np.random.default_rng(5))
    g2 = sk.simulate(model, None, n_steps=20, dt=0.05, n_paths=10,
                     seed=np.random.default_rng(5))
    np.testing.assert_array_equal(g1.mean, g2.mean)


def test_batch_inputs_each_series_own_paths():
    model = sk.SRNN.random(5, 2, noise=0.3, seed=0)
    U = np.random.default_rng(1).standard_normal((3, 25, 2))
    tr = sk.simulate(model, U, dt=0.05, n_paths=64, seed=4, save="paths")
    assert tr.mean.shape == (3, 26, 1) and tr.outputs.shape == (3, 64, 26, 1)
    np.testing.assert_allclose(tr.mean, tr.outputs.mean(axis=1), atol=1e-14)
    np.testing.assert_allclose(tr.stderr, tr.outputs.std(axis=1, ddof=1) / 8, atol=1e-14)
    # the same input twice gets different noise (its own paths)
    U2 = np.stack([U[0], U[0]])
    t2 = sk.simulate(model, U2, dt=0.05, n_paths=64, seed=4, save="paths")
    np.testing.assert_array_equal(t2.outputs[0], tr.outputs[0])
    assert not np.array_equal(t2.outputs[0], t2.outputs[1])


def test_paths_states_and_readouts_consistent():
    model = sk.SRNN.random(4, 1, n_outputs=2, noise=0.3, seed=3)
    u = np.ones((30, 1)) * 0.3
    tr = sk.simulate(model, u, dt=0.05, n_paths=50, seed=1, save="states", save_every=7)
    np.testing.assert_allclose(tr.state_ts, np.arange(0, 31, 7) * 0.05)
    tp = sk.simulate(model, u, dt=0.05, n_paths=50, seed=1, save="paths")
    np.testing.assert_allclose(tp.outputs[:, ::7], model.output(tr.states), atol=1e-12)
    # a callable readout goes through the states and gives the same numbers
    Q = model.readout.Q
    fc = sk.SRNN(W=model.W, C=model.C, sigma=0.3, b=model.b, readout=lambda h: h @ Q.T)
    tc = sk.simulate(fc, u, dt=0.05, n_paths=50, seed=1, save="paths")
    np.testing.assert_allclose(tc.outputs, tp.outputs, atol=1e-12)


def test_quadratic_readout_mean(ou):
    M = np.array([[1.0, 0.3], [0.3, 0.5]])
    model = ou_model(readout=sk.readouts.Quadratic(M))
    tr = sk.simulate(model, None, n_steps=20, dt=0.05, n_paths=50_000, seed=8)
    S = sk.response.stationary_covariance(model, dt=0.05)
    expected = 0.5 * np.trace(M @ S)
    assert np.all(np.abs(tr.mean[:, 0] - expected) < 4 * tr.stderr[:, 0])


def test_nonlinear_burn_in_reaches_stationarity(tanh1d):
    # after the default burn-in the mean no longer drifts: compare t=0 with t=5
    tr = sk.simulate(tanh1d, None, n_steps=250, dt=0.02, n_paths=40_000, seed=2)
    assert tr.burn_in == default_burn_in(tanh1d, 0.02) == 2500   # 10 / (1 - 0.8) time units
    d = tr.mean[-1, 0] - tr.mean[0, 0]
    assert abs(d) < 4 * np.hypot(tr.stderr[0, 0], tr.stderr[-1, 0])
    # docs/theory.md §9.5: <f>_inf = 0.60079734 for this network (dt = 0.02)
    assert abs(tr.mean[:, 0].mean() - 0.60079734) < 4 * tr.stderr[0, 0]


def test_divergence_is_reported():
    model = sk.SRNN(W=np.zeros((1, 1)), C=[[1.0]], sigma=0.1, gamma=50.0, activation="tanh")
    with pytest.raises(sk.DivergenceError, match=r"step \d+ .*dt=0.5 is too large"):
        sk.simulate(model, None, n_steps=2000, dt=0.5, n_paths=4, seed=0, h0=[1.0])


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(dt=0.0), ValueError, r"dt must be a finite number > 0; got 0.0"),
    (dict(dt=-1), ValueError, r"dt must be a finite number > 0"),
    (dict(dt="a"), TypeError, r"dt must be a finite number"),
    (dict(n_paths=0), ValueError, r"n_paths must be an integer >= 1; got 0"),
    (dict(n_paths=2.5), TypeError, r"n_paths must be an integer"),
    (dict(method="milstein"), ValueError, r"method must be one of 'euler', 'exact'"),
    (dict(save="everything"), ValueError, r"save must be one of"),
    (dict(inputs=np.ones((10, 3))), ValueError, r"inputs must be an array with 2 input"),
    (dict(inputs=np.full((10, 2), np.nan)), ValueError, r"inputs must contain only finite"),
    (dict(inputs=np.ones((1, 1, 10, 2))), ValueError, r"inputs must be an array of shape"),
    (dict(inputs="abc"), TypeError, r"inputs must be a numeric array"),
    (dict(inputs=None, n_steps=None), ValueError, r"n_steps is required"),
    (dict(h0="random"), ValueError, r"h0 must be one of 'stationary', 'zeros'"),
    (dict(h0=np.ones(5)), ValueError, r"h0 must be 'stationary', 'zeros' or an array"),
    (dict(burn_in=-1), ValueError, r"burn_in must be an integer >= 0"),
    (dict(n_jobs=0), ValueError, r"n_jobs must be a non-zero integer"),
])
def test_bad_simulate_input(kwargs, exc, match):
    model = sk.SRNN.random(3, 2, seed=0)
    args = dict(inputs=np.zeros((10, 2)), dt=0.1)
    args.update(kwargs)
    inputs = args.pop("inputs")
    with pytest.raises(exc, match=match):
        sk.simulate(model, inputs, **args)


@pytest.mark.parametrize("mode", ["additive", "activation"])
def test_an_input_term_that_overflows_is_refused(mode):
    """Found by fuzzing: C u = inf entered the step (a saturated tanh or an inf state) with a
    NumPy warning only. A huge but finite input term still runs (the state follows it)."""
    model = sk.SRNN(W=[[0.5]], C=[[3.0]], sigma=0.1, input_mode=mode)
    with pytest.raises(ValueError, match=r"inputs must be values whose input term C u is "
                                         r"finite.*max \|u\| = 1e\+308"):
        sk.simulate(model, np.full((5, 1), 1e308), dt=0.1, n_paths=2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = sk.simulate(model, np.full((5, 1), 1e307), dt=0.1, n_paths=2, seed=0)
    assert np.isfinite(traj.mean).all()


def test_exact_needs_linear():
    with pytest.raises(ValueError, match="method='exact' needs a linear SRNN"):
        sk.simulate(sk.SRNN.random(3, 1, seed=0), None, n_steps=5, dt=0.1, method="exact")
    with pytest.raises(TypeError, match=r"model must be an srnnkit\.SRNN"):
        sk.simulate("model", None, n_steps=5, dt=0.1)


def test_seed_entropy_repeats_a_run_seeded_by_a_generator():
    """Found by fuzzing: after a Generator seed, seed_entropy is a list of ints, which was
    refused as a seed (TypeError), against the docstring's promise."""
    model = sk.SRNN.random(3, 1, seed=0)
    u = np.zeros((5, 1))
    first = sk.simulate(model, u, dt=0.1, n_paths=10, seed=np.random.default_rng(1))
    assert isinstance(first.seed_entropy, list)
    again = sk.simulate(model, u, dt=0.1, n_paths=10, seed=first.seed_entropy)
    np.testing.assert_array_equal(again.mean, first.mean)
    with pytest.raises(TypeError, match="a sequence of non-negative ints"):
        sk.simulate(model, u, dt=0.1, n_paths=10, seed=[1, -2])


def test_output_overflow_messages_name_the_right_cause():
    """Found by fuzzing: an identity readout was told 'a Quadratic readout squares them',
    and a callable returning inf was reported as returning NaN."""
    lin = sk.SRNN([[0, 0.1], [0, 0]], [[1.0], [1.0]], 0.3, activation="identity")
    with np.errstate(all="ignore"), pytest.raises(sk.DivergenceError,
                                                  match=r"spread .* overflows") as info:
        sk.simulate(lin, np.full((5, 1), 1e300), dt=0.01, n_paths=300, seed=0, burn_in=0)
    assert "Quadratic" not in str(info.value)
    inf = sk.SRNN([[0, 0.1], [0, 0]], [[1.0], [1.0]], 0.3,
                  readout=lambda H: np.full((*H.shape[:-1], 1), np.inf))
    with np.errstate(all="ignore"), pytest.raises(sk.DivergenceError,
                                                  match="returned NaN or an infinite"):
        sk.simulate(inf, np.zeros((5, 1)), dt=0.01, n_paths=300, seed=0, burn_in=0)


def test_a_step_too_small_for_the_float_range_gets_the_right_advice():
    """Found by fuzzing: dt = 1e-17 (1 - dt * lambda rounds to 1) was told 'use a smaller
    dt'."""
    ou = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, gamma=1.0, activation="identity")
    with pytest.raises(ValueError, match="rounds to the identity: use a larger dt"):
        sk.simulate(ou, np.zeros((10, 1)), dt=1e-17, n_paths=10, seed=0)
    with pytest.raises(ValueError, match="Use a smaller dt"):
        sk.simulate(ou, np.zeros((10, 1)), dt=3.0, n_paths=10, seed=0)
