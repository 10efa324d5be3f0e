"""Compiled Numba loops for the Goursat (signature-kernel PDE) solvers.

Nothing here is compiled at import time: every function is ``@njit(cache=True)``
and compiles on first call.

Layout used by the Gram sweeps
------------------------------
The right-hand paths are packed in *blocks* of ``B`` lanes with the lane index
last (``(n_blocks, n_cells, ..., B)``), so that the innermost loop of the
second-order update runs over independent PDE solves and vectorises (SIMD),
while each lane's own column recursion stays strictly sequential.  Each lane's
arithmetic is the same whatever the block it sits in or the thread that runs
it, so results are bit-identical for every ``n_jobs``.

A *work item* is one left path against one block of right paths; items are
spread over threads with ``prange``.  For each row cell of the left path the
front end's cell quantities ``G`` (increment inner products, never stored for
the whole pair: only one row of length ``n_cols`` per block) give the update
coefficients

    A = 1 + G/2 + G²/12,        C = 1 - G²/12,
    k[i+1, j+1] = (k[i+1, j] + k[i, j+1]) A - k[i, j] C,

applied on an ``R x R`` refinement of every cell with ``G / R²``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Most lanes per work item: independent PDE solves advanced together by the
# innermost (SIMD) loop (the front end picks fewer for small problems).
LANES = 64


@njit(cache=True, inline="always")
def _coefficients(g, A, C, j, b):
    A[j, b] = 1.0 + g * (0.5 + g * (1.0 / 12.0))
    C[j, b] = 1.0 - g * g * (1.0 / 12.0)


@njit(cache=True)
def _sweep(k, st, A, C, ncols, R):
    """Advance the row buffer ``k`` (n_cols*R + 1, n_lanes) by ``R`` sub-rows.

    Every sub-row uses the same coefficients ``A``, ``C`` (n_cols, n_lanes), each
    column repeated ``R`` times.  ``(left + up) A - diag C`` is evaluated as
    ``left A + (up A - diag C)`` so that only one multiply and one add sit on
    the sequential (left-to-right) chain.  Two sub-rows are advanced per pass
    over the columns (the first one's new values feed the second at once), which
    halves the traffic through ``k``.  The lane loop has a run-time trip count on
    purpose: LLVM vectorises it (with run-time alias checks), which it does not
    do for a fully unrolled one.  ``st`` (3, n_lanes) is scratch.
    """
    nl = k.shape[1]
    l1 = st[0]
    l2 = st[1]
    d1 = st[2]
    for _ in range(R // 2):
        for b in range(nl):
            l1[b] = k[0, b]
            l2[b] = k[0, b]
            d1[b] = k[0, b]
        col = 0
        for j in range(ncols):
            Aj = A[j]
            Cj = C[j]
            for _jj in range(R):
                cur = k[col + 1]
                for b in range(nl):
                    a = Aj[b]
                    c = Cj[b]
                    up = cur[b]
                    n1 = l1[b] * a + (up * a - d1[b] * c)
                    n2 = l2[b] * a + (n1 * a - l1[b] * c)
                    cur[b] = n2
                    d1[b] = up
                    l1[b] = n1
                    l2[b] = n2
                col += 1
    if R % 2 == 1:
        for b in range(nl):
            d1[b] = k[0, b]
        col = 0
        for j in range(ncols):
            Aj = A[j]
            Cj = C[j]
            for _jj in range(R):
                left = k[col]
                cur = k[col + 1]
                for b in range(nl):
                    up = cur[b]
                    cur[b] = left[b] * Aj[b] + (up * Aj[b] - d1[b] * Cj[b])
                    d1[b] = up
                col += 1


@njit(cache=True, inline="always")
def _lane_extent(counts, idx, g, nl):
    n = 0
    for b in range(nl):
        c = counts[idx[g * nl + b]]
        if c > n:
            n = c
    return n


@njit(cache=True, parallel=True)
def sig_linear_gram(dX, nX, dY, nY, px, py, R, factor, nl, out):
    """Linear static kernel, G = factor * <dx_i, dy_j> (factor = scale / R²).

    dX (nX, Lx, d) increments, nX (nX,) increment counts; same for Y.  Lane b of
    group g solves pair (px[g*LANES+b], py[g*LANES+b]) and writes out[g*LANES+b].
    """
    n_groups = px.shape[0] // nl
    d = dX.shape[2]
    for g in prange(n_groups):
        nrow = _lane_extent(nX, px, g, nl)
        ncol = _lane_extent(nY, py, g, nl)
        Yp = np.zeros((ncol, d, nl))
        for b in range(nl):
            y = py[g * nl + b]
            for j in range(nY[y]):
                for c in range(d):
                    Yp[j, c, b] = dY[y, j, c]
        xr = np.zeros((d, nl))
        tmp = np.empty(nl)
        k = np.ones((ncol * R + 1, nl))
        st = np.empty((3, nl))
        A = np.empty((ncol, nl))
        C = np.empty((ncol, nl))
        for i in range(nrow):
            for b in range(nl):
                x = px[g * nl + b]
                for c in range(d):
                    xr[c, b] = dX[x, i, c] if i < nX[x] else 0.0
            for j in range(ncol):
                for b in range(nl):
                    tmp[b] = 0.0
                for c in range(d):
                    for b in range(nl):
                        tmp[b] += xr[c, b] * Yp[j, c, b]
                for b in range(nl):
                    _coefficients(tmp[b] * factor, A, C, j, b)
            _sweep(k, st, A, C, ncol, R)
            for b in range(nl):
                t = g * nl + b
                if i == nX[px[t]] - 1:
                    out[t] = k[nY[py[t]] * R, b]


@njit(cache=True, parallel=True)
def sig_rbf_gram(X, nX, Y, nY, px, py, R, gamma, factor, nl, out):
    """RBF static kernel k(x, y) = exp(-gamma |x - y|²) on sample points.

    G over cell (i, j) is the second mixed difference of k(x_s, y_t) times
    ``factor = 1 / R²``.  X (nX, Lx, d) points, nX (nX,) point counts.
    """
    n_groups = px.shape[0] // nl
    d = X.shape[2]
    for g in prange(n_groups):
        nrow = _lane_extent(nX, px, g, nl) - 1
        npt = _lane_extent(nY, py, g, nl)
        ncol = npt - 1
        Yp = np.zeros((npt, d, nl))
        for b in range(nl):
            y = py[g * nl + b]
            for j in range(npt):
                jj = min(j, nY[y] - 1)  # repeat the last point: zero increments
                for c in range(d):
                    Yp[j, c, b] = Y[y, jj, c]
        xr = np.zeros((d, nl))
        k = np.ones((ncol * R + 1, nl))
        st = np.empty((3, nl))
        A = np.empty((ncol, nl))
        C = np.empty((ncol, nl))
        kprev = np.empty((npt, nl))
        knext = np.empty((npt, nl))
        for i in range(nrow + 1):
            for b in range(nl):
                x = px[g * nl + b]
                ii = min(i, nX[x] - 1)
                for c in range(d):
                    xr[c, b] = X[x, ii, c]
            for j in range(npt):
                for b in range(nl):
                    s = 0.0
                    for c in range(d):
                        t = xr[c, b] - Yp[j, c, b]
                        s += t * t
                    knext[j, b] = np.exp(-gamma * s)
            if i > 0:
                for j in range(ncol):
                    for b in range(nl):
                        gg = (knext[j + 1, b] - knext[j, b]) - (kprev[j + 1, b] - kprev[j, b])
                        _coefficients(gg * factor, A, C, j, b)
                _sweep(k, st, A, C, ncol, R)
                for b in range(nl):
                    t = g * nl + b
                    if i == nX[px[t]] - 1:
                        out[t] = k[(nY[py[t]] - 1) * R, b]
            for j in range(npt):
                for b in range(nl):
                    kprev[j, b] = knext[j, b]


@njit(cache=True, parallel=True)
def response_gram(U, nU, V, nV, kap, r, px, py, R, factor, nl, out):
    """Response kernel, G over piece pair (p, q) = factor kap[p, q] <u_{p//r}, v_{q//r}>.

    U (nU, L, m) inputs with nU (nU,) input cells each; same for V.  ``kap`` is
    the shared time factor (>= max cells * r square); r pieces per input cell;
    each piece pair is refined R x R for the PDE (factor = 1 / R²).
    """
    n_groups = px.shape[0] // nl
    m = U.shape[2]
    for g in prange(n_groups):
        nrow = _lane_extent(nU, px, g, nl)
        ncell = _lane_extent(nV, py, g, nl)
        ncol = ncell * r
        Vp = np.zeros((ncell, m, nl))
        for b in range(nl):
            y = py[g * nl + b]
            for j in range(nV[y]):
                for c in range(m):
                    Vp[j, c, b] = V[y, j, c]
        ur = np.zeros((m, nl))
        uv = np.empty((ncell, nl))
        k = np.ones((ncol * R + 1, nl))
        st = np.empty((3, nl))
        A = np.empty((ncol, nl))
        C = np.empty((ncol, nl))
        for i in range(nrow):
            for b in range(nl):
                x = px[g * nl + b]
                for c in range(m):
                    ur[c, b] = U[x, i, c] if i < nU[x] else 0.0
            for j in range(ncell):
                for b in range(nl):
                    uv[j, b] = 0.0
                for c in range(m):
                    for b in range(nl):
                        uv[j, b] += ur[c, b] * Vp[j, c, b]
                for b in range(nl):
                    uv[j, b] *= factor
            for p in range(i * r, (i + 1) * r):
                for q in range(ncol):
                    kq = kap[p, q]
                    jq = q // r
                    for b in range(nl):
                        _coefficients(kq * uv[jq, b], A, C, q, b)
                _sweep(k, st, A, C, ncol, R)
            for b in range(nl):
                t = g * nl + b
                if i == nU[px[t]] - 1:
                    out[t] = k[nV[py[t]] * r * R, b]


@njit(cache=True)
def _truncated_pair(u, nu, v, nv, kap, r, depth):
    """Exact depth-``depth`` truncated signature kernel of two piecewise-linear paths.

    The pieces' increment inner products are G[p, q] = kap[p, q] <u_{p//r}, v_{q//r}>.
    With S(X) = exp(ΔX_1) ⊗ ... ⊗ exp(ΔX_n), level n of <S(X), S(Y)> is the sum
    over non-decreasing index sequences p_1 <= ... <= p_n, q_1 <= ... <= q_n of
    Π G[p_k, q_k] / (Π mult(p)! Π mult(q)!).  The dynamic programme keeps, per
    cell and level, the trailing run lengths (rr, ss) of repeated indices.
    """
    N = depth
    m = u.shape[1]
    na = nu * r
    nb = nv * r
    # colacc[n, q, s]: sum over rows < p, all rr, of M_n[., q, rr, s]
    colacc = np.zeros((N + 1, nb, N + 1))
    # colT[n, q]: sum over rows < p of T_n[., q]
    colT = np.zeros((N + 1, nb))
    rowM = np.zeros((N + 1, nb, N + 1, N + 1))
    cur = np.zeros((N + 1, N + 1, N + 1))
    rowacc = np.zeros((N + 1, N + 1))  # sum over q0 < q in this row, all ss, of M_n[p, q0, rr, .]
    run2 = np.zeros(N + 1)  # sum over p0 < p, q0 < q of T_n
    total = 1.0
    for p in range(na):
        i = p // r
        rowacc[:, :] = 0.0
        run2[:] = 0.0
        for q in range(nb):
            j = q // r
            s = 0.0
            for c in range(m):
                s += u[i, c] * v[j, c]
            g = kap[p, q] * s
            cur[:, :, :] = 0.0
            # level 1
            cur[1, 1, 1] = g
            for n in range(1, N):
                # level n+1 from level n
                cur[n + 1, 1, 1] = g * run2[n]
                for rr in range(2, n + 2):
                    cur[n + 1, rr, 1] = g / rr * rowacc[n, rr - 1]
                for ss in range(2, n + 2):
                    cur[n + 1, 1, ss] = g / ss * colacc[n, q, ss - 1]
                for rr in range(2, n + 2):
                    for ss in range(2, n + 2):
                        cur[n + 1, rr, ss] = g / (rr * ss) * cur[n, rr - 1, ss - 1]
            for n in range(1, N + 1):
                for rr in range(1, n + 1):
                    rsum = 0.0
                    for ss in range(1, n + 1):
                        rsum += cur[n, rr, ss]
                        rowM[n, q, rr, ss] = cur[n, rr, ss]
                    total += rsum
                    rowacc[n, rr] += rsum  # strict prefix over q for the next column
                run2[n] += colT[n, q]  # strict 2-D prefix for the next column
        # fold this row into the column accumulators
        for q in range(nb):
            for n in range(1, N + 1):
                t = 0.0
                for ss in range(1, n + 1):
                    csum = 0.0
                    for rr in range(1, n + 1):
                        csum += rowM[n, q, rr, ss]
                    colacc[n, q, ss] += csum
                    t += csum
                colT[n, q] += t
    return total


@njit(cache=True, parallel=True)
def response_truncated_gram(U, nU, V, nV, kap, r, depth, pair_i, pair_j, out):
    """Exact truncated response kernel for a list of pairs, spread over threads."""
    for t in prange(pair_i.shape[0]):
        i = pair_i[t]
        j = pair_j[t]
        out[t] = _truncated_pair(U[i], nU[i], V[j], nV[j], kap, r, depth)
