"""Compiled Numba loops for the Goursat (signature-kernel PDE) solvers.

Nothing here is compiled at import time: every function is ``@njit(cache=True)``
and compiles on first call.

Layout used by the Gram sweeps
------------------------------
A *work item* is a group of ``nl`` pairs (lanes).  Each lane's two paths are
gathered into lane-last buffers (``(n_cells, ..., nl)``), so that the innermost
loop of the second-order update runs over independent PDE solves and
vectorises (SIMD), while each lane's own column recursion stays sequential.
Each lane's arithmetic is the same whatever group it sits in, the lane count
or the thread that runs it, so results are bit-identical for every ``n_jobs``.
Groups are spread over threads with ``prange``.

For each row cell the cell quantities ``G`` (increment inner products, computed
here for one row of one group at a time: never a pairwise table) give the
update coefficients

    A = 1 + G/2 + G²/12,        C = 1 - G²/12,
    k[i+1, j+1] = (k[i+1, j] + k[i, j+1]) A - k[i, j] C,

applied on an ``R x R`` refinement of every cell with ``G / R²``.  Lanes whose
paths are shorter than the group's longest see zero increments past their end
and read their result at their own end point, which later rows and columns
cannot change.

One pair at a time
------------------
With few pairs per thread the lanes mostly idle (one lane: about 19 ns per cell,
against about 1 ns for a plain loop), so the front ends then call the ``*_pairs``
functions: each pair on its own grid of exact size, its coefficients formed one
cell row at a time (products vectorised over the columns), and `STRIP` refined
rows advanced together so that their sequential chains overlap.  Every cell is
the same expression as in the lane sweeps, so the values are the same bits.
"""

from __future__ import annotations

import math

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


@njit(cache=True)
def _sweep_g(k, d1, G, ncols):
    """One row (R = 1) with the coefficients formed from ``G`` (n_cols, n_lanes) in
    the lane loop itself: the same arithmetic as `_coefficients` + `_sweep`."""
    nl = k.shape[1]
    for b in range(nl):
        d1[b] = k[0, b]
    for j in range(ncols):
        gj = G[j]
        left = k[j]
        cur = k[j + 1]
        for b in range(nl):
            g = gj[b]
            a = 1.0 + g * (0.5 + g * (1.0 / 12.0))
            c = 1.0 - g * g * (1.0 / 12.0)
            up = cur[b]
            cur[b] = left[b] * a + (up * a - d1[b] * c)
            d1[b] = up


@njit(cache=True)
def _advance(k, st, A, C, ncols, R):
    """Advance ``k`` by one cell row of ``R`` sub-rows; ``A`` holds G on entry."""
    if R == 1:
        _sweep_g(k, st[0], A, ncols)
        return
    nl = k.shape[1]
    for j in range(ncols):
        for b in range(nl):
            _coefficients(A[j, b], A, C, j, b)
    _sweep(k, st, A, C, ncols, R)


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
    group g solves pair (px[g*nl+b], py[g*nl+b]) and writes out[g*nl+b].
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
                    A[j, b] = tmp[b] * factor
            _advance(k, st, A, C, ncol, R)
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
                        A[j, b] = gg * factor
                _advance(k, st, A, C, ncol, R)
                for b in range(nl):
                    t = g * nl + b
                    if i == nX[px[t]] - 1:
                        out[t] = k[(nY[py[t]] - 1) * R, b]
            for j in range(npt):
                for b in range(nl):
                    kprev[j, b] = knext[j, b]


