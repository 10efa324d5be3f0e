"""The between/within check of independent stationary runs (analysis/_mixing.py): the exact
F law of its statistic for independent Gaussian outputs (the statistic against a plain loop
is in tests/response/test_run_agreement.py), and the flag on a network with two stable
states against one with a single state."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import srnnkit as sk
from srnnkit.analysis import analyze_network
from srnnkit.analysis._mixing import check_mixing
from srnnkit.dynamics._agreement import batch_means, between_within


def test_independent_gaussian_outputs_give_the_f_law():
    # batch means of iid normals: the ratio is exactly F(M - 1, M (b - 1)) (Cochran)
    rng = np.random.default_rng(1)
    M, b = 16, 2
    r = np.array([between_within(batch_means(rng.standard_normal((M, 40, 1)), b))[0]
                  for _ in range(400)])
    assert stats.kstest(r, stats.f(M - 1, M * (b - 1)).cdf).pvalue > 0.01


def test_two_stable_states_are_flagged_one_is_not():
    flip = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.1, input_mode="activation")  # h* = +-2.99
    c = check_mixing(flip, 0.1, seed=0)
    assert not c.agree and c.ratio[0] > 1000
    assert c.run_means.min() < -0.9 and c.run_means.max() > 0.9
    one = sk.SRNN(W=[[0.5, 0.2], [-0.3, 0.4]], C=[[1.0], [0.5]], sigma=0.3,
                  input_mode="activation")
    c = check_mixing(one, 0.1, seed=0)
    assert c.agree and c.ratio.max() < c.threshold


def test_analysis_reports_runs_that_do_not_mix():
    flip = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.1, input_mode="activation")
    res = analyze_network(flip, dt=0.1, budget=0.001, seed=0)
    assert not res.mixing.agree
    assert any("do not sample one law" in p for p in res.problems_by_part["kernels"])
    assert res.metrics()["stationary runs: between/within ratio (max over outputs)"] > 1000
    linear = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    assert analyze_network(linear, dt=0.1, budget=0.001, seed=0).mixing is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_mixing_network_is_not_flagged(seed):
    net = sk.SRNN.random(6, 2, seed=seed)
    assert check_mixing(net, 0.05, seed=seed).agree
