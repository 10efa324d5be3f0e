"""Reproducibility guarantees (docs/robustness.md).

The same seed gives bit-identical results whatever the scheduling knobs (``chunk_size``,
``n_jobs``, batch splitting); different seeds give different results.
"""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.features import LegendreBasis

U = np.stack([np.sin(np.arange(40) * 0.2), np.cos(np.arange(40) * 0.1)], axis=1)


@pytest.fixture(scope="module")
def model():
    return sk.SRNN.random(6, 2, noise=0.4, bias_scale=0.2, seed=11)


def _fields(traj):
    return [x for x in (traj.mean, traj.stderr, traj.outputs, traj.states) if x is not None]


def _identical(a, b):
    fa, fb = _fields(a), _fields(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x, y)


@pytest.mark.parametrize("save", ["mean", "paths"])
def test_simulate_independent_of_chunks_and_threads(model, save):
    kw = dict(dt=0.05, n_paths=600, seed=123, save=save)     # 3 blocks of <= 256 paths
    ref = sk.simulate(model, U, **kw)
    for chunk_size, n_jobs in ((256, None), (512, None), (10_000, None), (None, 2),
                               (256, 2), (1, -1)):
        _identical(ref, sk.simulate(model, U, chunk_size=chunk_size, n_jobs=n_jobs, **kw))


def test_simulate_batch_and_states(model):
    batch = np.stack([U, 0.5 * U, -U])
    kw = dict(dt=0.05, n_paths=300, seed=5, save="states", save_every=3)
    ref = sk.simulate(model, batch, **kw)
    _identical(ref, sk.simulate(model, batch, n_jobs=2, chunk_size=512, **kw))


def test_simulate_exact_linear_independent_of_threads():
    lin = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5,
                  activation="identity")
    kw = dict(dt=0.1, n_paths=520, seed=9, method="exact")
    _identical(sk.simulate(lin, U[:, :1], **kw),
               sk.simulate(lin, U[:, :1], n_jobs=2, chunk_size=256, **kw))


def test_simulate_seeds(model):
    kw = dict(dt=0.05, n_paths=64)
    a = sk.simulate(model, U, seed=1, **kw)
    _identical(a, sk.simulate(model, U, seed=1, **kw))
    _identical(a, sk.simulate(model, U, seed=a.seed_entropy, **kw))    # entropy replays it
    assert not np.array_equal(a.mean, sk.simulate(model, U, seed=2, **kw).mean)
    # a Generator is consumed: two draws from one generator differ, equal generators agree
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    x = sk.simulate(model, U, seed=g1, **kw)
    _identical(x, sk.simulate(model, U, seed=g2, **kw))
    assert not np.array_equal(x.mean, sk.simulate(model, U, seed=g1, **kw).mean)
    # seed=None draws fresh entropy every time
    assert not np.array_equal(sk.simulate(model, U, seed=None, **kw).mean,
                              sk.simulate(model, U, seed=None, **kw).mean)


def test_srnn_random_streams():
    a = sk.SRNN.random(8, 2, seed=3)
    b = sk.SRNN.random(8, 2, seed=3, input_scale=2.0, density=0.5)
    assert np.array_equal(a.W, sk.SRNN.random(8, 2, seed=3).W)
    assert np.array_equal(a.C * 2.0, b.C)       # own stream: only the scale changed
    assert np.array_equal(a.b, b.b) and np.array_equal(a.readout.Q, b.readout.Q)
    assert not np.array_equal(a.W, sk.SRNN.random(8, 2, seed=4).W)


def test_signature_independent_of_threads_and_batching():
    paths = np.random.default_rng(0).standard_normal((9, 30, 3))
    ref = sk.signature(paths, 4)
    for n_jobs in (2, -1, 9, 100):
        assert np.array_equal(ref, sk.signature(paths, 4, n_jobs=n_jobs))
    one_by_one = np.stack([sk.signature(p, 4) for p in paths])
    assert np.array_equal(ref, one_by_one)
    stream = sk.signature(paths, 3, stream=True)
    assert np.array_equal(stream, sk.signature(paths, 3, stream=True, n_jobs=2))


def test_response_features_independent_of_threads_and_batching():
    u = np.random.default_rng(1).standard_normal((7, 25, 2))
    kw = dict(dt=0.04, basis=LegendreBasis(2, 1.0), depth=3)
    ref = sk.response_features(u, **kw)
    assert np.array_equal(ref, sk.response_features(u, n_jobs=2, **kw))
    assert np.array_equal(ref, np.stack([sk.response_features(x, **kw) for x in u]))


def test_kernels_independent_of_threads():
    X = np.random.default_rng(2).uniform(-1, 1, (6, 12, 2))
    ref = sk.kernels.signature_kernel(X, dyadic_order=1)
    assert np.array_equal(ref, sk.kernels.signature_kernel(X, dyadic_order=1, n_jobs=2))
    kw = dict(dt=0.1, basis=LegendreBasis(1, 1.2))
    ref = sk.kernels.response_kernel(X, **kw)
    assert np.array_equal(ref, sk.kernels.response_kernel(X, n_jobs=2, **kw))


def test_monte_carlo_response_seeds():
    lin = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5, gamma=1.0,
                  activation="tanh")
    kw = dict(dt=0.05, n_lags=5, method="perturbation", n_paths=300)
    a = sk.response.linear_response(lin, seed=4, **kw)
    b = sk.response.linear_response(lin, seed=4, **kw)
    c = sk.response.linear_response(lin, seed=5, **kw)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.stderr, b.stderr)
    assert not np.array_equal(a.values, c.values)


def test_estimators_random_state():
    from sklearn.base import clone

    from srnnkit.learning import ReservoirForecaster, SRNNReservoir

    X = np.random.default_rng(3).standard_normal((5, 20, 2))
    est = SRNNReservoir(n_hidden=12, n_paths=4, random_state=0)
    a = est.fit_transform(X)
    assert np.array_equal(a, clone(est).fit_transform(X))
    assert np.array_equal(a, clone(est).set_params(n_jobs=2).fit_transform(X))
    assert np.array_equal(a, est.transform(X))            # transform is deterministic too
    assert not np.array_equal(a, clone(est).set_params(random_state=1).fit_transform(X))

    series = np.sin(np.arange(250) * 0.15)[:, None]
    # lags=1 and a fixed penalty keep the state in the readout (no cross-validation, which
    # may take the past values alone, as good as the state on a sine and free of its noise)
    f = ReservoirForecaster(n_hidden=20, noise=0.01, washout=10, lags=1, alpha=1e-6,
                            random_state=0).fit(series)
    g = clone(f).fit(series)
    assert np.array_equal(f.predict(15), g.predict(15))
    h = clone(f).set_params(random_state=1).fit(series)
    assert not np.array_equal(f.predict(15), h.predict(15))
