"""Perturbation kernels with the input inside the activation (docs/theory.md section 11): the
kick is one Euler-Maruyama step with u = ±eps e_a. Reference: the V5 values of the theory page
(grid transfer operator), within 4 standard errors plus the O(eps^2) bias."""

import numpy as np
import pytest

import srnnkit as sk

R = sk.response

# V5: gamma=1.3, w=1.1, c=0.9, b=-0.1, sigma=0.6, f(h)=h, dt=0.02 (docs/theory.md section 11)
V5_R1 = {0: 0.6319285, 10: 0.5790497, 25: 0.5062047, 50: 0.4024356}
V5_R2 = {(5, 2): 0.0976794, (10, 5): 0.0943269, (20, 0): 0.0991790}   # r2(m1, m2)


@pytest.fixture
def v5():
    return sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1],
                   input_mode="activation")


def test_first_order_matches_v5(v5):
    eps = 1e-3
    rf = R.linear_response(v5, dt=0.02, n_lags=51, method="perturbation", n_paths=10_000,
                           eps=eps, seed=0)
    # the central difference is odd in eps: its bias is O(eps^2), here below 1e-5 (a''' of
    # tanh is bounded by 2, |C|^3 < 1, times dt and the lag's propagation, divided by 6)
    bias = eps**2
    for k, ref in V5_R1.items():
        err = abs(rf.values[k, 0, 0] - ref)
        assert err < 4 * rf.stderr[k, 0, 0] + bias, (k, err, rf.stderr[k, 0, 0])
    assert rf.stderr[:, 0, 0].max() < 5e-3


def test_second_order_matches_v5(v5):
    r2 = R.second_order_response(v5, dt=0.02, n_lags=21, method="perturbation", n_paths=4000,
                                 eps=1e-2, seed=1)
    for (m1, m2), ref in V5_R2.items():
        err = abs(r2.r2(m1, m2)[0, 0, 0] - ref)
        se = r2.stderr[m1, m2 + 1, 0, 0, 0]
        assert err < 4 * se + 1e-4, (m1, m2, err, se)          # bias O(eps^2) = 1e-4


def test_additive_kick_and_drift_kick_agree_for_a_linear_network():
    """With the identity activation both input modes are one model: the kernels agree."""
    kw = dict(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=[[0.6, 0.0], [0.2, 0.5]],
              gamma=[1.0, 0.8], activation="identity", readout=[[1.0, 0.5]])
    a = R.linear_response(sk.SRNN(**kw), dt=0.05, n_lags=5, method="perturbation",
                          n_paths=50, seed=2)
    b = R.linear_response(sk.SRNN(**kw, input_mode="activation"), dt=0.05, n_lags=5,
                          method="perturbation", n_paths=50, seed=2)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12)


def test_drift_kick_on_a_two_input_network_matches_finite_differences_of_simulate():
    """r1(k)·dt·eps is the change of E f(h_{k+1}) when u_0 = eps e_a: compare the CRN kernel
    with a common-noise difference of two driven ensembles (independent code path: simulate)."""
    model = sk.SRNN(W=[[0.3, -0.5], [0.4, 0.2]], C=[[1.0, 0.2], [-0.3, 0.8]], sigma=0.4,
                    gamma=1.0, b=[0.1, -0.2], readout=[[1.0, -0.5]], input_mode="activation")
    dt, eps, n_lags = 0.05, 0.05, 6
    rf = R.linear_response(model, dt=dt, n_lags=n_lags, method="perturbation", n_paths=4000,
                           eps=1e-3, seed=3)
    for a in range(2):
        u = np.zeros((n_lags, 2))
        up, um = u.copy(), u.copy()
        up[0, a], um[0, a] = eps, -eps
        kw = dict(dt=dt, n_paths=20_000, seed=4, burn_in=400)
        yp = sk.simulate(model, up, **kw, save="paths").outputs[:, 1:, 0]
        ym = sk.simulate(model, um, **kw, save="paths").outputs[:, 1:, 0]   # same noise
        d = (yp - ym) / (2 * eps * dt)
        se = d.std(axis=0) / np.sqrt(d.shape[0])
        err = np.abs(d.mean(axis=0) - rf.values[:, 0, a])
        assert np.all(err < 4 * np.hypot(se, rf.stderr[:, 0, a]) + 5e-3), (a, err, se)


@pytest.mark.parametrize("call", [
    lambda m: R.linear_response(m, dt=0.02, n_lags=3, method="girsanov"),
    lambda m: R.linear_response(m, dt=0.02, n_lags=3, method="fdt"),
    lambda m: R.linear_response(m, dt=0.02, n_lags=3, method="grid"),
    lambda m: R.second_order_response(m, dt=0.02, n_lags=3, method="girsanov"),
    lambda m: R.volterra_terms(m, np.ones((3, 1)), dt=0.02),
    lambda m: R.GridChain(m, dt=0.02),
])
def test_other_estimators_still_refuse_the_activation_mode(v5, call):
    with pytest.raises(NotImplementedError, match="input_mode='activation'"):
        call(v5)
