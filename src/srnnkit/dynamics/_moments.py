r"""One streaming accumulator: count, mean and centred sum of squares, merged in order.

A batch (a block of paths, a group of runs) contributes its own two-pass statistics
:math:`(n_b, \bar x_b, M_{2,b})`; batches are merged in task order with the pairwise update of
Chan, Golub and LeVeque:

.. math:: \delta = \bar x_b - \bar x,\quad \bar x \mathrel{+}= \delta\,\frac{n_b}{n + n_b},\quad
          M_2 \mathrel{+}= M_{2,b} + \delta^2\,\frac{n\,n_b}{n + n_b},

which keeps the variance accurate when the mean is large against the spread (a sum of
squares minus the squared sum does not). The standard error of the mean is
:math:`\sqrt{M_2 / ((n-1)\,n)}`. Used by ``simulate`` (CPU and CUDA) and every Monte Carlo
estimator.

Examples
--------
>>> import numpy as np
>>> from srnnkit.dynamics import Moments
>>> x = np.arange(10.0)[:, None] + 1e9
>>> acc = Moments((1,))
>>> acc.add(x[:4]); acc.add(x[4:])
>>> float(acc.mean[0] - 1e9), float(acc.stderr()[0] ** 2 * 10 * 9)
(4.5, 82.5)
"""

from __future__ import annotations

import numpy as np

__all__ = ["Moments", "batch_moments", "chain_moments"]


def batch_moments(values: np.ndarray, axis: int = 0) -> tuple[int, np.ndarray, np.ndarray]:
    r"""``(count, mean, M2)`` of ``values`` along ``axis`` (two passes).

    Parameters
    ----------
    values : ndarray
        Samples.
    axis : int, default=0
        The axis of the samples.

    Returns
    -------
    count : int
        Number of samples.
    mean : ndarray
        Their mean (``values`` without ``axis``).
    m2 : ndarray
        The centred sum of squares :math:`\sum (x - \bar x)^2`.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.dynamics import batch_moments
    >>> batch_moments(np.array([1.0, 2.0, 4.0]))
    (3, np.float64(2.3333333333333335), np.float64(4.666666666666667))
    """
    mean = values.mean(axis=axis)
    m2 = ((values - np.expand_dims(mean, axis)) ** 2).sum(axis=axis)
    return values.shape[axis], mean, m2


def chain_moments(values: np.ndarray, count: int) -> tuple[int, np.ndarray, np.ndarray]:
    r"""``(count, mean, tau * M2)`` of samples taken in order along independent chains.

    ``values`` holds ``K`` chains of ``S`` samples (axes 0 and 1), of which the first ``count``
    in chain-major order are used. Successive samples of a chain may be correlated; their mean
    has variance :math:`\tau\,\mathrm{Var}(x)/N`, with the integrated autocorrelation time
    :math:`\tau = 1 + 2\sum_{l \ge 1} \rho_l` estimated per entry by Geyer's initial
    monotone sequence on the autocovariances pooled over the chains,

    .. math:: \hat c_l = \frac1N \sum_{k}\sum_j (x_{kj} - \bar x)(x_{k,j+l} - \bar x),\quad
              \Gamma_t = \hat\rho_{2t} + \hat\rho_{2t+1},\quad
              \hat\tau = -1 + 2\sum_{t < T} \min_{s \le t} \Gamma_s ,

    :math:`T` the first :math:`t` with :math:`\Gamma_t \le 0`, and :math:`\hat\tau`
    floored at 1 (samples along a chain are never counted as better than independent ones).
    Returning ``tau * M2`` in place of ``M2`` makes :meth:`Moments.stderr` the standard error
    of the correlated mean (Geyer, "Practical Markov chain Monte Carlo", Stat. Sci. 1992).

    Parameters
    ----------
    values : ndarray of shape (K, S, ...)
        Samples, chain by chain.
    count : int
        Samples used (the first ``count`` in chain-major order; ``K S - S < count <= K S``).

    Returns
    -------
    count : int
        Number of samples.
    mean : ndarray
        Their mean.
    m2 : ndarray
        The centred sum of squares times the estimated :math:`\tau`.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.dynamics import chain_moments
    >>> x = np.repeat(np.arange(4.0), 3).reshape(2, 6)        # runs of 3 equal samples
    >>> n, mean, m2 = chain_moments(x, 12)
    >>> n, float(mean), round(float(m2 / ((x - 1.5) ** 2).sum()), 6)   # the estimated tau
    (12, 1.5, 4.8)
    """
    K, S = values.shape[:2]
    flat = values.reshape(K * S, -1)
    mean = flat[:count].mean(axis=0)
    dev = flat - mean
    dev[count:] = 0.0                       # the unused tail of the last chain
    dev = dev.reshape(K, S, -1)
    c0 = np.einsum("ksj,ksj->j", dev, dev)
    tau = _geyer_tau(dev, c0)
    shape = values.shape[2:]
    return count, mean.reshape(shape), (c0 * tau).reshape(shape)


