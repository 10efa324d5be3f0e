"""simulate with the input inside the activation, -Γh + a(Wh + Cu + b) (docs/theory.md
section 11), against a plain-NumPy Euler-Maruyama loop fed the same normals."""

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.simulate import standard_normal


def _net(activation, gamma=1.0, sigma=0.4, n=3, m=2, seed=0):
    base = sk.SRNN.random(n, m, n_outputs=2, spectral_radius=0.8, input_scale=1.0, noise=0.3,
                          gamma=1.0, density=1.0, bias_scale=0.4, activation=activation,
                          input_mode="additive", seed=seed)
    return sk.SRNN(base.W, base.C, sigma=sigma, gamma=gamma, b=base.b, activation=activation,
                   readout=base.readout, input_mode="activation")


def _act(name, z):
    return {"tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0),
            "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "identity": lambda x: x}[name](z)


def reference_em(model, u, dt, h0, xi):
    """h_{t+1} = h_t + dt (-Γ h_t + a(W h_t + C u_t + b)) + sqrt(dt) σ ξ_t, plain NumPy."""
    G, S = model.gamma_matrix, np.sqrt(dt) * model.sigma
    h = np.array(h0, dtype=float)
    out = [h.copy()]
    for t in range(u.shape[0]):
        z = h @ model.W.T + u[t] @ model.C.T + model.b
        h = h + dt * (-h @ G.T + _act(model.activation, z)) + xi[t] @ S.T
        out.append(h.copy())
    return np.stack(out, axis=1)                       # (paths, n_steps + 1, n)


@pytest.mark.parametrize("activation,gamma,sigma", [
    ("tanh", 1.0, 0.4), ("sigmoid", [0.8, 1.0, 1.3], 0.4), ("relu", 1.2, 0.3),
    ("tanh", [[1.0, 0.3, 0.0], [0.0, 1.1, 0.2], [0.1, 0.0, 0.9]], 0.4),
    ("tanh", 1.0, [[0.4, 0.0], [0.1, 0.3], [0.0, 0.2]]),        # full, non-square noise
])
def test_states_equal_a_numpy_loop_with_the_same_noise(activation, gamma, sigma):
    model = _net(activation, gamma, sigma)
    dt, n_steps, B = 0.05, 40, 7
    u = 0.8 * np.random.default_rng(1).standard_normal((n_steps, 2))
    tr = sk.simulate(model, u, dt=dt, n_paths=B, seed=3, h0="zeros", burn_in=0, save="states")
    # block 0 of series 0 draws from SeedSequence(3, spawn_key=(0, 0)), step by step
    xi = standard_normal(np.random.SeedSequence(3, spawn_key=(0, 0)),
                         (n_steps, B, model.n_noise))
    ref = reference_em(model, u, dt, np.zeros((B, 3)), xi)
    np.testing.assert_allclose(tr.states, ref, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(tr.mean, model.output(ref).mean(axis=0), rtol=1e-11,
                               atol=1e-12)
    # the additive network with the same weights and noise moves differently
    add = sk.SRNN(model.W, model.C, model.sigma, gamma=model.gamma_matrix, b=model.b,
                  activation=activation, readout=model.readout)
    tr_add = sk.simulate(add, u, dt=dt, n_paths=B, seed=3, h0="zeros", burn_in=0,
                         save="states")
    assert np.abs(tr_add.states - tr.states).max() > 1e-3


def test_batches_threads_chunks_and_burn_in_agree():
    model = _net("tanh")
    U = 0.5 * np.random.default_rng(2).standard_normal((3, 20, 2))
    kw = dict(dt=0.05, n_paths=600, seed=4, save="paths")
    a = sk.simulate(model, U, **kw)
    b = sk.simulate(model, U, n_jobs=2, chunk_size=512, **kw)
    one = sk.simulate(model, U[1], **kw)
    np.testing.assert_array_equal(a.outputs, b.outputs)
    assert a.burn_in == sk.simulate(model, U[1], **{**kw, "n_paths": 2}).burn_in > 0
    assert not np.array_equal(one.outputs, a.outputs[0])       # series 1 != series 0 stream
    # mean of the outputs is the streamed mean
    np.testing.assert_allclose(a.outputs.mean(axis=1), a.mean, rtol=1e-12, atol=1e-14)


def test_dask_executor_is_bit_identical():
    distributed = pytest.importorskip("dask.distributed")
    model = _net("sigmoid")
    u = 0.5 * np.random.default_rng(3).standard_normal((15, 2))
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        remote = sk.simulate(model, u, dt=0.05, n_paths=600, seed=5, executor=client)
    local = sk.simulate(model, u, dt=0.05, n_paths=600, seed=5)
    np.testing.assert_array_equal(remote.mean, local.mean)
    np.testing.assert_array_equal(remote.stderr, local.stderr)
