r"""Memory of a network: the decay of its first-order kernel and its time constants.

Two independent readings of how long a network remembers its input:

- the **linearised drift** at the stationary mean :math:`\bar h`,
  :math:`J = -\Gamma + \mathrm{diag}\,a'(W\bar h + b)\,W`: its eigenvalues :math:`\lambda_i`
  give the continuous time constants :math:`\tau_i = -1/\mathrm{Re}\,\lambda_i` and, for the
  Euler-Maruyama chain, the per-step factors :math:`|1 + \Delta\lambda_i|`; the slowest one
  bounds the decay of the kernel, :math:`\|r_1(k)\| \sim |1 + \Delta\lambda|^k`;
- the **kernel itself**: a weighted least-squares fit of :math:`\log\|r_1(k)\|` on the lags
  where it is resolved, :math:`\|r_1(k)\| \approx A\,e^{-\kappa k\Delta}`.

For a linear SRNN both are exact: :math:`J = -(\Gamma - W)` and :math:`r_1(k) = Q(I-\Delta A)^kC`
(docs/theory.md §3), so a single-mode network's fitted rate is
:math:`\kappa = -\log(1-\Delta\lambda)/\Delta`, the chain's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Memory", "linearized_drift", "network_memory"]

#: an entry of the kernel-norm curve is used in the fit when it exceeds this many SE
FIT_Z = 3.0
#: the memory length is where the kernel norm falls below this fraction of its maximum
MEMORY_LEVEL = 0.05


@dataclass
class Memory:
    r"""How long a network remembers: kernel decay and time constants.

    Parameters
    ----------
    lags : ndarray of shape (n_lags,)
        Lags :math:`k\Delta` of the first-order kernel.
    norm, norm_stderr : ndarray of shape (n_lags,)
        :math:`\|r_1(k)\|_F` over outputs and channels, and its standard error (delta method).
    channel_norm : ndarray of shape (n_lags, m)
        :math:`\|r_1(k)_{:,a}\|` per input channel (over the outputs).
    stationary_mean : ndarray of shape (n,)
        The state :math:`\bar h` the drift is linearised at.
    eigenvalues : ndarray of shape (n,)
        Eigenvalues of :math:`J`, slowest first (largest real part).
    time_constants : ndarray of shape (n,)
        :math:`-1/\mathrm{Re}\,\lambda_i` in the same order (``inf`` for a mode that does
        not decay).
    linear_rate : float
        :math:`-\log|1+\Delta\lambda_1| / \Delta` of the slowest mode :math:`\lambda_1`: its
        decay rate in the linearised Euler-Maruyama chain (``<= 0`` when it does not decay).
    fitted_rate, fitted_rate_stderr : float or None
        :math:`\kappa` of the fit of :math:`\log\|r_1\|` and its standard error (``None``
        when fewer than three lags are resolved past the peak).
    fit_lags : tuple of int
        First and last lag index used by the fit.
    memory_length : float or None
        The lag after which :math:`\|r_1\|` stays below 5 % of its maximum; ``None`` when it
        does not within the window.
    dt : float

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> from srnnkit.analysis import network_memory
    >>> r1 = sk.response.linear_response(model, dt=0.1, n_lags=40, discrete=True)
    >>> mem = network_memory(model, 0.1, r1)          # r1(k) = 0.85**k
    >>> round(mem.linear_time_constant, 4), round(mem.memory_length, 6)
    (0.6153, 1.9)
    """

    lags: np.ndarray
    norm: np.ndarray
    norm_stderr: np.ndarray
    channel_norm: np.ndarray
    stationary_mean: np.ndarray
    eigenvalues: np.ndarray
    time_constants: np.ndarray
    linear_rate: float
    fitted_rate: float | None
    fitted_rate_stderr: float | None
    fit_lags: tuple[int, int]
    memory_length: float | None
    dt: float

    @property
    def linear_time_constant(self) -> float:
        """:math:`1/\\kappa_{lin}`, the slowest linearised mode's time constant (EM chain)."""
        return 1.0 / self.linear_rate if self.linear_rate > 0 else np.inf

    @property
    def em_overshoot(self) -> float:
        r""":math:`\max_i|1+\Delta\lambda_i|` over the modes with
        :math:`\mathrm{Re}\,\lambda_i < 0`: above 1, the Euler-Maruyama step overshoots a
        fast mode that the continuous network damps."""
        fast = self.eigenvalues[self.eigenvalues.real < 0]
        return float(np.abs(1.0 + self.dt * fast).max()) if fast.size else 0.0

    @property
    def fitted_time_constant(self) -> float | None:
        """:math:`1/\\kappa` of the fitted kernel decay, or None."""
        if self.fitted_rate is None:
            return None
        return 1.0 / self.fitted_rate if self.fitted_rate > 0 else np.inf


def linearized_drift(model: Any, state: Any) -> np.ndarray:
    r"""Jacobian of the unperturbed drift, :math:`J = -\Gamma + \mathrm{diag}\,a'(Wh+b)\,W`.

    Parameters
    ----------
    model : SRNN
    state : array-like of shape (n,)

    Returns
    -------
    ndarray of shape (n, n)

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import linearized_drift
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> linearized_drift(model, [0.0])
    array([[-1.5]])
    """
    from .._validation import check_array
    from ..dynamics import ACTIVATIONS
    from ..response._api import check_model

    check_model(model)
    n = model.n_hidden
    h = check_array("state", state, shape=(n,), shape_text=f"(n_hidden,) = ({n},)")
    slope = ACTIVATIONS[model.activation].derivative(model.W @ h + model.b)
    return -model.gamma_matrix + slope[:, None] * model.W


