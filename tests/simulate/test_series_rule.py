"""The 2-D rule of docs/conventions.md in simulate and the Volterra series: a 2-D array is one
series, a 3-D array or a list of arrays a batch; errors show the shape the user gave."""

import numpy as np
import pytest

import srnnkit as sk


@pytest.fixture
def model():
    return sk.SRNN.random(3, 2, n_outputs=1, spectral_radius=0.8, input_scale=1.0, noise=0.3,
                          gamma=1.0, density=1.0, bias_scale=0.2, seed=0)


def test_error_shows_the_shape_given(model):
    with pytest.raises(ValueError, match=r"inputs must be an array with 2 input channel\(s\)"
                       r".*got array of shape \(100, 3\)") as info:
        sk.simulate(model, np.zeros((100, 3)), dt=0.1)
    assert "(1, 100, 3)" not in str(info.value)


def test_list_of_series_is_a_batch(model):
    U = np.random.default_rng(0).standard_normal((2, 12, 2))
    kw = dict(dt=0.1, n_paths=20, seed=1, h0="zeros")
    a = sk.simulate(model, U, **kw)
    b = sk.simulate(model, [U[0], U[1]], **kw)
    np.testing.assert_array_equal(a.mean, b.mean)
    with pytest.raises(ValueError, match=r"inputs must be series of equal length.*\[12, 7\]"):
        sk.simulate(model, [U[0], U[1, :7]], **kw)


def test_dataframe_is_one_series(model):
    pd = pytest.importorskip("pandas")
    u = np.random.default_rng(1).standard_normal((15, 2))
    kw = dict(dt=0.1, n_paths=20, seed=2, h0="zeros")
    a = sk.simulate(model, pd.DataFrame(u, columns=["x", "y"]), **kw)
    np.testing.assert_array_equal(a.mean, sk.simulate(model, u, **kw).mean)
    assert a.mean.shape == (16, 1)


def test_volterra_predict_follows_the_rule():
    rf1 = sk.response.ResponseFunction(np.ones((4, 1, 2)), dt=0.1)
    vs = sk.response.VolterraSeries(rf1, mean=[0.0])
    u = np.ones((4, 2))
    assert vs.predict(u).shape == (5, 1)
    assert vs.predict(u[None]).shape == (1, 5, 1)
    with pytest.raises(ValueError, match=r"got array of shape \(4, 3\)"):
        vs.predict(np.ones((4, 3)))
