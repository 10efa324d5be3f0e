"""Cost estimates of :func:`srnnkit.signature` (and the rate of :func:`srnnkit.response_features`).

Work: ``n_paths x n_segments x dim`` signature entries updated (``dim = signature_dim(d,
depth)``); for response features ``n_series x n_steps x refine`` segments of a path with
``d = P m`` channels. The rate per entry is measured by running the same function on a
synthetic batch of the same channels, depth and dtype, large enough to use the same compiled
update (the generated one above ``FIXED_MIN_WORK`` entries).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._cost import CostEstimate, Part, Rate, per_unit, speedup
from ._words import signature_dim

__all__ = ["signature_cost", "signature_rate"]

#: paths of a synthetic batch
_CAL_PATHS = 8


def signature_rate(call: str, key: tuple, run_one: Any, dim: int, fixed: bool) -> Rate:
    """The rate of ``run_one(n_points)`` (``_CAL_PATHS`` paths) per signature entry."""
    from ._signature import FIXED_MIN_WORK

    k0 = 2
    if fixed:   # the same (generated) update as the real call
        k0 = max(2, math.ceil(FIXED_MIN_WORK / (_CAL_PATHS * dim)) + 1)

    def measure() -> float:
        return per_unit(run_one, lambda k: _CAL_PATHS * (k - 1) * dim, k0=k0, k_max=1 << 22)
    return Rate((call, *key, fixed), 2e-9, measure)


#: Below this many segment-entries a signature takes well under a few milliseconds, so a
#: call skips its estimate (itself ~0.1 ms): found by profiling, half of a small call's time.
TINY_WORK = 1e6


def tiny_signature(*args: Any, **kwargs: Any) -> bool:
    """Whether a :func:`signature` call is too small to need its cost estimate (its own
    checks still run); False whenever that is not plain to see."""
    paths = args[0] if args else kwargs.get("paths")
    depth = args[1] if len(args) > 1 else kwargs.get("depth")
    shape = getattr(paths, "shape", None)
    if shape is None or len(shape) < 2 or not isinstance(depth, (int, np.integer)) \
            or not 1 <= depth <= 32:
        return False
    depth, d = int(depth), int(shape[-1])       # Python ints: a NumPy depth overflowed d**depth
    dim = d * (d ** depth - 1) // (d - 1) if d > 1 else depth
    return float(math.prod(shape[:-1])) * dim < TINY_WORK


def signature_cost(paths: Any, depth: int, *, stream: bool = False, n_jobs: Any = None,
                   max_bytes: Any = 2 * 1024**3, device: str = "cpu", **_: Any
                   ) -> CostEstimate | None:
    """The estimate of :func:`signature` (same arguments)."""
    from .._parallel import n_threads
    from .._validation import check_int
    from ._signature import check_max_bytes, guard_bytes, signature, use_fixed

    if device != "cpu":
        return None
    shape = np.shape(paths)
    *lead, L, d = shape
    n_b = int(np.prod(lead, dtype=float)) if lead else 1
    depth = check_int("depth", depth, low=1)
    dim = signature_dim(d, depth)
    max_bytes = check_max_bytes(max_bytes)     # the front end's memory guards come first
    guard_bytes("signature output", (n_b, L - 1 if stream else 1, dim), 8, max_bytes, "")
    guard_bytes("signature working memory", (6 * d ** (depth - 1) + dim,), 8, max_bytes, "")
    work = float(n_b) * (L - 1) * dim
    dtype = np.float32 if getattr(paths, "dtype", None) == np.float32 else np.float64
    rng = np.random.default_rng(0)

    def run(k: int) -> None:
        x = (0.1 * rng.standard_normal((_CAL_PATHS, k, d))).astype(dtype)
        signature(x, depth, stream=bool(stream))
    rate = signature_rate("signature", (d, depth, np.dtype(dtype).char, bool(stream)), run, dim,
                 use_fixed(d, depth, int(min(work, 2 ** 62))))
    part = Part(f"{n_b} paths x {L - 1} segments x {dim} signature entries",
                "the batch size, the path length or depth", work, rate)
    return CostEstimate("signature", [part], unit="it",
                        speedup=speedup(n_threads(n_jobs, n_b), n_b))
