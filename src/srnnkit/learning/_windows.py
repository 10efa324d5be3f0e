"""Sliding windows: turn one long series into a batch of (window, target) pairs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_array, check_int, check_memory, fail

__all__ = ["sliding_windows"]


def sliding_windows(series: Any, window: int, *, horizon: int = 1, targets: Any = None,
                    stride: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Windows of a series and the value ``horizon`` steps after each window's end.

    For every end time :math:`t = w-1, w-1+\text{stride}, \dots \le L-1-h`:

    .. math::

        X_i = (x_{t-w+1}, \dots, x_t), \qquad y_i = z_{t+h},

    with :math:`z = x` (forecasting the series itself) or the given ``targets`` (a driven
    task such as NARMA10, where :math:`y_{t+1}` depends on the input up to :math:`t`). Any
    estimator of `srnnkit.learning` then forecasts from windows (e.g. `ResponseFeatures` +
    ridge, `LinearSRNNRegressor`, `ResponseKernelRidge`).

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, m)
    window : int
        Window length ``w`` (at least 1).
    horizon : int, default=1
        Steps ahead ``h`` (0 gives the value at the window's end).
    targets : array-like of shape (n_steps,) or (n_steps, k), optional
        Targets aligned with ``series`` (default: ``series``).
    stride : int, default=1
        Step between consecutive window ends.

    Returns
    -------
    X : ndarray of shape (n_windows, w, m)
        The windows (a copy).
    y : ndarray of shape (n_windows,) or (n_windows, k)
        The targets (1-D when the targets are 1-D).
    ends : ndarray of shape (n_windows,)
        Index ``t`` of each window's last step (for splitting by time).

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import sliding_windows
    >>> X, y, ends = sliding_windows(np.arange(6.0), 3)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y, ends
    (array([3., 4., 5.]), array([2, 3, 4]))
    """
    x = check_array("series", series, ndim=(1, 2), shape_text="(n_steps,) or (n_steps, m)")
    x2 = x[:, None] if x.ndim == 1 else x
    L = x2.shape[0]
    window = check_int("window", window, low=1)
    horizon = check_int("horizon", horizon, low=0)
    stride = check_int("stride", stride, low=1)
    if targets is None:
        z = x
    else:
        z = check_array("targets", targets, ndim=(1, 2),
                        shape_text="(n_steps,) or (n_steps, k)")
        if z.shape[0] != L:
            fail("targets", f"one row per step of series ({L})", z)
    if window + horizon > L:
        fail("window", f"window + horizon <= the series length {L} (horizon={horizon})",
             window)
    ends = np.arange(window - 1, L - horizon, stride)
    check_memory("window", window, "the windows", (ends.size, window, x2.shape[1]))
    idx = ends[:, None] + np.arange(1 - window, 1)[None, :]
    return x2[idx], z[ends + horizon].copy(), ends
