"""Response kernel <S(∫ψ⊗u), S(∫ψ⊗v)> from κ(s, t) = <ψ(s), ψ(t)> (docs/theory.md §4-6)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._cost import costed
from .._validation import MemoryLimitError, check_finite_result, check_int, check_positive, fail
from . import _common as cm
from ._cost import response_kernel_cost


@costed(response_kernel_cost)
def response_kernel(U: Any, V: Any = None, *, dt: float, basis: Any, dyadic_order: int = 0,
                    depth: int | None = None, richardson: bool = False,
                    refine: int | None = None, n_jobs: int | None = None,
                    device: str = "cpu", executor: Any = None,
                    tile: int | None = None, diagonal: bool = False) -> np.ndarray:
    r"""Gram matrix of the response kernel of piecewise-constant inputs.

    For inputs :math:`u, v` (``u[j]`` acts on :math:`[j\,dt, (j+1)\,dt)`) and a support
    basis :math:`\psi`, the response paths are :math:`X = \int\psi\otimes u`,
    :math:`Y = \int\psi\otimes v` and the kernel is
    :math:`K(u, v) = \langle S(X)_{0,T}, S(Y)_{0,T'}\rangle = \sum_{n\ge 0}
    \langle S^n(X), S^n(Y)\rangle` (scalar term 1 included).  It solves the Goursat problem

    .. math::

        \frac{\partial^2 k}{\partial a\,\partial b} = \kappa(a, b)\,\langle u_a, v_b\rangle\,k,
        \qquad k(0,\cdot) = k(\cdot,0) = 1,\qquad \kappa(a, b) = \langle\psi(a), \psi(b)\rangle,

    so only :math:`\kappa` is needed (an infinite basis with a closed-form :math:`\kappa` costs
    the same as a finite one). Over a pair of pieces of input cells the increment product
    factors as :math:`G = \langle u_i, v_j\rangle \iint \kappa(a, b)\,da\,db`
    (:math:`O(L^2 (P + m))` work); the PDE is advanced by the scheme of `signature_kernel`.

    Cell rules (details in docs/kernels.md): ``refine=None`` splits every input cell into
    :math:`2^{\text{dyadic\_order}}` pieces with the midpoint rule
    :math:`\iint\kappa \approx h^2\kappa(a_{p+1/2}, b_{q+1/2})` (any ``basis.kappa``; the
    error falls about 4x per order); ``refine=r`` takes the piecewise-linear
    :math:`\int\psi\otimes u` at ``r`` pieces per cell with the exact inner products from
    ``basis.integrals`` (finite bases), each piece pair refined
    :math:`2^{\text{dyadic\_order}}` times. ``depth=N`` gives the exact truncated kernel
    :math:`\sum_{n\le N}\langle S^n(X), S^n(Y)\rangle` of that piecewise-linear path (equal
    to the inner product of ``response_features(..., depth=N, refine=r)``). A grid too coarse
    for the inputs (see `CoarseGridWarning`) is said.

    Parameters
    ----------
    U : array-like of shape (n_u, n_steps, n_inputs), or list of (n_steps_i, n_inputs)
        Piecewise-constant inputs.  A single series ``(n_steps, n_inputs)`` is promoted.
    V : same as U, or None, default=None
        Right inputs; ``None`` gives the symmetric Gram of ``U`` (each pair once).
    dt : float
        Time step (cell width); input ``u[j]`` acts on ``[j dt, (j+1) dt)``.
    basis : object
        Support basis with ``kappa(s, t)`` (elementwise, NumPy broadcasting), e.g.
        ``srnnkit.features.MonomialBasis``.  ``refine`` also needs
        ``integrals(a, b) -> (len(a), n_functions)``.
    dyadic_order : int, default=0
        ``refine=None``: :math:`2^{\text{dyadic\_order}}` pieces per cell.  ``refine=r``:
        PDE steps per piece.
    depth : int or None, default=None
        Truncation level; ``None`` solves the untruncated PDE.
    richardson : bool, default=False
        Richardson extrapolation :math:`(4K_{\text{lev}} - K_{\text{lev}-1})/3`
        over dyadic orders (needs ``dyadic_order >= 1``).
    refine : int or None, default=None
        Pieces per input cell of the piecewise-linear response path (exact cell
        integrals); ``None`` uses the midpoint rule on the dyadic grid.
    n_jobs : int or None, default=None
        Threads (joblib semantics).  Results are bit-identical whatever ``n_jobs``.
    device : {"cpu", "cuda"}, default="cpu"
        ``"cuda"``: one GPU thread block per pair, anti-diagonal sweep (docs/cuda.md); equal
        to the CPU result to float64 rounding.  The truncated kernel (``depth``) is CPU only.
    executor : dask.distributed.Client, optional
        Compute the Gram matrix in tiles of ``tile`` series (default 32) on a Dask cluster;
        the result is bit-identical to the single-process one.
    tile : int, optional
        Series per tile with ``executor``.
    diagonal : bool, default=False
        Return only :math:`K(u_i, u_i)`, shape ``(n_u,)`` (``V`` must be None; CPU only),
        e.g. to normalise a kernel, :math:`K(u,v)/\sqrt{K(u,u)K(v,v)}`.

    Returns
    -------
    K : ndarray of shape (n_u, n_v), or (n_u,) with ``diagonal=True``

    See Also
    --------
    signature_kernel : the PDE for general piecewise-linear paths.

    Examples
    --------
    With :math:`\psi \equiv 1` (:math:`\kappa = 1`) and one input cell,
    :math:`X` is a straight line and :math:`K = I_0(2\sqrt{\langle\Delta X, \Delta Y\rangle})`:

    >>> import numpy as np
    >>> from srnnkit.kernels import response_kernel
    >>> class Constant:
    ...     def kappa(self, s, t):
    ...         return np.ones(np.broadcast(s, t).shape)
    >>> u = np.array([[[0.6, 0.8]]])
    >>> K = response_kernel(u, dt=1.0, basis=Constant(), dyadic_order=4, richardson=True)
    >>> bool(np.isclose(K[0, 0], np.i0(2.0), rtol=1e-5))
    True
    """
    return _response_kernel(U, V, dt=dt, basis=basis, dyadic_order=dyadic_order, depth=depth,
                            richardson=richardson, refine=refine, n_jobs=n_jobs,
                            device=device, executor=executor, tile=tile, diagonal=diagonal)


def _response_kernel(U: Any, V: Any, *, dt: Any, basis: Any, dyadic_order: Any, depth: Any,
                     richardson: Any, refine: Any, n_jobs: Any, device: Any, executor: Any,
                     tile: Any, diagonal: Any) -> np.ndarray:
    """`response_kernel` after its docstring: checks, batches, the solve."""
    from .._device import check_device

    device = check_device(device, "response_kernel")
    _check_diagonal(diagonal, V, device, executor)
    if tile is not None:                  # used with an executor only, but never unchecked
        check_int("tile", tile, low=1)
    if executor is not None:
        from ._tiles import gram_on_executor

        return gram_on_executor(response_kernel, U, V, executor, tile, dt=dt, basis=basis,
                                dyadic_order=dyadic_order, depth=depth,
                                richardson=richardson, refine=refine)
    opts = _check_options(dt, basis, dyadic_order, depth, richardson, refine, n_jobs, device)
    Up, nu = cm.as_batch("U", U, min_len=1, len_text="at least one input cell",
                         what="series")
    Vp, nv = Up, nu
    if V is not None:
        Vp, nv = cm.as_batch("V", V, min_len=1, len_text="at least one input cell",
                             what="series")
        cm.check_same_channels("U", Up, "V", Vp)
    if opts["refine"] is None:
        _check_midpoint(basis, opts["dt"], 2 ** opts["lev"], max(Up.shape[1], Vp.shape[1]))
    out = _solve(Up, nu, Vp, nv, V is None, basis, device, diagonal, **opts)
    return check_finite_result(
        "response_kernel", out, "The kernel grows exponentially with the inputs' size and "
        "with kappa on the window: rescale the inputs, shorten the window (n_steps * dt), "
        "use a basis bounded on it, or give a finite depth.")


def _check_diagonal(diagonal: Any, V: Any, device: str, executor: Any) -> None:
    if not isinstance(diagonal, (bool, np.bool_)):
        fail("diagonal", "a bool", diagonal, TypeError)
    if diagonal and (V is not None or device != "cpu" or executor is not None):
        fail("diagonal", "False when V, device='cuda' or an executor is given (the diagonal "
             "K(u_i, u_i) is computed on the CPU, for U alone)", diagonal)


def _check_options(dt: Any, basis: Any, dyadic_order: Any, depth: Any, richardson: Any,
                   refine: Any, n_jobs: Any, device: str) -> dict[str, Any]:
    """Validated ``dt, lev, rich, depth, refine, nthreads`` (see `response_kernel`)."""
    if device == "cuda" and depth is not None:
        raise ValueError(f"device='cuda' supports the untruncated response kernel only; got "
                         f"depth={depth!r}. Use depth=None on the GPU, or device='cpu' for the "
                         "truncated kernel.")
    dt = check_positive("dt", dt)
    lev, rich = cm.check_dyadic(dyadic_order, richardson)
    if depth is not None:
        depth = check_int("depth", depth, low=1, high=64)
    if refine is not None:
        refine = check_int("refine", refine, low=1, high=4096)
    nthreads = cm.resolve_n_jobs(n_jobs)
    if not callable(getattr(basis, "kappa", None)):
        fail("basis", "a support basis with a kappa(s, t) method", basis, TypeError)
    if refine is not None and (not callable(getattr(basis, "integrals", None))
                               or getattr(basis, "n_functions", 1) is None):
        fail("basis", "a finite support basis with an integrals(a, b) method when refine is "
             "given (use refine=None, the midpoint rule, for closed-form kappa only)",
             basis, TypeError)
    return dict(dt=dt, lev=lev, rich=rich, depth=depth, refine=refine, nthreads=nthreads)


def _solve(Up: np.ndarray, nu: np.ndarray, Vp: np.ndarray, nv: np.ndarray, symmetric: bool,
           basis: Any, device: str, diagonal: bool, *, dt: float, lev: int, rich: bool,
           depth: int | None, refine: int | None, nthreads: int,
           check: bool = True) -> np.ndarray:
    """The Gram matrix (or its diagonal) at dyadic order ``lev`` (and ``lev - 1`` for
    Richardson extrapolation); with ``check``, `CoarseGridWarning` if the grid is too coarse
    (untruncated kernel)."""
    levels = [lev - 1, lev] if rich else [lev]
    results = []
    with cm.numba_threads(nthreads):
        for lv in levels:
            if refine is None:
                r, R = 2 ** lv, 1
                kap = _midpoint_kappa(basis, dt, r, Up.shape[1], Vp.shape[1])
            else:
                r, R = refine, 2 ** lv
                kap = _exact_kappa(basis, dt, r, Up.shape[1], Vp.shape[1])
            if device == "cuda":
                from ._cuda import response_gram_cuda

                results.append(response_gram_cuda(Up, nu, Vp, nv, symmetric, kap, r, R))
            elif diagonal:
                results.append(_diagonal(Up, nu, kap, r, R, depth, nthreads))
            else:
                results.append(_gram(Up, nu, Vp, nv, symmetric, kap, r, R, depth, nthreads))
    if depth is None and check:
        # a symmetric CPU solve at dyadic_order holds the check's coarse self-kernels (the same
        # bits: a pair's values do not depend on its lanes); the check solves the finer ones
        known = None
        if symmetric and device == "cpu":
            known = results[-1] if diagonal else np.diag(results[-1])
        for P, n in ((Up, nu),) if symmetric else ((Up, nu), (Vp, nv)):
            if refine is None and _table_bytes(2 ** (lev + 1), P.shape[1], P.shape[1]) \
                    > MAX_TABLE_BYTES:
                # found by fuzzing: one series of 10,000 steps at dyadic_order=0 (a table of
                # 0.75 GiB) raised MemoryLimitError "reduce dyadic_order" from this check's
                # finer table, after the requested kernel was computed; the check is advisory
                continue
            cm.check_grid("response_kernel", lambda lv, i, P=P, n=n: known[i]
                          if known is not None and lv == lev else _solve(
                P[i], n[i], P[i], n[i], True, basis, "cpu", True, dt=dt, lev=lv, rich=False,
                depth=None, refine=refine, nthreads=nthreads, check=False),
                np.stack([np.einsum("ijk,ijk->i", P, P),
                          np.einsum("ijk,ijk->ij", P, P).max(axis=1, initial=0.0)]), lev)
    return cm.richardson_combine(results[1], results[0]) if rich else results[0]


# Largest shared time table kappa[p, q] (bytes) that response_kernel will build.
MAX_TABLE_BYTES = 2**31


def _table_bytes(r: int, la: int, lb: int) -> int:
    """Bytes of the time table of paths of ``la`` and ``lb`` steps, ``r`` pieces a step."""
    return 8 * (la * r) * (lb * r)


def _check_table(r: int, la: int, lb: int) -> None:
    nbytes = _table_bytes(r, la, lb)
    if nbytes > MAX_TABLE_BYTES:
        raise MemoryLimitError(
            f"the time table of response_kernel must fit in {MAX_TABLE_BYTES / 2**30:.0f} GiB; "
            f"got {la * r} x {lb * r} pieces ({nbytes / 2**30:.1f} GiB). Reduce dyadic_order "
            "or refine, or split long series.")


def _midpoint_kappa(basis: Any, dt: float, r: int, la: int, lb: int) -> np.ndarray:
    _check_table(r, la, lb)
    h = dt / r
    a = (np.arange(la * r) + 0.5) * h
    b = (np.arange(lb * r) + 0.5) * h
    kap = _call_kappa(basis, a[:, None], b[None, :])
    return np.ascontiguousarray(kap * (h * h))


#: cells per axis (evenly spaced over the series) and points per cell side at which the
#: midpoint rule's cell integrals of kappa are checked against a finer composite rule
MIDPOINT_CELLS = 16
MIDPOINT_POINTS = 8


def _check_midpoint(basis: Any, dt: float, r: int, length: int) -> None:
    r"""`CoarseGridWarning` when :math:`\kappa` varies so much inside a cell of the grid
    (``r`` pieces per input cell) that the midpoint rule misses its integral by more than
    ``COARSE_ERROR`` of the largest cell integral. The check of the PDE's convergence
    (one order finer) cannot see this: both orders can miss the same way."""
    h = dt / r
    cells = np.unique(np.linspace(0, length * r - 1, min(length * r, MIDPOINT_CELLS))
                      .round().astype(np.int64))
    offsets = (np.arange(MIDPOINT_POINTS) + 0.5) / MIDPOINT_POINTS
    mid = (cells + 0.5) * h
    fine_t = ((cells[:, None] + offsets[None, :]) * h).ravel()
    with np.errstate(all="ignore"):
        coarse = _call_kappa(basis, mid[:, None], mid[None, :])
        fine = _call_kappa(basis, fine_t[:, None], fine_t[None, :]).reshape(
            cells.size, MIDPOINT_POINTS, cells.size, MIDPOINT_POINTS).mean(axis=(1, 3))
        err = float(np.max(np.abs(coarse - fine)) / max(float(np.max(np.abs(fine))), 1e-300))
    if not err > cm.COARSE_ERROR or not np.isfinite(err):
        return
    warnings.warn(
        f"response_kernel: kappa varies within the grid's cells (dt / 2**dyadic_order = "
        f"{h:.3g}): the midpoint rule misses a cell's integral of kappa by about "
        f"{100 * err:.2g} % of the largest one, and the kernel can be far off. Give refine "
        "(exact cell integrals, finite bases), a higher dyadic_order, or a basis that varies "
        "slowly on the input step.", cm.CoarseGridWarning, stacklevel=cm.user_stacklevel())


def _call_kappa(basis: Any, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(s.shape, t.shape)
    kap = np.asarray(basis.kappa(s, t), dtype=np.float64)
    if kap.shape != shape:
        try:
            kap = np.broadcast_to(kap, shape)
        except ValueError:
            fail("basis.kappa(s, t)", f"an array broadcastable to {shape} for s of shape "
                 f"{s.shape} and t of shape {t.shape}", kap)
    if not np.all(np.isfinite(kap)):
        # name where (found by fuzzing: the message showed an internal (16, 16) sample and a
        # hint for another kappa when exp(st) overflowed at s t = 900)
        bad = np.argwhere(~np.isfinite(kap))[0]
        sb, tb = np.broadcast_to(s, shape)[tuple(bad)], np.broadcast_to(t, shape)[tuple(bad)]
        last = float(max(np.max(s, initial=0.0), np.max(t, initial=0.0)))
        fail("basis.kappa(s, t)", "finite on the time grid (times 0 to "
             f"{last:.3g} = n_steps * dt)", f"{kap[tuple(bad)]} at s = {sb:.3g}, t = {tb:.3g}",
             hint="A kappa that grows with s t (e.g. exp(s t) of WeightedMonomialBasis) "
             "overflows on long time grids: give a smaller dt (time in units of the series' "
             "length) or a finite basis; for kappa = 1/(1 - s t) keep s t < 1.")
    return kap


def _exact_kappa(basis: Any, dt: float, r: int, la: int, lb: int) -> np.ndarray:
    _check_table(r, la, lb)
    h = dt / r
    n = max(la, lb) * r
    edges = np.arange(n + 1) * h
    ints = np.asarray(basis.integrals(edges[:-1], edges[1:]), dtype=np.float64)
    if ints.ndim == 1:
        ints = ints[:, None]
    if ints.ndim != 2 or ints.shape[0] != n:
        fail("basis.integrals(a, b)", f"an array of shape ({n}, n_functions)", ints)
    if not np.all(np.isfinite(ints)):
        fail("basis.integrals(a, b)", "finite", ints)
    return np.ascontiguousarray(ints[: la * r] @ ints[: lb * r].T)


def _gram(Up: np.ndarray, nu: np.ndarray, Vp: np.ndarray, nv: np.ndarray, symmetric: bool,
          kap: np.ndarray, r: int, R: int, depth: int | None, nthreads: int) -> np.ndarray:
    from . import _pde_loops as kr

    if depth is not None:
        def solve(px: np.ndarray, py: np.ndarray, nl: int, out: np.ndarray) -> None:
            kr.response_truncated_gram(Up, nu, Vp, nv, kap, r, depth, px, py, nl, out)

        return cm.gram_driver(solve, nu, nv, symmetric, kr.TRUNC_LANES, nthreads)

    return cm.gram_driver(_pde_solver(Up, nu, Vp, nv, kap, r, R), nu, nv, symmetric, kr.LANES,
                          nthreads, pairwise=True)


def _pde_solver(Up: np.ndarray, nu: np.ndarray, Vp: np.ndarray, nv: np.ndarray,
                kap: np.ndarray, r: int, R: int) -> Any:
    """``solve(px, py, lanes, out)`` of the untruncated kernel: lanes, or one pair at a time
    (``lanes == 1``; the same values)."""
    from . import _pde_loops as kr

    factor = 1.0 / (R * R)

    def solve(px: np.ndarray, py: np.ndarray, nl: int, out: np.ndarray) -> None:
        if nl == 1:
            kr.response_pairs(Up, nu, Vp, nv, kap, r, px, py, R, factor, out)
        else:
            kr.response_gram(Up, nu, Vp, nv, kap, r, px, py, R, factor, nl, out)
    return solve


def _diagonal(Up: np.ndarray, nu: np.ndarray, kap: np.ndarray, r: int, R: int,
              depth: int | None, nthreads: int) -> np.ndarray:
    """K(u_i, u_i) for every series: the pairs (i, i) only, grouped by length in lanes."""
    from . import _pde_loops as kr

    if depth is None:
        return cm.diagonal_driver(_pde_solver(Up, nu, Up, nu, kap, r, R), nu, kr.LANES,
                                  nthreads, pairwise=True)

    def solve(px: np.ndarray, py: np.ndarray, nl: int, out: np.ndarray) -> None:
        kr.response_truncated_gram(Up, nu, Up, nu, kap, r, depth, px, py, nl, out)
    return cm.diagonal_driver(solve, nu, kr.TRUNC_LANES, nthreads)
