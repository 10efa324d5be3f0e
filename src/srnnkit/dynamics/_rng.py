"""Counter-free, block-seeded Gaussian noise for Numba loops.

Each block of paths owns a xoshiro256++ state (four ``uint64`` words) seeded
from its own :class:`numpy.random.SeedSequence` child, and draws standard
normals with a 256-layer ziggurat (Marsaglia & Tsang 2000; the 52-bit variant
used by NumPy). The generator is inlined into the stepping loops, so a normal
costs a few nanoseconds instead of a call through NumPy's bit-generator
interface, and the stream of a block depends only on its seed, never on which
thread runs it or how blocks are grouped.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from llvmlite import ir
from numba import njit, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "fill_normals",
    "make_states",
    "next_normal",
    "standard_normal",
    "xoshiro_next",
    "ziggurat_tables",
]

_R = 3.6541528853610088          # start of the tail (x_255)
_V = 4.92867323399e-3            # area of each of the 256 layers
_INV_R = 1.0 / _R
_M52 = float(2**52)
_TWO_M53 = 1.0 / 9007199254740992.0


@functools.cache
def ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables ``(k, w, f)`` of the 256-layer ziggurat (computed once, on first use)."""
    k = np.zeros(256, dtype=np.uint64)
    w = np.zeros(256)
    f = np.zeros(256)
    dn = tn = _R
    q = _V / math.exp(-0.5 * dn * dn)
    k[0] = np.uint64((dn / q) * _M52)
    k[1] = 0
    w[0] = q / _M52
    w[255] = dn / _M52
    f[0] = 1.0
    f[255] = math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(_V / dn + math.exp(-0.5 * dn * dn)))
        k[i + 1] = np.uint64((dn / tn) * _M52)
        tn = dn
        f[i] = math.exp(-0.5 * dn * dn)
        w[i] = dn / _M52
    return k, w, f


def make_states(seeds: list[np.random.SeedSequence]) -> np.ndarray:
    """xoshiro256++ states, one row of four ``uint64`` per SeedSequence."""
    states = np.empty((len(seeds), 4), dtype=np.uint64)
    for i, ss in enumerate(seeds):
        s = ss.generate_state(4, np.uint64)
        if not s.any():  # the all-zero state is the generator's only fixed point
            s[0] = np.uint64(0x9E3779B97F4A7C15)
        states[i] = s
    return states


@njit(inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(inline="always")
def xoshiro_next(s0, s1, s2, s3):
    """xoshiro256++: returns ``(output, s0, s1, s2, s3)`` with the advanced state."""
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@intrinsic
def _likely(typingctx, cond):
    """``cond``, marked as almost always true (``llvm.expect``), so that LLVM lays the loop out
    for it and keeps the rare branch's register spills out of the hot path."""
    sig = types.boolean(types.boolean)

    def codegen(context, builder, signature, args):
        i1 = ir.IntType(1)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(i1, [i1, i1]),
                                            "llvm.expect.i1")
        return builder.call(fn, [args[0], ir.Constant(i1, 1)])

    return sig, codegen


# the tables as compile-time constants of the loops (0.2 ms to build; nothing is compiled here)
_KT, _WT, _FT = ziggurat_tables()
#: ``_WS[j] = ±_WT[j mod 256]``, minus for j >= 256: indexed by the output's low 9 bits (layer
#: and sign), ``rabs * _WS[j]`` is exactly the signed ``±(rabs * w)``
_WS = np.concatenate([_WT, -_WT])


@njit(nogil=True)
def _rejected(idx, sign, x, s0, s1, s2, s3):
    """The rest of a ziggurat draw whose fast test failed (about 1.2 % of draws): the wedge
    test, the tail (layer 0) and the retries. Not inlined, so that the common path stays
    free of calls."""
    kt, wt, ft = _KT, _WT, _FT
    while True:
        if idx == 0:
            while True:
                u1, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
                u2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
                xx = -_INV_R * math.log1p(-(np.float64(u1 >> uint64(11)) * _TWO_M53))
                yy = -math.log1p(-(np.float64(u2 >> uint64(11)) * _TWO_M53))
                if yy + yy > xx * xx:
                    return (-(_R + xx) if sign else _R + xx), s0, s1, s2, s3
        u1, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
        if (ft[idx - 1] - ft[idx]) * (np.float64(u1 >> uint64(11)) * _TWO_M53) + ft[idx] < \
                math.exp(-0.5 * x * x):
            return x, s0, s1, s2, s3
        r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
        idx = np.int64(r & uint64(0xFF))
        r >>= uint64(8)
        sign = r & uint64(1)
        rabs = (r >> uint64(1)) & uint64(0x000FFFFFFFFFFFFF)
        x = np.float64(rabs) * wt[idx] * (1.0 - 2.0 * np.float64(sign))
        if rabs < kt[idx]:
            return x, s0, s1, s2, s3


@njit(inline="always")
def next_normal(s0, s1, s2, s3):
    """One standard normal (ziggurat): returns ``(x, s0, s1, s2, s3)``.

    The state is passed in and out as scalars so that it lives in registers inside the
    calling loop. The common case (98.8 % of draws) is one xoshiro output, two table loads
    and a product; the rest is :func:`_rejected`, out of line. The same draws as the
    textbook form ``rabs * w[idx] * (1 - 2 sign)`` bit for bit.
    """
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    idx = np.int64(r & uint64(0xFF))
    rabs = (r >> uint64(9)) & uint64(0x000FFFFFFFFFFFFF)
    # bits 0-7 pick the layer, bit 8 the sign: rabs * (±w) is exactly ±(rabs * w)
    x = np.float64(rabs) * _WS[np.int64(r & uint64(0x1FF))]
    if _likely(rabs < _KT[idx]):
        return x, s0, s1, s2, s3
    return _rejected(idx, (r >> uint64(8)) & uint64(1), x, s0, s1, s2, s3)


@njit(cache=True, nogil=True)
def fill_normals(state, out):
    """Fill ``out`` (any C-contiguous shape, in memory order) with standard normals; advances
    ``state`` (uint64[4])."""
    flat = out.reshape(-1)
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    for i in range(flat.size):
        flat[i], s0, s1, s2, s3 = next_normal(s0, s1, s2, s3)
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3


def standard_normal(seed, size) -> np.ndarray:
    """Standard normals from srnnkit's block generator (for tests and small uses).

    Parameters
    ----------
    seed : int, Generator, SeedSequence or None
        The seed of the generator's state.
    size : int or tuple of int
        The shape of the output.

    Returns
    -------
    ndarray of float, shape ``size``
        Independent standard normals.

    Examples
    --------
    >>> from srnnkit.simulate import standard_normal
    >>> z = standard_normal(0, 100_000)
    >>> bool(abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02)
    True
    """
    from .._random import as_seed_sequence

    state = make_states([as_seed_sequence(seed)])[0]
    out = np.empty(size)
    fill_normals(state, out)
    return out
