"""Several regression targets: the units of one target leave the predictions of the others
as they are (the leave-one-out choices weigh each target in units of its deviation)."""

import numpy as np
import pytest

from srnnkit.learning import LinearSRNNRegressor, ResponseKernelRidge


def _data(n=40, L=60, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(L) / L
    f = rng.uniform(0.5, 6, (n, 3))
    a = rng.normal(0, 1, (n, 3))
    X = (a[:, None] * np.sin(2 * np.pi * f[:, None] * t[None, :, None])).sum(2)
    X += 0.1 * rng.standard_normal((n, L))
    Y = np.column_stack([X.mean(1), X.max(1), (X[:, 3:] * X[:, :-3]).mean(1)])
    return X, Y


@pytest.mark.parametrize("make", [
    lambda: LinearSRNNRegressor(n_oscillators=60, random_state=0),
    lambda: ResponseKernelRidge(),
], ids=["linear_srnn", "response_kernel"])
def test_units_of_one_target_do_not_move_the_others(make):
    X, Y = _data()
    units = np.array([1.0, 1e4, 1.0])
    P = make().fit(X[:30], Y[:30]).predict(X[30:])
    Pu = make().fit(X[:30], Y[:30] * units).predict(X[30:]) / units
    # before: the 1e4 target alone chose the penalty (and kernel weights) of all three
    np.testing.assert_allclose(Pu, P, rtol=1e-6, atol=1e-9 * np.abs(Y).max())


def test_single_target_unchanged_by_its_column_form():
    X, Y = _data()
    a = LinearSRNNRegressor(n_oscillators=60, random_state=0).fit(X, Y[:, 1])
    b = LinearSRNNRegressor(n_oscillators=60, random_state=0).fit(X, Y[:, 1:2])
    np.testing.assert_allclose(b.predict(X)[:, 0], a.predict(X), rtol=1e-10)
    np.testing.assert_array_equal(a.cv_errors_, b.cv_errors_)


def test_multi_output_regressor_fits_each_target_alone():
    """docs/learning.md: `MultiOutputRegressor` gives each target the choices of its own."""
    from sklearn.multioutput import MultiOutputRegressor

    X, Y = _data()
    wrapped = MultiOutputRegressor(ResponseKernelRidge(kernel="pooled")).fit(X[:30], Y[:30])
    alone = [ResponseKernelRidge(kernel="pooled").fit(X[:30], Y[:30, k]).predict(X[30:])
             for k in range(Y.shape[1])]
    np.testing.assert_array_equal(wrapped.predict(X[30:]), np.column_stack(alone))
