"""Cost estimate of :func:`srnnkit.response_features` (see :mod:`srnnkit._cost`).

Work: ``n_series x n_steps x refine`` segments of the response path (``d = P m``
channels), each updating ``signature_dim(d, depth)`` entries, at the rate of the same call
on a synthetic batch (:func:`srnnkit.signatures._cost.signature_rate`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._cost import CostEstimate, Part, speedup

__all__ = ["response_features_cost"]

_CAL_PATHS = 8


def response_features_cost(inputs: Any, *, dt: float, basis: Any, depth: int,
                           stream: bool = False, refine: int = 1, n_jobs: Any = None,
                           max_bytes: Any = 2 * 1024**3, device: str = "cpu", **_: Any
                           ) -> CostEstimate | None:
    """The estimate of :func:`srnnkit.response_features` (same arguments)."""
    from .._parallel import n_threads
    from .._validation import check_int
    from ..signatures._cost import signature_rate
    from ..signatures._signature import check_max_bytes, guard_bytes, use_fixed
    from ..signatures._words import signature_dim
    from ._tensor_path import response_features

    if device != "cpu":
        return None
    shape = np.shape(inputs)
    n_b = 1 if len(shape) == 2 else int(shape[0])
    n_steps, m = shape[-2], shape[-1]
    depth, refine = check_int("depth", depth, low=1), check_int("refine", refine, low=1)
    d = basis.n_functions * m
    dim = signature_dim(d, depth)
    max_bytes = check_max_bytes(max_bytes)     # the front end's memory guards come first
    guard_bytes("output", (n_b, n_steps if stream else 1, dim), 8, max_bytes, "")
    guard_bytes("working memory", (6 * d ** (depth - 1) + dim,), 8, max_bytes, "")
    guard_bytes("cell integrals", (n_steps * refine + 1, basis.n_functions), 8, max_bytes, "")
    work = float(n_b) * n_steps * refine * dim
    rng = np.random.default_rng(0)

    def run(k: int) -> None:
        u = 0.1 * rng.standard_normal((_CAL_PATHS, k - 1, m))
        response_features(u, dt=dt, basis=basis, depth=depth, stream=bool(stream),
                          refine=refine)
    rate = signature_rate("response_features", (d, depth, bool(stream), type(basis).__name__), run,
                 refine * dim, use_fixed(d, depth, int(min(work, 2 ** 62))))
    part = Part(f"{n_b} series x {n_steps * refine} segments x {dim} signature entries",
                "the number of series, their length, depth, refine or the basis degree", work,
                rate)
    return CostEstimate("response_features", [part], unit="it",
                        speedup=speedup(n_threads(n_jobs, n_b), n_b))
