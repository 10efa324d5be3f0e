"""Chen/Horner update generated as LLVM IR for one (channels, depth) pair.

`_loops` holds loops that work for every number of channels ``d`` and depth
``N``; their inner loops have run-time lengths ``d**j``, which costs remainder
code, alias checks and loop overhead exactly where the work is small.  This
module instead writes the update of one block of segments as straight LLVM IR,
specialised to ``(d, N)`` and the float type, the way a C++ template would be:

* every level sits at a 64-byte aligned offset of one workspace, so every
  vector load and store is aligned and its address a compile-time constant;
* vectors are 64 bytes wide (8 doubles; LLVM splits them where the CPU's
  registers are narrower), with 4/2/1-wide tails when ``d**j`` is not a multiple;
* Horner intermediates of up to 64 doubles never touch memory (SSA values);
* short steps are unrolled, long ones become loops with constant trip counts.

The arithmetic is the same, operation for operation, as `_loops.advance`
(same Horner form, the same ``llvm.fmuladd`` per entry, the same order), so both
give bit-identical results and the front end may choose either.

Internal layout (reversed words, as `_loops`): the word ``w_1 ... w_k`` of level
``k`` sits at ``offs[k] + sum_i w_i d**(i-1)``.  Chen's update for one segment
with increment ``x`` is, for ``n = N..2`` (top down, so lower levels are old),

    S_n <- S_n + (((x/n + S_1) ⊗ x/(n-1) + S_2) ⊗ ... + S_{n-1}) ⊗ x,

then ``S_1 <- S_1 + x``.  The top level's bracket ``T_s`` is kept for each
segment of a block and ``S_N += T_1 ⊗ x_1 + ... + T_B ⊗ x_B`` applied once per
block (see `_loops`).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any, NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._cpu import has_avx512

__all__ = ["BLOCK", "FixedLayout", "fixed_layout", "fmuladd", "paths_kernel", "rank_one_kernel"]

BLOCK = 4  # segments per top-level block (as _loops.BLOCK)
UNROLL_OPS = 128  # vector operations written out before a loop is used instead


def _vector_bytes() -> int:
    """64 (8 doubles) where numba's target CPU has AVX-512, else 32 (AVX2 width).

    Wider vectors than the CPU's are still correct (LLVM splits them); this only sets
    the alignment and how many Horner intermediates are kept in registers.
    """
    return 64 if has_avx512() else 32


VEC_BYTES = _vector_bytes()  # one vector
REG_BYTES = 8 * VEC_BYTES  # Horner intermediates up to this size stay in registers

I64 = ir.IntType(64)
I32 = ir.IntType(32)


class FixedLayout(NamedTuple):
    """Aligned workspace layout for ``(d, depth)`` (offsets in elements)."""

    offs: tuple[int, ...]  # offs[k]: start of level k (k = 1..depth)
    n_state: int  # elements to zero per path (the padded levels)
    bufs: tuple[int, int]  # two Horner buffers
    t0: int  # start of the top-level brackets T_0 .. T_{BLOCK-1}
    t_stride: int
    size: int  # workspace size
    align: int  # elements per vector (the alignment unit)
    perm: np.ndarray  # output column k <- workspace entry perm[k]


@lru_cache(maxsize=64)
def fixed_layout(d: int, depth: int, itemsize: int) -> FixedLayout:
    """Padded reversed-word layout of the generated kernels."""
    from ._words import level_offsets, reversed_layout_perm

    align = VEC_BYTES // itemsize

    def up(n: int) -> int:
        return -(-n // align) * align

    offs = [0] * (depth + 1)
    pos = 0
    for k in range(1, depth + 1):
        offs[k] = pos
        pos = up(pos + d**k)
    top = up(max(d ** (depth - 1), d))
    plain_perm = reversed_layout_perm(d, depth)
    plain = level_offsets(d, depth)
    perm = plain_perm.copy()
    for k in range(1, depth + 1):  # unpadded -> padded internal index
        sel = (plain_perm >= plain[k]) & (plain_perm < plain[k] + d**k)
        perm[sel] += offs[k] - plain[k]
    perm.setflags(write=False)
    t0 = pos + 2 * top
    return FixedLayout(tuple(offs), pos, (pos, pos + top), t0, top, t0 + BLOCK * top, align,
                       perm)


def _pieces(size: int, vec: int) -> list[tuple[int, int]]:
    """Split ``[0, size)`` into (offset, width) pieces: width vec, then halves for the tail."""
    out = []
    pos = 0
    while pos < size:
        w = vec
        while w > size - pos:
            w //= 2
        out.append((pos, w))
        pos += w
    return out


class _Emitter:
    """Thin layer over an llvmlite builder: typed vector loads, stores and fmuladd."""

    def __init__(self, builder: ir.IRBuilder, fty: ir.Type, itemsize: int) -> None:
        self.b = builder
        self.fty = fty
        self.itemsize = itemsize
        self.vec = VEC_BYTES // itemsize
        self.reg_max = REG_BYTES // itemsize
        self.suffix = "f64" if itemsize == 8 else "f32"

    def const(self, v: int) -> ir.Constant:
        return ir.Constant(I64, v)

    def at(self, ptr: Any, off: Any) -> Any:
        return self.b.gep(ptr, [self.const(off) if isinstance(off, int) else off])

    def vtype(self, w: int) -> ir.Type:
        return self.fty if w == 1 else ir.VectorType(self.fty, w)

    def load(self, ptr: Any, w: int) -> Any:
        p = ptr if w == 1 else self.b.bitcast(ptr, self.vtype(w).as_pointer())
        return self.b.load(p, align=self.itemsize)

    def store(self, val: Any, ptr: Any, w: int) -> None:
        p = ptr if w == 1 else self.b.bitcast(ptr, self.vtype(w).as_pointer())
        self.b.store(val, p, align=self.itemsize)

    def splat(self, s: Any, w: int) -> Any:
        if w == 1:
            return s
        t = self.vtype(w)
        v = self.b.insert_element(ir.Constant(t, ir.Undefined), s, ir.Constant(I32, 0))
        return self.b.shuffle_vector(v, ir.Constant(t, ir.Undefined),
                                     ir.Constant(ir.VectorType(I32, w), [0] * w))

    def fmuladd(self, a: Any, b: Any, c: Any, w: int) -> Any:
        """a * b + c (fused where the CPU has FMA; the same choice as in `_loops`)."""
        t = self.vtype(w)
        name = f"llvm.fmuladd.{self.suffix}" if w == 1 else f"llvm.fmuladd.v{w}{self.suffix}"
        fn = cgutils.get_or_insert_function(self.b.module, ir.FunctionType(t, [t] * 3), name)
        return self.b.call(fn, [a, b, c])


class _Block:
    """A Horner intermediate: SSA pieces [(offset, width, value)] or a pointer."""

    def __init__(self, size: int, ptr: Any = None, pieces: list | None = None) -> None:
        self.size, self.ptr, self.pieces = size, ptr, pieces

    def values(self, em: _Emitter) -> list:
        if self.pieces is not None:
            return self.pieces
        return [(o, w, em.load(em.at(self.ptr, o), w)) for o, w in _pieces(self.size, em.vec)]


def _outer(em: _Emitter, src: _Block, scal: list, add: Any, dst: Any) -> _Block:
    """dst[a*m + i] = src[i] * scal[a] + add[a*m + i] for a < d, i < m = src.size.

    ``dst`` None keeps the result in registers; ``add`` may equal ``dst`` (accumulate).
    Short products are written out; long ones loop over vectors (src in memory).
    """
    b, m, d = em.b, src.size, len(scal)
    if src.pieces is not None or dst is None or d * len(_pieces(m, em.vec)) <= UNROLL_OPS:
        vals, res = src.values(em), []
        for a in range(d):
            spl = {}
            for o, w, v in vals:
                if w not in spl:
                    spl[w] = em.splat(scal[a], w)
                r = em.fmuladd(v, spl[w], em.load(em.at(add, a * m + o), w), w)
                if dst is None:
                    res.append((a * m + o, w, r))
                else:
                    em.store(r, em.at(dst, a * m + o), w)
        return _Block(d * m, pieces=res) if dst is None else _Block(d * m, ptr=dst)
    n_vec = m // em.vec
    for a in range(d):
        spl = em.splat(scal[a], em.vec)
        with cgutils.for_range(b, em.const(n_vec)) as loop:
            o = b.mul(loop.index, em.const(em.vec))
            oa = b.add(o, em.const(a * m))
            r = em.fmuladd(em.load(em.at(src.ptr, o), em.vec), spl,
                           em.load(em.at(add, oa), em.vec), em.vec)
            em.store(r, em.at(dst, oa), em.vec)
        for o, w in _pieces(m - n_vec * em.vec, em.vec):
            o += n_vec * em.vec
            r = em.fmuladd(em.load(em.at(src.ptr, o), w), em.splat(scal[a], w),
                           em.load(em.at(add, a * m + o), w), w)
            em.store(r, em.at(dst, a * m + o), w)
    return _Block(d * m, ptr=dst)


def _segment(em: _Emitter, W: Any, xs: list, T: Any, depth: int, lay: FixedLayout) -> None:
    """Levels depth..1 of one segment (increment scalars xs); the top bracket goes to T."""
    b, d, offs = em.b, len(xs), lay.offs
    bufs = [em.at(W, lay.bufs[0]), em.at(W, lay.bufs[1])]
    for n in range(depth, 1, -1):
        c = ir.Constant(em.fty, 1.0 / n)
        cur = []  # cur_1 = x / n + S_1, in registers
        for o, w in _pieces(d, em.vec):
            xv = xs[o]
            if w > 1:
                xv = ir.Constant(em.vtype(w), ir.Undefined)
                for q in range(w):
                    xv = b.insert_element(xv, xs[o + q], ir.Constant(I32, q))
            cur.append((o, w, em.fmuladd(xv, em.splat(c, w), em.load(em.at(W, offs[1] + o), w),
                                         w)))
        block = _Block(d, pieces=cur)
        if n == depth == 2:
            for o, w, v in cur:
                em.store(v, em.at(T, o), w)
            continue
        for j in range(1, n - 1):
            c = ir.Constant(em.fty, 1.0 / (n - j))
            scal = [b.fmul(x, c) for x in xs]
            if n == depth and j == n - 2:
                dst = T
            elif d * block.size <= em.reg_max:
                dst = None
            else:
                dst = bufs[j % 2]
            block = _outer(em, block, scal, em.at(W, offs[j + 1]), dst)
        if n < depth:
            _outer(em, block, xs, em.at(W, offs[n]), em.at(W, offs[n]))
    for a in range(d):
        p = em.at(W, offs[1] + a)
        b.store(b.fadd(b.load(p), xs[a]), p)


def _top(em: _Emitter, W: Any, X: Any, k: Any, d: int, depth: int, lay: FixedLayout) -> None:
    """S_N += T_0 ⊗ x_0 + ... + T_{k-1} ⊗ x_{k-1} (one pass over S_N when k == BLOCK)."""
    b, top, sN = em.b, d ** (depth - 1), lay.offs[depth]

    def t_ptr(s: Any) -> Any:
        return em.at(W, b.add(em.const(lay.t0), b.mul(s, em.const(lay.t_stride))))

    with b.if_else(b.icmp_signed("==", k, em.const(BLOCK))) as (full, part):
        with full:
            n_vec = top // em.vec
            looped = d * n_vec * BLOCK > UNROLL_OPS
            for a in range(d):
                xa = [b.load(em.at(X, s * d + a)) for s in range(BLOCK)]

                def one(o: Any, w: int, a: int = a, xa: list = xa) -> None:
                    acc = em.load(em.at(W, b.add(o, em.const(sN + a * top))), w)
                    for s in range(BLOCK):
                        t = em.load(em.at(W, b.add(o, em.const(lay.t0 + s * lay.t_stride))), w)
                        acc = em.fmuladd(t, em.splat(xa[s], w), acc, w)
                    em.store(acc, em.at(W, b.add(o, em.const(sN + a * top))), w)

                rest = _pieces(top, em.vec)
                if looped:
                    with cgutils.for_range(b, em.const(n_vec)) as loop:
                        one(b.mul(loop.index, em.const(em.vec)), em.vec)
                    rest = [(o + n_vec * em.vec, w) for o, w in _pieces(top % em.vec, em.vec)]
                for o, w in rest:
                    one(em.const(o), w)
        with part:
            with cgutils.for_range(b, k) as loop:
                s = loop.index
                xs = [b.load(em.at(X, b.add(b.mul(s, em.const(d)), em.const(a))))
                      for a in range(d)]
                _outer(em, _Block(top, ptr=t_ptr(s)), xs, em.at(W, sN), em.at(W, sN))


def _emit_block(em: _Emitter, W: Any, X: Any, k: Any, d: int, depth: int) -> None:
    """Multiply the state in W by exp(X[0]) ... exp(X[k-1]) (X flat, row s = segment s)."""
    b = em.b
    lay = fixed_layout(d, depth, em.itemsize)
    with cgutils.for_range(b, k) as loop:
        s = loop.index
        xs = [b.load(em.at(X, b.add(b.mul(s, em.const(d)), em.const(a)))) for a in range(d)]
        if depth == 1:
            for a in range(d):
                p = em.at(W, a)
                b.store(b.fadd(b.load(p), xs[a]), p)
        else:
            T = em.at(W, b.add(em.const(lay.t0), b.mul(s, em.const(lay.t_stride))))
            _segment(em, W, xs, T, depth, lay)
    if depth > 1:
        _top(em, W, X, k, d, depth, lay)


@intrinsic
def _horner_block(typingctx: Any, W: Any, X: Any, k: Any, d: Any, depth: Any) -> Any:
    """Compiled `_emit_block` for literal ``d`` and ``depth`` (W, X flat float arrays)."""
    if not (isinstance(d, types.IntegerLiteral) and isinstance(depth, types.IntegerLiteral)):
        return None
    dv, nv = d.literal_value, depth.literal_value

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        dtype = sig.args[0].dtype
        Wd = context.make_array(sig.args[0])(context, builder, args[0]).data
        Xd = context.make_array(sig.args[1])(context, builder, args[1]).data
        kk = context.cast(builder, args[2], sig.args[2], types.int64)
        em = _Emitter(builder, context.get_value_type(dtype), dtype.bitwidth // 8)
        _emit_block(em, Wd, Xd, kk, dv, nv)
        return context.get_dummy_value()

    return types.void(W, X, k, d, depth), codegen


@intrinsic
def fmuladd(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` through ``llvm.fmuladd``, as in the generated code (fused on FMA CPUs)."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        t = context.get_value_type(sig.return_type)
        name = "llvm.fmuladd.f64" if sig.return_type.bitwidth == 64 else "llvm.fmuladd.f32"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(t, [t] * 3), name)
        return builder.call(fn, args)

    return a(a, b, c), codegen


@cache
def paths_kernel(d: int, depth: int) -> Any:
    """Batch driver for piecewise-linear paths with the update generated for ``(d, depth)``.

    Same call as `_loops.sig_paths` but with the `fixed_layout` tables:
    ``run(paths, perm, n_state, size, out, col0, stream)``.  Compiled (and cached on
    disk) on first use, once per ``(d, depth)`` and float type.
    """

    @njit(cache=True, nogil=True, boundscheck=False)
    def run(paths, perm, n_state, size, out, col0, stream):  # pragma: no cover - compiled
        n_seg = paths.shape[1] - 1
        W = _aligned(size, paths.dtype)
        X = np.empty(BLOCK * d, dtype=paths.dtype)
        block = 1 if stream else BLOCK
        for b in range(paths.shape[0]):
            W[:n_state] = 0
            t = 0
            while t < n_seg:
                k = min(block, n_seg - t)
                for s in range(k):
                    for a in range(d):
                        X[s * d + a] = paths[b, t + s + 1, a] - paths[b, t + s, a]
                _horner_block(W, X, k, d, depth)
                t += k
                if stream:
                    _write(out[b, t - 1], W, perm, col0)
            if not stream:
                _write(out[b, 0], W, perm, col0)

    return run


@cache
def rank_one_kernel(d: int, depth: int) -> Any:
    """`_loops.sig_rank_one` with the update generated for ``(d, depth)``:
    ``run(inputs, coef, refine, perm, n_state, size, out, col0, stream)`` where
    ``d = coef.shape[1] * inputs.shape[2]``."""

    @njit(cache=True, nogil=True, boundscheck=False)
    def run(inputs, coef, refine, perm, n_state, size, out, col0,
            stream):  # pragma: no cover - compiled
        m = inputs.shape[2]
        n_sub = coef.shape[0]
        W = _aligned(size, inputs.dtype)
        X = np.empty(BLOCK * d, dtype=inputs.dtype)
        for b in range(inputs.shape[0]):
            W[:n_state] = 0
            s0 = 0
            while s0 < n_sub:
                limit = (s0 // refine + 1) * refine if stream else n_sub
                k = min(BLOCK, limit - s0)
                for s in range(k):
                    j = (s0 + s) // refine
                    for p in range(coef.shape[1]):
                        c = coef[s0 + s, p]
                        for q in range(m):
                            X[s * d + p * m + q] = c * inputs[b, j, q]
                _horner_block(W, X, k, d, depth)
                s0 += k
                if stream and s0 % refine == 0:
                    _write(out[b, s0 // refine - 1], W, perm, col0)
            if not stream:
                _write(out[b, 0], W, perm, col0)

    return run


@njit(cache=True, nogil=True)
def _aligned(size, dtype):  # pragma: no cover - compiled
    """A zero-initialised workspace of ``size`` elements starting on a VEC_BYTES boundary."""
    raw = np.zeros(size + VEC_BYTES, dtype=dtype)
    skip = ((VEC_BYTES - raw.ctypes.data % VEC_BYTES) % VEC_BYTES) // raw.itemsize
    return raw[skip:skip + size]


@njit(cache=True, nogil=True, boundscheck=False)
def _write(out_row, W, perm, col0):  # pragma: no cover - compiled
    for k in range(perm.shape[0]):
        out_row[col0 + k] = W[perm[k]]
