"""Exact noise-averaged readouts of a linear SRNN (a bank of damped oscillators).

`LinearSRNNFeatures` is the transformer; `LinearSRNNClassifier` and `LinearSRNNRegressor` put
a standardisation and a cross-validated ridge on top (the usual "random features + ridge"
recipe of MiniRocket and reservoir computing), as one scikit-learn estimator.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from functools import lru_cache
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MultiOutputMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._parallel import Runner, n_threads
from .._random import as_generator
from .._stats import mean_se, unit_exponent
from .._validation import check_array, check_memory, fail
from . import _oscillator_loops as _k
from ._features import channel_names
from ._input import (
    SeriesInputMixin,
    SeriesScoreMixin,
    as_series_list,
    channel_scaling,
    check_not_constant,
    check_params,
    check_targets,
    record_fit_input,
    scaled,
    sign_targets,
    standardize_columns,
    target_scales,
)
from ._ridge import (
    RELATIVE_ALPHAS,
    _spectrum,
    loo_errors,
    relative_scale,
    ridge_loo,
)

__all__ = ["LinearSRNNClassifier", "LinearSRNNFeatures", "LinearSRNNRegressor",
           "gaussian_tables"]

_FEATURE_PARAMS: dict[str, list] = {
    "n_oscillators": [Interval(Integral, 1, None, closed="left")],
    "n_thresholds": [Interval(Integral, 1, None, closed="left")],
    "noise": [Interval(Real, 0, None, closed="left")],
    "max_decay": [Interval(Real, 0, None, closed="neither")],
    "max_memory": [Interval(Real, 0, None, closed="neither")],
    "max_frequency": [Interval(Real, 0, math.pi, closed="both"), None],
    "oscillating": [Interval(Real, 0, 1, closed="both")],
    "derivative": ["boolean"],
    "readout": [StrOptions({"step", "relu", "both", "none"})],
    "linear": ["boolean"],
    "pooling": [StrOptions({"mean", "mean+time"})],
    "subsample": ["boolean"],
    "standardize": ["boolean"],
    "random_state": ["random_state", np.random.Generator],
    "n_jobs": [Integral, None],
}

# Quantile levels of the thresholds on a series of L steps: uniform on [q, 1 - q] with
# q = min(_QUANTILES[0], _TAIL_STATES / L): the central 10-90 % on short series; on long ones
# out to the _TAIL_STATES-th most extreme state of the series, so a short pattern that fills
# less than a tenth of a long record (whose states lie beyond the 90 % quantile) is counted
# by the threshold readouts (MiniRocket draws its biases' levels over all of (0, 1)).
_QUANTILES = (0.1, 0.9)
_TAIL_STATES = 4


# max_memory="auto" (model shells): the "short" candidate keeps the oscillators whose time
# constant is at most this fraction of the longest training series.
_SHORT_MEMORY = 0.25

# The channel relevances (leave-one-out of each channel's features alone) are computed on at
# most this many training series: one eigendecomposition of this size per channel.
_RELEVANCE_SERIES = 128

# Each oscillator reads about this many input channels (at least one).
_CHANNELS_PER_OSCILLATOR = 1.0

# An oscillator is read about once per unit of its phase or decay (radians per step).
_READS_PER_RADIAN = 1.0


def _strides(gamma: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Readout strides: the largest power of two <= 1 / (reads per radian * max(gamma, |omega|))."""
    rate = np.maximum(gamma, np.abs(omega)) * _READS_PER_RADIAN
    k = np.floor(np.log2(1.0 / np.maximum(rate, 1e-300)))
    return (2 ** np.clip(k, 0, 62)).astype(np.int64)


# Frequency bins on (0, pi] of the training inputs' spectrum (`_input_spectra`).
_SPECTRUM_BINS = 512

# A block is read every s steps only while at most this fraction of its state's power (its
# filter applied to the training inputs' spectrum) lies above the stride's Nyquist frequency
# pi / s: beyond it the reads alias the input's fast content onto the block's average.
_ALIAS_POWER = 0.01

# ... applied to the blocks read at least this many times on the longest training series: the
# few reads of the rest are snapshots at fixed times (on 24-step series, strides 8-16: steps
# 8, 16, 24), which on short aligned records tell when something happens.
_MIN_READS = 8


def _input_spectra(series: list[np.ndarray]) -> np.ndarray:
    """Mean periodogram ``(n_channels, _SPECTRUM_BINS)`` of the (prepared) training series,
    each channel's ``|FFT|^2 / L_i`` summed into equal bins on ``[0, pi]``."""
    K = _SPECTRUM_BINS
    m = series[0].shape[1]
    out = np.zeros((m, K))
    for z in series:
        L = z.shape[0]
        P = np.abs(np.fft.rfft(z, axis=0)) ** 2 / L               # (L // 2 + 1, m)
        b = np.minimum((np.arange(P.shape[0]) * (2.0 * K / L)).astype(np.int64), K - 1)
        # every channel in one bincount, bin (c, b) at c K + b: each bin still sums its
        # frequencies in their order (the same bits as one bincount per channel)
        out += np.bincount((b + K * np.arange(m)[:, None]).ravel(), weights=P.T.ravel(),
                           minlength=m * K).reshape(m, K)
    return out / len(series)


