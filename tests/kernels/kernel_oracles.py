"""Independent references for the kernel tests: a plain-NumPy Goursat solver,
tensor paths and signature features through iisignature, and small support
bases with the interface of ``srnnkit.features`` bases (``__call__``, ``kappa``,
``integrals``, ``n_functions``)."""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import legendre as npleg


# --------------------------------------------------------------------------- PDE oracle
def goursat_oracle(G: np.ndarray, R: int = 1) -> float:
    """k(end, end) of the second-order scheme, cell by cell, in plain Python/NumPy.

    G (n, m) are the cell increment inner products; each cell is split R x R with G/R².
    """
    Gr = np.repeat(np.repeat(np.asarray(G, float), R, 0), R, 1) / R**2
    n, m = Gr.shape
    k = np.ones((n + 1, m + 1))
    for i in range(n):
        for j in range(m):
            g = Gr[i, j]
            k[i + 1, j + 1] = ((k[i + 1, j] + k[i, j + 1]) * (1 + g / 2 + g * g / 12)
                               - k[i, j] * (1 - g * g / 12))
    return float(k[n, m])


def linear_cells(x: np.ndarray, y: np.ndarray, scale: float = 1.0) -> np.ndarray:
    return scale * np.diff(x, axis=0) @ np.diff(y, axis=0).T


def rbf_cells(x: np.ndarray, y: np.ndarray, scale: float) -> np.ndarray:
    d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    k = np.exp(-d2 / (2 * scale**2))
    return k[1:, 1:] - k[1:, :-1] - k[:-1, 1:] + k[:-1, :-1]


def oracle_gram(X, Y, cells, R: int = 1, richardson: bool = False) -> np.ndarray:
    def one(R):
        return np.array([[goursat_oracle(cells(x, y), R) for y in Y] for x in X])
    if richardson:
        return (4 * one(R) - one(R // 2)) / 3
    return one(R)


# --------------------------------------------------------------------------- bases
class MonomialBasis:
    """psi_p(s) = s^p, p = 0..degree."""

    def __init__(self, degree: int):
        self.degree = degree
        self.n_functions = degree + 1

    def __call__(self, t):
        return np.asarray(t, float)[:, None] ** np.arange(self.n_functions)

    def kappa(self, s, t):
        st = np.asarray(s, float) * np.asarray(t, float)
        return sum(st**p for p in range(self.n_functions))

    def integrals(self, a, b):
        a = np.asarray(a, float)[:, None]
        b = np.asarray(b, float)[:, None]
        p = np.arange(self.n_functions)
        return (b ** (p + 1) - a ** (p + 1)) / (p + 1)


class WeightedMonomialBasis:
    """psi_p(s) = s^p / sqrt(p!); degree=None is the infinite basis with kappa = e^{st}."""

    def __init__(self, degree: int | None = None):
        self.degree = degree
        self.n_functions = None if degree is None else degree + 1

    def _w(self):
        p = np.arange(self.n_functions)
        return p, np.array([1 / math.sqrt(math.factorial(int(q))) for q in p])

    def __call__(self, t):
        p, w = self._w()
        return np.asarray(t, float)[:, None] ** p * w

    def kappa(self, s, t):
        st = np.asarray(s, float) * np.asarray(t, float)
        if self.degree is None:
            return np.exp(st)
        return sum(st**p / math.factorial(p) for p in range(self.n_functions))

    def integrals(self, a, b):
        if self.degree is None:
            raise ValueError("infinite basis")
        p, w = self._w()
        a = np.asarray(a, float)[:, None]
        b = np.asarray(b, float)[:, None]
        return (b ** (p + 1) - a ** (p + 1)) / (p + 1) * w


class LegendreBasis:
    """Orthonormal shifted Legendre polynomials on [0, T], p = 0..degree."""

    def __init__(self, degree: int, T: float):
        self.degree = degree
        self.T = T
        self.n_functions = degree + 1

    def __call__(self, t):
        x = 2 * np.asarray(t, float) / self.T - 1
        V = npleg.legvander(x, self.degree)
        return V * np.sqrt((2 * np.arange(self.n_functions) + 1) / self.T)

    def kappa(self, s, t):
        s, t = np.broadcast_arrays(np.asarray(s, float), np.asarray(t, float))
        a = self(s.ravel())
        b = self(t.ravel())
        return (a * b).sum(1).reshape(s.shape)

    def integrals(self, a, b):
        out = []
        for p in range(self.n_functions):
            c = np.zeros(p + 1)
            c[p] = math.sqrt((2 * p + 1) / self.T)
            ci = npleg.legint(c) * (self.T / 2)  # d/dt = (2/T) d/dx
            fa = npleg.legval(2 * np.asarray(a, float) / self.T - 1, ci)
            fb = npleg.legval(2 * np.asarray(b, float) / self.T - 1, ci)
            out.append(fb - fa)
        return np.stack(out, axis=1)


class ExponentialBasis:
    """psi_p(s) = exp(-rate_p s)."""

    def __init__(self, rates):
        self.rates = np.asarray(rates, float)
        self.n_functions = len(self.rates)

    def __call__(self, t):
        return np.exp(-np.asarray(t, float)[:, None] * self.rates)

    def kappa(self, s, t):
        st = np.asarray(s, float)[..., None] + np.asarray(t, float)[..., None]
        return np.exp(-st * self.rates).sum(-1)

    def integrals(self, a, b):
        a = np.asarray(a, float)[:, None]
        b = np.asarray(b, float)[:, None]
        lam = self.rates
        return np.where(lam == 0, b - a, (np.exp(-lam * a) - np.exp(-lam * b)) / np.where(
            lam == 0, 1.0, lam))


# --------------------------------------------------------------------------- features
def tensor_path(u: np.ndarray, dt: float, basis, r: int) -> np.ndarray:
    """Samples of X = ∫psi⊗u at r points per input cell (exact), shape (L r + 1, P m)."""
    u = np.asarray(u, float)
    n = u.shape[0] * r
    e = np.arange(n + 1) * (dt / r)
    ints = basis.integrals(e[:-1], e[1:])
    inc = (ints[:, :, None] * np.repeat(u, r, axis=0)[:, None, :]).reshape(n, -1)
    return np.vstack([np.zeros(inc.shape[1]), np.cumsum(inc, axis=0)])


def signature_features(paths, depth: int) -> np.ndarray:
    """Flattened signatures with the scalar term 1 (iisignature)."""
    import iisignature

    return np.array([np.concatenate([[1.0], iisignature.sig(np.asarray(p, float), depth)])
                     for p in paths])


def response_gram_features(U, V, dt, basis, depth, r):
    FU = signature_features([tensor_path(u, dt, basis, r) for u in U], depth)
    FV = signature_features([tensor_path(v, dt, basis, r) for v in V], depth)
    return FU @ FV.T
