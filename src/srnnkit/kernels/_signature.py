"""Untruncated signature kernel of piecewise-linear paths by the Goursat PDE."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._cost import costed
from .._validation import check_choice, check_finite_result, check_int, check_positive, fail
from . import _common as cm
from ._cost import signature_kernel_cost

_STATICS = ("linear", "rbf")


@costed(signature_kernel_cost)
def signature_kernel(X: Any, Y: Any = None, *, static: str = "linear", dyadic_order: int = 0,
                     richardson: bool = False, scale: float = 1.0,
                     n_jobs: int | None = None, device: str = "cpu", executor: Any = None,
                     tile: int | None = None) -> np.ndarray:
    r"""Gram matrix of the untruncated signature kernel of piecewise-linear paths.

    For paths :math:`x, y` the signature kernel
    :math:`k(s, t) = \langle S(x)_{0,s}, S(y)_{0,t}\rangle` solves the Goursat problem

    .. math::

        \frac{\partial^2 k}{\partial s\,\partial t} = \langle \dot x_s, \dot y_t\rangle\, k,
        \qquad k(0, \cdot) = k(\cdot, 0) = 1,

    and the Gram entry is :math:`k` at the two end points.  Every cell of the
    grid of sample points is split into :math:`2^{\text{dyadic\_order}}` steps in each
    direction, and the PDE is advanced by the second-order scheme (docs/theory.md §6)

    .. math::

        k_{i+1,j+1} = (k_{i+1,j} + k_{i,j+1})\,(1 + G/2 + G^2/12) - k_{i,j}\,(1 - G^2/12),

    where :math:`G` is the sub-cell's increment inner product.  The error falls
    about 4x per dyadic order; ``richardson=True`` returns
    :math:`(4 K_{\text{lev}} - K_{\text{lev}-1})/3`. A grid too coarse for the paths (the
    self-kernel of the largest path changes by more than 1 % one order finer) gives a
    `CoarseGridWarning`.

    Parameters
    ----------
    X : array-like of shape (n_x, n_steps, n_channels), or list of (n_steps_i, n_channels)
        Left paths (sample points, linearly interpolated).  A single path
        ``(n_steps, n_channels)`` is promoted to a batch of one.
    Y : same as X, or None, default=None
        Right paths.  ``None`` computes the symmetric Gram of ``X`` (each pair once).
    static : {"linear", "rbf"}, default="linear"
        Static kernel on the path values.  ``"linear"``: :math:`\kappa(x, y) =
        \text{scale}\,\langle x, y\rangle`, so :math:`G = \text{scale}\,\langle \Delta x, \Delta
        y\rangle`.  ``"rbf"``: :math:`\kappa(x, y) = \exp(-|x-y|^2 / (2\,\text{scale}^2))`
        and :math:`G` is the second mixed difference
        :math:`\kappa(x_{i+1}, y_{j+1}) - \kappa(x_{i+1}, y_j) - \kappa(x_i, y_{j+1}) +
        \kappa(x_i, y_j)` (as in ``sigkernel``), divided by :math:`4^{\text{dyadic\_order}}`.
    dyadic_order : int, default=0
        Each cell is refined into :math:`2^{\text{dyadic\_order}}` steps per side.
    richardson : bool, default=False
        Richardson extrapolation over dyadic orders ``dyadic_order`` and
        ``dyadic_order - 1`` (needs ``dyadic_order >= 1``).
    scale : float, default=1.0
        Linear: multiplies the inner product.  RBF: the bandwidth.
    n_jobs : int or None, default=None
        Threads (joblib semantics: None means 1, -1 all cores).  Results are
        bit-identical whatever ``n_jobs``.
    device : {"cpu", "cuda"}, default="cpu"
        ``"cuda"``: one GPU thread block per pair, anti-diagonal sweep (docs/cuda.md); equal
        to the CPU result to float64 rounding.

    executor : dask.distributed.Client, optional
        Compute the Gram matrix in tiles of ``tile`` series (default 32) on a Dask cluster;
        the result is bit-identical to the single-process one.
    tile : int, optional
        Series per tile with ``executor``.

    Returns
    -------
    K : ndarray of shape (n_x, n_y)

    See Also
    --------
    response_kernel : the same PDE for the response path :math:`X = \int\psi\otimes u`.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.kernels import signature_kernel
    >>> x = np.array([[0.0, 0.0], [1.0, 0.5]])
    >>> K = signature_kernel(x[None], dyadic_order=4, richardson=True)
    >>> bool(np.isclose(K[0, 0], np.i0(2 * np.sqrt(1.25)), rtol=1e-4))  # straight line
    True
    """
    return _signature_kernel(X, Y, static=static, dyadic_order=dyadic_order,
                             richardson=richardson, scale=scale, n_jobs=n_jobs, device=device,
                             executor=executor, tile=tile)


def _signature_kernel(X: Any, Y: Any, *, static: Any, dyadic_order: Any, richardson: Any,
                      scale: Any, n_jobs: Any, device: Any, executor: Any,
                      tile: Any) -> np.ndarray:
    """`signature_kernel` after its docstring: checks, batches, the solve."""
    from .._device import check_device

    device = check_device(device, "signature_kernel")
    if tile is not None:                  # used with an executor only, but never unchecked
        check_int("tile", tile, low=1)
    if executor is not None:
        from ._tiles import gram_on_executor

        return gram_on_executor(signature_kernel, X, Y, executor, tile, static=static,
                                dyadic_order=dyadic_order, richardson=richardson, scale=scale)
    static = check_choice("static", static, _STATICS)
    lev, rich = cm.check_dyadic(dyadic_order, richardson)
    scale = check_positive("scale", scale)
    nthreads = cm.resolve_n_jobs(n_jobs)
    Xp, nx = cm.as_batch("X", X, min_len=2, len_text="at least two sample points")
    Yp, ny = Xp, nx
    if Y is not None:
        Yp, ny = cm.as_batch("Y", Y, min_len=2, len_text="at least two sample points")
        cm.check_same_channels("X", Xp, "Y", Yp)
    if static == "rbf":
        Xp, Yp, scale = _rbf_units(Xp, Yp if Y is not None else None, scale)
        Yp = Xp if Y is None else Yp
    keep: dict = {}
    out = _levels(Xp, nx, Yp, ny, Y is None, static, lev, rich, scale, nthreads, device, keep)
    # the symmetric CPU Gram at dyadic_order holds the check's coarse self-kernels (the same
    # bits: a pair's values do not depend on its lanes); the check solves the finer ones
    known = np.diag(keep["finest"]) if Y is None and device == "cpu" else None
    for P, n in ((Xp, nx),) if Y is None else ((Xp, nx), (Yp, ny)):
        cm.check_grid("signature_kernel", lambda lv, i, P=P, n=n: known[i]
                      if known is not None and lv == lev
                      else _self_kernels(P[i], n[i], static, lv, scale, nthreads),
                      _variation(P, n), lev)      # (total, largest step) per path
    return check_finite_result(
        "signature_kernel", out, "The kernel grows like exp(|X| |Y|) in the path lengths: "
        "rescale the paths (scale=..., or divide them by their typical size), or use the "
        "RBF static kernel.")


def _rbf_units(Xp: np.ndarray, Yp: np.ndarray | None, scale: float
               ) -> tuple[np.ndarray, np.ndarray | None, float]:
    """The RBF paths in units of ``scale`` (``scale`` 1) when ``1/(2 scale²)`` or the
    squared distances leave the range of doubles; else unchanged (the same bits as before).
    Found by fuzzing: paths of size 1e154 at ``scale=1e154`` gave a Gram 4.5 % off with no
    warning (squared distances of 1e308 overflowed, ``exp(-inf) = 0``), and at 1e-156
    ``NonFiniteResultError`` (``1/scale²`` overflowed) and at ``scale=1e-300``
    ``ZeroDivisionError``; the kernel depends on x/scale only."""
    gamma = 0.5 / (scale * scale) if scale * scale > 0 else math.inf
    big = float(np.max(np.abs(Xp), initial=0.0))
    if Yp is not None:
        big = max(big, float(np.max(np.abs(Yp), initial=0.0)))
    span = 2.0 * big * np.sqrt(Xp.shape[-1])          # bounds |x - y|
    if (np.isfinite(gamma) and gamma >= np.finfo(float).tiny
            and span * span * gamma < 1e300 and span * span < 1e300):
        return Xp, Yp, scale
    if big / scale < np.finfo(float).max:             # the paths in units of scale are finite
        return Xp / scale, None if Yp is None else Yp / scale, 1.0
    # points beyond 1.8e308 scales: distinct ones are far beyond the kernel's reach, and the
    # squared distances may overflow to inf (exp(-inf) = 0) as long as gamma is finite (paths
    # of size 1e300 at scale=1e-10 gave the right Gram; in units of scale they were inf, NaN)
    if np.isfinite(gamma):
        return Xp, Yp, scale
    fail("scale", f"a scale with 1/scale**2 finite, or paths within 1.8e308 scales (the paths "
         f"reach {big:.3g}; the RBF kernel depends on them over scale only)", scale,
         hint="Divide the paths by a common factor and scale by the same.")


def _variation(P: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Squared variation and largest squared step of each path of a padded batch (lengths
    ``n``), shape (2, n_paths): the scheme's error grows with a cell's increment, so a path
    with one large step can be the worst resolved (found by fuzzing: a one-segment path 55 %
    off beside two long paths of more total variation, no warning)."""
    d = np.einsum("ijk,ijk->ij", np.diff(P, axis=1), np.diff(P, axis=1))
    d[np.arange(d.shape[1])[None, :] >= (n - 1)[:, None]] = 0.0
    return np.stack([d.sum(axis=1), d.max(axis=1, initial=0.0)])


