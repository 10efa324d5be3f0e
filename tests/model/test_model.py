import numpy as np
import pytest

import srnnkit as sk
from srnnkit.readouts import Linear, Quadratic


def test_shapes_and_properties(ou):
    assert (ou.n_hidden, ou.n_inputs, ou.n_outputs, ou.n_noise) == (2, 1, 2, 2)
    assert ou.is_linear
    np.testing.assert_allclose(ou.A, [[1.0, -0.5], [0.3, 0.8]])
    np.testing.assert_allclose(ou.diffusion, [[0.36, 0.12], [0.12, 0.29]])


@pytest.mark.parametrize("gamma,kind", [(1.5, "scalar"), ([1.0, 2.0], "diagonal"),
                                        ([[1.0, 0.1], [0.0, 2.0]], "full")])
def test_gamma_forms(gamma, kind):
    m = sk.SRNN(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.1, gamma=gamma)
    assert m.gamma_kind == kind
    G = np.diag(np.broadcast_to(gamma, (2,))) if kind != "full" else np.asarray(gamma)
    np.testing.assert_allclose(m.gamma_matrix, G)
    h = np.array([[0.3, -0.2]])
    expected = -h @ G.T + np.tanh(h @ m.W.T) + 0.0
    np.testing.assert_allclose(m.drift(h), expected)


@pytest.mark.parametrize("act,fn", [("tanh", np.tanh), ("identity", lambda z: z),
                                    ("relu", lambda z: np.maximum(z, 0)),
                                    ("sigmoid", lambda z: 1 / (1 + np.exp(-z)))])
def test_activations_in_drift(act, fn, rng):
    W = rng.standard_normal((3, 3)) * 0.3
    b = rng.standard_normal(3)
    m = sk.SRNN(W=W, C=np.eye(3)[:, :2], sigma=0.1, gamma=2.0, b=b, activation=act)
    h = rng.standard_normal((5, 3))
    u = rng.standard_normal((5, 2))
    expected = -2.0 * h + fn(h @ W.T + b) + u @ m.C.T
    np.testing.assert_allclose(m.drift(h, u), expected, rtol=1e-12, atol=1e-14)


def test_readouts(rng):
    h = rng.standard_normal((4, 3))
    base = dict(W=np.zeros((3, 3)), C=np.ones((3, 1)), sigma=0.1)
    np.testing.assert_allclose(sk.SRNN(**base).output(h), h)
    Q = rng.standard_normal((2, 3))
    np.testing.assert_allclose(sk.SRNN(**base, readout=Q).output(h), h @ Q.T)
    q = np.array([1.0, -1.0])
    np.testing.assert_allclose(sk.SRNN(**base, readout=Linear(Q, q)).output(h), h @ Q.T + q)
    M = rng.standard_normal((3, 3))
    out = sk.SRNN(**base, readout=Quadratic(M)).output(h)
    np.testing.assert_allclose(out[:, 0], 0.5 * np.einsum("ni,ij,nj->n", h, M, h))
    m = sk.SRNN(**base, readout=lambda x: np.sin(x[..., :2]))
    assert m.n_outputs == 2
    np.testing.assert_allclose(m.output(h), np.sin(h[:, :2]))


def test_random_child_streams_are_independent():
    a = sk.SRNN.random(20, 3, seed=7)
    b = sk.SRNN.random(20, 3, seed=7, input_scale=0.1, density=1.0)
    c = sk.SRNN.random(20, 3, seed=7, spectral_radius=0.5)
    np.testing.assert_array_equal(a.W, b.W)                 # input scale leaves W alone
    np.testing.assert_allclose(b.C, 0.1 * a.C)              # same stream, rescaled
    np.testing.assert_allclose(c.W, a.W * 0.5 / 0.9)        # radius only rescales
    np.testing.assert_array_equal(a.C, c.C)
    np.testing.assert_array_equal(a.readout.Q, c.readout.Q)
    assert np.isclose(np.abs(np.linalg.eigvals(a.W)).max(), 0.9)
    d = sk.SRNN.random(20, 3, seed=8)
    assert not np.allclose(a.W, d.W)
    sparse = sk.SRNN.random(200, 1, density=0.1, seed=0)
    assert 0.07 < np.count_nonzero(sparse.W) / sparse.W.size < 0.13
    np.testing.assert_array_equal(sparse.C, sk.SRNN.random(200, 1, density=1.0, seed=0).C)


def test_dissipativity_warning():
    with pytest.warns(sk.DissipativityWarning, match="no stationary law"):
        sk.SRNN(W=np.eye(2), C=np.ones((2, 1)), sigma=0.1, gamma=-0.5)
    with pytest.warns(sk.DissipativityWarning, match="may have no stationary law"):
        sk.SRNN(W=np.eye(2), C=np.ones((2, 1)), sigma=0.1, gamma=[[0.0, 1.0], [-1.0, 0.0]])
    with pytest.warns(sk.DissipativityWarning, match="Hurwitz"):
        sk.SRNN(W=2 * np.eye(2), C=np.ones((2, 1)), sigma=0.1, activation="identity")
    with pytest.warns(sk.DissipativityWarning, match="unbounded"):
        sk.SRNN(W=3 * np.eye(2), C=np.ones((2, 1)), sigma=0.1, activation="relu")


