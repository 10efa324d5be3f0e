"""Column means and standard deviations that hold at any finite scale."""

from __future__ import annotations

import numpy as np

__all__ = ["batch_means_stderr", "mean_se", "mean_std", "unit_exponent"]


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
    if not values.size:
        return values.mean(axis=0), values.std(axis=0)
    # the largest magnitude from max and min (no |values| temporary: found by profiling,
    # two full-size temporaries on a 2000 x 16000 feature matrix tripled the time)
    size = np.maximum(np.abs(values.max(axis=0)), np.abs(values.min(axis=0)))
    size = np.where((size > 1e-100) & (size < 1e100) | (size == 0) | ~np.isfinite(size), 1.0,
                    size)
    if np.all(size == 1.0):                 # every column of ordinary size: the plain formula
        return values.mean(axis=0), values.std(axis=0)
    unit = values / size
    return unit.mean(axis=0) * size, unit.std(axis=0) * size


def mean_se(diff: np.ndarray) -> float:
    r"""Standard error of the mean of ``diff`` (1-D): :math:`s / \sqrt{n}`, with
    :math:`s` the sample standard deviation (``ddof=1``); 0 for fewer than two values.

    The one-standard-error rules compare two candidates through the mean of their paired
    per-sample differences; this is its standard error.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit._stats import mean_se
    >>> float(mean_se(np.array([1.0, 2.0, 3.0, 4.0])))
    0.6454972243679028
    """
    n = diff.size
    return float(np.std(diff, ddof=1) / np.sqrt(n)) if n > 1 else 0.0


def unit_exponent(values: np.ndarray) -> int:
    """The power of two ``e`` that brings ``values`` to unit size, ``values * 2**-e``, when
    their largest magnitude lies beyond 1e30 or below 1e-30; 0 otherwise (bits kept).

    Scaling by a power of two is exact, and rounding commutes with it, so a choice made on
    the scaled values (a penalty by leave-one-out, whose squared errors and their spread
    hold the fourth power of the targets) is the one made at ordinary sizes.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit._stats import unit_exponent
    >>> unit_exponent(np.array([3.0, -1.0])), unit_exponent(np.array([3e100]))
    (0, 334)
    """
    finite = np.abs(values[np.isfinite(values)])
    size = float(finite.max()) if finite.size else 0.0
    if size == 0.0 or 1e-30 <= size <= 1e30:
        return 0
    return int(np.frexp(size)[1])


def batch_means_stderr(sums: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                        int]:
    r"""Mean, standard error and degrees of freedom of a ratio of batch sums.

    Batch :math:`i` holds the sum :math:`S_i` of :math:`n_i` correlated terms (batches along
    axis 0, long enough to be nearly independent of each other); the mean is
    :math:`\hat\theta = \sum_i S_i / \sum_i n_i` and its standard error

    .. math:: \mathrm{se}^2 = \frac{B}{B - 1}\,
              \frac{\sum_i (S_i - n_i\hat\theta)^2}{(\sum_i n_i)^2},

    :math:`B - 1` degrees of freedom; with equal :math:`n_i` it is the plain standard error
    of the :math:`B` batch means.

    Parameters
    ----------
    sums : ndarray of shape (B, ...)
        The batches' sums.
    counts : ndarray of shape (B, ...)
        Their numbers of terms (positive; broadcast against ``sums``).

    Returns
    -------
    mean : ndarray
    se : ndarray
        NaN with fewer than two batches.
    dof : int
        ``B - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit._stats import batch_means_stderr
    >>> mean, se, dof = batch_means_stderr(np.array([2.0, 4.0, 9.0]), np.array([1, 2, 3]))
    >>> float(mean), round(float(se), 6), dof
    (2.5, 0.381881, 2)
    """
    counts = np.broadcast_to(counts, sums.shape)
    B = sums.shape[0]
    total = counts.sum(axis=0)
    mean = sums.sum(axis=0) / total
    if B < 2:
        return mean, np.full_like(mean, np.nan), 0
    resid = sums - counts * mean
    se = np.sqrt(B / (B - 1.0) * (resid ** 2).sum(axis=0)) / total
    return mean, se, B - 1
