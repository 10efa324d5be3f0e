"""The mixed second-order estimator (pathwise derivative for the later kick, likelihood-ratio
weight for the earlier one; docs/theory.md §7, §11).

References: the exact grid kernels of 1-D SRNNs (both input modes, linear and tanh readouts),
the closed form of a linear SRNN with a quadratic readout (docs/theory.md (3.1)), and
double-kick perturbation on two-input networks. Estimates within 4 of their standard errors
(4.5 for maps of 50+ entries), plus 1e-8 where the exact value is zero and the estimate is
exactly zero too; fixed seeds.
"""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response


def close(est, exact, k=4.0):
    err = np.abs(est.values - (exact.values if hasattr(exact, "values") else exact))
    return np.all(err <= k * est.stderr + 1e-8), (err / np.maximum(est.stderr, 1e-300)).max()


@pytest.mark.parametrize("mode, readout", [("additive", None), ("activation", None),
                                           ("additive", np.tanh), ("activation", np.tanh)])
def test_mixed_matches_the_grid(mode, readout):
    model = sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1], readout=readout,
                    input_mode=mode)
    exact = R.GridChain(model, dt=0.02).second_order_response(8)
    est = R.second_order_response(model, dt=0.02, n_lags=8, method="mixed", n_chains=16,
                                  n_steps=10_000, seed=1)
    ok, worst = close(est, exact, 4.5)
    assert ok, worst
    # far sharper than two Girsanov weights (variance ~1/dt instead of ~1/dt^2)
    gir = R.second_order_response(model, dt=0.02, n_lags=8, method="girsanov", n_chains=16,
                                  n_steps=10_000, seed=1)
    assert np.median(est.stderr[:, 1:]) < 0.2 * np.median(gir.stderr[:, 1:])


def test_mixed_matches_the_quadratic_closed_form(ou_quad):
    exact = R.second_order_response(ou_quad, dt=0.05, n_lags=6, discrete=True)
    est = R.second_order_response(ou_quad, dt=0.05, n_lags=6, method="mixed", n_chains=8,
                                  n_steps=20_000, seed=2)
    ok, worst = close(est, exact)
    assert ok, worst


def test_mixed_agrees_with_double_kicks_on_two_inputs(tanh2d):
    """Two inputs, two outputs, additive input: every (k1, k2, i, a, b) within 4.5 SE."""
    kw = dict(dt=0.05, n_lags=4, burn_in=400)
    est = R.second_order_response(tanh2d, method="mixed", n_chains=16, n_steps=20_000, seed=3,
                                  **kw)
    ref = R.second_order_response(tanh2d, method="perturbation", n_paths=4000, seed=4, **kw)
    ok, worst = close(est, ref.values, 4.5)     # ref's own SE is ~0.1x est's: negligible
    assert ok, worst


def test_mixed_agrees_with_double_kicks_inside_the_activation():
    """Input inside the activation, two inputs: the coincident column carries the pathwise
    H_ab part, cross pairs (a != b) included."""
    model = sk.SRNN(W=[[0.3, -0.5], [0.4, 0.2]], C=[[1.0, 0.2], [-0.3, 0.8]],
                    sigma=[[0.5, 0.1, 0.2], [0.0, 0.4, -0.1]], gamma=1.0, b=[0.1, -0.2],
                    readout=[[1.0, -0.5]], input_mode="activation")
    kw = dict(dt=0.05, n_lags=4, burn_in=400)
    est = R.second_order_response(model, method="mixed", n_chains=16, n_steps=20_000, seed=5,
                                  **kw)
    ref = R.second_order_response(model, method="perturbation", n_paths=4000, seed=6, **kw)
    err = np.abs(est.values - ref.values)
    assert np.all(err <= 4.5 * np.hypot(est.stderr, ref.stderr) + 1e-8)


