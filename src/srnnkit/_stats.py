"""Column means and standard deviations that hold at any finite scale."""

from __future__ import annotations

import numpy as np

__all__ = ["mean_std"]


def mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of ``values`` (n, ...) along axis 0.

    Columns whose largest magnitude lies beyond 1e100 or below 1e-100 are divided by it
    first and the scale is taken back after: squares of values above about 1e154 overflow
    and below about 1e-162 vanish. Columns of ordinary size use the plain formula (bits
    kept).

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit._stats import mean_std
    >>> mean, sd = mean_std(np.array([[1e200], [3e200]]))
    >>> float(mean[0]), float(sd[0])
    (2e+200, 1e+200)
    """
    size = np.abs(values).max(axis=0) if values.size else np.ones(values.shape[1:])
    size = np.where((size > 1e-100) & (size < 1e100) | (size == 0) | ~np.isfinite(size), 1.0,
                    size)
    unit = values / size
    return unit.mean(axis=0) * size, unit.std(axis=0) * size
