"""Progress bars: off by default, on inside show_progress, never changing a result."""

import numpy as np

import srnnkit as sk
from srnnkit.features import MonomialBasis


def test_progress_is_silent_by_default_and_results_identical(capsys):
    model = sk.SRNN.random(4, 1, noise=0.3, seed=0)
    u = np.zeros((20, 1))
    U = np.random.default_rng(0).standard_normal((30, 12, 2)) * 0.5
    ref = sk.simulate(model, u, dt=0.1, n_paths=1024, seed=0)
    Kref = sk.kernels.response_kernel(U, dt=0.1, basis=MonomialBasis(1))
    assert capsys.readouterr().err == ""
    with sk.show_progress():
        tr = sk.simulate(model, u, dt=0.1, n_paths=1024, seed=0)
        K = sk.kernels.response_kernel(U, dt=0.1, basis=MonomialBasis(1))
        rf = sk.response.linear_response(model, dt=0.1, n_lags=5, method="perturbation",
                                         n_paths=4500, seed=1, burn_in=10)
    err = capsys.readouterr().err
    assert "simulate" in err and "Gram matrix" in err and "response estimator" in err
    np.testing.assert_array_equal(tr.mean, ref.mean)
    np.testing.assert_array_equal(K, Kref)
    rf0 = sk.response.linear_response(model, dt=0.1, n_lags=5, method="perturbation",
                                      n_paths=4500, seed=1, burn_in=10)
    np.testing.assert_array_equal(rf.values, rf0.values)
