r"""Standard errors of the stationary-run estimators from few runs: batch means within runs.

Each run's estimate of a kernel entry is a time average :math:`\frac1{N_k}\sum_j
x_j\,y_{j+k}` of the products of a weight (a conjugate variable, a Girsanov weight) and a
centred output. The spread of :math:`R` runs' estimates is a standard error with
:math:`R - 1` degrees of freedom: with 2 runs the standardised error is Student's t with one
degree of freedom (Cauchy), beyond 4 on 16 % of the entries. Below `BATCH_MIN_RUNS` runs the
standard error comes from batch means instead, with about :math:`R\,a` degrees of freedom
(:math:`a` batches per run):

1. each run is cut into *fine batches* of the lag window's length (the products of a fine
   batch reach at most into the next one); their sums of products at every lag are
   :func:`batch_xcorr`, their numbers of products :func:`batch_counts`;
2. the integrated autocorrelation time :math:`\tau` of the fine batches' means, in fine
   batches, by Geyer's initial monotone sequence pooled over the runs, per entry; its
   largest value over the entries sizes the batches;
3. :math:`m` consecutive fine batches make one batch. Batches of :math:`m` fine batches
   make the variance low by :math:`c/m`, :math:`c = (\tau^2 - 1)/(2\tau)` (the first moment
   of the autocorrelation over :math:`\tau` for an AR(1) sequence of that :math:`\tau`), and
   with :math:`\nu = R\,a_0/m` degrees of freedom the t statistic has
   :math:`E z^2 = 1 + 2/\nu` to first order; :math:`m = \sqrt{c\,R\,a_0/2}` (rounded up,
   :math:`a_0` fine batches per run) minimises the sum, the excess of :math:`E z^2` over 1
   (:func:`merge_factor`);
4. the standard error of all batches of all runs about their grand mean
   (:func:`srnnkit._stats.batch_means_stderr`), which pools the within-run spread of the
   batches with the between-run spread of the runs.

At `BATCH_MIN_RUNS` runs and more the spread of the runs' estimates is kept (calibrated
there; the batch sums cost a second pass of FFTs).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._stats import batch_means_stderr
from ..dynamics._moments import _geyer_tau

__all__ = ["BATCH_MIN_RUNS", "RunBatches", "batch_counts", "batch_xcorr", "merge_factor"]

#: from this many runs the standard error is the spread of the runs' estimates (the
#: default ``n_chains``, where it is calibrated: mean z^2 1.16 +- 0.19 for the learned-score
#: FDT and 1.35 +- 0.24 for Girsanov over 64 seeds of a 1-D tanh SRNN); below it batch means
#: within the runs
BATCH_MIN_RUNS = 16
#: complex values one FFT chunk of :func:`batch_xcorr` may hold (64 MiB)
_CHUNK = 2 ** 22


def batch_counts(n_terms: int, n_lags: int, length: int) -> np.ndarray:
    """Products of each fine batch at each lag, (a0, n_lags): batch ``c`` holds the products
    ``x_j y_{j+k}`` with ``j`` in ``[c length, (c+1) length)`` (the last batch takes the
    remainder of the run) and ``j + k < n_terms``.

    Parameters
    ----------
    n_terms : int
        The run's length (values of x and y).
    n_lags : int
        The lags, 0..n_lags-1.
    length : int
        The fine batches' length.

    Returns
    -------
    ndarray of shape (n_terms // length, n_lags)

    Examples
    --------
    >>> batch_counts(7, 2, 3)
    array([[3., 3.],
           [4., 3.]])
    """
    a0 = n_terms // length
    starts = np.arange(a0) * length
    ends = np.append(starts[1:], n_terms)
    last = n_terms - np.arange(n_lags)                       # one past the last j at lag k
    return np.clip(np.minimum(ends[:, None], last[None, :]) - starts[:, None], 0,
                   None).astype(float)


def _segment_xcorr(xs: np.ndarray, ys: np.ndarray, n_lags: int) -> np.ndarray:
    """``out[..., k, i, a] = sum_{t < lx} xs[..., t, a] ys[..., t + k, i]`` by FFT, for ``xs``
    (..., lx, m) and ``ys`` (..., ly, p) with ``ly >= lx + n_lags - 1``."""
    nfft = 1 << int(np.ceil(np.log2(ys.shape[-2])))
    X = np.fft.rfft(xs, nfft, axis=-2)
    Y = np.fft.rfft(ys, nfft, axis=-2)
    prod = np.conj(X)[..., None, :] * Y[..., :, None]                # (..., F, p, m)
    return np.fft.irfft(prod, nfft, axis=-3)[..., :n_lags, :, :]


def batch_xcorr(x: np.ndarray, y: np.ndarray, n_lags: int, length: int) -> np.ndarray:
    """The fine batches' sums of products, (B, a0, n_lags, p, m): ``out[b, c, k, i, a]`` is
    the sum of ``x[b, j, a] y[b, j + k, i]`` over the ``j`` of batch ``c``
    (:func:`batch_counts`); summed over ``c`` it is the run's whole correlation sum.

    Parameters
    ----------
    x : ndarray of shape (B, L, m)
        The weights of B runs.
    y : ndarray of shape (B, L, p)
        Their centred outputs.
    n_lags : int
        The lags, 0..n_lags-1 (at most ``length``).
    length : int
        The fine batches' length.

    Returns
    -------
    ndarray of shape (B, L // length, n_lags, p, m)
    """
    B, L, m = x.shape
    p = y.shape[2]
    a0 = L // length
    ypad = np.zeros((B, L + n_lags, p))
    ypad[:, :L] = y
    out = np.empty((B, a0, n_lags, p, m))
    main = (a0 - 1) * length                # batches 0..a0-2; the last one takes the tail
    if a0 > 1:
        width = length + n_lags - 1
        windows = np.lib.stride_tricks.sliding_window_view(ypad, width, axis=1)
        windows = windows[:, :main:length].swapaxes(-1, -2)         # (B, a0-1, width, p)
        xs = x[:, :main].reshape(B, a0 - 1, length, m)
        step = max(1, _CHUNK // max(1, B * (length + n_lags) * p * m))
        for c in range(0, a0 - 1, step):
            stop = min(c + step, a0 - 1)
            out[:, c:stop] = _segment_xcorr(xs[:, c:stop], windows[:, c:stop], n_lags)
    out[:, a0 - 1] = _segment_xcorr(x[:, main:], ypad[:, main:L + n_lags - 1], n_lags)
    return out


def merge_factor(tau: float, n_fine: int) -> int:
    r"""Fine batches per batch: :math:`m = \lceil\sqrt{c\,n/2}\,\rceil`,
    :math:`c = (\tau^2 - 1)/(2\tau)`, between 1 and the fine batches of one run.

    :math:`c/m` is the batch means' relative bias of the variance for an AR(1) sequence of
    integrated autocorrelation time :math:`\tau` (in fine batches) and :math:`2m/n` the
    excess of :math:`E z^2` of a t statistic with :math:`n/m` degrees of freedom; their sum
    is smallest at :math:`m = \sqrt{cn/2}`.

    Parameters
    ----------
    tau : float
        The fine batches' integrated autocorrelation time (at least 1).
    n_fine : int
        Fine batches of all runs together (``R * a0``).

    Returns
    -------
    int

    Examples
    --------
    >>> merge_factor(1.0, 200), merge_factor(3.0, 200), merge_factor(30.0, 200)
    (1, 12, 39)
    """
    c = (tau * tau - 1.0) / (2.0 * tau)
    return max(1, math.ceil(math.sqrt(c * n_fine / 2.0)))


class RunBatches:
    """The fine batches' sums of the runs of one estimate, and the standard error they give.

    Parameters
    ----------
    n_chains : int
        The estimate's runs.
    n_terms : int
        Terms of each run's correlation sums (the length of x and y).
    n_lags : int
        The lags.
    min_length : int, default=1
        The fine batches' least length (they are as long as the lag window otherwise).

    Attributes
    ----------
    on : bool
        Whether the batch means are used (fewer than `BATCH_MIN_RUNS` runs and at least two
        fine batches per run).
    """

    def __init__(self, n_chains: int, n_terms: int, n_lags: int, min_length: int = 1) -> None:
        self.n_chains, self.n_lags = n_chains, n_lags
        self.length = max(1, n_lags, min_length)
        self.on = n_chains < BATCH_MIN_RUNS and n_terms // self.length >= 2
        self.counts = batch_counts(n_terms, n_lags, self.length) if self.on else None
        self.sums: list[np.ndarray] = []

    def of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """The fine batches' sums (:func:`batch_xcorr`) of the runs with weights ``x``
        (B, L, m) and outputs ``y`` (B, L, p), or ``None`` unless :attr:`on` (computed where
        the runs are, e.g. in a worker; :meth:`keep` collects them)."""
        return batch_xcorr(x, y, self.n_lags, self.length) if self.on else None

    def keep(self, sums: np.ndarray | None) -> None:
        """Collect a group of runs' :meth:`of` (``None`` is skipped)."""
        if sums is not None:
            self.sums.append(sums)

    def stderr(self, se: np.ndarray, sums: np.ndarray | None = None
               ) -> tuple[np.ndarray, dict[str, Any]]:
        """The standard error (n_lags, p, m) and ``info["stderr_rule"]``.

        Parameters
        ----------
        se : ndarray of shape (n_lags, p, m)
            The spread of the runs' estimates: returned as it is unless :attr:`on`.
        sums : ndarray of shape (R, a0, n_lags, p, m), optional
            The fine batches' sums to use (the learned score's pseudo-values), default those
            added.

        Returns
        -------
        se : ndarray of shape (n_lags, p, m)
        rule : dict
            ``rule`` ("runs" or "batch means"), ``dof``, and for batch means ``tau`` (the
            largest integrated autocorrelation time of the fine batches, in steps),
            ``batch_length`` (steps) and ``batches_per_run``.
        """
        R = self.n_chains
        S = (np.concatenate(self.sums) if sums is None else sums) if self.on else None
        if S is None or not np.all(np.isfinite(S)):   # a NaN is the estimate's to report
            return se, {"rule": "runs", "dof": R - 1}
        n = self.counts[None, :, :, None, None]
        a0 = S.shape[1]
        Y = (S / n).reshape(R, a0, -1)
        dev = Y - Y.mean(axis=(0, 1))
        tau = float(_geyer_tau(dev, np.einsum("ksj,ksj->j", dev, dev)).max())
        m = min(merge_factor(tau, R * a0), a0)
        a = a0 // m
        group = np.minimum(np.arange(a0) // m, a - 1)                 # the tail joins the last
        Sm = np.zeros((R, a, *S.shape[2:]))
        np.add.at(Sm, (slice(None), group), S)
        nm = np.zeros((a, self.n_lags))
        np.add.at(nm, group, self.counts)
        nm = np.broadcast_to(nm[None, :, :, None, None], Sm.shape)
        _, se_b, dof = batch_means_stderr(Sm.reshape(R * a, *S.shape[2:]),
                                          nm.reshape(R * a, *S.shape[2:]))
        return se_b, {"rule": "batch means", "dof": int(dof), "tau": tau * self.length,
                      "batch_length": m * self.length, "batches_per_run": a}
