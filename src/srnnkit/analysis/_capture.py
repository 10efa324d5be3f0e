r"""How much of a network's mean output on test inputs its Volterra series captures.

For each test series :math:`w` and amplitude :math:`\varepsilon`, the Monte Carlo truth is
the input-driven part of the mean output, :math:`Y(\varepsilon) = E f^{\varepsilon w}(h_t) -
E f^0(h_t)`, from paths started in the stationary law with common random numbers (the same
start and noise with and without the input, so :math:`Y` carries no noise of its own at
:math:`\varepsilon = 0`). The series truncated at order n predicts
:math:`\sum_{k\le n}\varepsilon^k V_k(t)` (docs/theory.md (2.4)); its relative error on a
series,

.. math:: e_n(\varepsilon) = \frac{\|Y(\varepsilon) - \sum_{k\le n}\varepsilon^kV_k\|}
          {\|Y(\varepsilon)\|},

is taken over every step of the series and every output, and summarised by its median over
the test series (a few series with extreme inputs do not decide it; the pooled error is
kept too). The series contracts the kernels after :func:`shrink_weights` (on by default):
each entry is multiplied by :math:`\max(0, 1 - s^2/\hat r^2)`, its own standard error
:math:`s` against its value, so that the estimation noise of the many unresolved entries of
a second-order kernel does not add up in the prediction. A convergent series has
:math:`e_1 \propto \varepsilon` and :math:`e_2 \propto \varepsilon^2` at small amplitude and
:math:`e_2 < e_1`; past its radius of convergence, order 2 stops helping.

The same noise also drives every series at :math:`-\varepsilon` (``odd_even=True``), which
splits the truth into its odd part :math:`O = (Y(\varepsilon) - Y(-\varepsilon))/2` (orders
1, 3, 5, ...) and its even part :math:`E = (Y(\varepsilon) + Y(-\varepsilon))/2` (orders 2,
4, ...). Order 2 can only fix the even part, so :math:`\|O - \varepsilon V_1\|/\|Y\|`
(what the odd orders 3 and higher leave) is a floor that no order-2 term lowers, and
:math:`\|E - \varepsilon^2V_2\|/\|Y\|` against :math:`\|E\|/\|Y\|` says how well the
order-2 term models the part it is for.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._ensemble import pad_series

__all__ = ["VolterraCapture", "volterra_capture"]

#: bootstrap resamples of the test series for the standard errors of the medians
BOOTSTRAP = 400
#: the odd/even split's medians and their standard errors (NaN without the runs at -eps)
ODD_EVEN_FIELDS = ("odd_error1", "even_part", "even_error2", "odd_error1_stderr",
                   "even_part_stderr", "even_error2_stderr")


@dataclass
class VolterraCapture:
    r"""Truncation errors of a network's Volterra series on test inputs.

    Parameters
    ----------
    amplitudes : ndarray of shape (A,)
        Input scalings :math:`\varepsilon` (1 = the data as given).
    error1, error2 : ndarray of shape (A,)
        Median over the test series of the relative errors :math:`e_1, e_2` of the order-1
        and order-1+2 series (each series' error over its steps and outputs).
    error1_stderr, error2_stderr : ndarray of shape (A,)
        Their standard errors (bootstrap over the test series).
    floor : ndarray of shape (A,)
        Median relative error that the noise alone would give (Monte Carlo and kernel
        standard errors): errors at the floor are not resolved.
    converges : ndarray of shape (A,) of bool
        The median of :math:`e_1 - e_2` over the series exceeds two (bootstrap) standard
        errors: order 2 beats order 1.
    improved : ndarray of shape (A,)
        Fraction of the test series whose order-2 error is below its order-1 error.
    error1_pooled, error2_pooled : ndarray of shape (A,)
        The errors pooled over all series (dominated by the series with the largest
        response).
    response_rms : ndarray of shape (A,)
        RMS of :math:`Y`.
    order2_fit : ndarray of shape (A,)
        Median over the series of the least-squares multiple
        :math:`c = \langle Y - \varepsilon V_1, \varepsilon^2 V_2\rangle /
        \|\varepsilon^2 V_2\|^2` of the order-2 term in what order 1 leaves: near 1 where
        the order-2 term is right and higher orders are small; adding the term lowers a
        series' error only when :math:`c > 1/2`. Kernel noise pulls it below 1 at every
        amplitude, higher orders that cancel the order-2 term pull it down at large ones
        (0 where the order-2 term vanishes).
    per_series : ndarray of shape (3, A, S)
        :math:`e_1`, :math:`e_2` and the noise floor of each series.
    ts : ndarray of shape (N+1,)
    example : dict
        The first test series: ``"Y"``, ``"Y_stderr"`` (A, N+1, p), ``"V1"``, ``"V2"``
        (N+1, p) at unit amplitude, ``"length"``.
    n_series, n_paths, second_lags : int
    stationary_mean_outputs : ndarray of shape (S, p)
        :math:`E f(h_L)` at each test series' last step, started in the stationary law
        (amplitude 1; NaN when 1 is not among the amplitudes).
    shrunk : bool
        The kernels were shrunk entry by entry (:func:`shrink_weights`) before contraction.
    odd_error1, even_part, even_error2 : ndarray of shape (A,)
        From the runs at :math:`-\varepsilon` (same noise), medians over the series of
        :math:`\|O - \varepsilon V_1\|/\|Y\|` (the odd orders 3 and higher: a floor that no
        order-2 term lowers), :math:`\|E\|/\|Y\|` (all that order 2 can fix) and
        :math:`\|E - \varepsilon^2 V_2\|/\|Y\|` (order 2 against the even part), with
        :math:`O, E` the odd and even parts of :math:`Y` (module docstring) and each norm
        over the series' steps and outputs. NaN when ``odd_even=False``.
    odd_error1_stderr, even_part_stderr, even_error2_stderr : ndarray of shape (A,)
        Their bootstrap standard errors over the test series (NaN when ``odd_even=False``).
    odd_even_per_series : ndarray of shape (3, A, S)
        The three ratios per series (NaN when ``odd_even=False``).
    odd_even : bool
        The runs at :math:`-\varepsilon` were made (the three fields above are measured).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> from srnnkit.analysis import volterra_capture
    >>> r1 = sk.response.linear_response(model, dt=0.1, n_lags=20, discrete=True)
    >>> r2 = sk.response.second_order_response(model, dt=0.1, n_lags=5, discrete=True)
    >>> r1.stderr, r2.stderr = 0 * r1.values, 0 * r2.values     # exact kernels
    >>> rng = np.random.default_rng(0)
    >>> series = [rng.standard_normal((20, 1)) for _ in range(3)]
    >>> cap = volterra_capture(model, 0.1, series, [(r1, r2), (r1, r2)],
    ...                        np.zeros((3, 16, 1)), seed=0)
    >>> bool(cap.error1.max() < 1e-9)          # a linear chain: order 1 is exact
    True
    """

    amplitudes: np.ndarray
    error1: np.ndarray
    error2: np.ndarray
    error1_stderr: np.ndarray
    error2_stderr: np.ndarray
    floor: np.ndarray
    converges: np.ndarray
    improved: np.ndarray
    error1_pooled: np.ndarray
    error2_pooled: np.ndarray
    response_rms: np.ndarray
    order2_fit: np.ndarray
    per_series: np.ndarray
    ts: np.ndarray
    example: dict
    n_series: int
    n_paths: int
    second_lags: int
    stationary_mean_outputs: np.ndarray
    shrunk: bool = False
    odd_error1: np.ndarray = field(default=None)          # type: ignore[assignment]
    even_part: np.ndarray = field(default=None)           # type: ignore[assignment]
    even_error2: np.ndarray = field(default=None)         # type: ignore[assignment]
    odd_error1_stderr: np.ndarray = field(default=None)   # type: ignore[assignment]
    even_part_stderr: np.ndarray = field(default=None)    # type: ignore[assignment]
    even_error2_stderr: np.ndarray = field(default=None)  # type: ignore[assignment]
    odd_even_per_series: np.ndarray = field(default=None)  # type: ignore[assignment]
    odd_even: bool = False

    def __post_init__(self) -> None:
        A = np.shape(self.amplitudes)[0]
        S = np.shape(self.per_series)[-1] if self.per_series is not None else 0
        for name in ODD_EVEN_FIELDS:
            if getattr(self, name) is None:
                setattr(self, name, np.full(A, np.nan))
        if self.odd_even_per_series is None:
            self.odd_even_per_series = np.full((3, A, S), np.nan)

    @property
    def converges_at_data(self) -> bool:
        """Order 2 beats order 1 at the data's own amplitude (``amplitudes == 1``)."""
        hit = np.isclose(self.amplitudes, 1.0)
        return bool(self.converges[hit].any()) if hit.any() else False

    @property
    def largest_converging(self) -> float | None:
        """The largest amplitude at which order 2 beats order 1, or None."""
        ok = self.amplitudes[self.converges]
        return float(ok.max()) if ok.size else None


def _series_terms(batches: list[tuple[Any, Any]], series: list[np.ndarray], p: int,
                  N: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unit-amplitude terms ``V`` (S, 2, N+1, p) from the mean kernel and their batch SE
    (``N``: the padded length, by default the longest of ``series``), one series at a time
    (the batches' terms of every series at once held 2 n_batches floats per step and
    output)."""
    from ..response import VolterraSeries

    N = max(s.shape[0] for s in series) if N is None else N
    B = len(batches)
    mean, se = np.zeros((2, len(series), 2, N + 1, p))
    with warnings.catch_warnings():          # a second-order window shorter than the series
        warnings.simplefilter("ignore", UserWarning)
        sums = [VolterraSeries(first, second, mean=np.zeros(p)) for first, second in batches]
        for s, w in enumerate(series):
            per = np.zeros((B, 2, N + 1, p))
            for b, vs in enumerate(sums):
                per[b, :, :w.shape[0] + 1] = vs.terms(w)
            mean[s], se[s] = per.mean(axis=0), per.std(axis=0, ddof=1) / np.sqrt(B)
    return mean, se


def volterra_capture(model: Any, dt: float, series: list[np.ndarray],
                     batches: list[tuple[Any, Any]], h0: np.ndarray, *,
                     amplitudes: Any = (1.0, 0.5, 0.25, 0.125), seed: Any = None,
                     shrink: bool = True, odd_even: bool = True) -> VolterraCapture:
    r"""Volterra series of ``model`` against common-random-numbers Monte Carlo on test series.

    The truncation errors :math:`e_1, e_2` of the module docstring, per series and amplitude.

    Parameters
    ----------
    model : SRNN
    dt : float
        The Euler-Maruyama step (the kernels' lag spacing).
    series : list of ndarray of shape (L_i, m)
        S test series in the network's own units.
    batches : list of (ResponseFunction, ResponseFunction)
        Independent (first-order, second-order) kernel estimates; their mean is the series'
        kernel and their spread its standard error (two or more).
    h0 : ndarray of shape (S, P, n)
        Starting states of the P paths of each series (stationary draws).
    amplitudes : sequence of float, default=(1.0, 0.5, 0.25, 0.125)
        Input scalings :math:`\varepsilon`.
    seed : int, Generator, SeedSequence or None
        The paths' noise (shared by every amplitude of a series).
    shrink : bool, default=True
        Multiply each kernel entry by the :func:`shrink_weights` of the batches' pooled
        estimate (its value against its standard error) before contracting; False contracts
        the raw mean kernel.
    odd_even : bool, default=True
        Also run every series at :math:`-\varepsilon` with the same noise and split the
        truth into its odd and even parts (``odd_error1``, ``even_part``, ``even_error2``);
        the Monte Carlo then runs :math:`1 + 2A` input variants instead of :math:`1 + A`.
        False skips those runs and leaves the three NaN; the other fields do not depend on it.

    Returns
    -------
    VolterraCapture

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> from srnnkit.analysis import volterra_capture
    >>> r1 = sk.response.linear_response(model, dt=0.1, n_lags=20, discrete=True)
    >>> r2 = sk.response.second_order_response(model, dt=0.1, n_lags=5, discrete=True)
    >>> r1.stderr, r2.stderr = 0 * r1.values, 0 * r2.values     # exact kernels
    >>> rng = np.random.default_rng(0)
    >>> series = [rng.standard_normal((20, 1)) for _ in range(3)]
    >>> cap = volterra_capture(model, 0.1, series, [(r1, r2), (r1, r2)],
    ...                        np.zeros((3, 16, 1)), seed=0)
    >>> bool(cap.error1.max() < 1e-9)          # a linear chain: order 1 is exact
    True
    """
    from ._ensemble import BLOCK_FLOATS, crn_guard, crn_outputs, largest_input_row

    amps = np.asarray(amplitudes, dtype=float)
    lengths = np.array([w.shape[0] for w in series], dtype=int)
    S, N = len(series), int(lengths.max())
    if shrink:
        from ._kernels import shrink_batches

        batches = shrink_batches(batches)
    V, V_se = _series_terms(batches, series, model.n_outputs, N)
    U = pad_series(series, N)[0]
    signed = np.concatenate([[0.0], amps, -amps if odd_even else []])

    def variants(chunk: slice, j0: int, j1: int) -> np.ndarray:
        return signed[:, None, None, None] * U[None, chunk, j0:j1]

    # the variants are multiples of the series: the largest row, scaled, for the guard
    row = float(np.abs(signed).max()) * largest_input_row(model, [U])
    acc = _Truth(amps, V, V_se, lengths, h0.shape[1], odd_even,
                 min(N + 1, max(1, BLOCK_FLOATS // (3 * amps.size * S * model.n_outputs))))
    crn_outputs(model, dt, variants, h0, seed, acc.reduce, shape=(signed.size, S, N),
                guard=crn_guard(model, dt, row, h0, N))
    # the same bootstrap resamples for every median (drawn once: a Generator seed advances)
    idx = _bootstrap_index(seed, S)
    errs = _summary(acc.sums, acc.count, idx)
    if odd_even:
        errs.update(_odd_even(acc.odd_even_sums, acc.sums["y2"], idx))
    return VolterraCapture(
        amplitudes=amps, **errs, ts=dt * np.arange(N + 1),
        example={"Y": acc.example[0], "Y_stderr": acc.example[1], "V1": V[0, 0],
                 "V2": V[0, 1], "V1_stderr": V_se[0, 0], "V2_stderr": V_se[0, 1],
                 "length": int(lengths[0])},
        n_series=S, n_paths=h0.shape[1], second_lags=int(batches[0][1].n_lags),
        stationary_mean_outputs=acc.last, shrunk=bool(shrink), odd_even=odd_even)


def _bootstrap_index(seed: Any, S: int) -> np.ndarray:
    """``BOOTSTRAP`` resamples (with replacement) of the ``S`` test series."""
    return np.random.default_rng(seed).integers(0, S, size=(BOOTSTRAP, S))


class _Truth:
    """The common-random-numbers Monte Carlo truth, reduced as the paths run.

    The change of the mean output ``Y`` at each amplitude (and at minus each, with
    ``odd_even``) is summed over the paths a block of ``block`` steps at a time; each full
    block is compared with the Volterra terms ``V`` (S, 2, N+1, p) and reduced to per-series
    sums over its steps (:func:`_error_sums`, :func:`_odd_even_sums`), so the truth is never
    held for every step of every series (it was 3 A floats per step, series and output).
    Kept whole: the first series' truth (``example``) and the mean output at each series'
    last step at amplitude 1 (``last``, (S, p)).
    """

    def __init__(self, amps: np.ndarray, V: np.ndarray, V_se: np.ndarray,
                 lengths: np.ndarray, n_paths: int, odd_even: bool, block: int) -> None:
        S, _, N1, p = V.shape
        A = amps.size
        self.amps, self.V, self.V_se, self.lengths, self.P = amps, V, V_se, lengths, n_paths
        self.block = block
        self.buf = np.zeros((3 if odd_even else 2, A, S, block, p))
        self.sums = {k: np.zeros((A, S)) for k in _SUM_KEYS}
        self.odd_even_sums = {k: np.zeros((A, S)) for k in _ODD_EVEN_KEYS} if odd_even \
            else None
        self.count = 0.0
        self.example = np.zeros((2, A, N1, p))
        self.last = np.full((S, p), np.nan)
        self.unit = np.flatnonzero(np.isclose(amps, 1.0))

    def reduce(self, chunk: slice, j: int, F: np.ndarray) -> None:
        """``crn_outputs``' reduction: the outputs ``F`` (variants, c, P, p) of step ``j``."""
        A, b0 = self.amps.size, j - j % self.block
        D = F[1:A + 1] - F[0]                          # (A, c, P, p)
        self.buf[0, :, chunk, j - b0] = D.sum(axis=2)
        self.buf[1, :, chunk, j - b0] = (D ** 2).sum(axis=2)
        if self.odd_even_sums is not None:             # the runs at -eps, same noise
            self.buf[2, :, chunk, j - b0] = (F[A + 1:] - F[0]).sum(axis=2)
        ends = np.nonzero(self.lengths[chunk] == j)[0]
        if ends.size and self.unit.size:
            self.last[chunk.start + ends] = F[1 + self.unit[0], ends].mean(axis=1)
        if j + 1 == b0 + self.block or j + 1 == self.V.shape[2]:
            self._flush(chunk, b0, j + 1)

    def _flush(self, chunk: slice, b0: int, b1: int) -> None:
        P, T = self.P, b1 - b0
        Y = self.buf[0, :, chunk, :T] / P
        Y_se = np.sqrt(np.maximum(self.buf[1, :, chunk, :T] / P - Y ** 2, 0.0)
                       * P / (P - 1) / P)
        t = np.arange(b0, b1)[None, :]
        mask = (t <= self.lengths[chunk, None]) & (t >= 1)
        V, V_se = self.V[chunk, :, b0:b1], self.V_se[chunk, :, b0:b1]
        for key, val in _error_sums(self.amps, Y, Y_se, V, V_se, mask).items():
            self.sums[key][:, chunk] += val
        self.count += float(mask.sum() * Y.shape[-1])
        if self.odd_even_sums is not None:
            Ym = self.buf[2, :, chunk, :T] / P
            for key, val in _odd_even_sums(self.amps, Y, Ym, V, mask).items():
                self.odd_even_sums[key][:, chunk] += val
        if chunk.start == 0:
            self.example[0, :, b0:b1], self.example[1, :, b0:b1] = Y[:, 0], Y_se[:, 0]


#: per-series sums of :func:`_error_sums` and :func:`_odd_even_sums`
_SUM_KEYS = ("d1", "d2", "y2", "var", "fit", "t2")
_ODD_EVEN_KEYS = ("odd", "even", "even2")


def _odd_even_sums(amps: np.ndarray, Y: np.ndarray, Ym: np.ndarray, V: np.ndarray,
                   mask: np.ndarray) -> dict[str, np.ndarray]:
    """Per-series sums of squares (A, S), over the steps in ``mask`` and the outputs, of the
    odd part of the truth less order 1, its even part, and the even part less order 2
    (module docstring)."""
    sel = mask[:, :, None]
    out = {k: np.zeros((amps.size, Y.shape[1])) for k in _ODD_EVEN_KEYS}

    def sq(z: np.ndarray) -> np.ndarray:
        return np.sum(np.where(sel, z, 0.0) ** 2, axis=(1, 2))

    for i, a in enumerate(amps):
        odd, even = 0.5 * (Y[i] - Ym[i]), 0.5 * (Y[i] + Ym[i])
        out["odd"][i] = sq(odd - a * V[:, 0])
        out["even"][i] = sq(even)
        out["even2"][i] = sq(even - a * a * V[:, 1])
    return out


def _odd_even(sums: dict[str, np.ndarray], y2: np.ndarray, idx: np.ndarray
              ) -> dict[str, np.ndarray]:
    """Per-series ratios (3, A, S) of the odd and even parts of the truth to ``||Y||`` from
    the sums of :func:`_odd_even_sums` and ``y2`` (the truth's own), their medians over the
    series and bootstrap standard errors."""
    n_y = np.sqrt(y2)
    safe = np.where(n_y > 0, n_y, np.nan)            # no response: no ratio (as in _summary)
    per = np.stack([np.sqrt(sums[k]) / safe for k in _ODD_EVEN_KEYS])
    med, se = _medians(per, idx)
    return {"odd_error1": med[0], "even_part": med[1], "even_error2": med[2],
            "odd_error1_stderr": se[0], "even_part_stderr": se[1], "even_error2_stderr": se[2],
            "odd_even_per_series": per}


def _medians(per: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Medians over the series (last axis) of the per-series values ``per`` and their
    bootstrap standard errors over the resamples ``idx`` (NaN series left out; all NaN:
    NaN)."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)        # all-NaN: undefined, NaN
        return (np.nanmedian(per, axis=-1),
                np.nanmedian(per[..., idx], axis=-1).std(axis=-1, ddof=1))


def _error_sums(amps: np.ndarray, Y: np.ndarray, Y_se: np.ndarray, V: np.ndarray,
                V_se: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Per-series sums (A, S), over the steps in ``mask`` (S, T) and the outputs, of the
    squared errors of order 1 (``d1``) and 1+2 (``d2``), the squared truth (``y2``), the
    noise floor's variance (``var``: Monte Carlo and kernel SE), the order-2 term's inner
    product with what order 1 leaves (``fit``) and its square (``t2``); ``Y``, ``Y_se``
    (A, S, T, p), ``V``, ``V_se`` (S, 2, T, p)."""
    sel = mask[:, :, None]
    out = {k: np.zeros((amps.size, Y.shape[1])) for k in _SUM_KEYS}
    for i, a in enumerate(amps):
        y = np.where(sel, Y[i], 0.0)
        v1 = a * V[:, 0]
        v2 = v1 + a * a * V[:, 1]
        out["d1"][i] = np.sum(np.where(sel, Y[i] - v1, 0.0) ** 2, axis=(1, 2))
        out["d2"][i] = np.sum(np.where(sel, Y[i] - v2, 0.0) ** 2, axis=(1, 2))
        out["y2"][i] = np.sum(y ** 2, axis=(1, 2))
        out["var"][i] = np.sum(np.where(sel, Y_se[i] ** 2 + (a * V_se[:, 0]) ** 2
                                        + (a * a * V_se[:, 1]) ** 2, 0.0), axis=(1, 2))
        t2 = np.where(sel, a * a * V[:, 1], 0.0)
        out["fit"][i] = np.sum((y - np.where(sel, v1, 0.0)) * t2, axis=(1, 2))
        out["t2"][i] = np.sum(t2 ** 2, axis=(1, 2))
    return out


def _summary(sums: dict[str, np.ndarray], count: float, idx: np.ndarray
             ) -> dict[str, np.ndarray]:
    """Per-series relative errors of the truncations and their noise floors from the sums of
    :func:`_error_sums`; medians over the series with bootstrap SE (resamples ``idx``),
    pooled errors, the response's RMS over ``count`` values, order-2 fits and whether order 2
    beats order 1."""
    y2 = sums["y2"]
    norm_y = np.sqrt(y2)
    # a series that does not move the output has no relative error (NaN: left out of the
    # medians; all of them: undefined, None in metrics()), not 0
    safe = np.where(norm_y > 0, norm_y, np.nan)
    per = np.stack([np.sqrt(sums["d1"]) / safe, np.sqrt(sums["d2"]) / safe,
                    np.sqrt(sums["var"]) / safe])     # e1, e2, floor per series
    t2 = sums["t2"]
    fit = sums["fit"] / np.where(t2 > 0, t2, np.nan)  # no order-2 term: no multiple of it
    total = y2.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.where(total > 0, np.sqrt(np.stack([sums["d1"].sum(axis=1),
                                                       sums["d2"].sum(axis=1)])
                                             / np.where(total > 0, total, 1.0)), np.nan)
    med, se = _medians(per, idx)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)        # all-NaN: undefined, NaN
        gap = np.nanmedian(per[0] - per[1], axis=1)
        gap_se = np.nanmedian(per[0][:, idx] - per[1][:, idx], axis=2).std(axis=1, ddof=1)
        improved = np.nanmean(np.where(np.isnan(per[0]), np.nan, per[1] < per[0]), axis=1)
        order2_fit = np.nanmedian(fit, axis=1)
    return {"error1": med[0], "error2": med[1], "error1_stderr": se[0],
            "error2_stderr": se[1], "floor": med[2],
            "converges": gap > 2.0 * gap_se, "improved": improved,
            "error1_pooled": pooled[0], "error2_pooled": pooled[1],
            "response_rms": np.sqrt(total / count), "order2_fit": order2_fit,
            "per_series": per}


def _errors(amps: np.ndarray, Y: np.ndarray, Y_se: np.ndarray, V: np.ndarray,
            V_se: np.ndarray, mask: np.ndarray, seed: Any, idx: np.ndarray | None = None
            ) -> dict[str, np.ndarray]:
    """:func:`_summary` of the truth ``Y`` (A, S, N+1, p) held whole (resamples ``idx`` of
    the series, or drawn from ``seed``)."""
    if idx is None:
        idx = _bootstrap_index(seed, Y.shape[1])
    count = float(mask.sum() * Y.shape[-1])
    return _summary(_error_sums(amps, Y, Y_se, V, V_se, mask), count, idx)
