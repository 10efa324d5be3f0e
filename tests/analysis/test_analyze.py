"""analyze_network end to end: a linear network against its closed forms (docs/theory.md §3),
a nonlinear one for consistency of its parts, reproducibility, and bad inputs. Budgets at the
floor of every sample size (a few seconds each)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.analysis import analyze_network, make_plan
from srnnkit.analysis._plan import MIN_PATHS1, first_window

DT = 0.1
BUDGET = 0.001


def _linear():
    return sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0, 0.0], [0.5, 1.0]],
                   sigma=[[0.6, 0.0], [0.2, 0.5]], gamma=[1.0, 0.8], activation="identity")


def _series(m, lengths=(10, 10, 6, 14), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((L, m)) for L in lengths]


@pytest.fixture(scope="module")
def linear_result():
    return analyze_network(_linear(), dt=DT, inputs=_series(2), budget=BUDGET, seed=0)


def test_linear_network_against_closed_forms(linear_result):
    """Common-random-number kicks of a linear chain are exact: the perturbation kernel is the
    analytic discrete one, the order-2 kernel vanishes, order 1 captures the mean output to
    rounding, and the time constants are -1/Re eig(W - Gamma)."""
    res, model = linear_result, _linear()
    L = res.plan.n_lags
    eig = np.linalg.eigvals(model.W - model.gamma_matrix)
    slow_steps = -1 / math.log(np.abs(1 + DT * eig).max())
    assert L == min(4 * 14, max(14, math.ceil(5 * slow_steps)))   # the window rule
    exact = sk.response.linear_response(model, dt=DT, n_lags=L, discrete=True)
    np.testing.assert_allclose(res.first["perturbation"].values, exact.values, atol=1e-10)
    assert np.abs(res.second["perturbation"].values).max() < 1e-10
    assert res.agreement[1].within >= 0.99 and res.agreement[2].within >= 0.99
    assert np.all(res.volterra.error1 < 1e-9) and np.all(res.volterra.error2 < 1e-9)
    np.testing.assert_allclose(np.sort(res.memory.time_constants), np.sort(-1 / eig.real))
    rob = res.robustness
    # the measured variance's SE is the spread of only 4 series, so gap / SE follows
    # Student's t with 3 degrees of freedom (over 30 seeds of the noise, mean z^2 2.5 to 3.5
    # per level and |z| > 4 on 4 % of the levels): 22.2, the 1 - 1e-4 quantile of t_3, is a
    # false-alarm rate of 1e-3 over the 5 independent levels
    gap = np.abs(rob.measured_variance - rob.predicted_variance)
    assert np.all(gap < 22.2 * np.hypot(rob.measured_variance_stderr,
                                        rob.predicted_variance_stderr))
    assert res.problems == []          # no order-2 or convergence complaints for a linear SRNN


def test_metrics_are_plain_json(linear_result):
    metrics = linear_result.metrics()
    text = json.dumps(metrics, allow_nan=False)
    assert json.loads(text)["source"] == "SRNN"
    assert metrics["order 1: entries"] == linear_result.plan.n_lags * 2 * 2
    assert "within 4 SE" in repr(linear_result)


def test_reproducible_from_the_seed():
    model = sk.SRNN.random(3, 1, n_outputs=2, noise=0.5, seed=0, input_mode="activation")
    a = analyze_network(model, dt=DT, budget=BUDGET, seed=7)
    b = analyze_network(model, dt=DT, budget=BUDGET, seed=7)
    assert a.metrics() == b.metrics()
    for order in ("first", "second"):
        for name, rf in getattr(a, order).items():
            np.testing.assert_array_equal(rf.values, getattr(b, order)[name].values)
    # a nonlinear network: the parts are consistent with each other
    assert a.inputs == "white noise" and a.volterra.n_series == a.plan.n_series
    assert a.agreement[1].within >= 0.99
    assert a.memory.lags.shape == (a.plan.n_lags,)
    assert a.robustness.predicted_variance.shape == (len(a.plan.noise_levels),)


def test_plan_grows_with_the_budget_and_respects_its_floors():
    model = sk.SRNN.random(16, 3, n_outputs=4, seed=0)
    kw = dict(n_steps=20, n_available=100, slow_steps=12.0, burn_in=200)
    small, big = (make_plan(model, 0.1, budget=b, **kw) for b in (1e-4, 4.0))
    assert small.perturbation_paths == MIN_PATHS1 and small.n_series == 8
    for key in ("perturbation_paths", "perturbation2_paths", "girsanov_steps", "n_series",
                "volterra_paths"):
        assert getattr(big, key) >= getattr(small, key)
    assert big.n_series == min(100, round(32 * math.sqrt(4.0)))
    assert small.n_lags == big.n_lags == 60         # five slowest time constants, within 4 N
    assert first_window(20, 1000.0) == 80 and first_window(20, 1.0) == 20
    assert first_window(None, math.inf) == 200
    total = sum(big.work.values())
    assert 0.5 * 40 * 4.0 < total < 2 * 40 * 4.0     # the parts share the budget


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(dt=None), ValueError, "dt"),
    (dict(dt=0.0), ValueError, "dt"),
    (dict(dt=DT, budget=0), ValueError, "budget"),
    (dict(dt=DT, targets=[0, 1]), TypeError, "targets"),
    (dict(dt=DT, inputs=np.zeros((2, 5, 3))), ValueError, "channel"),
])
def test_bad_inputs_for_an_srnn(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        analyze_network(_linear(), **kwargs)


def test_an_absurd_budget_is_refused_by_name_before_any_work():
    """Found by fuzzing: without data the white-noise test series grow like sqrt(budget), and
    budget=1e300 stopped inside NumPy ("Maximum allowed dimension exceeded"); budget=1e30
    would have asked for petabytes."""
    from srnnkit._validation import MemoryLimitError

    net = sk.SRNN(W=[[0.3]], C=[[1.0]], sigma=0.3, gamma=1.0, input_mode="activation")
    for budget in (1e300, 1e30):
        with pytest.raises(MemoryLimitError, match=r"budget=1e\+(300|30) is too large: the "
                           "white-noise test series"):
            analyze_network(net, dt=DT, budget=budget, seed=0)


def test_repr_without_a_girsanov_estimate():
    """Found by fuzzing: a noise matrix of rank < n (no Girsanov weights) printed
    'n_lags=..., ; 2 problem(s)'."""
    net = sk.SRNN(W=np.zeros((2, 2)), C=np.eye(2), sigma=[[0.3], [0.2]], gamma=1.0,
                  input_mode="activation")
    res = analyze_network(net, dt=DT, inputs=_series(2, (8, 8)), budget=BUDGET, seed=0)
    assert res.agreement == {}
    assert f"n_lags={res.plan.n_lags}, no Girsanov estimate; " in repr(res)


def test_bad_model():
    with pytest.raises(TypeError, match="model"):
        analyze_network(np.eye(2), dt=DT)



def test_a_network_without_a_stationary_law_says_so(monkeypatch):
    """A ReLU unit with self-excitation 1.5 against a leak 1 grows like exp(0.5 t) once
    active, and so does the identity network with the same weights. Both are refused before
    any simulation, with the far field's growth per step (1 + dt 0.5 = 1.05) and how to
    bound the weights (found by held-out checks: two torch.nn.RNN(nonlinearity="relu")
    trained by a user ran the analysis until the burn-in diverged; an identity network was
    refused only after 5 s of work)."""
    import srnnkit.analysis._analyze as mod

    def no_work(*args, **kwargs):
        raise AssertionError("simulated before refusing")

    monkeypatch.setattr(mod, "_check_mixing", no_work)
    for activation in ("relu", "identity"):
        net = sk.SRNN(W=[[1.5]], C=[[1.0]], sigma=0.3, gamma=1.0, activation=activation,
                      input_mode="activation")
        with pytest.raises(ValueError, match=r"(?s)model must be a network whose Euler.*"
                           r"stationary law.*far-field growth of 1.05 per step with dt = 0.1"
                           r".*spectral_norm"):
            analyze_network(net, dt=DT, budget=BUDGET, seed=0)


def test_relu_far_field_growth():
    """The far-field growth of a ReLU network follows the units that stay active: mutual
    inhibition W = [[0, -2], [-2, 0]] has an all-active eigenvalue 2 - 1 > 0 (direction
    (1, -1)), but a unit it would drive is switched off, so the far field contracts at the
    leak's rate 1 - dt (times a factor (k + 1)/k of the Jordan block after k steps) and the
    network is analysed; self-excitation 1.5 grows at
    1 + 0.5 dt; the identity's growth is the spectral radius of I + dt (W - gamma)."""
    from srnnkit.analysis._analyze import far_step_growth

    inhibit = sk.SRNN(W=[[0.0, -2.0], [-2.0, 0.0]], C=np.eye(2), sigma=0.3, gamma=1.0,
                      activation="relu", input_mode="activation")
    assert 1 - DT <= far_step_growth(inhibit, DT) < 1 - DT + 0.01
    res = analyze_network(inhibit, dt=DT, budget=BUDGET, seed=0)
    assert res.agreement[1].n_entries > 0
    excite = sk.SRNN(W=[[1.5, 0.0], [0.0, -1.0]], C=np.eye(2), sigma=0.3, gamma=1.0,
                     activation="relu", input_mode="activation")
    assert far_step_growth(excite, DT) == pytest.approx(1 + 0.5 * DT, abs=1e-9)
    linear = sk.SRNN(W=[[0.0, 3.0], [-3.0, 0.0]], C=np.eye(2), sigma=0.3, gamma=1.0,
                     activation="identity")
    assert far_step_growth(linear, DT) == pytest.approx(abs(1 + DT * complex(-1, 3)))


