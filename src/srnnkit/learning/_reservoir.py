"""Fixed random SRNN reservoirs: noise-averaged hidden states as features, and forecasting."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._cost import running
from .._random import as_generator, child_sequences
from .._validation import check_array, check_int, check_memory, fail
from ..dynamics._burn_in import BURN_IN_FLOORS, burn_in_steps
from ..dynamics._drift import EulerStep
from ..model import SRNN
from ..simulate import simulate
from ..simulate._simulate import mean_common_noise
from ._features import channel_names
from ._input import (
    SeriesInputMixin,
    ShortSeriesWarning,
    as_series_list,
    channel_scaling,
    check_channels,
    check_params,
    record_fit_input,
    standardization,
)
from ._ridge import eigh

__all__ = ["ForecastDivergenceWarning", "ReservoirForecaster", "SRNNReservoir",
           "SeriesOffsetWarning"]

#: a closed-loop forecast beyond this many times the training series' largest standardised
#: value has diverged
DIVERGE_FACTOR = 10.0
#: The most values (series x steps x units) of one batch of mean states in `transform`.
BATCH_VALUES = 2_000_000


#: `SeriesOffsetWarning` when the variance of the series' means exceeds this many times
#: their mean within-series variance (the means spread over more than 3.2 deviations of the
#: series around them); no channel of the W-TSC panel reaches 4.6
OFFSET_RATIO = 10.0


class SeriesOffsetWarning(UserWarning):
    """The series of :class:`SRNNReservoir` sit at very different levels: their offsets, not
    their course, decide the features.

    Each series' own mean shifts the network's operating point. On two classes of sines
    (3 or 4 cycles, 60 training series of 100 steps) plus an offset per series, the
    accuracy of ``SRNNReservoir(100, pooling="both")`` and a ridge readout fell from 1.00
    to 0.92 +- 0.01, 0.65 +- 0.08 and 0.52 +- 0.02 (5 seeds) as the offsets' spread grew
    to 0.4, 1.7 and 16 times the series' own variance; centring each series on its own
    mean (``standardize="series"``) gave 1.00 at every spread. The warning comes above
    `OFFSET_RATIO` (10): there the offsets carry the classification or nothing can. When
    the levels carry no information about the target, use ``standardize="series"``.

    Examples
    --------
    >>> import warnings
    >>> from srnnkit.learning import SeriesOffsetWarning
    >>> warnings.simplefilter("error", SeriesOffsetWarning)   # make it an error
    """


class ForecastDivergenceWarning(UserWarning):
    """A closed-loop forecast of :class:`ReservoirForecaster` left the training series'
    range by far (found by fuzzing: a square wave, forecast one step ahead to 1e-6, reached
    1e5 within 100 steps in closed loop, without a word; with one past value in the readout,
    ``lags=1``, the default before ``lags="auto"``).

    Examples
    --------
    >>> import warnings
    >>> from srnnkit.learning import ForecastDivergenceWarning
    >>> warnings.simplefilter("error", ForecastDivergenceWarning)   # make it an error
    """


def _warn_diverged(step: int, value: float, train: float, standard: bool) -> None:
    units = "standard deviations of the training series" if standard else \
        "(the training series' units)"
    what = f"reached {value:.3g} {units}" if np.isfinite(value) else "is not finite"
    warnings.warn(
        f"the closed-loop forecast diverged: at step {step + 1} it {what}, beyond "
        f"{DIVERGE_FACTOR:g} times the training series' largest |value| ({train:.3g}); this "
        "and the later values are not forecasts. A recursive forecast feeds its own errors "
        "back; use strategy='direct' (max_horizon=) or a larger penalty alpha.",
        ForecastDivergenceWarning, stacklevel=3)


_RESERVOIR_PARAMS = {
    "n_hidden": [Interval(Integral, 1, None, closed="left")],
    "spectral_radius": [Interval(Real, 0, None, closed="left")],
    "input_scale": [Interval(Real, 0, None, closed="left")],
    "noise": [Interval(Real, 0, None, closed="left")],
    "leak": [Interval(Real, 0, None, closed="neither")],
    "density": [Interval(Real, 0, 1, closed="right")],
    "bias_scale": [Interval(Real, 0, None, closed="left")],
    "dt": [Interval(Real, 0, None, closed="neither")],
    "n_paths": [Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions({"tanh", "identity", "relu", "sigmoid"})],
    "random_state": ["random_state", np.random.Generator],
    "n_jobs": [Integral, None],
}


#: the longest burn-in of a reservoir (steps): beyond it the leak is too small to settle
_MAX_BURN_STEPS = 10 ** 8


def _step(est: Any) -> float:
    """The time step in use: the fitted ``dt_`` (``dt="auto"``) or the given ``dt``."""
    return float(getattr(est, "dt_", est.dt))


def _build_model(est: Any, n_inputs: int, input_mode: str | None = None
                 ) -> tuple[SRNN, int, np.ndarray]:
    """The fixed SRNN (identity readout), the integer noise seed and the stationary start.

    ``input_mode`` (default: the estimator's, ``"additive"`` for ``"auto"`` or none) only
    places the input; the burn-in runs without input, so the start is the same in either.

    ``random_state`` has three children: the weights, the noise along a series, and the
    burn-in. The burn-in (ten relaxation times ``1 / (leak dt)`` from ``h = 0`` with no input)
    is run ONCE here; every series then starts from the same ensemble of ``n_paths`` states,
    and uses the same noise (common random numbers), so a series' features never depend on
    the other series in the batch and no series pays for a burn-in.
    """
    kid_model, kid_noise, kid_burn = child_sequences(est.random_state, 3, name="random_state")
    base = SRNN.random(est.n_hidden, n_inputs, spectral_radius=est.spectral_radius,
                       input_scale=est.input_scale, noise=est.noise, gamma=est.leak,
                       density=est.density, bias_scale=est.bias_scale,
                       activation=est.activation, seed=kid_model)
    model = SRNN(base.W, base.C, base.sigma, gamma=est.leak, b=base.b,
                 activation=est.activation, readout=None,
                 input_mode=input_mode or _input_mode(est))
    noise_seed = int(kid_noise.generate_state(2, np.uint64)[0] >> np.uint64(1))
    dt = _step(est)
    n_burn = burn_in_steps(model, dt, floor=BURN_IN_FLOORS["reservoir"], slack=0.0)
    if n_burn > _MAX_BURN_STEPS:
        fail("leak", "a leak whose relaxation time 1 / (leak dt) a burn-in can cover (at "
             f"most {_MAX_BURN_STEPS:.0e} steps)", f"{est.leak:g} (a burn-in of {n_burn:.3g} "
             "steps)")
    burn = simulate(model, None, dt=dt, n_steps=n_burn, n_paths=est.n_paths,
                    seed=kid_burn, h0="zeros", burn_in=0, save="states", save_every=n_burn)
    return model, noise_seed, np.ascontiguousarray(burn.states[:, -1, :])


def _input_mode(est: Any) -> str:
    """The estimator's ``input_mode`` (``"additive"`` for ``"auto"`` or none)."""
    mode = getattr(est, "input_mode", "additive")
    return "additive" if mode == "auto" else mode


def _with_input_mode(model: SRNN, input_mode: str) -> SRNN:
    """``model`` with the input placed by ``input_mode`` (same weights, identity readout)."""
    if model.input_mode == input_mode:
        return model
    return SRNN(model.W, model.C, model.sigma, gamma=model.gamma, b=model.b,
                activation=model.activation, readout=None, input_mode=input_mode)


def _mean_states(est: Any, u: np.ndarray, keep_ensemble: bool = False):
    """Noise-averaged hidden states ``(n_steps + 1, n)`` for one series (and the final ensemble).

    Every series starts from ``est.h0_`` and uses the seed ``est.noise_seed_``.
    """
    kw = dict(dt=_step(est), n_paths=est.n_paths, seed=est.noise_seed_, h0=est.h0_, burn_in=0)
    if keep_ensemble:
        states = simulate(est.model_, u, save="states", **kw).states  # (n_paths, L + 1, n)
        return states.mean(axis=0), states[:, -1, :].copy()
    return simulate(est.model_, u, save="mean", **kw).mean, None


def _centred(series: list[np.ndarray]) -> list[np.ndarray]:
    """Each series minus its own mean, channel by channel."""
    return [s - s.mean(axis=0) for s in series]


def _check_offsets(series: list[np.ndarray]) -> None:
    """`SeriesOffsetWarning` when, on some channel, the variance of the series' means
    (weighted by length) exceeds `OFFSET_RATIO` times the mean within-series variance."""
    from ..kernels._common import user_stacklevel

    n = np.array([len(x) for x in series], dtype=float)[:, None]
    if len(series) < 2 or n.sum() <= len(series):
        return
    means = np.stack([x.mean(axis=0) for x in series])                    # (S, m)
    grand = (n * means).sum(axis=0) / n.sum()
    between = (n * (means - grand) ** 2).sum(axis=0) / n.sum()
    within = sum(((x - mu) ** 2).sum(axis=0)
                 for x, mu in zip(series, means, strict=True)) / n.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(within > 0, between / within, np.where(between > 0, np.inf, 0.0))
    c = int(np.argmax(ratio))
    if ratio[c] > OFFSET_RATIO:
        warnings.warn(
            f"SRNNReservoir: on channel {c} the series' means vary {ratio[c]:.3g} times more "
            f"than the series around them (variance of the means over the mean within-series "
            f"variance, > {OFFSET_RATIO:g}), so each series' offset, not its course, sets the "
            "network's operating point and the features. If the levels carry no information "
            "about the target, pass standardize='series' (each series centred on its own "
            "mean).", SeriesOffsetWarning, stacklevel=user_stacklevel())


def _pooled_cost(est: Any, series: list[np.ndarray]) -> Any:
    """The cost of the noise-averaged states of ``series``: ``n_paths`` x their steps, at the
    rate of :func:`srnnkit.simulate` for this network (see :mod:`srnnkit._cost`)."""
    from .._cost import CostEstimate, Part, speedup
    from .._parallel import n_threads
    from ..simulate._cost import sim_rate
    from ..simulate._plan import make_plan

    plan = make_plan(est.model_, series[0][:1], dt=_step(est), n_steps=None,
                     n_paths=est.n_paths, seed=0, h0=est.h0_, burn_in=0, method="euler",
                     save="mean", save_every=1, chunk_size=None)
    steps = sum(len(s) for s in series)
    work = float(est.n_paths) * steps
    part = Part(f"{len(series)} series x {est.n_paths} paths ({steps} steps in all)",
                "n_paths, n_hidden or the series' number and length", work, sim_rate(plan),
                int(work))
    return CostEstimate("SRNNReservoir.transform", [part],
                        speedup=speedup(n_threads(est.n_jobs), len(series)))


class SRNNReservoir(SeriesInputMixin, TransformerMixin, BaseEstimator):
    r"""Noise-averaged hidden states of a fixed random SRNN as features of a time series.

    Each series :math:`u` drives the SRNN (docs/theory.md §1)

    .. math::

        dh_t = [-\gamma h_t + \tanh(W h_t + b) + C u_t]\,dt + \sigma\,dB_t,

    simulated by Euler–Maruyama with step ``dt`` (``u[j]`` acts on :math:`[j\,dt, (j+1)\,dt)`),
    started from the unperturbed stationary regime (a burn-in of ten relaxation times). The
    features are the ensemble mean :math:`\bar h_t \approx \mathbb{E} h_t` over ``n_paths``
    noise paths, pooled over time: the last state :math:`\bar h_T` (``"last"``), the time
    average :math:`\frac{1}{L}\sum_{j=1}^{L} \bar h_{j\,dt}` (``"mean"``) or both concatenated.

    Because the theory is about :math:`\mathbb{E} f(h_T)`, a linear readout trained on these
    features is a kernel machine with the SRNN-induced kernel
    :math:`K(u, v) = \langle \bar h_T(u), \bar h_T(v)\rangle` (docs/theory.md §5). With
    ``dt=1`` and ``leak=1`` the noiseless network is the echo-state-type recursion
    :math:`h_{j+1} = \tanh(W h_j + b) + C u_j` (the input enters the SRNN drift additively,
    outside the activation). Stability of the Euler step needs
    ``leak * dt < 2``.

    Parameters
    ----------
    n_hidden : int, default=100
        Number of hidden units ``n``.
    spectral_radius : float, default=0.9
        Spectral radius of the recurrent matrix ``W``.
    input_scale : float, default=1.0
        ``C`` is uniform on ``[-input_scale, input_scale]``.
    noise : float, default=0.05
        Noise amplitude, :math:`\sigma = \text{noise}\cdot I`.
    leak : float, default=1.0
        Leak :math:`\gamma` (the damping :math:`\Gamma = \gamma I`).
    density : float, default=1.0
        Fraction of non-zero entries of ``W``.
    bias_scale : float, default=0.5
        ``b`` is uniform on ``[-bias_scale, bias_scale]``; a bias breaks the odd symmetry of
        tanh, so that pooled states also see even functionals of the input (e.g. its power).
    dt : float or "auto", default="auto"
        Time step; one input sample per step. ``"auto"``: :math:`1/(\gamma\sqrt{L})` for
        the longest training series of ``L`` steps, so that the network's relaxation time
        :math:`1/\gamma` spans :math:`\sqrt{L}` samples, the geometric middle between one
        sample and the whole series (about 12 samples for ``L = 150``, 45 for ``L = 2000``).
    n_paths : int, default=8
        Noise paths averaged per series.
    pooling : {"last", "mean", "both"}, default="last"
        Time pooling of the mean hidden states.
    activation : {"tanh", "identity", "relu", "sigmoid"}, default="tanh"
    standardize : bool or "series", default=True
        Standardise each channel with the training mean and standard deviation (so that the
        input amplitude ``input_scale`` is relative to the data's own); `SeriesOffsetWarning`
        when the series' own means spread far more than the series vary around them.
        ``"series"``: centre every series (in fit and transform) on its own mean and scale
        by the training deviation around those means, for series whose level carries no
        information. ``False``: the raw values.
    random_state : int, numpy Generator or None, default=None
        Seeds the weights (one child stream) and the noise (another). Stored unmodified.
    n_jobs : int or None, default=None
        Threads over the series (``-1``: all cores). Results do not depend on it.

    Attributes
    ----------
    dt_ : float
        The time step in use.
    shift_, scale_ : ndarray of shape (m,)
        Standardisation of the channels (zeros and ones with ``standardize=False``; zeros and
        the deviation around the series' means with ``"series"``).
    model_ : SRNN
        The fixed network (identity readout).
    noise_seed_ : int
        Seed of the noise paths (the same for every series: common random numbers).
    h0_ : ndarray of shape (n_paths, n_hidden)
        The ensemble every series starts from: the network after a burn-in of ten relaxation
        times ``1 / (leak dt_)`` steps from ``h = 0`` with no input (run once in ``fit``).
    n_features_in_ : int
        Number of input channels ``m``.
    n_features_out_ : int
        ``n_hidden`` (``2 * n_hidden`` for ``pooling="both"``).

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import SRNNReservoir
    >>> X = np.random.default_rng(0).standard_normal((5, 30, 2))
    >>> res = SRNNReservoir(n_hidden=16, n_paths=4, pooling="both", random_state=0)
    >>> res.fit_transform(X).shape
    (5, 32)
    """

    _parameter_constraints: ClassVar[dict] = {
        **_RESERVOIR_PARAMS, "pooling": [StrOptions({"last", "mean", "both"})],
        "standardize": ["boolean", StrOptions({"series"})],
        "dt": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")]}

    def __init__(self, n_hidden: int = 100, *, spectral_radius: float = 0.9,
                 input_scale: float = 1.0, noise: float = 0.05, leak: float = 1.0,
                 density: float = 1.0, bias_scale: float = 0.5, dt: float | str = "auto",
                 n_paths: int = 8, pooling: str = "last", activation: str = "tanh",
                 standardize: bool | str = True, random_state: Any = None,
                 n_jobs: int | None = None) -> None:
        self.n_hidden = n_hidden
        self.spectral_radius = spectral_radius
        self.input_scale = input_scale
        self.noise = noise
        self.leak = leak
        self.density = density
        self.bias_scale = bias_scale
        self.dt = dt
        self.n_paths = n_paths
        self.pooling = pooling
        self.activation = activation
        self.standardize = standardize
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any = None) -> SRNNReservoir:
        """Draw the fixed network for the number of input channels of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
            Series (unequal lengths as a list of ``(n_steps_i, m)`` arrays).
        y : ignored

        Returns
        -------
        self
        """
        check_params(self)
        series = as_series_list(X)
        record_fit_input(self, series)
        if self.dt == "auto":
            # relaxation time 1 / leak = sqrt(L) steps: the geometric middle of one step and
            # the longest training series
            L = max(s.shape[0] for s in series)
            self.dt_ = 1.0 / (self.leak * math.sqrt(L))
        else:
            self.dt_ = float(self.dt)
        if self.standardize == "series":
            # each series centred on its own mean; scaled by the pooled deviation around them
            self.shift_ = np.zeros(self.n_features_in_)
            self.scale_ = channel_scaling(_centred(series))[1]
        else:
            self.shift_, self.scale_ = channel_scaling(series, self.standardize)
            _check_offsets(series)
        self.model_, self.noise_seed_, self.h0_ = _build_model(self, self.n_features_in_)
        self.n_features_out_ = self.n_hidden * (2 if self.pooling == "both" else 1)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Pooled noise-averaged hidden states.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list

        Returns
        -------
        ndarray of shape (n_series, ``n_features_out_``)
        """
        check_is_fitted(self, "model_")
        series = as_series_list(X)
        check_channels(series, self.n_features_in_, getattr(self, "_fit_min_steps", None))
        shift, scale = getattr(self, "shift_", 0.0), getattr(self, "scale_", 1.0)
        if getattr(self, "standardize", True) == "series":
            series = _centred(series)
        return self._pooled([(s - shift) / scale for s in series])

    def _pooled(self, series: list[np.ndarray]) -> np.ndarray:
        """Pooled mean states; series of one length run as one batch with common noise
        (each the same numbers as its own `_mean_states` call: found by profiling, 2000
        series of 20 steps spent 5x the simulation's time in per-call overhead)."""
        out = np.empty((len(series), self.n_features_out_))
        lengths = np.array([len(s) for s in series])
        n = self.n_hidden
        with running(lambda: _pooled_cost(self, series), "SRNNReservoir"):
            for L in np.unique(lengths):
                idx = np.flatnonzero(lengths == L)
                per = max(1, BATCH_VALUES // ((int(L) + 1) * n))   # mean and m2: bounded
                for lo in range(0, len(idx), per):
                    ids = idx[lo:lo + per]
                    hbar = mean_common_noise(
                        self.model_, np.stack([series[i] for i in ids]), dt=_step(self),
                        n_paths=self.n_paths, seed=self.noise_seed_, h0=self.h0_,
                        n_jobs=self.n_jobs)                     # (len(ids), L + 1, n)
                    out[ids] = self._pool(hbar)
        return out

    def _pool(self, hbar: np.ndarray) -> np.ndarray:
        """``last``, ``mean`` (over the steps after the start) or both, per series."""
        last = hbar[:, -1]
        if self.pooling == "last":
            return last
        avg = hbar[:, 1:].mean(axis=1)
        return avg if self.pooling == "mean" else np.concatenate([last, avg], axis=1)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``h_last_i`` / ``h_mean_i`` of the output features.

        Parameters
        ----------
        input_features : array-like of str, optional
            Checked to name one channel each, then unused (the features are named after
            the hidden units); kept for scikit-learn.

        Returns
        -------
        ndarray of str objects, shape (n_features_out,)
            The names, in the order of the columns of `transform`.
        """
        check_is_fitted(self, "model_")
        if input_features is not None:
            channel_names(self, input_features)
        names = []
        if self.pooling in ("last", "both"):
            names += [f"h_last_{i}" for i in range(self.n_hidden)]
        if self.pooling in ("mean", "both"):
            names += [f"h_mean_{i}" for i in range(self.n_hidden)]
        return np.asarray(names, dtype=object)


#: penalties of ``ReservoirForecaster(alpha="auto")``, relative to the mean eigenvalue of the
#: readout features' centred Gram matrix
FORECAST_ALPHAS = np.logspace(-14, 1, 16)
#: contiguous blocks of the cross-validation in time
CV_FOLDS = 5
#: numbers of past values in the readout that ``ReservoirForecaster(lags="auto")`` chooses
#: from (with the penalty, by the same cross-validation in time), at most ``washout + 1`` (an
#: integer ``washout``) or `LAG_FRACTION` of the series (``"auto"``), and ``n_hidden`` values
#: in all; when the longest of them wins, the window doubles (128, 256, ...) within these
#: bounds while the doubled window lowers the cross-validated error
FORECAST_LAGS = (1, 2, 4, 8, 16, 32, 64)


#: ``ReservoirForecaster(washout="auto")``: the start's effect on the state is gone once a
#: change of the start by 1 in every unit (the range of tanh) has shrunk to the rounding of
#: one step, this times ``n_hidden`` (the rounding bound of its sums of ``n_hidden`` terms)
WASHOUT_TOL = float(np.finfo(float).eps)
#: ... and the washout is at most this fraction of the training series
WASHOUT_FRACTION = 0.1
#: with ``washout="auto"`` and ``lags="auto"``, the longest window of past values is at most
#: this fraction of the training series (each window is fitted on the rows whose past values
#: all lie in the series)
LAG_FRACTION = 0.25


def _memory_steps(est: Any, z: np.ndarray, hbar: np.ndarray) -> int:
    """Steps after which the reservoir's state along ``z`` no longer depends on its start:
    the mean states ``hbar`` from ``est.h0_`` and those from a start moved by 1 in every
    unit (alternating signs; same input, same noise) differ by at most `WASHOUT_TOL` times
    ``n_hidden`` in every unit from this step on (the length of ``z`` when they never do)."""
    kick = np.where(np.arange(est.h0_.shape[-1]) % 2, 1.0, -1.0)
    kw = dict(dt=_step(est), n_paths=est.n_paths, seed=est.noise_seed_,
              h0=est.h0_ + kick, burn_in=0)
    moved = simulate(est.model_, z, save="mean", **kw).mean
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(moved - hbar).max(axis=1)
        above = np.flatnonzero(~(gap <= WASHOUT_TOL * est.h0_.shape[-1]))
    return int(above[-1]) + 1 if above.size else 0


def _auto_lags(top: int) -> list[int]:
    """The windows of ``lags="auto"`` up to ``top`` past values: `FORECAST_LAGS`, then their
    doublings (tried only while the longest window so far wins, see `_choose_lags`)."""
    grid = list(FORECAST_LAGS)
    while grid[-1] * 2 <= top:
        grid.append(grid[-1] * 2)
    return grid


def _lag_block(z: np.ndarray, p: int) -> np.ndarray:
    """Row ``t`` of the result: ``[z_t, z_{t-1}, ..., z_{t-p+1}]`` (``p m`` values; values
    before the start are 0, the standardised series' mean)."""
    L, m = z.shape
    out = np.zeros((L, p * m))
    for k in range(min(p, L)):
        out[k:, k * m:(k + 1) * m] = z[:L - k]
    return out


def _horizons(tgt: np.ndarray, rows: np.ndarray, H: int, diff: bool) -> np.ndarray:
    """Targets of the fitted ``rows``, horizons ``1..H`` side by side: ``tgt[t + k - 1]``,
    or with ``diff`` (``tgt`` the one-step changes) their sums ``tgt[t] + ... +
    tgt[t + k - 1]``, the change of the series over ``k`` steps."""
    if not diff:
        return np.hstack([tgt[rows + k - 1] for k in range(1, H + 1)])
    cs = np.vstack([np.zeros((1, tgt.shape[1])), np.cumsum(tgt, axis=0)])
    return np.hstack([cs[rows + k] - cs[rows] for k in range(1, H + 1)])


#: ``input_mode="auto"`` runs each closed loop over this many autocorrelation times of the
#: series (at most one block of the cross-validation): over one, the closed loop's error is
#: mostly the one-step error; over several, its growth when fed back
LOOP_AUTOCORR_TIMES = 5
#: the autocorrelation time: the first lag at which the autocorrelation (averaged over the
#: channels) falls below this
AUTOCORR_LEVEL = float(np.exp(-1.0))


def _loop_horizon(z: np.ndarray, cap: int) -> int:
    """`LOOP_AUTOCORR_TIMES` autocorrelation times of ``z`` (the first lag ``k >= 1`` at
    which the mean over the channels of the autocorrelation falls below `AUTOCORR_LEVEL`),
    at most ``cap``."""
    L = z.shape[0]
    zc = z - z.mean(axis=0)
    spec = np.fft.rfft(zc, n=2 * L, axis=0)
    acf = np.fft.irfft(np.abs(spec) ** 2, n=2 * L, axis=0)[:L]
    var = acf[0]
    acf = np.mean(acf[:, var > 0] / var[var > 0], axis=1) if np.any(var > 0) else acf[:, 0]
    below = np.flatnonzero(acf[1:cap + 1] < AUTOCORR_LEVEL)
    steps = LOOP_AUTOCORR_TIMES * (int(below[0]) + 1) if below.size else cap
    return max(min(steps, int(cap)), 1)


def _eigen_ridge(G: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ridge readout in the eigenbasis of the Gram matrix ``G = Fc^T Fc`` of centred
    features, with ``C = Fc^T Tc``: eigenvalues ``lam`` (clipped at 0), eigenvectors ``V``
    and ``V^T C``; the weights at penalty ``alpha`` are ``V (V^T C / (lam + alpha))``
    (`_ridge_weights`)."""
    lam, V = eigh(G)
    return np.clip(lam, 0.0, None), V, V.T @ C


def _ridge_weights(lam: np.ndarray, alpha: float) -> np.ndarray:
    """``1 / (lam + alpha)``; for ``alpha = 0`` the pseudo-inverse's (directions whose
    eigenvalue is below ``1e-12`` of the largest get 0)."""
    if alpha > 0:
        return 1.0 / (lam + alpha)
    keep = lam > 1e-12 * max(float(lam.max(initial=0.0)), np.finfo(float).tiny)
    return np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)


class ReservoirForecaster(BaseEstimator):
    r"""One- and multi-step-ahead forecasting with a fixed SRNN reservoir and a ridge readout.

    The (standardised) series :math:`z_0, z_1, \dots` drives the SRNN of `SRNNReservoir`;
    the noise-averaged state :math:`\bar h_{t}` (which has seen :math:`z_0..z_{t-1}`) and the
    last value :math:`z_{t-1}` predict the next value by ridge regression:

    .. math:: \hat z_t = A\,\bar h_t + \sum_{k=1}^{p} B_k\,z_{t-k} + c .

    ``predict(n_ahead)`` runs the network in closed loop from the end of the training series
    (each forecast becomes the next input; the ``n_paths`` ensemble keeps evolving with its own
    noise), and `predict_next` gives teacher-forced one-step-ahead predictions along a series.

    Parameters
    ----------
    n_hidden, spectral_radius, input_scale, noise, leak, density : see `SRNNReservoir`
        As in `SRNNReservoir`.
    bias_scale, dt, n_paths, activation, random_state, n_jobs : see `SRNNReservoir`
        As in `SRNNReservoir`, except ``dt``, a number here (default 1.0: one step of the
        series per Euler step; ``"auto"`` is not offered). Defaults here: ``n_hidden=200``,
        ``input_scale=0.3``, ``bias_scale=0.5``, ``noise=0``, ``n_paths=1`` (small inputs
        keep the units near their linear range, the bias breaks the odd symmetry of tanh).
        For a deterministic series the noise-averaged state carries a Monte Carlo floor of
        about ``noise / sqrt(n_paths)`` that limits the one-step accuracy (on Mackey-Glass,
        ``noise=1e-4`` gives 3x the one-step error of ``noise=0``); noise helps as a
        regulariser for noisy data.
    alpha : float or "auto", default="auto"
        Ridge penalty of the readout (on standardised data). ``"auto"`` chooses it by
        cross-validation in time: the fitted rows are cut into `CV_FOLDS` contiguous blocks,
        each predicted by the readout fitted on the others, for every penalty of
        `FORECAST_ALPHAS` times the mean eigenvalue of the features' centred Gram matrix
        (a smooth deterministic series takes the smallest; a noisy one or a random walk a
        larger one: a fixed ``1e-8`` gave a one-step error 20x persistence's on a random
        walk). ``0`` is the least-squares (minimum-norm) readout. With ``strategy="direct"``
        each horizon takes its own penalty (``alpha_`` then has one per horizon
        when ``max_horizon > 1``). The same cross-validation also weighs the readout on the
        past values alone (the state's weights 0, ``uses_state_`` False): it is taken only
        when it lowers the cross-validated error. On short series the ``n_hidden`` state
        features outnumber the rows: Lorenz-63 x with 200 training steps gave a one-step
        NRMSE of 0.025 with the state against 1.1e-4 without (5 seeds; a ridge on past
        values alone, 4.3e-4); with 800 steps the state is kept on Lorenz, Rossler and
        Mackey-Glass series, at 10x to 75x lower errors than that ridge's. With
        ``strategy="recursive"`` (on levels, without ``y``) the choice must also stay
        bounded in closed loop: run without noise from the start of each block for one
        block's length, its forecasts must stay within `DIVERGE_FACTOR` times the training
        series' largest absolute value (the bound of `ForecastDivergenceWarning`); otherwise the
        candidate (past values, state or not, penalty) of next-lowest cross-validated error
        that does is taken (``n_unstable_`` counts those passed over). A readout that fits
        each next value well can amplify its own errors when fed back: Lorenz-63 (x, y, z)
        sampled every 0.05 left that bound within 7-11 closed-loop steps from every test
        origin, and 5 of 10 W-FORECAST Mackey-Glass readouts within 400 steps (from 4-10
        of 10 test origins).
    washout : int or "auto", default="auto"
        Leading steps of the training series not used to fit the readout (the network's
        start, the zero-input stationary state, is forgotten over them). ``"auto"``: the
        first step from which the states from a start moved by 1 in every unit (the range
        of tanh) stay within ``n_hidden`` times the machine epsilon (the rounding of one
        step) of the fitted ones, measured on the training series (about 110 steps for the
        defaults, where the start's effect shrinks by about 0.76 per step), at most
        `WASHOUT_FRACTION` of the series; each window of ``p`` past values is fitted from
        step ``max(washout, p - 1) + 1`` on, so that its past values lie in the series. The
        earlier default, 100, dropped half of a 200-step series and refused one of 100
        steps. ``washout_`` keeps the value used.
    standardize : bool, default=True
        Standardise the series (per channel) before driving the network.
    strategy : {"recursive", "direct"}, default="recursive"
        Multi-step forecasts: ``"recursive"`` feeds each forecast back as the next input
        (closed loop); ``"direct"`` fits one readout per horizon
        :math:`\hat z_{t+k-1} = A_k \bar h_t + B_k z_{t-1} + c_k`, ``k = 1..max_horizon``
        (all horizons from one factorisation), and reads them all off the last state.
    max_horizon : int, default=1
        Largest horizon of ``strategy="direct"``.
    lags : int or "auto", default="auto"
        Number ``p`` of past values :math:`z_{t-1}, \dots, z_{t-p}` in the readout (beside the
        state), at most ``washout + 1`` for an integer ``washout`` (``"auto"`` then starts the
        rows at ``p``). ``"auto"`` chooses it from `FORECAST_LAGS` (up to ``n_hidden``
        values in all, and `LAG_FRACTION` of the series with ``washout="auto"``) jointly
        with the penalty, by the same cross-validation in
        time; a longer window is taken only when it lowers the cross-validated error. When
        the longest, 64, wins, the window doubles (128, 256, ...) within the same bounds
        while the doubled window lowers the error (a period-24 series of 1400 training
        steps took 64 on every seed, and 128 gave one-step errors 1 % lower and 50-step
        closed-loop errors 9 % lower, 5 seeds). The
        reservoir's memory fades within about 20 steps: NARMA30 (which needs ``u[t-29]``)
        gave a one-step NRMSE of 0.76 with ``lags=1`` (the earlier readout) and 0.38 with
        ``"auto"``. ``1`` is the earlier readout.
    difference : bool or "auto", default="auto"
        Model the series' one-step differences instead of its levels (as ARIMA's
        ``d = 1``): the network is driven by the differences (standardised on their own),
        the readout on them and their past values predicts the change of the series over
        each horizon, and the forecasts are the last value plus the changes. A readout on
        levels has an intercept and pulls a random walk back to the training mean, and a
        level outside the training range saturates the state. ``"auto"`` with
        ``strategy="direct"`` fits both and keeps the one of lower cross-validated error
        (summed over the horizons, in the series' units: the same cross-validation in
        time as ``alpha``); with ``"recursive"`` it keeps the levels, because a
        closed loop on differences integrates its own errors (Lorenz-63 x: 2 of 5 seeds
        left the attractor by 1e26 within 50 steps when the one-step cross-validation took
        the differences). ``True`` differences in either strategy; a driven task (``y``)
        always fits the levels of ``y`` (``True`` is refused).
    input_mode : {"additive", "activation", "auto"}, default="auto"
        Where the series enters the network's drift (`srnnkit.SRNN`): ``"additive"``,
        :math:`-\gamma h + \tanh(W h + b) + C z`, the paper's SRNN, in which the state after
        :math:`z_t` holds :math:`z_t` only linearly (its nonlinear functions one step later);
        ``"activation"``, :math:`-\gamma h + \tanh(W h + C z + b)`, the echo-state form.
        A held-out check (3 seeds, 2000 training steps, against a 500-unit ReservoirPy ESN
        of W-FORECAST's settings) found Lorenz-63 (x, y, z) sampled every 0.05, whose
        one-step map needs products of the current values, at a 10-step closed-loop NRMSE
        of 0.37 with ``"additive"`` (ESN 0.0067) and 3.6e-4 to 8.3e-3 with
        ``"activation"``; NARMA10 0.369 and 0.273 (ESN 0.474); Mackey-Glass tau=17 at 50
        steps 9.3e-4 and 1.5e-3 to 8.0e-3 (ESN 0.34); the others within their errors.
        ``"auto"`` fits both (same weights; about twice the fit time) and keeps the one of
        lower validated error inside the training series (``input_mode_``,
        ``input_mode_errors_``): a recursive forecaster of the levels runs each fitted
        readout in closed loop, without noise, from every `_loop_horizon` steps of its
        fitted rows (`LOOP_AUTOCORR_TIMES` autocorrelation times of the series, at most one
        of the `CV_FOLDS` blocks) for that many steps, and compares the mean squared errors;
        other forecasters (``y``, ``strategy="direct"``, differences) compare the
        cross-validated error of their readouts. On the held-out check it took the
        activation on every Lorenz dt 0.05 and NARMA10 seed, the additive on every
        Mackey-Glass tau=17 seed (no horizon worse than ``"additive"``), and W-FORECAST's
        one-step NRMSE went from 6.09e-5 to 5.45e-5 (200 units, 5 seeds). The default
        (``"additive"`` before) for that reason; forecasters saved before it keep theirs.

    Attributes
    ----------
    model_ : SRNN
    coef_ : ndarray of shape (n_hidden + m * p, m * H)
        Readout weights on ``[h̄_t, z_{t-1}, ..., z_{t-p}]`` (``p = lags_``), horizon ``k``
        in columns ``(k-1) m .. k m - 1`` (``H = 1`` for ``"recursive"``, ``max_horizon`` for
        ``"direct"``).
    intercept_ : ndarray of shape (m * H,)
    alpha_ : float or ndarray of shape (max_horizon,)
        The readout's penalty; each horizon's (an array) with ``strategy="direct"`` and
        ``max_horizon > 1``, a float otherwise.
    cv_errors_ : ndarray of shape (len(FORECAST_ALPHAS),)
        Cross-validated error of each penalty for the chosen readout (``lags_`` past values,
        with the state or not; summed over horizons), with ``alpha="auto"``.
    difference_errors_ : ndarray of shape (2,) or (0,)
        With ``difference="auto"`` and ``strategy="direct"``: the errors of the readouts on
        the levels and on the differences forecasting forward in time inside the training
        split (mean squared error summed over the horizons, standardised units of the
        series); the lower one was kept. Empty when nothing was weighed.
    lags_ : int
        Number of past values in the readout (chosen with ``lags="auto"``).
    washout_ : int
        Leading steps of the training series not fitted (the rule of ``washout="auto"``, at
        least ``lags_ - 1``; the integer given otherwise).
    difference_ : bool
        Whether the readout models the differences (``difference``); ``lags_``,
        ``washout_`` and the readout then refer to the differenced series.
    diff_mean_, diff_scale_ : ndarray of shape (m,)
        Standardisation of the differences (only with ``difference_`` True).
    n_unstable_ : int
        Candidates of lower cross-validated error passed over because their closed loop
        left the bound on the training series (``alpha="auto"``, ``strategy="recursive"``,
        levels, no ``y``; 0 otherwise, and 0 when the first choice is bounded).
    input_mode_ : str
        Where the input enters the drift: ``input_mode``, or the placing ``"auto"`` chose.
    input_mode_errors_ : ndarray of shape (2,) or (0,)
        With ``input_mode="auto"``: the validated errors of ``"additive"`` and
        ``"activation"`` (standardised units; see ``input_mode``), the lower one kept (the
        additive on a tie). Empty otherwise.
    uses_state_ : bool
        Whether the readout uses the reservoir's state (False: the cross-validation took the
        past values alone, and the state's rows of ``coef_`` are 0).
    mean_, scale_ : ndarray of shape (m,)
        Standardisation of the series.
    driven_ : bool
        Whether the readout was fitted to targets ``y`` (driven task) instead of the series.
    target_mean_, target_scale_ : ndarray of shape (k,)
        Standardisation of the targets (the series' own in autonomous mode).
    target_ndim_ : int
        Dimension of the fitted targets (1-D targets give 1-D predictions).
    n_features_in_ : int
        Number of channels ``m``.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.learning import ReservoirForecaster
    >>> series = sk.datasets.mackey_glass(700, seed=0)
    >>> fc = ReservoirForecaster(n_hidden=50, n_paths=2, random_state=0).fit(series[:600])
    >>> fc.predict(5).shape
    (5, 1)
    """

    _parameter_constraints: ClassVar[dict] = {
        **_RESERVOIR_PARAMS,
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "washout": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "standardize": ["boolean"],
        "strategy": [StrOptions({"recursive", "direct"})],
        "max_horizon": [Interval(Integral, 1, None, closed="left")],
        "lags": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "difference": ["boolean", StrOptions({"auto"})],
        "input_mode": [StrOptions({"additive", "activation", "auto"})],
    }

    def __init__(self, n_hidden: int = 200, *, spectral_radius: float = 0.9,
                 input_scale: float = 0.3, noise: float = 0.0, leak: float = 1.0,
                 density: float = 1.0, bias_scale: float = 0.5, dt: float = 1.0,
                 n_paths: int = 1, activation: str = "tanh", alpha: float | str = "auto",
                 washout: int | str = "auto", standardize: bool = True, strategy: str = "recursive",
                 max_horizon: int = 1, lags: int | str = "auto",
                 difference: bool | str = "auto", input_mode: str = "auto",
                 random_state: Any = None, n_jobs: int | None = None) -> None:
        self.n_hidden = n_hidden
        self.spectral_radius = spectral_radius
        self.input_scale = input_scale
        self.noise = noise
        self.leak = leak
        self.density = density
        self.bias_scale = bias_scale
        self.dt = dt
        self.n_paths = n_paths
        self.activation = activation
        self.alpha = alpha
        self.washout = washout
        self.standardize = standardize
        self.strategy = strategy
        self.max_horizon = max_horizon
        self.lags = lags
        self.difference = difference
        self.input_mode = input_mode
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __setstate__(self, state: dict) -> None:
        """A forecaster saved before ``lags`` existed keeps its readout on the last value:
        ``lags=1`` (its ``repr``, ``get_params`` and ``clone`` raised AttributeError, and
        ``lags="auto"`` would refit it differently)."""
        state.setdefault("lags", 1)
        state.setdefault("difference", False)
        state.setdefault("input_mode", "additive")
        if "coef_" in state:
            state.setdefault("difference_", False)
            state.setdefault("washout_", state.get("washout", 100))
            state.setdefault("uses_state_", True)
            state.setdefault("n_unstable_", 0)
            state.setdefault("input_mode_", state["input_mode"])
            state.setdefault("input_mode_errors_", np.zeros(0))
            state.setdefault("lags_", 1)
            state.setdefault("last_lags_", state["last_value_"])
        super().__setstate__(state)

    @staticmethod
    def _series(series: Any, name: str = "series") -> np.ndarray:
        if isinstance(series, (list, tuple)) and len(series) and isinstance(
                series[0], np.ndarray) and series[0].ndim >= 1:
            # elsewhere in srnnkit a list of arrays is a batch of series; read as one array
            # it would be one series with the steps and channels swapped (found by fuzzing)
            fail(name, "one series, an array of shape (n_steps,) or (n_steps, m) (this "
                 "forecaster follows one series; a list of arrays is a batch of series "
                 "elsewhere in srnnkit: fit one forecaster per series, or pass "
                 "np.asarray(...) for one multichannel series)",
                 f"a {type(series).__name__} of {len(series)} arrays", TypeError)
        arr = check_array(name, series, ndim=(1, 2), shape_text="(n_steps,) or (n_steps, m)")
        return arr[:, None] if arr.ndim == 1 else arr

    def fit(self, series: Any, y: Any = None) -> ReservoirForecaster:
        """Fit the readout to predict ``series[t]`` (or ``y[t]``) from the past of ``series``.

        Parameters
        ----------
        series : array-like of shape (n_steps,) or (n_steps, m)
            The series (autonomous forecasting), or the driving input of a driven task.
        y : array-like of shape (n_steps,) or (n_steps, k), optional
            Targets of a driven (input-output) task such as NARMA10: the readout then predicts
            ``y[t]`` from the state that has seen ``series[0..t-1]`` and from ``series[t-1]``,
            the same information as in autonomous mode, and `predict_next` returns predictions
            of ``y``. Closed-loop `predict` needs the autonomous mode.

        Returns
        -------
        self
        """
        check_params(self)
        z = self._series(series)
        m = z.shape[1]
        self.n_features_in_ = m
        if self.standardize:
            self.mean_, self.scale_ = standardization(z)
        else:
            self.mean_, self.scale_ = np.zeros(m), np.ones(m)
        raw, z = z, (z - self.mean_) / self.scale_
        model, self.noise_seed_, self.h0_ = _build_model(self, m)
        H = 1 if self.strategy == "recursive" else self.max_horizon
        tgt = self._targets(series, y, z)
        if y is not None and self.difference is True:
            fail("difference", "False or 'auto' with targets y (a driven task fits the "
                 "targets' levels)", self.difference, TypeError)
        placings = ("additive", "activation") if self.input_mode == "auto" else \
            (self.input_mode,)
        fits = []
        for mode in placings:
            self.model_ = _with_input_mode(model, mode)
            fits.append(self._fit_levels_or_diffs(raw, z, tgt, H, len(placings) > 1) |
                        {"model_": self.model_, "input_mode_": mode})
        errors = np.nan_to_num([f.pop("_validated") for f in fits], nan=np.inf)
        for name, value in fits[int(np.argmin(errors))].items():   # a tie: "additive"
            setattr(self, name, value)
        self.input_mode_errors_ = errors if len(fits) > 1 else np.zeros(0)
        self.last_value_ = z[-1]
        return self

    def _fit_levels_or_diffs(self, raw: np.ndarray, z: np.ndarray, tgt: np.ndarray, H: int,
                             validate: bool) -> dict:
        """The readout on the levels or the differences (``difference``) of the network
        ``self.model_``: its fitted attributes, and ``_validated``, its `_validated_error`
        (with ``validate``; else ``inf``)."""
        # "auto" weighs the differences for the direct readouts only: in closed loop the
        # differences' readout integrates its errors (Lorenz x: 2 of 5 seeds left the
        # attractor by 1e26 within 50 steps where the levels' stayed within it)
        modes = [True] if self.difference is True else [False] if (
            self.driven_ or self.difference is False or self.strategy == "recursive") \
            else [False, True]
        fits = []
        for diff in modes:
            inp, target = self._diff_inputs(raw, z) if diff else ({}, tgt)
            try:
                fits.append(self._fit_readout(inp.pop("inp", z), target, diff, H,
                                              choose=len(modes) > 1, validate=validate) | inp)
            except ValueError:
                if not (diff and fits):
                    raise                   # too short to difference: the levels alone
        errors = np.array([f.pop("_forward") for f in fits])
        out = fits[int(np.argmin(errors))]
        out["difference_errors_"] = errors if len(fits) > 1 else np.zeros(0)
        return out

    def _diff_inputs(self, raw: np.ndarray, z: np.ndarray) -> tuple[dict, np.ndarray]:
        """The differenced series that drives the network (standardised on its own:
        ``diff_mean_``, ``diff_scale_``) and the one-step changes of ``z`` (the targets,
        summed over the horizons)."""
        dx = np.diff(raw, axis=0)
        m = dx.shape[1]
        mean, scale = standardization(dx) if self.standardize else (np.zeros(m), np.ones(m))
        return {"inp": (dx - mean) / scale, "diff_mean_": mean, "diff_scale_": scale}, \
            np.diff(z, axis=0)

    def _fit_readout(self, inp: np.ndarray, tgt: np.ndarray, diff: bool, H: int,
                     choose: bool, validate: bool = False) -> dict:
        """The readout on the network driven by ``inp`` (the series, or its differences
        with ``diff``) to targets ``tgt`` (their sums over the horizons with ``diff``): the
        fitted attributes, and ``_forward``, its `_forward_error` (with ``choose``; else
        ``inf``) and ``_validated``, its `_validated_error` (with ``validate``; else
        ``inf``). A recursive forecaster of the levels with ``alpha="auto"`` keeps the
        candidate of lowest cross-validated error whose closed loop stays bounded
        (`_stable_readout`)."""
        hbar, ens = _mean_states(self, inp, keep_ensemble=True)
        starts = self._starts(inp, hbar, H)       # first fitted row of each window p
        check = self.strategy == "recursive" and self.alpha == "auto" and not (
            diff or self.driven_)
        pool: list | None = [] if check else None
        if self.alpha == "auto" or len(starts) > 1:
            lags, alpha, cv_errors, state = self._choose_lags(hbar, inp, tgt, starts, H, diff,
                                                              pool)
        else:
            lags, alpha, cv_errors, state = next(iter(starts)), \
                np.full(H, float(self.alpha)), np.zeros(0), True
        if check:
            lags, alpha, cv_errors, state, fit, n_unstable = self._stable_readout(
                hbar, inp, tgt, starts, pool, (lags, alpha, cv_errors, state))
        else:
            fit, n_unstable = self._readout_fit(hbar, inp, tgt, starts[lags], lags, state,
                                                alpha, H, diff), 0
        coef, intercept, F, T, first = fit
        fwd = self._forward_error(F[:, first:], T, alpha, H) if choose else np.inf
        val = self._validated_error(hbar, inp, fit, alpha, H, diff, starts[lags], lags) \
            if validate else np.inf
        return {"_forward": fwd, "_validated": val, "lags_": lags, "cv_errors_": cv_errors,
                "uses_state_": state,
                "washout_": starts[lags] - 1, "alpha_": float(alpha[0]) if H == 1 else alpha,
                "coef_": coef, "intercept_": intercept, "ensemble_": ens,
                "last_state_": hbar[-1], "last_lags_": _lag_block(inp[-lags:], lags)[-1],
                "train_bound_": float(np.abs(inp).max()), "difference_": diff,
                "n_unstable_": n_unstable}

    def _readout_fit(self, hbar: np.ndarray, inp: np.ndarray, tgt: np.ndarray, start: int,
                     lags: int, state: bool, alpha: np.ndarray, H: int, diff: bool,
                     cache: dict | None = None) -> tuple:
        """The ridge readout with ``lags`` past values (and the state, with ``state``) on
        the rows from ``start`` on, each horizon at its penalty ``alpha[k]``: ``(coef,
        intercept, F, T, first)``, ``F`` and ``T`` the fitted rows' features and targets,
        ``first`` the first column fitted (the state's weights stay 0 if unused). ``cache``
        keeps the factorisation of each ``(lags, state)`` between calls."""
        key = (lags, state)
        if cache is None or key not in cache:
            rows = np.arange(start, inp.shape[0] - H + 1)
            T = _horizons(tgt, rows, H, diff)
            F = np.hstack([hbar[rows], _lag_block(inp, lags)[rows - 1]])
            first = 0 if state else self.n_hidden
            Fm, Tm = F.mean(axis=0), T.mean(axis=0)
            Fc, Tc = F[:, first:] - Fm[first:], T - Tm
            parts = (F, T, first, Fm, Tm, _eigen_ridge(self._gram(Fc), Fc.T @ Tc))
            if cache is not None:
                cache[key] = parts
        else:
            parts = cache[key]
        F, T, first, Fm, Tm, (lam, V, b) = parts
        m_t = T.shape[1] // H
        coef = np.zeros((F.shape[1], T.shape[1]))
        for k in range(H):                              # each horizon with its own penalty
            sl = slice(k * m_t, (k + 1) * m_t)
            coef[first:, sl] = V @ (b[:, sl] * _ridge_weights(lam, float(alpha[k]))[:, None])
        return coef, Tm - Fm @ coef, F, T, first

    def _stable_readout(self, hbar: np.ndarray, inp: np.ndarray, tgt: np.ndarray,
                        starts: dict[int, int], pool: list, chosen: tuple) -> tuple:
        """The recursive readout of lowest cross-validated error whose closed loop stays
        bounded on the training series (`_closed_loop_bounded`). ``pool`` holds every
        candidate of the cross-validation (error, past values, with the state, penalty,
        the errors of its penalties); ``chosen`` the cross-validation's choice, kept when
        it is bounded and when no candidate is. Returns the number of past values, the
        penalties, the errors, whether the state is used, the fit (`_readout_fit`) and the
        number of candidates of lower error passed over as unbounded."""
        cache: dict = {}
        lags, alpha, cv_errors, state = chosen
        first = self._readout_fit(hbar, inp, tgt, starts[lags], lags, state, alpha, 1, False,
                                  cache)
        if self._closed_loop_bounded(hbar, inp, starts[lags], lags, first[0], first[1]):
            return lags, alpha, cv_errors, state, first, 0
        order = sorted(range(len(pool)), key=lambda i: pool[i][0])
        for n_skip, i in enumerate(order):
            _, p, st, a, errs = pool[i]
            fit = self._readout_fit(hbar, inp, tgt, starts[p], p, st, a, 1, False, cache)
            if self._closed_loop_bounded(hbar, inp, starts[p], p, fit[0], fit[1]):
                return p, a, errs, st, fit, n_skip + 1
        return lags, alpha, cv_errors, state, first, len(order) + 1

    def _closed_loop_bounded(self, hbar: np.ndarray, z: np.ndarray, start: int, lags: int,
                             coef: np.ndarray, intercept: np.ndarray) -> bool:
        """Whether the closed loop of the readout (``coef``, ``intercept``; ``lags`` past
        values) stays within `DIVERGE_FACTOR` times the training series' largest absolute value
        (the bound of `ForecastDivergenceWarning`) when run from the start of each of the
        `CV_FOLDS` blocks of the fitted rows (from ``start`` on) for one block's length.
        The state starts at the mean state there and evolves without noise. A readout
        that fits each next value well can still amplify its own errors when fed back:
        found by a held-out check, Lorenz-63 (x, y, z) sampled every 0.05 left the bound
        within 7-11 closed-loop steps from every origin (3 seeds)."""
        rows = np.arange(start, z.shape[0])
        blocks = [b for b in np.array_split(rows, CV_FOLDS) if b.size]
        origins = np.array([b[0] for b in blocks])
        bound = DIVERGE_FACTOR * float(np.abs(z).max())
        with np.errstate(over="ignore", invalid="ignore"):
            for zhat in self._fed_back(hbar, z, origins, lags, coef, intercept,
                                          min(b.size for b in blocks)):
                if not np.abs(zhat).max() <= bound:             # NaN included
                    return False
        return True

    def _fed_back(self, hbar: np.ndarray, z: np.ndarray, origins: np.ndarray, lags: int,
                  coef: np.ndarray, intercept: np.ndarray, n_steps: int) -> Iterator:
        """The forecasts ``(origins, m)`` of the readout (``coef``, ``intercept``; ``lags``
        past values) fed back, one step at a time for ``n_steps`` steps: from each of
        ``origins``, the mean state ``hbar`` there and the past values of ``z`` before it,
        the network stepped without noise, on the training series (`_closed_loop_bounded`,
        `_loop_errors`; `_closed_loop` is the forecast's own loop)."""
        m = z.shape[1]
        step = EulerStep(self.model_, self.dt)
        h = hbar[origins].copy()
        zprev = _lag_block(z, lags)[origins - 1]
        xi = np.zeros((origins.size, step.r))
        for _ in range(n_steps):
            zhat = np.concatenate([h, zprev], axis=1) @ coef + intercept
            yield zhat
            h = step(h, xi, u=zhat)
            zprev = np.concatenate([zhat, zprev[:, :zprev.shape[1] - m]], axis=1)

    def _validated_error(self, hbar: np.ndarray, z: np.ndarray, fitted: tuple,
                         alpha: np.ndarray, H: int, diff: bool, start: int, lags: int
                         ) -> float:
        """The error by which ``input_mode="auto"`` chooses (``inf`` when not finite). A
        recursive readout of the levels (``fitted``: weights, intercept, features, targets
        and first column used of the fitted rows, from step ``start`` on; ``lags`` past
        values) runs in closed loop on the training series, as in the stability check
        (`_closed_loop_bounded`): without noise, from every `_loop_horizon` steps of the
        fitted rows for that many steps, each start at the mean state there; the mean
        squared error over those forecasts. Other readouts: the mean squared error of the
        cross-validation in time (`CV_FOLDS` contiguous blocks, each predicted by the
        readout of penalties ``alpha`` fitted on the others), summed over the horizons."""
        coef, intercept, F, T, first = fitted
        if self.strategy == "recursive" and not (diff or self.driven_):
            blocks = np.array_split(np.arange(F.shape[0]), CV_FOLDS)
            horizon = _loop_horizon(z, min(b.size for b in blocks if b.size))
            with np.errstate(over="ignore", invalid="ignore"):
                err = self._loop_errors(hbar, z, start + np.arange(0, F.shape[0], horizon),
                                        lags, coef, intercept, horizon)
                sq = float(np.mean(err * err)) if err.size else np.inf
            return sq if np.isfinite(sq) else np.inf
        sq = 0.0
        for blk in np.array_split(np.arange(F.shape[0]), CV_FOLDS):
            train = np.ones(F.shape[0], dtype=bool)
            train[blk] = False
            if train.sum() < 2 or blk.size == 0:
                continue
            for err in self._block_errors(F[:, first:], T, train, blk, alpha, H):
                sq += err
        sq /= F.shape[0]
        return sq if np.isfinite(sq) else np.inf

    def _loop_errors(self, hbar: np.ndarray, z: np.ndarray, origins: np.ndarray, lags: int,
                     coef: np.ndarray, intercept: np.ndarray, horizon: int) -> np.ndarray:
        """Errors ``(horizon, origins, m)`` of the closed loop of the readout (``coef``,
        ``intercept``) run without noise from each of ``origins`` (the mean state there and
        the past values before it) for ``horizon`` steps, against the series ``z``; the
        origins whose horizon passes the series' end are left out."""
        origins = origins[origins + horizon <= z.shape[0]]
        err = np.empty((horizon, origins.size, z.shape[1]))
        loop = self._fed_back(hbar, z, origins, lags, coef, intercept, horizon)
        for k, zhat in enumerate(loop):
            err[k] = zhat - z[origins + k]
            if not np.all(np.isfinite(zhat)):
                err[k:] = np.inf
                break
        return err

    def _forward_error(self, F: np.ndarray, T: np.ndarray, alpha: np.ndarray, H: int
                       ) -> float:
        """Error of the readout (features ``F``, targets ``T``, each horizon's penalty
        ``alpha``) forecasting forward in time: the rows cut into `CV_FOLDS` contiguous
        blocks, each after the first predicted by the readout fitted on the rows before it
        whose targets all precede it; the mean squared error over those blocks, summed over
        horizons. Levels and differences are compared by it (a held-out block between
        training blocks flatters a readout on levels: it has seen the levels around it)."""
        blocks = np.array_split(np.arange(F.shape[0]), CV_FOLDS)
        sq, count = 0.0, 0
        for blk in blocks[1:]:
            train = np.arange(max(int(blk[0]) - H + 1, 0))
            if train.size < 2 or blk.size == 0:
                continue
            for err in self._block_errors(F, T, train, blk, alpha, H):
                sq += err
            count += blk.size
        return sq / count if count else np.inf

    def _block_errors(self, F: np.ndarray, T: np.ndarray, train: np.ndarray, blk: np.ndarray,
                      alpha: np.ndarray, H: int) -> list[float]:
        """Squared errors over the rows ``blk``, one per horizon, of the ridge readout
        (unpenalised intercept, horizon k at penalty ``alpha[k]``) fitted on the rows
        ``train`` of features ``F`` and targets ``T`` (`_forward_error`, `_validated_error`)."""
        m_t = T.shape[1] // H
        fm, tm = F[train].mean(axis=0), T[train].mean(axis=0)
        Fc = F[train] - fm
        lam, V, b = _eigen_ridge(self._gram(Fc), Fc.T @ (T[train] - tm))
        P = (F[blk] - fm) @ V
        out = []
        for k in range(H):
            sl = slice(k * m_t, (k + 1) * m_t)
            err = P @ (b[:, sl] * _ridge_weights(lam, float(alpha[k]))[:, None]) + \
                tm[sl] - T[blk, sl]
            out.append(float(np.sum(err * err)))
        return out

    def _targets(self, series: Any, y: Any, z: np.ndarray) -> np.ndarray:
        """The standardised targets: ``y`` (driven task) or the series ``z`` itself; sets
        ``target_mean_``, ``target_scale_``, ``target_ndim_`` and ``driven_``."""
        if y is not None:
            tgt = self._series(y, "y")
            if tgt.shape[0] != z.shape[0]:
                fail("y", f"targets with one row per step of series ({z.shape[0]})", tgt)
            self.target_mean_, self.target_scale_ = standardization(tgt)
            self.target_ndim_ = int(np.ndim(y))
            tgt = (tgt - self.target_mean_) / self.target_scale_
        else:
            tgt = z
            self.target_mean_, self.target_scale_ = self.mean_, self.scale_
            self.target_ndim_ = int(np.ndim(series))
        self.driven_ = y is not None
        return tgt

    def _starts(self, z: np.ndarray, hbar: np.ndarray, H: int) -> dict[int, int]:
        """The candidate numbers of past values ``p``, each with its first fitted row
        ``1 + max(w, p - 1)``: past the washout ``w`` (the reservoir's start) and with all
        ``p`` past values inside the series. An integer ``washout`` keeps ``p <= w + 1``
        (one row set for all); ``"auto"`` takes ``w`` from `_memory_steps` (at most
        `WASHOUT_FRACTION` of the series) and ``p`` up to `LAG_FRACTION` of it."""
        L, m = z.shape
        auto = self.washout == "auto"
        w = min(_memory_steps(self, z, hbar), int(WASHOUT_FRACTION * L)) if auto \
            else int(self.washout)
        if self.lags == "auto":
            top = min(max(int(LAG_FRACTION * L), 1) if auto else w + 1,
                      max(self.n_hidden // m, 1))
            grid = [p for p in _auto_lags(top) if p <= top] or [1]
        else:
            if not auto and self.lags > w + 1:
                fail("lags", f"at most washout + 1 = {w + 1} (the fitted rows' past values "
                     "must lie in the series)", self.lags)
            grid = [self.lags]
        starts = {p: 1 + max(w, p - 1) for p in grid}
        if L - H + 1 - starts[grid[0]] < 2:
            why = f" (the washout is lags - 1 = {grid[0] - 1})" if grid[0] - 1 > w else ""
            fail("series", f"a series longer than washout + max_horizon + 1 = "
                 f"{starts[grid[0]] + H} steps{why}", z)
        return {p: r for p, r in starts.items() if L - H + 1 - r >= 2}

    def _gram(self, Fc: np.ndarray) -> np.ndarray:
        """``Fc.T @ Fc`` of the readout's centred features, refused by ``input_scale`` when
        it overflows."""
        with np.errstate(over="ignore", invalid="ignore"):
            gram = Fc.T @ Fc
        if not np.all(np.isfinite(gram)):
            fail("input_scale", "a scale at which the reservoir's states can be squared "
                 "(their Gram matrix overflowed)", self.input_scale)
        return gram

    def _choose_lags(self, hbar: np.ndarray, z: np.ndarray, tgt: np.ndarray,
                     starts: dict[int, int], H: int, diff: bool = False,
                     pool: list | None = None) -> tuple[int, np.ndarray, np.ndarray, bool]:
        """Number of past values and each horizon's penalty of smallest error in the
        cross-validation in time (`CV_FOLDS` contiguous blocks of rows, each predicted by
        ridge with an unpenalised intercept fitted on the others; relative penalties; the
        mean squared error over each window's rows, ``starts[p]`` on). The centred Gram
        matrix of each block's complement is formed once per row set, for its longest
        window (the readout with ``p`` past values uses its leading ``n_hidden + p m``
        columns; the past values alone, its last ``p m``). With ``lags="auto"`` the windows
        beyond `FORECAST_LAGS` (its doublings) are tried one at a time, each only while the
        longest window tried so far is the best one. Returns the number, the penalties (H,),
        the errors of the chosen readout summed over horizons (one per penalty) and whether
        it uses the state. With ``diff`` the targets ``tgt`` are one-step changes, summed
        over each horizon. ``pool``, when given, receives every candidate (`_cv_windows`)."""
        best = (np.inf, next(iter(starts)), np.zeros(H), np.zeros(0), True)
        auto = self.lags == "auto"
        base = {p: r for p, r in starts.items() if p <= FORECAST_LAGS[-1] or not auto}
        sets = [[p for p, r in base.items() if r == first]
                for first in sorted(set(base.values()))]
        for grid in sets + [[p] for p in sorted(set(starts) - set(base))]:
            if len(grid) == 1 and grid[0] not in base and best[1] < max(
                    q for q in starts if q < grid[0]):
                break       # the longest window tried did not win: no doubling beyond it
            rows = np.arange(starts[grid[0]], z.shape[0] - H + 1)
            T = _horizons(tgt, rows, H, diff)
            F = np.hstack([hbar[rows], _lag_block(z, grid[-1])[rows - 1]])
            best = self._cv_windows(F, T, grid, z.shape[1], H, best, pool)
        return best[1], best[2], best[3], best[4]

    def _cv_windows(self, F: np.ndarray, T: np.ndarray, grid: list[int], m: int, H: int,
                    best: tuple, pool: list | None = None) -> tuple:
        """`_choose_lags` on one row set: ``F`` the features with the longest window of
        ``grid``, ``T`` the targets; ``best`` (error, p, penalties, errors, uses the state)
        so far, updated when a window lowers the error. ``pool``, when given, receives
        every candidate: (error summed over horizons, p, with the state, the penalties (H,),
        the errors of every penalty)."""
        n, N = F.shape[0], F.shape[1] - grid[-1] * m
        folds = []
        for blk in np.array_split(np.arange(n), min(CV_FOLDS, n)):
            train = np.ones(n, dtype=bool)
            train[blk] = False
            fm, tm = F[train].mean(axis=0), T[train].mean(axis=0)
            Fc, Tc = F[train] - fm, T[train] - tm
            folds.append((blk, fm, tm, self._gram(Fc), Fc.T @ Tc))
        Fc = F - F.mean(axis=0)
        m_t = T.shape[1] // H
        for p, state in ((p, state) for p in grid for state in (True, False)):
            cols = slice(0 if state else N, N + p * m)   # with the state, or past values alone
            trace = float(np.sum(Fc[:, cols] * Fc[:, cols]))
            alphas = (FORECAST_ALPHAS * (trace / n if trace > 0 else 1.0)
                      if self.alpha == "auto" else np.array([float(self.alpha)]))
            sq = np.zeros((alphas.size, H))
            for blk, fm, tm, G, C in folds:
                lam, V, bv = _eigen_ridge(G[cols, cols], C[cols])
                P = (F[blk, cols] - fm[cols]) @ V
                for i, a in enumerate(alphas):
                    err = P @ (bv * _ridge_weights(lam, float(a))[:, None]) + tm - T[blk]
                    sq[i] += np.sum((err * err).reshape(blk.size, H, m_t), axis=(0, 2))
            sq /= n
            pick = np.array([np.flatnonzero(c <= c.min() * (1 + 1e-10))[-1] for c in sq.T])
            total = float(sq[pick, np.arange(H)].sum())
            if pool is not None:
                pool.extend((float(sq[i].sum()), p, state, np.full(H, alphas[i]),
                             sq.sum(axis=1)) for i in range(alphas.size))
            # a longer window, or the past values without the state, is taken only when it
            # lowers the cross-validated error
            if total < best[0] * (1 - 1e-10):
                best = (total, p, alphas[pick],
                        sq.sum(axis=1) if self.alpha == "auto" else np.zeros(0), state)
        return best

    def _readout(self, hbar: np.ndarray, zprev: np.ndarray, horizon: int = 1) -> np.ndarray:
        """``zprev``: rows of `_lag_block` (the last ``lags_`` values, newest first)."""
        m = self.target_mean_.shape[0]
        sl = slice((horizon - 1) * m, horizon * m)
        return np.concatenate([hbar, zprev], axis=-1) @ self.coef_[:, sl] + self.intercept_[sl]

    def predict_next(self, series: Any, horizon: int = 1) -> np.ndarray:
        """Teacher-forced ``horizon``-step-ahead predictions along ``series``.

        Row ``t`` predicts ``series[t + horizon]`` (``y[t + horizon]`` for a forecaster fitted
        to targets ``y``) from ``series[0..t]`` (the network starts
        from its stationary regime at ``series[0]``, so the first ``washout_`` rows carry a
        transient). ``horizon > 1`` needs ``strategy="direct"``.

        Parameters
        ----------
        series : array-like of shape (n_steps,) or (n_steps, m)
        horizon : int, default=1
            At most ``max_horizon`` (``strategy="direct"``) or 1 (``"recursive"``).

        Returns
        -------
        ndarray of shape (n_steps, m) (or (n_steps,) for a 1-D series)
        """
        check_is_fitted(self, "coef_")
        h_max = self.coef_.shape[1] // self.target_mean_.shape[0]
        horizon = check_int("horizon", horizon, low=1, high=h_max)
        z = self._new_series(series, "series")
        if getattr(self, "difference_", False):
            inp = (np.diff(z, axis=0) - self.diff_mean_) / self.diff_scale_
            hbar, _ = _mean_states(self, inp)     # row t has seen series[0..t]
            lags = np.vstack([np.zeros((1, self.lags_ * z.shape[1])),
                              _lag_block(inp, self.lags_)])[:z.shape[0]]
            change = self._readout(hbar, lags, horizon)     # over `horizon` steps
            pred = z + change * self.scale_
        else:
            z = (z - self.mean_) / self.scale_
            hbar, _ = _mean_states(self, z)
            pred = self._readout(hbar[1:], _lag_block(z, self.lags_), horizon)
            pred = pred * self.target_scale_ + self.target_mean_
        one = self.target_ndim_ == 1 if self.driven_ else np.ndim(series) == 1
        return pred[:, 0] if one else pred

    def _new_series(self, series: Any, name: str) -> np.ndarray:
        """A series given after fit (``name``: ``series`` of `predict_next`, ``history`` of
        `predict`), as `_series`, with the channels of fit; a `ShortSeriesWarning` when it
        has at most ``washout_`` steps: the network starts at the series' first value, and
        within ``washout_`` steps its state has not forgotten that start, so every prediction
        read from it carries the transient that the fit left out."""
        z = self._series(series, name)
        if z.shape[1] != self.n_features_in_:
            fail(name, f"a series with {self.n_features_in_} channel(s)", z)
        n_steps, w = z.shape[0], int(getattr(self, "washout_", 0))
        if n_steps <= w:
            warnings.warn(
                f"{name} has {n_steps} step(s), at most washout_ = {w}: the network's state "
                "has not forgotten its start at the series' first value, so every prediction "
                "read from it carries the transient the fit left out (the fit used rows from "
                f"step {w + 1} on); pass a longer {name}.", ShortSeriesWarning, stacklevel=3)
        return z

    def predict(self, n_ahead: int, history: Any = None, seed: Any = None) -> np.ndarray:
        """Closed-loop forecast of the next ``n_ahead`` values.

        Parameters
        ----------
        n_ahead : int
            Number of future steps.
        history : array-like of shape (n_steps,) or (n_steps, m), optional
            Continue from the end of this series instead of the training series.
        seed : int, Generator or None, optional
            Seed of the noise in the closed loop (default: derived from ``random_state``).

        Returns
        -------
        ndarray of shape (n_ahead, m)
        """
        check_is_fitted(self, "coef_")
        if self.driven_:
            raise ValueError("predict(n_ahead) runs the network in closed loop, which needs a "
                             "forecaster fitted without y (autonomous mode); this one was "
                             "fitted to targets y: use predict_next(inputs).")
        n_ahead = check_int("n_ahead", n_ahead, low=1)
        check_memory("n_ahead", n_ahead, "the forecast", (n_ahead, self.n_features_in_))
        if self.strategy == "direct" and n_ahead > self.max_horizon:
            fail("n_ahead", f"an integer <= max_horizon = {self.max_horizon} with "
                 "strategy='direct'", n_ahead)
        diff = getattr(self, "difference_", False)
        if history is None:
            ens, zprev, level = self.ensemble_.copy(), self.last_lags_.copy(), self.last_value_
        else:
            z = self._new_series(history, "history")
            z = (z - self.mean_) / self.scale_
            level = z[-1]
            if diff:
                z = (np.diff(z, axis=0) * self.scale_ - self.diff_mean_) / self.diff_scale_
            _, ens = _mean_states(self, z, keep_ensemble=True)
            zprev = _lag_block(z[-self.lags_:], self.lags_)[-1] if len(z) else \
                np.zeros(self.lags_ * self.n_features_in_)
        if self.strategy == "direct":
            hbar = ens.mean(axis=0)
            out = np.stack([self._readout(hbar, zprev, k) for k in range(1, n_ahead + 1)])
            return (out + level if diff else out) * self.scale_ + self.mean_
        out = self._closed_loop(n_ahead, ens, zprev, level if diff else None, seed)
        return out * self.scale_ + self.mean_

    def _closed_loop(self, n_ahead: int, ens: np.ndarray, zprev: np.ndarray,
                     level: np.ndarray | None, seed: Any) -> np.ndarray:
        """The recursive forecast (standardised) from the ensemble ``ens`` and past inputs
        ``zprev``: each forecast drives the network; with differences (``level``, the last
        standardised value) each forecast change does, and the levels are its sums."""
        rng = as_generator(self.noise_seed_ + 1 if seed is None else seed, "seed")
        step = EulerStep(self.model_, self.dt)        # the dynamics core's step
        no_noise = np.zeros((ens.shape[0], step.r))
        out = np.empty((n_ahead, self.n_features_in_))
        train = getattr(self, "train_bound_", 0.0)        # 0: a constant series, or none
        bound = DIVERGE_FACTOR * train if train > 0 else np.inf
        warned = False
        for k in range(n_ahead):
            zhat = self._readout(ens.mean(axis=0), zprev)
            if level is not None:                    # a change: the next input, its level
                level = level + zhat
                out[k] = level
                zhat = (zhat * self.scale_ - self.diff_mean_) / self.diff_scale_
            else:
                out[k] = zhat
            if not warned and not np.abs(zhat).max() <= bound:    # NaN included
                _warn_diverged(k, float(np.abs(zhat).max()), train, self.standardize)
                warned = True                                      # once per call
            xi = rng.standard_normal((ens.shape[0], step.r)) if self.noise > 0 else no_noise
            ens = step(ens, xi, u=zhat)
            zprev = np.concatenate([zhat, zprev[:zprev.size - zhat.size]])
        return out
