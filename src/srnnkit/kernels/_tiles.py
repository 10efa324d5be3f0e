"""Gram matrices on a Dask cluster: tiles of rows x columns, assembled on the client.

A symmetric Gram ``K(X, X)`` is cut into blocks of ``tile`` series; diagonal tiles are computed
as symmetric Grams and off-diagonal tiles ``(I, J)``, ``I < J``, as ``K(X_I, X_J)``, so every
pair is solved with the same orientation (row index below column index) as in one process, and
the result is bit-identical. Only the series of a tile and its block of K travel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import check_int

__all__ = ["gram_on_executor"]


def _take(X: Any, lo: int, hi: int) -> Any:
    return X[lo:hi] if not isinstance(X, np.ndarray) or X.ndim == 3 else X[None][lo:hi]


def _n_series(X: Any) -> int:
    if isinstance(X, np.ndarray):
        return 1 if X.ndim == 2 else X.shape[0]
    return len(X)


def _solve_tile(task: tuple) -> np.ndarray:
    fn, A, B, kwargs = task
    return fn(A, B, **kwargs)


def gram_on_executor(fn: Callable[..., np.ndarray], X: Any, Y: Any, client: Any,
                     tile: int | None, **kwargs: Any) -> np.ndarray:
    """``fn(X_I, Y_J, **kwargs)`` per tile on ``client`` (a dask.distributed.Client or a
    concurrent.futures executor), through the execution layer's `Runner`."""
    from .._parallel import Runner

    runner = Runner(executor=client, desc="Gram tiles")
    nx = _n_series(X)
    ny = nx if Y is None else _n_series(Y)
    tile = 32 if tile is None else check_int("tile", tile, low=1)
    bx = [(lo, min(lo + tile, nx)) for lo in range(0, nx, tile)]
    by = bx if Y is None else [(lo, min(lo + tile, ny)) for lo in range(0, ny, tile)]
    keys, tasks = [], []
    for i, (a0, a1) in enumerate(bx):
        for j, (b0, b1) in enumerate(by):
            if Y is None and j < i:
                continue
            other = None if Y is None and i == j else _take(X if Y is None else Y, b0, b1)
            keys.append((i, j))
            tasks.append((fn, _take(X, a0, a1), other, kwargs))
    K = np.empty((nx, ny))
    for (i, j), block in zip(keys, runner.map(_solve_tile, tasks), strict=True):
        (a0, a1), (b0, b1) = bx[i], by[j]
        K[a0:a1, b0:b1] = block
        if Y is None and i != j:
            K[b0:b1, a0:a1] = block.T
    return K
