"""The analysis helpers name the argument, what they expected and what came."""

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.analysis import (
    estimate_kernels,
    linearized_drift,
    predicted_output_covariance,
    shrink_weights,
)


@pytest.fixture(scope="module")
def model():
    return sk.SRNN(W=[[0.5, 0.0], [0.0, 0.2]], C=[[1.0], [0.0]], sigma=0.3)


@pytest.fixture(scope="module")
def first(model):
    return sk.response.linear_response(model, dt=0.1, n_lags=5, method="perturbation",
                                       n_paths=200, seed=0)


@pytest.mark.parametrize("state, match", [
    ([0.0], r"state must be an array of shape \(n_hidden,\) = \(2,\); got array of shape \(1,\)"),
    ([[0.0, 0.0]], r"state must be .* got array of shape \(1, 2\)"),
    ([0.0, np.nan], "state must contain only finite values"),
])
def test_linearized_drift_names_a_bad_state(model, state, match):
    with pytest.raises(ValueError, match=match):
        linearized_drift(model, state)


def test_linearized_drift_needs_a_model():
    with pytest.raises(TypeError, match=r"model must be an srnnkit\.SRNN; got 'str'"):
        linearized_drift("net", [0.0, 0.0])


def test_linearized_drift_is_the_jacobian(model):
    """Against central differences of the drift."""
    h = np.array([0.3, -0.4])
    e = 1e-6
    num = np.stack([(model.drift(h + e * d) - model.drift(h - e * d)) / (2 * e)
                    for d in np.eye(2)], axis=1)
    np.testing.assert_allclose(linearized_drift(model, h), num, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("args, exc, match", [
    ((np.zeros((5, 1, 1)), 5, [1.0]), TypeError, "first must be a first-order ResponseFunction"),
    (("first", 5, [1.0, 2.0]), ValueError,
     r"scale must be an array of shape \(n_inputs,\) = \(1,\)"),
    (("first", 0, [1.0]), ValueError, "length must be an integer >= 1; got 0"),
    (("first", 5, [-1.0]), ValueError, "scale must be non-negative standard deviations; got -1.0"),
])
def test_predicted_output_covariance_names_bad_input(first, args, exc, match):
    args = tuple(first if isinstance(a, str) else a for a in args)
    with pytest.raises(exc, match=match):
        predicted_output_covariance(*args)


@pytest.mark.parametrize("stderr, match", [
    ([0.1], r"stderr must be an array of the shape of values, \(2,\)"),
    ([0.1, np.nan], r"stderr must be non-negative standard errors \(inf for unknown\); got nan"),
    ([0.1, -0.1], "got -0.1"),
])
def test_shrink_weights_names_bad_stderr(stderr, match):
    with pytest.raises(ValueError, match=match):
        shrink_weights([1.0, 2.0], stderr)


def test_shrink_weights_gives_an_unknown_error_weight_zero():
    np.testing.assert_array_equal(shrink_weights([1.0, 2.0], [0.0, np.inf]), [1.0, 0.0])


def test_estimate_kernels_needs_a_plan(model):
    with pytest.raises(TypeError, match=r"plan must be an AnalysisPlan \(from make_plan\); got "
                                        "'NoneType'"):
        estimate_kernels(model, 0.1, None, seed=0)
