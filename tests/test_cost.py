"""Cost said up front: estimates close to the measured time, CostWarning on long calls (before
any work, naming the knob), none on short ones, the burn-in of simulate said when it
dominates, defaults sized to the work (no 100k-path stationary mean unless asked)."""

import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import srnnkit as sk
from srnnkit import _cost, _progress
from srnnkit.features import LegendreBasis

R = sk.response


@pytest.fixture
def strict():
    """CostWarning raised as an error: a warned call stops before doing any work."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", sk.CostWarning)
        yield


def _net(n, m=2, seed=0):
    return sk.SRNN.random(n, m, noise=0.3, seed=seed)


rng = np.random.default_rng(0)
X = 0.1 * rng.standard_normal((48, 120, 3))
# calls of about 0.1-0.5 s on a loaded two-core machine
SMALL = {
    "simulate": (sk.simulate, (_net(16), np.zeros((400, 2))),
                 dict(dt=0.01, n_paths=1024, burn_in=300, seed=0)),
    "perturbation": (R.linear_response, (_net(8),),
                     dict(dt=0.01, n_lags=40, method="perturbation", n_paths=2048, seed=0,
                          burn_in=500)),
    "girsanov": (R.linear_response, (_net(8),),
                 dict(dt=0.01, n_lags=40, method="girsanov", n_chains=8, n_steps=20_000,
                      seed=0, burn_in=2000)),
    "volterra_terms": (R.volterra_terms, (_net(8), np.ones((100, 2))),
                       dict(dt=0.01, n_paths=4096, seed=0, burn_in=300)),
    "signature_kernel": (sk.kernels.signature_kernel, (X,), {}),
    "response_kernel": (sk.kernels.response_kernel, (X[:32],),
                        dict(dt=0.01, basis=LegendreBasis(2, 1.2))),
    "signature": (sk.signature, (0.1 * rng.standard_normal((4000, 100, 3)), 4), {}),
}


@pytest.mark.slow   # it times calls: CI's second step, not the default run (no timing there)
@pytest.mark.parametrize("name", list(SMALL))
def test_estimate_within_a_factor_three_of_the_measured_time(name):
    """Rates measured on this machine (a few ms) predict a call's time within ~3x. The
    measured time is the faster of two runs (the first may compile); a second, independent
    try is allowed when the shared machine's load changed in between."""
    func, args, kwargs = SMALL[name]
    tries = []
    for _ in range(2):       # the machine is shared: a second, fresh try when load shifted
        _cost._MEASURED.clear()
        est = sk.estimate_cost(func, *args, **kwargs)
        assert est.calibrated
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            func(*args, **kwargs)
            times.append(time.perf_counter() - t0)
        tries.append((est.seconds / min(times), est.seconds, times))
        if 1 / 3 < tries[-1][0] < 3:
            break
    assert 1 / 3 < tries[-1][0] < 3, (name, tries)


def test_gram_rates_are_measured_on_about_as_many_pairs_as_the_call(monkeypatch):
    """The deterministic half of the test below (no timing): the synthetic Gram of the rate
    measurement has about as many pairs as the call, at most 48 series."""
    from srnnkit.kernels import _cost as kc

    seen = []
    monkeypatch.setattr(kc, "_calibrated", lambda fn, d, kw, cells, n: seen.append(n) or 1e-9)
    X = np.zeros((1, 10, 2))
    for U, V, want in [(X, None, 1), (np.zeros((3, 10, 2)), None, 3),
                       (np.zeros((2, 10, 2)), np.zeros((5, 10, 2)), 4),
                       (np.zeros((500, 10, 2)), None, 48)]:
        seen.clear()
        _cost._MEASURED.clear()
        sk.estimate_cost(sk.kernels.signature_kernel, U, V)
        sk.estimate_cost(sk.kernels.response_kernel, U, V, dt=0.1,
                         basis=sk.features.MonomialBasis(1))
        assert seen == [want, want], (U.shape, seen)
    _cost._MEASURED.clear()


