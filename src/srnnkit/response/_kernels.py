"""Compiled Euler–Maruyama loops for the response estimators (Numba, compiled on first use).

The noise is drawn by NumPy outside the loops (one SeedSequence child per run or block), so the
compiled and the NumPy paths consume the same random numbers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["ACT_CODES", "em_final", "em_states"]

ACT_CODES = {"tanh": 0, "identity": 1, "relu": 2, "sigmoid": 3}


@njit(cache=True, inline="always")
def _act(code: int, z: float) -> float:
    if code == 0:
        return math.tanh(z)
    if code == 1:
        return z
    if code == 2:
        return z if z > 0.0 else 0.0
    return 0.5 * (1.0 + math.tanh(0.5 * z))


@njit(cache=True, nogil=True)
def _step(h, xi_t, W, b, Gam, S, dt, code, out):
    n = h.shape[0]
    r = xi_t.shape[0]
    for i in range(n):
        z = b[i]
        g = 0.0
        for j in range(n):
            z += W[i, j] * h[j]
            g += Gam[i, j] * h[j]
        noise = 0.0
        for k in range(r):
            noise += xi_t[k] * S[k, i]
        out[i] = h[i] + dt * (_act(code, z) - g) + noise


@njit(cache=True, nogil=True)
def em_states(h0, xi, W, b, Gam, S, dt, code, out):
    """Unperturbed EM runs: ``out[p, 0] = h0[p]``, ``out[p, t+1]`` after noise ``xi[p, t]``.

    ``S = sqrt(dt) * sigma.T`` (r, n); ``Gam`` the full leak matrix.
    """
    B, L = xi.shape[0], xi.shape[1]
    for p in range(B):
        out[p, 0] = h0[p]
        for t in range(L):
            _step(out[p, t], xi[p, t], W, b, Gam, S, dt, code, out[p, t + 1])


@njit(cache=True, nogil=True)
def em_final(h, xi, W, b, Gam, S, dt, code):
    """Advance states ``h`` (B, n) in place through the noise ``xi`` (B, L, r)."""
    B, L = xi.shape[0], xi.shape[1]
    tmp = np.empty(h.shape[1])
    for p in range(B):
        for t in range(L):
            _step(h[p], xi[p, t], W, b, Gam, S, dt, code, tmp)
            h[p, :] = tmp
