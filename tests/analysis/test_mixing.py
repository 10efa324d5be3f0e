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
    assert not check_mixing(net, 0.05, seed=seed).burn_in_short


def test_autocorrelation_time_of_an_ou_output_against_its_closed_form():
    """The Euler chain of a 1-unit linear SRNN is AR(1) with rho = 1 - gamma dt, so the
    output's integrated autocorrelation time is (1 + rho) / (1 - rho) = 19 steps here;
    64 runs of 400 steps estimate it to ~10 % (the tolerance is 25 %)."""
    ou = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, gamma=1.0, activation="identity")
    c = check_mixing(ou, 0.1, seed=3, burn_in=100)
    assert c.tau.shape == (1,) and abs(c.tau[0] / 19.0 - 1) < 0.25
    assert c.burn_in == 100 and not c.burn_in_short
    assert check_mixing(ou, 0.1, seed=3, burn_in=60).burn_in_short      # 60 < 5 x 19


def test_a_burn_in_shorter_than_the_relaxation_is_raised_or_flagged():
    """Found by fuzzing: a trained 1-unit tanh network (bistable, its Euler chain relaxing
    in about 88 steps) was burnt in for 50 steps by the rule of the leak; its perturbation
    kernel was 7.6 SE off the exact transfer-operator kernel, and no check said so. The
    analysis now raises its default burn-in to ten autocorrelation times of the output, and
    says so when a burn_in given by the caller is short."""
    net = sk.SRNN(W=[[1.129]], C=[[0.379]], b=[-0.012], sigma=0.1, input_mode="activation")
    X = np.random.default_rng(0).standard_normal((20, 20, 1))
    res = analyze_network(net, dt=1.0, inputs=X, budget=0.05, seed=0)
    met = res.metrics()
    assert met["burn-in raised from (steps)"] == 50
    assert met["burn-in (steps)"] >= 5 * met["stationary runs: output autocorrelation time "
                                              "(steps)"] > 250
    assert not any("burn-in of" in p for p in res.problems)
    assert met["order 1: mean z^2"] < 3 and met["order 1: entries within 4 SE"] == 1.0
    short = analyze_network(net, dt=1.0, inputs=X, budget=0.05, seed=0, burn_in=50)
    assert "burn-in raised from (steps)" not in short.metrics()
    assert any(p.startswith("the burn-in of 50 steps is short for this network") and
               "Pass burn_in=" in p for p in short.problems)


def test_girsanov_steps_spread_over_more_runs_when_the_runs_do_not_mix():
    """A network with two stable states: Girsanov's steps go to at least as many runs as the
    mixing check used (each at least 2 n_lags), the same total within a run's rounding; a
    network whose runs sample one law keeps its plan. (On the `srnnkit trained --quick`
    network the 20 long runs gave 97.1 % of the order-1 entries within 4 SE of perturbation,
    mean z^2 2.75; 80 shorter runs 100 %, mean z^2 0.99.)"""
    from srnnkit.analysis import make_plan
    from srnnkit.analysis._analyze import spread_chains
    from srnnkit.analysis._mixing import N_RUNS, check_mixing

    flip = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.1, input_mode="activation")
    plan = make_plan(flip, 0.1, n_steps=20, n_available=0, slow_steps=10.0, budget=0.25,
                     burn_in=100)
    mixing = check_mixing(flip, 0.1, seed=0)
    assert not mixing.agree
    spread = spread_chains(plan, mixing)
    for chains, steps, lags in (("girsanov_chains", "girsanov_steps", plan.n_lags),
                                ("girsanov2_chains", "girsanov2_steps", plan.second_lags)):
        g, s = getattr(plan, chains), getattr(plan, steps)
        g2, s2 = getattr(spread, chains), getattr(spread, steps)
        assert g2 >= min(N_RUNS, g * (s // (2 * lags))) and s2 >= 2 * lags
        assert g * s - g2 * s2 < g2 * (s2 + 1)       # the same steps, up to rounding
    one_law = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.5)
    assert check_mixing(one_law, 0.1, seed=0).agree
    assert spread_chains(plan, check_mixing(one_law, 0.1, seed=0)) is plan
    assert spread_chains(plan, None) is plan