@njit(cache=True)
def _sweep_response_fused(k, d1, kaprow, uv, r, ncols):
    """One sub-row of the response sweep (R = 1) with the coefficients formed in the
    lane loop from G = kap[p, q] <u, v> (no coefficient arrays; same arithmetic)."""
    nl = k.shape[1]
    for b in range(nl):
        d1[b] = k[0, b]
    for q in range(ncols):
        kq = kaprow[q]
        uvj = uv[q // r]
        left = k[q]
        cur = k[q + 1]
        for b in range(nl):
            g = kq * uvj[b]
            a = 1.0 + g * (0.5 + g * (1.0 / 12.0))
            c = 1.0 - g * g * (1.0 / 12.0)
            up = cur[b]
            cur[b] = left[b] * a + (up * a - d1[b] * c)
            d1[b] = up


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
                if R == 1:
                    _sweep_response_fused(k, st[0], kap[p], uv, r, ncol)
                    continue
                for q in range(ncol):
                    kq = kap[p, q]
                    jq = q // r
                    for b in range(nl):
                        A[q, b] = kq * uv[jq, b]
                _advance(k, st, A, C, ncol, R)
            for b in range(nl):
                t = g * nl + b
                if i == nU[px[t]] - 1:
                    out[t] = k[nV[py[t]] * r * R, b]


# Most lanes for the truncated programme (its per-lane state is O(n_b depth²)).
TRUNC_LANES = 32


@njit(cache=True, inline="always")
def _trunc_lane_cells(V, nV, py, grp, nl, ncell):
    """The right series of a lane group, cells first and lanes last (zero past each end)."""
    m = V.shape[2]
    Vp = np.zeros((ncell, m, nl))
    for b in range(nl):
        y = py[grp * nl + b]
        for j in range(nV[y]):
            for c in range(m):
                Vp[j, c, b] = V[y, j, c]
    return Vp


@njit(cache=True, inline="always")
def _trunc_row_products(U, nU, px, grp, nl, i, Vp, ur, uv):
    """``uv[j, lane] = <u_i, v_j>`` of row ``i`` of every lane (0 past a row's end)."""
    m = ur.shape[0]
    for b in range(nl):
        x = px[grp * nl + b]
        for c in range(m):
            ur[c, b] = U[x, i, c] if i < nU[x] else 0.0
    for j in range(uv.shape[0]):
        uvj = uv[j]
        for b in range(nl):
            uvj[b] = 0.0
        for c in range(m):
            urc = ur[c]
            vpc = Vp[j, c]
            for b in range(nl):
                uvj[b] += urc[b] * vpc[b]


@njit(cache=True, inline="always")
def _trunc_cell_levels(g, cur, run2, rowacc, colacc, q, N, inv, nl):
    """``cur[n, rr, ss]`` of cell (p, q) for every level from the prefix sums (see
    `response_truncated_gram`)."""
    c111 = cur[1, 1, 1]
    for b in range(nl):
        c111[b] = g[b]
    for n in range(1, N):
        dst = cur[n + 1, 1, 1]
        src = run2[n]
        for b in range(nl):
            dst[b] = g[b] * src[b]
        for rr in range(2, n + 2):
            w = inv[rr]
            dst = cur[n + 1, rr, 1]
            src = rowacc[n, rr - 1]
            for b in range(nl):
                dst[b] = g[b] * w * src[b]
        for ss in range(2, n + 2):
            w = inv[ss]
            dst = cur[n + 1, 1, ss]
            src = colacc[q, n, ss - 1]
            for b in range(nl):
                dst[b] = g[b] * w * src[b]
        for rr in range(2, n + 2):
            for ss in range(2, n + 2):
                w = inv[rr] * inv[ss]
                dst = cur[n + 1, rr, ss]
                src = cur[n, rr - 1, ss - 1]
                for b in range(nl):
                    dst[b] = g[b] * w * src[b]


@njit(cache=True, inline="always")
def _trunc_cell_sums(cur, colacc, rowacc, colT, run2, total, t, rs, q, N, nl):
    """Add cell (p, q) to the kernel and to the row, column and 2-D prefix sums."""
    for n in range(1, N + 1):
        for b in range(nl):
            t[b] = 0.0
        for rr in range(1, n + 1):
            for b in range(nl):
                rs[b] = 0.0
            for ss in range(1, n + 1):
                x = cur[n, rr, ss]
                ca = colacc[q, n, ss]
                for b in range(nl):
                    rs[b] += x[b]
                    ca[b] += x[b]  # read again only from the next row on
            ra = rowacc[n, rr]
            for b in range(nl):
                t[b] += rs[b]
                ra[b] += rs[b]  # strict prefix over q for the next column
        ct = colT[q, n]
        r2 = run2[n]
        for b in range(nl):
            total[b] += t[b]
            r2[b] += ct[b]  # rows < p: run2 stays a strict 2-D prefix
            ct[b] += t[b]


@njit(cache=True, parallel=True)
def response_truncated_gram(U, nU, V, nV, kap, r, depth, px, py, nl, out):
    """Exact depth-``depth`` truncated signature kernels of piecewise-linear paths.

    The pieces' increment inner products are G[p, q] = kap[p, q] <u_{p//r}, v_{q//r}>.
    With S(X) = exp(ΔX_1) ⊗ ... ⊗ exp(ΔX_n), level n of <S(X), S(Y)> is the sum
    over non-decreasing index sequences p_1 <= ... <= p_n, q_1 <= ... <= q_n of
    Π G[p_k, q_k] / (Π mult(p)! Π mult(q)!).  The dynamic programme keeps, per
    cell (p, q) and level n, M_n[rr, ss]: the sum over sequences ending at (p, q)
    whose trailing runs of repeated indices have lengths rr (in p) and ss (in q):

        M_{n+1}[1, 1]   = G Σ_{p'<p, q'<q} Σ M_n[p', q']
        M_{n+1}[rr, 1]  = G/rr Σ_{q'<q} Σ_ss M_n[p, q'][rr-1, ss]
        M_{n+1}[1, ss]  = G/ss Σ_{p'<p} Σ_rr M_n[p', q][rr, ss-1]
        M_{n+1}[rr, ss] = G/(rr ss) M_n[p, q][rr-1, ss-1]

    Cost O(n_a n_b depth³) per pair, memory O(n_b depth² nl) per group.

    Every quantity carries a trailing lane axis so that the innermost loops run
    over ``nl`` independent pairs (SIMD).  Lanes past their own end see G = 0,
    which adds nothing.
    """
    n_groups = px.shape[0] // nl
    m = U.shape[2]
    N = depth
    inv = np.zeros(N + 2)
    for k in range(1, N + 2):
        inv[k] = 1.0 / k
    for grp in prange(n_groups):
        nrow = _lane_extent(nU, px, grp, nl)
        ncell = _lane_extent(nV, py, grp, nl)
        nb = ncell * r
        Vp = _trunc_lane_cells(V, nV, py, grp, nl, ncell)
        ur = np.zeros((m, nl))
        uv = np.empty((ncell, nl))
        colacc = np.zeros((nb, N + 1, N + 1, nl))
        colT = np.zeros((nb, N + 1, nl))
        cur = np.zeros((N + 1, N + 1, N + 1, nl))
        rowacc = np.zeros((N + 1, N + 1, nl))
        run2 = np.zeros((N + 1, nl))
        g = np.empty(nl)
        t = np.empty(nl)
        rs = np.empty(nl)
        total = np.ones(nl)
        for i in range(nrow):
            _trunc_row_products(U, nU, px, grp, nl, i, Vp, ur, uv)
            for p in range(i * r, (i + 1) * r):
                rowacc[:, :, :] = 0.0
                run2[:, :] = 0.0
                for q in range(nb):
                    kq = kap[p, q]
                    uvj = uv[q // r]
                    for b in range(nl):
                        g[b] = kq * uvj[b]
                    _trunc_cell_levels(g, cur, run2, rowacc, colacc, q, N, inv, nl)
                    _trunc_cell_sums(cur, colacc, rowacc, colT, run2, total, t, rs, q, N, nl)
        for b in range(nl):
            out[grp * nl + b] = total[b]


# ----------------------------------------------------------------- pooled response kernel
@njit(cache=True, inline="always")
def _advance_modes(X, t, chan, lr, li, kr, ki, zr, zi):
    """One exact step of every mode, ``z <- lam z + kap u[t, chan]`` (complex)."""
    for j in range(lr.size):
        d = X[t, chan[j]]
        a = lr[j] * zr[j] - li[j] * zi[j] + kr[j] * d
        zi[j] = lr[j] * zi[j] + li[j] * zr[j] + ki[j] * d
        zr[j] = a


@njit(cache=True, parallel=True)
def pooled_states(X, offsets, chan, lr, li, kr, ki, cmode, cpart, every, starts, out):
    """States of every coordinate at the steps ``t % every == 0`` of each series.

    ``X`` (sum of lengths, m) holds the series one after the other (``offsets``); series
    ``s`` writes its rows from ``starts[s]`` on. A coordinate is the real (``cpart`` 0) or
    imaginary (1) part of mode ``cmode``.
    """
    n = offsets.size - 1
    nc = cmode.size
    for s in prange(n):
        zr = np.zeros(lr.size)
        zi = np.zeros(lr.size)
        row = starts[s]
        for t in range(offsets[s], offsets[s + 1]):
            _advance_modes(X, t, chan, lr, li, kr, ki, zr, zi)
            if (t - offsets[s]) % every == 0:
                for c in range(nc):
                    out[row, c] = zr[cmode[c]] if cpart[c] == 0 else zi[cmode[c]]
                row += 1


@njit(cache=True, inline="always")
def _locate(e, iw, v):
    """Knot interval ``i`` and weight ``f`` of ``v``: the hat weights are ``1-f`` on knot ``i``
    and ``f`` on knot ``i+1`` (values beyond the end knots are clamped to them). A branchless
    binary search (``e`` sorted; ``iw`` the inverse interval widths, 0 for empty ones)."""
    B = e.size
    x = min(max(v, e[0]), e[B - 1])
    base = 0
    length = B - 1
    while length > 1:
        half = length >> 1
        base += half * (e[base + half] <= x)
        length -= half
    return base, (x - e[base]) * iw[base]


# Steps per block of the pooled embedding: the states of a block are buffered per coordinate
# (2 * n_modes * TIME_BLOCK doubles) so that each coordinate's knots and sums stay in cache.
TIME_BLOCK = 64


@njit(cache=True, parallel=True)
def pooled_embed(X, offsets, cstart, lr, li, kr, ki, cidx, cstride, knots, inv_width, out,
                 lin):
    """Time-pooled hat weights of every coordinate's state on its knots, and its states.

    ``out[s, p, c, :]`` is the mean over the read steps of coordinate ``c`` of the hat
    weights of its state on ``knots[c]``, weighted by the shifted Legendre polynomial
    :math:`\\sqrt{2p+1} P_p(2\\tau - 1)` of the relative time :math:`\\tau = (t + 1/2) / L`
    (block 0: the plain average, a probability vector); ``lin[s, p, c]`` the same mean of
    the state itself. Modes ``cstart[k]..cstart[k+1]-1`` read input channel ``k``.
    Coordinate ``c`` is entry ``cidx[c]`` of the state vector
    ``(Re z_0, ..., Re z_{M-1}, Im z_0, ...)`` and is read at the steps ``t`` that are
    multiples of ``cstride[c]``; ``inv_width[c]`` holds the inverse widths of its knot
    intervals (0 for empty ones). The states of ``TIME_BLOCK`` steps are computed first (row
    ``tt + 1`` of a buffer holds the state after step ``t0 + tt``), then read coordinate by
    coordinate: the knot interval of each read is the number of inner knots below it
    (compares that vectorise over the reads).
    """
    n = offsets.size - 1
    nb = out.shape[1]
    M = lr.size
    TB = TIME_BLOCK
    B = knots.shape[1]
    for s in prange(n):
        L = offsets[s + 1] - offsets[s]
        buf = np.zeros((min(TB, L) + 1, 2 * M))
        w = np.empty((nb, min(TB, L)))
        xs = np.empty(TB)
        ws = np.empty(TB, dtype=np.int64)
        cnt = np.empty(TB, dtype=np.int64)
        acc = out[s]
        acl = lin[s]
        for t0 in range(0, L, TB):
            nt = min(TB, L - t0)
            if t0 > 0:
                buf[0] = buf[TB]
            for tt in range(nt):
                row = offsets[s] + t0 + tt
                prev = buf[tt]
                cur = buf[tt + 1]
                for k in range(cstart.size - 1):
                    d = X[row, k]
                    for j in range(cstart[k], cstart[k + 1]):
                        cur[j] = lr[j] * prev[j] - li[j] * prev[M + j] + kr[j] * d
                        cur[M + j] = lr[j] * prev[M + j] + li[j] * prev[j] + ki[j] * d
                x = 2.0 * (t0 + tt + 0.5) / L - 1.0
                p0, p1 = 1.0, x
                w[0, tt] = 1.0
                for p in range(1, nb):        # Legendre recurrence, normalised on [0, 1]
                    w[p, tt] = p1 * math.sqrt(2.0 * p + 1.0)
                    p0, p1 = p1, ((2.0 * p + 1.0) * x * p1 - p * p0) / (p + 1.0)
            for c in range(cidx.size):
                st = cstride[c]
                first = (-t0) % st
                if first >= nt:
                    continue
                e = knots[c]
                iw = inv_width[c]
                ci = cidx[c]
                nr = 0
                for tt in range(first, nt, st):        # the reads, clamped to the knots
                    xs[nr] = min(max(buf[tt + 1, ci], e[0]), e[B - 1])
                    ws[nr] = tt
                    nr += 1
                for r in range(nr):
                    cnt[r] = 0
                for k in range(1, B - 1):              # interval index: knots below x
                    ek = e[k]
                    for r in range(nr):
                        cnt[r] += xs[r] >= ek
                for r in range(nr):
                    i = cnt[r]
                    x = xs[r]
                    f = (x - e[i]) * iw[i]
                    g = 1.0 - f
                    v = buf[ws[r] + 1, ci]
                    for p in range(nb):
                        wp = w[p, ws[r]]
                        acc[p, c, i] += g * wp
                        acc[p, c, i + 1] += f * wp
                        acl[p, c] += v * wp
        for c in range(cidx.size):
            inv = 1.0 / ((L - 1) // cstride[c] + 1)
            for p in range(nb):
                acl[p, c] *= inv
                for b in range(knots.shape[1]):
                    acc[p, c, b] *= inv


# ------------------------------------------------------------ one pair at a time (few pairs)
# Refined rows advanced together by the pair sweeps: independent left-to-right chains, so
# that the recursion's latency (a multiply and an add per cell) overlaps across rows.
STRIP = 4


@njit(cache=True, inline="always")
def _cell_coefficients(g, A, C, j):
    A[j] = 1.0 + g * (0.5 + g * (1.0 / 12.0))
    C[j] = 1.0 - g * g * (1.0 / 12.0)


@njit(cache=True)
def _strip4(k, A0, C0, A1, C1, A2, C2, A3, C3, ncols, R):
    """Advance the row ``k`` (n_cols*R + 1,) of one pair by four refined rows whose cell
    coefficients are ``A0, C0`` ... ``A3, C3`` (n_cols,), each column repeated ``R`` times.
    Every cell is ``left A + (up A - diag C)``, the lane sweeps' arithmetic, so the values
    are the same bits; the four chains run side by side (one column of each per step)."""
    l0 = l1 = l2 = l3 = k[0]
    d0 = k[0]
    col = 1
    for j in range(ncols):
        a0 = A0[j]
        c0 = C0[j]
        a1 = A1[j]
        c1 = C1[j]
        a2 = A2[j]
        c2 = C2[j]
        a3 = A3[j]
        c3 = C3[j]
        for _ in range(R):
            up = k[col]
            n0 = l0 * a0 + (up * a0 - d0 * c0)
            n1 = l1 * a1 + (n0 * a1 - l0 * c1)
            n2 = l2 * a2 + (n1 * a2 - l1 * c2)
            n3 = l3 * a3 + (n2 * a3 - l2 * c3)
            k[col] = n3
            d0 = up
            l0 = n0
            l1 = n1
            l2 = n2
            l3 = n3
            col += 1


@njit(cache=True)
def _row1(k, A0, C0, ncols, R):
    """One refined row of one pair (the last rows of a sweep that are not a whole strip)."""
    left = k[0]
    d0 = k[0]
    col = 1
    for j in range(ncols):
        a0 = A0[j]
        c0 = C0[j]
        for _ in range(R):
            up = k[col]
            left = left * a0 + (up * a0 - d0 * c0)
            k[col] = left
            d0 = up
            col += 1


@njit(cache=True)
def _pair_rows(k, A, C, slot, r0, nref, ncols, R):
    """Advance ``k`` by the refined rows ``r0 .. r0 + nref - 1``; refined row ``r`` uses the
    coefficient row ``slot[r - r0]`` of ``A``, ``C``."""
    if nref == STRIP:
        s0, s1, s2, s3 = slot[0], slot[1], slot[2], slot[3]
        _strip4(k, A[s0], C[s0], A[s1], C[s1], A[s2], C[s2], A[s3], C[s3], ncols, R)
        return
    for t in range(nref):
        _row1(k, A[slot[t]], C[slot[t]], ncols, R)


@njit(cache=True, inline="always")
def _slots(r0, nref, R, slot):
    """Coefficient slot of each refined row of a strip (its cell row mod `STRIP`: a strip
    spans at most `STRIP` cell rows, since R is a power of two); the rows that start a cell
    row are the ones whose coefficients are formed."""
    for t in range(nref):
        slot[t] = ((r0 + t) // R) % STRIP


@njit(cache=True)
def _pair_linear(dx, nx, dy, ny, R, factor):
    """k at the end points of one pair, linear static kernel (`sig_linear_gram`'s values)."""
    d = dx.shape[1]
    dyT = np.empty((d, ny))          # channels first: the products vectorise over columns
    for j in range(ny):
        for c in range(d):
            dyT[c, j] = dy[j, c]
    k = np.ones(ny * R + 1)
    A = np.empty((STRIP, ny))
    C = np.empty((STRIP, ny))
    slot = np.empty(STRIP, dtype=np.int64)
    total = nx * R
    for r0 in range(0, total, STRIP):
        nref = min(STRIP, total - r0)
        _slots(r0, nref, R, slot)
        for t in range(nref):
            if (r0 + t) % R == 0:
                i = (r0 + t) // R
                As = A[slot[t]]
                Cs = C[slot[t]]
                for j in range(ny):
                    As[j] = 0.0
                for c in range(d):          # the same sum, channel by channel, per column
                    xc = dx[i, c]
                    yc = dyT[c]
                    for j in range(ny):
                        As[j] += xc * yc[j]
                for j in range(ny):
                    _cell_coefficients(As[j] * factor, As, Cs, j)
        _pair_rows(k, A, C, slot, r0, nref, ny, R)
    return k[ny * R]


@njit(cache=True, inline="always")
def _rbf_row(x, y, npt, gamma, kv):
    """``kv[j] = exp(-gamma |x - y_j|²)`` for the first ``npt`` points of ``y``."""
    d = x.shape[0]
    for j in range(npt):
        s = 0.0
        for c in range(d):
            t = x[c] - y[j, c]
            s += t * t
        kv[j] = np.exp(-gamma * s)


@njit(cache=True)
def _pair_rbf(x, nxp, y, nyp, R, gamma, factor):
    """k at the end points of one pair, RBF static kernel (`sig_rbf_gram`'s values)."""
    ncol = nyp - 1
    k = np.ones(ncol * R + 1)
    A = np.empty((STRIP, max(ncol, 1)))
    C = np.empty((STRIP, max(ncol, 1)))
    slot = np.empty(STRIP, dtype=np.int64)
    kprev = np.empty(nyp)
    knext = np.empty(nyp)
    _rbf_row(x[0], y, nyp, gamma, kprev)
    total = (nxp - 1) * R
    for r0 in range(0, total, STRIP):
        nref = min(STRIP, total - r0)
        _slots(r0, nref, R, slot)
        for t in range(nref):
            if (r0 + t) % R == 0:
                i = (r0 + t) // R
                _rbf_row(x[i + 1], y, nyp, gamma, knext)
                As = A[slot[t]]
                Cs = C[slot[t]]
                for j in range(ncol):
                    gg = (knext[j + 1] - knext[j]) - (kprev[j + 1] - kprev[j])
                    _cell_coefficients(gg * factor, As, Cs, j)
                kprev, knext = knext, kprev
        _pair_rows(k, A, C, slot, r0, nref, ncol, R)
    return k[ncol * R]


@njit(cache=True)
def _pair_response(u, nu, v, nv, kap, r, R, factor):
    """k at the end points of one pair of inputs, response kernel (`response_gram`'s
    values): piece rows ``p``, piece columns ``q``, G = kap[p, q] <u_{p//r}, v_{q//r}>."""
    m = u.shape[1]
    ncol = nv * r
    k = np.ones(ncol * R + 1)
    A = np.empty((STRIP, ncol))
    C = np.empty((STRIP, ncol))
    slot = np.empty(STRIP, dtype=np.int64)
    uv = np.empty(nv)
    total = nu * r * R
    for r0 in range(0, total, STRIP):
        nref = min(STRIP, total - r0)
        _slots(r0, nref, R, slot)
        for t in range(nref):
            if (r0 + t) % R == 0:
                p = (r0 + t) // R
                if p % r == 0:
                    i = p // r
                    for j in range(nv):
                        s = 0.0
                        for c in range(m):
                            s += u[i, c] * v[j, c]
                        uv[j] = s * factor
                As = A[slot[t]]
                Cs = C[slot[t]]
                kp = kap[p]
                for j in range(nv):         # q = j r + s: no integer division per cell
                    uvj = uv[j]
                    for s in range(j * r, (j + 1) * r):
                        _cell_coefficients(kp[s] * uvj, As, Cs, s)
        _pair_rows(k, A, C, slot, r0, nref, ncol, R)
    return k[ncol * R]


@njit(cache=True, parallel=True)
def sig_linear_pairs(dX, nX, dY, nY, px, py, R, factor, out):
    """`sig_linear_gram` one pair at a time (``out[t]`` for pair ``(px[t], py[t])``)."""
    for t in prange(px.shape[0]):
        x = px[t]
        y = py[t]
        out[t] = _pair_linear(dX[x], nX[x], dY[y], nY[y], R, factor)


@njit(cache=True, parallel=True)
def sig_rbf_pairs(X, nX, Y, nY, px, py, R, gamma, factor, out):
    """`sig_rbf_gram` one pair at a time."""
    for t in prange(px.shape[0]):
        x = px[t]
        y = py[t]
        out[t] = _pair_rbf(X[x], nX[x], Y[y], nY[y], R, gamma, factor)


@njit(cache=True, parallel=True)
def response_pairs(U, nU, V, nV, kap, r, px, py, R, factor, out):
    """`response_gram` one pair at a time."""
    for t in prange(px.shape[0]):
        x = px[t]
        y = py[t]
        out[t] = _pair_response(U[x], nU[x], V[y], nV[y], kap, r, R, factor)
