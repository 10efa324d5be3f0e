"""Closed forms for linear SRNNs (THEORY.md section 3)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import linalg

from .._validation import check_positive

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
