"""The Volterra and robustness checks on long test series: their work arrays are held a
block of steps at a time (``_ensemble.BLOCK_FLOATS``), with the same numbers whatever the
block size, and a memory that does not grow with the noisy copies of every step."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.analysis import _ensemble, robustness, volterra_capture
from srnnkit.analysis._ensemble import stationary_states

DT = 0.1


def _net():
    return sk.SRNN.random(6, 2, n_outputs=2, noise=0.4, seed=3, input_mode="activation")


def _kernels(model, n1, n2, seed):
    """Two perturbation batches (the analysis's own estimator) of small windows."""
    out = []
    for b in range(2):
        r1 = sk.response.linear_response(model, dt=DT, n_lags=n1, method="perturbation",
                                         n_paths=256, seed=seed + b, discrete=True)
        r2 = sk.response.second_order_response(model, dt=DT, n_lags=n2, n_paths=64,
                                               method="perturbation",
                                               seed=seed + 10 + b, discrete=True)
        out.append((r1, r2))
    return out


def _deployed(batch):
    """A stand-in for an estimator: a nonlinear function of each series alone."""
    return np.stack([np.tanh(w[-5:]).sum(axis=0) + 0.1 * w.mean(axis=0) for w in batch])


def _both(model, batches, series, h0, seed=5):
    cap = volterra_capture(model, DT, series, batches, h0, seed=seed)
    rob = robustness(model, DT, series, batches[0][0], h0[:, :8], noise_levels=(0.1, 0.5),
                     n_draws=3, scale=np.array([1.0, 2.0]), deployed=_deployed,
                     targets=np.array([0, 1, 1, 0]), metric="accuracy", seed=seed)
    return cap, rob


@pytest.mark.filterwarnings("ignore::srnnkit.CostWarning")
def test_same_numbers_whatever_the_block_size(monkeypatch):
    """Blocks of 1 step (and groups of one series for the estimator) against one block of
    everything: the robustness numbers are the same to the bit (each series draws its noise
    from its own stream, step after step), the Volterra ones to rounding (sums over the
    steps added block by block), on series of unequal lengths."""
    model = _net()
    batches = _kernels(model, 12, 4, 0)
    rng = np.random.default_rng(1)
    series = [rng.standard_normal((L, 2)) for L in (30, 17, 30, 5)]
    h0 = stationary_states(model, DT, 4 * 16, 2).reshape(4, 16, -1)
    monkeypatch.setattr(_ensemble, "BLOCK_FLOATS", 10 ** 12)
    cap_one, rob_one = _both(model, batches, series, h0)
    monkeypatch.setattr(_ensemble, "BLOCK_FLOATS", 1)
    cap_many, rob_many = _both(model, batches, series, h0)
    for name in ("measured_variance", "measured_variance_stderr", "deployed_variance",
                 "noisy_score", "predicted_score"):
        np.testing.assert_array_equal(getattr(rob_many, name), getattr(rob_one, name))
    for name in ("error1", "error2", "error1_stderr", "floor", "error1_pooled",
                 "response_rms", "order2_fit", "per_series", "odd_error1", "even_part",
                 "even_error2", "stationary_mean_outputs"):
        np.testing.assert_allclose(getattr(cap_many, name), getattr(cap_one, name),
                                   rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cap_many.example["Y"], cap_one.example["Y"], rtol=1e-12,
                               atol=1e-15)
    assert np.all(np.isfinite(cap_one.error1)) and np.all(np.isfinite(rob_one.measured_variance))


@pytest.mark.filterwarnings("ignore::srnnkit.CostWarning")
def test_memory_does_not_grow_with_the_noisy_copies_of_every_step(monkeypatch):
    """8 series of 3000 steps, 2 channels, 6 units (inputs 0.4 MB): the robustness check
    held the 1 + 5 x 8 noisy variants of every step at once, 16 MB, and the divergence
    guard's product of them with C, 47 MB, twice at its peak: 128 MB traced before the
    blocks (the Volterra check 30 MB). With blocks of 10^5 floats, measured: 6.0 and 5.0 MB
    (what is held whole: the Volterra terms of every series, 4 p floats a step, 1.5 MB, and
    one series' noisy copies for the estimator, 1.9 MB)."""
    model = _net()
    batches = _kernels(model, 12, 4, 0)
    rng = np.random.default_rng(4)
    series = [rng.standard_normal((3000, 2)) for _ in range(8)]
    h0 = stationary_states(model, DT, 8 * 16, 2).reshape(8, 16, -1)
    monkeypatch.setattr(_ensemble, "BLOCK_FLOATS", 100_000, raising=False)
    peaks = []
    for run in (lambda: volterra_capture(model, DT, series, batches, h0, seed=1),
                lambda: robustness(model, DT, series, batches[0][0], h0[:, :8],
                                   noise_levels=(0.05, 0.1, 0.2, 0.5, 1.0), n_draws=8,
                                   deployed=_deployed, seed=1)):
        tracemalloc.start()
        try:
            run()
            peaks.append(tracemalloc.get_traced_memory()[1] / 2 ** 20)
        finally:
            tracemalloc.stop()
    assert max(peaks) < 12.0, peaks
