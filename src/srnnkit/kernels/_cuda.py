"""CUDA kernels for signature-kernel and response-kernel Gram matrices (``device="cuda"``).

Launch: one thread block per pair of paths (grid-stride over the pairs).  The block solves
the pair's Goursat problem on its ``(M+1) x (N+1)`` grid of (refined) cells by an
*anti-diagonal sweep*: every cell on diagonal ``s = a + b`` depends only on diagonals
``s-1`` and ``s-2``, so the block's threads update the cells of one diagonal in parallel
(striding over it when it is longer than the block: any length works, 1024 is no limit) and
``__syncthreads`` between diagonals.  Three diagonals rotate in shared memory when they fit
(``24 (M+1)`` bytes <= 48 KiB, i.e. up to about 2000 refined rows; tunable with
``SRNNKIT_CUDA_SHARED_BYTES``), otherwise in a per-block global scratch row.

Each cell is updated with exactly the CPU loops' second-order rule and association,

.. math:: k_{a,b} = k_{a,b-1} A + (k_{a-1,b} A - k_{a-1,b-1} C),\\quad
          A = 1 + G(1/2 + G/12),\\ C = 1 - G^2/12,

with the cell quantity ``G`` formed on the fly (never a pairwise table): the linear static
kernel's increment product, the RBF second mixed difference, or the response kernel's
``kappa[p, q] <u_i, v_j>``.  Results equal the CPU's to float64 rounding (the GPU may fuse
multiply-adds) and do not depend on the launch configuration.

This module imports ``numba.cuda``; the front ends import it only for ``device="cuda"``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64

from .._device import cuda_module, launch_setting

__all__ = ["response_gram_cuda", "signature_gram_cuda"]

LINEAR, RBF, RESPONSE = 0, 1, 2


@cuda.jit(device=True)
def _cell_g(mode, A, B, x, y, i, j, kap, p, q, gamma, factor):  # pragma: no cover
    """G of cell (i, j) (response: piece pair (p, q) inside input cells (i, j))."""
    d = A.shape[2]
    if mode == LINEAR:
        s = 0.0
        for c in range(d):
            s += A[x, i, c] * B[y, j, c]
        return s * factor
    if mode == RESPONSE:
        s = 0.0
        for c in range(d):
            s += A[x, i, c] * B[y, j, c]
        return kap[p, q] * (s * factor)
    # RBF: second mixed difference of exp(-gamma |x - y|^2) over the cell
    s00 = 0.0
    s01 = 0.0
    s10 = 0.0
    s11 = 0.0
    for c in range(d):
        t = A[x, i, c] - B[y, j, c]
        s00 += t * t
        t = A[x, i, c] - B[y, j + 1, c]
        s01 += t * t
        t = A[x, i + 1, c] - B[y, j, c]
        s10 += t * t
        t = A[x, i + 1, c] - B[y, j + 1, c]
        s11 += t * t
    k00 = math.exp(-gamma * s00)
    k01 = math.exp(-gamma * s01)
    k10 = math.exp(-gamma * s10)
    k11 = math.exp(-gamma * s11)
    return ((k11 - k10) - (k01 - k00)) * factor


@cuda.jit
def _gram_kernel(mode, A, nA, B, nB, kap, r, R, gamma, factor, px, py, out, scratch,
                 shared_diag):  # pragma: no cover - device code
    sh = cuda.shared.array(0, float64)
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    L = scratch.shape[1] // 3
    if shared_diag:
        buf = sh[0:3 * L]
    else:
        buf = scratch[cuda.blockIdx.x]
    for t in range(cuda.blockIdx.x, px.shape[0], cuda.gridDim.x):
        x = px[t]
        y = py[t]
        rr = r * R
        M = nA[x] * rr
        N = nB[y] * rr
        for s in range(M + N + 1):
            cur = (s % 3) * L
            prv = ((s + 2) % 3) * L
            pp = ((s + 1) % 3) * L
            lo = s - N if s > N else 0
            hi = s if s < M else M
            for a in range(lo + tid, hi + 1, nt):
                b = s - a
                if a == 0 or b == 0:
                    buf[cur + a] = 1.0
                else:
                    p = (a - 1) // R
                    q = (b - 1) // R
                    g = _cell_g(mode, A, B, x, y, p // r, q // r, kap, p, q, gamma, factor)
                    ca = 1.0 + g * (0.5 + g * (1.0 / 12.0))
                    cc = 1.0 - g * g * (1.0 / 12.0)
                    # left = k[a, b-1] (diag s-1, row a); up = k[a-1, b] (diag s-1, row a-1)
                    buf[cur + a] = buf[prv + a] * ca + (buf[prv + a - 1] * ca
                                                        - buf[pp + a - 1] * cc)
            cuda.syncthreads()
        if tid == 0:
            out[t] = buf[((M + N) % 3) * L + M]
        cuda.syncthreads()


def _pairs(n_x: int, n_y: int, symmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    if symmetric:
        px, py = np.triu_indices(n_x)
    else:
        px, py = np.divmod(np.arange(n_x * n_y), n_y)
    return px.astype(np.int64), py.astype(np.int64)


def _run(mode: int, A: np.ndarray, nA: np.ndarray, B: np.ndarray, nB: np.ndarray,
         kap: np.ndarray, r: int, R: int, gamma: float, factor: float,
         symmetric: bool) -> np.ndarray:
    cuda_mod = cuda_module("kernels")
    px, py = _pairs(len(nA), len(nB), symmetric)
    n_pairs = len(px)
    K = np.empty((len(nA), len(nB)))
    if n_pairs == 0:
        return K
    longest = int(max(nA.max(), 1)) * r * R + 1
    threads = launch_setting("THREADS", 256, 1, 1024)
    threads = min(threads, max(32, -(-longest // 32) * 32))
    blocks = max(1, min(n_pairs, launch_setting("MAX_BLOCKS", 4096)))
    to = cuda_mod.to_device
    d_out = cuda_mod.device_array(n_pairs, dtype=np.float64)
    shared_diag = 3 * 8 * longest <= launch_setting("SHARED_BYTES", 48 * 1024, 0)
    scratch = cuda_mod.device_array((1 if shared_diag else blocks, 3 * longest),
                                    dtype=np.float64)
    dA = to(np.ascontiguousarray(A, dtype=np.float64))
    dB = dA if B is A else to(np.ascontiguousarray(B, dtype=np.float64))
    n_shared = 3 * 8 * longest if shared_diag else 0
    _gram_kernel[blocks, threads, 0, n_shared](
        mode, dA, to(nA.astype(np.int64)), dB, to(nB.astype(np.int64)),
        to(np.ascontiguousarray(kap)), int(r), int(R), float(gamma), float(factor), to(px),
        to(py), d_out, scratch, shared_diag)
    vals = d_out.copy_to_host()
    K[px, py] = vals
    if symmetric:
        K[py, px] = vals
    return K


def signature_gram_cuda(Xp: np.ndarray, nx: np.ndarray, Yp: np.ndarray, ny: np.ndarray,
                        symmetric: bool, static: str, R: int, scale: float) -> np.ndarray:
    """Gram of the signature kernel at refinement ``R`` (see ``_signature._gram``)."""
    dummy = np.zeros((1, 1))
    if static == "linear":
        dX = np.ascontiguousarray(np.diff(Xp, axis=1))
        dY = dX if symmetric else np.ascontiguousarray(np.diff(Yp, axis=1))
        return _run(LINEAR, dX, nx - 1, dY, ny - 1, dummy, 1, R, 0.0, scale / (R * R),
                    symmetric)
    gamma = 0.5 / (scale * scale)
    return _run(RBF, Xp, nx - 1, Xp if symmetric else Yp, ny - 1, dummy, 1, R, gamma,
                1.0 / (R * R), symmetric)


def response_gram_cuda(Up: np.ndarray, nu: np.ndarray, Vp: np.ndarray, nv: np.ndarray,
                       symmetric: bool, kap: np.ndarray, r: int, R: int) -> np.ndarray:
    """Gram of the (untruncated) response kernel (see ``_response._gram``)."""
    return _run(RESPONSE, Up, nu, Up if symmetric else Vp, nv, kap, r, R, 0.0,
                1.0 / (R * R), symmetric)
