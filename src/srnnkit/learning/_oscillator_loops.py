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
(``x_j`` for ``r = 2j``, ``y_j`` for ``r = 2j + 1``); the readouts, averaged over the steps, are

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
            out[t, 2 * j] = zr[j]
            out[t, 2 * j + 1] = zi[j]
    return out


@njit(cache=True, nogil=True)
def _plain_step_timed(h, B, wt, ap, ar, tp, tr, lo, hi):
    """Noiseless readouts of units ``lo..hi-1`` at one step for one threshold row, plain and
    time-weighted sums: one fused loop (no temporaries), so that it vectorises.
    """
    for r in range(lo, hi):
        dd = h[r] - B[r]
        p = 1.0 if dd > 0.0 else 0.0
        q = dd if dd > 0.0 else 0.0
        ap[r] += p
        ar[r] += q
        tp[r] += wt * p
        tr[r] += wt * q


@njit(cache=True, nogil=True)
def _plain_step(h, B, ap, ar, lo, hi):
    for r in range(lo, hi):
        dd = h[r] - B[r]
        ap[r] += 1.0 if dd > 0.0 else 0.0
        ar[r] += dd if dd > 0.0 else 0.0


@njit(cache=True, nogil=True)
def _linear_step(h, wt, timed, al, tl, lo, hi):
    """Linear readouts (the mean states) of units ``lo..hi-1`` at one step."""
    for r in range(lo, hi):
        al[r] += h[r]
        if timed:
            tl[r] += wt * h[r]


@njit(cache=True, nogil=True)
def _noisy_step(h, B, inv_s, s, TP, DP, TD, DD, relu, timed, wt, ap, ar, tp, tr, lo, hi):
    """Gaussian readouts Phi(d/s) and d Phi(d/s) + s phi(d/s) of units ``lo..hi-1``."""
    for r in range(lo, hi):
        d = h[r] - B[r]
        q = d * inv_s[r]
        P = _hermite(q, TP, DP)
        F = (d * P + s[r] * _hermite(q, TD, DD)) if relu else 0.0
        ap[r] += P
        ar[r] += F
        if timed:
            tp[r] += wt * P
            tr[r] += wt * F


@njit(cache=True, nogil=True)
def pooled_readouts(X, offsets, first, last, C, lr, li, kr, ki, BT, inv_s, s, tables,
                    n_read, step, relu, timed, linear, out):
    """Time-averaged readouts of series ``first..last-1`` into rows of ``out``.

    ``X`` holds the series stacked along time (rows ``offsets[i]:offsets[i+1]``), ``BT`` the
    thresholds ``(n_thresholds, 2U)``, ``inv_s``/``s`` the stationary standard deviation per
    unit (``inv_s = 0`` selects the noiseless readouts). Row layout: step features
    ``r * nb + b`` first, then relu features; with ``timed``, the same again with the time
    weight ``t / L`` (``t = 1..L``) after them. With ``linear``, the averages of the mean
    states themselves follow (unit ``r``; then, with ``timed``, their time-weighted averages).

    Oscillators are sorted by their readout stride ``2^k`` (a power of two): oscillator ``j``
    is read at the steps ``t`` (1-based) that are multiples of its stride, and its features
    are averages over those reads; ``n_read[k]`` is the number of oscillators with stride
    ``<= 2^k`` (the last entry: all of them). An oscillator whose stride exceeds the series
    length is read once, at the last step. Every state is advanced at every step.
    """
    U = lr.size
    R = 2 * U
    nb = BT.shape[0]
    K = n_read.size - 1
    zr = np.empty(U)
    zi = np.empty(U)
    d = np.empty(U)
    h = np.empty(R)
    acc_p = np.empty((nb, R))
    acc_r = np.empty((nb, R))
    tacc_p = np.empty((nb, R))
    tacc_r = np.empty((nb, R))
    acc_l = np.empty(R)
    tacc_l = np.empty(R)
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
        acc_l[:] = 0.0
        tacc_l[:] = 0.0
        # oscillators with a stride <= L (read at multiples of it); the rest: at the end
        k_len = 0
        while k_len < K and (2 << k_len) <= L:
            k_len += 1
        n_in_len = n_read[k_len]
        for t in range(L):
            _advance(x, t, C, lr, li, kr, ki, zr, zi, d)
            t1 = t + 1
            k = 0
            while k < K and (t1 >> (k + 1)) << (k + 1) == t1:
                k += 1
            n = n_read[k]
            tail = max(n, n_in_len) if t1 == L else U     # the end: strides beyond L
            if n == 0 and tail == U:
                continue
            for j in range(U):
                h[2 * j] = zr[j]
                h[2 * j + 1] = zi[j]
            wt = t1 / L
            if linear:
                _linear_step(h, wt, timed, acc_l, tacc_l, 0, 2 * n)
                if tail < U:
                    _linear_step(h, wt, timed, acc_l, tacc_l, 2 * tail, R)
            for b in range(nb if (step or relu) else 0):
                if noisy:
                    _noisy_step(h, BT[b], inv_s, s, tables[0], tables[1], tables[2], tables[3],
                                relu, timed, wt, acc_p[b], acc_r[b], tacc_p[b], tacc_r[b],
                                0, 2 * n)
                    if tail < U:
                        _noisy_step(h, BT[b], inv_s, s, tables[0], tables[1], tables[2],
                                    tables[3], relu, timed, wt, acc_p[b], acc_r[b], tacc_p[b],
                                    tacc_r[b], 2 * tail, R)
                elif timed:
                    _plain_step_timed(h, BT[b], wt, acc_p[b], acc_r[b], tacc_p[b], tacc_r[b],
                                      0, 2 * n)
                    if tail < U:
                        _plain_step_timed(h, BT[b], wt, acc_p[b], acc_r[b], tacc_p[b],
                                          tacc_r[b], 2 * tail, R)
                else:
                    _plain_step(h, BT[b], acc_p[b], acc_r[b], 0, 2 * n)
                    if tail < U:
                        _plain_step(h, BT[b], acc_p[b], acc_r[b], 2 * tail, R)
        _write_row(out[i], acc_p, acc_r, tacc_p, tacc_r, acc_l, tacc_l, n_read, L, step, relu,
                   timed, linear)


