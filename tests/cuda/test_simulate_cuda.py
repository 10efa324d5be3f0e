"""device='cuda' ensembles: the documented Philox noise stream, statistics against the CPU
and a closed form, reproducibility and independence of the launch configuration."""

import numpy as np
import pytest
from scipy import stats

import srnnkit as sk
from srnnkit.simulate import DivergenceError
from tests.conftest import ou_model
from tests.cuda.philox_ref import device_normals, philox4x32_10

pytestmark = pytest.mark.gpu


def test_reference_philox_known_answers():
    """Random123's known-answer vectors for Philox4x32-10 (the reference used below)."""
    ctr = [[0, 0, 0, 0], [0xFFFFFFFF] * 4, [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344]]
    keys = [(0, 0), (0xFFFFFFFF, 0xFFFFFFFF), (0xA4093822, 0x299F31D0)]
    want = [[0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8],
            [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD],
            [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]]
    for c, k, w in zip(ctr, keys, want, strict=True):
        assert philox4x32_10(np.array([c]), k)[0].tolist() == w


def test_reference_normals_are_standard_normal():
    z = device_normals(5, np.arange(20000) % 4, np.arange(20000) // 4, 3, 0)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 4 / np.sqrt(z.size)          # SE of the mean 1/sqrt(N)
    assert abs(z.var() - 1) < 4 * np.sqrt(2 / z.size)    # SE of the variance sqrt(2/N)


@pytest.mark.parametrize("full", [False, True])
def test_noise_is_the_documented_philox_stream(full):
    """Recover each step's normals from saved states: they are Philox4x32-10/Box-Muller at
    counter (i // 2, 1 + t, path, series) under the key from SeedSequence(seed)."""
    dt = 0.1
    if full:
        model = ou_model()                            # 2x2 lower-triangular sigma
    else:
        model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.7, gamma=1.0, activation="identity")
    n = model.n_hidden
    tr = sk.simulate(model, n_steps=6, dt=dt, n_paths=5, seed=11, h0="zeros", save="states",
                     device="cuda")
    H = tr.states                                      # (paths, steps + 1, n)
    P = np.eye(n) - dt * model.A
    inc = H[:, 1:] - H[:, :-1] @ P.T                   # sqrt(dt) sigma xi
    xi = np.linalg.solve(np.sqrt(dt) * np.asarray(model.sigma, float).reshape(n, -1),
                         inc[..., None])[..., 0]
    path, t, i = np.meshgrid(np.arange(5), np.arange(6), np.arange(n), indexing="ij")
    ref = device_normals(11, i, 1 + t, path, 0)
    np.testing.assert_allclose(xi, ref, rtol=1e-9, atol=1e-9)


def test_ensemble_mean_matches_closed_form_and_cpu():
    """OU (docs/theory.md §9.1): E h_{t+1} = (I - dt A) E h_t + dt C u_t from the stationary mean 0.
    GPU and CPU means are each within 4 standard errors of it and of each other."""
    model, dt = ou_model(), 0.05
    u = np.sin(0.3 * np.arange(20))[:, None]
    gpu = sk.simulate(model, u, dt=dt, n_paths=256, seed=2, device="cuda")
    cpu = sk.simulate(model, u, dt=dt, n_paths=4096, seed=2)
    m = np.zeros((21, 2))
    P = np.eye(2) - dt * model.A
    for t in range(20):
        m[t + 1] = P @ m[t] + dt * (model.C @ u[t])
    assert np.all(np.abs(gpu.mean - m) < 4 * gpu.stderr)
    assert np.all(np.abs(gpu.mean - cpu.mean) < 4 * np.hypot(gpu.stderr, cpu.stderr))
    # stationary spread: per-path variance of h_0 equals Sigma_dt's diagonal (SE ~ sqrt(2/n))
    var0 = gpu.stderr[0] ** 2 * 256
    S = sk.response.stationary_covariance(model, dt=dt)
    assert np.all(np.abs(var0 / np.diag(S) - 1) < 4 * np.sqrt(2 / 255))
    assert gpu.info["device"] == "cuda"


