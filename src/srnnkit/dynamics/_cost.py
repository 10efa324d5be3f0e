r"""Rates of the dynamics core's engines for the cost estimates (:mod:`srnnkit._cost`).

A path-step of an ``n``-unit network costs a fixed part plus one per multiply-add:

.. math:: q = n^2 + n r + p n + n m \;(+\,n^2 \text{ for a full }\Gamma),

the products :math:`Wh`, :math:`\sigma\xi`, the readout and the input. The priors below are
pessimistic (about three times what a loaded two-core machine measures); the measured rates
time the engine itself on the same network for a few milliseconds:

- ``"vec"``: the NumPy Euler-Maruyama step over a batch of ``B`` paths (the estimators'
  ensembles and burn-ins), with the output and the divergence check of each step;
- ``"chain"``: the compiled per-path loop of long stationary runs (FDT, Girsanov, the
  stationary means) and of single-path burn-ins;
- ``"rows"``: the compiled unit-major loop over ``B`` paths (burn-ins narrower than 256 paths
  up to 32 units; the kicked windows of first-order perturbation below 4 units), normals
  included;
- ``"shared"``: the block loop's product kernel over groups of ``rows`` paths sharing their
  normals (the kicked windows from 4 units), normals included;
- ``"fft"``: NumPy's real FFTs, per :math:`N\log_2 N` of a transform.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._cost import Rate, per_unit

__all__ = ["chain_rate", "fft_rate", "fft_work", "flops", "model_key", "rows_rate",
           "shared_rate", "vec_rate"]

#: widest batch a "vec" rate is measured on (the rate per path is flat beyond it)
_VEC_MAX = 4096


def flops(model: Any) -> float:
    """Multiply-adds of one path-step (module docstring)."""
    n, r, m, p = model.n_hidden, model.n_noise, model.n_inputs, model.n_outputs
    return float(n * n + n * r + p * n + n * m + (n * n if model.gamma_kind == "full" else 0))


def model_key(model: Any) -> tuple:
    """What a rate depends on: sizes, activation, input mode, the kinds of Γ, σ and readout."""
    return (model.n_hidden, model.n_noise, model.n_inputs, model.n_outputs, model.activation,
            model.input_mode, model.gamma_kind, bool(model.noise_diagonal),
            getattr(model.readout, "kind", "callable"))


def vec_rate(model: Any, dt: float, width: int) -> Rate:
    """Seconds per path-step of the NumPy step over batches of ``width`` paths."""
    B = int(max(1, min(width, _VEC_MAX)))
    prior = 3e-7 + 4e-9 * flops(model) + 6e-5 / B

    def measure() -> float:
        from .._threads import single_threaded_blas
        from ._drift import EulerStep
        from ._ensembles import make_guard

        step = EulerStep(model, dt)
        guard = make_guard(model, dt, "calibration", n_steps=1 << 16)
        rng = np.random.default_rng(0)

        def run(k: int) -> None:
            h = np.zeros((B, model.n_hidden))
            for _ in range(k):
                h = step(h, rng.standard_normal((B, step.r)))
                model.output(h)
                guard.check(h, 1)
        with single_threaded_blas():
            return per_unit(run, lambda k: B * k, k0=2, k_max=1 << 16)

    return Rate(("vec", *model_key(model), B), prior, measure)


def chain_rate(model: Any, dt: float) -> Rate:
    """Seconds per path-step of the compiled per-path loop (long stationary runs)."""
    prior = 6e-7 + 6e-9 * flops(model)

    def measure() -> float:
        from .._parallel import seed_children
        from ._ensembles import run_chain_group

        return per_unit(lambda k: run_chain_group(model, dt, k, seed_children(0, 1), burn_in=0),
                        lambda k: k, k0=16, k_max=1 << 22)

    return Rate(("chain", *model_key(model)), prior, measure)


def _steps_max(B: int, model: Any) -> int:
    """The most steps a measurement of ``B`` paths runs: its stored states and normals stay
    under 2**22 floats (32 MiB)."""
    return int(max(2, min(1 << 16, (1 << 22) // (B * (model.n_hidden + model.n_noise)))))


def rows_rate(model: Any, dt: float, width: int) -> Rate:
    """Seconds per path-step of the unit-major loop (``run_rows``) over ``width`` paths,
    with NumPy drawing one normal per path-step and noise channel."""
    B = int(max(2, min(width, 2048)))
    prior = 1e-7 + 3e-9 * flops(model)

    def measure() -> float:
        from ._em_loops import run_rows
        from ._ensembles import chain_arrays

        args = chain_arrays(model, dt)
        rng = np.random.default_rng(0)
        h0 = np.zeros((model.n_hidden, B))

        def run(k: int) -> None:
            xi = rng.standard_normal((k, model.n_noise, B))
            run_rows(h0, xi, *args, np.empty((k + 1, model.n_hidden, B)), np.inf)
        return per_unit(run, lambda k: B * k, k0=2, k_max=_steps_max(B, model))

    return Rate(("rows", *model_key(model), B), prior, measure)


def shared_rate(model: Any, dt: float, rows: int, width: int) -> Rate:
    """Seconds per path-step of ``run_shared`` over ``width`` paths in groups of ``rows``
    sharing their normals (drawn by NumPy, one set per group and step)."""
    K = int(max(1, min(width, 2048) // rows))
    B = K * rows
    prior = 1e-7 + 2e-9 * flops(model)

    def measure() -> float:
        from ._em_loops import run_shared
        from ._spec import step_arrays

        st = step_arrays(model, dt, affine=False)
        rng = np.random.default_rng(0)
        h0 = np.zeros((B, model.n_hidden))

        def run(k: int) -> None:
            xi = rng.standard_normal((k, K, model.n_noise))
            run_shared(h0.copy(), xi, rows, st.block_drift, st.noise,
                       np.empty((k + 1, B, model.n_hidden)), np.inf)
        return per_unit(run, lambda k: B * k, k0=2, k_max=_steps_max(B, model))

    return Rate(("shared", *model_key(model), rows, B), prior, measure)


def fft_rate() -> Rate:
    """Seconds per ``N log2 N`` of a real FFT (forward or inverse) of one channel."""
    def measure() -> float:
        x = np.random.default_rng(0).standard_normal((4, 1 << 14))

        def run(k: int) -> None:
            for _ in range(k):
                np.fft.irfft(np.fft.rfft(x, axis=1), axis=1)
        return per_unit(run, lambda k: k * 8 * (1 << 14) * 14, k0=1, k_max=1 << 12)

    return Rate(("fft",), 2e-9, measure)


def fft_work(n_points: int, channels: float) -> float:
    """``N log2 N`` units of ``channels`` transforms of length the next power of two."""
    nfft = 1 << int(max(n_points, 2) - 1).bit_length()
    return channels * nfft * math.log2(nfft)
