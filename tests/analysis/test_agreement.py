"""compare_kernels: z-scores by hand, and their law for two independent unbiased estimates."""

from __future__ import annotations

import numpy as np
import pytest

from srnnkit.analysis import compare_kernels
from srnnkit.response import ResponseFunction


def _rf(values, se, method="a"):
    values = np.asarray(values, dtype=float)
    return ResponseFunction(values, dt=0.1, stderr=np.broadcast_to(se, values.shape).copy(),
                            method=method, order=1, discrete=True)


def test_z_scores_by_hand():
    a = _rf(np.array([1.0, 2.0, 0.0, 5.0]).reshape(4, 1, 1), 0.3, "perturbation")
    b = _rf(np.array([1.0, 1.0, 0.0, 0.0]).reshape(4, 1, 1), 0.4, "girsanov")
    res = compare_kernels(a, b)
    np.testing.assert_allclose(res.z.ravel(), [0.0, 2.0, 0.0, 10.0])   # diff / hypot(.3, .4)
    assert res.within == 0.75 and not res.agree
    assert res.labels == ("perturbation", "girsanov")
    np.testing.assert_allclose(res.mean_z2, (4 + 100) / 4)
    assert res.max_abs_z == 10.0 and res.n_entries == 4
    # resolved: |mean| > 3 combined SE = 1.5: entries 1 (1.5, not >) and 3 (2.5)
    assert res.n_resolved == 1 and res.within_resolved == 0.0
    np.testing.assert_allclose(res.max_snr, (5 / 0.3, 1 / 0.4))


def test_two_unbiased_estimates_are_standard_normal():
    """z of two independent Gaussian estimates of one kernel: N(0, 1). Over 20000 entries the
    mean z^2 has SE sqrt(2/20000) = 0.01; the fraction within 4 is 0.99994."""
    rng = np.random.default_rng(0)
    truth = np.exp(-np.arange(2000) / 300.0)[:, None, None] * np.ones((1, 2, 5))
    se_a, se_b = 0.05 + 0.1 * rng.random(truth.shape), 0.2 * rng.random(truth.shape)
    a = _rf(truth + se_a * rng.standard_normal(truth.shape), se_a)
    b = _rf(truth + se_b * rng.standard_normal(truth.shape), se_b)
    res = compare_kernels(a, b)
    assert abs(res.mean_z2 - 1.0) < 4 * 0.01
    assert res.within > 0.999 and res.agree
    # a bias of 3 combined SE on a tenth of the entries is seen
    biased = _rf(b.values + 3 * np.hypot(se_a, se_b) * (rng.random(truth.shape) < 0.1), se_b)
    assert compare_kernels(a, biased).mean_z2 > 1.5


def test_exact_reference_with_zero_stderr():
    exact = _rf(np.ones((3, 1, 1)), 0.0)
    assert compare_kernels(exact, exact).within == 1.0
    off = _rf(np.ones((3, 1, 1)) + 1e-3, 0.0)
    res = compare_kernels(off, exact)
    assert np.isinf(res.max_abs_z) and res.within == 0.0


def test_bad_inputs():
    a = _rf(np.ones((3, 1, 1)), 0.1)
    with pytest.raises(TypeError, match="a ResponseFunction"):
        compare_kernels(np.ones((3, 1, 1)), a)
    no_se = ResponseFunction(np.ones((3, 1, 1)), dt=0.1)
    with pytest.raises(ValueError, match="stderr"):
        compare_kernels(a, no_se)
    with pytest.raises(ValueError, match="shape"):
        compare_kernels(a, _rf(np.ones((4, 1, 1)), 0.1))
    other = ResponseFunction(np.ones((3, 1, 1)), dt=0.2, stderr=np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match="dt"):
        compare_kernels(a, other)