def test_a_stable_non_normal_leak_does_not_warn():
    """Found by fuzzing: a Lipschitz-RNN leak such as [[0.5, 4], [0, 0.5]] (eigenvalues 0.5,
    symmetric part indefinite) was told it "may have no stationary law"; it has one (the
    norm of its Lyapunov matrix makes the bounded-activation drift dissipative), and its
    stationary variance is finite and matches the long-run simulation."""
    import warnings

    gamma = np.array([[0.5, 4.0], [0.0, 0.5]])
    assert np.linalg.eigvalsh((gamma + gamma.T) / 2).min() < 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = sk.SRNN(W=0.1 * np.eye(2), C=np.ones((2, 1)), sigma=0.3, gamma=gamma)
    early, late = (sk.simulate(model, None, dt=0.05, n_steps=1, n_paths=4000, seed=s,
                               burn_in=b, save="states") for s, b in ((0, 400), (1, 1600)))
    v1, v2 = early.states[:, -1].var(axis=0), late.states[:, -1].var(axis=0)
    # settled and finite: the variances at 20 and 80 time units agree (SE of each ~2.2 %)
    assert np.all(np.isfinite(v1)) and np.allclose(v1, v2, rtol=0.1), (v1, v2)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(W=np.zeros((2, 3))), ValueError, r"W must be a square array"),
    (dict(W=[[np.nan, 0], [0, 0]]), ValueError, r"W must contain only finite"),
    (dict(C=np.ones((3, 1))), ValueError, r"C must be an array of shape \(2, m\)"),
    (dict(C=[[np.inf], [0]]), ValueError, r"C must contain only finite"),
    (dict(sigma="a"), TypeError, r"sigma must be a numeric array"),
    (dict(sigma=np.ones((3, 2))), ValueError, r"sigma must be an array of shape \(2, r\)"),
    (dict(gamma=np.ones(3)), ValueError, r"gamma must be a scalar"),
    (dict(gamma=float("nan")), ValueError, r"gamma must be a finite scalar"),
    (dict(b=np.ones(3)), ValueError, r"b must be an array of shape \(2,\)"),
    (dict(activation="softplus"), ValueError, r"activation must be one of 'tanh'"),
    (dict(activation=3), TypeError, r"activation must be one of"),
    (dict(readout=np.ones((1, 3))), ValueError, r"readout Q must be an array of shape \(p, 2\)"),
    (dict(readout="identity"), TypeError, r"readout must be None"),
])
def test_bad_model_input(kwargs, exc, match):
    base = dict(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.1)
    base.update(kwargs)
    with pytest.raises(exc, match=match):
        sk.SRNN(**base)


@pytest.mark.parametrize("kwargs,match", [
    (dict(n_hidden=0), r"n_hidden must be an integer >= 1"),
    (dict(density=0.0), r"density must be a number in \(0, 1\]"),
    (dict(noise=-1.0), r"noise must be a finite number >= 0"),
    (dict(spectral_radius=float("inf")), r"spectral_radius must be a finite number"),
])
def test_bad_random_input(kwargs, match):
    args = dict(n_hidden=4, n_inputs=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sk.SRNN.random(args.pop("n_hidden"), args.pop("n_inputs"), **args)


def test_input_mode_activation_drift_and_io(tmp_path):
    """input_mode='activation' puts Cu inside the activation; save/load keeps it."""
    m = sk.SRNN.random(4, 2, seed=0, bias_scale=0.3, input_mode="activation")
    rng = np.random.default_rng(0)
    h, u = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    ref = np.tanh(h @ m.W.T + u @ m.C.T + m.b) - h
    np.testing.assert_allclose(m.drift(h, u), ref, rtol=0, atol=1e-15)
    add = sk.SRNN(m.W, m.C, sigma=0.1, b=m.b)
    np.testing.assert_allclose(add.drift(h, u), np.tanh(h @ m.W.T + m.b) - h + u @ m.C.T,
                               rtol=0, atol=1e-15)
    sk.save(m, tmp_path / "m.npz")
    assert sk.load(tmp_path / "m.npz").input_mode == "activation"
    assert "input_mode='activation'" in repr(m)
    with pytest.raises(ValueError, match="input_mode"):
        sk.SRNN(m.W, m.C, sigma=0.1, input_mode="inside")


def test_the_step_is_recorded_and_checked():
    """``dt`` is the network's own step, recorded (None unless given) and checked."""
    assert sk.SRNN.random(2, 1, seed=0).dt is None
    assert sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, dt=0.5).dt == 0.5
    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="dt"):
            sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, dt=bad)
    with pytest.raises(TypeError, match="dt"):
        sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, dt="0.5")


@pytest.mark.parametrize("readout", [lambda H: np.array([1.0, 2.0]),      # (2,) for any input
                                     lambda H: H.sum(axis=0)])            # over the paths
def test_a_callable_readout_of_the_wrong_shape_is_named_at_the_call(readout):
    """Found by fuzzing: the check ran on a 2-row probe only, so a constant output of length
    2 passed and `simulate` averaged it silently (1.5 everywhere); a sum over the paths
    broke deep inside with a broadcast error."""
    model = sk.SRNN([[0.0, 0.1], [0.0, 0.0]], [[1.0], [1.0]], 0.3, readout=readout)
    with pytest.raises(ValueError, match=r"readout must be a vectorised callable mapping "
                                         r"\(\.\.\., n\) to \(\.\.\., p\)"):
        sk.simulate(model, np.zeros((5, 1)), dt=0.01, n_paths=300, seed=0, burn_in=0)
