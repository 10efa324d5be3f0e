"""ReservoirForecaster(alpha="auto"): the readout's penalty by cross-validation in time."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

import srnnkit as sk
from srnnkit.learning import ReservoirForecaster
from srnnkit.learning._reservoir import CV_FOLDS, FORECAST_ALPHAS, _lag_block

from ._additive import additive_forecaster  # noqa: F401


def _nrmse(pred, target):
    return float(np.sqrt(np.mean((pred - target) ** 2)) / target.std())


@pytest.mark.parametrize("p", [1, 3])
def test_cross_validation_in_time_equals_refits_on_the_other_blocks(p):
    """The errors of `_choose_lags` (readout on [state, p past values]) against scikit-learn
    ridge refitted on the other blocks, at every penalty of the grid."""
    rng = np.random.default_rng(0)
    L, N, m, washout = 60, 5, 2, 6
    hbar, z = rng.standard_normal((L, N)), rng.standard_normal((L, m))
    rows = np.arange(washout, L - 1)
    F = np.hstack([hbar[rows], _lag_block(z, p)[rows - 1]])
    T = np.c_[F[:, 0] - F[:, 1] ** 2, F[:, -1]] + 0.3 * rng.standard_normal((rows.size, 2))
    est = ReservoirForecaster(n_hidden=N, washout=washout)
    tgt = np.zeros((L - 1, 2))
    tgt[rows] = T                                  # row t's target at step t (horizon 1)
    lags, _, cv, state = est._choose_lags(hbar, z[:L - 1], tgt, {p: washout}, 1)
    assert state                                   # the target needs the state
    Fc = F - F.mean(axis=0)
    alphas = FORECAST_ALPHAS * float(np.sum(Fc * Fc)) / rows.size
    ref = np.zeros(alphas.size)
    for block in np.array_split(np.arange(rows.size), CV_FOLDS):
        train = np.setdiff1d(np.arange(rows.size), block)
        for i, a in enumerate(alphas):
            fit = Ridge(alpha=a, solver="svd").fit(F[train], T[train])
            ref[i] += np.sum((fit.predict(F[block]) - T[block]) ** 2)
    assert lags == p
    np.testing.assert_allclose(cv, ref / rows.size, rtol=1e-7)


def test_auto_penalty_on_a_random_walk_and_on_mackey_glass():
    """A fixed 1e-8 (the earlier default) gave 10.7 on this random walk (persistence 0.07);
    the chosen penalty is large there and at the bottom of the grid on Mackey-Glass."""
    walk = np.cumsum(np.random.default_rng(0).standard_normal(1200))
    # the state in the readout (lags=1: no cross-validation, which would drop it here)
    fixed = ReservoirForecaster(alpha=1e-8, lags=1, washout=100, random_state=0).fit(walk[:600])
    auto = ReservoirForecaster(random_state=0).fit(walk[:600])
    persistence = _nrmse(walk[599:1199], walk[600:])
    err = {name: _nrmse(est.predict_next(walk)[599:1199], walk[600:])
           for name, est in (("fixed", fixed), ("auto", auto))}
    assert err["fixed"] > 20 * persistence and err["auto"] < 2 * persistence
    # a large penalty on the state, or the past values alone (their ridge needs none)
    assert not auto.uses_state_ or _chosen(auto) >= 10       # relative penalty >= 1e-4
    mg = sk.datasets.mackey_glass(1600, seed=0)
    fc = ReservoirForecaster(n_hidden=100, random_state=0).fit(mg[:800])
    assert _nrmse(fc.predict_next(mg)[799:1599], mg[800:]) < 1e-3
    assert _chosen(fc) <= 6                        # relative penalty <= 1e-8


def _chosen(est):
    """Index of the chosen penalty in `FORECAST_ALPHAS` (ties go to the larger)."""
    cv = est.cv_errors_
    assert cv.shape == FORECAST_ALPHAS.shape
    return int(np.flatnonzero(cv <= cv.min() * (1 + 1e-10))[-1])


def test_zero_penalty_is_the_minimum_norm_readout():
    """alpha=0 on a constant series raised a bare LinAlgError (singular matrix)."""
    fc = ReservoirForecaster(n_hidden=10, alpha=0, washout=5, random_state=0).fit(np.ones(60))
    np.testing.assert_allclose(fc.predict(3)[:, 0], 1.0)
    assert np.isfinite(fc.coef_).all()


@pytest.mark.parametrize("alpha", ["autox", -1.0])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        ReservoirForecaster(alpha=alpha).fit(np.sin(np.arange(200.0)))


def test_a_list_of_series_is_refused():
    """Found by fuzzing: a list of 200 series of 50 steps was read as one series of 200
    steps and 50 channels, silently."""
    series = [np.sin(0.3 * np.arange(50) + p) for p in range(20)]
    with pytest.raises(TypeError, match=r"series must be one series.*got 'a list of 20 "
                                        r"arrays'"):
        ReservoirForecaster(n_hidden=10, random_state=0).fit(series)
    one = ReservoirForecaster(n_hidden=10, washout=5, random_state=0).fit(np.asarray(series))
    assert one.n_features_in_ == 50                  # said explicitly: one 50-channel series


def test_bool_washout_and_overflowing_states_are_named():
    with pytest.raises(TypeError, match='washout must be an integer >= 0 or "auto"; got True'):
        ReservoirForecaster(n_hidden=10, washout=True).fit(np.sin(np.arange(300.0)))
    with np.errstate(all="ignore"), pytest.raises(ValueError, match="input_scale must be"):
        ReservoirForecaster(n_hidden=10, input_scale=1e200, random_state=0).fit(
            np.sin(np.arange(300.0)))


def test_a_leak_too_small_to_settle_is_named():
    """It failed with a memory message about a 1e13-step run's 'mean and stderr'."""
    with pytest.raises(ValueError, match=r"leak must be a leak whose relaxation time .* got "
                                         r"'1e-12 \(a burn-in of 1e\+13 steps\)'"):
        ReservoirForecaster(n_hidden=10, leak=1e-12).fit(np.sin(np.arange(300.0)))


