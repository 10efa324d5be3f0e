"""Numerical guards: overflow and divergence raise clear errors, never a silent NaN/inf."""

from __future__ import annotations

import re

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


def _reference_divergence_step(a, dt, h0, n_steps):
    """First step k with a non-finite state of the deterministic chain h <- (1 + dt*a) h."""
    h = np.float64(h0)
    with np.errstate(over="ignore"):
        for k in range(1, n_steps + 1):
            h = h + dt * (a * h)
            if not np.isfinite(h):
                return k
    return None


@pytest.mark.parametrize(("a", "dt"), [(50.0, 0.5), (3.0, 0.9), (1.0, 2.0)])
def test_divergence_error_names_the_step(a, dt):
    # linear SRNN without noise: dh = (-gamma + w) h dt, so h_k = (1 + dt*a)**k h_0
    with pytest.warns(sk.DissipativityWarning, match="not Hurwitz"):
        model = sk.SRNN(W=[[a + 1.0]], C=[[0.0]], sigma=0.0, gamma=1.0, activation="identity")
    n_steps = 2000
    step = _reference_divergence_step(a, dt, 1.0, n_steps)
    assert step is not None and step > 64         # beyond the first 64-step window
    with pytest.raises(sk.DivergenceError) as info:
        sk.simulate(model, None, n_steps=n_steps, dt=dt, h0=[1.0])
    found = re.search(r"at step (\d+) \(t = ([0-9.e+]+)\)", str(info.value))
    assert found, str(info.value)
    assert int(found.group(1)) == step
    assert float(found.group(2)) == pytest.approx(step * dt)
    assert "smaller dt" in str(info.value)


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
