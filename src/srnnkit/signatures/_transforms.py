"""Path transforms applied before a signature: time augmentation, basepoint, lead-lag."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_array, fail

__all__ = ["add_basepoint", "lead_lag", "time_augment"]

_TEXT = "(..., n_points, n_channels)"


def _paths(paths: ArrayLike) -> np.ndarray:
    arr = check_array("paths", paths, dtype=None, shape_text=_TEXT)
    if arr.ndim < 2:
        fail("paths", f"an array of shape {_TEXT} (at least 2-D)", arr)
    return arr


def time_augment(paths: ArrayLike, times: ArrayLike | None = None) -> np.ndarray:
    """Prepend a time channel (channel 0) to every path.

    Parameters
    ----------
    paths : array-like of shape (..., n_points, n_channels)
        The paths (batch axes first).
    times : array-like of shape (n_points,), optional
        Time of each point; default ``linspace(0, 1, n_points)``.

    Returns
    -------
    ndarray of shape (..., n_points, n_channels + 1)
        The paths with the time channel first.

    Examples
    --------
    >>> from srnnkit.signatures import time_augment
    >>> time_augment([[5.], [6.], [7.]])
    array([[0. , 5. ],
           [0.5, 6. ],
           [1. , 7. ]])
    """
    arr = _paths(paths)
    n = arr.shape[-2]
    if times is None:
        t = np.linspace(0.0, 1.0, n, dtype=arr.dtype)
    else:
        t = check_array("times", times, ndim=1, shape=(n,), shape_text=f"({n},) (n_points,)",
                        dtype=arr.dtype)
    tt = np.broadcast_to(t[:, None], (*arr.shape[:-1], 1))
    return np.concatenate([tt, arr], axis=-1)


def add_basepoint(paths: ArrayLike, basepoint: ArrayLike | None = None) -> np.ndarray:
    """Prepend a starting point (default the origin) to every path.

    With a basepoint the signature also sees the path's starting value, not only its
    increments.

    Parameters
    ----------
    paths : array-like of shape (..., n_points, n_channels)
        The paths (batch axes first).
    basepoint : array-like of shape (n_channels,), optional
        Default zeros.

    Returns
    -------
    ndarray of shape (..., n_points + 1, n_channels)
        The paths, each starting at ``basepoint``.

    Examples
    --------
    >>> from srnnkit.signatures import add_basepoint
    >>> add_basepoint([[1., 2.], [3., 4.]])
    array([[0., 0.],
           [1., 2.],
           [3., 4.]])
    """
    arr = _paths(paths)
    d = arr.shape[-1]
    if basepoint is None:
        bp = np.zeros(d, dtype=arr.dtype)
    else:
        bp = check_array("basepoint", basepoint, ndim=1, shape=(d,),
                         shape_text=f"({d},) (n_channels,)", dtype=arr.dtype)
    first = np.broadcast_to(bp, (*arr.shape[:-2], 1, d))
    return np.concatenate([first, arr], axis=-2)


def lead_lag(paths: ArrayLike) -> np.ndarray:
    r"""Lead-lag transform: channels ``[lead..., lag...]`` on ``2 n_points - 1`` points.

    The points are :math:`(x_0,x_0), (x_1,x_0), (x_1,x_1), (x_2,x_1), \dots` (the lead
    moves first). The level-2 terms then carry the quadratic variation:
    :math:`S^{(k, d+k)} - S^{(d+k, k)} = \sum_i (\Delta x^k_i)^2`.

    Parameters
    ----------
    paths : array-like of shape (..., n_points, n_channels)
        The paths (batch axes first).

    Returns
    -------
    ndarray of shape (..., 2 n_points - 1, 2 n_channels)
        The lead-lag paths, lead channels first.

    Examples
    --------
    >>> from srnnkit.signatures import lead_lag
    >>> lead_lag([[0.], [1.], [3.]])
    array([[0., 0.],
           [1., 0.],
           [1., 1.],
           [3., 1.],
           [3., 3.]])
    """
    arr = _paths(paths)
    lead = np.repeat(arr, 2, axis=-2)[..., 1:, :]
    lag = np.repeat(arr, 2, axis=-2)[..., :-1, :]
    return np.concatenate([lead, lag], axis=-1)
