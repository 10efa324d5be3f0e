"""Estimator parameters at their edges (found by the held-out audit): a bool where a number
goes, decay rates beyond float range, thresholds that make the network's rows long."""

import numpy as np
import pytest

import srnnkit.learning as L
from srnnkit.features import LegendreBasis

X = np.random.default_rng(0).standard_normal((8, 12)).cumsum(1)
Y = np.array([0, 1] * 4)


@pytest.mark.parametrize("make, name", [
    (lambda: L.LinearSRNNClassifier(n_oscillators=5, noise=True), "noise"),
    (lambda: L.LinearSRNNClassifier(n_oscillators=5, max_memory=True), "max_memory"),
    (lambda: L.LinearSRNNClassifier(n_oscillators=5, oscillating=True), "oscillating"),
    (lambda: L.LinearSRNNFeatures(n_oscillators=5, max_decay=True), "max_decay"),
    (lambda: L.ResponseKernelClassifier(basis=LegendreBasis(1, 1.0), alpha=True), "alpha"),
    (lambda: L.ResponseKernelClassifier(dyadic_order=True), "dyadic_order"),
    (lambda: L.ResponseKernelClassifier(n_modes=True), "n_modes"),
    (lambda: L.SRNNReservoir(n_hidden=4, n_paths=2, leak=True), "leak"),
])
def test_bool_where_a_number_goes_is_refused(make, name):
    with pytest.raises(TypeError, match=f"^{name} must be .*got True"):
        make().fit(X, Y)


def test_bool_params_that_take_bools_still_do():
    L.LinearSRNNClassifier(n_oscillators=5, linear=True, derivative=False,
                           random_state=0).fit(X, Y)


def test_slow_oscillators_have_finite_features():
    """max_memory=1e300: |lam|^2 rounded above 1 and slow oscillating units had NaN input
    weights, so the linear readouts were NaN (silently) and the classifier's eigensolver
    failed on 5 of 10 seeds."""
    F = L.LinearSRNNFeatures(n_oscillators=20, max_memory=1e300, linear=True, readout="none",
                             random_state=0).fit(X)
    assert np.all(np.isfinite(F.transform(X)))
    for kw in (dict(max_memory=1e300), dict(max_memory=1e308), dict(max_decay=3e-308),
               dict(max_decay=1e-320)):
        for seed in range(4):
            est = L.LinearSRNNClassifier(n_oscillators=20, random_state=seed, **kw)
            assert np.all(np.isfinite(est.fit(X, Y).decision_function(X))), (kw, seed)


def test_memory_guard_names_n_thresholds():
    with pytest.raises(ValueError, match=r"^n_thresholds=1000000000 is too large"):
        L.LinearSRNNFeatures(n_oscillators=5, n_thresholds=10**9).fit(X)


def test_complex_targets_named():
    with pytest.raises(TypeError, match=r"^y must be real numbers"):
        L.LinearSRNNRegressor(n_oscillators=5).fit(X, np.arange(8) + 0j)


@pytest.mark.parametrize("dt", [1e-300, 1e160])
def test_kernel_machine_dt_whose_square_is_no_normal_double(dt):
    """dt=1e-300 raised ZeroDivisionError and dt=1e160 OverflowError in the amplitude rule."""
    with pytest.raises(ValueError, match=r"^dt must be a number whose step"):
        L.ResponseKernelClassifier(dt=dt, kernel="response").fit(X, Y)


def test_pooled_bandwidth_beyond_float_range_is_named():
    """bandwidth=1e300 made the heat weights NaN (inf * 0) and the eigensolver failed."""
    with pytest.raises(ValueError, match=r"^bandwidth must be a width"):
        L.ResponseKernelClassifier(kernel="pooled", bandwidth=1e300).fit(X, Y)


def test_bool_n_jobs_is_refused_up_front():
    """``n_jobs`` is a bare ``Integral`` constraint, not an interval: check_params let True
    through, and ReservoirForecaster(n_jobs=True) fitted silently."""
    z = np.sin(0.1 * np.arange(300))
    with pytest.raises(TypeError, match=r"^n_jobs must be an integer or None; got True"):
        L.ReservoirForecaster(n_hidden=10, n_jobs=True).fit(z)
    with pytest.raises(TypeError, match=r"^n_jobs must be an integer or None; got True"):
        L.SRNNReservoir(n_hidden=4, n_jobs=True).fit(X)
    L.ReservoirForecaster(n_hidden=10, n_jobs=1).fit(z)