def _geyer_tau(dev: np.ndarray, c0: np.ndarray) -> np.ndarray:
    """Geyer's initial monotone sequence estimate of ``tau`` per column of ``dev`` (K, S, E)."""
    S = dev.shape[1]
    safe = np.where(c0 > 0, c0, 1.0)

    def rho(lag: int) -> np.ndarray:
        if lag >= S:
            return np.zeros_like(c0)
        return np.einsum("ksj,ksj->j", dev[:, :-lag], dev[:, lag:]) / safe

    total = 1.0 + rho(1)                    # Gamma_0 (rho_0 = 1), always kept
    last = total.copy()
    live = (c0 > 0) & (total > 0)
    for t in range(1, (S + 1) // 2):
        if not live.any():
            break
        gam = np.minimum(rho(2 * t) + rho(2 * t + 1), last)
        live &= gam > 0
        total += np.where(live, gam, 0.0)
        last = np.where(live, gam, last)
    return np.maximum(2.0 * total - 1.0, 1.0)


class Moments:
    """Streaming ``(count, mean, M2)``; ``mean`` and ``m2`` may be given (filled in place).

    Parameters
    ----------
    shape : tuple of int, optional
        Shape of one sample (needed unless ``mean`` and ``m2`` are given).
    mean, m2 : ndarray, optional
        Arrays to accumulate the mean and the centred sum of squares into, in place.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.dynamics import Moments
    >>> acc = Moments((2,))
    >>> for block in np.array_split(np.arange(20.0).reshape(10, 2), 3):
    ...     acc.add(block)
    >>> acc.count, acc.mean, acc.stderr().round(4)
    (10, array([ 9., 10.]), array([1.9149, 1.9149]))
    """

    def __init__(self, shape: tuple[int, ...] | None = None, *, mean: np.ndarray | None = None,
                 m2: np.ndarray | None = None) -> None:
        self.mean = np.zeros(shape) if mean is None else mean
        self.m2 = np.zeros(shape) if m2 is None else m2
        self.count = 0

    def merge(self, count: int, mean: np.ndarray, m2: np.ndarray) -> None:
        """Merge one batch's statistics (batches must come in a fixed order).

        Parameters
        ----------
        count : int
            The batch's number of samples.
        mean : ndarray
            The batch's mean.
        m2 : ndarray
            The batch's centred sum of squares.
        """
        if self.count == 0:
            self.mean[...] = mean
            self.m2[...] = m2
        else:
            delta = mean - self.mean
            tot = self.count + count
            self.mean += delta * (count / tot)
            self.m2 += m2 + delta**2 * (self.count * count / tot)
        self.count += count

    def merge_groups(self, counts: np.ndarray, means: np.ndarray, m2s: np.ndarray) -> None:
        """Merge many groups at once (groups along axis 0): the same update in its pooled,
        vectorised form, :math:`\\bar x = \\sum n_i \\bar x_i / N`,
        :math:`M_2 = \\sum M_{2,i} + \\sum n_i (\\bar x_i - \\bar x)^2` (the CUDA tiles).

        Parameters
        ----------
        counts : ndarray of shape (n_groups,)
            Samples per group.
        means : ndarray of shape (n_groups, ...)
            The groups' means.
        m2s : ndarray of shape (n_groups, ...)
            The groups' centred sums of squares.
        """
        N = int(counts.sum())
        w = counts.reshape(-1, *([1] * (means.ndim - 1))).astype(np.float64)
        mean = (w * means).sum(axis=0) / N
        m2 = m2s.sum(axis=0) + (w * (means - mean) ** 2).sum(axis=0)
        self.merge(N, mean, m2)

    def add(self, values: np.ndarray, axis: int = 0) -> None:
        """Merge the samples ``values`` (samples along ``axis``).

        Parameters
        ----------
        values : ndarray
            Samples.
        axis : int, default=0
            The axis of the samples.
        """
        self.merge(*batch_moments(values, axis))

    def stderr(self) -> np.ndarray:
        """Standard error of the mean (NaN with fewer than two samples).

        Returns
        -------
        ndarray
            :math:`\\sqrt{M_2 / ((n-1) n)}`, the shape of ``mean``.
        """
        if self.count < 2:
            return np.full_like(self.mean, np.nan)
        return np.sqrt(self.m2 / ((self.count - 1) * self.count))