def test_an_expanding_euler_step_is_refused_before_any_simulation():
    # tanh network whose leak has a rotation of rate 5: |1 - dt(0.5 +- 5i)| > 1 at dt = 0.1
    # (far from the origin only -gamma h is left, so long runs grow without bound)
    net = sk.SRNN(W=np.zeros((2, 2)), C=np.eye(2), sigma=0.1,
                  gamma=[[0.5, 5.0], [-5.0, 0.5]], input_mode="activation")
    radius = abs(1 - DT * complex(0.5, 5.0))
    assert radius > 1.0
    # a trained network is read at its own step: the error also says how to train one whose
    # step contracts (found by held-out checks: a converted NoisyRNN was told only "use a
    # smaller dt", which reads another network)
    with pytest.raises(ValueError, match=rf"model.*smaller dt.*parameterization='dissipative'"
                       rf".*spectral radius {radius:.4g} with dt = 0.1"):
        analyze_network(net, dt=DT, budget=BUDGET)
    with pytest.raises(ValueError, match="model"):
        analyze_network(sk.SRNN(W=np.zeros((2, 2)), C=np.eye(2), sigma=0.1, gamma=[25.0, 1.0]),
                        dt=DT, budget=BUDGET)
    # the same rotation is fine at a step that contracts it
    assert analyze_network(net, dt=0.02, budget=BUDGET, seed=0).plan.n_lags > 0