def network_memory(model: Any, dt: float, first: Any, *, stationary_mean: Any = None
                   ) -> Memory:
    r"""Memory of ``model`` from its first-order kernel and its linearised drift.

    Parameters
    ----------
    model : SRNN
    dt : float
        The Euler-Maruyama step (the kernel's lag spacing).
    first : ResponseFunction
        The first-order kernel (order 1), e.g. from
        :func:`srnnkit.response.linear_response`; its ``stderr`` (if any) sets which lags
        the fit uses.
    stationary_mean : array-like of shape (n,), optional
        The state to linearise at; default: the exact stationary mean of a linear SRNN, else
        the origin (pass the Monte Carlo mean of stationary states for a nonlinear one).

    Returns
    -------
    Memory

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import network_memory
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> r1 = sk.response.linear_response(model, dt=0.1, n_lags=40, discrete=True)
    >>> mem = network_memory(model, 0.1, r1)
    >>> round(float(mem.time_constants[0]), 4), round(mem.fitted_rate, 4)  # 1/1.5, -log(.85)/.1
    (0.6667, 1.6252)
    """
    kernel_dt = getattr(first, "dt", None)
    if kernel_dt is not None and not np.isclose(float(dt), float(kernel_dt), rtol=1e-12):
        from .._validation import fail

        fail("dt", f"the step of the kernel first ({float(kernel_dt):g})", dt)
    if stationary_mean is None:
        stationary_mean = (model.stationary_mean() if model.is_linear
                           else np.zeros(model.n_hidden))
    hbar = np.asarray(stationary_mean, dtype=float)
    eig = np.linalg.eigvals(linearized_drift(model, hbar))
    eig = eig[np.lexsort((-np.abs(1.0 + dt * eig), -eig.real))]      # slowest first
    factor = abs(1.0 + dt * eig[0])
    with np.errstate(divide="ignore"):
        tau = np.where(eig.real < 0, -1.0 / eig.real, np.inf)
        linear_rate = float(-np.log(factor) / dt) if factor > 0 else np.inf
    values = first.values                                       # (L, p, m)
    se = first.stderr if first.stderr is not None else np.zeros_like(values)
    norm = np.sqrt((values ** 2).sum(axis=(1, 2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        norm_se = np.where(norm > 0, np.sqrt(((values * se) ** 2).sum(axis=(1, 2))) / norm,
                           np.sqrt((se ** 2).sum(axis=(1, 2))))
    rate, rate_se, fit = _fit_decay(norm, norm_se, dt)
    return Memory(lags=first.lags.copy(), norm=norm, norm_stderr=norm_se,
                  channel_norm=np.sqrt((values ** 2).sum(axis=1)), stationary_mean=hbar,
                  eigenvalues=eig, time_constants=tau, linear_rate=linear_rate,
                  fitted_rate=rate, fitted_rate_stderr=rate_se, fit_lags=fit,
                  memory_length=_memory_length(norm, first.lags), dt=float(dt))


def _fit_decay(norm: np.ndarray, se: np.ndarray, dt: float
               ) -> tuple[float | None, float | None, tuple[int, int]]:
    """Weighted least squares of ``log norm`` on the lags from the peak to the last lag that
    is resolved (> FIT_Z SE) with every lag before it; weights ``(norm / se)**2``."""
    peak = int(np.argmax(norm))
    resolved = (norm > FIT_Z * se) & (norm > 0)
    last = peak
    while last + 1 < len(norm) and resolved[last + 1]:
        last += 1
    if last - peak < 2:
        return None, None, (peak, last)
    k = np.arange(peak, last + 1, dtype=float)
    y = np.log(norm[peak:last + 1])
    exact = not np.any(se[peak:last + 1] > 0)
    # an entry exact under common random numbers (SE 0, e.g. lag 0 of an additive input)
    # weighs as one known to 1e-8 of itself: 1e-300 overflowed the square and gave NaN
    w = np.ones_like(y) if exact else (norm[peak:last + 1] / np.maximum(
        se[peak:last + 1], 1e-8 * norm[peak:last + 1])) ** 2
    X = np.stack([np.ones_like(k), k], axis=1)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    coef = cov @ (X.T @ (w * y))
    slope_se = None if exact else float(np.sqrt(cov[1, 1]))
    if slope_se is not None and len(k) > 2:      # scale by the fit's own residual spread
        chi2 = float(np.sum(w * (y - X @ coef) ** 2) / (len(k) - 2))
        slope_se *= max(1.0, np.sqrt(chi2))
    return (float(-coef[1] / dt), None if slope_se is None else slope_se / dt,
            (peak, last))


def _memory_length(norm: np.ndarray, lags: np.ndarray) -> float | None:
    """The lag after which ``norm`` stays below MEMORY_LEVEL of its maximum."""
    if norm.max() <= 0:
        return 0.0
    above = np.nonzero(norm >= MEMORY_LEVEL * norm.max())[0]
    last = int(above[-1])
    return None if last == len(norm) - 1 else float(lags[last + 1])
