"""Shared front-end helpers: batches of paths, pairs grouped in lanes, threads."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._validation import check_array, check_int, describe, fail


def as_batch(name: str, value: Any, *, min_len: int, len_text: str,
             what: str = "paths") -> tuple[np.ndarray, np.ndarray]:
    """Return ``(padded, lengths)`` for a batch of series.

    ``value`` is an array ``(n, L, d)``, a single series ``(L, d)``, or a list of
    ``(L_i, d)`` arrays of unequal lengths.  ``padded`` is ``(n, max L, d)``
    float64 with zeros after each series' end; ``lengths`` is ``(n,)`` int64.
    """
    shape3 = f"(n_{what}, n_steps, n_channels)"
    if isinstance(value, (list, tuple)) and len(value) > 0 and not _is_scalar_seq(value):
        items = [check_array(f"{name}[{i}]", v, ndim=2, shape_text="(n_steps, n_channels)")
                 for i, v in enumerate(value)]
        d = items[0].shape[1]
        for i, it in enumerate(items):
            if it.shape[1] != d:
                fail(f"{name}[{i}]", f"an array with {d} channels like {name}[0]", it)
        lengths = np.array([it.shape[0] for it in items], dtype=np.int64)
        padded = np.zeros((len(items), int(lengths.max()), d))
        for i, it in enumerate(items):
            padded[i, : it.shape[0]] = it
    else:
        arr = check_array(name, value, ndim=(2, 3), shape_text=shape3 + " or (n_steps, n_channels)")
        if arr.ndim == 2:
            arr = arr[None]
        padded = np.ascontiguousarray(arr)
        lengths = np.full(arr.shape[0], arr.shape[1], dtype=np.int64)
    bad = np.flatnonzero(lengths < min_len)
    if bad.size:
        i = int(bad[0])
        where = f" at index {i}" if padded.shape[0] > 1 else ""
        raise ValueError(f"{name} must be {what} of length >= {min_len} ({len_text}); got "
                         f"length {int(lengths[i])}{where}.")
    return padded, lengths


def _is_scalar_seq(value: Any) -> bool:
    first = value[0]
    return np.isscalar(first) or (isinstance(first, (list, tuple)) and len(first) > 0
                                  and np.isscalar(first[0]))


def check_same_channels(xname: str, X: np.ndarray, yname: str, Y: np.ndarray) -> None:
    if X.shape[2] != Y.shape[2]:
        raise ValueError(f"{yname} must have the same number of channels as {xname} "
                         f"({X.shape[2]}); got {Y.shape[2]} channels.")


def resolve_n_jobs(n_jobs: Any) -> int:
    """joblib semantics: None -> 1, -1 -> all cores, -2 -> all but one, ..."""
    import numba

    from .._validation import check_n_jobs

    return int(min(check_n_jobs(n_jobs), int(numba.config.NUMBA_NUM_THREADS)))


@contextmanager
def numba_threads(n: int) -> Iterator[None]:
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def gram_pairs(nx: np.ndarray, ny: np.ndarray, symmetric: bool, lanes: int
               ) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs (x, y) to solve, grouped by similar lengths and padded to whole lane groups.

    With ``symmetric`` only ``x <= y`` is listed, so every pair is computed once.
    Returns ``(px, py, n_pairs)``; entries past ``n_pairs`` repeat the last pair.
    """
    if symmetric:
        px, py = np.triu_indices(len(nx))
    else:
        px, py = np.divmod(np.arange(len(nx) * len(ny)), len(ny))
    px = px.astype(np.int64)
    py = py.astype(np.int64)
    # similar (rows, cols) in one lane group -> little padding work
    order = np.lexsort((py, px, ny[py], nx[px]))
    px, py = px[order], py[order]
    n = len(px)
    pad = (-n) % lanes
    if pad:
        px = np.concatenate([px, np.full(pad, px[-1])])
        py = np.concatenate([py, np.full(pad, py[-1])])
    return np.ascontiguousarray(px), np.ascontiguousarray(py), n