def test_a_network_that_grows_at_any_step_is_told_so():
    """-gamma with a positive eigenvalue (0.5): no smaller dt helps, and the error says so
    rather than advising one (a reference-code Lipschitz RNN with its small shifts is such a
    network)."""
    net = sk.SRNN(W=np.zeros((2, 2)), C=np.eye(2), sigma=0.1, gamma=[[-0.5, 0.0], [0.0, 1.0]],
                  input_mode="activation")
    with pytest.raises(ValueError, match=r"real part 0.5 >= 0, so the network does not settle "
                       r"at any step.*spectral radius 1.05 with dt = 0.1"):
        analyze_network(net, dt=DT, budget=BUDGET)


@pytest.mark.parametrize("model, match", [
    (sk.SRNN(W=[[0.2]], C=[[1.0]], sigma=0.0, b=[0.1]), "sigma = 0"),
    (sk.SRNN(W=[[0.2]], C=[[1.0]], sigma=0.3, gamma=0.0, b=[0.1]), "does not settle"),
])
def test_a_network_without_noise_or_leak_is_refused_before_any_simulation(model, match):
    """Found by fuzzing: sigma = 0 was analysed into 'runs do not sample one law' with a
    ratio of 9e276, and gamma = 0 (a random walk far out) into inf time constants."""
    with pytest.raises(ValueError, match=match):
        analyze_network(model, dt=DT, budget=BUDGET, seed=0)


def test_targets_of_the_wrong_shape_or_nan_are_named():
    """Found by fuzzing: (10,) targets for a 2-output regressor gave a meaningless RMSE,
    (10, 3) crashed after the whole simulation, NaN targets gave NaN scores."""
    from srnnkit.learning import NoisyRNNClassifier, NoisyRNNRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 12, 3))
    Y = X[:, -3:, :2].mean(axis=1)
    reg = NoisyRNNRegressor(n_hidden=6, max_updates=30, random_state=0).fit(X, Y)
    for bad, what in ((Y[:10, 0], r"shape \(10, 2\)"), (np.c_[Y[:10], Y[:10, :1]], "shape"),
                      (np.full((10, 2), np.nan), "finite")):
        with pytest.raises(ValueError, match=f"targets.*{what}"):
            analyze_network(reg, inputs=X[:10], targets=bad, budget=BUDGET, seed=0)
    clf = NoisyRNNClassifier(n_hidden=6, max_updates=30, random_state=0).fit(
        X, (X[:, :, 0].mean(axis=1) > 0).astype(int))
    with pytest.raises(ValueError, match="targets must be a 1-D array"):
        analyze_network(clf, inputs=X[:4], targets=np.zeros((4, 1), int), budget=BUDGET)


