"""The chain-based estimators check that their stationary runs sample one law.

``linear_response(method="fdt" | "girsanov" | "pathwise")`` records the between/within ratio
of its runs' mean outputs in ``info["runs"]`` and warns when it exceeds the F quantile.
References: a plain loop for the statistic, a bistable 1-D network (two stable states at
about +-2.99 that noise 0.2 never leaves) and unimodal networks (fixed seeds).
"""

import warnings

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.dynamics._agreement import RunWatch, agreement, batch_means, between_within

R = sk.response
FLIP = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.2, input_mode="activation")
V2 = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])


def _ratio_loop(F, b):
    M, T, p = F.shape
    size = T // b
    out = []
    for i in range(p):
        runs = [[F[j, c * size:(c + 1) * size, i].mean() for c in range(b)] for j in range(M)]
        means = [np.mean(r) for r in runs]
        grand = np.mean(means)
        between = sum((x - grand) ** 2 for x in means) / (M - 1)
        within = np.mean([sum((x - np.mean(r)) ** 2 for x in r) / (b - 1) / b for r in runs])
        out.append(between / within)
    return np.array(out)


def test_statistic_matches_a_plain_loop():
    F = np.random.default_rng(0).standard_normal((7, 103, 2)).cumsum(axis=1)
    np.testing.assert_allclose(between_within(batch_means(F, 4)), _ratio_loop(F, 4),
                               rtol=1e-12)
    assert agreement(batch_means(F[:1], 4)) is None           # one run: nothing to compare
    # the analysis's layout: 3 batches, a dropped tail of 2 steps, runs at different levels
    F = np.random.default_rng(0).standard_normal((5, 23, 2)) + np.arange(5)[:, None, None]
    np.testing.assert_allclose(between_within(batch_means(F, 3)), _ratio_loop(F, 3),
                               rtol=1e-12)


@pytest.mark.parametrize("method", ["girsanov", "fdt", "pathwise"])
def test_runs_in_different_stable_states_warn(method):
    with pytest.warns(R.RunsDisagreeWarning, match="several stable states"):
        rf = R.linear_response(FLIP, dt=0.1, n_lags=5, method=method, n_chains=8,
                               n_steps=2000, seed=3)
    runs = rf.info["runs"]
    assert not runs["agree"] and runs["n_runs"] == 8
    assert runs["between/within"] > 100 * runs["threshold"]


@pytest.mark.parametrize("method", ["girsanov", "fdt", "pathwise"])
def test_unimodal_runs_agree_without_a_warning(method):
    """V2 (one stable state): ten seeds, no warning; the ratios are of order 1."""
    ratios = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", R.RunsDisagreeWarning)
        for seed in range(10):
            rf = R.linear_response(V2, dt=0.05, n_lags=10, method=method, n_chains=8,
                                   n_steps=4000, seed=seed)
            assert rf.info["runs"]["agree"]
            ratios.append(rf.info["runs"]["between/within"])
    assert 0.3 < np.median(ratios) < 3.0, ratios


def test_linear_networks_have_no_check_and_values_are_unchanged():
    """A linear SRNN has one Gaussian law (no check), and watching the runs does not change
    an estimate: the same numbers with the watch as without it."""
    from srnnkit.response._montecarlo import girsanov_first

    ou = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, activation="identity")
    rf = R.linear_response(ou, dt=0.05, n_lags=5, method="girsanov", n_chains=4,
                           n_steps=1000, seed=0)
    assert "runs" not in rf.info
    kw = dict(model=V2, dt=0.05, n_lags=6, n_chains=4, n_steps=1000, seed=1, burn_in=100)
    watch = RunWatch(V2)
    a = girsanov_first(**kw)
    b = girsanov_first(**kw, watch=watch)
    np.testing.assert_array_equal(a[0], b[0])
    assert watch.check().run_means.shape == (4, 1)


@pytest.mark.parametrize("method", ["girsanov", "mixed"])
def test_second_order_runs_are_checked_too(method):
    with pytest.warns(R.RunsDisagreeWarning, match="second_order_response"):
        rf = R.second_order_response(FLIP, dt=0.1, n_lags=3, method=method, n_chains=8,
                                     n_steps=2000, seed=3)
    assert not rf.info["runs"]["agree"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", R.RunsDisagreeWarning)
        rf = R.second_order_response(V2, dt=0.05, n_lags=3, method=method, n_chains=8,
                                     n_steps=4000, seed=0)
    assert rf.info["runs"]["agree"]
