"""Front end of the truncated-signature computation."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from .._cost import costed
from .._validation import (
    check_array,
    check_finite_result,
    check_int,
    fail,
    format_bytes,
    format_shape,
)
from ._cost import signature_cost, tiny_signature
from ._words import level_offsets, reversed_layout_perm, signature_dim

__all__ = ["DEFAULT_MAX_BYTES", "signature"]

#: What an overflowing signature (non-finite output from finite input) should do instead.
OVERFLOW_REMEDY = ("Level k grows like |path increments|^k / k!: rescale the path (divide it by "
                   "its typical increment size or total variation), or lower the depth.")

#: Default memory guard: a request whose output needs more bytes raises ValueError.
DEFAULT_MAX_BYTES = 2 * 1024**3

#: Batches with at least this many (path x segment x signature entry) updates use the update
#: generated for their (channels, depth) pair (`_codegen`: compiled on first use, about a
#: second, then cached on disk); smaller ones the general loops. Both give the same bits.
FIXED_MIN_WORK = 4_000_000
#: Largest channel count and depth for which an update is generated (code size grows
#: like depth**2 * channels); larger ones always use the general loops.
FIXED_MAX_CHANNELS = 16
FIXED_MAX_DEPTH = 12


def check_max_bytes(max_bytes: object) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer, float)) \
            or not max_bytes > 0:
        fail("max_bytes", "a positive number of bytes", max_bytes,
             TypeError if not isinstance(max_bytes, (int, np.integer, float)) else ValueError)
    return int(max_bytes)


def guard_bytes(what: str, shape: tuple[int, ...], itemsize: int, max_bytes: int,
                hint: str) -> None:
    """Raise a ValueError when an output of ``shape`` would exceed ``max_bytes``."""
    n = 1
    for s in shape:
        n *= int(s)
    need = n * itemsize
    if need > max_bytes:
        raise ValueError(
            f"{what} would need {format_bytes(need)} (shape {format_shape(shape)}, "
            f"{itemsize} bytes per entry), more than max_bytes={format_bytes(max_bytes)}. "
            f"{hint} or raise max_bytes if the memory is really there.")


@lru_cache(maxsize=64)
def layout_tables(d: int, depth: int, dtype_char: str) -> tuple[np.ndarray, ...]:
    """Level offsets, 1/k table and lexicographic->internal permutation (cached)."""
    offs = level_offsets(d, depth)
    inv = np.zeros(depth + 1, dtype=np.dtype(dtype_char))
    inv[1:] = 1.0 / np.arange(1, depth + 1, dtype=np.float64)
    perm = reversed_layout_perm(d, depth)
    for a in (offs, inv, perm):
        a.setflags(write=False)
    return offs, inv, perm


def use_fixed(d: int, depth: int, work: int) -> bool:
    """Whether to run the update generated for ``(d, depth)`` (see `FIXED_MIN_WORK`)."""
    return work >= FIXED_MIN_WORK and d <= FIXED_MAX_CHANNELS and depth <= FIXED_MAX_DEPTH


def run_batched(func: Callable[..., object], n_items: int, n_jobs: int | None,
                args_for: Callable[[int, int], tuple]) -> None:
    """Run ``func(*args_for(lo, hi))`` over contiguous chunks of the batch, in threads.

    The kernels release the GIL; every item is computed by the same sequential
    loop whatever the chunking, so results do not depend on ``n_jobs``. ``n_jobs`` has
    joblib's semantics and the threads come from the execution layer (`srnnkit._parallel`).
    """
    from .._parallel import Runner, n_threads, split

    chunks = split(n_items, n_threads(n_jobs, n_items))
    if len(chunks) <= 1:
        func(*args_for(0, n_items))
        return
    Runner(len(chunks), desc="signature batches").each(
        lambda chunk: func(*args_for(*chunk)), chunks)


def run_paths(paths: np.ndarray, depth: int, out: np.ndarray, col0: int, stream: bool,
              n_jobs: int | None) -> None:
    """Signatures of the C-contiguous batch ``paths`` (B, L, d) into ``out``.

    `_loops.sig_paths` or, for large batches, its generated twin (the same bits).
    """
    n_b, n_points, d = paths.shape
    if use_fixed(d, depth, n_b * (n_points - 1) * out.shape[-1]):
        from ._codegen import fixed_layout, paths_kernel

        lay = fixed_layout(d, depth, paths.itemsize)
        run_batched(paths_kernel(d, depth), n_b, n_jobs,
                    lambda lo, hi: (paths[lo:hi], lay.perm, lay.n_state, lay.size, out[lo:hi],
                                    col0, stream))
    else:
        from ._loops import sig_paths

        offs, inv, perm = layout_tables(d, depth, paths.dtype.char)
        run_batched(sig_paths, n_b, n_jobs,
                    lambda lo, hi: (paths[lo:hi], depth, offs, inv, perm, out[lo:hi], col0,
                                    stream))


def run_rank_one(inputs: np.ndarray, coef: np.ndarray, refine: int, depth: int,
                 out: np.ndarray, col0: int, stream: bool, n_jobs: int | None) -> None:
    """Signatures of ∫ psi ⊗ u for piecewise-constant inputs (response features), in ``out``.

    inputs (B, n_steps, m) C-contiguous, coef (n_steps * refine, P) the cell integrals of
    psi; the kernel is `_loops.sig_rank_one` or, for large batches, its generated twin
    (the same bits).
    """
    n_b, n_steps, m = inputs.shape
    d = coef.shape[1] * m
    if use_fixed(d, depth, n_b * n_steps * refine * signature_dim(d, depth)):
        from ._codegen import fixed_layout, rank_one_kernel

        lay = fixed_layout(d, depth, inputs.itemsize)
        run_batched(rank_one_kernel(d, depth), n_b, n_jobs,
                    lambda lo, hi: (inputs[lo:hi], coef, refine, lay.perm, lay.n_state,
                                    lay.size, out[lo:hi], col0, stream))
    else:
        from ._loops import sig_rank_one

        offs, inv, perm = layout_tables(d, depth, inputs.dtype.char)
        run_batched(sig_rank_one, n_b, n_jobs,
                    lambda lo, hi: (inputs[lo:hi], coef, refine, depth, offs, inv, perm,
                                    out[lo:hi], col0, stream))


@costed(signature_cost, cheap=tiny_signature)
def signature(paths: ArrayLike, depth: int, *, stream: bool = False, scalar_term: bool = False,
              n_jobs: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
              device: str = "cpu") -> np.ndarray:
    r"""Truncated signature of piecewise-linear paths.

    For a path :math:`x` with points :math:`x_0, \dots, x_{L-1}` in :math:`\mathbb{R}^d`, the
    level-:math:`k` coordinate of word :math:`w = w_1\cdots w_k` is the iterated integral

    .. math:: S^{w}(x) = \int_{0<r_1<\cdots<r_k<1} dx^{w_1}_{r_1}\cdots dx^{w_k}_{r_k},

    computed exactly for the linear interpolation by Chen's identity,
    :math:`S(x) = \exp(\Delta x_1)\otimes\cdots\otimes\exp(\Delta x_{L-1})`, one segment at a
    time with a Horner scheme (cost :math:`O(L\, d^N)` per path).

    Parameters
    ----------
    paths : array-like of shape (..., n_points, n_channels)
        One path ``(n_points, n_channels)`` or any batch of them. float32 input is computed
        and returned in float32; other real input in float64.
    depth : int
        Truncation depth ``N >= 1``.
    stream : bool, default=False
        Also return the signature of every prefix: row ``i`` is the signature of the path
        up to point ``i + 1`` (iisignature's format 2).
    scalar_term : bool, default=False
        Prepend the level-0 term 1.
    n_jobs : int, optional
        Threads over the batch (``None``: 1, ``-1``: all cores). Results do not depend on it.
    max_bytes : int, default=2 GiB
        Refuse (ValueError) a request whose output would need more memory.
    device : {"cpu", "cuda"}, default="cpu"
        ``"cuda"`` runs on the GPU (one thread block per path; see docs/cuda.md); results
        equal the CPU's to float64 rounding.

    Returns
    -------
    ndarray of shape (..., dim) or, with ``stream=True``, (..., n_points - 1, dim)
        ``dim = signature_dim(n_channels, depth, scalar_term)``; levels 1..depth in
        lexicographic word order, earliest letter first (see `word_to_index`).

    See Also
    --------
    signature_dim, word_to_index, signature_combine

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> path = np.array([[0., 0.], [1., 2.], [3., -1.], [2.5, .5]])
    >>> sk.signature(path, 2)     # levels 1 and 2: (1), (2), (1,1), (1,2), (2,1), (2,2)
    array([ 2.5  ,  0.5  ,  3.125, -0.875,  2.125,  0.125])
    """
    from .._device import check_device

    device = check_device(device, "signature")
    arr = _check_paths(paths)
    depth = check_int("depth", depth, low=1)
    if not isinstance(stream, (bool, np.bool_)):
        fail("stream", "a bool", stream, TypeError)
    if not isinstance(scalar_term, (bool, np.bool_)):
        fail("scalar_term", "a bool", scalar_term, TypeError)
    max_bytes = check_max_bytes(max_bytes)
    *lead, n_points, d = arr.shape
    dim = signature_dim(d, depth)
    col0 = 1 if scalar_term else 0
    out_shape = (*lead, n_points - 1, dim + col0) if stream else (*lead, dim + col0)
    guard_bytes("signature output", out_shape, arr.itemsize, max_bytes,
                "Reduce depth, the number of channels or (with stream=True) the path length,"
                " or process the batch in chunks,")
    # the kernel's working buffers per thread: 4 + 2 blocks of d**(depth-1), plus dim
    guard_bytes("signature working memory", (6 * d ** (depth - 1) + dim,), arr.itemsize,
                max_bytes, "Reduce depth or the number of channels,")
    flat = np.ascontiguousarray(arr.reshape(-1, n_points, d))
    n_b = flat.shape[0]
    out = np.empty((n_b, n_points - 1 if stream else 1, dim + col0), dtype=arr.dtype)
    if scalar_term:
        out[..., 0] = 1
    if device == "cuda":
        from ._cuda import sig_paths_cuda

        sig_paths_cuda(flat, depth, out, col0, bool(stream))
        return out.reshape(out_shape)
    run_paths(flat, depth, out, col0, bool(stream), n_jobs)
    # An entry that overflowed stays non-finite in every later prefix (each update adds to
    # it), so the last prefix of each path tells: one pass over n_b rows, not the stream.
    check_finite_result("signature", out[:, -1], OVERFLOW_REMEDY)
    return out.reshape(out_shape)


def _check_paths(paths: ArrayLike, name: str = "paths") -> np.ndarray:
    text = "(..., n_points, n_channels)"
    if isinstance(paths, (list, tuple)) and paths and all(
            isinstance(p, np.ndarray) for p in paths) and len({p.shape for p in paths}) > 1:
        raise ValueError(f"{name} must be a rectangular array of shape {text}; got a "
                         f"{type(paths).__name__} of arrays with different shapes "
                         f"{sorted({p.shape for p in paths})[:3]}. Pad unequal-length paths to "
                         "one length by repeating each one's last point (the signature is "
                         "unchanged) and compute them in one call, much faster than one call "
                         "per path.")
    arr = check_array(name, paths, dtype=None, shape_text=text)
    if arr.ndim < 2:
        fail(name, f"an array of shape {text} (at least 2-D)", arr)
    if arr.shape[-2] < 2:
        fail(name, "paths with at least 2 points (axis -2)", arr,
             hint="A single point has the trivial signature (1, 0, 0, ...).")
    if arr.shape[-1] < 1:
        fail(name, "paths with at least 1 channel (axis -1)", arr)
    return arr
