"""SRNN.random's default bias breaks the odd symmetry of tanh networks (issue #20)."""

import numpy as np

import srnnkit as sk


def test_default_bias_is_uniform_on_half_interval():
    b = sk.SRNN.random(400, 2, seed=0).b
    assert np.all(np.abs(b) <= 0.5) and np.abs(b).max() > 0.45
    assert abs(b.mean()) < 3 * 0.5 / np.sqrt(3 * 400)          # mean 0, SE of a uniform
    np.testing.assert_array_equal(sk.SRNN.random(4, 2, bias_scale=0, seed=0).b, 0.0)


def test_default_network_has_a_second_order_kernel():
    """Exact grid kernels of a 1-D random tanh SRNN: zero bias makes R2 vanish identically
    (the drift is odd), the default bias does not."""
    def r2_max(**kw):
        model = sk.SRNN.random(1, 1, noise=0.5, seed=0, **kw)
        r2 = sk.response.second_order_response(model, dt=0.05, n_lags=20, method="grid")
        r1 = sk.response.linear_response(model, dt=0.05, n_lags=20, method="grid")
        return np.abs(r2.values).max() / np.abs(r1.values).max()

    assert r2_max(bias_scale=0.0) < 1e-12
    assert r2_max() > 0.01