def test_constant_linear_srnn_features_warn_and_give_the_mean():
    """noise=1e300 made every feature constant: leave-one-out divided by a zero scale and
    failed with an IndexError; now the readout is the intercept, with a warning."""
    from srnnkit.learning import LinearSRNNRegressor, NearConstantGramWarning

    X = np.random.default_rng(0).standard_normal((20, 30))
    y = X.mean(axis=1)
    with pytest.warns(NearConstantGramWarning, match="every feature of LinearSRNNRegressor "
                                                     "is constant"):
        est = LinearSRNNRegressor(noise=1e300, linear=False, random_state=0).fit(X, y)
    np.testing.assert_allclose(est.predict(X[:3]), y.mean())
    # the linear readouts (the mean states) do not depend on the noise: they still read the
    # target, a linear functional of the series
    est = LinearSRNNRegressor(noise=1e300, random_state=0).fit(X, y)
    assert est.linear_ and est.features_.readout == "none"
    np.testing.assert_allclose(est.predict(X[:3]), y[:3], atol=0.05 * y.std())


def test_a_diverging_closed_loop_forecast_says_so():
    """Found by fuzzing: a square wave, forecast one step ahead to 1e-6, reached 1e4-1e5 in
    closed loop within 100 steps with no warning; a sine stays quiet."""
    import warnings

    from srnnkit.learning import ForecastDivergenceWarning

    t = np.arange(700)
    square = np.sign(np.sin(2 * np.pi * t / 60 + 0.1))
    # one past value in the readout (lags=1, the default before lags="auto", which keeps
    # this square wave in range) and a given penalty: with alpha="auto" the readout's closed
    # loop is checked on the training series, and the bounded one taken stays within 1.8
    # (test_forecaster_stability.py)
    fc = ReservoirForecaster(lags=1, alpha=1e-8, random_state=0).fit(square[:600])
    with pytest.warns(ForecastDivergenceWarning, match=r"closed-loop forecast diverged: at "
                                                       r"step \d+ it reached") as rec:
        out = fc.predict(100)
    assert len(rec) == 1 and np.abs(out).max() > 10       # the values are still returned
    checked = ReservoirForecaster(lags=1, random_state=0).fit(square[:600])
    assert checked.n_unstable_ > 0 and np.abs(checked.predict(100)).max() < 10   # was 4.5e3
    sine = np.sin(2 * np.pi * t / 60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastDivergenceWarning)
        assert np.abs(ReservoirForecaster(random_state=0).fit(sine[:600]).predict(200)).max() < 2
    # found by review: once the forecast was NaN, every later step warned again
    z = np.sign(np.sin(2 * np.pi * np.arange(400) / 37))
    fc = ReservoirForecaster(n_hidden=30, alpha=1e-10, activation="relu", spectral_radius=1.2,
                             random_state=0).fit(z)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always", ForecastDivergenceWarning)
        fc.predict(3000)
    assert len([w for w in rec if w.category is ForecastDivergenceWarning]) == 1