@njit(cache=True, nogil=True)
def _write_row(row, acc_p, acc_r, tacc_p, tacc_r, acc_l, tacc_l, n_read, L, step, relu, timed,
               linear):
    """Divide each oscillator's sums by its number of reads; write in the documented order."""
    nb, R = acc_p.shape
    U = R // 2
    K = n_read.size - 1
    w = np.empty(R)
    k = 0
    for j in range(U):
        while k < K and j >= n_read[k]:
            k += 1
        c = L >> k                      # reads at the multiples of the stride 2^k
        w[2 * j] = 1.0 / c if c > 0 else 1.0
        w[2 * j + 1] = w[2 * j]
    col = 0
    for which in range(4):
        if (which % 2 == 0 and not step) or (which % 2 == 1 and not relu) or \
                (which >= 2 and not timed):
            continue
        A = (acc_p, acc_r, tacc_p, tacc_r)[which]
        for r in range(R):
            for b in range(nb):
                row[col] = A[b, r] * w[r]
                col += 1
    if linear:
        for r in range(R):
            row[col] = acc_l[r] * w[r]
            col += 1
        if timed:
            for r in range(R):
                row[col] = tacc_l[r] * w[r]
                col += 1


@njit(cache=True, nogil=True)
def column_stats(F):
    """Per column of ``F`` (n, p): largest and smallest value, mean and standard deviation.

    The sums run over the rows in order, as NumPy's ``max``/``min``/``mean``/``std`` along
    axis 0 of a C-ordered array do (the same bits, checked on the development panel's
    feature matrices), in two passes over ``F`` instead of about eight and no temporary of
    its size.
    """
    n, p = F.shape
    mx = F[0].copy()
    mn = F[0].copy()
    s = np.zeros(p)                 # from 0, as NumPy's sum: a column of -0.0 sums to 0.0
    for i in range(n):
        row = F[i]
        for j in range(p):
            v = row[j]
            mx[j] = v if v > mx[j] else mx[j]
            mn[j] = v if v < mn[j] else mn[j]
            s[j] += v
    mean = s / n
    q = np.zeros(p)
    for i in range(n):
        row = F[i]
        for j in range(p):
            d = row[j] - mean[j]
            q[j] += d * d
    return mx, mn, mean, np.sqrt(q / n)


@njit(cache=True, nogil=True)
def standardize_rows(F, mean, scale):
    """``F = (F - mean) / scale`` in place, row by row (the roundings of ``F -= mean;
    F /= scale``)."""
    for i in range(F.shape[0]):
        row = F[i]
        for j in range(F.shape[1]):
            row[j] = (row[j] - mean[j]) / scale[j]
