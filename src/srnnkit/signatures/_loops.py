"""Compiled Numba loops for truncated signatures, any channels and depth (nothing is
compiled at import).  `_codegen` generates the same update specialised to one
(channels, depth) pair; the front end uses it for large batches.

Internal layout
---------------
The loops keep each level in *reversed* word order: the word ``w_1 ... w_k`` is
stored at ``sum_i w_i d**(i-1)`` (latest letter most significant).  Then the
right tensor product ``v ⊗ x`` of a level-``j`` block ``v`` with a letter vector
``x`` is ``d`` contiguous blocks ``x[a] * v`` -- one long axpy per letter, which
LLVM vectorises.  The drivers permute to the public lexicographic layout
(earliest letter most significant, as iisignature) when they write the output.

Chen update for one linear segment with increment ``x`` (levels ``n = N..1``,
so that the lower levels are still the old ones when level ``n`` is formed):

    S_n <- S_n + ((( x/n + S_1) ⊗ x/(n-1) + S_2) ⊗ x/(n-2) ... + S_{n-1}) ⊗ x

which is ``sum_{j<=n} S_j ⊗ x^{⊗(n-j)}/(n-j)!`` in Horner form.

Every entry is updated with one ``fmuladd`` (``a * b + c``, fused on CPUs with
FMA), the same operation `_codegen` emits, so both give bit-identical results.

Top-level blocking: the top level ``N`` is read by no other level, so its update
``S_N += T ⊗ x`` (``T`` the bracket above, of size ``d**(N-1)``) is deferred over a
block of up to four segments and applied in one pass,
``S_N += T_1 ⊗ x_1 + ... + T_4 ⊗ x_4`` (accumulated in segment order, the same
operations as one segment at a time): the largest block of memory is then read
and written once per four segments instead of once per segment.  Each ``T_s`` is
formed from the lower levels as they are after segments ``1..s-1``, so the result
is exactly the sequential product; ``stream=True`` (one segment at a time) gives
the same bits.  Every path is computed by the same sequential loop, so results
do not depend on how a batch is split over threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._codegen import BLOCK, fmuladd


@njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _lower(S, x, d, depth, offs, inv, buf1, buf2, T):  # pragma: no cover - compiled
    """Levels depth..1 of one segment; T <- the top bracket (S_depth itself is not touched).

    The same operations in the same order as `_codegen._segment` (one ``fmuladd`` per
    entry), so both give bit-identical results.  Indices are unsigned so that LLVM
    knows them non-negative (no wrap-around fix-up) and emits contiguous vector code.
    """
    U = np.uint64
    ud = U(d)
    for n in range(depth, 1, -1):
        c = inv[n]
        cur = T if n == depth == 2 else buf1
        for i in range(ud):
            cur[i] = fmuladd(x[i], c, S[i])
        nxt = buf2
        size = ud
        for j in range(1, n - 1):
            cj = inv[n - j]
            sb = U(offs[j + 1])
            dst = T if n == depth and j == n - 2 else nxt
            for a in range(ud):
                cn = x[a] * cj
                ab = a * size
                for i in range(size):
                    dst[ab + i] = fmuladd(cur[i], cn, S[sb + ab + i])
            nxt = cur
            cur = dst
            size *= ud
        if n < depth:
            sn = U(offs[n])
            for a in range(ud):
                xa = x[a]
                ab = sn + a * size
                for i in range(size):
                    S[ab + i] = fmuladd(cur[i], xa, S[ab + i])
    for a in range(ud):
        S[a] += x[a]


@njit(cache=True, nogil=True, boundscheck=False)
def advance(S, X, k, d, depth, offs, inv, buf1, buf2, T):  # pragma: no cover - compiled
    """Multiply S (reversed layout, level 0 implicit) by exp(X[0]) ... exp(X[k-1])."""
    if depth == 1:
        for s in range(k):
            for a in range(d):
                S[a] += X[s, a]
        return
    U = np.uint64
    top = U(T.shape[1])
    sN = U(offs[depth])
    for s in range(k):
        _lower(S, X[s], d, depth, offs, inv, buf1, buf2, T[s])
    if k == 4:
        T0 = T[0]
        T1 = T[1]
        T2 = T[2]
        T3 = T[3]
        for a in range(d):
            x0 = X[0, a]
            x1 = X[1, a]
            x2 = X[2, a]
            x3 = X[3, a]
            ab = sN + U(a) * top
            for i in range(top):
                S[ab + i] = fmuladd(T3[i], x3, fmuladd(T2[i], x2, fmuladd(
                    T1[i], x1, fmuladd(T0[i], x0, S[ab + i]))))
    else:
        for s in range(k):
            Ts = T[s]
            for a in range(d):
                x0 = X[s, a]
                ab = sN + U(a) * top
                for i in range(top):
                    S[ab + i] = fmuladd(Ts[i], x0, S[ab + i])


@njit(cache=True, nogil=True, boundscheck=False)
def _write(out_row, S, perm, col0):  # pragma: no cover - compiled
    for k in range(perm.shape[0]):
        out_row[col0 + k] = S[perm[k]]


@njit(cache=True, nogil=True)
def _workspace(d, depth, dim, dt):  # pragma: no cover - compiled
    """The state ``S`` (dim,), a block of increments ``X`` (BLOCK, d), two level buffers and
    the deferred top-level brackets ``T`` (BLOCK, d**(depth-1)) of the drivers below."""
    top = d ** (depth - 1)
    S = np.empty(dim, dtype=dt)
    X = np.empty((BLOCK, d), dtype=dt)
    buf1 = np.empty(max(top, d * d), dtype=dt)
    buf2 = np.empty(max(top, d * d), dtype=dt)
    T = np.empty((BLOCK, top), dtype=dt)
    return S, X, buf1, buf2, T


@njit(cache=True, nogil=True, boundscheck=False)
def sig_paths(paths, depth, offs, inv, perm, out, col0, stream):  # pragma: no cover
    """Signatures of a batch of piecewise-linear paths.

    paths (B, L, d); out (B, 1, dim_out) or, when ``stream``, (B, L-1, dim_out);
    columns ``col0 .. col0+dim-1`` are written (col0 = 1 leaves room for level 0).
    """
    n_b = paths.shape[0]
    n_seg = paths.shape[1] - 1
    d = paths.shape[2]
    S, X, buf1, buf2, T = _workspace(d, depth, perm.shape[0], paths.dtype)
    block = 1 if stream else BLOCK
    for b in range(n_b):
        S[:] = 0
        t = 0
        while t < n_seg:
            k = min(block, n_seg - t)
            for s in range(k):
                for a in range(d):
                    X[s, a] = paths[b, t + s + 1, a] - paths[b, t + s, a]
            advance(S, X, k, d, depth, offs, inv, buf1, buf2, T)
            t += k
            if stream:
                _write(out[b, t - 1], S, perm, col0)
        if not stream:
            _write(out[b, 0], S, perm, col0)


@njit(cache=True, nogil=True, boundscheck=False)
def sig_rank_one(inputs, coef, refine, depth, offs, inv, perm, out, col0,
                 stream):  # pragma: no cover - compiled
    """Signatures of X = ∫ psi ⊗ u for piecewise-constant inputs.

    inputs (B, n_steps, m); coef (n_steps*refine, P) holds ∫ psi over each sub-cell.
    The increment over a sub-cell is the rank-one tensor coef[s] ⊗ inputs[b, j]
    (channel p*m + k), formed on the fly: X itself is never materialised.
    out (B, 1, dim_out) or, when ``stream``, (B, n_steps, dim_out) (one row per step).
    """
    n_b = inputs.shape[0]
    n_steps = inputs.shape[1]
    m = inputs.shape[2]
    P = coef.shape[1]
    d = P * m
    n_sub = coef.shape[0]
    S, X, buf1, buf2, T = _workspace(d, depth, perm.shape[0], inputs.dtype)
    for b in range(n_b):
        S[:] = 0
        s0 = 0
        while s0 < n_sub:
            limit = (s0 // refine + 1) * refine if stream else n_sub
            k = min(BLOCK, limit - s0)
            for s in range(k):
                j = (s0 + s) // refine
                for p in range(P):
                    c = coef[s0 + s, p]
                    for q in range(m):
                        X[s, p * m + q] = c * inputs[b, j, q]
            advance(S, X, k, d, depth, offs, inv, buf1, buf2, T)
            s0 += k
            if stream and s0 % refine == 0:
                _write(out[b, s0 // refine - 1], S, perm, col0)
        if not stream:
            _write(out[b, 0], S, perm, col0)
    return n_steps
