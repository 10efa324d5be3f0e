"""Numerical guards: overflow and divergence raise clear errors, never a silent NaN/inf."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.features import LegendreBasis, MonomialBasis
from srnnkit.readouts import Quadratic


def _long_large_path(amplitude, n_points=400, d=2, seed=0):
    return amplitude * np.random.default_rng(seed).standard_normal((n_points, d)).cumsum(0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_signature_overflow_raises_with_remedy(dtype):
    path = _long_large_path(1e45 if dtype == np.float64 else 1e8).astype(dtype)
    with pytest.raises(ValueError, match="signature overflowed") as info:
        sk.signature(path, 8)
    msg = str(info.value)
    assert "rescale the path" in msg and "lower the depth" in msg
    assert ("float32 overflows" in msg) == (dtype == np.float32)
    # the remedy works: the rescaled path has a finite signature, and by homogeneity
    # (level k scales like c**k) it encodes the same information
    scale = np.abs(np.diff(path.astype(np.float64), axis=0)).max()
    sig = sk.signature(path / dtype(scale), 8)
    assert np.isfinite(sig).all()


def test_signature_stream_overflow_raises():
    with pytest.raises(ValueError, match="overflowed"):
        sk.signature(_long_large_path(1e60), 6, stream=True)


def test_signature_just_below_overflow_is_finite():
    # one straight segment: level k is x**k / k!, largest at k = depth for x >> depth
    x = 1e38
    sig = sk.signature(np.array([[0.0], [x]]), 8)
    np.testing.assert_allclose(sig[-1], x**8 / 40320.0, rtol=1e-12)
    with pytest.raises(ValueError, match="overflowed"):
        sk.signature(np.array([[0.0], [1e40]]), 8)      # 1e320 / 8! > 1.8e308


def test_response_features_overflow_raises():
    u = 1e80 * np.ones((50, 1))
    with pytest.raises(ValueError, match=r"response_features overflowed.*rescale the inputs"):
        sk.response_features(u, dt=1.0, basis=MonomialBasis(2), depth=4)


def test_kernel_overflow_raises():
    X = _long_large_path(50.0, n_points=60)[None]
    with pytest.raises(ValueError, match=r"signature_kernel overflowed.*rescale the paths"):
        sk.kernels.signature_kernel(X)
    U = 1e3 * np.ones((1, 40, 1))
    with pytest.raises(ValueError, match=r"response_kernel overflowed.*rescale the inputs"):
        sk.kernels.response_kernel(U, dt=1.0, basis=LegendreBasis(1, 40.0))


def _reference_divergence_step(a, dt, h0, bound, n_steps):
    """First step k whose state of the deterministic chain h <- (1 + dt*a) h is beyond the
    bound (or not finite)."""
    h = np.float64(h0)
    with np.errstate(over="ignore"):
        for k in range(1, n_steps + 1):
            h = h + dt * (a * h)
            if not abs(h) <= bound:
                return k
    return None


@pytest.mark.parametrize(("a", "dt"), [(50.0, 0.5), (3.0, 0.9), (0.05, 1.0)])
def test_divergence_error_names_the_step(a, dt):
    # linear SRNN without noise: dh = (-gamma + w) h dt, so h_k = (1 + dt*a)**k h_0; its
    # divergence bound is 100 times its state scale, here |h_0| (no bias, input or noise)
    with pytest.warns(sk.DissipativityWarning, match="not Hurwitz"):
        model = sk.SRNN(W=[[a + 1.0]], C=[[0.0]], sigma=0.0, gamma=1.0, activation="identity")
    bound = sk.dynamics.state_bound(model, dt, h0=[[1.0]]).base
    assert bound == 100.0
    n_steps = 2000
    step = _reference_divergence_step(a, dt, 1.0, bound, n_steps)
    assert step is not None
    with pytest.raises(sk.DivergenceError) as info:
        sk.simulate(model, None, n_steps=n_steps, dt=dt, h0=[1.0])
    msg = str(info.value)
    found = re.search(r"at step (\d+) \(t = ([0-9.e+]+)\) of path 0", msg)
    assert found, msg
    assert int(found.group(1)) == step              # (0.05, 1.0): step 95, a later window
    assert float(found.group(2)) == pytest.approx(step * dt)
    assert "not dissipative" in msg and f"exp({a:.3g} t)" in msg


@pytest.mark.parametrize("dt", [5.0, 2.5])
def test_unstable_dt_is_caught_early_with_its_cause(dt):
    """The example of the issue: a random tanh network at dt=5.0 returned 1e64 silently."""
    model = sk.SRNN.random(8, 2, n_outputs=1, spectral_radius=0.9, input_scale=1.0, noise=0.1,
                           gamma=1.0, density=1.0, bias_scale=0.0, activation="tanh", seed=0)
    with pytest.raises(sk.DivergenceError) as info:
        sk.simulate(model, np.zeros((100, 2)), dt=dt, n_paths=64, seed=0)
    msg = str(info.value)
    step = int(re.search(r"step (-?\d+)", msg).group(1))
    assert -20 <= step <= 0 and "burn-in" in msg               # within a few steps
    assert re.search(r"of path \d+", msg)
    assert f"dt={dt:g} is too large" in msg and "use dt < 1." in msg


def test_relu_network_with_large_weights_is_not_dissipative():
    model = sk.SRNN.random(8, 2, n_outputs=1, spectral_radius=3.0, input_scale=1.0, noise=0.1,
                           gamma=1.0, density=1.0, bias_scale=0.0, activation="relu", seed=0)
    with pytest.raises(sk.DivergenceError, match="weights are not dissipative"):
        sk.simulate(model, np.zeros((100, 2)), dt=0.01, n_paths=16, seed=0)


def test_estimators_raise_divergence_with_the_path():
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, gamma=1.0)       # tanh, dt * gamma = 2.5
    R = sk.response
    for call in (lambda: R.linear_response(model, dt=2.5, n_lags=20, method="perturbation",
                                           n_paths=300, seed=0),
                 lambda: R.linear_response(model, dt=2.5, n_lags=3, method="girsanov",
                                           n_chains=2, n_steps=200, seed=0),
                 lambda: R.volterra_terms(model, np.ones((20, 1)), dt=2.5, n_paths=10, seed=0,
                                          burn_in=0)):
        with pytest.raises(sk.DivergenceError, match=r"diverged at .*step -?\d+.* of path \d+"
                           r".*dt=2.5 is too large"):
            call()


def test_divergence_in_burn_in():
    with pytest.warns(sk.DissipativityWarning):
        model = sk.SRNN(W=[[4.0]], C=[[1.0]], sigma=0.1, gamma=1.0, activation="relu",
                        b=[1.0])
    with pytest.raises(sk.DivergenceError, match="burn-in"):
        sk.simulate(model, np.zeros((5, 1)), dt=0.5, burn_in=5000, seed=0)


def test_divergence_is_an_arithmetic_error_not_a_value_error():
    assert issubclass(sk.DivergenceError, FloatingPointError)
    assert not issubclass(sk.DivergenceError, ValueError)


def test_readout_overflow_raises():
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.0, gamma=1.0, readout=Quadratic([[1.0]]))
    with pytest.raises(sk.DivergenceError, match="readout"):
        sk.simulate(model, np.zeros((3, 1)), dt=0.1, h0=[1e160])
    # a finite readout of the same states is fine
    model2 = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.0, gamma=1.0)
    traj = sk.simulate(model2, np.zeros((3, 1)), dt=0.1, h0=[1e160])
    assert np.isfinite(traj.mean).all()


# found by fuzzing (respfuzz): a tanh network whose leak -gamma has an eigenvalue 0.2 +- i has
# no stationary law, but the default burn-in (leak-rate fallback: 223 steps at dt=0.05) ended
# before the growing transient reached the divergence bound, and perturbation returned kernels
# with standard errors (values[0] = 1, SE 1e-13 additive; 0.18 +- 0.008 inside the activation)
@pytest.mark.parametrize("input_mode", ["additive", "activation"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_estimators_refuse_a_bounded_network_without_stationary_law(input_mode, activation):
    gamma = [[-0.2, 1.0, 0.0], [-1.0, -0.2, 0.0], [0.0, 0.0, 1.0]]
    with pytest.warns(sk.DissipativityWarning):
        model = sk.SRNN(W=0.1 * np.eye(3), C=np.ones((3, 2)), sigma=0.3, gamma=gamma,
                        activation=activation, input_mode=input_mode)
    R = sk.response
    calls = [lambda: R.linear_response(model, dt=0.05, n_lags=11, method="perturbation",
                                       n_paths=64, seed=0),
             lambda: R.linear_response(model, dt=0.05, n_lags=11, method="perturbation",
                                       n_paths=64, seed=0, burn_in=10),
             lambda: R.second_order_response(model, dt=0.05, n_lags=5, method="perturbation",
                                             n_paths=8, seed=0),
             lambda: R.linear_response(model, dt=0.05, n_lags=11, method="girsanov",
                                       n_chains=2, n_steps=200, seed=0)]
    for call in calls:
        with pytest.raises(ValueError, match=r"no eigenvalue of -gamma with a positive real "
                                             r"part.*real part 0\.2\b"):
            call()


def test_a_marginal_or_stable_non_normal_leak_is_not_refused():
    # gamma = 0 with a restoring tanh (dh = tanh(-h) dt + sigma dB) has a stationary law;
    # so has a stable non-normal gamma whose symmetric part is indefinite
    with pytest.warns(sk.DissipativityWarning):
        marginal = sk.SRNN(W=[[-1.0]], C=[[1.0]], sigma=0.5, gamma=0.0)
    with warnings.catch_warnings():          # it has a stationary law: no warning (a
        warnings.simplefilter("error")      # Lyapunov norm makes it dissipative)
        non_normal = sk.SRNN(W=0.1 * np.eye(2), C=np.ones((2, 1)), sigma=0.3,
                             gamma=[[0.5, 4.0], [0.0, 0.5]], input_mode="activation")
    for model in (marginal, non_normal):
        rf = sk.response.linear_response(model, dt=0.05, n_lags=5, method="perturbation",
                                         n_paths=32, seed=0, burn_in=50)
        assert np.all(np.isfinite(rf.values))


# found by the repro/bad-input sweep: VolterraSeries.predict of inputs of 1e160 returned 12
# NaN/inf of 14 entries without a word (the FFT contraction overflowed); the signature
# product returned inf
@pytest.mark.parametrize("amplitude", [1e160, 1e300])
def test_volterra_prediction_overflow_raises(amplitude):
    model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5,
                    activation="identity")
    series = sk.response.VolterraSeries.from_model(model, 2, dt=0.1, n_lags=8)
    u = np.ones((6, 1))
    assert np.isfinite(series.predict(1e150 * u)).all()            # large but finite: fine
    for call in (series.predict, series.terms):
        with pytest.raises(ValueError, match=r"VolterraSeries\.terms overflowed.*rescale the "
                                             r"inputs"):
            call(amplitude * u)


def test_signature_combine_overflow_raises():
    from srnnkit.signatures import signature_combine

    big = np.full(6, 1e200)                      # level 2 of the product: 1e400
    with pytest.raises(ValueError, match=r"signature_combine overflowed.*rescale the paths"):
        signature_combine(big, big, 2, 2)
    assert np.isfinite(signature_combine(big / 1e60, big / 1e60, 2, 2)).all()


@pytest.mark.parametrize(("basis", "t"), [
    (LegendreBasis(3, 1e-300), [0.0, 0.5, 1.0]),        # degree 3 over a tiny T: 1e900
    (sk.features.ExponentialBasis([-1e3]), [0.0, 10.0]),  # a negative rate: e^(1e4)
    (MonomialBasis(3), [1e200]),
])
def test_basis_overflow_raises(basis, t):
    with pytest.raises(ValueError, match=rf"{type(basis).__name__}\(t\) overflowed.*smaller "
                                         r"times"):
        basis(np.array(t))
    assert np.isfinite(basis(np.array([0.0]))).all()


@pytest.mark.parametrize("score", ["learned", "gaussian"])
def test_fdt_readout_nan_names_the_readout(score):
    """A readout that returns NaN on some states: the learned score, which takes a nonlinear
    readout's outputs as features, failed with numpy's LinAlgError inside its fit."""
    from srnnkit.response import linear_response

    def readout(h):
        out = np.tanh(h[..., :1]).copy()
        out[h[..., 0] > 1.0] = np.nan
        return out

    model = sk.SRNN(0.5 * np.eye(2), np.ones((2, 1)), 0.8, readout=readout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"model\.readout must be a readout that returns "
                                             r"finite values \(method='fdt'"):
            linear_response(model, dt=0.1, n_lags=5, method="fdt", score=score, n_chains=4,
                            n_steps=2000, seed=0)
