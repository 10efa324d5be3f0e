"""Second-order perturbation's doubly kicked copies in the compiled loops
(``response/_double.py``): against a plain NumPy replay of the step-by-step algorithm, for
both input modes, both compiled layouts, a linear network and several outputs."""

import re

import numpy as np
import pytest
from response_reference import wide_srnn

import srnnkit as sk
from srnnkit.dynamics import batch_moments, stationary_sampler
from srnnkit.response import _double

R = sk.response


def _replay(model, dt, n_lags, n_paths, seed, eps, burn):
    """One block by hand: the library's stationary draws, then every step in NumPy with one
    set of normals per step shared by all copies (drawn step by step), kicks as
    docs/theory.md §7a and §11 say; returns the samples (n_lags, n_lags, m, m, N, p)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    h0 = stationary_sampler(model, dt, burn)(rng, n_paths, 0)
    step = sk.dynamics.EulerStep(model, dt)
    m, L = model.n_inputs, n_lags
    in_drift = model.input_mode == "activation" and not model.is_linear
    kick = eps * np.eye(m) if in_drift else eps * model.C.T
    sgn = (1.0, -1.0)
    vals = np.zeros((L, L, m, m, n_paths, model.n_outputs))
    # copies[(g, s, b, t, a)]: kicked s*eps at 0 on channel b, t*eps at g on channel a
    first = {(s, b): None for s in range(2) for b in range(m)}
    copies = {}
    for j in range(2 * L - 1):
        xi = rng.standard_normal((n_paths, step.r)) if (in_drift or j < 2 * L - 2) else None
        if in_drift:
            for key, h in list(copies.items()):
                copies[key] = step(h, xi)
            for (s, b) in first:
                base = h0 if j == 0 else first[(s, b)]
                if j < L:
                    for t in range(2):
                        for a in range(m):
                            u = sgn[t] * kick[a] + (sgn[s] * kick[b] if j == 0 else 0.0)
                            copies[(j, s, b, t, a)] = step(base, xi, u=np.broadcast_to(
                                u, (n_paths, m)))
                    if j == 0:
                        first[(s, b)] = step(h0, xi, u=np.broadcast_to(sgn[s] * kick[b],
                                                                       (n_paths, m)))
                    elif j + 1 < L:
                        first[(s, b)] = step(base, xi)
        else:
            for (s, b) in first:
                if first[(s, b)] is None:
                    first[(s, b)] = h0 + sgn[s] * kick[b]
                if j < L:
                    for t in range(2):
                        for a in range(m):
                            copies[(j, s, b, t, a)] = first[(s, b)] + sgn[t] * kick[a]
        for (g, s, b, t, a), h in copies.items():
            k = j - g
            if 0 <= k < L:
                w = sgn[s] * sgn[t] / (4 * eps * eps) / (dt * dt if in_drift else 1.0)
                vals[k, g, a, b] += w * model.output(h)
        if not in_drift and xi is not None:
            copies = {key: step(h, xi) for key, h in copies.items()}
            first = {key: step(h, xi) for key, h in first.items()}
    return vals


def _wide(mode, activation="tanh"):
    """The 5-unit network of `wide_srnn` with 2 inputs (seed 5)."""
    return wide_srnn(mode, activation, 2, 5)


MODELS = {
    "1 unit, additive": lambda: sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3]),
    "2 units, in the activation": lambda: sk.SRNN(
        W=[[0.3, -0.5], [0.4, 0.2]], C=[[1.0, 0.0], [0.5, 0.8]], sigma=0.5, b=[0.1, -0.2],
        activation="sigmoid", input_mode="activation"),
    "5 units, additive": lambda: _wide("additive", "relu"),
    "5 units, in the activation": lambda: _wide("activation"),
    "linear, quadratic readout, exact draws": lambda: sk.SRNN(
        W=[[0.2, 0.1], [0.0, -0.3]], C=[[1.0], [0.5]], sigma=0.5, activation="identity",
        readout=sk.readouts.Quadratic([[1.0, 0.3], [0.3, 0.5]])),
}


@pytest.mark.parametrize("L", [1, 4])       # one lag: no unkicked step at all
@pytest.mark.parametrize("name", list(MODELS))
def test_double_kicks_equal_a_plain_numpy_replay(name, L):
    model, dt, N, seed, eps = MODELS[name](), 0.05, 30, 7, 1e-2
    burn = None if model.is_linear else 40
    ref = _replay(model, dt, L, N, seed, eps, burn)
    est = R.second_order_response(model, dt=dt, n_lags=L, method="perturbation", n_paths=N,
                                  seed=seed, eps=eps, burn_in=burn)
    _, mean, m2 = batch_moments(ref, axis=4)
    se = np.sqrt(m2 / ((N - 1) * N))
    # the compiled loops' FMAs and tanh differ from NumPy's by ulps: 1e-16 / eps^2 (/ dt^2)
    tol = 1e-10 * float(np.abs(mean).max() + 1.0) * (400 if "activation" in name else 1)
    np.testing.assert_allclose(est.values, mean.transpose(0, 1, 4, 2, 3), atol=tol)
    np.testing.assert_allclose(est.stderr, se.transpose(0, 1, 4, 2, 3), atol=tol)
    if L > 1:   # (additive kicks read at once: a linear readout's mixed difference is 0)
        assert np.abs(est.values).max() > 1e3 * tol    # not a comparison of zeros


def test_double_kicks_do_not_depend_on_the_call_size(monkeypatch):
    model = _wide("activation")
    kw = dict(dt=0.05, n_lags=4, method="perturbation", n_paths=40, seed=2, burn_in=20)
    whole = R.second_order_response(model, **kw)
    monkeypatch.setattr(_double, "_COPIES_FLOATS", 1)          # one start per compiled call
    split = R.second_order_response(model, **kw)
    np.testing.assert_array_equal(whole.values, split.values)
    np.testing.assert_array_equal(whole.stderr, split.stderr)


def test_a_diverging_copy_names_its_step_and_path():
    # dt * gamma = 2.5: h_k = (-1.5)^k h_0, beyond the bound within the window
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, gamma=1.0)
    with pytest.raises(sk.DivergenceError, match="doubly kicked ensemble") as info:
        R.second_order_response(model, dt=2.5, n_lags=60, method="perturbation", n_paths=8,
                                seed=0, burn_in=0)
    found = re.search(r"step (\d+).* of path (\d+)", str(info.value))
    assert found and 0 < int(found.group(1)) < 60 and int(found.group(2)) < 8, info.value