def test_a_large_mean_z2_is_a_problem_even_when_99_percent_agree():
    """Found by fuzzing: 99.65 % of the entries within 4 SE counted as agreement while the
    mean z^2 was 2.63 and one estimate was 5-6 SE off an independent reference."""
    from types import SimpleNamespace

    from srnnkit.analysis._result import MEAN_Z2_LIMIT, _kernel_problems

    rng = np.random.default_rng(0)
    values = rng.standard_normal((400, 1, 1))
    se = np.full_like(values, 0.1)
    noise = 0.1 * np.sqrt(2.0) * rng.standard_normal(values.shape)
    for b, flagged in ((values + noise, False),                # z ~ N(0, 1)
                       (values + 2.0 * 0.1 * np.sqrt(2.0), True)):   # a bias of 2 SE

        agr = compare_kernels(ResponseFunction(values, dt=0.1, stderr=se, method="perturbation"),
                              ResponseFunction(b, dt=0.1, stderr=se, method="girsanov"))
        assert agr.within >= 0.99
        res = SimpleNamespace(mixing=None, agreement={1: agr},
                              model=SimpleNamespace(is_linear=True, sigma=np.eye(1)))
        lines = [p for p in _kernel_problems(res) if "more than their standard errors" in p]
        assert bool(lines) == flagged == (agr.mean_z2 > MEAN_Z2_LIMIT), agr.mean_z2


@pytest.mark.parametrize("n_out, flagged", [(1, False), (2, True)])
def test_one_outlier_in_a_small_kernel_is_not_a_disagreement(n_out, flagged):
    """Found by fuzzing: an exactly zero 49-entry order-2 kernel (a 1-unit network) was
    flagged on 10 % of the seeds, one entry beyond 4 SE each time; z's from 16 Girsanov
    chains have Student-t tails. Two entries beyond 4 SE are a problem."""
    from types import SimpleNamespace

    from srnnkit.analysis._result import _kernel_problems

    values = np.zeros((49, 1, 1))
    se = np.full_like(values, 0.1)
    b = values.copy()
    b[:n_out * 10:10] = 0.1 * np.sqrt(2.0) * 5.0                 # z = -5 at n_out entries
    agr = compare_kernels(ResponseFunction(values, dt=0.1, stderr=se, method="perturbation"),
                          ResponseFunction(b, dt=0.1, stderr=se, method="girsanov"))
    assert agr.within < 0.99
    res = SimpleNamespace(mixing=None, agreement={1: agr},
                          model=SimpleNamespace(is_linear=True, sigma=np.eye(1)))
    lines = [p for p in _kernel_problems(res) if "disagree" in p]
    assert bool(lines) == flagged
    if flagged:
        assert f"{n_out} beyond" in lines[0]


def test_girsanov_resolution_level_counts_its_runs():
    """A kernel whose standard errors come from the spread of a few runs has Student-t
    noise: the 'not resolved' level of the analysis is t's quantile with the Girsanov runs
    (as the report's, srnnkit run), the normal one for perturbation's pooled paths."""
    from types import SimpleNamespace

    from scipy.stats import norm, t

    from srnnkit.analysis._result import _kernel_problems

    n = 576
    values = np.zeros((n, 1, 1))
    values[0] = 6.0                       # largest |entry|/SE 6: above 4.30, below t(9)'s
    se = np.ones_like(values)
    a = ResponseFunction(values, dt=0.1, stderr=se, method="perturbation")
    b = ResponseFunction(values.copy(), dt=0.1, stderr=se, method="girsanov",
                         info={"n_chains": 10})
    agr = compare_kernels(a, b)
    res = SimpleNamespace(mixing=None, agreement={1: agr}, first={"perturbation": a,
                                                                 "girsanov": b},
                          model=SimpleNamespace(is_linear=False, sigma=np.eye(1)))
    lines = [p for p in _kernel_problems(res) if "not resolved" in p]
    assert norm.isf(0.005 / n) < 6.0 < t.isf(0.005 / n, 9)
    assert len(lines) == 1 and "girsanov" in lines[0] and "8.25" in lines[0], lines


def test_girsanov_level_reads_the_batch_means_degrees_of_freedom():
    """Below 16 runs Girsanov's standard errors come from batch means (info["stderr_rule"]):
    their Student-t level takes those degrees of freedom, not n_chains - 1."""
    from types import SimpleNamespace

    from srnnkit.analysis._result import _t_runs, resolution_threshold

    batched = SimpleNamespace(info={"n_chains": 4, "stderr_rule": {"rule": "batch means",
                                                                   "dof": 99}})
    runs = SimpleNamespace(info={"n_chains": 20, "stderr_rule": {"rule": "runs", "dof": 19}})
    old = SimpleNamespace(info={"n_chains": 10})
    assert (_t_runs(batched), _t_runs(runs), _t_runs(old)) == (100, 20, 10)
    assert resolution_threshold(400, _t_runs(batched)) < resolution_threshold(400, 4)