def _levels(Xp: np.ndarray, nx: np.ndarray, Yp: np.ndarray, ny: np.ndarray, symmetric: bool,
            static: str, lev: int, rich: bool, scale: float, nthreads: int,
            device: str, keep: dict | None = None) -> np.ndarray:
    """The Gram matrix at dyadic order ``lev`` (Richardson: combined with ``lev - 1``);
    ``keep["finest"]``, if given, receives the Gram at ``lev`` itself."""
    levels = [lev - 1, lev] if rich else [lev]
    if device == "cuda":
        from ._cuda import signature_gram_cuda

        results = [signature_gram_cuda(Xp, nx, Yp, ny, symmetric, static, 2**lv, scale)
                   for lv in levels]
    else:
        with cm.numba_threads(nthreads):
            results = [_gram(Xp, nx, Yp, ny, symmetric, static, 2**lv, scale, nthreads)
                       for lv in levels]
    if keep is not None:
        keep["finest"] = results[-1]
    return cm.richardson_combine(results[1], results[0]) if rich else results[0]


def _self_kernels(P: np.ndarray, n: np.ndarray, static: str, lev: int, scale: float,
                  nthreads: int) -> np.ndarray:
    """k(x, x) of every path of ``P`` (lengths ``n``) at dyadic order ``lev``: the pairs
    (i, i) only, the same values as the Gram's diagonal (the coarse-grid check)."""
    with cm.numba_threads(nthreads):
        return _gram(P, n, P, n, True, static, 2**lev, scale, nthreads, diagonal=True)