@pytest.mark.slow   # it times calls
def test_gram_of_one_series_is_not_estimated_at_the_rate_of_full_lanes():
    """Found by fuzzing: the Gram rates were measured on 48 series (full SIMD lanes, the
    time table and the coarse-grid check shared by 1,176 pairs), so one series was estimated
    270x (response kernel, 800 steps) and 56x (signature kernel, 1,500 points) too fast. The
    rate is now measured on about as many pairs as the call; a loose factor 10 here (the
    timing test above holds 3)."""
    r = np.random.default_rng(3)
    calls = [(sk.kernels.response_kernel, (0.01 * r.standard_normal((1, 800, 1)),),
              dict(dt=1 / 800, basis=sk.features.MonomialBasis(2), dyadic_order=1)),
             (sk.kernels.signature_kernel, (0.01 * r.standard_normal((1, 1500, 2)).cumsum(1),),
              dict(dyadic_order=1))]
    for func, args, kwargs in calls:
        est = sk.estimate_cost(func, *args, **kwargs)
        func(*args, **kwargs)
        t0 = time.perf_counter()
        func(*args, **kwargs)
        ratio = (time.perf_counter() - t0) / est.seconds
        assert 0.1 < ratio < 10, (func.__name__, est.seconds, ratio)


@pytest.mark.parametrize("name", [*list(SMALL), "response_features"])
def test_every_costed_function_has_a_working_estimate(name):
    """An estimator that fails on valid arguments would make the call run unguarded (a
    CostWarning or size guard never said): each must give a positive estimate."""
    if name == "response_features":
        func, args, kwargs = (sk.response_features, (X[:4],),
                              dict(dt=0.01, basis=LegendreBasis(2, 1.2), depth=2))
    else:
        func, args, kwargs = SMALL[name]
    est = sk.estimate_cost(func, *args, **kwargs)
    assert est is not None and est.seconds > 0 and est.parts, (name, est)


def test_an_estimator_bug_is_not_swallowed(monkeypatch):
    """Bad arguments make an estimator return None (the call raises its own error), but an
    estimator that cannot import what it needs is a bug and surfaces."""
    def broken(*args, **kwargs):
        raise ImportError("cannot import name 'gone'")

    with pytest.raises(ImportError, match="gone"):
        _cost._safe(broken, (), {})
    assert _cost._safe(lambda: (_ for _ in ()).throw(ValueError("bad")), (), {}) is None


BIG = {   # (call, knob the warning must name)
    "simulate n_paths=10**9": (lambda: sk.simulate(_net(32), None, n_steps=1000, dt=0.01,
                                                   n_paths=10**9), "n_paths"),
    "from_model mean_paths=100_000": (lambda: R.VolterraSeries.from_model(
        _net(32), order=1, dt=0.01, n_lags=100, method="girsanov", mean_paths=100_000),
        "mean_paths"),
    "perturbation n_paths": (lambda: R.linear_response(
        _net(16), dt=0.01, n_lags=50, method="perturbation", n_paths=10**7), "n_paths"),
    "second order n_lags": (lambda: R.second_order_response(
        _net(16), dt=0.01, n_lags=300, method="perturbation", n_paths=4000), "n_lags"),
    "girsanov n_chains": (lambda: R.linear_response(
        _net(16), dt=0.01, n_lags=50, method="girsanov", n_chains=10**5), "n_chains"),
    "volterra_terms default n_paths": (lambda: R.volterra_terms(
        _net(32), np.ones((2000, 2)), dt=0.01), "n_paths"),
    "volterra_convergence default n_paths": (lambda: R.volterra_convergence(
        _net(32), np.ones((200, 2)), dt=0.01), "n_paths"),
    "Gram matrix": (lambda: sk.kernels.signature_kernel(
        np.broadcast_to(np.zeros((1, 1000, 3)), (5000, 1000, 3))), "number of series"),
    "signature batch": (lambda: sk.signature(
        np.broadcast_to(np.zeros((1, 1000, 3)), (10**6, 1000, 3)), 4), "batch size"),
}


@pytest.mark.parametrize("name", list(BIG))
def test_long_calls_warn_before_any_work(name, strict):
    call, knob = BIG[name]
    with pytest.raises(sk.CostWarning) as info:
        call()
    msg = str(info.value)
    assert "is estimated to take about" in msg and knob in msg, msg


