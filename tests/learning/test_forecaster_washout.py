"""ReservoirForecaster(washout="auto") and the readout without the state, on short series."""

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.learning import ReservoirForecaster
from srnnkit.learning._reservoir import WASHOUT_FRACTION, WASHOUT_TOL, _step
from srnnkit.simulate import simulate

from ._additive import additive_forecaster  # noqa: F401
from ._systems import lorenz63


def _lorenz_x(n, dt=0.02, burn=1000):
    """x of Lorenz-63 (RK4, two substeps per sample), after ``burn`` samples."""
    return lorenz63(n, dt, [1.0, 1.0, 20.0], 2, burn)[:, 0]


def _nrmse(pred, target):
    return float(np.sqrt(np.mean((pred - target) ** 2)) / target.std())


def test_short_lorenz_series_forecast_as_well_as_a_lag_ridge():
    """Found by a held-out check: 200 training steps of Lorenz x gave a one-step NRMSE of
    0.025 +- 0.011 (5 seeds) against 4.3e-4 for a cross-validated ridge on past values: the
    fixed washout of 100 dropped half the rows, and 200 state features on the other 99
    extrapolated badly. Now 1.1e-4 +- 0.3e-4; a 100-step series, refused before, 2.0e-4."""
    x = _lorenz_x(1200)
    for n, bound in ((200, 1e-3), (100, 2e-3)):
        fc = ReservoirForecaster(random_state=0).fit(x[:n])
        assert fc.washout_ <= WASHOUT_FRACTION * n
        assert _nrmse(fc.predict_next(x)[n - 1:-1], x[n:]) < bound


def test_auto_washout_is_where_the_start_is_forgotten():
    """On a long series ``washout_`` is the first step from which a start moved by 1 in
    every unit gives states within rounding (``n_hidden * eps``) of the fitted ones."""
    z = sk.datasets.mackey_glass(1500, seed=0)
    fc = ReservoirForecaster(n_hidden=50, random_state=0).fit(z)
    assert 0 < fc.washout_ < WASHOUT_FRACTION * z.size          # the rule, not the cap
    s = ((z - fc.mean_) / fc.scale_)[:, None]
    run = lambda h0: simulate(fc.model_, s, dt=_step(fc), n_paths=1,  # noqa: E731
                              seed=fc.noise_seed_, h0=h0, burn_in=0, save="mean").mean
    kick = np.where(np.arange(50) % 2, 1.0, -1.0)
    gap = np.abs(run(fc.h0_ + kick) - run(fc.h0_)).max(axis=1)
    assert gap[fc.washout_ - 1] > 50 * WASHOUT_TOL
    assert np.all(gap[fc.washout_:] <= 50 * WASHOUT_TOL)


@pytest.mark.parametrize("washout", [0, 7, 100])
def test_an_integer_washout_is_kept(washout):
    z = np.sin(0.3 * np.arange(300)) + 0.1 * np.random.default_rng(0).standard_normal(300)
    fc = ReservoirForecaster(n_hidden=20, washout=washout, random_state=0).fit(z)
    assert fc.washout_ == washout and fc.lags_ <= washout + 1


def test_the_readout_drops_the_state_when_past_values_alone_validate_better():
    """An AR(2) series of 150 steps: the cross-validation takes the past values alone (the
    state's weights are 0, ``uses_state_`` is False); with a fixed penalty and ``lags=1``
    (no cross-validation) the state stays."""
    rng = np.random.default_rng(0)
    x = np.zeros(650)
    for t in range(2, 650):
        x[t] = 1.6 * x[t - 1] - 0.8 * x[t - 2] + rng.standard_normal()
    x = x[500:]
    fc = ReservoirForecaster(n_hidden=50, random_state=0).fit(x)
    assert not fc.uses_state_ and np.all(fc.coef_[:50] == 0)
    fixed = ReservoirForecaster(n_hidden=50, lags=1, alpha=1e-3, random_state=0).fit(x)
    assert fixed.uses_state_ and np.any(fixed.coef_[:50] != 0)


def test_a_forecaster_saved_before_the_auto_washout_loads():
    """Pickled without ``washout_`` and ``uses_state_``: it reads them as its integer washout
    and the state in the readout, the readout it was fitted with."""
    import pickle

    z = np.sin(0.1 * np.arange(400))
    fc = ReservoirForecaster(n_hidden=20, washout=30, lags=1, alpha=1e-6,
                             random_state=0).fit(z)
    old = pickle.loads(pickle.dumps(fc))
    for name in ("washout_", "uses_state_"):
        del old.__dict__[name]
    old = pickle.loads(pickle.dumps(old))
    assert old.washout_ == 30 and old.uses_state_
    np.testing.assert_array_equal(old.predict(5), fc.predict(5))


def test_a_series_too_short_for_the_given_lags_says_why():
    """With ``washout="auto"`` an integer ``lags`` sets the washout to at least ``lags - 1``
    (its past values must lie in the series); a series too short for it is refused so."""
    x = np.sin(0.2 * np.arange(60))
    with pytest.raises(ValueError, match=r"65 steps \(the washout is lags - 1 = 63\)"):
        ReservoirForecaster(n_hidden=10, lags=64, random_state=0).fit(x)
    fc = ReservoirForecaster(n_hidden=10, lags=64, random_state=0).fit(np.r_[x, x])
    assert fc.washout_ == 63 and fc.lags_ == 64


def test_short_history_or_series_warns_of_the_transient():
    """Found by a held-out bad-input check: ``predict_next`` on a 1-step series and
    ``predict(history=...)`` on a history shorter than the washout answered silently, from
    a state that had not forgotten its start (the fit leaves those rows out). Now a
    `ShortSeriesWarning` names the argument and ``washout_``; from ``washout_ + 1`` steps on
    nothing is said, and the numbers are the same as without the check."""
    import warnings

    from srnnkit.learning import ShortSeriesWarning

    u = np.sin(np.arange(200) * 0.2)
    f = ReservoirForecaster(n_hidden=10, washout=5, random_state=0).fit(u)
    assert f.washout_ == 5
    for n in (1, 3, 5):
        with pytest.warns(ShortSeriesWarning, match=rf"series has {n} step\(s\).*washout_ = 5"):
            f.predict_next(u[:n])
        with pytest.warns(ShortSeriesWarning, match=r"history has .*pass a longer history"):
            f.predict(4, history=u[:n])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShortSeriesWarning)
        long_pred = f.predict_next(u[:6])
        f.predict(4, history=u[:6])
    with pytest.warns(ShortSeriesWarning):
        short_pred = f.predict_next(u[:5])
    np.testing.assert_array_equal(short_pred, long_pred[:5])      # warned, not changed