def test_mixed_is_reproducible_and_needs_noise_on_the_inputs(tanh2d):
    kw = dict(dt=0.05, n_lags=3, method="mixed", n_chains=6, n_steps=1000, seed=7, burn_in=50)
    a = R.second_order_response(tanh2d, **kw)
    b = R.second_order_response(tanh2d, n_jobs=2, **kw)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.stderr, b.stderr)
    assert a.method == "mixed" and a.info["n_chains"] == 6
    hypo = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=[[0.5], [0.0]],
                   gamma=1.0, activation="identity")
    with pytest.raises(ValueError, match="range"):
        R.second_order_response(hypo, dt=0.05, n_lags=3, method="mixed")


@pytest.mark.slow
def test_mixed_standard_error_is_calibrated():
    """Over 100 seeds the spread equals the reported standard error (ratio in [0.8, 1.25]; a
    100-sample spread is uncertain by ~7 %, and the entries move together) and the mean is
    within 4 SE of the grid."""
    model = sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1],
                    input_mode="activation")
    exact = R.GridChain(model, dt=0.02).second_order_response(6).values[..., 0, 0, 0]
    runs = [R.second_order_response(model, dt=0.02, n_lags=6, method="mixed", n_chains=16,
                                    n_steps=2500, seed=300 + s) for s in range(100)]
    vals = np.array([r.values[..., 0, 0, 0] for r in runs])
    se = np.sqrt((np.array([r.stderr[..., 0, 0, 0] for r in runs]) ** 2).mean(axis=0))
    ratio = vals.std(axis=0, ddof=1) / se
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    z = (vals.mean(axis=0) - exact) / (vals.std(axis=0, ddof=1) / np.sqrt(100))
    assert np.abs(z).max() < 4, z


# ------------------------------------------------------------- pathwise (first order)
@pytest.mark.parametrize("mode, readout", [("additive", None), ("activation", np.tanh)])
def test_pathwise_matches_the_grid(mode, readout):
    model = sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1], readout=readout,
                    input_mode=mode)
    exact = R.GridChain(model, dt=0.02).linear_response(101)
    est = R.linear_response(model, dt=0.02, n_lags=101, method="pathwise", n_chains=16,
                            n_steps=10_000, seed=2)
    ok, worst = close(est, exact)
    assert ok, worst
    assert est.info["kick_stride"] == 10 and est.stderr.max() < 0.01


def test_pathwise_is_exact_for_a_linear_srnn(ou):
    """Linear drift, additive noise: the tangent does not depend on the path."""
    exact = R.linear_response(ou, dt=0.05, n_lags=30, discrete=True)
    est = R.linear_response(ou, dt=0.05, n_lags=30, method="pathwise", n_chains=2,
                            n_steps=500, seed=0)
    np.testing.assert_allclose(est.values, exact.values, atol=1e-12)


def test_pathwise_agrees_with_perturbation_and_needs_no_noise_on_the_inputs(tanh2d):
    kw = dict(dt=0.05, n_lags=20, burn_in=400)
    est = R.linear_response(tanh2d, method="pathwise", n_chains=16, n_steps=10_000, seed=3,
                            **kw)
    ref = R.linear_response(tanh2d, method="perturbation", n_paths=4000, seed=4, **kw)
    err = np.abs(est.values - ref.values)
    assert np.all(err <= 4.5 * np.hypot(est.stderr, ref.stderr) + 1e-8)
    # C outside range(sigma): no Girsanov weights, but the tangent exists
    hypo = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=[[0.5], [0.0]],
                   gamma=1.0, activation="identity", readout=[[1.0, 0.5]])
    exact = R.linear_response(hypo, dt=0.05, n_lags=5, discrete=True)
    got = R.linear_response(hypo, dt=0.05, n_lags=5, method="pathwise", n_chains=2,
                            n_steps=200, seed=0, n_jobs=2)
    np.testing.assert_allclose(got.values, exact.values, atol=1e-12)
