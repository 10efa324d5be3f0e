"""CUDA kernels for truncated signatures and response features (``device="cuda"``).

Launch: one thread block per path (grid-stride over the batch); the block's threads split
each level into word-blocks: a thread owns a prefix ``w_1..w_{n-1}`` and updates the ``d``
words that extend it, sharing the prefix's bracket.  For every segment with increment ``x``
the levels are updated from the top down, so that each level reads the *old* lower levels:

.. math:: S_n[w] \\mathrel{+}= \\Big(\\big((x_{w_1}/n + S_1[w_1])\\,x_{w_2}/(n-1)
          + S_2[w_1w_2]\\big)\\cdots + S_{n-1}[w_1\\cdots w_{n-1}]\\Big)\\,x_{w_n},

the Horner form of :math:`\\sum_{j\\le n} S_j \\otimes x^{\\otimes(n-j)}/(n-j)!` evaluated
per word-block (a word's digits come from its lexicographic index, so the output is written
in the public layout with no permutation).  A ``__syncthreads`` separates the levels.  Each
coordinate is computed by one thread in a fixed order, so results do not depend on the
launch configuration; they equal the CPU loops to float64 rounding (the CPU uses the same
recursion in a different association and with blocked top-level updates).

The running signature of the block's current path lives in shared memory when it fits
(``8 (d + dim)`` bytes <= 48 KiB, tunable with ``SRNNKIT_CUDA_SHARED_BYTES``), otherwise in a
per-block global scratch row (cached in L1/L2); the increment ``x`` is staged in shared
memory.  Everything is computed in float64
(float32 input is cast back on return).

This module imports ``numba.cuda``; the front ends import it only when ``device="cuda"``
(after checking that a device or the simulator is there).  Kernels compile on first launch.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, float64

from .._device import cuda_module, launch_setting
from ._words import signature_dim

__all__ = ["sig_paths_cuda", "sig_rank_one_cuda"]


@cuda.jit(device=True)
def advance(S, x, depth, d, pw, offs, inv, tid, nt):  # pragma: no cover - device code
    """Levels depth..1 of S times exp(x); a thread owns a prefix (word-block of d words)."""
    for n in range(depth, 0, -1):
        base = offs[n]
        if n == 1:
            for a in range(tid, d, nt):
                S[base + a] += x[a]
        else:
            # prefix u = w_1..w_{n-1} (index in level n-1); its bracket is shared by the d
            # words u a, a = 0..d-1
            for u in range(tid, pw[n - 1], nt):
                div = pw[n - 2]
                acc = x[(u // div) % d] * inv[n] + S[offs[1] + u // div]
                for i in range(2, n):
                    div = pw[n - 1 - i]
                    acc = acc * (x[(u // div) % d] * inv[n - i + 1]) + S[offs[i] + u // div]
                row = base + u * d
                for a in range(d):
                    S[row + a] += acc * x[a]
        cuda.syncthreads()


@cuda.jit(device=True)
def write(out_row, S, dim, col0, tid, nt):  # pragma: no cover - device code
    for k in range(tid, dim, nt):
        out_row[col0 + k] = S[k]


@cuda.jit
def sig_kernel(paths, coef, inputs, rank_one, refine, depth, pw, offs, inv, out, col0,
               stream, Sg, shared_S):  # pragma: no cover - device code
    sh = cuda.shared.array(0, float64)
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    dim = Sg.shape[1]
    if rank_one:
        n_b = inputs.shape[0]
        m = inputs.shape[2]
        P = coef.shape[1]
        d = P * m
        n_seg = coef.shape[0]
    else:
        n_b = paths.shape[0]
        d = paths.shape[2]
        n_seg = paths.shape[1] - 1
    x = sh[0:d]
    if shared_S:
        S = sh[d:d + dim]
    else:
        S = Sg[cuda.blockIdx.x]
    for b in range(cuda.blockIdx.x, n_b, cuda.gridDim.x):
        for k in range(tid, dim, nt):
            S[k] = 0.0
        for s in range(n_seg):
            if rank_one:
                j = s // refine
                for a in range(tid, d, nt):
                    x[a] = coef[s, a // m] * inputs[b, j, a % m]
            else:
                for a in range(tid, d, nt):
                    x[a] = paths[b, s + 1, a] - paths[b, s, a]
            cuda.syncthreads()
            advance(S, x, depth, d, pw, offs, inv, tid, nt)
            if stream:
                if rank_one:
                    if (s + 1) % refine == 0:
                        write(out[b, (s + 1) // refine - 1], S, dim, col0, tid, nt)
                else:
                    write(out[b, s], S, dim, col0, tid, nt)
        if not stream:
            write(out[b, 0], S, dim, col0, tid, nt)
        cuda.syncthreads()


def _tables(d: int, depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pw = np.array([d**k for k in range(depth + 1)], dtype=np.int64)
    offs = np.zeros(depth + 1, dtype=np.int64)
    for k in range(2, depth + 1):
        offs[k] = offs[k - 1] + pw[k - 1]
    inv = np.zeros(depth + 1)
    inv[1:] = 1.0 / np.arange(1, depth + 1, dtype=np.float64)
    return pw, offs, inv


def _launch(n_items: int, top: int) -> tuple[int, int]:
    threads = launch_setting("THREADS", 256, 1, 1024)
    threads = min(threads, max(32, -(-top // 32) * 32))
    blocks = min(n_items, launch_setting("MAX_BLOCKS", 4096))
    return max(blocks, 1), threads


def _run(paths, coef, inputs, rank_one, refine, depth, d, out, col0, stream) -> None:
    cuda = cuda_module("signatures")
    n_b = out.shape[0]
    if n_b == 0:
        return
    dim = signature_dim(d, depth)
    pw, offs, inv = _tables(d, depth)
    blocks, threads = _launch(n_b, d ** (depth - 1))   # word-blocks of the top level
    shared_S = 8 * (d + dim) <= launch_setting("SHARED_BYTES", 48 * 1024, 0)
    out64 = np.ascontiguousarray(out, dtype=np.float64)
    d_out = cuda.to_device(out64)
    d_S = cuda.device_array((1 if shared_S else blocks, dim), dtype=np.float64)
    args = [cuda.to_device(np.ascontiguousarray(a, dtype=np.float64))
            for a in (paths, coef, inputs)]
    shared = 8 * (d + dim) if shared_S else 8 * d
    sig_kernel[blocks, threads, 0, shared](*args, bool(rank_one), int(refine), int(depth),
                                           cuda.to_device(pw), cuda.to_device(offs),
                                           cuda.to_device(inv), d_out, int(col0), bool(stream),
                                           d_S, shared_S)
    out[...] = d_out.copy_to_host()


def sig_paths_cuda(paths: np.ndarray, depth: int, out: np.ndarray, col0: int,
                   stream: bool) -> None:
    """Signatures of ``paths`` (B, L, d) into ``out`` ((B, 1 or L-1, dim_out)) on the GPU."""
    dummy = np.zeros((1, 1))
    _run(paths, dummy, np.zeros((1, 1, 1)), False, 1, depth, paths.shape[2], out, col0,
         stream)


def sig_rank_one_cuda(inputs: np.ndarray, coef: np.ndarray, refine: int, depth: int,
                      out: np.ndarray, col0: int, stream: bool) -> None:
    """Response features (rank-one increments ``coef[s] ⊗ inputs[b, s // refine]``)."""
    d = coef.shape[1] * inputs.shape[2]
    _run(np.zeros((1, 2, 1)), coef, inputs, True, refine, depth, d, out, col0, stream)