def test_warnings_point_at_the_callers_line(monkeypatch):
    """The cost layer adds a frame around the estimators: their warnings still name the
    caller's line."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        old = R.linear_response(_net(2), dt=0.05, n_lags=3, method="girsanov", n_paths=2,
                                n_steps=20, seed=0, burn_in=5)
    assert old.values.shape == (3, 1, 2)
    dep = [w for w in rec if issubclass(w.category, DeprecationWarning)]
    assert dep and dep[0].filename == __file__
    monkeypatch.setattr(_cost, "WARN_SECONDS", 0.0)       # every estimate is "long"
    with pytest.warns(sk.CostWarning) as rec:
        R.linear_response(_net(2), dt=0.05, n_lags=3, method="perturbation", n_paths=50,
                          seed=0, burn_in=5)
    assert rec[0].filename == __file__


def test_short_calls_do_not_warn(strict):
    u = np.zeros((200, 2))
    sk.simulate(_net(8), u, dt=0.01, n_paths=512, seed=0)
    R.linear_response(_net(4), dt=0.05, n_lags=10, method="perturbation", n_paths=500, seed=0)
    R.VolterraSeries.from_model(_net(4), order=1, dt=0.05, n_lags=10, method="girsanov",
                                n_chains=4, n_steps=2000, seed=0)
    sk.kernels.signature_kernel(X[:10, :30])
    sk.signature(X, 3)


def test_burn_in_said_up_front_when_it_dominates(monkeypatch):
    monkeypatch.setattr(_progress, "AUTO_SECONDS", 0.0)   # as if the call took seconds
    model, u = _net(4), np.zeros((20, 2))
    with pytest.warns(sk.CostWarning, match=r"default burn-in runs \d+ unperturbed steps"
                                            r".*burn_in="):
        tr = sk.simulate(model, u, dt=0.05, n_paths=64, seed=0)
    assert tr.burn_in > 20
    with warnings.catch_warnings():
        warnings.simplefilter("error", sk.CostWarning)
        sk.simulate(model, u, dt=0.05, n_paths=64, seed=0, burn_in=100)     # chosen: quiet
        sk.simulate(model, np.zeros((3000, 2)), dt=0.05, n_paths=8, seed=0)  # not dominant


def test_from_model_default_mean_is_sized_to_the_work():
    """The issue's case: a 32-unit network, order 1, Girsanov. The default mean costs about
    what the kernel costs; 100,000 stationary draws (the old default) cost far more."""
    net = _net(32)
    kw = dict(order=1, dt=0.01, n_lags=100, method="girsanov")
    default = sk.estimate_cost(R.VolterraSeries.from_model, net, **kw)
    kernel = sk.estimate_cost(R.linear_response, net, dt=0.01, n_lags=100, method="girsanov")
    old = sk.estimate_cost(R.VolterraSeries.from_model, net, mean_paths=100_000, **kw)
    assert not any(p.knob == "mean_paths" for p in default.parts)
    assert default.seconds < 4 * kernel.seconds
    assert old.seconds > 20 * default.seconds


@pytest.mark.parametrize("method", ["fdt", "girsanov", "pathwise", "mixed"])
def test_default_mean_runs_are_the_calls_runs(method):
    """Found by fuzzing: pathwise and mixed ignored n_chains / n_steps for the mean (the
    docstring says it is sized like the call's runs)."""
    from srnnkit.response._mean import mean_runs_sizes

    assert mean_runs_sizes(method, None, 4, 3000, 10) == (4, 3000)
    assert mean_runs_sizes("perturbation", 500, None, None, 10)[0] == 16   # its defaults


def test_default_mean_agrees_with_the_exact_mean(tanh1d):
    """V2 (1-D tanh): the grid's exact EM-chain mean; the time average along stationary runs
    is within 4 standard errors, reproducible from the seed whatever the threads."""
    kw = dict(order=1, dt=0.05, n_lags=5, method="girsanov", n_chains=8, n_steps=4000,
              seed=3)
    vs = R.VolterraSeries.from_model(tanh1d, **kw)
    exact = R.GridChain(tanh1d, 0.05).mean_output
    assert vs.mean_stderr is not None and np.all(vs.mean_stderr > 0)
    assert np.all(np.abs(vs.mean - exact) < 4 * vs.mean_stderr), (vs.mean, exact,
                                                                  vs.mean_stderr)
    again = R.VolterraSeries.from_model(tanh1d, n_jobs=2, **kw)
    np.testing.assert_array_equal(again.mean, vs.mean)
    np.testing.assert_array_equal(again.mean_stderr, vs.mean_stderr)
    asked = R.VolterraSeries.from_model(tanh1d, mean_paths=400, **kw)   # draws, when asked
    assert asked.mean_stderr is not None and not np.array_equal(asked.mean, vs.mean)
    assert np.all(np.abs(asked.mean - exact) < 4 * asked.mean_stderr)


def test_linear_network_mean_is_exact(ou):
    """A linear SRNN with a linear readout: <f> = Q m_inf exactly (the EM chain's mean is the
    continuous one), no standard error."""
    model = sk.SRNN(W=ou.W, C=ou.C, sigma=ou.sigma, gamma=[1.0, 0.8], b=[0.2, -0.1],
                    activation="identity", readout=[[1.0, 0.5]])
    vs = R.VolterraSeries.from_model(model, order=1, dt=0.05, n_lags=5,
                                     method="perturbation", n_paths=100, seed=0)
    np.testing.assert_allclose(vs.mean, model.readout.Q @ model.stationary_mean())
    assert vs.mean_stderr is None


def test_estimate_cost_errors_and_threads():
    with pytest.raises(TypeError, match="func"):
        sk.estimate_cost(np.sum, [1, 2])
    with pytest.raises(ValueError, match="no cost estimate"):
        sk.estimate_cost(R.linear_response, _net(2, m=1), dt=0.1, n_lags=3, method="grid")
    # arguments that do not fit the function are named as the user's call, not the estimator's
    with pytest.raises(TypeError, match=r"estimate_cost\(simulate, \.\.\.\): missing a "
                                        "required argument: 'model'"):
        sk.estimate_cost(sk.simulate)
    with pytest.raises(TypeError, match=r"linear_response.*unexpected keyword argument 'nlags'"):
        sk.estimate_cost(R.linear_response, _net(2), dt=0.1, n_lags=3, nlags=3)
    with pytest.raises(ValueError, match=r"n_chains=.* is too large"):
        R.linear_response(_net(2), dt=0.1, n_lags=3, method="girsanov", n_chains=10**14)


def test_threads_count_only_on_idle_cores(monkeypatch):
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.0, 0.0))    # this process alone
    assert _cost.idle_cores() == 4 and _cost.speedup(8, 100) == pytest.approx(3.4)
    assert _cost.speedup(2, 1) == 1.0                                 # one task: one thread
    kw = dict(dt=0.01, n_paths=8192, seed=0, burn_in=10)
    one = sk.estimate_cost(sk.simulate, _net(8), np.zeros((100, 2)), **kw)
    two = sk.estimate_cost(sk.simulate, _net(8), np.zeros((100, 2)), n_jobs=2, **kw)
    assert two.seconds < one.seconds and two.speedup == pytest.approx(1.8)
    monkeypatch.setattr(os, "getloadavg", lambda: (4.5, 0.0, 0.0))    # others use 3.5 cores
    assert _cost.idle_cores() == 1 and _cost.speedup(4, 100) == 1.0


