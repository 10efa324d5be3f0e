"""Cost estimates of the stationary-run estimators added for issue 18: ``"pathwise"``,
``"mixed"`` and the learned score count their extra work (tangent vectors, score features)
from the resolved sizes, and scale with the arguments that size them."""

import srnnkit as sk

R = sk.response
NET = sk.SRNN.random(6, 2, noise=0.3, seed=0)


def _parts(est):
    return {p.what: p for p in est.parts}


def _work(est, word):
    return sum(p.work for p in est.parts if word in p.what)


def test_pathwise_counts_its_tangents_and_no_fft():
    kw = dict(dt=0.05, method="pathwise", n_chains=4, n_steps=2000)
    a = sk.estimate_cost(R.linear_response, NET, n_lags=20, **kw)
    b = sk.estimate_cost(R.linear_response, NET, n_lags=40, **kw)
    assert any("tangent" in w for w in _parts(a)) and not any("FFT" in w for w in _parts(a))
    # kicks every n_lags // 10 steps, n_lags products each: the work does not grow with n_lags
    assert 0.5 < _work(b, "tangent") / _work(a, "tangent") < 1.5


def test_mixed_second_order_counts_a_tangent_per_step_and_a_pilot():
    kw = dict(dt=0.05, n_lags=8, n_chains=4, n_steps=2000)
    est = sk.estimate_cost(R.second_order_response, NET, method="mixed", **kw)
    names = " ".join(_parts(est))
    assert "tangent" in names and "pilot" in names and "FFT" in names
    act = sk.SRNN(W=NET.W, C=NET.C, sigma=NET.sigma, gamma=NET.gamma_matrix, b=NET.b,
                  input_mode="activation")
    inside = sk.estimate_cost(R.second_order_response, act, method="mixed", **kw)
    # with the input inside the activation the coincident kicks add the H directions
    assert _work(inside, "tangent") > _work(est, "tangent")


def test_learned_score_counts_its_features_the_gaussian_score_does_not():
    kw = dict(dt=0.05, n_lags=10, method="fdt", n_chains=4, n_steps=2000)
    learned = sk.estimate_cost(R.linear_response, NET, score="learned", **kw)
    auto = sk.estimate_cost(R.linear_response, NET, **kw)
    gauss = sk.estimate_cost(R.linear_response, NET, score="gaussian", **kw)
    assert _work(learned, "learned-score") > 0 and _work(auto, "learned-score") > 0
    assert _work(gauss, "learned-score") == 0 and _work(gauss, "quasi-Gaussian") > 0
