"""n_chains counts stationary runs; n_paths keeps working there with a DeprecationWarning."""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response


@pytest.mark.parametrize("method", ["fdt", "girsanov"])
def test_n_paths_is_a_deprecated_alias_of_n_chains(tanh1d, method):
    kw = dict(dt=0.05, n_lags=4, method=method, n_steps=500, seed=1)
    new = R.linear_response(tanh1d, n_chains=3, **kw)
    with pytest.warns(DeprecationWarning, match="pass n_chains"):
        old = R.linear_response(tanh1d, n_paths=3, **kw)
    np.testing.assert_array_equal(new.values, old.values)
    np.testing.assert_array_equal(new.stderr, old.stderr)
    assert new.info["n_chains"] == 3 and new.info["t_obs"] == pytest.approx(3 * 500 * 0.05)


def test_second_order_and_from_model_take_n_chains(tanh1d):
    kw = dict(dt=0.05, n_lags=3, method="girsanov", n_steps=400, seed=2)
    new = R.second_order_response(tanh1d, n_chains=2, **kw)
    with pytest.warns(DeprecationWarning):
        old = R.second_order_response(tanh1d, n_paths=2, **kw)
    np.testing.assert_array_equal(new.values, old.values)
    vs = R.VolterraSeries.from_model(tanh1d, order=1, dt=0.05, n_lags=3, method="girsanov",
                                     n_chains=2, n_steps=400, seed=3, mean_paths=50)
    assert vs.first.info["n_chains"] == 2


def test_n_chains_and_n_paths_are_not_mixed(tanh1d):
    with pytest.raises(ValueError, match="n_chains must be None with method='perturbation'"):
        R.linear_response(tanh1d, dt=0.05, n_lags=3, method="perturbation", n_chains=4)
    with pytest.raises(ValueError, match="n_paths must be None when n_chains is given"):
        R.linear_response(tanh1d, dt=0.05, n_lags=3, method="fdt", n_chains=4, n_paths=4)
    with pytest.raises(ValueError, match="n_chains must be an integer >= 2"):
        R.linear_response(tanh1d, dt=0.05, n_lags=3, method="girsanov", n_chains=1)
