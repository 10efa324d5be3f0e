"""Bad input: clear errors that name the argument and the way out."""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response


def test_analytic_on_nonlinear_names_the_way_out(tanh1d):
    with pytest.raises(ValueError, match="method='perturbation'"):
        R.linear_response(tanh1d, dt=0.1, n_lags=3)
    with pytest.raises(ValueError, match="activation='identity'"):
        R.second_order_response(tanh1d, dt=0.1, n_lags=3)


def test_analytic_needs_known_readout():
    model = sk.SRNN(W=[[0.2]], C=[[1.0]], sigma=0.3, activation="identity",
                    readout=lambda h: np.sin(h))
    with pytest.raises(ValueError, match="readout"):
        R.linear_response(model, dt=0.1, n_lags=3)


def test_girsanov_needs_c_in_range_of_sigma():
    model = sk.SRNN(W=[[0.0, 0.2], [0.1, 0.0]], C=[[0.0], [1.0]], sigma=[[0.5], [0.0]],
                    activation="identity")
    with pytest.raises(ValueError, match=r"range\(C\) inside range\(sigma\).*perturbation"):
        R.linear_response(model, dt=0.1, n_lags=3, method="girsanov", n_chains=2, n_steps=10)
    with pytest.raises(ValueError, match="range"):
        R.second_order_response(model, dt=0.1, n_lags=3, method="girsanov", n_chains=2,
                                n_steps=10)
    with pytest.raises(ValueError, match="range"):
        R.volterra_terms(model, np.ones((5, 1)), dt=0.1, n_paths=4)
    # the perturbation method still works there
    rf = R.linear_response(model, dt=0.1, n_lags=3, method="perturbation", n_paths=10, seed=0)
    assert rf.values.shape == (3, 2, 1)


@pytest.mark.parametrize("n_lags,exc", [(0, ValueError), (-2, ValueError), (2.5, TypeError)])
def test_bad_n_lags(ou, n_lags, exc):
    with pytest.raises(exc, match="n_lags"):
        R.linear_response(ou, dt=0.1, n_lags=n_lags)
    with pytest.raises(exc, match="n_lags"):
        R.second_order_response(ou, dt=0.1, n_lags=n_lags)


@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan")])
def test_bad_dt(ou, dt):
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        R.linear_response(ou, dt=dt, n_lags=3)
    with pytest.raises(ValueError, match="dt"):
        R.second_order_response(ou, dt=dt, n_lags=3)


def test_bad_method_model_and_options(ou, tanh1d, tanh2d):
    with pytest.raises(ValueError, match="method must be one of"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="magic")
    with pytest.raises(ValueError, match="method must be one of"):
        R.second_order_response(ou, dt=0.1, n_lags=3, method="fdt")
    with pytest.raises(TypeError, match=r"model must be an srnnkit\.SRNN"):
        R.linear_response("model", dt=0.1, n_lags=3)
    with pytest.raises(ValueError, match="n_hidden == 1"):
        R.linear_response(tanh2d, dt=0.1, n_lags=3, method="grid")
    with pytest.raises(ValueError, match="score='exact' needs a linear SRNN"):
        R.linear_response(tanh1d, dt=0.1, n_lags=3, method="fdt", score="exact", n_chains=2,
                          n_steps=10)
    with pytest.raises(ValueError, match="n_steps"):
        R.linear_response(ou, dt=0.1, n_lags=30, method="fdt", n_steps=20)
    with pytest.raises(ValueError, match="n_paths"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="perturbation", n_paths=1)
    with pytest.raises(ValueError, match="eps"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="perturbation", eps=0.0)
    with pytest.raises(ValueError, match="second_method"):
        R.VolterraSeries.from_model(ou, order=2, dt=0.1, n_lags=3, method="fdt")


def test_grid_chain_errors(tanh1d, tanh2d):
    with pytest.raises(ValueError, match="n_hidden == 1"):
        R.GridChain(tanh2d, dt=0.1)
    with pytest.raises(ValueError, match="spacing must be at most"):
        R.GridChain(tanh1d, dt=0.0001, spacing=0.01)
    with pytest.raises(ValueError, match="bounds"):
        R.GridChain(tanh1d, dt=0.02, bounds=(1.0, -1.0))


def test_volterra_input_errors(tanh1d, ou):
    vs = R.VolterraSeries.from_model(ou, order=1, dt=0.1, n_lags=5)
    with pytest.raises(ValueError, match="inputs"):
        vs.predict(np.ones((5, 3)))
    with pytest.raises(ValueError, match="amplitudes"):
        R.volterra_convergence(tanh1d, np.ones((5, 1)), dt=0.02, amplitudes=[0.1])
    with pytest.raises(TypeError, match="first"):
        R.VolterraSeries(np.ones((3, 1, 1)), mean=[0.0])
    with pytest.raises(ValueError, match="order-2"):
        _ = vs.first.d2
    with pytest.raises(TypeError, match="order-2 VolterraSeries"):
        R.volterra_convergence(tanh1d, np.ones((5, 1)), dt=0.02, series=vs)
    vs2 = R.VolterraSeries.from_model(ou, order=2, dt=0.1, n_lags=5)
    with pytest.raises(ValueError, match=r"dt = 0\.02"):
        R.volterra_convergence(ou, np.ones((5, 1)), dt=0.02, series=vs2)


def test_divergence_is_reported_with_the_step():
    model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, gamma=1.0, activation="identity")
    with pytest.raises(sk.DivergenceError, match="step"):
        # dt * gamma = 2.5 makes the EM chain explode (no stationary law for the chain)
        R.linear_response(model, dt=2.5, n_lags=3, method="girsanov", n_chains=2, n_steps=2000,
                          burn_in=10)
    with pytest.raises(sk.DivergenceError, match="kicked ensemble"):
        R.linear_response(model, dt=2.5, n_lags=2000, method="perturbation", n_paths=4,
                          burn_in=0)
