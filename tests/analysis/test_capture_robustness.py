"""volterra_capture and robustness against closed forms on linear networks (where the
Euler-Maruyama chain's input response is exactly r1 * u, docs/theory.md §3) and the
expected scaling of the truncation errors on a nonlinear one."""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.analysis import predicted_output_covariance, robustness, volterra_capture
from srnnkit.analysis._ensemble import stationary_states
from tests.conftest import ou_model

DT = 0.1


def _exact(model, n1, n2):
    r1 = sk.response.linear_response(model, dt=DT, n_lags=n1, discrete=True)
    r2 = sk.response.second_order_response(model, dt=DT, n_lags=n2, discrete=True)
    r1.stderr, r2.stderr = np.zeros_like(r1.values), np.zeros_like(r2.values)
    return r1, r2


def _series(rng, lengths, m=1):
    return [rng.standard_normal((L, m)) for L in lengths]


def test_linear_network_order1_is_exact():
    """Common random numbers: the input-driven mean output of a linear chain is exactly
    sum_k dt r1(k) u(t-1-k), so order 1 (and 2, whose kernel is zero) capture it to rounding,
    on series of unequal lengths."""
    model = ou_model()
    r1, r2 = _exact(model, 30, 10)
    series = _series(np.random.default_rng(0), [12, 12, 7, 20])
    h0 = stationary_states(model, DT, 4 * 16, 1).reshape(4, 16, -1)
    cap = volterra_capture(model, DT, series, [(r1, r2), (r1, r2)], h0, seed=2)
    assert np.all(cap.error1 < 1e-12) and np.all(cap.error2 < 1e-12)
    assert cap.example["length"] == 12 and cap.ts.shape == (21,)
    n = cap.example["length"] + 1          # Y runs on past the end of the series; V1 stops
    np.testing.assert_allclose(cap.example["Y"][0, :n], cap.example["V1"][:n], atol=1e-12)


@pytest.mark.filterwarnings("ignore::srnnkit.CostWarning")
def test_nonlinear_errors_scale_with_the_order():
    """1-D tanh SRNN (docs/theory.md §9.5) with grid kernels (exact up to the grid): at small
    amplitudes e1 ~ eps and e2 ~ eps^2, so halving eps halves e1 and quarters e2, and order 2
    beats order 1. 20000 common-random-number paths put the noise floor below half of e2
    (checked)."""
    model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3], activation="tanh")
    r1 = sk.response.linear_response(model, dt=DT, n_lags=16, method="grid")
    r2 = sk.response.second_order_response(model, dt=DT, n_lags=16, method="grid")
    r1.stderr, r2.stderr = np.zeros_like(r1.values), np.zeros_like(r2.values)
    series = _series(np.random.default_rng(1), [16] * 6)
    h0 = stationary_states(model, DT, 6 * 20_000, 3).reshape(6, 20_000, -1)
    cap = volterra_capture(model, DT, series, [(r1, r2), (r1, r2)], h0,
                           amplitudes=(4.0, 2.0), seed=4)
    assert np.all(cap.error2 < cap.error1) and cap.converges.all()
    assert np.all(cap.floor < 0.5 * cap.error2)           # resolved
    np.testing.assert_allclose(cap.error1[1] / cap.error1[0], 0.5, atol=0.1)
    np.testing.assert_allclose(cap.error2[1] / cap.error2[0], 0.25, atol=0.1)
    # exact kernels: the order-2 term is what order 1 leaves, up to order 3 (0.93, 0.96)
    assert np.all(np.abs(cap.order2_fit - 1.0) < 0.15)


def test_predicted_covariance_by_hand():
    rng = np.random.default_rng(2)
    values = rng.standard_normal((7, 3, 2))
    r1 = sk.response.ResponseFunction(values, dt=0.2, discrete=True)
    s = np.array([0.5, 2.0])
    want = sum(0.04 * values[k] @ np.diag(s ** 2) @ values[k].T for k in range(5))
    np.testing.assert_allclose(predicted_output_covariance(r1, 5, s), want, rtol=1e-12)
    full = sum(0.04 * values[k] @ np.diag(s ** 2) @ values[k].T for k in range(7))
    np.testing.assert_allclose(predicted_output_covariance(r1, 50, s), full, rtol=1e-12)


def test_linear_network_measured_variance_matches_the_prediction():
    """Linear network: the noise changes the mean output by exactly sum_k dt r1(k) eta, so the
    measured variance (unbiased pair estimator) is an unbiased estimate of the prediction;
    it must be within 4 of its standard errors at every level."""
    model = ou_model()
    r1, _ = _exact(model, 40, 2)
    series = _series(np.random.default_rng(3), [20] * 16)
    h0 = stationary_states(model, DT, 16 * 8, 5).reshape(16, 8, -1)
    rob = robustness(model, DT, series, r1, h0, noise_levels=(0.1, 1.0), n_draws=16,
                     scale=[2.0], seed=6)
    gap = np.abs(rob.measured_variance - rob.predicted_variance)
    assert np.all(gap < 4 * rob.measured_variance_stderr)
    np.testing.assert_allclose(rob.predicted_variance[1] / rob.predicted_variance[0], 100)
    np.testing.assert_allclose(rob.ratio, 1.0, atol=0.3)


def test_a_diverging_chain_is_stopped_by_the_cores_bound():
    """The Monte Carlo truth uses the dynamics core's divergence rule: an unstable step
    (relu leak, dt = 2.5: |1 - dt| = 1.5) is stopped when it crosses the model's bound, long
    before it overflows, with the step, the path and the cause."""
    from srnnkit.analysis._ensemble import crn_outputs

    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, gamma=1.0, activation="relu")
    with pytest.raises(sk.DivergenceError, match=r"at step \d+ .*of the test inputs.*dt=2.5 "
                                                 r"is too large"):
        crn_outputs(model, 2.5, np.zeros((1, 1, 40, 1)), np.ones((1, 2, 1)), 0,
                    lambda chunk, j, F: None)


def test_an_odd_network_is_told_it_has_no_order_2_response():
    """Found by fuzzing: a tanh network without biases (no order-2 response; order 1's
    error falls fourfold per halving) was told the series does not converge and to raise
    the budget, which changed nothing."""
    from types import SimpleNamespace

    from srnnkit.analysis._result import _volterra_problems

    amps = np.array([1.0, 0.5, 0.25, 0.125])
    v = SimpleNamespace(converges_at_data=False, largest_converging=None, amplitudes=amps,
                        response_rms=np.ones(4), error1=0.53 * amps ** 1.95,
                        error2=0.533 * amps ** 1.95, floor=np.full(4, 0.004),
                        improved=np.full(4, 0.2), order2_fit=np.full(4, -120.0))
    (line,) = _volterra_problems(v)
    assert "no order-2 response" in line and "raise the budget" not in line
    # each error named by its order (found by fuzzing: "errors 0.867 and 0.37" put order
    # 1+2 first, where error1 comes first everywhere else, and read as the reverse)
    assert "order 1+2 0.533, order 1 0.53," in line
    v.error1 = 0.53 * amps                      # an order-2 response left: the old advice
    (line,) = _volterra_problems(v)
    assert "raise the budget" in line and "order 1+2 0.533, order 1 0.53," in line