def test_rates_are_measured_once_per_process_and_never_at_import():
    import os

    src = os.path.dirname(os.path.dirname(sk.__file__))
    code = ("import sys, srnnkit; print('srnnkit._cost' in sys.modules); srnnkit.CostWarning; "
            "print(sorted(srnnkit._cost._MEASURED))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": src})
    assert out.stdout.split() == ["False", "[]"]
    calls = []

    def measure():
        calls.append(1)
        return 1e-3
    rate = _cost.Rate(("a test rate", id(calls)), 1.0, measure)
    est = _cost.CostEstimate("test", [_cost.Part("ten units", "n_units", 10.0, rate, 10)])
    assert est.resolve().seconds == pytest.approx(0.01) and est.calibrated  # prior 10 s
    est.resolve(calibrate=True)
    assert calls == [1]


def test_message_and_format():
    assert _cost.format_seconds(0.2) == "under a second"
    assert _cost.format_seconds(45) == "about 45 s"
    assert _cost.format_seconds(200) == "about 3.3 min"
    assert _cost.format_seconds(3 * 86400) == "about 3 days"
    rate = _cost.Rate(("fixed",), 1.0, lambda: None)
    est = _cost.CostEstimate("f", [_cost.Part("a", "n_a", 100.0, rate),
                                   _cost.Part("b", "n_b", 20.0, rate)]).resolve(False)
    msg = est.message()
    assert msg.startswith("f is estimated to take about 2 min") and "lower n_a or n_b" in msg
    assert "83 %" in msg and not est.calibrated


def test_mean_stderr_is_saved(tanh1d, tmp_path):
    vs = R.VolterraSeries.from_model(tanh1d, order=1, dt=0.05, n_lags=4, method="girsanov",
                                     n_chains=3, n_steps=500, seed=1)
    sk.save(vs, tmp_path / "vs.npz")
    back = sk.load(tmp_path / "vs.npz")
    np.testing.assert_array_equal(back.mean_stderr, vs.mean_stderr)
    np.testing.assert_array_equal(back.mean, vs.mean)
