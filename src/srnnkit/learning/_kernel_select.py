"""Choices of the kernel machine by exact leave-one-out inside the training set.

Every candidate Gram matrix is centred (unpenalised intercept), eigendecomposed once, and
scored at each penalty of a grid relative to its mean eigenvalue; the per-series
leave-one-out errors of its best penalty feed the one-standard-error rule among kernels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..kernels._pooled import _dct
from ._ridge import eigh

__all__ = ["LooFit", "centre", "heat_grams", "loo_fit", "mixture_grid", "one_se"]

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
    penalties in one matrix product. With the intercept the residual is :math:`c_i / M'_{ii}`
    with :math:`c = M y_c`, :math:`M' = (K_c + \\alpha I)^{-1} - uu^\\top/\\alpha`, ``u`` the
    unit constant vector (the intercept's direction).
    """
    n = K.shape[0]
    Kc = centre(K) if intercept else K
    lam, V = eigh(0.5 * (Kc + Kc.T))
    lam = np.clip(lam, 0.0, None)
    grid = KERNEL_ALPHAS if grid is None else np.asarray(grid, float)
    scale = max(float(lam.sum()) / n, np.finfo(float).tiny) if relative else 1.0
    alphas = grid * scale
    if n < 2:
        return LooFit(0.0, float(alphas[-1]), np.zeros(alphas.size), np.zeros(n), lam, V)
    W = 1.0 / (lam[None, :] + alphas[:, None])                     # (n_alphas, n)
    VtY = V.T @ Yc                                                 # (n, k)
    C = V @ (W.T[:, :, None] * VtY[:, None, :]).reshape(n, -1)     # (n, n_alphas * k)
    D = (V * V) @ W.T                                              # (n, n_alphas)
    if intercept:
        # the constant vector u = 1/sqrt(n) is an exact null vector of the centred Gram:
        # remove its term 1/alpha u u^T from M = (K_c + alpha I)^{-1} (whatever basis eigh
        # chose inside a degenerate null space); M Yc is unchanged (u^T Yc = 0)
        D = D - 1.0 / (n * alphas[None, :])
    D = np.maximum(D, np.finfo(float).tiny)
    E = C.reshape(n, alphas.size, -1) / D[:, :, None]
    per = np.sum(E * E, axis=2)                                    # (n, n_alphas)
    errors = per.mean(axis=0)
    best = int(np.flatnonzero(errors <= errors.min() * (1.0 + 1e-10) + 1e-300)[-1])
    return LooFit(float(errors[best]), float(alphas[best]), errors, per[:, best], lam, V)


def one_se(fits: list[LooFit]) -> int:
    """The first candidate (list them simplest first) whose error exceeds the best one's by
    less than the standard error of their paired per-series difference."""
    scores = np.array([f.error for f in fits])
    b = int(np.argmin(scores))
    n = fits[b].per_series.size
    for c, f in enumerate(fits):
        d = f.per_series - fits[b].per_series
        se = float(np.std(d, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
        if scores[c] <= scores[b] + se:
            return c
    return b


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
    taus = 0.5 * (np.asarray(bandwidths) * (B - 1)) ** 2
    weights = np.exp(-taus[:, None] * mu[None, :])                  # (n_bw, B)
    acc = np.zeros((len(taus), n, n))
    for p in range(degrees + 1):
        for k in range(B):
            Ek = np.ascontiguousarray(E[:, p, :, k])
            G = Ek @ Ek.T
            for i in range(len(taus)):
                acc[i] += weights[i, k] * G
        for i, b in enumerate(bandwidths):
            yield float(b), p, acc[i].copy()


def mixture_grid(names: list[str]) -> list[np.ndarray]:
    """Weights (summing to 1, steps of 1/4) of the kernels ``names``, simplest first: each
    kernel alone (in the given order), then pairs, then all three."""
    k = len(names)
    out = [np.eye(k)[i] for i in range(k)]
    for size in range(2, k + 1):
        for idx in combinations(range(k), size):
            for parts in _compositions(4, size):
                w = np.zeros(k)
                w[list(idx)] = np.array(parts) / 4.0
                out.append(w)
    return out


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Tuples of ``parts`` positive integers summing to ``total``, largest first part first."""
    if parts == 1:
        return [(total,)]
    return [(first, *rest) for first in range(total - parts + 1, 0, -1)
            for rest in _compositions(total - first, parts - 1)]
