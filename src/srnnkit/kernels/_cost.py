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


def _lengths(name: str, X: Any) -> tuple[np.ndarray, int]:
    """Series lengths and channels of a batch as the kernels read it (a list of 2-D arrays,
    a 3-D array, or one 2-D series)."""
    if isinstance(X, (list, tuple)) and len(X) and np.ndim(X[0]) == 2:
        return np.array([np.shape(x)[0] for x in X], dtype=float), int(np.shape(X[0])[1])
    shape = np.shape(X)
    if len(shape) == 2:
        return np.array([shape[0]], dtype=float), int(shape[1])
    if len(shape) == 3:
        return np.full(shape[0], shape[1], dtype=float), int(shape[2])
    raise ValueError(name)


def _pairs_cells(lx: np.ndarray, ly: np.ndarray | None) -> tuple[float, float]:
    """``(pairs, sum over pairs of lx_i * ly_j)`` (each pair once when ``ly`` is None)."""
    if ly is None:
        s, s2 = float(lx.sum()), float((lx * lx).sum())
        return len(lx) * (len(lx) + 1) / 2, (s * s + s2) / 2
    return float(len(lx) * len(ly)), float(lx.sum() * ly.sum())


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


def _estimate(call: str, xname: str, lx: np.ndarray, ly: np.ndarray | None, factor: float,
              rate: Rate, n_jobs: Any, executor: Any, device: str, knob: str
              ) -> CostEstimate | None:
    """``lx``, ``ly``: cells per series along each side (segments or input cells)."""
    _guard_gram(xname, len(lx), len(lx) if ly is None else len(ly), ly is None)
    if device != "cpu":
        return None
    pairs, cells = _pairs_cells(lx, ly)
    from .._parallel import n_threads

    threads = 1 if executor is not None else n_threads(n_jobs)
    work = cells * factor
    part = Part(f"{pairs:.0f} pairs of series, {work:.3g} PDE cells", knob, work, rate)
    return CostEstimate(call, [part], speedup=speedup(threads, int(pairs)), unit="it")


#: synthetic series of a rate measurement (enough pairs to fill the solver's SIMD lanes)
_CAL_SERIES = 48


def _calibrated(fn: Any, d: int, kwargs: dict, cells_of: Any) -> float:
    """Seconds per PDE cell of ``fn`` (48 synthetic series of ``k`` steps, one thread)."""
    rng = np.random.default_rng(0)

    def run(k: int) -> None:
        fn(0.1 * rng.standard_normal((_CAL_SERIES, k, d)), None, n_jobs=1, **kwargs)
    return per_unit(run, lambda k: cells_of(np.full(_CAL_SERIES, float(k))), k0=4,
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
    d = _lengths("X", X)[1]
    kwargs = dict(static=static, dyadic_order=int(dyadic_order), richardson=bool(richardson),
                  scale=float(scale))

    def cells(lengths: np.ndarray) -> float:
        return _pairs_cells(np.maximum(lengths - 1, 0), None)[1] * factor

    rate = Rate(("signature_kernel", static, d, R, bool(richardson)), 4e-9 + 1e-9 * d,
                lambda: _calibrated(signature_kernel, d, kwargs, cells))
    lx = np.maximum(_lengths("X", X)[0] - 1, 0)
    ly = None if Y is None else np.maximum(_lengths("Y", Y)[0] - 1, 0)
    return _estimate("signature_kernel", "X", lx, ly, factor, rate, n_jobs, executor, device,
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
    d = _lengths("U", U)[1]
    kwargs = dict(dt=dt, basis=basis, dyadic_order=lev, depth=depth,
                  richardson=bool(richardson), refine=refine)

    def cells(lengths: np.ndarray) -> float:
        return _pairs_cells(lengths, None)[1] * factor

    prior = (5e-9 if depth is None else 2e-9 * int(depth) ** 3) + 1e-9 * d
    rate = Rate(("response_kernel", type(basis).__name__, getattr(basis, "n_functions", None),
                 d, r, R, depth, bool(richardson)), prior,
                lambda: _calibrated(response_kernel, d, kwargs, cells))
    lx = _lengths("U", U)[0]
    ly = None if V is None else _lengths("V", V)[0]
    return _estimate("response_kernel", "U", lx, ly, factor, rate, n_jobs, executor, device,
                     "the number of series, their length, dyadic_order or refine")