def choose_lanes(n_pairs: int, n_threads: int, max_lanes: int) -> int:
    """Lanes per work item: up to ``max_lanes``, fewer when there are few pairs per thread."""
    per_thread = -(-n_pairs // max(n_threads, 1))
    lanes = 1
    while lanes < per_thread and lanes < max_lanes:
        lanes *= 2
    return lanes


# At most this many lanes per work item, a Gram is solved one pair at a time instead (``solve``
# gets one lane): the lane loops' overhead per cell is then larger than the pair sweeps' whole
# cost (measured at lengths 100-300, 1-8 channels, dyadic orders 0-2: 2-8x slower at 2 and 4
# lanes, 0.7-1.3x at 8, faster from 16 on; benchmarks/kernels.md).
PAIR_LANES = 4


def pair_lanes(n_pairs: int, n_threads: int, max_lanes: int, pairwise: bool) -> int:
    """`choose_lanes`, or 1 (one pair at a time) when ``pairwise`` and it gives at most
    `PAIR_LANES` lanes."""
    lanes = choose_lanes(n_pairs, n_threads, max_lanes)
    return 1 if pairwise and lanes <= PAIR_LANES else lanes


def gram_driver(solve: Callable[[np.ndarray, np.ndarray, int, np.ndarray], None],
                nx: np.ndarray, ny: np.ndarray, symmetric: bool, max_lanes: int,
                n_threads: int, pairwise: bool = False) -> np.ndarray:
    """Run ``solve(px, py, lanes, out)`` over all pairs; scatter into an (n_x, n_y) Gram.

    The lane count depends on the problem size and thread count only through
    the grouping of pairs; every pair's arithmetic is the same in any lane, so
    the result does not depend on ``n_threads``. With ``pairwise``, few pairs per thread
    are solved one at a time (`PAIR_LANES`; ``solve`` gets ``lanes=1`` and must give the
    same values as with lanes).
    """
    from .._progress import progress, progress_enabled

    n_pairs = len(nx) * (len(nx) + 1) // 2 if symmetric else len(nx) * len(ny)
    lanes = pair_lanes(n_pairs, n_threads, max_lanes, pairwise)
    px, py, n = gram_pairs(nx, ny, symmetric, lanes)
    out = np.empty(len(px))
    if progress_enabled() and len(px) >= 2 * lanes:
        # solve in up to 20 chunks of whole lane groups to report progress; each pair's
        # arithmetic does not depend on its chunk, so the Gram matrix is the same
        step = lanes * -(-len(px) // (min(20, len(px) // lanes) * lanes))
        bar = progress(-(-len(px) // step), "Gram matrix")
        for lo in range(0, len(px), step):
            hi = min(lo + step, len(px))
            chunk = np.empty(hi - lo)
            solve(np.ascontiguousarray(px[lo:hi]), np.ascontiguousarray(py[lo:hi]), lanes,
                  chunk)
            out[lo:hi] = chunk
            bar.update()
        bar.close()
    else:
        solve(px, py, lanes, out)
    K = np.empty((len(nx), len(ny)))
    K[px[:n], py[:n]] = out[:n]
    if symmetric:
        K[py[:n], px[:n]] = out[:n]
    return K


def diagonal_driver(solve: Callable[[np.ndarray, np.ndarray, int, np.ndarray], None],
                    n: np.ndarray, max_lanes: int, n_threads: int,
                    pairwise: bool = False) -> np.ndarray:
    """Run ``solve(px, px, lanes, out)`` over the pairs (i, i) only, grouped by length ``n``
    in lanes (`gram_driver`'s rule for ``pairwise``); returns k(x_i, x_i), shape (n_x,)."""
    lanes = pair_lanes(len(n), n_threads, max_lanes, pairwise)
    order = np.argsort(n, kind="stable").astype(np.int64)
    px = np.ascontiguousarray(np.concatenate([order, np.full((-len(n)) % lanes, order[-1])]))
    out = np.empty(len(px))
    solve(px, px, lanes, out)
    res = np.empty(len(n))
    res[order] = out[: len(n)]
    return res


def check_dyadic(dyadic_order: Any, richardson: Any) -> tuple[int, bool]:
    lev = check_int("dyadic_order", dyadic_order, low=0, high=12)
    if not isinstance(richardson, (bool, np.bool_)):
        fail("richardson", "a bool", richardson, TypeError)
    if richardson and lev < 1:
        fail("dyadic_order", "an integer >= 1 when richardson=True (Richardson extrapolation "
             "combines dyadic orders dyadic_order and dyadic_order - 1)", dyadic_order)
    return lev, bool(richardson)


class CoarseGridWarning(UserWarning):
    r"""The PDE grid of a signature or response kernel is too coarse for the paths.

    Checked on the paths of largest squared variation (the self-kernels grow fastest):
    their self-kernels are solved once more at ``dyadic_order + 1``; when the Richardson
    estimate of the error at ``dyadic_order``, :math:`\frac43 |K_{\text{lev}} -
    K_{\text{lev}+1}| / |K_{\text{lev}+1}|`, exceeds 1 %, the Gram entries can be off by
    that much or more (even of the wrong sign). Raise ``dyadic_order`` (the message says
    how far: the error falls about 4x per order) or rescale the paths.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from srnnkit.kernels import CoarseGridWarning, signature_kernel
    >>> X = np.random.default_rng(210).uniform(-1, 1, (2, 5, 3))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = signature_kernel(X, dyadic_order=0)
    >>> [w.category.__name__ for w in caught]
    ['CoarseGridWarning']
    """


# The largest estimated relative error of the checked self-kernels without a warning.
COARSE_ERROR = 0.01
# Paths checked per batch, per criterion (largest squared variation, largest single step).
COARSE_CHECKED = 2
# Beyond this estimated error the Richardson estimate itself is unreliable (the error falls
# about 4x per order only once it is small).
COARSE_UNRELIABLE = 0.5


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the user's line: past srnnkit's frames,
    counted from the caller of the function that calls this."""
    from .._cost import _internal

    frame, level = sys._getframe(2), 2
    while frame is not None and _internal(frame):
        frame, level = frame.f_back, level + 1
    return level


def check_grid(name: str, diagonal_at: Callable[[int, np.ndarray], np.ndarray],
               variation: np.ndarray, dyadic_order: int) -> None:
    """Warn (`CoarseGridWarning`) when the self-kernels of the paths of largest
    ``variation`` (one row per criterion: each row's top `COARSE_CHECKED` paths), solved by
    ``diagonal_at(order, indices)`` at ``dyadic_order`` and one order finer, differ by more
    than `COARSE_ERROR` (Richardson estimate)."""
    crit = np.atleast_2d(np.asarray(variation, dtype=float))
    idx = np.unique(np.concatenate([np.argsort(c, kind="stable")[-COARSE_CHECKED:]
                                    for c in crit])).astype(np.int64)
    with np.errstate(all="ignore"):
        a = diagonal_at(dyadic_order, idx)
        b = diagonal_at(dyadic_order + 1, idx)
        err = float(np.max(4.0 / 3.0 * np.abs(a - b) / np.abs(b), initial=0.0))
    if not err > COARSE_ERROR or not math.isfinite(err):
        return
    need = dyadic_order + math.ceil(math.log(err / COARSE_ERROR, 4.0))
    advice = (f"Use dyadic_order={need} or more (the error falls about 4x per order), "
              "or rescale the paths.")
    if err > COARSE_UNRELIABLE:
        # found by fuzzing: at 10x the docs' paths every order 0-4 estimated 130 % and
        # advised order + 4, whose kernel was 124x too large and of the wrong sign
        advice += (" This far from convergence the estimate itself is unreliable (the "
                   "error falls 4x per order only once it is small): the kernel may be off "
                   "by orders of magnitude, and the order you pick is right only once this "
                   "warning stops; paths this large are better rescaled (the kernel grows "
                   "like the exponential of their size).")
    level = user_stacklevel()
    warnings.warn(
        f"{name}: the PDE grid is too coarse for these paths: at dyadic_order={dyadic_order} "
        f"the self-kernel of a path of largest variation or largest step is off by about "
        f"{100 * err:.2g} % (compared with one order finer), and other entries can be as far "
        f"off (even of the wrong sign). {advice}", CoarseGridWarning, stacklevel=level)


def richardson_combine(fine: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """(4 K_lev - K_{lev-1}) / 3 for a scheme with error ~ 4^{-lev}."""
    return (4.0 * fine - coarse) / 3.0


__all__ = [
    "CoarseGridWarning",
    "as_batch",
    "check_dyadic",
    "check_grid",
    "check_same_channels",
    "choose_lanes",
    "describe",
    "diagonal_driver",
    "gram_driver",
    "gram_pairs",
    "numba_threads",
    "pair_lanes",
    "resolve_n_jobs",
    "richardson_combine",
]