def test_auto_lags_reach_past_the_reservoirs_memory():
    """Found by a held-out check: NARMA30 (y[t+1] needs u[t-29]) gave 0.76 with one past
    value in the readout against 0.38 for a ridge on 50 lags of u; the number of past values
    is now chosen with the penalty by the same cross-validation in time."""
    rng = np.random.default_rng(0)
    u = rng.uniform(0, 0.5, 1600)
    y = np.r_[np.zeros(30), u[:-30]]                 # y[t+1] = u[t-29]: a 30-step memory
    one = ReservoirForecaster(n_hidden=50, lags=1, random_state=0).fit(u[:800], y[:800])
    auto = ReservoirForecaster(n_hidden=50, random_state=0).fit(u[:800], y[:800])
    err = {k: _nrmse(e.predict_next(u)[799:1599], y[800:]) for k, e in
           (("one", one), ("auto", auto))}
    assert err["one"] > 0.9 and err["auto"] < 0.05 and auto.lags_ == 32
    # closed loop and history continue the window of past values: predict(1) is the last
    # teacher-forced one-step prediction
    s = np.sin(0.3 * np.arange(700)) + 0.5 * np.sin(0.3 * np.sqrt(2) * np.arange(700))
    fc = ReservoirForecaster(n_hidden=50, random_state=0).fit(s[:600])
    assert fc.lags_ > 1 and fc.coef_.shape == (50 + fc.lags_, 1)
    np.testing.assert_allclose(fc.predict(1)[0, 0], fc.predict_next(s[:600])[-1], rtol=1e-12)
    np.testing.assert_allclose(fc.predict(3, history=s[:650])[0, 0],
                               fc.predict_next(s[:650])[-1], rtol=1e-12)
    assert _nrmse(fc.predict(50)[:, 0], s[600:650]) < 0.01
    with pytest.raises(ValueError, match="lags must be at most washout"):
        ReservoirForecaster(n_hidden=10, washout=5, lags=7).fit(s)


def _seasonal(seed, n=2000):
    """Period 24 (a daily cycle of hourly data) with its second harmonic, plus AR(1) noise."""
    rng = np.random.default_rng(seed)
    t, e = np.arange(n), 0.5 * rng.standard_normal(n)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.5 * x[i - 1] + e[i]
    return 3 * np.sin(2 * np.pi * t / 24) + np.sin(4 * np.pi * t / 24 + 1) + x


def test_auto_lags_double_past_the_grid_while_the_longest_wins():
    """Found by a held-out check: a period-24 series of 1400 training steps took the grid's
    longest window, 64, on every seed (5 of 5), and 128 was better held out (one-step NRMSE
    -0.0027 +- 0.0009, 50 steps in closed loop -0.028 +- 0.017, paired over 5 seeds). The
    window now doubles while the longest one wins the cross-validation."""
    s, n = _seasonal(2), 1400
    auto = ReservoirForecaster(random_state=0).fit(s[:n])
    grid = ReservoirForecaster(lags=64, random_state=0).fit(s[:n])   # the earlier choice
    assert grid.lags_ == 64 and auto.lags_ == 128
    err = {k: _nrmse(e.predict_next(s)[n - 1:-1], s[n:]) for k, e in
           (("auto", auto), ("grid", grid))}
    assert err["auto"] < 0.99 * err["grid"]                    # 0.2135 against 0.2191