def _gram(Xp: np.ndarray, nx: np.ndarray, Yp: np.ndarray, ny: np.ndarray, symmetric: bool,
          static: str, R: int, scale: float, nthreads: int,
          diagonal: bool = False) -> np.ndarray:
    """The Gram matrix at ``R`` steps per cell side (``diagonal``: k(x_i, x_i) only, (n_x,))."""
    from . import _pde_loops as kr

    if static == "linear":
        dX = np.ascontiguousarray(np.diff(Xp, axis=1))
        dY = dX if symmetric else np.ascontiguousarray(np.diff(Yp, axis=1))
        factor = scale / (R * R)

        def solve(px: np.ndarray, py: np.ndarray, nl: int, out: np.ndarray) -> None:
            if nl == 1:     # one pair at a time: row strips, no lane machinery
                kr.sig_linear_pairs(dX, nx - 1, dY, ny - 1, px, py, R, factor, out)
            else:
                kr.sig_linear_gram(dX, nx - 1, dY, ny - 1, px, py, R, factor, nl, out)
    else:
        gamma = 0.5 / (scale * scale)
        factor = 1.0 / (R * R)

        def solve(px: np.ndarray, py: np.ndarray, nl: int, out: np.ndarray) -> None:
            if nl == 1:
                kr.sig_rbf_pairs(Xp, nx, Yp, ny, px, py, R, gamma, factor, out)
            else:
                kr.sig_rbf_gram(Xp, nx, Yp, ny, px, py, R, gamma, factor, nl, out)

    if diagonal:
        return cm.diagonal_driver(solve, nx, kr.LANES, nthreads, pairwise=True)
    return cm.gram_driver(solve, nx, ny, symmetric, kr.LANES, nthreads, pairwise=True)
