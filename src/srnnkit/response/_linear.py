"""Closed-form response kernels of linear SRNNs (the ``"analytic"`` estimator, docs/theory.md
section 3); the stationary law itself is at model level (``srnnkit.model._linear``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import linalg

__all__ = ["analytic_linear_response", "analytic_second_order"]


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
    r"""Closed-form second-order kernel (docs/theory.md §3.1), shape (n_lags, n_lags, p, m, m).

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


