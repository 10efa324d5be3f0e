"""Standard errors of the stationary-run estimators from few runs: batch means within the runs
(srnnkit.response._batches, docs/response.md "Standard errors from few runs").

References: plain NumPy sums and loops for the batch statistics; the exact grid kernel of a
1-D tanh SRNN for the calibration (fixed seeds; each statistic's standard error over the seeds
is stated where it is bounded).
"""

import warnings

import numpy as np
import pytest

import srnnkit as sk
from srnnkit._stats import batch_means_stderr
from srnnkit.response import _batches
from srnnkit.response._batches import batch_counts, batch_xcorr, merge_factor
from srnnkit.response._montecarlo import _xcorr

R = sk.response


def tanh1d():
    return sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])


# ---------------------------------------------------------------------- the batch statistics
def test_batch_means_stderr_matches_a_numpy_reference():
    rng = np.random.default_rng(0)
    sums = rng.standard_normal((9, 3, 2)) * 5 + 2
    counts = rng.integers(3, 8, size=(9, 3, 1)).astype(float)
    mean, se, dof = batch_means_stderr(sums, counts)
    c = np.broadcast_to(counts, sums.shape)
    ref_mean = sums.sum(0) / c.sum(0)
    ref_var = 9 / 8 * ((sums - c * ref_mean) ** 2).sum(0) / c.sum(0) ** 2
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-13)
    np.testing.assert_allclose(se, np.sqrt(ref_var), rtol=1e-13)
    assert dof == 8
    # equal counts: the plain standard error of the batch means
    _, se_eq, _ = batch_means_stderr(sums, np.full((9, 1, 1), 4.0))
    np.testing.assert_allclose(se_eq, (sums / 4).std(axis=0, ddof=1) / 3, rtol=1e-13)
    assert np.isnan(batch_means_stderr(sums[:1], counts[:1])[1]).all()


@pytest.mark.parametrize("length", [5, 7, 10, 51])
def test_fine_batch_sums_are_the_runs_correlations_cut_by_batch(length):
    rng = np.random.default_rng(1)
    L, n_lags = 103, 5
    x, y = rng.standard_normal((2, L, 2)), rng.standard_normal((2, L, 3))
    sums, counts = batch_xcorr(x, y, n_lags, length), batch_counts(L, n_lags, length)
    a0 = L // length
    ref, ref_n = np.zeros((2, a0, n_lags, 3, 2)), np.zeros((a0, n_lags))
    for c in range(a0):
        for j in range(c * length, L if c == a0 - 1 else (c + 1) * length):
            for k in range(n_lags):
                if j + k < L:
                    ref[:, c, k] += y[:, j + k, :, None] * x[:, j, None, :]
                    ref_n[c, k] += 1
    np.testing.assert_allclose(sums, ref, atol=1e-12)
    np.testing.assert_array_equal(counts, ref_n)
    np.testing.assert_allclose(sums.sum(axis=1), _xcorr(x, y, n_lags), atol=1e-12)


def test_merge_factor_follows_the_autocorrelation():
    """One fine batch per batch when they are uncorrelated, more as tau grows, sqrt(c n / 2)."""
    assert merge_factor(1.0, 500) == 1
    c = (4.0 ** 2 - 1) / 8.0
    assert merge_factor(4.0, 500) == int(np.ceil(np.sqrt(c * 250)))
    assert merge_factor(2.0, 500) < merge_factor(4.0, 500) < merge_factor(4.0, 5000)


# ----------------------------------------------------------------- the estimators' contract
@pytest.mark.parametrize("method,score", [("fdt", "learned"), ("fdt", "gaussian"),
                                          ("girsanov", None)])
