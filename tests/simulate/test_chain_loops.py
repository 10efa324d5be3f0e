"""The per-path loops of the dynamics core (``advance_chains``, ``run_chains``: the burn-in of
small ensembles and the estimators' stationary runs) against a plain-Python step with the same
operations in the same order.

The loops sum ``W h`` one dot product per unit below ``_COLUMNS_MIN`` units and column by
column from it (a vector loop over the units); both add ``W[k, 0] h[0], W[k, 1] h[1], ...``
in that order, so for the identity and ReLU activations the result must equal the Python
reference bit for bit on either side of the threshold, with a diagonal or full leak and
noise. For tanh (the loops' 2-ulp polynomial) the agreement is to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.dynamics._em_loops import (
    _COLUMNS_MIN,
    advance_chains,
    advance_rows,
    run_chains,
    run_rows,
    run_shared,
)
from srnnkit.dynamics._ensembles import chain_arrays
from srnnkit.dynamics._spec import step_arrays


def _model(n, activation, full):
    rng = np.random.default_rng(n)
    W = 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
    C = rng.standard_normal((n, 2))
    if full:
        gamma = np.eye(n) + 0.1 * rng.standard_normal((n, n)) / np.sqrt(n)
        sigma = 0.3 * np.tril(rng.uniform(0.5, 1.0, (n, n)))
    else:
        gamma, sigma = rng.uniform(0.5, 1.5, n), 0.3
    return sk.SRNN(W=W, C=C, sigma=sigma, gamma=gamma, b=0.1 * rng.standard_normal(n),
                   activation=activation)


def _step(h, x, drift, noise, a):
    """One Euler-Maruyama step in plain Python floats, in the loops' order of operations."""
    W, Gam, b, g, full_gamma, _act, dt = drift
    nd, LT, full_noise = noise
    n = h.size
    out = np.empty(n)
    for k in range(n):
        z = 0.0
        for j in range(n):
            z += float(W[k, j]) * float(h[j])
        if full_gamma:
            gam = 0.0
            for j in range(n):
                gam += float(Gam[k, j]) * float(h[j])
        else:
            gam = float(g[k]) * float(h[k])
        hn = float(h[k]) + dt * (a(z + float(b[k])) - gam + 0.0)
        if full_noise:
            e = 0.0
            for i in range(LT.shape[0]):
                e += float(x[i]) * float(LT[i, k])
            hn += e
        else:
            hn += float(nd[k]) * float(x[k])
        out[k] = hn
    return out


@pytest.mark.parametrize("n", [_COLUMNS_MIN - 3, _COLUMNS_MIN + 5])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("activation", ["identity", "relu", "tanh"])
def test_per_path_loops_equal_a_plain_python_step(n, full, activation):
    model = _model(n, activation, full)
    drift, noise = chain_arrays(model, 0.05)
    B, L = 3, 6
    rng = np.random.default_rng(7)
    h0 = 0.5 * rng.standard_normal((B, n))
    xi = rng.standard_normal((B, L, model.n_noise))
    a = {"identity": lambda z: z, "relu": lambda z: z if z > 0.0 else 0.0,
         "tanh": np.tanh}[activation]
    ref = np.empty((B, L + 1, n))
    for p in range(B):
        ref[p, 0] = h0[p]
        for t in range(L):
            ref[p, t + 1] = _step(ref[p, t], xi[p, t], drift, noise, a)
    out = np.empty((B, L + 1, n))
    assert run_chains(h0, xi, drift, noise, out, 1e6) == -1
    h = h0.copy()
    assert advance_chains(h, xi, drift, noise, 1e6) == -1
    np.testing.assert_array_equal(h, out[:, -1])
    # unit-major layout: the same operations per path, the same bits as the per-path loop
    outT = np.empty((L + 1, n, B))
    xiT = np.ascontiguousarray(xi.transpose(1, 2, 0))
    assert run_rows(np.ascontiguousarray(h0.T), xiT, drift, noise, outT, 1e6) == -1
    np.testing.assert_array_equal(outT.transpose(2, 0, 1), out)
    hT = np.ascontiguousarray(h0.T)
    assert advance_rows(hT, xiT, drift, noise, 1e6) == -1
    np.testing.assert_array_equal(hT.T, out[:, -1])
    if activation == "tanh":
        np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-14)
    else:
        np.testing.assert_array_equal(out, ref)


def test_per_path_loops_report_the_first_state_out_of_bounds():
    model = _model(_COLUMNS_MIN + 2, "identity", False)
    drift, noise = chain_arrays(model, 0.05)
    xi = np.zeros((2, 5, model.n_noise))
    h0 = np.zeros((2, model.n_hidden))
    h0[1, 3] = 10.0                      # path 1 starts beyond the bound 5 ...
    out = np.empty((2, 6, model.n_hidden))
    # ... and its first state past the start is the first one out of bounds
    assert run_chains(h0, xi, drift, noise, out, 5.0) == 1 * 6 + 1
    h = h0.copy()
    assert advance_chains(h, xi, drift, noise, 5.0) == 1 * 5 + 0


@pytest.mark.parametrize("n", [3, 12])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("activation", ["identity", "relu", "tanh"])
def test_shared_noise_block_loop_equals_the_per_path_loop(n, full, activation):
    """``run_shared``: groups of ``rows`` paths driven by one group's normals, by the block
    loop's product kernel (fused multiply-adds: equal to the per-path loop to rounding)."""
    model = _model(n, activation, full)
    drift, noise = chain_arrays(model, 0.05)
    st = step_arrays(model, 0.05, affine=False)
    K, rows, L = 3, 5, 7
    rng = np.random.default_rng(3)
    h0 = 0.5 * rng.standard_normal((K * rows, n))
    xk = rng.standard_normal((K, L, model.n_noise))
    ref = np.empty((K * rows, L + 1, n))
    assert run_chains(h0, np.repeat(xk, rows, axis=0), drift, noise, ref, 1e6) == -1
    out = np.empty((L + 1, K * rows, n))
    H = h0.copy()
    assert run_shared(H, np.ascontiguousarray(xk.transpose(1, 0, 2)), rows, st.block_drift,
                      st.noise, out, 1e6) == -1
    np.testing.assert_allclose(out.transpose(1, 0, 2), ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(H, out[-1])
    h0[7, 1] = 10.0                       # path 7 starts beyond the bound 5
    assert run_shared(h0.copy(), np.zeros((L, K, model.n_noise)), rows, st.block_drift,
                      st.noise, out, 5.0) == 7 * (L + 1) + 1
