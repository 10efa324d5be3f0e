"""Closed forms of linear SRNNs at model level (docs/theory.md section 3).

The stationary covariance (continuous time or the Euler-Maruyama chain), the exact Gaussian
transition of one step, and the stationary mean output. The simulators, the stationary draws of
the dynamics core and the response estimators all build on these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import linalg

from .._validation import check_positive, fail

if TYPE_CHECKING:
    from ._srnn import SRNN

__all__ = ["analytic_output_mean", "check_stationary_law", "exact_transition", "psd_sqrt",
           "stationary_covariance"]


def stationary_covariance(model: SRNN, dt: float | None = None) -> np.ndarray:
    r"""Stationary covariance :math:`\Sigma` of a linear SRNN.

    Continuous time (``dt=None``) solves the Lyapunov equation

    .. math:: A\Sigma + \Sigma A^\top = \sigma\sigma^\top, \qquad A = \Gamma - W;

    with ``dt`` given it solves the Euler–Maruyama chain's discrete equation

    .. math:: \Sigma_\Delta = P\Sigma_\Delta P^\top + \Delta\,\sigma\sigma^\top,
              \qquad P = I - \Delta A,

    whose solution differs from :math:`\Sigma` by :math:`O(\Delta)`.

    Parameters
    ----------
    model : SRNN
        A linear SRNN (``activation="identity"``) with Hurwitz-stable ``A``.
    dt : float, optional
        Euler–Maruyama step; ``None`` gives the continuous-time law.

    Returns
    -------
    ndarray of shape (n_hidden, n_hidden)
        The covariance of the stationary (Gaussian) law.

    Examples
    --------
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
    ...                 gamma=[1, .8], activation="identity")
    >>> sk.response.stationary_covariance(model).round(6)
    array([[0.216637, 0.073275],
           [0.073275, 0.153772]])
    """
    from ..model import SRNN

    if not isinstance(model, SRNN):
        fail("model", "an srnnkit.SRNN", type(model).__name__, TypeError)
    model._require_linear("stationary_covariance")
    A = model.A
    D = model.diffusion
    dt = None if dt is None else check_positive("dt", dt)
    check_stationary_law(model, dt)
    if dt is None:
        S = linalg.solve_continuous_lyapunov(A, D)
    else:
        S = linalg.solve_discrete_lyapunov(np.eye(A.shape[0]) - dt * A, dt * D)
    return 0.5 * (S + S.T)


def check_stationary_law(model: SRNN, dt: float | None = None) -> None:
    r"""ValueError unless the linear SRNN has a stationary law (every eigenvalue of
    :math:`A = \Gamma - W` with a positive real part) and, given ``dt``, so does its
    Euler-Maruyama chain (spectral radius of :math:`I - \Delta A` below 1): the closed forms
    would otherwise return numbers for a law that does not exist."""
    lam = np.linalg.eigvals(np.atleast_2d(model.A))
    if lam.real.min() <= 0:
        fail("model", "a linear SRNN with a stationary law (every eigenvalue of "
             "A = gamma - W with positive real part)",
             f"an eigenvalue with real part {lam.real.min():.4g}", hint="No dt gives it one.")
    if dt is not None:
        radius = float(np.abs(1.0 - dt * lam).max())
        if radius >= 1.0:
            tiny = dt * float(np.abs(lam).max()) < 1e-8      # 1 - dt lambda rounds to 1
            fail("model", "a linear SRNN whose Euler chain has a stationary law (spectral "
                 "radius of I - dt A below 1)", f"spectral radius {radius:.4g} with dt = {dt:g}",
                 hint=("dt is so small that I - dt A rounds to the identity: use a larger "
                       "dt." if tiny else "Use a smaller dt."))


def psd_sqrt(S: np.ndarray) -> np.ndarray:
    """``L`` with ``L @ L.T = S`` for a symmetric positive semi-definite ``S`` (eigen-decomposition,
    so a singular ``S`` is fine)."""
    w, V = np.linalg.eigh(0.5 * (S + S.T))
    return V * np.sqrt(np.clip(w, 0.0, None))


def exact_transition(model: SRNN, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The exact step of a linear SRNN: :math:`\Phi = e^{-A\Delta}`,
    :math:`\Psi = \int_0^\Delta e^{-As}ds` and the noise covariance
    :math:`\Sigma_\Delta = \int_0^\Delta e^{-As} D e^{-A^\top s} ds` of one step, so that
    :math:`h_{j+1} = \Phi h_j + \Psi (b + C u_j) + \eta_j`, :math:`\eta_j \sim N(0, \Sigma_\Delta)`.

    :math:`\Sigma_\Delta` comes from Van Loan's block exponential at a step
    :math:`\delta = \Delta / 2^k` with :math:`\lVert A\rVert_1\delta \le 1/2`, then
    :math:`k` doublings :math:`\Sigma_{2\delta} = \Sigma_\delta + \Phi_\delta
    \Sigma_\delta \Phi_\delta^\top`, :math:`\Phi_{2\delta} = \Phi_\delta^2` (sums of
    positive semi-definite terms). Van Loan's form at the whole step holds
    :math:`e^{+A^\top\Delta}` and cancels: the noise variance of a stiff unit
    (:math:`\lambda\Delta = 50`) came out 800 times too large, and beyond
    :math:`\lambda\Delta \approx 709` it overflowed.
    """
    A = model.A
    n = A.shape[0]
    D = model.diffusion
    big = np.zeros((2 * n, 2 * n))
    big[:n, :n] = -A
    big[:n, n:] = np.eye(n)
    E = linalg.expm(big * dt)
    Phi, Psi = E[:n, :n], E[:n, n:]
    norm = float(np.abs(A).sum(axis=0).max()) * dt
    k = 0 if norm <= 0.5 else min(int(np.ceil(np.log2(norm / 0.5))), 2000)
    delta = dt / 2.0 ** k
    vl = np.zeros((2 * n, 2 * n))
    vl[:n, :n] = -A
    vl[:n, n:] = D
    vl[n:, n:] = A.T
    F = linalg.expm(vl * delta)
    step = F[:n, :n]
    Q = F[:n, n:] @ step.T
    Q = 0.5 * (Q + Q.T)
    for _ in range(k):
        Q = Q + step @ Q @ step.T
        Q = 0.5 * (Q + Q.T)
        step = step @ step
    return Phi, Psi, Q


def analytic_output_mean(model: SRNN, dt: float | None = None) -> np.ndarray:
    """Stationary mean output of a linear SRNN (EM chain's when ``dt`` is given): (p,)."""
    ro = model.readout
    kind = getattr(ro, "kind", "callable")
    m = model.stationary_mean()
    if kind in ("linear", "identity"):
        return ro.Q @ m + ro.q
    if kind == "quadratic":
        S = stationary_covariance(model, dt)
        return np.array([0.5 * np.trace(ro.M @ S) + 0.5 * m @ ro.M @ m])
    raise ValueError(f"the analytic stationary mean needs a linear or Quadratic readout; got "
                     f"{ro!r}. Use a Monte Carlo method.")
