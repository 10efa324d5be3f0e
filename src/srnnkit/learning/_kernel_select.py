"""Choices of the kernel machine by exact leave-one-out inside the training set.

Every candidate Gram matrix is centred (unpenalised intercept), eigendecomposed once, and
scored at each penalty of a grid relative to its mean eigenvalue; the leave-one-out
predictions of each candidate at its best penalty are stacked (non-negative least squares)
into the weights of the kernels' sum.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from ..kernels._pooled import _dct
from ._ridge import _gram_spectrum, eigh, relative_scale

__all__ = ["LooFit", "centre", "heat_grams", "loo_fit", "stack_weights"]

# Penalties relative to the mean eigenvalue of the candidate's centred Gram matrix.
KERNEL_ALPHAS = np.logspace(-6, 1, 15)


@dataclass
class LooFit:
    """A candidate Gram matrix scored by leave-one-out at its best penalty."""

    error: float              # mean squared LOO error (summed over targets), best penalty
    alpha: float
    errors: np.ndarray        # per penalty of the grid
    per_series: np.ndarray    # (n,) squared LOO error of each series at the best penalty
    lam: np.ndarray
    V: np.ndarray
    residuals: np.ndarray     # (n, k) LOO residuals y_i - f_{-i}(u_i) at the best penalty


def centre(K: np.ndarray) -> np.ndarray:
    """``K`` centred on the training series (rows and columns of mean zero)."""
    col = K.mean(axis=0)
    return K - col[None, :] - col[:, None] + float(col.mean())


def loo_fit(K: np.ndarray, Yc: np.ndarray, grid: np.ndarray | None, *, relative: bool = True,
            intercept: bool = True) -> LooFit:
    """Exact leave-one-out of kernel ridge on ``K`` (centred when ``intercept``).

    ``grid``: penalties (relative to the mean eigenvalue of the centred Gram when
    ``relative``); ``None``: `KERNEL_ALPHAS`. Ties go to the larger penalty. The residuals
    are those of ``srnnkit.learning._ridge.loo_residuals`` (full eigenbasis), for all
    penalties in one matrix product: :math:`c_i / M_{ii}` with :math:`c = M y_c`,
    :math:`M = \\sum_j v_j v_j^\\top / (\\lambda_j + \\alpha)` over the eigenvectors of
    the centred Gram other than the constant one (the intercept's direction), which is left
    out of ``V`` and ``lam`` (with the intercept).
    """
    n = K.shape[0]
    Kc = centre(K) if intercept else K
    Kc = 0.5 * (Kc + Kc.T)
    if intercept and np.max(np.abs(Kc), initial=0.0) <= 16 * n * np.finfo(float).eps * np.max(
            np.abs(K), initial=0.0):
        # a constant kernel: centred, it is rounding (4e-16 for 3.7 everywhere), whose
        # eigenvalues set a relative penalty scale of 1e-17 and carried the fit (predictions
        # 1e14 off the mean, LOO errors 30-340 % off); the intercept alone is the fit
        Kc = np.zeros_like(Kc)
    if intercept and n > 1:
        # the constant vector u is an exact null vector of the centred Gram: it is set apart
        # as the top eigenvector (`_gram_spectrum`) and left out of V. Subtracting its term
        # 1/(n alpha) from the sum over all eigenvectors cancelled at small penalties: on a
        # smooth Gram LOO errors 2e-3 off at 1e-8 x the mean eigenvalue and inf at 1e-10
        # (penalties a user's `alphas` may hold; checked against refits in 50 digits)
        lam, V = _gram_spectrum(Kc)
        u = int(np.argmax(np.abs(V.sum(axis=0))))
        lam, V = np.delete(lam, u), np.delete(V, u, axis=1)
    else:
        lam, V = eigh(Kc)
        lam = np.clip(lam, 0.0, None)
    grid = KERNEL_ALPHAS if grid is None else np.asarray(grid, float)
    scale = relative_scale(lam, n) if relative else 1.0
    alphas = grid * scale
    if n < 2:
        return LooFit(0.0, float(alphas[-1]), np.zeros(alphas.size), np.zeros(n), lam, V,
                      np.zeros_like(Yc, dtype=float))
    r = V.shape[1]
    W = 1.0 / (lam[None, :] + alphas[:, None])                     # (n_alphas, r)
    VtY = V.T @ Yc                                                 # (r, k)
    C = V @ (W.T[:, :, None] * VtY[:, None, :]).reshape(r, -1)     # (n, n_alphas * k)
    D = np.maximum((V * V) @ W.T, np.finfo(float).tiny)            # (n, n_alphas)
    with np.errstate(over="ignore"):   # a useless penalty on a huge Gram: error inf, not chosen
        E = C.reshape(n, alphas.size, -1) / D[:, :, None]
        per = np.sum(E * E, axis=2)                                # (n, n_alphas)
    errors = per.mean(axis=0)
    best = int(np.flatnonzero(errors <= errors.min() * (1.0 + 1e-10) + 1e-300)[-1])
    return LooFit(float(errors[best]), float(alphas[best]), errors, per[:, best], lam, V,
                  E[:, best, :])


def heat_grams(E: np.ndarray, bandwidths: np.ndarray, degrees: int
               ) -> Iterator[tuple[float, int, np.ndarray]]:
    r"""``(bandwidth, degree, K)`` for every candidate of the pooled (heat) kernel.

    ``E`` (n, >= degrees+1, C, B) from ``srnnkit.kernels._pooled.embed``. The Gram of
    bandwidth ``b`` and time degree ``d`` is :math:`\sum_{p \le d} \sum_k e^{-\tau_b \mu_k}
    G_{p,k}` with the component Grams :math:`G_{p,k} = E_{:,p,:,k} E_{:,p,:,k}^\top`: one
    pass over the components, whatever the number of bandwidths (memory: one Gram per
    bandwidth).
    """
    n, _, _, B = E.shape
    mu = _dct(B)[1]
    # a width whose tau overflows (bandwidth=1e300) keeps only the constant mode: inf * 0
    # made the weights NaN, and the eigensolver failed on the NaN Gram
    with np.errstate(over="ignore"):
        taus = np.minimum(0.5 * (np.asarray(bandwidths, dtype=float) * (B - 1)) ** 2,
                          np.finfo(float).max)
        weights = np.exp(-taus[:, None] * mu[None, :])              # (n_bw, B)
    acc = np.zeros((len(taus), n, n))
    for p in range(degrees + 1):
        for k in range(B):
            Ek = np.ascontiguousarray(E[:, p, :, k])
            G = Ek @ Ek.T
            for i in range(len(taus)):
                acc[i] += weights[i, k] * G
        for i, b in enumerate(bandwidths):
            yield float(b), p, acc[i].copy()


def stack_weights(fits: list[LooFit], Yc: np.ndarray) -> np.ndarray:
    r"""Weights of the candidate kernels from their leave-one-out predictions (stacking).

    With :math:`\hat y^{(j)}_{-i} = y_{c,i} - r^{(j)}_i` the leave-one-out prediction of
    candidate ``j`` (centred targets ``Yc``, every target column), the weights solve

    .. math:: \min_{w \ge 0} \sum_{i,k} \Big(y_{c,ik} - \sum_j w_j
              \hat y^{(j)}_{-i,k}\Big)^2

    (Breiman's stacked regression), normalised to sum 1. If no non-negative combination
    beats predicting the mean (all weights zero), the candidate of the smallest
    leave-one-out error gets weight 1.
    """
    k = len(fits)
    if k == 1:
        return np.ones(1)
    A = np.stack([(Yc - f.residuals).ravel() for f in fits], axis=1)
    w = nnls(A, Yc.ravel())[0] if np.all(np.isfinite(A)) else np.zeros(k)
    if not w.sum() > 0:
        w = np.eye(k)[int(np.argmin([f.error for f in fits]))]
    return w / w.sum()
