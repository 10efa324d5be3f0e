"""Cost estimates and size guards of the Gram matrices (see :mod:`srnnkit._cost`).

Work: PDE cells summed over the pairs solved, ``sum_pairs (L_x R)(L_y R)`` for the signature
kernel (``R = 2**dyadic_order`` steps per cell, ``L`` segments) and ``(L_u r R)(L_v r R)``
for the response kernel (``r`` pieces per input cell); Richardson extrapolation adds the
coarser level (a quarter more). A symmetric Gram solves each pair once. The rate per cell is
measured by calling the same function with the same settings on short synthetic series.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._cost import CostEstimate, Part, Rate, SizeError, per_unit, speedup

__all__ = ["response_kernel_cost", "signature_kernel_cost"]


class _Sizes:
    """The series of a batch as the kernels read it: ``count`` series with ``lengths`` cells
    each (one number when they are equal, so that no per-series array is built)."""

    def __init__(self, count: int, lengths: np.ndarray | float, channels: int) -> None:
        self.count, self.lengths, self.channels = int(count), lengths, int(channels)

    def total(self, shift: int = 0) -> float:
        return float(np.sum(np.maximum(np.asarray(self.lengths, float) - shift, 0))
                     if np.ndim(self.lengths) else
                     self.count * max(float(self.lengths) - shift, 0.0))

    def squares(self, shift: int = 0) -> float:
        x = np.maximum(np.asarray(self.lengths, float) - shift, 0)
        return float(np.sum(x * x) if np.ndim(x) else self.count * float(x) ** 2)


def _sizes(name: str, X: Any) -> _Sizes:
    """A list of 2-D arrays, a 3-D array, or one 2-D series (promoted)."""
    if isinstance(X, (list, tuple)) and len(X) and np.ndim(X[0]) == 2:
        return _Sizes(len(X), np.array([np.shape(x)[0] for x in X], dtype=float),
                      np.shape(X[0])[1])
    shape = np.shape(X)
    if len(shape) == 2:
        return _Sizes(1, float(shape[0]), shape[1])
    if len(shape) == 3:
        return _Sizes(shape[0], float(shape[1]), shape[2])
    raise ValueError(name)


def _pairs_cells(x: _Sizes, y: _Sizes | None, shift: int) -> tuple[float, float]:
    """``(pairs, sum over pairs of cells_i * cells_j)`` (each pair once when ``y`` is None);
    a series of length L has ``L - shift`` cells."""
    if y is None:
        s = x.total(shift)
        return x.count * (x.count + 1) / 2, (s * s + x.squares(shift)) / 2
    return float(x.count) * y.count, x.total(shift) * y.total(shift)


def _guard_gram(name: str, nx: int, ny: int, symmetric: bool) -> None:
    """The Gram matrix and the pair lists of the solver must fit in memory."""
    from .._validation import format_bytes, physical_memory

    pairs = nx * (nx + 1) // 2 if symmetric else nx * ny
    need = 8 * nx * ny + 4 * 8 * pairs
    have = physical_memory()
    if need > have:
        raise SizeError(f"{name} is too large: {nx} x {ny} series give a Gram matrix and pair "
                        f"lists of {format_bytes(need)}, more than this machine's "
                        f"{format_bytes(have)} of memory. Compute the Gram matrix in blocks "
                        "of series (rows x columns), or use fewer series.")


def _estimate(call: str, xname: str, x: _Sizes, y: _Sizes | None, shift: int, factor: float,
              rate: Rate, n_jobs: Any, executor: Any, device: str, knob: str
              ) -> CostEstimate | None:
    _guard_gram(xname, x.count, x.count if y is None else y.count, y is None)
    if device != "cpu":
        return None
    pairs, cells = _pairs_cells(x, y, shift)
    from .._parallel import n_threads

    threads = 1 if executor is not None else n_threads(n_jobs)
    work = cells * factor
    part = Part(f"{pairs:.0f} pairs of series, {work:.3g} PDE cells", knob, work, rate)
    return CostEstimate(call, [part], speedup=speedup(threads, int(min(pairs, 2**62))),
                        unit="it")


#: most synthetic series of a rate measurement (enough pairs to fill the solver's SIMD lanes)
_CAL_SERIES = 48


def _pair_count(x: _Sizes, y: _Sizes | None) -> int:
    """Kernel entries the call computes: ``x``'s pairs once (symmetric), else ``x`` by ``y``."""
    return int(x.count) * (int(x.count) + 1) // 2 if y is None else int(x.count) * int(y.count)


def _cal_series(x: _Sizes, y: _Sizes | None) -> int:
    """Synthetic series of the rate measurement: a symmetric Gram with about as many pairs as
    the call (at most `_CAL_SERIES` series), so that its SIMD lanes are as full and the parts
    that do not grow with the pairs (the time table, the coarse-grid check on a few
    self-kernels) weigh as much per cell. Found by fuzzing: rated on 48 series, one series of
    3,000 steps (one lane, the check's finer table) was estimated at 0.019 s and took 9 s."""
    n = int(np.ceil((np.sqrt(8.0 * _pair_count(x, y) + 1.0) - 1.0) / 2.0))
    return int(min(max(n, 1), _CAL_SERIES))