def test_network_memory_refuses_a_step_other_than_the_kernels():
    """Found by fuzzing: dt = 0.5 for a kernel at dt = 0.1 kept the kernel's lags and fitted
    a rate 5x off without a word."""
    from srnnkit.analysis import network_memory

    m = sk.SRNN.random(3, 1, seed=0)
    r = sk.response.linear_response(m, dt=0.1, n_lags=20, method="perturbation", n_paths=200,
                                    seed=0)
    with pytest.raises(ValueError, match=r"dt must be the step of the kernel first \(0.1\)"):
        network_memory(m, 0.5, r)


def test_a_slowly_relaxing_network_is_warned_about_before_the_work():
    """Found by fuzzing: gamma = 1e-4 needs 5e6 burn-in steps per run whatever the budget,
    and budget=0.001 ran for minutes without a word."""
    import warnings

    slow = sk.SRNN(W=[[0.2]], C=[[1.0]], sigma=0.3, gamma=1e-3, b=[0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", sk.CostWarning)
        with pytest.raises(sk.CostWarning, match=r"relaxes slowly.*burn-in is 500000 steps"):
            analyze_network(slow, DT, budget=BUDGET, seed=0)


def test_exact_lag_0_entries_do_not_break_the_decay_fit():
    """An additive input's lag 0 is exact under common random numbers (SE 0): its weight
    overflowed (1/1e-300 squared) and the fitted decay rate came out NaN with warnings."""
    import warnings

    net = sk.SRNN(W=[[0.2]], C=[[1.0]], sigma=0.3, gamma=1.0, b=[0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = analyze_network(net, DT, budget=BUDGET, seed=0)
    assert math.isfinite(res.memory.fitted_rate)


def test_inputs_that_do_not_move_the_output_give_no_nan_metrics():
    """Found by fuzzing: all-zero inputs made every pooled Volterra error 0/0 = NaN (metrics()
    promises finite numbers; json with allow_nan=False failed) and the problem line read
    'order 2's error 0 does not beat order 1's 0'."""
    import warnings

    net = sk.SRNN.random(3, 2, seed=0, noise=0.3)
    with warnings.catch_warnings():     # 0/0 warned (found by fuzzing, a second time)
        warnings.simplefilter("error", RuntimeWarning)
        res = analyze_network(net, DT, inputs=np.zeros((4, 10, 2)), budget=BUDGET, seed=0)
    metrics = res.metrics()
    json.dumps(metrics, allow_nan=False)
    # the medians are undefined too (they read 0.0, a perfect capture), and the fit
    for key in ("order-1 error at 1 x data (pooled)", "order-1 error at 1 x data (median)",
                "order-2 error at 1 x data (median)", "order-2 fit at 1 x data (median)"):
        assert metrics[f"Volterra {key}"] is None, key
    assert any("do not move the mean output" in p for p in res.problems)
    # found by fuzzing: the Volterra figure's log axis had no positive error to draw, and
    # `srnnkit analyze --data` on all-zero series stopped with an internal error
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from srnnkit.analysis import plot_analysis

    for fig in plot_analysis(res).values():
        fig.savefig(io.BytesIO(), dpi=30)
        plt.close(fig)


def test_one_test_series_gives_unknown_not_nan_standard_errors():
    """Found by fuzzing: the robustness part's spread over one series was NaN, with NumPy's
    'degrees of freedom' warnings even under --quiet; it is inf (unknown) and the metrics
    say undefined."""
    import warnings

    net = sk.SRNN.random(3, 2, seed=0, noise=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = analyze_network(net, DT, inputs=np.random.default_rng(0).standard_normal(
            (1, 15, 2)), budget=BUDGET, seed=0)
    assert np.all(np.isinf(res.robustness.measured_variance_stderr))
    json.dumps(res.metrics(), allow_nan=False)