def test_few_runs_change_the_standard_error_only(method, score, monkeypatch):
    model = tanh1d()
    kw = dict(dt=0.1, n_lags=10, method=method, n_chains=2, n_steps=3000, seed=3)
    kw.update({"score": score} if score else {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batched = R.linear_response(model, **kw)
        monkeypatch.setattr(_batches, "BATCH_MIN_RUNS", 2)
        spread = R.linear_response(model, **kw)
    np.testing.assert_array_equal(batched.values, spread.values)
    rule = batched.info["stderr_rule"]
    assert rule["rule"] == "batch means" and rule["dof"] > 10
    assert rule["batches_per_run"] * rule["batch_length"] <= 3001
    assert spread.info["stderr_rule"] == {"rule": "runs", "dof": 1}
    assert not np.array_equal(batched.stderr, spread.stderr)


def test_the_default_runs_keep_the_spread_of_the_runs():
    rf = R.linear_response(tanh1d(), dt=0.1, n_lags=5, method="girsanov", n_steps=500, seed=0)
    assert rf.info["stderr_rule"] == {"rule": "runs", "dof": 15}


def _calibration(method, n_chains, seeds, **kw):
    """Mean z^2 and the share of |z| > 4 over seeds against the exact grid kernel, with the
    standard errors of both over the seeds."""
    model = tanh1d()
    grid = R.linear_response(model, dt=0.1, n_lags=30, method="grid")
    z = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in seeds:
            rf = R.linear_response(model, dt=0.1, n_lags=30, method=method, n_chains=n_chains,
                                   n_steps=20_000, seed=s, **kw)
            z.append(rf.z_scores(grid).ravel())
    z = np.array(z)
    z2, big = (z ** 2).mean(axis=1), (np.abs(z) > 4).mean(axis=1)
    n = len(seeds)
    return z2.mean(), z2.std(ddof=1) / np.sqrt(n), big.mean(), big.std(ddof=1) / np.sqrt(n)


@pytest.mark.parametrize("n_chains", [2, 4])
def test_girsanov_standard_error_of_few_runs_is_calibrated(n_chains):
    """24 seeds, 30 lags. With the runs' spread (t with 1 and 3 degrees of freedom) these
    seeds gave mean z^2 17000 +- 17000 and 2.6 +- 0.6, |z| > 4 on 13.9 +- 3.2 % and
    2.4 +- 0.9 % of the entries; with batch means 0.63 +- 0.11 and 0.83 +- 0.17, none (1.08
    +- 0.07 at 2 runs over 400 other seeds of 2000 steps). Bounds: mean z^2 in (0.3, 1.8)
    (1.8 is about 3 of its standard errors, 0.1-0.25 here, above 1) and |z| > 4 on under
    1 %."""
    z2, z2_se, big, big_se = _calibration("girsanov", n_chains, range(1000, 1024))
    assert 0.3 < z2 < 1.8, (z2, z2_se)
    assert big < 0.01, (big, big_se)


@pytest.mark.slow
@pytest.mark.parametrize("n_chains", [2, 4])
def test_learned_fdt_standard_error_of_few_runs_is_calibrated(n_chains):
    """As for Girsanov, with the learned score's fit in each batch's pseudo-value. With the
    runs' spread these seeds gave mean z^2 170 +- 80 and 4.1 +- 1.6, |z| > 4 on 16.7 +- 3.8 %
    and 6.8 +- 3.7 %; with batch means 0.82 +- 0.20 and 0.77 +- 0.20, none. Without the fit
    in the batches' pseudo-values the standard error was 1.7 times too large (mean z^2
    0.33 +- 0.09 at 2 runs, 48 seeds): the lower bound 0.5 catches that."""
    z2, z2_se, big, big_se = _calibration("fdt", n_chains, range(1000, 1024), score="learned")
    assert 0.5 < z2 < 1.8, (z2, z2_se)
    assert big < 0.01, (big, big_se)


@pytest.mark.slow
def test_learned_fdt_standard_error_of_few_runs_inside_a_relu():
    """A 1-D ReLU network with the input inside the activation, where the fit's change of
    the conjugate variables is a central difference: its step must have a run's size, not a
    fine batch's. 2 runs, 64 seeds: mean z^2 0.99 +- 0.14 (a batch's size: 0.70 +- 0.12, the
    standard error 1.2 times too large); bounds (0.85, 1.6) and |z| > 4 on under 1 %."""
    model = sk.SRNN(W=[[1.0]], C=[[0.7]], sigma=0.6, gamma=1.5, b=[0.2], activation="relu",
                    input_mode="activation")
    grid = R.linear_response(model, dt=0.05, n_lags=30, method="grid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = np.array([R.linear_response(model, dt=0.05, n_lags=30, method="fdt", n_chains=2,
                                        n_steps=20_000, seed=s).z_scores(grid).ravel()
                      for s in range(9000, 9064)])
    z2 = (z ** 2).mean(axis=1)
    assert 0.85 < z2.mean() < 1.6, (z2.mean(), z2.std(ddof=1) / 8)
    assert (np.abs(z) > 4).mean() < 0.01
