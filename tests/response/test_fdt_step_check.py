"""The FDT's check of its O(dt^2) remainder with the input inside the activation
(``info["fdt_step_check"]``, `FDTStepWarning`; docs/response.md).

The FDT's conjugate variable is the Euler-Maruyama chain's to first order in dt. On the 1-D
network w=-2, sigma=1.2, b=0.5 at dt=0.1 the remainder is 2.9 % of the kernel's peak at lag 0
(16 standard errors at the default sizes); at dt=0.025 it is 0.19 % (under one standard
error). References: the exact grid kernel (GridChain). Fixed seeds.
"""

import warnings

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.response import _fdt

R = sk.response


def net(w=-2.0, sigma=1.2):
    return sk.SRNN(W=[[w]], C=[[1.0]], sigma=sigma, gamma=1.0, b=[0.5],
                   input_mode="activation")


def fdt(model, dt, n_lags, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rf = R.linear_response(model, method="fdt", dt=dt, n_lags=n_lags, seed=1, **kw)
    return rf, [c for c in caught if issubclass(c.category, R.FDTStepWarning)]


def test_a_large_step_is_flagged_and_the_centring_term_is_the_lag0_error():
    model = net()
    rf, caught = fdt(model, 0.1, 20)
    check = rf.info["fdt_step_check"]
    assert check["flagged"] and check["flagged_centring"]
    assert len(caught) == 1 and caught[0].filename == __file__    # points at the user's line
    assert "smaller dt" in str(caught[0].message)
    exact = R.GridChain(model, dt=0.1).linear_response(20).values[:, 0, 0]
    peak = np.abs(exact).max()
    err0 = (rf.values[0, 0, 0] - exact[0]) / peak
    # measured: lag-0 error -2.66 %, 15.6 of the estimate's SE; centring term 2.83 %
    assert err0 < -5 * rf.stderr[0, 0, 0] / peak
    assert check["centring_lag"] == 0 and abs(check["centring"] - abs(err0)) < 0.5 * abs(err0)
    # the likelihood-ratio difference sees it too (z 10.3 against 5.3)
    assert check["max_z"] > check["threshold"] and check["lag"] == 0
    assert check["difference"] == pytest.approx(-err0, abs=4 * check["difference_se"])


def test_a_small_step_is_silent():
    rf, caught = fdt(net(), 0.025, 80)
    check = rf.info["fdt_step_check"]
    assert not caught and not check["flagged"]
    assert check["centring_z"] < 2 and check["max_z"] < check["threshold"]


def test_the_callable_score_gets_the_likelihood_ratio_check_only():
    model = net()
    chain = R.GridChain(model, dt=0.1)
    rf, _ = fdt(model, 0.1, 10, score=chain.conjugate_variable, n_chains=8, n_steps=20_000)
    check = rf.info["fdt_step_check"]
    assert "centring" not in check and not check["flagged"]    # the exact chain: unbiased


def test_additive_input_and_noiseless_inputs_have_no_check():
    add = sk.SRNN(W=[[-2.0]], C=[[1.0]], sigma=1.2, b=[0.5])
    rf, caught = fdt(add, 0.1, 5, n_chains=2, n_steps=2000)
    assert "fdt_step_check" not in rf.info and not caught
    two = sk.SRNN(W=[[-1.0, 0.5], [0.5, -1.0]], C=[[1.0], [0.0]], sigma=[[0.8], [0.4]],
                  input_mode="activation")
    assert _fdt.StepCheck.of(two, 0.1, 5, 100) is None           # unit 0 has no own noise


def test_chain_gbar_is_conjugate_values():
    model = net()
    rng = np.random.default_rng(0)
    h, s, tr = rng.standard_normal((3, 50, 1))
    g, dg, a1, F = _fdt.chain_gbar(model, h, s, 0.1, tr)
    v = _fdt.conjugate_values(model, h, s, dt=0.1, score_trace=tr)
    assert np.allclose(-((dg + g * s) @ model.C), v)
    # conjugate_values now calls chain_gbar, so the line above holds by construction: the
    # values of conjugate_values before the split (41e986a), bit for bit
    np.testing.assert_array_equal(v[:4, 0], [0.8216042732857485, 0.18932212976019425,
                                             0.42614815554213664, 0.756307219834536])
    assert float(np.abs(v).sum()).hex() == "0x1.ab59619694e50p+4"
    assert np.allclose(a1, 1 - np.tanh(h @ model.W.T + model.b) ** 2)
    assert np.allclose(F, model.drift(h))