def test_reproducible_and_independent_of_launch(launch):
    model = sk.SRNN.random(3, 1, noise=0.3, seed=0)
    u = np.cos(0.5 * np.arange(12))[:, None]
    kw = dict(dt=0.1, n_paths=20, seed=7, burn_in=5, save="paths", device="cuda")
    a = sk.simulate(model, u, **kw)
    b = sk.simulate(model, u, **kw)
    launch(paths_per_block=6, unit_threads=2, max_blocks=2, window=5)
    c = sk.simulate(model, u, **kw)
    for x in (b, c):
        np.testing.assert_array_equal(x.mean, a.mean)
        np.testing.assert_array_equal(x.stderr, a.stderr)
        np.testing.assert_array_equal(x.outputs, a.outputs)
    d = sk.simulate(model, u, **{**kw, "seed": 8})
    assert not np.allclose(d.outputs, a.outputs)
    np.testing.assert_allclose(a.outputs.mean(axis=0), a.mean, rtol=1e-12, atol=1e-14)


def test_states_paths_and_quadratic_readout():
    M = np.array([[1.0, 0.3], [0.3, 0.5]])
    model = ou_model(readout=sk.readouts.Quadratic(M))
    kw = dict(n_steps=7, dt=0.05, n_paths=6, seed=4, device="cuda")
    st = sk.simulate(model, save="states", **kw)
    st3 = sk.simulate(model, save="states", save_every=3, **kw)
    pa = sk.simulate(model, save="paths", **kw)
    quad = 0.5 * np.einsum("pti,ij,ptj->pt", st.states, M, st.states)[..., None]
    np.testing.assert_allclose(pa.outputs, quad, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(st3.states, st.states[:, ::3])
    np.testing.assert_allclose(st3.state_ts, st.ts[::3])
    np.testing.assert_allclose(pa.mean, pa.outputs.mean(axis=0), rtol=1e-12)


def test_batched_series_use_their_own_streams():
    model = ou_model()
    u = np.random.default_rng(0).normal(size=(2, 8, 1))
    kw = dict(dt=0.05, n_paths=8, seed=6, device="cuda", save="paths")
    both = sk.simulate(model, u, **kw)
    first = sk.simulate(model, u[0], **kw)
    assert both.mean.shape == (2, 9, 2)
    np.testing.assert_array_equal(both.outputs[0], first.outputs)   # series 0 = same stream
    assert not np.allclose(both.outputs[1] - both.outputs[0], 0)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # simulator
def test_errors():
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, gamma=1.0, activation="identity")
    with pytest.raises(DivergenceError, match=r"step \d+ .*device='cuda'"):
        sk.simulate(model, n_steps=20, dt=1e30, n_paths=2, seed=0, h0="zeros",
                    device="cuda")   # the step multiplies h by 1 - dt: inf after ~11 steps
    callable_ro = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, activation="identity",
                          readout=lambda h: h ** 3)
    with pytest.raises(ValueError, match="device='cuda' supports linear"):
        sk.simulate(callable_ro, n_steps=3, dt=0.1, device="cuda")
    with pytest.raises(ValueError, match="executor must be None with device='cuda'"):
        sk.simulate(model, n_steps=3, dt=0.1, device="cuda", executor=object())


def test_burn_in_longer_than_the_run_and_split_windows(launch):
    """Burn-in windows longer than n_steps; the split into windows changes nothing."""
    model = sk.SRNN.random(2, 1, noise=0.2, seed=1)
    kw = dict(n_steps=2, dt=0.1, n_paths=4, seed=9, burn_in=7, save="states", device="cuda")
    a = sk.simulate(model, **kw)
    launch(window=3)
    b = sk.simulate(model, **kw)
    assert np.all(np.isfinite(a.states)) and a.burn_in == 7
    np.testing.assert_array_equal(a.states, b.states)


def test_exact_method_matches_cpu_statistically():
    """method='exact' (full-noise affine step): GPU and CPU means within 4 combined SE and
    the GPU's spread matches the CPU's (standard-error ratio within 4 SE of the ratio)."""
    model = ou_model()
    u = np.sin(0.3 * np.arange(10))[:, None]
    g = sk.simulate(model, u, dt=0.05, n_paths=128, seed=2, method="exact", device="cuda")
    c = sk.simulate(model, u, dt=0.05, n_paths=4096, seed=2, method="exact")
    assert np.all(np.abs(g.mean - c.mean) < 4 * np.hypot(g.stderr, c.stderr))
    sd_ratio = g.stderr * np.sqrt(128) / (c.stderr * np.sqrt(4096))
    assert np.all(np.abs(sd_ratio - 1) < 4 * np.sqrt(1 / (2 * 127)))   # SE of a sample SD
