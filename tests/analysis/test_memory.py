"""network_memory and linearized_drift against closed forms (docs/theory.md §3) and finite
differences of the drift."""

from __future__ import annotations

import math

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.analysis import linearized_drift, network_memory
from tests.conftest import ou_model


@pytest.mark.parametrize("mode", ["additive", "activation"])
def test_linearized_drift_is_the_jacobian(mode):
    model = sk.SRNN.random(5, 2, seed=3, input_mode=mode, gamma=[1.0, 2.0, 0.5, 1.0, 1.5])
    h = np.random.default_rng(1).standard_normal(5)
    eps = 1e-6
    fd = np.stack([(model.drift(h + eps * e) - model.drift(h - eps * e)) / (2 * eps)
                   for e in np.eye(5)], axis=1)
    np.testing.assert_allclose(linearized_drift(model, h), fd, atol=1e-8)


def test_single_mode_closed_form():
    """h' = -1.5 h + u: r1(k) = 0.85**k at dt = 0.1, tau = 1/1.5, kappa = -log(0.85)/dt, and
    the norm first stays below 5 % of its maximum at k = ceil(log 0.05 / log 0.85) = 19."""
    model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    dt = 0.1
    r1 = sk.response.linear_response(model, dt=dt, n_lags=60, discrete=True)
    mem = network_memory(model, dt, r1)
    np.testing.assert_allclose(mem.time_constants, [1 / 1.5])
    np.testing.assert_allclose(mem.linear_rate, -math.log(0.85) / dt)
    np.testing.assert_allclose(mem.fitted_rate, -math.log(0.85) / dt, rtol=1e-10)
    np.testing.assert_allclose(mem.norm, 0.85 ** np.arange(60), rtol=1e-12)
    k = math.ceil(math.log(0.05) / math.log(0.85))
    np.testing.assert_allclose(mem.memory_length, k * dt)
    assert mem.fitted_rate_stderr is None             # an exact kernel
    # a window too short for the decay: no memory length
    short = sk.response.linear_response(model, dt=dt, n_lags=10, discrete=True)
    assert network_memory(model, dt, short).memory_length is None


def test_two_unit_network_time_constants():
    """The OU network of docs/theory.md §9.1: J = W - Gamma; the kernel's decay rate is the
    slowest mode's -log|1 + dt lambda| / dt (both modes share the real part here)."""
    model = ou_model()
    dt = 0.05
    eig = np.linalg.eigvals(model.W - model.gamma_matrix)
    mem = network_memory(model, dt, sk.response.linear_response(model, dt=dt, n_lags=400,
                                                                discrete=True))
    np.testing.assert_allclose(np.sort(mem.time_constants),
                               np.sort(-1 / eig.real), rtol=1e-12)
    slow = eig[np.argmax(eig.real)]
    np.testing.assert_allclose(mem.linear_rate, -math.log(abs(1 + dt * slow)) / dt)


def test_fit_from_a_monte_carlo_kernel_within_its_stderr():
    """Perturbation kernel of the single-mode network (seeded): the fitted rate is within 4
    of its SE of the exact -log(0.85)/dt, and its SE is finite."""
    model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    dt = 0.1
    r1 = sk.response.linear_response(model, dt=dt, n_lags=40, method="girsanov",
                                     n_chains=8, n_steps=4000, seed=0)
    mem = network_memory(model, dt, r1)
    assert mem.fitted_rate_stderr is not None and mem.fitted_rate_stderr > 0
    assert abs(mem.fitted_rate + math.log(0.85) / dt) < 4 * mem.fitted_rate_stderr