def test_no_doubling_when_a_shorter_window_wins(monkeypatch):
    """When a window below the grid's longest wins, no longer one is tried (the fit and its
    cost stay as before the doubling)."""
    seen = []
    cv = ReservoirForecaster._cv_windows

    def spy(self, F, T, grid, *args):
        seen.extend(grid)
        return cv(self, F, T, grid, *args)

    monkeypatch.setattr(ReservoirForecaster, "_cv_windows", spy)
    walk = np.cumsum(np.random.default_rng(0).standard_normal(600))     # 128 in the bounds
    fc = ReservoirForecaster(n_hidden=200, random_state=0).fit(walk)
    assert fc.lags_ < 64 and max(seen) == 64


def test_direct_horizons_each_get_their_own_penalty():
    """Found by a held-out check: one penalty for all of max_horizon=20's horizons (their
    summed CV error, led by the far ones) gave Lorenz-63 x a one-step NRMSE of 3.7e-5 +- 3.2e-5
    (3 seeds) against 4.2e-6 for the recursive readout; each horizon now takes its own."""
    noise = np.random.default_rng(1).standard_normal(900)
    s = sk.datasets.mackey_glass(900, seed=0) + 0.01 * noise
    fc = ReservoirForecaster(n_hidden=40, strategy="direct", max_horizon=6, lags=2,
                             washout=100, input_mode="additive", random_state=0).fit(s)
    assert fc.alpha_.shape == (6,) and fc.cv_errors_.shape == FORECAST_ALPHAS.shape
    assert len(set(fc.alpha_.tolist())) > 1
    for k in (0, 5):                     # each horizon's columns: the fit at its own penalty
        ref = ReservoirForecaster(n_hidden=40, strategy="direct", max_horizon=6, lags=2,
                                  washout=100, alpha=fc.alpha_[k], input_mode="additive",
                                  random_state=0).fit(s)
        np.testing.assert_allclose(fc.coef_[:, k], ref.coef_[:, k], rtol=1e-9, atol=1e-12)


def test_a_forecaster_saved_before_lags_loads_with_the_last_value_readout():
    """A forecaster pickled before ``lags`` existed (no ``lags``, ``lags_``, ``last_lags_``):
    its repr, get_params and clone raised AttributeError; it now reads as ``lags=1``, the
    readout it was fitted with, and forecasts as it did."""
    import pickle

    from sklearn.base import clone

    z = np.sin(0.1 * np.arange(400))
    new = ReservoirForecaster(n_hidden=20, lags=1, random_state=0).fit(z)
    old = ReservoirForecaster(n_hidden=20, lags=1, random_state=0).fit(z)
    for name in ("lags", "lags_", "last_lags_"):
        del old.__dict__[name]
    old = pickle.loads(pickle.dumps(old))
    assert old.get_params()["lags"] == 1 and "lags=1" in repr(old)
    assert clone(old).lags == 1
    np.testing.assert_array_equal(old.predict(5), new.predict(5))
    np.testing.assert_array_equal(old.predict(3, history=z[:200]), new.predict(3, history=z[:200]))
    np.testing.assert_array_equal(old.predict_next(z[:200]), new.predict_next(z[:200]))
    unfitted = ReservoirForecaster(n_hidden=20)
    del unfitted.__dict__["lags"]
    assert pickle.loads(pickle.dumps(unfitted)).lags == 1


def test_alpha_is_a_float_unless_direct_with_several_horizons():
    """The documented type of ``alpha_``: one penalty per horizon only with several."""
    z = np.sin(0.1 * np.arange(400))
    kw = dict(n_hidden=20, random_state=0)
    assert isinstance(ReservoirForecaster(**kw).fit(z).alpha_, float)
    assert isinstance(ReservoirForecaster(strategy="direct", **kw).fit(z).alpha_, float)
    alpha = ReservoirForecaster(strategy="direct", max_horizon=3, **kw).fit(z).alpha_
    assert isinstance(alpha, np.ndarray) and alpha.shape == (3,)
