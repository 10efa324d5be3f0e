"""The tensor path X_t = ∫_0^t psi(s) ⊗ u_s ds and its signature (response features)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._cost import costed
from .._validation import check_array, check_finite_result, check_int, check_positive, fail
from ..signatures._signature import (
    DEFAULT_MAX_BYTES,
    OVERFLOW_REMEDY,
    check_max_bytes,
    guard_bytes,
    run_rank_one,
)
from ..signatures._words import signature_dim
from ._bases import SupportBasis
from ._cost import response_features_cost

__all__ = ["response_features", "tensor_path"]

_TEXT = "(n_steps, n_inputs) or (n_series, n_steps, n_inputs)"


def _check_inputs(inputs: ArrayLike) -> np.ndarray:
    if isinstance(inputs, (list, tuple)) and inputs and all(
            isinstance(p, np.ndarray) for p in inputs) and len({p.shape for p in inputs}) > 1:
        raise ValueError(f"inputs must be a rectangular array of shape {_TEXT}; got a "
                         f"{type(inputs).__name__} of arrays with different shapes. Compute "
                         "unequal-length series one at a time.")
    arr = check_array("inputs", inputs, dtype=None, shape_text=_TEXT)
    if arr.ndim not in (2, 3):
        fail("inputs", f"an array of shape {_TEXT}", arr)
    return arr


def _check_basis(basis: object) -> SupportBasis:
    if not isinstance(basis, SupportBasis):
        fail("basis", "a support basis (e.g. sk.features.MonomialBasis(2))", basis, TypeError)
    if basis.n_functions is None:
        raise ValueError(f"basis must be finite to build the tensor path; got {basis!r} "
                         "(infinite). Give it a degree, or use sk.kernels.response_kernel, "
                         "which needs only kappa.")
    return basis


def _cell_integrals(basis: SupportBasis, n_steps: int, dt: float, refine: int,
                    dtype: np.dtype) -> np.ndarray:
    """∫ psi over each of the n_steps*refine sub-cells of [0, n_steps*dt]: (n_sub, P)."""
    k = np.arange(n_steps * refine + 1, dtype=np.float64)
    edges = k * (dt / refine)
    return np.ascontiguousarray(basis.integrals(edges[:-1], edges[1:]), dtype=dtype)


def tensor_path(inputs: ArrayLike, *, dt: float, basis: SupportBasis, refine: int = 1,
                max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    r"""The tensor path :math:`X_t = \int_0^t \psi(s)\otimes u_s\,ds` on the input grid.

    The input is piecewise constant: ``u[j]`` acts on :math:`[j\,dt, (j+1)\,dt)`. Over a
    (sub-)cell :math:`[a, b]` inside cell ``j`` the increment is the rank-one tensor

    .. math:: \Delta X = \Big(\int_a^b \psi(s)\,ds\Big) \otimes u_j ,

    integrated exactly (`SupportBasis.integrals`), so ``X`` is exact at every returned
    time. Channel ``p * m + k`` of ``X`` is :math:`\int \psi_p\, u^k\, ds`.

    Parameters
    ----------
    inputs : array-like of shape (n_steps, m) or (n_series, n_steps, m)
        Piecewise-constant input, ``u[j]`` on :math:`[j\,dt, (j+1)\,dt)`.
    dt : float
        Input step (> 0).
    basis : SupportBasis
        A finite support basis with ``P = basis.n_functions`` functions.
    refine : int, default=1
        Sub-cells per input cell. ``X`` is curved inside a cell whenever ``psi`` is not
        constant; the returned points sample it ``refine`` times per cell, so the
        piecewise-linear interpolation follows that curvature (chordal error
        ``O((dt/refine)^2)`` in the signature).
    max_bytes : int, default=2 GiB
        Refuse (ValueError) an output larger than this.

    Returns
    -------
    ndarray of shape (n_steps*refine + 1, P*m) or (n_series, n_steps*refine + 1, P*m)
        ``X`` at times ``i * dt / refine``, starting at ``X_0 = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> u = np.array([[1.0], [2.0]])
    >>> sk.features.tensor_path(u, dt=1.0, basis=sk.features.MonomialBasis(1))
    array([[0. , 0. ],
           [1. , 0.5],
           [3. , 3.5]])
    """
    arr = _check_inputs(inputs)
    dt = check_positive("dt", dt)
    basis = _check_basis(basis)
    refine = check_int("refine", refine, low=1)
    max_bytes = check_max_bytes(max_bytes)
    n_steps, m = arr.shape[-2:]
    P = basis.n_functions
    out_shape = (*arr.shape[:-2], n_steps * refine + 1, P * m)
    guard_bytes("tensor_path output", out_shape, arr.itemsize, max_bytes,
                "Reduce refine, the basis degree, the number of inputs or the batch size,")
    u = np.repeat(arr, refine, axis=-2)                                   # (..., n_sub, m)
    with np.errstate(over="ignore", invalid="ignore"):      # reported below, by name
        coef = _cell_integrals(basis, n_steps, dt, refine, arr.dtype)    # (n_sub, P)
        inc = (coef[:, :, None] * u[..., :, None, :]).reshape(*u.shape[:-1], P * m)
        out = np.zeros(out_shape, dtype=arr.dtype)
        np.cumsum(inc, axis=-2, out=out[..., 1:, :])
    return check_finite_result("tensor_path", out, "The basis functions' integrals or the "
                               "inputs are too large: rescale the inputs or the basis.")


@costed(response_features_cost)
def response_features(inputs: ArrayLike, *, dt: float, basis: SupportBasis, depth: int,
                      stream: bool = False, refine: int = 1, scalar_term: bool = False,
                      n_jobs: int | None = None,
                      max_bytes: int = DEFAULT_MAX_BYTES, device: str = "cpu") -> np.ndarray:
    r"""Response features: the truncated signature of :math:`X = \int \psi\otimes u`.

    By docs/theory.md §4, the expected SRNN output is a linear functional of these
    features, :math:`\mathbb{E} f(h_t) = \sum_w \beta_w(t)\, S^w(X)_{0,t}`.

    Equal to ``sk.signature(tensor_path(inputs, dt=dt, basis=basis, refine=refine), depth)``
    but computed without materialising ``X``: the increment over each sub-cell is the
    rank-one tensor :math:`(\int\psi)\otimes u_j`, formed inside the compiled loop.

    Parameters
    ----------
    inputs : array-like of shape (n_steps, m) or (n_series, n_steps, m)
        Piecewise-constant input, ``u[j]`` on :math:`[j\,dt, (j+1)\,dt)`. float32 is kept.
    dt : float
        Input step (> 0).
    basis : SupportBasis
        Finite support basis (``P = basis.n_functions``); the path has ``P*m`` channels,
        channel ``p * m + k`` (see `tensor_path`).
    depth : int
        Signature depth (>= 1).
    stream : bool, default=False
        Return the features at every input time ``(j+1) dt``, ``j = 0..n_steps-1``.
    refine : int, default=1
        Sub-cells per input cell (see `tensor_path`).
    scalar_term : bool, default=False
        Prepend the level-0 term 1.
    n_jobs : int, optional
        Threads over the series (results do not depend on it).
    max_bytes : int, default=2 GiB
        Refuse (ValueError) an output larger than this.
    device : {"cpu", "cuda"}, default="cpu"
        ``"cuda"`` runs on the GPU (see docs/cuda.md); equal to the CPU to float64 rounding.

    Returns
    -------
    ndarray of shape ([n_series,] [n_steps,] dim)
        ``dim = signature_dim(P*m, depth, scalar_term)``.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> u = np.array([[1.0], [2.0]])
    >>> sk.response_features(u, dt=1.0, basis=sk.features.MonomialBasis(1), depth=1)
    array([3. , 3.5])
    """
    from .._device import check_device

    device = check_device(device, "response_features")
    arr = _check_inputs(inputs)
    dt = check_positive("dt", dt)
    basis = _check_basis(basis)
    depth = check_int("depth", depth, low=1)
    refine = check_int("refine", refine, low=1)
    if not isinstance(stream, (bool, np.bool_)):
        fail("stream", "a bool", stream, TypeError)
    if not isinstance(scalar_term, (bool, np.bool_)):
        fail("scalar_term", "a bool", scalar_term, TypeError)
    max_bytes = check_max_bytes(max_bytes)
    single = arr.ndim == 2
    batch = arr[None] if single else arr
    n_series, n_steps, m = batch.shape
    P = basis.n_functions
    d = P * m
    col0 = 1 if scalar_term else 0
    dim_out = signature_dim(d, depth) + col0
    out_shape = (n_series, n_steps if stream else 1, dim_out)
    hint = (f"The path has P*m = {P}*{m} = {d} channels; reduce depth, the basis degree or "
            "the number of inputs" + (", or use stream=False" if stream else "") + ",")
    guard_bytes("response_features output", out_shape, arr.itemsize, max_bytes, hint)
    work = 6 * d ** (depth - 1) + signature_dim(d, depth)
    guard_bytes("response_features working memory", (work,), arr.itemsize, max_bytes, hint)
    guard_bytes("response_features cell integrals", (n_steps * refine + 1, P), 8, max_bytes,
                "Reduce refine,")
    coef = _cell_integrals(basis, n_steps, dt, refine, arr.dtype)
    out = np.empty(out_shape, dtype=arr.dtype)
    if scalar_term:
        out[..., 0] = 1
    batch = np.ascontiguousarray(batch)
    if device == "cuda":
        from ..signatures._cuda import sig_rank_one_cuda

        sig_rank_one_cuda(batch, coef, refine, depth, out, col0, bool(stream))
    else:
        run_rank_one(batch, coef, refine, depth, out, col0, bool(stream), n_jobs)
    check_finite_result("response_features", out,
                        OVERFLOW_REMEDY.replace("the path (divide it", "the inputs (divide them")
                        .replace("its typical increment size or total variation",
                                 "their typical size") + " A shorter window (n_steps * dt) or a "
                        "basis bounded on it (e.g. LegendreBasis) also helps.")
    if not stream:
        out = out[:, 0]
    return out[0] if single else out
