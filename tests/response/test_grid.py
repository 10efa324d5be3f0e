"""The grid transfer operator against linear closed forms (an oracle must be checked too)."""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response


@pytest.fixture
def ou1d():
    return sk.SRNN(W=[[0.3]], C=[[1.0, -0.5]], sigma=0.5, gamma=1.0, b=[0.2],
                   activation="identity", readout=sk.readouts.Linear([[2.0], [1.0]], q=[0.0, 1.0]))


def test_grid_stationary_law_matches_em_closed_form(ou1d):
    dt = 0.05
    chain = R.GridChain(ou1d, dt=dt)
    p, x = chain.stationary, chain.x
    mean = p @ x
    var = p @ (x - mean) ** 2
    assert mean == pytest.approx(0.2 / 0.7, abs=1e-10)
    assert var == pytest.approx(R.stationary_covariance(ou1d, dt)[0, 0], abs=1e-10)
    np.testing.assert_allclose(chain.mean_output, [2 * mean, mean + 1.0], atol=1e-10)


def test_grid_kernels_match_em_closed_form(ou1d):
    dt = 0.05
    chain = R.GridChain(ou1d, dt=dt)
    r1 = chain.linear_response(40)
    ex = R.linear_response(ou1d, dt=dt, n_lags=40, discrete=True)
    assert r1.values.shape == (40, 2, 2)
    np.testing.assert_allclose(r1.values, ex.values, atol=1e-10)
    r2 = chain.second_order_response(6)
    np.testing.assert_allclose(r2.values, 0.0, atol=1e-10)        # linear readout


def test_grid_expectation_matches_mean_recursion(ou1d):
    dt = 0.05
    chain = R.GridChain(ou1d, dt=dt)
    u = np.stack([np.sin(np.arange(30) / 3.0), np.ones(30)], axis=1) * 0.5
    mu = [0.2 / 0.7]
    for j in range(30):
        mu.append(mu[-1] + dt * (-0.7 * mu[-1] + 0.2 + u[j] @ [1.0, -0.5]))
    np.testing.assert_allclose(chain.expectation(u)[:, 0], 2 * np.array(mu), atol=1e-9)


def test_grid_conjugate_variable_is_gaussian_score(ou1d):
    dt = 0.05
    chain = R.GridChain(ou1d, dt=dt)
    S = R.stationary_covariance(ou1d, dt)[0, 0]
    h = np.linspace(-0.5, 1.0, 7)[:, None]
    v = chain.conjugate_variable(h)
    np.testing.assert_allclose(v, (h - 0.2 / 0.7) / S * np.array([1.0, -0.5]), atol=1e-4)
