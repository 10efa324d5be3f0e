"""Closed forms of docs/theory.md §3 (acceptance checks 9.1, 9.2, 9.4)."""

import numpy as np
import pytest
from response_reference import em_mean_path, volterra_sum

import srnnkit as sk

R = sk.response


def test_ou_kernel_reference_values(ou):
    rf = R.linear_response(ou, dt=0.5, n_lags=5)
    assert rf.stderr is None and not rf.discrete
    np.testing.assert_allclose(rf.values[[0, 1, 2, 4], 0, 0],
                               [1.25, 0.791052, 0.482979, 0.158934], atol=1e-6)
    fine = R.linear_response(ou, dt=0.01, n_lags=201)
    np.testing.assert_allclose(fine([0.5, 1.0, 2.0])[:, 0, 0], [0.791052, 0.482979, 0.158934],
                               atol=1e-6)


def test_ou_kernel_matches_eigendecomposition(ou):
    # independent of scipy.linalg.expm: e^{-A tau} = V diag(e^{-lambda tau}) V^{-1}
    A = np.array([[1.0, -0.5], [0.3, 0.8]])
    lam, V = np.linalg.eig(A)
    taus = 0.1 * np.arange(30)
    ref = [np.real(np.array([[1.0, 0.5]]) @ V @ np.diag(np.exp(-lam * t)) @ np.linalg.inv(V)
                   @ np.array([[1.0], [0.5]]))[0, 0] for t in taus]
    rf = R.linear_response(ou, dt=0.1, n_lags=30)
    np.testing.assert_allclose(rf.values[:, 0, 0], ref, atol=1e-12)


def test_stationary_covariance_reference(ou):
    np.testing.assert_allclose(R.stationary_covariance(ou),
                               [[0.216637, 0.073275], [0.073275, 0.153772]], atol=1e-6)


def test_em_kernel_gap(ou):
    em = R.linear_response(ou, dt=0.01, n_lags=301, discrete=True)
    co = R.linear_response(ou, dt=0.01, n_lags=301)
    assert em.discrete
    assert abs(np.abs(em.values - co.values).max() - 2.26e-3) < 1e-4
    # the EM kernel is Q P^m C by explicit matrix powers
    P = np.eye(2) - 0.01 * np.array([[1.0, -0.5], [0.3, 0.8]])
    for m in (0, 1, 7, 300):
        ref = np.array([1.0, 0.5]) @ np.linalg.matrix_power(P, m) @ np.array([1.0, 0.5])
        assert em.values[m, 0, 0] == pytest.approx(ref, abs=1e-13)


def test_second_order_closed_form_reference(ou_quad):
    r2 = R.second_order_response(ou_quad, dt=0.05, n_lags=12, discrete=True)
    assert r2.values.shape == (12, 12, 1, 1, 1)
    got = [r2.r2(a, b)[0, 0, 0] for a, b in [(0, 0), (2, 1), (5, 3), (10, 0), (4, 10)]]
    np.testing.assert_allclose(got, [1.3626, 1.0870, 0.7501, 0.5391, 0.5853], atol=1e-4)
    # continuous version: c^T e^{-A^T t1} M e^{-A(t1+t2)} c, spot check against expm-free form
    A = np.array([[1.0, -0.5], [0.3, 0.8]])
    lam, V = np.linalg.eig(A)

    def E(t):
        return np.real(V @ np.diag(np.exp(-lam * t)) @ np.linalg.inv(V))
    c = np.array([1.0, 0.5])
    M = np.array([[1.0, 0.3], [0.3, 0.5]])
    co = R.second_order_response(ou_quad, dt=0.05, n_lags=12)
    for k1, k2 in [(0, 0), (3, 7), (11, 11)]:
        ref = c @ E(0.05 * k1).T @ M @ E(0.05 * (k1 + k2)) @ c
        assert co.values[k1, k2, 0, 0, 0] == pytest.approx(ref, abs=1e-12)


def test_linear_readout_has_no_second_order(ou):
    r2 = R.second_order_response(ou, dt=0.05, n_lags=5)
    assert np.all(r2.values == 0)


