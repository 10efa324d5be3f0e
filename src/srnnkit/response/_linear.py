"""Closed forms for linear SRNNs (THEORY.md section 3)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import linalg

from .._validation import check_positive, fail

__all__ = ["stationary_covariance"]


def stationary_covariance(model: Any, dt: float | None = None) -> np.ndarray:
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
    if dt is None:
        if np.linalg.eigvals(-A).real.max() >= 0:
            raise ValueError("stationary_covariance needs A = Gamma - W Hurwitz-stable (all "
                             "eigenvalues with positive real part); this model has none "
                             "stationary law.")
        S = linalg.solve_continuous_lyapunov(A, D)
    else:
        dt = check_positive("dt", dt)
        P = np.eye(A.shape[0]) - dt * A
        rho = float(np.abs(np.linalg.eigvals(P)).max())
        if rho >= 1:
            raise ValueError(f"dt={dt} makes the Euler-Maruyama chain unstable (spectral radius "
                             f"of I - dt*A is {rho:.4g} >= 1); use a smaller dt.")
        S = linalg.solve_discrete_lyapunov(P, dt * D)
    return 0.5 * (S + S.T)


def _transition_powers(model: Any, dt: float, n_lags: int, discrete: bool) -> np.ndarray:
    """``e^{-A k dt}`` (or ``(I - dt A)^k`` when ``discrete``), k < n_lags: (n_lags, n, n)."""
    A = model.A
    n = A.shape[0]
    step = np.eye(n) - dt * A if discrete else linalg.expm(-dt * A)
    out = np.empty((n_lags, n, n))
    out[0] = np.eye(n)
    for k in range(1, n_lags):
        out[k] = step @ out[k - 1]
    return out


def _readout_gradient_mean(model: Any, what: str) -> np.ndarray:
    """``E_{p_inf} grad f`` for a linear SRNN whose readout the closed forms handle: (p, n)."""
    ro = model.readout
    kind = getattr(ro, "kind", "callable")
    if kind in ("linear", "identity"):
        return ro.Q
    if kind == "quadratic":
        return (ro.M @ model.stationary_mean())[None, :]
    raise ValueError(f"{what} with method='analytic' needs a linear or Quadratic readout; this "
                     f"model has readout={ro!r}. Use method='perturbation', 'fdt' or 'girsanov' "
                     "instead.")


def analytic_linear_response(model: Any, dt: float, n_lags: int,
                             discrete: bool = False) -> np.ndarray:
    r"""Closed-form :math:`R^{(1)}(k\Delta) = E[\nabla f]\,e^{-Ak\Delta} C`, shape (n_lags, p, m).

    For a linear readout :math:`E\nabla f = Q`; for :math:`f = \tfrac12 h^\top M h` it is
    :math:`m_\infty^\top M`.  With ``discrete`` the EM chain's :math:`Q P^k C`,
    :math:`P = I - \Delta A`.
    """
    G = _readout_gradient_mean(model, "linear_response")
    E = _transition_powers(model, dt, n_lags, discrete)
    return np.einsum("pi,kij,jm->kpm", G, E, model.C)


def analytic_second_order(model: Any, dt: float, n_lags: int,
                          discrete: bool = False) -> np.ndarray:
    r"""Closed-form second-order kernel (THEORY.md 3.1), shape (n_lags, n_lags, p, m, m).

    ``values[k1, k2, 0, a, b] = c_a^T E_{k1}^T M E_{k1+k2} c_b`` with :math:`E_k = e^{-Ak\Delta}`
    (or :math:`P^k` for the EM chain, where this layout gives ``r2(k1, k2-1)`` for ``k2 >= 1`` and
    ``d2(k1)/dt**2`` for ``k2 = 0``).  Zero for a linear readout.
    """
    ro = model.readout
    kind = getattr(ro, "kind", "callable")
    m, p = model.n_inputs, model.n_outputs
    if kind in ("linear", "identity"):
        return np.zeros((n_lags, n_lags, p, m, m))
    if kind != "quadratic":
        _readout_gradient_mean(model, "second_order_response")  # raises the standard message
    E = _transition_powers(model, dt, 2 * n_lags - 1, discrete)
    EC = np.einsum("kij,jm->kim", E, model.C)                  # (2L-1, n, m)
    left = np.einsum("kia,ij->kja", EC[:n_lags], ro.M)          # (L, n, m): M E_k1 c_a
    out = np.empty((n_lags, n_lags, 1, m, m))
    for k1 in range(n_lags):
        out[k1, :, 0] = np.einsum("ja,kjb->kab", left[k1], EC[k1:k1 + n_lags])
    return out


def analytic_output_mean(model: Any, dt: float | None = None) -> np.ndarray:
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
