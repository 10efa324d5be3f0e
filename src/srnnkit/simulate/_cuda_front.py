"""Checks for ``simulate(..., device="cuda")`` before the CUDA module is imported."""

from __future__ import annotations

from typing import Any

from ..dynamics._em_loops import RO_NONE


def run_cuda(plan: Any, *, save: str, batched: bool, n_series: int, executor: Any) -> Any:
    if executor is not None:
        raise ValueError("executor must be None with device='cuda' (the GPU runs the whole "
                         f"ensemble); got {type(executor).__name__}. Use device='cpu' to "
                         "run blocks on a Dask cluster.")
    if plan.ro_kind == RO_NONE:
        raise ValueError("device='cuda' supports linear, identity and quadratic readouts; "
                         f"this model's readout is {plan.model.readout.kind!r} (a callable). "
                         "Use device='cpu', or simulate with save='states' on the CPU and "
                         "apply the readout yourself.")
    from ._cuda import simulate_cuda

    return simulate_cuda(plan, save=save, batched=batched, n_series=n_series)
