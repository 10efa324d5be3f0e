"""Estimates do not depend on threads or executors (one seed child per block or run)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import srnnkit as sk

R = sk.response


@pytest.mark.parametrize("method,kw", [
    ("perturbation", dict(n_paths=2100)),          # two blocks, the second one partial
    ("girsanov", dict(n_chains=5, n_steps=3000)),
    ("fdt", dict(n_chains=5, n_steps=3000)),
])
def test_first_order_identical_across_threads_and_executors(tanh2d, method, kw):
    args = dict(dt=0.05, n_lags=12, method=method, seed=3, **kw)
    serial = R.linear_response(tanh2d, **args)
    threads = R.linear_response(tanh2d, n_jobs=2, **args)
    with ThreadPoolExecutor(2) as ex:
        pooled = R.linear_response(tanh2d, executor=ex, **args)
    np.testing.assert_array_equal(serial.values, threads.values)
    np.testing.assert_array_equal(serial.values, pooled.values)
    np.testing.assert_array_equal(serial.stderr, threads.stderr)


def test_second_order_and_terms_identical_across_threads(tanh1d):
    a = R.second_order_response(tanh1d, dt=0.05, n_lags=4, method="girsanov", n_chains=4,
                                n_steps=2000, seed=1)
    b = R.second_order_response(tanh1d, dt=0.05, n_lags=4, method="girsanov", n_chains=4,
                                n_steps=2000, seed=1, n_jobs=-1)
    np.testing.assert_array_equal(a.values, b.values)
    u = np.ones((20, 1))
    t1 = R.volterra_terms(tanh1d, u, dt=0.05, n_paths=3000, seed=2, burn_in=200)
    t2 = R.volterra_terms(tanh1d, u, dt=0.05, n_paths=3000, seed=2, burn_in=200, n_jobs=2)
    np.testing.assert_array_equal(t1.terms, t2.terms)


def test_dask_executor_bit_identical(tanh1d):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        a = R.linear_response(tanh1d, dt=0.05, n_lags=6, method="perturbation", n_paths=3000,
                              seed=4, executor=client)
    b = R.linear_response(tanh1d, dt=0.05, n_lags=6, method="perturbation", n_paths=3000,
                          seed=4)
    np.testing.assert_array_equal(a.values, b.values)


def test_bad_parallel_arguments(ou):
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="perturbation", device="cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        R.linear_response(ou, dt=0.1, n_lags=3, device="tpu")
    with pytest.raises(ValueError, match="n_jobs"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="perturbation", n_jobs=0)
    with pytest.raises(TypeError, match="executor"):
        R.linear_response(ou, dt=0.1, n_lags=3, method="perturbation", executor=42)