def _alias_strides(strides: np.ndarray, gamma: np.ndarray, omega: np.ndarray,
                   C: np.ndarray, spectra: np.ndarray) -> np.ndarray:
    """Cap each block's stride ``2^k`` where more than ``_ALIAS_POWER`` of its state's power
    lies above ``pi / 2^k``.

    Parameters
    ----------
    strides : ndarray of shape (U,)
        The strides of `_strides` (powers of two).
    gamma, omega : ndarray of shape (U,)
        Decay rates and frequencies.
    C : ndarray of shape (n_inputs, U)
        Input weights (their scale per block does not matter).
    spectra : ndarray of shape (n_inputs, K)
        `_input_spectra` of the prepared training inputs.

    Returns
    -------
    ndarray of shape (U,)
        The strides, each at most its input.
    """
    K = spectra.shape[1]
    nu = (np.arange(K) + 0.5) * (math.pi / K)                      # bin centres
    out = strides.copy()
    todo = np.flatnonzero(strides > 1)
    for part in np.array_split(todo, max(1, -(-todo.size // 2048))):   # (2048, K) at a time
        drive = (C[:, part] ** 2).T @ spectra                      # channels apart
        lam = np.exp(-(gamma[part] - 1j * omega[part]))[:, None]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            # the state's x and y parts hold the filter at +nu and -nu (a real input)
            power = drive * (1.0 / np.abs(1.0 - lam * np.exp(-1j * nu)) ** 2
                             + 1.0 / np.abs(1.0 - lam * np.exp(1j * nu)) ** 2)
            # tail[:, i]: the power in bins i..K-1, as a fraction of the total (a block
            # with no input power, or an infinite peak at its own frequency: 0, no cap)
            tail = np.cumsum(power[:, ::-1], axis=1)[:, ::-1]
            tail = np.nan_to_num(tail / tail[:, :1], nan=0.0, posinf=0.0)
        for i, j in enumerate(part):
            s = int(strides[j])
            while s > 1 and tail[i, min(K - 1, -(-K // s))] > _ALIAS_POWER:
                s //= 2
            out[j] = s
    return out


# This fraction of the blocks take their frequency from the training inputs' own spectrum
# (`_spectral_frequencies`), the rest log-uniform on [2 pi / L, pi]: a frequency band that
# carries the classes holds a few per cent of the log scale, and the blocks that resolve it
# (near its frequency, with slow decay) were a handful of 500.
_SPECTRAL_FRACTION = 0.25


def _spectral_frequencies(rng: np.random.Generator, omega: np.ndarray, spectra: np.ndarray,
                          w_lo: float, w_hi: float) -> np.ndarray:
    """Redraw a fraction ``_SPECTRAL_FRACTION`` of the frequencies from the inputs' spectrum.

    Parameters
    ----------
    rng : numpy Generator
    omega : ndarray of shape (U,)
        The log-uniform frequencies.
    spectra : ndarray of shape (m, K)
        `_input_spectra` of the standardised channels (not their differences): each channel's
        spectrum counts with unit total power.
    w_lo, w_hi : float
        The frequency range; bins wholly outside it get no draws.

    Returns
    -------
    ndarray of shape (U,)
        ``omega`` with the redrawn entries: a bin drawn with probability proportional to its
        power, a frequency uniform in it (clipped to the range). Unchanged (and no random
        numbers used) when no input power lies in the range or the fraction is 0.
    """
    K = spectra.shape[1]
    total = spectra.sum(axis=1, keepdims=True)
    dens = (spectra / np.where(total > 0, total, 1.0)).sum(axis=0)
    edge = np.arange(K) * (math.pi / K)                            # lower bin edges
    dens = np.where((edge + math.pi / K > w_lo) & (edge < w_hi), dens, 0.0)
    if not (dens.sum() > 0 and _SPECTRAL_FRACTION > 0):
        return omega
    pick = rng.random(omega.size) < _SPECTRAL_FRACTION
    b = rng.choice(K, omega.size, p=dens / dens.sum())
    w = np.clip((b + rng.random(omega.size)) * (math.pi / K), w_lo, w_hi)
    return np.where(pick, w, omega)


def _n_read(strides: np.ndarray) -> np.ndarray:
    """``n_read[k]``: number of (sorted) oscillators with stride <= 2^k, k = 0..max."""
    K = int(np.log2(strides.max())) if strides.size else 0
    return np.searchsorted(strides, 2 ** np.arange(K + 1), side="right").astype(np.int64)


@lru_cache(maxsize=1)
def gaussian_tables() -> np.ndarray:
    """Tables ``(4, n)`` of Phi, its scaled slope, phi and its scaled slope on [-8, 8].

    Built once, on first use (not at import), from ``math.erfc`` and ``math.exp``.
    """
    h = 1.0 / _k.TABLE_STEPS
    n = round(-2.0 * _k.TABLE_LO * _k.TABLE_STEPS) + 2
    x = _k.TABLE_LO + h * np.arange(n)
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])
    tables = np.stack([cdf, pdf * h, pdf, -x * pdf * h])
    tables.setflags(write=False)
    return tables


def _tail_levels(levels: np.ndarray, n_steps: int) -> np.ndarray:
    """Map levels drawn on ``_QUANTILES`` to ``[q, 1 - q]``, ``q = min(0.1, _TAIL_STATES / L)``.

    Parameters
    ----------
    levels : ndarray
        Quantile levels drawn uniformly on ``_QUANTILES``.
    n_steps : int
        Length ``L`` of the series the thresholds are read from.

    Returns
    -------
    ndarray
        The levels, unchanged (the same bits) where ``q`` is the central range's own edge.
    """
    lo, hi = _QUANTILES
    q = _TAIL_STATES / max(n_steps, 1)
    if q >= lo:
        return levels
    return q + (levels - lo) * ((1.0 - 2.0 * q) / (hi - lo))


def _content_order(series: list[np.ndarray]) -> np.ndarray:
    """Indices of the standardised ``series`` sorted by a hash of each one's values rounded
    to 1e-8 (an order that depends neither on their order nor, beyond rounding, on the
    data's units)."""
    import hashlib

    keys = [hashlib.blake2b(np.ascontiguousarray(np.round(x, 8) + 0.0).tobytes(),
                            digest_size=16).digest() for x in series]
    return np.array(sorted(range(len(series)), key=keys.__getitem__), dtype=np.intp)


def _quantiles(states: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Column-wise quantiles: ``out[k, b]`` is quantile ``levels[k, b]`` of ``states[:, k]``.

    NumPy's default ("linear") definition, vectorised over columns (one sort).
    """
    S = np.sort(states, axis=0)                              # (L, k)
    pos = levels * (S.shape[0] - 1)                          # (k, nb)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, S.shape[0] - 1)
    cols = np.arange(S.shape[1])[:, None]
    a, b = S[lo, cols], S[hi, cols]
    return a + (pos - lo) * (b - a)


def _unit_states(x: np.ndarray, net: tuple[np.ndarray, ...], units: np.ndarray
                 ) -> np.ndarray:
    """Mean states ``(L, units.size)`` of the hidden ``units`` alone on the prepared series
    ``x``: only their oscillators are run (each oscillator's recursion is its own, so the
    numbers are those of the whole network's `mean_states`; a threshold needs a few of the
    ``2U`` columns, and running every oscillator on every picked series was a fifth of
    `LinearSRNNClassifier`'s fit + predict on long series).

    Parameters
    ----------
    x : ndarray of shape (L, n_inputs)
        A prepared series.
    net : tuple of ndarray
        ``(C, Re lam, Im lam, Re kap, Im kap)`` of the whole network (`_network`).
    units : ndarray of int
        Hidden units (``2j``: ``x_j``, ``2j + 1``: ``y_j``).

    Returns
    -------
    ndarray of shape (L, units.size)
    """
    osc, pos = np.unique(units // 2, return_inverse=True)
    C, lr, li, kr, ki = net
    H = _k.mean_states(np.ascontiguousarray(x), np.ascontiguousarray(C[:, osc]), lr[osc],
                       li[osc], kr[osc], ki[osc])
    return H[:, 2 * pos + units % 2]


def _standardize(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`standardize_columns` of the feature matrix ``F``, the same bits, in three passes.

    Found by profiling: NumPy's max, min, mean and std along the columns and the two
    in-place operations read the matrix about ten times and allocated a copy of it (PLAID's
    537 x 18000 features: 0.04-0.09 s of a 1.2 s fit + predict). The compiled loops sum the
    rows in NumPy's order; a matrix with a non-finite value or a column beyond the ordinary
    sizes of `srnnkit._stats.mean_std` (max |value| outside 1e-100-1e100) takes NumPy's path.

    Parameters
    ----------
    F : ndarray of shape (n, p)
        Features, standardised in place.

    Returns
    -------
    mean, scale : ndarray of shape (p,)
    """
    if F.dtype != np.float64 or not F.flags.c_contiguous or F.ndim != 2 or 0 in F.shape:
        return standardize_columns(F)
    mx, mn, mean, sd = _k.column_stats(F)
    size = np.maximum(np.abs(mx), np.abs(mn))
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sd))
            and np.all((size > 1e-100) & (size < 1e100) | (size == 0))):
        return standardize_columns(F)
    tol = np.sqrt(max(F.shape[0], 1)) * np.finfo(float).eps * (np.abs(mean) + sd)
    scale = np.where(sd > tol, sd, 1.0)
    _k.standardize_rows(F, mean, scale)
    return mean, scale


def _sum_squares(A: np.ndarray) -> float:
    """``float(np.sum(A ** 2))`` of a gathered copy ``A`` (squared in place): the same bits
    without a second copy of it."""
    np.multiply(A, A, out=A)
    return float(np.sum(A))


def _per_column(feats: Any, n_cols: int, per_oscillator: np.ndarray) -> tuple[int, np.ndarray]:
    """Spread a value per oscillator over the ``n_cols`` feature columns, in their layout:
    the threshold readouts (``2 n_thresholds`` columns per oscillator, per pooling block)
    first, then the linear ones (2 per oscillator and block). Returns the number of
    threshold columns and the values (n_cols,)."""
    U, nb = feats.n_oscillators, feats.n_thresholds
    pools = 2 if feats.pooling == "mean+time" else 1
    n_lin = 2 * U * pools if feats.linear else 0
    n_thr = n_cols - n_lin
    thr = np.tile(np.repeat(per_oscillator, 2 * nb), n_thr // (2 * nb * U))
    lin = np.tile(np.repeat(per_oscillator, 2), n_lin // (2 * U))
    return n_thr, np.concatenate([thr, lin])


def _column_groups(feats: Any, n_cols: int, short: np.ndarray, pool_auto: bool
                   ) -> list[np.ndarray]:
    """The feature columns in eight groups: (threshold, linear readouts) x (mean,
    time-weighted half) x (short-memory, long-memory oscillators), in the order
    ``[thr: short mean, long mean, short timed, long timed, lin: the same four]``."""
    U, nb = feats.n_oscillators, feats.n_thresholds
    n_thr, col_short = _per_column(feats, n_cols, short)
    groups = []
    for start, stop, block in ((0, n_thr, 2 * nb * U), (n_thr, n_cols, 2 * U)):
        n_blocks = (stop - start) // block
        half = n_blocks // 2 if pool_auto else n_blocks  # the mean blocks come first
        col_mean = np.arange(stop - start) < half * block
        part = col_short[start:stop]
        groups += [start + np.flatnonzero(part & col_mean),
                   start + np.flatnonzero(~part & col_mean),
                   start + np.flatnonzero(part & ~col_mean),
                   start + np.flatnonzero(~part & ~col_mean)]
    return groups


def _readout_candidates(groups: list[np.ndarray], power: list[float], mem_sets: list,
                        lin_on: bool, lin_auto: bool, pool_auto: bool
                        ) -> tuple[list[list[int]], list[list[float]], list[tuple]]:
    """The leave-one-out candidates ``(group lists, group weights, labels)``, labels
    ``(oscillators kept, time-weighted, threshold used, linear used)``: the threshold
    readouts per memory set and pooling first; then (``linear="auto"``), with all the
    memories, the linear readouts alone and beside the threshold ones with the same total
    weight (a penalty scale of their own); ``linear=True``: both, always."""
    kinds = ["both"] if lin_on else ["thr"]
    if lin_auto:
        kinds += ["lin", "both"]
    candidates, weights, labels = [], [], []
    for kind in kinds:
        for osc, base in (mem_sets if kind == "thr" or not lin_auto else mem_sets[-1:]):
            for timed in ([False, True] if pool_auto else [False]):
                sets = base + ([g + 2 for g in base] if timed else [])
                thr = [g for g in sets if groups[g].size] if kind != "lin" else []
                lin = [g + 4 for g in sets if groups[g + 4].size] if kind != "thr" else []
                if not thr + lin:
                    continue
                w_lin = 1.0
                if thr and lin and lin_auto:
                    p_thr, p_lin = sum(power[g] for g in thr), sum(power[g] for g in lin)
                    w_lin = math.sqrt(p_thr / p_lin) if p_lin > 0 and p_thr > 0 else 1.0
                candidates.append(thr + lin)
                weights.append([1.0] * len(thr) + [w_lin] * len(lin))
                labels.append((osc, timed, bool(thr), bool(lin)))
    return candidates, weights, labels


def _column_channels(feats: Any, n_cols: int) -> np.ndarray:
    """The input channel of each feature column: the one its oscillator reads with the
    largest weight (a first-difference input counts as its channel)."""
    chan = np.argmax(np.abs(feats.input_weights_), axis=0) % feats.n_features_in_   # (U,)
    return _per_column(feats, n_cols, chan)[1]


def _channel_relevance(F: np.ndarray, Y: np.ndarray, chan: np.ndarray, m: int) -> np.ndarray:
    """Per channel, the fraction of the intercept's leave-one-out error that a ridge on
    that channel's feature columns alone removes (at its best penalty), clipped at 0.

    The leave-one-out error of the intercept alone is ``n^2 / (n-1)^2`` times the targets'
    variance; a channel whose features predict nothing scores 0. On at most
    ``_RELEVANCE_SERIES`` series, evenly spaced in an order of their features' content (their
    rounded sums of squares and first feature: the result does not depend on the order of the
    training set; the cost is one eigendecomposition of that size per channel).
    """
    n = F.shape[0]
    rows = np.arange(n)
    if n > _RELEVANCE_SERIES:
        order = np.lexsort((np.round(F[:, 0], 8), np.round(np.einsum("ij,ij->i", F, F), 6)))
        rows = np.sort(order[np.linspace(0, n - 1, _RELEVANCE_SERIES).round().astype(int)])
        F, Y = F[rows], Y[rows]
        F = F - F.mean(axis=0)                    # (the full F has column means 0)
    n = rows.size
    Yc = np.ldexp(Y - Y.mean(axis=0), -unit_exponent(Y))
    base = float(np.sum(Yc * Yc)) / n * (n / (n - 1.0)) ** 2 if n > 2 else 0.0
    rel = np.zeros(m)
    for c in range(m):
        cols = np.flatnonzero(chan == c)
        if cols.size == 0 or base <= 0:
            continue
        lam, Q = _spectrum(F[:, cols])        # from the smaller of its two Gram matrices
        err = loo_errors(lam, Q, Yc, RELATIVE_ALPHAS * relative_scale(lam, n)).min()
        rel[c] = max(0.0, 1.0 - err / base)
    return rel


def _channel_weighted(groups: list[np.ndarray], candidates: list[list[int]],
                      weights: list[list[float]], labels: list[tuple], chan: np.ndarray,
                      rel: np.ndarray) -> tuple[list, list, list, list, list]:
    """Append to the candidates a copy of each with the columns of channel ``c`` weighted by
    ``sqrt(rel[c] / max(rel))`` (a penalty scale per channel of ``max(rel) / rel[c]``;
    channels of relevance 0 get weight 0), on copies of the column groups.

    Returns ``(groups, candidates, weights, labels, column_weights)``: the given candidates
    come first (and so count as simpler under the one-standard-error rule); labels gain a
    last entry, whether the channels are weighted.
    """
    w_ch = np.sqrt(rel / rel.max())
    k = len(groups)
    column_weights = [None] * k + [w_ch[chan[g]] for g in groups]
    return (groups + groups, candidates + [[g + k for g in c] for c in candidates],
            weights + weights, [(*lab, False) for lab in labels]
            + [(*lab, True) for lab in labels], column_weights)


def _channel_candidates(feats: Any, F: np.ndarray, Y: np.ndarray, groups: list,
                        candidates: list, weights: list, labels: list) -> tuple:
    """The channel relevances and the readout candidates with, where some channel has
    relevance 0 and some more, the channel-weighted copies (`_channel_weighted`).

    Returns ``(rel, groups, candidates, weights, labels, column_weights)``; labels
    gain a last entry (channels weighted); one channel: relevance 1, no copies.
    """
    m = feats.n_features_in_
    rel = np.ones(m)
    if m > 1:
        chan = _column_channels(feats, F.shape[1])
        rel = _channel_relevance(F, Y, chan, m)
        if rel.max() > 0 and rel.min() == 0:
            return (rel, *_channel_weighted(groups, candidates, weights, labels, chan, rel))
    return (rel, groups, candidates, weights, [(*lab, False) for lab in labels],
            [None] * len(groups))


# The Gaussian readout of the regressor (`_kernel_candidates`): random Fourier features of
# the standardised linear readouts, at squared widths that are these multiples of the mean
# squared distance between two training rows (2 x the number of varying columns).
_KERNEL_FEATURES = 2048
_KERNEL_WIDTHS = (64.0, 16.0, 4.0, 1.0)


def _fourier_features(Z: np.ndarray, seed: int, widths: Sequence[float]) -> list[np.ndarray]:
    """Random Fourier features ``sqrt(2/D) cos(Z W + b)`` of the Gaussian kernel
    ``exp(-|z - z'|^2 / width)`` for each of ``widths``: ``W`` Gaussian of variance
    ``2 / width``, ``b`` uniform on ``[0, 2 pi)``, ``D = _KERNEL_FEATURES``. One projection
    ``Z W_0`` (``W_0`` standard Gaussian) drawn from ``seed``, the same at fit and predict
    time, serves every width."""
    rng = np.random.default_rng(seed)
    # single-precision draws (half their cost; the features are random anyway), a
    # double-precision product: in single precision a series' features moved with the number
    # of series predicted together (1e-6 relative), against the same-bits-whatever-the-
    # chunking promise
    W0 = rng.standard_normal((Z.shape[1], _KERNEL_FEATURES), dtype=np.float32)
    P = Z @ W0.astype(np.float64)
    b = rng.uniform(0.0, 2.0 * math.pi, _KERNEL_FEATURES)
    out = []
    for width in widths:
        N = P * math.sqrt(2.0 / width)
        N += b
        np.cos(N, out=N)
        N *= math.sqrt(2.0 / _KERNEL_FEATURES)
        out.append(N)
    return out


def _kernel_candidates(F: np.ndarray, lin_cols: np.ndarray, seed: int) -> tuple:
    """The Gaussian-readout candidates: for each width of ``_KERNEL_WIDTHS``, the centred
    random Fourier features of the (standardised) linear readouts ``F[:, lin_cols]`` (the
    model shells pass those of the non-oscillating blocks).

    A ridge on them is (approximately) kernel ridge with a Gaussian kernel of the series'
    time-averaged mean states: a smooth nonlinear function of them (the square of a
    series' mean, the product of two channels' means), which a linear readout of the
    threshold or linear readouts only approximates.

    Returns ``(blocks, widths, means)``: the features ``(n, D)`` per width, the squared
    widths, and the column means subtracted.
    """
    Z = F[:, lin_cols]
    base = 2.0 * max(1, int(np.count_nonzero(np.any(Z != 0.0, axis=0))))
    widths = [mult * base for mult in _KERNEL_WIDTHS]
    blocks = _fourier_features(Z, seed, widths)
    means = [N.mean(axis=0) for N in blocks]
    for N, mean in zip(blocks, means, strict=True):
        N -= mean
    return blocks, widths, means


def _prepare(est: Any, series: list[np.ndarray], lengths: bool = True) -> list[np.ndarray]:
    """Standardise with the training statistics and append the (weighted) first differences
    (``lengths``: the length rule of `check_channels`)."""
    out = scaled(est, series, lengths)
    if est.derivative:
        w = getattr(est, "derivative_weight_", 1.0)
        out = [np.hstack([z, w * np.diff(z, axis=0, prepend=z[:1])]) for z in out]
    return out


def _derivative_weight(series: list[np.ndarray]) -> np.ndarray:
    """Per-channel weight of the differences: mean |z| / mean |dz| over the training steps.

    The differences of a series sampled k times more finely are about k times smaller; the
    weight gives them the size of the (standardised) values whatever the sampling.
    """
    size = np.mean(np.abs(np.concatenate(series, axis=0)), axis=0)
    diffs = [np.diff(z, axis=0) for z in series if z.shape[0] > 1]
    rough = np.mean(np.abs(np.concatenate(diffs, axis=0)), axis=0) if diffs else size * 0
    return np.where(rough > 0, size / np.where(rough > 0, rough, 1.0), 1.0)


class LinearSRNNFeatures(SeriesInputMixin, TransformerMixin, BaseEstimator):
    r"""Exact noise-averaged readouts of a random linear SRNN: a bank of damped oscillators.

    The network is a linear SRNN (docs/theory.md §1 with :math:`a` the identity and
    :math:`W = 0`) made of ``n_oscillators`` two-dimensional blocks. Block :math:`j`, written
    as the complex state :math:`z_j = x_j + i y_j`, obeys

    .. math::

        dz_j = \bigl[-(\gamma_j - i\,\omega_j)\, z_j + c_j \cdot u_t\bigr]\,dt
               + \sigma\,(dB^1_t + i\,dB^2_t),

    i.e. :math:`\Gamma_j = \begin{pmatrix}\gamma_j & \omega_j\\ -\omega_j & \gamma_j
    \end{pmatrix}`, one input sample per unit of time, started from its stationary law.
    Its law at each step is Gaussian, :math:`h_t \sim N(m_t, s^2 I)`, with the mean
    :math:`m_t` (the exact first-order response to the input, a damped-oscillator filter of
    it) given by the exact recursion
    :math:`m_{t+1} = \lambda_j m_t + \kappa_j\, c_j\cdot u_t`,
    :math:`\lambda_j = e^{-(\gamma_j - i\omega_j)}`,
    :math:`\kappa_j = (1-\lambda_j)/(\gamma_j - i\omega_j)`, and
    :math:`s_j = \sigma/\sqrt{2\gamma_j}`. The features are the network's mean outputs
    :math:`\frac1L\sum_{t=1}^{L}\mathbb{E}\, f(h_t)` (and its time-weighted version, see
    ``pooling``) for threshold readouts
    :math:`f(h) = 1\{h_r > b\}` (``"step"``) and :math:`f(h) = (h_r - b)_+` (``"relu"``),
    computed in closed form, with no Monte Carlo:

    .. math::

        \mathbb{E}\,1\{h_r > b\} = \Phi(d/s), \qquad
        \mathbb{E}\,(h_r - b)_+ = d\,\Phi(d/s) + s\,\varphi(d/s), \qquad d = m_{r,t} - b,

    (the indicator and :math:`\max(d, 0)` of the mean when ``noise=0``). The step readout is
    MiniRocket's "proportion of positive values", the relu one MultiRocket's "mean of positive
    values", here on the states of an SRNN instead of convolutions.

    Every scale comes from the training data (``L`` is the longest training series, in
    samples; docs/learning.md explains each rule):

    - decay rates :math:`\gamma_j` log-uniform on :math:`[1/(\text{max\_memory}\,L),
      \text{max\_decay}]`: memories from one sample to the whole series, spread evenly on a
      log scale (as MiniRocket spreads its dilations up to the series length);
    - frequencies :math:`\omega_j` on :math:`[2\pi/L, \text{max\_frequency}]` (from one
      cycle per series to the sampling limit :math:`\pi`) for a fraction ``oscillating`` of
      the blocks (0 for the rest: pure low-pass filters): three quarters log-uniform, a
      quarter drawn from the training inputs' own spectrum (the mean periodogram of each
      standardised channel, each with unit power, summed), so that a band that carries
      the classes has blocks near it whatever its width on the log scale;
    - inputs: each channel standardised with the training mean and deviation; the first
      differences (``derivative``) weighted by ``mean |z| / mean |dz|`` over the training
      steps, so that they have the size of the values whatever the sampling rate;
    - input weights :math:`c_j` Gaussian, each block reading one channel (and each other one
      with probability ``1 / n_inputs``), scaled so that a unit white-noise input gives each
      block unit variance;
    - ``n_thresholds`` thresholds per hidden unit at random quantiles of that unit's mean
      state on a random training series (MiniRocket's bias rule; drawn from the series
      sorted by content, so the order of the training set does not matter), at levels
      uniform on :math:`[q, 1 - q]`, :math:`q = \min(0.1, 4/L_i)` for a series of
      :math:`L_i` steps: the central 10%-90% up to 40 steps, out to the 4th most extreme
      state on long series (where a short pattern fills under a tenth of the steps);
    - ``subsample``: block :math:`j` is read every :math:`s_j` steps, the largest power of
      two :math:`\le 1/\max(\gamma_j, \omega_j)` (about once per radian of its phase or
      decay: a slow state is not re-read while it has barely moved), halved while more than
      1 % of its state's power (its filter applied to the mean periodogram of the training
      inputs) lies above :math:`\pi / s_j`, the frequency the reads would alias (a slow
      block driven by a period-8 input, read every 8 steps, saw the same phase at every
      read); blocks read fewer than 8 times on the longest series keep the first stride.
      Its features average those reads; its state still advances every step.

    Parameters
    ----------
    n_oscillators : int, default=500
        Number of 2-D blocks ``U`` (``2U`` hidden units).
    n_thresholds : int, default=4
        Thresholds ``b`` per hidden unit.
    noise : float, default=0.0
        Noise amplitude :math:`\sigma` (``0``: the noiseless limit, step/relu of the mean
        state; ``> 0``: the exact Gaussian averages above, about 10x slower).
    max_decay : float, default=1.0
        Largest decay rate per sample (shortest memory: ``1 / max_decay`` samples).
    max_memory : float, default=1.0
        Longest memory (time constant), as a fraction of the longest training series.
    max_frequency : float or None, default=None
        Largest angular frequency per sample, at most :math:`\pi` (``None``: :math:`\pi`).
    oscillating : float, default=0.75
        Fraction of blocks with a non-zero frequency.
    derivative : bool, default=True
        Also feed the (weighted) first differences of the standardised series as input
        channels.
    readout : {"step", "relu", "both", "none"}, default="both"
        The threshold readouts (``"none"``: none, only with ``linear=True``).
    pooling : {"mean", "mean+time"}, default="mean+time"
        ``"mean"``: the time average :math:`\frac1L\sum_t \mathbb{E} f(h_t)`;
        ``"mean+time"`` adds the time-weighted average
        :math:`\frac1L\sum_t \frac{t}{L}\,\mathbb{E} f(h_t)`, which tells when in the
        series a unit is above its threshold (the role of MultiRocket's "mean of indices of
        positive values").
    subsample : bool, default=True
        Read slow blocks every :math:`s_j` steps (the rule above); ``False``: every step.
    standardize : bool, default=True
        Standardise each channel with the training mean and standard deviation.
    linear : bool, default=False
        Also output the linear readouts: the averages of the mean states themselves,
        :math:`\frac1L\sum_t \mathbb{E}\, h_{r,t}` (and, with ``"mean+time"``, their
        time-weighted averages), over the same reads. Any linear functional of the series
        that the oscillators' filters span (its mean, a trend) is linear in them, which the
        threshold readouts only approximate.
    random_state : int, numpy Generator or None, default=None
        Seeds the network and the thresholds. Stored unmodified.
    n_jobs : int or None, default=None
        Threads over the series (``-1``: all cores). Results do not depend on it.

    Attributes
    ----------
    gamma_, omega_ : ndarray of shape (n_oscillators,)
        Decay rates and frequencies (blocks sorted by readout stride).
    strides_ : ndarray of shape (n_oscillators,)
        Readout strides :math:`s_j` (powers of two, non-decreasing).
    derivative_weight_ : ndarray of shape (m,)
        Weight of the first differences (with ``derivative``).
    input_weights_ : ndarray of shape (n_inputs, n_oscillators)
        :math:`c_j` by column (``n_inputs = 2m`` with ``derivative``).
    thresholds_ : ndarray of shape (2 * n_oscillators, n_thresholds)
        Thresholds per hidden unit (``x_j`` for row ``2j``, ``y_j`` for row ``2j + 1``).
    shift_, scale_ : ndarray of shape (m,)
        Standardisation.
    n_features_in_ : int
        Number of input channels ``m``.
    n_features_out_ : int
        ``2 U n_thresholds`` per threshold readout and pooling, plus ``2 U`` per pooling
        with ``linear``.

    See Also
    --------
    LinearSRNNClassifier, LinearSRNNRegressor : these features with a ridge readout.
    SRNNReservoir : a nonlinear SRNN, noise-averaged by Monte Carlo.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import LinearSRNNFeatures
    >>> X = np.random.default_rng(0).standard_normal((5, 40, 2))
    >>> feats = LinearSRNNFeatures(n_oscillators=10, n_thresholds=2, random_state=0)
    >>> feats.fit_transform(X).shape
    (5, 160)
    """

    _parameter_constraints: ClassVar[dict] = dict(_FEATURE_PARAMS)

    def __init__(self, n_oscillators: int = 500, *, n_thresholds: int = 4, noise: float = 0.0,
                 max_decay: float = 1.0, max_memory: float = 1.0,
                 max_frequency: float | None = None, oscillating: float = 0.75,
                 derivative: bool = True, readout: str = "both", pooling: str = "mean+time",
                 subsample: bool = True, standardize: bool = True, linear: bool = False,
                 random_state: Any = None, n_jobs: int | None = None) -> None:
        self.n_oscillators = n_oscillators
        self.n_thresholds = n_thresholds
        self.noise = noise
        self.max_decay = max_decay
        self.max_memory = max_memory
        self.max_frequency = max_frequency
        self.oscillating = oscillating
        self.derivative = derivative
        self.readout = readout
        self.pooling = pooling
        self.subsample = subsample
        self.standardize = standardize
        self.linear = linear
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any = None) -> LinearSRNNFeatures:
        """Draw the oscillators and the thresholds from the training series.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
            Series (unequal lengths as a list of ``(n_steps_i, m)`` arrays).
        y : ignored

        Returns
        -------
        self
        """
        return self._fit(X)

    def _fit(self, X: Any, channel_p: np.ndarray | None = None) -> LinearSRNNFeatures:
        """`fit`, with each oscillator reading channel ``c`` with probability
        ``channel_p[c]`` (the model shells' second network; ``None``: uniform)."""
        check_params(self)
        if self.readout == "none" and not self.linear:
            fail("readout", '"step", "relu" or "both" (or "none" with linear=True)',
                 self.readout)
        series = as_series_list(X)
        record_fit_input(self, series)
        self.shift_, self.scale_ = channel_scaling(series, self.standardize)
        check_not_constant(series, self.shift_, self.scale_)
        if self.derivative:
            self.derivative_weight_ = _derivative_weight(scaled(self, series))
        inputs = _prepare(self, series)
        n_in = inputs[0].shape[1]
        L = max(s.shape[0] for s in series)
        U = self.n_oscillators
        wide = self.n_thresholds > 2 * n_in + L          # the thresholds make the rows long
        check_memory("n_thresholds" if wide else "n_oscillators",
                     self.n_thresholds if wide else U, "the network's weights and thresholds",
                     (2 * U, 2 * n_in + self.n_thresholds + L))
        rng = as_generator(self.random_state, "random_state")

        self._draw_network(rng, L, n_in, channel_p, _input_spectra(inputs))

        # thresholds: random quantiles of each unit's mean state on a random training series,
        # reaching further into the tails on long series (_tail_levels)
        nb = self.n_thresholds
        # the series are picked in an order of their own content, not of their place in X:
        # the features do not depend on the order of the training set (found by fuzzing:
        # a permuted set moved decision scores by up to 0.25)
        pick = _content_order(inputs)[rng.integers(0, len(inputs), 2 * U)]
        levels = rng.uniform(*_QUANTILES, (2 * U, nb))
        B = np.empty((2 * U, nb))
        net = self._network()
        for i in np.unique(pick):
            units = np.flatnonzero(pick == i)
            B[units] = _quantiles(_unit_states(inputs[i], net, units),
                                  _tail_levels(levels[units], inputs[i].shape[0]))
        self.thresholds_ = B
        self.n_features_out_ = self._n_out(U)
        return self

    def _n_out(self, U: int) -> int:
        """Number of output columns for ``U`` oscillators."""
        pools = 2 if self.pooling == "mean+time" else 1
        n_thr = {"both": 2, "step": 1, "relu": 1, "none": 0}[self.readout]
        return 2 * U * pools * (n_thr * self.n_thresholds + (1 if self.linear else 0))

    def _draw_network(self, rng: np.random.Generator, L: int, n_in: int,
                      p: np.ndarray | None = None, spectra: np.ndarray | None = None
                      ) -> None:
        """Decay rates, frequencies, input weights and readout strides (sorted by stride);
        ``p``: the probability of an oscillator to read each channel (``None``: uniform);
        ``spectra``: the inputs' spectra, which draw a fraction of the frequencies
        (`_spectral_frequencies`) and cap the strides (`_alias_strides`)."""
        U = self.n_oscillators
        # decay rates below the smallest normal float are no decay over any series (memories
        # beyond 4e307 samples): max_memory=1e308 made 1 / (max_memory L) zero (log: a math
        # domain error) and a subnormal max_decay stopped the eigensolver
        tiny = float(np.finfo(np.float64).tiny)
        g_hi = max(float(self.max_decay), tiny)
        g_lo = max(min(1.0 / (self.max_memory * L), g_hi), tiny)
        gamma = np.exp(rng.uniform(math.log(g_lo), math.log(g_hi), U))
        w_hi = math.pi if self.max_frequency is None else float(self.max_frequency)
        w_lo = min(2.0 * math.pi / L, w_hi)
        omega = np.exp(rng.uniform(math.log(w_lo), math.log(w_hi), U)) if w_hi > 0 \
            else np.zeros(U)
        if spectra is not None and w_hi > 0:
            omega = _spectral_frequencies(rng, omega, spectra[:self.n_features_in_], w_lo, w_hi)
        omega *= rng.random(U) < self.oscillating
        C = rng.standard_normal((n_in, U))
        if n_in > 1 and p is None:
            mask = rng.random((n_in, U)) < min(1.0, _CHANNELS_PER_OSCILLATOR / n_in)
            mask[rng.integers(0, n_in, U), np.arange(U)] = True
            C *= mask
        elif n_in > 1:                              # values and differences share p
            p_in = np.tile(p, n_in // p.size) / (n_in // p.size)
            mask = rng.random((n_in, U)) < np.minimum(1.0, _CHANNELS_PER_OSCILLATOR * p_in)[:, None]
            mask[rng.choice(n_in, U, p=p_in / p_in.sum()), np.arange(U)] = True
            C *= mask
        strides = _strides(gamma, omega) if self.subsample else np.ones(U, dtype=np.int64)
        if spectra is not None and strides.max() > 1:
            capped = _alias_strides(strides, gamma, omega, C, spectra)
            strides = np.where(strides <= L // _MIN_READS, capped, strides)  # (_MIN_READS)
        order = np.argsort(strides, kind="stable")
        self.gamma_, self.omega_, self.strides_ = gamma[order], omega[order], strides[order]
        lam, kap = self._lam_kap()
        # 1 - |lam|^2 = -expm1(-2 gamma): for a slow oscillator (gamma below about 1e-16,
        # max_memory=1e300) |lam|^2 rounded above 1 and the weight was NaN (NaN features);
        # the old formula is kept where it is accurate, so the usual networks keep their bits
        g = self.gamma_
        damp = np.where(g < 1e-6, -np.expm1(-2.0 * g), 1.0 - np.abs(lam) ** 2)
        C = C[:, order] * (np.sqrt(damp) / np.abs(kap))[None, :]
        self.input_weights_ = C

    def _keep_oscillators(self, keep: np.ndarray) -> None:
        """Drop the oscillators where ``keep`` is False (used by the model shells)."""
        self.gamma_, self.omega_ = self.gamma_[keep], self.omega_[keep]
        self.strides_ = self.strides_[keep]
        self.input_weights_ = self.input_weights_[:, keep]
        self.thresholds_ = self.thresholds_[np.repeat(keep, 2)]
        self.set_params(n_oscillators=int(keep.sum()))

    def _lam_kap(self) -> tuple[np.ndarray, np.ndarray]:
        a = self.gamma_ - 1j * self.omega_
        lam = np.exp(-a)
        return lam, -np.expm1(-a) / a

    def _network(self) -> tuple[np.ndarray, ...]:
        """The compiled loops' view of the network: ``C, Re lam, Im lam, Re kap, Im kap``."""
        lam, kap = self._lam_kap()
        return (np.ascontiguousarray(self.input_weights_), lam.real.copy(), lam.imag.copy(),
                kap.real.copy(), kap.imag.copy())

    def _states(self, x: np.ndarray, net: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
        return _k.mean_states(np.ascontiguousarray(x), *(net or self._network()))

    def mean_states(self, x: Any) -> np.ndarray:
        r"""Mean hidden states :math:`m_t = \mathbb{E} h_t` of one series, ``(n_steps, 2U)``.

        Column ``2j`` is :math:`\mathbb{E} x_j`, column ``2j + 1`` is :math:`\mathbb{E} y_j`,
        after the input step ``t``.

        Parameters
        ----------
        x : array-like of shape (n_steps, m) or (n_steps,)

        Returns
        -------
        ndarray of shape (n_steps, 2 * n_oscillators)
        """
        check_is_fitted(self, "thresholds_")
        # one series' trajectory, of any length: no length rule
        x = as_series_list([np.asarray(x, float)], "x")
        return self._states(_prepare(self, x, lengths=False)[0])

    def stationary_std(self) -> np.ndarray:
        r"""Stationary standard deviation :math:`s = \sigma/\sqrt{2\gamma_j}` per hidden unit.

        Returns
        -------
        ndarray of shape (n_hidden,)
            :math:`s_j` for the units ``(x_0, y_0, x_1, y_1, ...)`` (the same for both units
            of an oscillator).
        """
        check_is_fitted(self, "thresholds_")
        s = self.noise / np.sqrt(2.0 * self.gamma_)
        return np.repeat(s, 2)

    def to_srnn(self):
        r"""The equivalent `srnnkit.SRNN` (inputs: the standardised channels, then differences).

        Hidden units are ordered ``(x_0, y_0, x_1, y_1, ...)`` there, as everywhere here
        (block-diagonal :math:`\Gamma`, :math:`c_j` on the row of :math:`x_j`,
        :math:`\sigma` = ``noise`` I), so that ``simulate(..., method="exact", dt=1)`` of the
        prepared inputs has the mean `mean_states`. Used by the tests as an independent check.

        Returns
        -------
        SRNN
        """
        from ..model import SRNN

        check_is_fitted(self, "thresholds_")
        U = self.n_oscillators
        n_in = self.input_weights_.shape[0]
        G = np.zeros((2 * U, 2 * U))
        Cm = np.zeros((2 * U, n_in))
        for j in range(U):
            g, w = self.gamma_[j], self.omega_[j]
            G[2 * j:2 * j + 2, 2 * j:2 * j + 2] = [[g, w], [-w, g]]
            Cm[2 * j] = self.input_weights_[:, j]
        sigma = self.noise * np.eye(2 * U)
        return SRNN(np.zeros((2 * U, 2 * U)), Cm, sigma, gamma=G, activation="identity",
                    readout=None)

    def transform(self, X: Any) -> np.ndarray:
        """Time-averaged readouts of every series.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list

        Returns
        -------
        ndarray of shape (n_series, ``n_features_out_``)
            Step features first (unit-major: ``r * n_thresholds + b``), then relu features,
            then (``"mean+time"``) the time-weighted step and relu features; with
            ``linear``, the averages of the mean states (unit ``r``) follow, then
            (``"mean+time"``) their time-weighted averages.
        """
        check_is_fitted(self, "thresholds_")
        return self._transform(as_series_list(X))

    def _transform(self, series: list[np.ndarray], lengths: bool = True) -> np.ndarray:
        """`transform` of a list of 2-D series (``lengths=False``: the caller has checked
        their lengths against fit's, so no `ShortSeriesWarning` from here)."""
        inputs = _prepare(self, series, lengths)
        n = len(inputs)
        check_memory("X", f"{n} series", "the features", (n, self.n_features_out_))
        return self._readouts(inputs, np.empty((n, self.n_features_out_)))

    def _readouts(self, inputs: list[np.ndarray], out: np.ndarray) -> np.ndarray:
        """Features of prepared ``inputs`` written into ``out[:len(inputs)]``."""
        n = len(inputs)
        offsets = np.zeros(n + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([z.shape[0] for z in inputs])
        Xs = np.ascontiguousarray(np.concatenate(inputs, axis=0))
        s = self.stationary_std()
        inv_s = np.where(s > 0, 1.0 / np.where(s > 0, s, 1.0), 0.0)
        args = (Xs, offsets)
        rest = (*self._network(), np.ascontiguousarray(self.thresholds_.T),
                inv_s, s, gaussian_tables(), _n_read(self.strides_),
                self.readout in ("step", "both"), self.readout in ("relu", "both"),
                self.pooling == "mean+time", bool(self.linear))
        threads = n_threads(self.n_jobs, n)
        cuts = np.linspace(0, n, (4 * threads if threads > 1 else 1) + 1).astype(int)
        tasks = [(a, b) for a, b in itertools.pairwise(cuts) if b > a]
        # each task writes its own rows of ``out``: the result does not depend on n_jobs
        Runner(threads, desc="series blocks").each(
            lambda ab: _k.pooled_readouts(*args, ab[0], ab[1], *rest, out), tasks)
        return out[:n]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``linearsrnnfeatures0, 1, ...`` of the output columns.

        Parameters
        ----------
        input_features : array-like of str, optional
            Checked to name one channel each, then unused (each feature mixes every
            channel); kept for scikit-learn.

        Returns
        -------
        ndarray of str objects, shape (``n_features_out_``,)
        """
        check_is_fitted(self, "n_features_out_")
        if input_features is not None:
            channel_names(self, input_features)
        return np.asarray([f"linearsrnnfeatures{i}" for i in range(self.n_features_out_)],
                          dtype=object)


class _LinearSRNNModel(SeriesInputMixin, BaseEstimator):
    """Shared shell: `LinearSRNNFeatures`, standardisation, ridge chosen by leave-one-out."""

    # with linear="auto", also the Gaussian readout of the linear readouts (the regressor)
    _kernel_readout = False

    _parameter_constraints: ClassVar[dict] = {
        **_FEATURE_PARAMS, "pooling": [StrOptions({"mean", "mean+time", "auto"})],
        "max_memory": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "linear": [StrOptions({"auto"}), "boolean"],
        "alphas": ["array-like", None]}

    def __init__(self, n_oscillators: int = 500, *, n_thresholds: int = 4, noise: float = 0.0,
                 max_decay: float = 1.0, max_memory: float | str = "auto",
                 max_frequency: float | None = None, oscillating: float = 0.75,
                 derivative: bool = True, readout: str = "both", pooling: str = "auto",
                 subsample: bool = True, standardize: bool = True,
                 linear: bool | str = "auto", alphas: Any = None, random_state: Any = None,
                 n_jobs: int | None = None) -> None:
        self.n_oscillators = n_oscillators
        self.n_thresholds = n_thresholds
        self.noise = noise
        self.max_decay = max_decay
        self.max_memory = max_memory
        self.max_frequency = max_frequency
        self.oscillating = oscillating
        self.derivative = derivative
        self.readout = readout
        self.pooling = pooling
        self.subsample = subsample
        self.standardize = standardize
        self.linear = linear
        self.alphas = alphas
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _check_y(self, y: Any) -> None:
        check_params(self)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None.")

    def _fit_readout(self, X: Any, Y: np.ndarray) -> None:
        """Features, their standardisation, and the ridge readout chosen by leave-one-out.

        ``pooling="auto"``: the features are computed with ``"mean+time"`` and the
        leave-one-out error decides whether the time-weighted half is kept.
        ``max_memory="auto"``: the network's memories reach the whole series, and the
        leave-one-out error decides whether the oscillators with a time constant beyond a
        quarter of it are kept. The oscillators left out are dropped from ``features_``.
        ``linear="auto"``: the linear readouts are computed too, and the leave-one-out error
        decides among the threshold readouts, the linear ones, and both (the linear ones
        weighted to the threshold ones' total variance); the readouts left out are dropped
        from ``features_``. Several channels: see `_channel_candidates`; when a
        channel-weighted candidate wins, a second network whose blocks read the channels in
        proportion to their relevance is drawn, and leave-one-out decides between the first
        network's choice (listed first: simpler) and the second's candidates. The regressor
        with ``linear="auto"``: then between that choice (listed first) and the Gaussian
        readouts of the linear readouts (`_kernel_readout_choice`).
        """
        alphas = None if self.alphas is None else check_array(
            "alphas", self.alphas, ndim=(0, 1), shape_text="(n_alphas,)").ravel()
        if alphas is not None and (alphas.size == 0 or np.any(alphas <= 0)):
            fail("alphas", "a non-empty array of positive penalties", self.alphas)
        first = self._readout_problem(X, Y, None)
        fit = ridge_loo(first.F, Y, first.groups, first.candidates, alphas,
                        relative=alphas is None, weights=first.weights,
                        column_weights=first.colw)
        rel = first.rel
        won, errors = first, fit.errors
        if first.labels[fit.candidate][-1]:                   # a channel-weighted candidate
            second = self._readout_problem(X, Y, rel / rel.sum(), rel)
            c = fit.candidate
            cols1 = np.concatenate([first.groups[g] for g in first.candidates[c]])
            w1 = np.concatenate([(np.ones(first.groups[g].size) if first.colw[g] is None
                                  else first.colw[g]) * w
                                 for g, w in zip(first.candidates[c], first.weights[c],
                                                 strict=True)])
            k1 = cols1.size
            both = ridge_loo(np.hstack([first.F[:, cols1], second.F]), Y,
                             [np.arange(k1)] + [g + k1 for g in second.groups],
                             [[0]] + [[g + 1 for g in cand] for cand in second.candidates],
                             alphas, relative=alphas is None,
                             weights=[[1.0], *second.weights],
                             column_weights=[w1] + [None] * len(second.groups))
            errors = np.vstack([fit.errors, both.errors])
            if both.candidate > 0:
                won, fit = second, both
                fit.candidate -= 1
        kernel = None
        if self._kernel_readout and isinstance(self.linear, str) and won.lin_cols.size:
            fit.errors = errors
            fit, kernel = self._kernel_readout_choice(won, fit, Y, alphas)
            errors = fit.errors
        self._set_readout(won, fit, errors, kernel)

    def _readout_problem(self, X: Any, Y: np.ndarray, channel_p: np.ndarray | None = None,
                         rel: np.ndarray | None = None) -> Any:
        """The features of a network (blocks reading the channels with probabilities
        ``channel_p``; ``None``: uniform), standardised, and their readout candidates (with
        the channel-weighted ones for a uniform network, whose channel relevances it
        measures; a drawn network keeps ``rel``, those of the uniform one)."""
        from types import SimpleNamespace

        params = {k: getattr(self, k) for k in _FEATURE_PARAMS}
        pool_auto, mem_auto = self.pooling == "auto", self.max_memory == "auto"
        lin_auto = isinstance(self.linear, str)               # "auto"
        lin_on = not lin_auto and bool(self.linear)
        params["linear"] = lin_on or lin_auto
        if pool_auto:
            params["pooling"] = "mean+time"
        if mem_auto:
            params["max_memory"] = 1.0
        feats = LinearSRNNFeatures(**params)
        F = feats._fit(X, channel_p).transform(X)
        self.n_features_in_ = feats.n_features_in_
        mean, scale = _standardize(F)
        # standardised: a varying column has SD 1 (its largest size from F's largest and
        # smallest values: np.abs(F) was a copy of the matrix)
        if not np.maximum(abs(F.max(initial=0.0)), abs(F.min(initial=0.0))) > 1e-8:
            from ._kernel_ridge import NearConstantGramWarning

            warnings.warn(f"every feature of {type(self).__name__} is constant over the "
                          f"training series (noise={self.noise:g} may drown the input): the "
                          "readout predicts from the intercept alone.",
                          NearConstantGramWarning, stacklevel=4)
        L = max(x.shape[0] for x in X)
        U = feats.n_oscillators
        short = (1.0 / feats.gamma_ <= _SHORT_MEMORY * L) if mem_auto else np.ones(U, bool)
        groups = _column_groups(feats, F.shape[1], short, pool_auto)
        power = [_sum_squares(F[:, g]) for g in groups]
        mem_sets = []
        if mem_auto and short.any() and not short.all():
            mem_sets.append((short, [0]))
        mem_sets.append((np.ones(U, dtype=bool), [0, 1]))
        candidates, weights, labels = _readout_candidates(groups, power, mem_sets, lin_on,
                                                          lin_auto, pool_auto)
        lin_cols = np.sort(np.concatenate(groups[4:8]))
        if channel_p is None:
            rel, groups, candidates, weights, labels, colw = _channel_candidates(
                feats, F, Y, groups, candidates, weights, labels)
        else:
            colw = [None] * len(groups)
            labels = [(*lab, False) for lab in labels]
        return SimpleNamespace(feats=feats, F=F, mean=mean, scale=scale, groups=groups,
                               candidates=candidates, weights=weights, labels=labels,
                               colw=colw, rel=rel, lin_cols=lin_cols,
                               channel_p=channel_p, pool_auto=pool_auto)

    def _kernel_readout_choice(self, won: Any, fit: Any, Y: np.ndarray,
                               alphas: np.ndarray | None) -> tuple[Any, Any]:
        """Leave-one-out between the chosen readout ``fit`` and the Gaussian readouts of the
        linear readouts of the non-oscillating blocks (``omega_ == 0``; `_kernel_candidates`,
        the widest, smoothest one listed first). A non-oscillating block's time average is a
        low-pass filter of the series' level; an oscillating one's is small at any level and
        mostly noise, which made the Gaussian kernel of all the blocks' averages 2-180x
        less accurate (the square of the mean at L = 500: 0.0036 against 0.00002).

        The best Gaussian readout (by the one-standard-error rule among the widths) replaces
        the choice only when the choice's leave-one-out error exceeds its own by more than
        the standard error of their paired per-series difference (the choice counts as the
        simpler one). Returns ``(fit, kernel)``: ``fit`` unchanged and ``None`` (the choice,
        every bit of it, as without the Gaussian readouts), or the Gaussian readout's fit and
        ``(width, seed, column means, blocks kept, their columns)``; ``fit.errors`` gains
        one row per width either way.
        """
        still = won.feats.omega_ == 0
        if not still.any():
            return fit, None
        cols = won.lin_cols[_per_column(won.feats, won.F.shape[1], still)[1][won.lin_cols]]
        seed = int(as_generator(self.random_state, "random_state").integers(2**63))
        blocks, widths, means = _kernel_candidates(won.F, cols, seed)
        D = _KERNEL_FEATURES
        kern = ridge_loo(np.hstack(blocks), Y, [j * D + np.arange(D) for j in range(len(blocks))],
                         [[j] for j in range(len(blocks))], alphas, relative=alphas is None)
        errors = np.vstack([fit.errors, kern.errors])
        e0, e1 = fit.per_sample, kern.per_sample
        se = mean_se(e0 - e1)
        if not np.mean(e0) > np.mean(e1) + se:
            fit.errors = errors
            return fit, None
        kern.errors = errors
        j = kern.candidate
        return kern, (widths[j], seed, means[j], still, cols)

    def _set_readout(self, won: Any, fit: Any, errors: np.ndarray,
                     kernel: tuple | None = None) -> None:
        """The fitted attributes from the chosen problem ``won`` and its ``fit`` (with
        ``kernel``, ``(width, seed, column means, blocks kept, their columns)``, the
        Gaussian readout of the linear readouts of the blocks kept)."""
        feats = won.feats
        self.kernel_width_, self.kernel_seed_, self.kernel_mean_ = (kernel or (None,) * 3)[:3]
        if kernel is None:
            osc, timed, use_thr, use_lin, by_channel = won.labels[fit.candidate]
            chosen = np.concatenate([won.groups[g] for g in won.candidates[fit.candidate]])
            order = np.argsort(chosen, kind="stable")            # back to the feature layout
            cols, coef = chosen[order], fit.coef[:, order]
        else:            # the linear readouts of the non-oscillating blocks, both poolings
            osc, timed, use_thr, use_lin, by_channel = (
                kernel[3], won.pool_auto, False, True, False)
            cols, coef = kernel[4], fit.coef
        if won.pool_auto:
            feats.set_params(pooling="mean+time" if timed else "mean")
        feats.set_params(linear=use_lin, readout=self.readout if use_thr else "none")
        if not osc.all():
            feats._keep_oscillators(osc)
        feats.n_features_out_ = cols.size
        self.features_ = feats
        self.pooling_ = feats.pooling
        self.linear_ = use_lin
        self.max_memory_ = float(_SHORT_MEMORY if kernel is None and not osc.all()
                                 else feats.max_memory)
        self.feature_mean_, self.feature_scale_ = won.mean[cols], won.scale[cols]
        self.coef_, self.intercept_ = coef, fit.intercept
        self.alpha_ = fit.alpha
        self.cv_errors_ = errors
        rel = won.rel
        self.channel_relevance_ = rel
        self.channel_weights_ = np.sqrt(rel / rel.max()) if by_channel \
            else np.ones(rel.size)
        m = rel.size
        self.channel_probabilities_ = np.full(m, 1.0 / m) if won.channel_p is None \
            else won.channel_p

    def _scores(self, X: Any) -> np.ndarray:
        """Readout scores ``(n_series, n_outputs)``, in blocks of series: the feature matrix
        is never formed whole.

        The standardisation is folded into the weights,
        ``((F - mean) / scale) W + c = F (W / scale) + (c - (mean / scale) W)``.
        """
        check_is_fitted(self, "coef_")
        feats = self.features_
        inputs = _prepare(feats, as_series_list(X))
        coef = np.atleast_2d(self.coef_)                            # (n_outputs, n_features)
        kernel = getattr(self, "kernel_width_", None) is not None   # the Gaussian readout
        # blocks of at most 2^24 values of the features (and of the Fourier features)
        width = max(1, feats.n_features_out_, _KERNEL_FEATURES if kernel else 0)
        block = max(1, min(len(inputs), (1 << 24) // width))
        buf = np.empty((block, feats.n_features_out_))
        if kernel:
            c = np.atleast_1d(self.intercept_) - self.kernel_mean_ @ coef.T
            parts = [_fourier_features((feats._readouts(inputs[a:a + block], buf)
                                        - self.feature_mean_) / self.feature_scale_,
                                       self.kernel_seed_, [self.kernel_width_])[0] @ coef.T + c
                     for a in range(0, len(inputs), block)]
            return np.concatenate(parts, axis=0)
        W = (coef / self.feature_scale_).T
        c = np.atleast_1d(self.intercept_) - (self.feature_mean_ / self.feature_scale_) @ coef.T
        parts = [feats._readouts(inputs[a:a + block], buf) @ W + c
                 for a in range(0, len(inputs), block)]
        return np.concatenate(parts, axis=0)


_SHELL_DOC = """
    Parameters
    ----------
    n_oscillators, n_thresholds, noise, max_decay, max_frequency, oscillating : see
        `LinearSRNNFeatures`.
    derivative, readout, subsample, standardize, random_state, n_jobs : see
        `LinearSRNNFeatures`.
    max_memory : float or "auto", default="auto"
        A float: as in `LinearSRNNFeatures`. ``"auto"``: memories up to the whole series,
        and leave-one-out decides whether the blocks with a time constant beyond a quarter of
        it are kept (they are dropped from ``features_`` otherwise).
    pooling : {"mean", "mean+time", "auto"}, default="auto"
        As in `LinearSRNNFeatures`; ``"auto"``: leave-one-out decides whether the
        time-weighted averages are kept. The "auto" candidates are scored by exact
        leave-one-out at their best penalty and the simplest one within one standard error
        of the best wins (short memories and plain averages count as simpler).
    linear : bool or "auto", default="auto"
        The linear readouts of `LinearSRNNFeatures` (the averages of the mean states).
        ``True``: beside the threshold readouts, one penalty for all; ``False``: not used;
        ``"auto"``: leave-one-out decides, among the threshold readouts alone (listed
        first, so counted as simpler), the linear readouts alone (all memories), and both
        with the linear ones weighted to the same total variance as the threshold ones (a
        penalty scale of their own). Linear-only readouts drop the threshold features
        (``features_.readout == "none"``). `LinearSRNNRegressor` with ``"auto"`` then
        compares the choice (listed first) with a *Gaussian readout*: ridge on random
        Fourier features of the standardised linear readouts of the non-oscillating blocks
        (kernel ridge with a Gaussian kernel of their time-averaged mean states, for
        targets that are smooth nonlinear functions of a series' level), at squared
        widths 64, 16, 4, 1 times the mean squared distance of two training rows (the
        widest counted as the simplest); it
        replaces the choice only when its leave-one-out error is lower by more than one
        standard error of their paired difference.
    alphas : array-like or None, default=None
        Ridge penalties tried by efficient leave-one-out on the training set. ``None``:
        ``logspace(-7, 1, 17)`` times the mean eigenvalue :math:`\\operatorname{tr}(G)/n` of
        each candidate's (centred) Gram matrix, a grid relative to the features' own scale.

    Attributes
    ----------
    features_ : LinearSRNNFeatures
        The fitted transformer (with the chosen pooling and blocks).
    pooling_ : str
        The pooling in use.
    linear_ : bool
        Whether the linear readouts are used.
    max_memory_ : float
        The longest memory kept, as a fraction of the longest training series.
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        Standardisation of the features.
    coef_, intercept_ : ndarray
        The ridge readout (unpenalised intercept); over the random Fourier features when
        ``kernel_width_`` is set.
    alpha_ : float
        The penalty chosen by leave-one-out.
    channel_relevance_ : ndarray of shape (n_channels,)
        Per channel, the fraction of the intercept's leave-one-out error that the features of
        the blocks reading mainly that channel remove alone (1 for one channel). When some
        channel scores 0 and some more, every candidate below has a copy with channel ``c``'s
        features weighted by ``sqrt(channel_relevance_[c] / max)`` (listed after them).
    channel_weights_ : ndarray of shape (n_channels,)
        The channel weights of the chosen candidate (all 1 unless a weighted copy won).
    channel_probabilities_ : ndarray of shape (n_channels,)
        The probability of a block of ``features_`` to read each channel: uniform, or
        ``channel_relevance_ / sum`` when a weighted copy won and then the candidates of a
        second network drawn with these probabilities won against it.
    kernel_width_ : float or None
        `LinearSRNNRegressor`: the squared width of the Gaussian readout, in units of the
        standardised linear readouts of ``features_`` (``feature_mean_``,
        ``feature_scale_``; then ``features_`` keeps the non-oscillating blocks alone);
        ``None`` when a linear readout won (always for the classifier).
    kernel_seed_ : int or None
        The seed the random Fourier features are drawn from again at predict time.
    kernel_mean_ : ndarray of shape (2048,) or None
        The training mean of each random Fourier feature, subtracted before ``coef_``.
    cv_errors_ : ndarray of shape (n_candidates, n_alphas)
        Mean squared leave-one-out error of each candidate (readouts, memory, pooling,
        channel weights) and penalty; when a second network was drawn, its rows follow
        (the first network's choice, then its candidates); `LinearSRNNRegressor` with
        ``linear="auto"``: then one row per width of the Gaussian readout (widest first)
        (`LinearSRNNRegressor` with several targets: summed over them, each in units of its
        standard deviation).
    n_features_in_ : int
        Number of input channels.
"""


class LinearSRNNClassifier(SeriesScoreMixin, ClassifierMixin, _LinearSRNNModel):
    __doc__ = r"""Time-series classifier: `LinearSRNNFeatures`, standardisation, ridge.

    A one-line classifier on the exact noise-averaged readouts of a random linear SRNN; the
    readout alone is trained, by ridge regression on one-vs-rest :math:`\pm 1` targets with
    an unpenalised intercept, the penalty, the pooling and the longest memory chosen by
    exact leave-one-out on the training set (one eigendecomposition per candidate). On the
    development panel of benchmarks/learning.md it matches aeon's MiniRocket on average, at
    a similar cost.
""" + _SHELL_DOC + r"""
    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import LinearSRNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 1, 50)
    >>> X = np.stack([np.sin(2 * np.pi * (1 + k % 2) * t) + 0.3 * rng.standard_normal(50)
    ...               for k in range(40)])
    >>> y = np.arange(40) % 2
    >>> clf = LinearSRNNClassifier(n_oscillators=50, random_state=0).fit(X[:30], y[:30])
    >>> float(clf.score(X[30:], y[30:]))
    1.0
    """

    def fit(self, X: Any, y: Any) -> LinearSRNNClassifier:
        """Fit the features and the ridge readout.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
        y : array-like of shape (n_series,)
            Class labels.

        Returns
        -------
        self
        """
        self._check_y(y)
        X = as_series_list(X)
        self._fit_readout(X, sign_targets(self, y, len(X)))
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Ridge scores per class.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps) or (n_series, n_steps, n_channels)
            Time series (or a list of series of different lengths), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_series, n_classes), or (n_series,) for two classes
            The ridge scores (for two classes, the score of the second class).
        """
        scores = self._scores(X)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (the sign of the score for two classes, else its arg-max).

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps) or (n_series, n_steps, n_channels)
            Time series (or a list of series of different lengths), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_series,)
            One label of ``classes_`` per series.
        """
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]


class LinearSRNNRegressor(SeriesScoreMixin, MultiOutputMixin, RegressorMixin,
                          _LinearSRNNModel):
    __doc__ = r"""Time-series regressor: `LinearSRNNFeatures`, standardisation, ridge.

    Predicts a scalar (or vector) target per series by ridge regression on the exact
    noise-averaged readouts of a random linear SRNN, with the penalty, the pooling and the
    longest memory chosen by exact leave-one-out (as `LinearSRNNClassifier`).
""" + _SHELL_DOC.replace(
        "n_oscillators, n_thresholds,", "n_thresholds,").replace(
        "    Parameters\n    ----------\n", """    Parameters
    ----------
    n_oscillators : int, default=1000
        As in `LinearSRNNFeatures`; twice the classifier's default. A continuous target
        feels the random network's draw in every prediction, not only through a class
        boundary: on Tecator the test RMSE over 20 seeds was 0.765 +- 0.017 (seed spread
        0.08) with 500 oscillators and 0.687 +- 0.011 with 1000, at about 1.7x the fit time.
""") + r"""
    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import LinearSRNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 1, 50)
    >>> f = rng.uniform(1, 4, 60)                          # target: each series' frequency
    >>> X = np.sin(2 * np.pi * f[:, None] * t) + 0.1 * rng.standard_normal((60, 50))
    >>> reg = LinearSRNNRegressor(n_oscillators=100, random_state=0).fit(X[:45], f[:45])
    >>> bool(reg.score(X[45:], f[45:]) > 0.95)
    True
    """

    _kernel_readout = True

    def __init__(self, n_oscillators: int = 1000, *, n_thresholds: int = 4, noise: float = 0.0,
                 max_decay: float = 1.0, max_memory: float | str = "auto",
                 max_frequency: float | None = None, oscillating: float = 0.75,
                 derivative: bool = True, readout: str = "both", pooling: str = "auto",
                 subsample: bool = True, standardize: bool = True,
                 linear: bool | str = "auto", alphas: Any = None, random_state: Any = None,
                 n_jobs: int | None = None) -> None:
        super().__init__(n_oscillators, n_thresholds=n_thresholds, noise=noise,
                         max_decay=max_decay, max_memory=max_memory,
                         max_frequency=max_frequency, oscillating=oscillating,
                         derivative=derivative, readout=readout, pooling=pooling,
                         subsample=subsample, standardize=standardize, linear=linear,
                         alphas=alphas, random_state=random_state, n_jobs=n_jobs)

    def fit(self, X: Any, y: Any) -> LinearSRNNRegressor:
        """Fit the features and the ridge readout.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
        y : array-like of shape (n_series,) or (n_series, n_targets)

        Returns
        -------
        self
        """
        self._check_y(y)
        X = as_series_list(X)
        y = check_targets(y, len(X))
        Y = y.reshape(y.shape[0], -1)
        # several targets: chosen for in units of each target's deviation, so that each
        # counts alike and the units of one do not change the predictions of another
        tscale = target_scales(Y)
        self._fit_readout(X, Y / tscale)
        self.coef_, self.intercept_ = self.coef_ * tscale[:, None], self.intercept_ * tscale
        if y.ndim == 1:
            self.coef_, self.intercept_ = self.coef_[0], float(self.intercept_[0])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps) or (n_series, n_steps, n_channels)
            Time series (or a list of series of different lengths), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_series,) or (n_series, n_targets)
            The ridge predictions, in the targets' own units.
        """
        scores = self._scores(X)
        return scores[:, 0] if np.ndim(self.coef_) == 1 else scores
