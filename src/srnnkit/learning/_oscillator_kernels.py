"""Compiled loops of `LinearSRNNFeatures`: a bank of damped oscillators and pooled readouts.

Nothing here is compiled at import time: every function is ``@njit(cache=True)`` and compiles
on first call. The loops release the GIL; the front end spreads series over threads, and each
series' numbers are the same whatever thread runs it.

Oscillator ``j`` is the complex state ``z = x + i y`` of the linear SRNN
``dz = [-(gamma_j - i omega_j) z + c_j . u] dt + sigma (dB1 + i dB2)``. With the input held
constant over each unit step, its mean follows the exact recursion

    m_{t+1} = lam_j m_t + kap_j (c_j . u_t),
    lam_j = exp(-(gamma_j - i omega_j)),  kap_j = (1 - lam_j) / (gamma_j - i omega_j),

and (started from the stationary law) ``x_t, y_t ~ N(Re/Im m_t, s_j^2)`` with
``s_j = sigma / sqrt(2 gamma_j)`` at every step. The hidden units are ``r = 0..2U-1``
(``x_j`` for ``r = j``, ``y_j`` for ``r = U + j``); the readouts, averaged over the steps, are

    step:  E 1{h_r > b}   = Phi(d / s)            (1{d > 0} when sigma = 0)
    relu:  E (h_r - b)_+  = d Phi(d / s) + s phi(d / s)   (max(d, 0) when sigma = 0)

with ``d = m_r - b``. ``Phi`` and ``phi`` come from a cubic Hermite table on ``[-8, 8]`` with
spacing 1/64 (absolute error below 1e-10; beyond +-8 the tails are below 7e-16), which keeps
the inner loop free of library calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TABLE_LO = -8.0
TABLE_STEPS = 64.0  # points per unit


@njit(cache=True, inline="always")
def _hermite(x, T, D):
    """Cubic Hermite interpolation of a tabulated function (values T, scaled slopes D)."""
    x = min(max(x, TABLE_LO), -TABLE_LO)
    u = (x - TABLE_LO) * TABLE_STEPS
    i = min(int(u), T.size - 2)
    f = u - i
    f2 = f * f
    f3 = f2 * f
    return ((2.0 * f3 - 3.0 * f2 + 1.0) * T[i] + (f3 - 2.0 * f2 + f) * D[i]
            + (3.0 * f2 - 2.0 * f3) * T[i + 1] + (f3 - f2) * D[i + 1])


@njit(cache=True, nogil=True)
def gaussian_tables_eval(x, tables):
    """Phi(x) and phi(x) from the tables (for tests)."""
    out = np.empty((2, x.size))
    for k in range(x.size):
        out[0, k] = _hermite(x[k], tables[0], tables[1])
        out[1, k] = _hermite(x[k], tables[2], tables[3])
    return out


@njit(cache=True, nogil=True)
def _advance(x, t, C, lr, li, kr, ki, zr, zi, d):
    """One exact step of every oscillator's mean with input row ``x[t]``."""
    U = lr.size
    for j in range(U):
        d[j] = 0.0
    for k in range(C.shape[0]):
        xk = x[t, k]
        Ck = C[k]
        for j in range(U):
            d[j] += Ck[j] * xk
    for j in range(U):
        a = lr[j] * zr[j] - li[j] * zi[j] + kr[j] * d[j]
        zi[j] = lr[j] * zi[j] + li[j] * zr[j] + ki[j] * d[j]
        zr[j] = a


@njit(cache=True, nogil=True)
def mean_states(x, C, lr, li, kr, ki):
    """Mean states ``(L, 2U)`` (x parts, then y parts) of one series ``x`` (L, m).

    ``C`` is ``(m, U)`` (channel-major, so the drive loop runs over oscillators).
    """
    L = x.shape[0]
    U = lr.size
    zr = np.zeros(U)
    zi = np.zeros(U)
    d = np.empty(U)
    out = np.empty((L, 2 * U))
    for t in range(L):
        _advance(x, t, C, lr, li, kr, ki, zr, zi, d)
        for j in range(U):
            out[t, j] = zr[j]
            out[t, U + j] = zi[j]
    return out


@njit(cache=True, nogil=True)
def pooled_readouts(X, offsets, first, last, C, lr, li, kr, ki, BT, inv_s, s, tables,
                    step, relu, timed, out):
    """Time-averaged readouts of series ``first..last-1`` into rows of ``out``.

    ``X`` holds the series stacked along time (rows ``offsets[i]:offsets[i+1]``), ``BT`` the
    thresholds ``(n_thresholds, 2U)``, ``inv_s``/``s`` the stationary standard deviation per
    unit (``inv_s = 0`` selects the noiseless readouts). Row layout: step features
    ``r * nb + b`` first, then relu features; with ``timed``, the same again with the time
    weight ``t / L`` (``t = 1..L``) after them.
    """
    U = lr.size
    R = 2 * U
    nb = BT.shape[0]
    zr = np.empty(U)
    zi = np.empty(U)
    d = np.empty(U)
    h = np.empty(R)
    acc_p = np.empty((nb, R))
    acc_r = np.empty((nb, R))
    tacc_p = np.empty((nb, R))
    tacc_r = np.empty((nb, R))
    fp = np.empty(R)
    fr = np.empty(R)
    TP, DP, TD, DD = tables[0], tables[1], tables[2], tables[3]
    noisy = inv_s[0] > 0.0
    for i in range(first, last):
        x = X[offsets[i]:offsets[i + 1]]
        L = x.shape[0]
        zr[:] = 0.0
        zi[:] = 0.0
        acc_p[:] = 0.0
        acc_r[:] = 0.0
        tacc_p[:] = 0.0
        tacc_r[:] = 0.0
        for t in range(L):
            wt = (t + 1.0) / L
            _advance(x, t, C, lr, li, kr, ki, zr, zi, d)
            for j in range(U):
                h[j] = zr[j]
                h[U + j] = zi[j]
            for b in range(nb):
                Bb = BT[b]
                ap = acc_p[b]
                ar = acc_r[b]
                tp = tacc_p[b]
                tr = tacc_r[b]
                if noisy:
                    for r in range(R):
                        q = (h[r] - Bb[r]) * inv_s[r]
                        P = _hermite(q, TP, DP)
                        fp[r] = P
                        fr[r] = ((h[r] - Bb[r]) * P + s[r] * _hermite(q, TD, DD)) if relu else 0.0
                else:
                    for r in range(R):
                        dd = h[r] - Bb[r]
                        fp[r] = 1.0 if dd > 0.0 else 0.0
                        fr[r] = dd if dd > 0.0 else 0.0
                # accumulate (unused accumulators are simply not written out)
                for r in range(R):
                    ap[r] += fp[r]
                    ar[r] += fr[r]
                if timed:
                    for r in range(R):
                        tp[r] += wt * fp[r]
                        tr[r] += wt * fr[r]
        w = 1.0 / L
        row = out[i]
        col = 0
        if step:
            for r in range(R):
                for b in range(nb):
                    row[col] = acc_p[b, r] * w
                    col += 1
        if relu:
            for r in range(R):
                for b in range(nb):
                    row[col] = acc_r[b, r] * w
                    col += 1
        if timed:
            if step:
                for r in range(R):
                    for b in range(nb):
                        row[col] = tacc_p[b, r] * w
                        col += 1
            if relu:
                for r in range(R):
                    for b in range(nb):
                        row[col] = tacc_r[b, r] * w
                        col += 1