def _lane_penalty(x: _Sizes, y: _Sizes | None, n_jobs: Any, max_lanes: int) -> float:
    """How much slower per cell than with full lanes the prior assumes (few pairs)."""
    from .._parallel import n_threads
    from ._common import choose_lanes

    return max_lanes / choose_lanes(min(_pair_count(x, y), 2**62), n_threads(n_jobs),
                                    max_lanes)


def _calibrated(fn: Any, d: int, kwargs: dict, cells_of: Any, n_series: int) -> float:
    """Seconds per PDE cell of ``fn`` (``n_series`` synthetic series of ``k`` steps, one
    thread)."""
    rng = np.random.default_rng(0)

    def run(k: int) -> None:
        fn(0.1 * rng.standard_normal((n_series, k, d)), None, n_jobs=1, **kwargs)
    return per_unit(run, lambda k: cells_of(_Sizes(n_series, float(k), d)), k0=4,
                    k_max=1 << 12)


def signature_kernel_cost(X: Any, Y: Any = None, *, static: str = "linear",
                          dyadic_order: int = 0, richardson: bool = False, scale: float = 1.0,
                          n_jobs: Any = None, device: str = "cpu", executor: Any = None,
                          **_: Any) -> CostEstimate | None:
    """The estimate of :func:`signature_kernel` (same arguments)."""
    from . import _common as cm
    from ._signature import signature_kernel

    dyadic_order, richardson = cm.check_dyadic(dyadic_order, richardson)
    R = 2 ** dyadic_order
    factor = R * R * (1.25 if richardson else 1.0)
    x = _sizes("X", X)
    y = None if Y is None else _sizes("Y", Y)
    kwargs = dict(static=static, dyadic_order=dyadic_order, richardson=bool(richardson),
                  scale=float(scale))

    def cells(sizes: _Sizes) -> float:
        return _pairs_cells(sizes, None, 1)[1] * factor

    d = x.channels
    from ._pde_loops import LANES

    n_cal = _cal_series(x, y)
    prior = (4e-9 + 1e-9 * d) * _lane_penalty(x, y, n_jobs, LANES)
    rate = Rate(("signature_kernel", static, d, R, bool(richardson), n_cal), prior,
                lambda: _calibrated(signature_kernel, d, kwargs, cells, n_cal))
    return _estimate("signature_kernel", "X", x, y, 1, factor, rate, n_jobs, executor, device,
                     "the number of series, their length or dyadic_order")


def response_kernel_cost(U: Any, V: Any = None, *, dt: float, basis: Any,
                         dyadic_order: int = 0, depth: Any = None, richardson: bool = False,
                         refine: Any = None, n_jobs: Any = None, device: str = "cpu",
                         executor: Any = None, diagonal: bool = False, **_: Any
                         ) -> CostEstimate | None:
    """The estimate of :func:`response_kernel` (same arguments)."""
    from .._validation import check_int
    from . import _common as cm
    from ._response import response_kernel

    if diagonal:
        return None
    lev, richardson = cm.check_dyadic(dyadic_order, richardson)
    if depth is not None:
        depth = check_int("depth", depth, low=1, high=64)
    if refine is not None:
        refine = check_int("refine", refine, low=1, high=4096)
    r, R = (2 ** lev, 1) if refine is None else (refine, 2 ** lev)
    factor = (r * R) ** 2 * (1.25 if richardson else 1.0)
    x = _sizes("U", U)
    y = None if V is None else _sizes("V", V)
    from ._response import _check_table

    # the front end's memory guard first: no CostWarning for a call it refuses
    _check_table(r, int(np.max(x.lengths)), int(np.max((y or x).lengths)))
    kwargs = dict(dt=dt, basis=basis, dyadic_order=lev, depth=depth,
                  richardson=bool(richardson), refine=refine)

    def cells(sizes: _Sizes) -> float:
        return _pairs_cells(sizes, None, 0)[1] * factor

    d = x.channels
    from ._pde_loops import LANES, TRUNC_LANES

    n_cal = _cal_series(x, y)
    prior = ((5e-9 if depth is None else 2e-9 * int(depth) ** 3) + 1e-9 * d) * _lane_penalty(
        x, y, n_jobs, LANES if depth is None else TRUNC_LANES)
    rate = Rate(("response_kernel", type(basis).__name__, getattr(basis, "n_functions", None),
                 d, r, R, depth, bool(richardson), n_cal), prior,
                lambda: _calibrated(response_kernel, d, kwargs, cells, n_cal))
    return _estimate("response_kernel", "U", x, y, 0, factor, rate, n_jobs, executor, device,
                     "the number of series, their length, dyadic_order or refine")