def test_quadratic_readout_first_order_vanishes_at_zero_mean(ou_quad):
    rf = R.linear_response(ou_quad, dt=0.05, n_lags=10)
    np.testing.assert_allclose(rf.values, 0.0, atol=1e-15)


def test_volterra_exact_for_linear_srnn_quadratic_readout(ou_quad):
    # E f = tr(M S_dt)/2 + mu^T M mu / 2 exactly (EM mean recursion): the order-2 series with
    # the discrete closed-form kernels (d2 included) must reproduce it to rounding.
    dt, N = 0.05, 40
    u = np.sin(0.3 * np.arange(N))[:, None] + 0.2
    vs = R.VolterraSeries.from_model(ou_quad, order=2, dt=dt, n_lags=N, discrete=True)
    A = np.array([[1.0, -0.5], [0.3, 0.8]])
    mu = em_mean_path(A, np.zeros(2), np.array([[1.0], [0.5]]), dt, u, np.zeros(2))
    S = R.stationary_covariance(ou_quad, dt)
    M = np.array([[1.0, 0.3], [0.3, 0.5]])
    exact = 0.5 * np.trace(M @ S) + 0.5 * np.einsum("ti,ij,tj->t", mu, M, mu)
    with pytest.warns(UserWarning, match="n_lags"):
        R.VolterraSeries.from_model(ou_quad, order=2, dt=dt, n_lags=10,
                                    discrete=True).predict(u)
    np.testing.assert_allclose(vs.predict(u)[:, 0], exact, atol=1e-12)
    # and the FFT evaluation equals the plain double loop of docs/theory.md (2.4)
    r2 = vs.second
    em_r2 = r2.values[:, 1:]
    ref = volterra_sum(vs.first.values, em_r2, r2.d2, vs.mean, u, dt)
    np.testing.assert_allclose(vs.predict(u), ref, atol=1e-12)


def test_volterra_order1_exact_for_linear_readout(ou):
    dt, N = 0.05, 60
    u = np.cos(0.2 * np.arange(N))[:, None]
    vs = R.VolterraSeries.from_model(ou, order=1, dt=dt, n_lags=N, discrete=True)
    A = np.array([[1.0, -0.5], [0.3, 0.8]])
    mu = em_mean_path(A, np.zeros(2), np.array([[1.0], [0.5]]), dt, u, np.zeros(2))
    np.testing.assert_allclose(vs.predict(u)[:, 0], mu @ [1.0, 0.5], atol=1e-12)
    batch = vs.predict(np.stack([u, 2 * u]))
    assert batch.shape == (2, N + 1, 1)
    np.testing.assert_allclose(batch[1, :, 0], 2 * mu @ [1.0, 0.5], atol=1e-12)


def test_quadratic_readout_with_mean_first_order(ou_quad):
    # with a bias, m_inf != 0 and R1 = m_inf^T M e^{-A tau} C; checked by CRN kicks (within 4 SE)
    model = sk.SRNN(W=ou_quad.W, C=ou_quad.C, sigma=ou_quad.sigma, gamma=[1.0, 0.8],
                    b=[0.5, -0.2], activation="identity", readout=ou_quad.readout)
    ex = R.linear_response(model, dt=0.05, n_lags=20, discrete=True)
    assert np.abs(ex.values).max() > 0.1
    mc = R.linear_response(model, dt=0.05, n_lags=20, method="perturbation", n_paths=4000,
                           seed=0)
    assert np.all(np.abs(mc.values - ex.values) <= 4 * mc.stderr + 1e-12)
    vs = R.VolterraSeries.from_model(model, order=2, dt=0.05, n_lags=20, discrete=True)
    S = R.stationary_covariance(model, 0.05)
    m = model.stationary_mean()
    M = np.array([[1.0, 0.3], [0.3, 0.5]])
    assert vs.mean[0] == pytest.approx(0.5 * np.trace(M @ S) + 0.5 * m @ M @ m, abs=1e-12)
