"""The two vector kernels of simulate's block loop, written as LLVM IR with explicit vectors.

Numba's auto-vectoriser gives the drift loop 256-bit vectors (LLVM prefers them on AVX-512
CPUs) and leaves the matrix product to BLAS, whose call costs as much as a 256 x 64 x 64
product is worth. These kernels are emitted as IR with explicit ``<W x double>`` vectors
(``W`` = 8 on AVX-512 CPUs, 4 elsewhere; LLVM splits them where registers are narrower), the
way ``signatures/_codegen.py`` writes its update:

* :func:`gemm_rows` -- ``Z[i0:i1] = H[i0:i1] @ MT`` for a column-padded ``MT`` (n, n8), with
  register blocking: 6 rows x 4 vectors of accumulators per pass over ``j``. Each entry is
  accumulated as ``fmuladd(H[i, j], MT[j, k], acc)`` for ``j = 0 .. n-1``, starting from
  0 -- the order in which OpenBLAS's kernels accumulate a product of these sizes (checked
  bit for bit in the tests), so the results did not change when BLAS was replaced.
* :func:`em_rows` -- the Euler-Maruyama update of rows ``i0:i1`` after the product,
  ``H = em_unit(H, Z, b, gam, cu) + nd * X`` (``X`` the step's normals, or for a full noise
  matrix its product with ``nd = 1``), with the activation written out operation for
  operation as :func:`._em_loops.fast_tanh` and friends (same operations, same order, no
  contraction), so that the vector code gives the scalar code's bits.

Both are ``numba.extending.intrinsic`` s: they are emitted into the calling compiled function.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._cpu import has_avx512
from ._activations import IDENTITY, RELU, SIGMOID, TANH

__all__ = ["GEMM_MAX", "LANES", "em_piece", "em_row", "gemm_rows", "simd_tanh"]

#: largest n for which :func:`gemm_rows` replaces BLAS (beyond it BLAS splits the sum over j
#: into panels, so its bits differ, and BLAS's call overhead no longer matters)
GEMM_MAX = 256


def _lanes() -> int:
    """Doubles per vector: 8 where numba's target CPU has AVX-512, else 4."""
    return 8 if has_avx512() else 4


LANES = _lanes()
#: accumulator block of the product: rows x vectors (24 of 32 registers on AVX-512; 12 of 16
#: on AVX2)
ROWS, COLS = (6, 4) if LANES == 8 else (4, 3)

F64 = ir.DoubleType()
I64 = ir.IntType(64)
I32 = ir.IntType(32)


def _c64(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


class _Ops:
    """Arithmetic on ``w`` doubles at once (a scalar when ``w == 1``)."""

    def __init__(self, builder: ir.IRBuilder, w: int) -> None:
        self.b, self.w = builder, w
        self.ft = F64 if w == 1 else ir.VectorType(F64, w)
        self.it = I64 if w == 1 else ir.VectorType(I64, w)

    def c(self, v: float) -> ir.Constant:
        return ir.Constant(self.ft, v if self.w == 1 else [v] * self.w)

    def ci(self, v: int) -> ir.Constant:
        return ir.Constant(self.it, v if self.w == 1 else [v] * self.w)

    def splat(self, s: Any) -> Any:
        if self.w == 1:
            return s
        v = self.b.insert_element(ir.Constant(self.ft, ir.Undefined), s, ir.Constant(I32, 0))
        return self.b.shuffle_vector(v, ir.Constant(self.ft, ir.Undefined),
                                     ir.Constant(ir.VectorType(I32, self.w), [0] * self.w))

    def load(self, ptr: Any) -> Any:
        p = ptr if self.w == 1 else self.b.bitcast(ptr, self.ft.as_pointer())
        return self.b.load(p, align=8)

    def store(self, v: Any, ptr: Any) -> None:
        p = ptr if self.w == 1 else self.b.bitcast(ptr, self.ft.as_pointer())
        self.b.store(v, p, align=8)

    def add(self, x: Any, y: Any) -> Any:
        return self.b.fadd(x, y)

    def sub(self, x: Any, y: Any) -> Any:
        return self.b.fsub(x, y)

    def mul(self, x: Any, y: Any) -> Any:
        return self.b.fmul(x, y)

    def neg(self, x: Any) -> Any:
        return self.b.fneg(x)

    def cmp(self, op: str, x: Any, y: Any) -> Any:
        return self.b.fcmp_ordered(op, x, y)

    def sel(self, c: Any, x: Any, y: Any) -> Any:
        return self.b.select(c, x, y)

    def intrinsic(self, name: str, *args: Any) -> Any:
        suffix = "f64" if self.w == 1 else f"v{self.w}f64"
        fn = cgutils.get_or_insert_function(
            self.b.module, ir.FunctionType(self.ft, [self.ft] * len(args)),
            f"llvm.{name}.{suffix}")
        return self.b.call(fn, list(args))


_EXP_TAYLOR = (2.50521083854417187751e-8, 2.75573192239858906526e-7,
               2.75573192239858906526e-6, 2.48015873015873015873e-5,
               1.98412698412698412698e-4, 1.38888888888888888889e-3,
               8.33333333333333333333e-3, 4.16666666666666666667e-2,
               1.66666666666666666667e-1, 0.5, 1.0, 1.0)


def _rational(o: _Ops, x: Any) -> tuple:
    """The small-|x| branch of :func:`._em_loops.fast_tanh`: ``(x z p(z), q(z))``, z = x^2."""
    c = o.c
    z = o.mul(x, x)
    p = o.sub(o.mul(o.sub(o.mul(c(-9.64399179425052238628e-1), z),
                          c(9.92877231001918586564e1)), z), c(1.61468768441708447952e3))
    q = o.add(o.mul(o.add(o.mul(o.add(z, c(1.12811678491632931402e2)), z),
                          c(2.23548839060100448583e3)), z), c(4.84406305325125486048e3))
    return o.mul(o.mul(x, z), p), q


def _exp_minus_2ax(o: _Ops, ax: Any) -> Any:
    """``t = exp(-2 min(|x|, 20))`` of the large-|x| branch (Taylor polynomial times 2^-k)."""
    c = o.c
    y = o.mul(c(-2.0), o.sel(o.cmp("<", ax, c(20.0)), ax, c(20.0)))
    ki = o.b.fptosi(o.add(o.mul(o.neg(y), c(1.4426950408889634)), c(0.5)), o.it)
    kf = o.neg(o.b.sitofp(ki, o.ft))
    r = o.sub(o.sub(y, o.mul(kf, c(6.93145751953125e-1))),
              o.mul(kf, c(1.42860682030941723212e-6)))
    e = c(2.08767569878680989792e-9)
    for a in _EXP_TAYLOR:
        e = o.add(o.mul(e, r), c(a))
    return o.mul(e, o.b.bitcast(o.b.shl(o.b.sub(o.ci(1023), ki), o.ci(52)), o.ft))


def _tanh_small(o: _Ops, x: Any) -> Any:
    """tanh for |x| < 0.625 only."""
    num, q = _rational(o, x)
    return o.add(x, o.b.fdiv(num, q))


def _tanh_large(o: _Ops, x: Any) -> Any:
    """tanh for |x| >= 0.625 (or NaN) only."""
    t = _exp_minus_2ax(o, o.intrinsic("fabs", x))
    d = o.b.fdiv(o.sub(o.c(1.0), t), o.add(o.c(1.0), t))
    return o.sel(o.cmp(">=", x, o.c(0.0)), d, o.neg(d))


def _tanh(o: _Ops, x: Any) -> Any:
    """:func:`._em_loops.fast_tanh`, operation for operation (one division: the two branches'
    numerators and denominators are selected first, which gives the same quotient)."""
    c = o.c
    ax = o.intrinsic("fabs", x)
    num_s, q = _rational(o, x)
    t = _exp_minus_2ax(o, ax)
    small = o.cmp("<", ax, c(0.625))
    d = o.b.fdiv(o.sel(small, num_s, o.sub(c(1.0), t)), o.sel(small, q, o.add(c(1.0), t)))
    big = o.sel(o.cmp(">=", x, c(0.0)), d, o.neg(d))
    return o.sel(small, o.add(x, d), big)


def _activation(o: _Ops, act: int, z: Any) -> Any:
    """The scalar activations of :mod:`._em_loops` (``_a_tanh`` ... ``_a_identity``)."""
    if act == TANH:
        return _tanh(o, z)
    if act == RELU:
        return o.sel(o.cmp(">", z, o.c(0.0)), z, o.c(0.0))
    if act == SIGMOID:
        return o.add(o.c(0.5), o.mul(o.c(0.5), _tanh(o, o.mul(o.c(0.5), z))))
    if act == IDENTITY:
        return z
    raise ValueError(f"unknown activation code {act}")


# ----------------------------------------------------------------------- matrix product
def _product_block(b: ir.IRBuilder, ptrs: tuple, i: Any, col: Any, n: Any, ld: tuple,
                   rows: int, nvec: int) -> None:
    """Z[i:i+rows, col:col+nvec*LANES] = H[i:i+rows, :n] @ MT[:, same columns]."""
    Hp, Mp, Zp = ptrs
    ldh, ldm = ld
    o = _Ops(b, LANES)
    accs = [[cgutils.alloca_once_value(b, o.c(0.0)) for _ in range(nvec)] for _ in range(rows)]
    with cgutils.for_range(b, n) as loop:
        j = loop.index
        mrow = b.add(b.mul(j, ldm), col)
        ms = [o.load(b.gep(Mp, [b.add(mrow, _c64(q * LANES))])) for q in range(nvec)]
        for r in range(rows):
            h = o.splat(b.load(b.gep(Hp, [b.add(b.mul(b.add(i, _c64(r)), ldh), j)])))
            for q in range(nvec):
                b.store(o.intrinsic("fmuladd", h, ms[q], b.load(accs[r][q])), accs[r][q])
    for r in range(rows):
        zrow = b.add(b.mul(b.add(i, _c64(r)), ldm), col)
        for q in range(nvec):
            o.store(b.load(accs[r][q]), b.gep(Zp, [b.add(zrow, _c64(q * LANES))]))


def _row_loop(b: ir.IRBuilder, i0: Any, i1: Any, step: int, body: Any) -> None:
    """``for i in range(i0, i1 - step + 1, step): body(i)``, then the rows left one by one
    (``body(i, 1)``)."""
    fn = b.function
    ip = cgutils.alloca_once_value(b, i0)
    for rows in (step, 1):
        cond = fn.append_basic_block("rows_cond")
        loop = fn.append_basic_block("rows_body")
        done = fn.append_basic_block("rows_done")
        b.branch(cond)
        b.position_at_end(cond)
        i = b.load(ip)
        b.cbranch(b.icmp_signed("<=", b.add(i, _c64(rows)), i1), loop, done)
        b.position_at_end(loop)
        body(i, rows)
        b.store(b.add(i, _c64(rows)), ip)
        b.branch(cond)
        b.position_at_end(done)


def _emit_product(b: ir.IRBuilder, ptrs: tuple, i0: Any, i1: Any, n: Any, ld: tuple) -> None:
    """Every column chunk of COLS vectors (the last one narrower), rows in blocks of ROWS."""
    fn = b.function
    n_vec = b.udiv(ld[1], _c64(LANES))
    with cgutils.for_range_slice(b, _c64(0), n_vec, _c64(COLS)) as (c0, _):
        left = b.sub(n_vec, c0)
        width = b.select(b.icmp_signed(">", left, _c64(COLS)), _c64(COLS), left)
        col = b.mul(c0, _c64(LANES))
        after = fn.append_basic_block("chunk_done")
        switch = b.switch(width, after)
        for nvec in range(1, COLS + 1):
            case = fn.append_basic_block(f"chunk_{nvec}")
            switch.add_case(_c64(nvec), case)
            b.position_at_end(case)
            _row_loop(b, i0, i1, ROWS, lambda i, rows, nvec=nvec: _product_block(
                b, ptrs, i, col, n, ld, rows, nvec))
            b.branch(after)
        b.position_at_end(after)


def _array(context: Any, builder: Any, ty: Any, val: Any) -> Any:
    return context.make_array(ty)(context, builder, val)


def _is_c2d(a: Any) -> bool:
    return isinstance(a, types.Array) and a.ndim == 2 and a.layout == "C" and \
        a.dtype == types.float64


@intrinsic
def gemm_rows(typingctx: Any, H: Any, MT: Any, Z: Any, i0: Any, i1: Any) -> Any:
    """``Z[i0:i1] = H[i0:i1] @ MT`` (H (B, n); MT (n, n8) and Z (B, n8), n8 a multiple of 8,
    float64, C order); each entry a sequential ``fmuladd`` over ``j`` from 0."""
    if not (_is_c2d(H) and _is_c2d(MT) and _is_c2d(Z)):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        arrs = [_array(context, builder, sig.args[k], args[k]) for k in range(3)]
        n = cgutils.unpack_tuple(builder, arrs[0].shape, 2)[1]
        n8 = cgutils.unpack_tuple(builder, arrs[1].shape, 2)[1]
        i_0 = context.cast(builder, args[3], sig.args[3], types.int64)
        i_1 = context.cast(builder, args[4], sig.args[4], types.int64)
        _emit_product(builder, tuple(a.data for a in arrs), i_0, i_1, n, (n, n8))
        return context.get_dummy_value()

    return types.void(H, MT, Z, i0, i1), codegen


# ------------------------------------------------------------------------------- update
def _emit_piece(b: ir.IRBuilder, ptrs: tuple, ik: tuple, dims: tuple, scal: tuple, act: int,
                full_gamma: bool, w: int) -> None:
    """Entries ``[i, k:k+w]`` of the update (``w`` doubles at once)."""
    Hp, Zp, Z2p, Xp, bp, gp, cup, ndp = ptrs
    i, k = ik
    n, ldz = dims
    dtv, ain = scal
    o = _Ops(b, w)
    hrow, zrow = b.mul(i, n), b.mul(i, ldz)
    hptr = b.gep(Hp, [b.add(hrow, k)])
    h = o.load(hptr)
    z = o.load(b.gep(Zp, [b.add(zrow, k)]))
    gam = o.load(b.gep(Z2p, [b.add(zrow, k)])) if full_gamma else \
        o.mul(o.load(b.gep(gp, [k])), h)
    cu = o.load(b.gep(cup, [k]))
    arg = o.add(z, o.load(b.gep(bp, [k])))               # em_unit's z + b (+ cu)
    arg = o.sel(ain, o.add(arg, cu), arg)
    inner = o.sub(_activation(o, act, arg), gam)
    inner = o.sel(ain, inner, o.add(inner, cu))
    hn = o.add(h, o.mul(o.splat(dtv), inner))
    hn = o.add(hn, o.mul(o.load(b.gep(ndp, [k])), o.load(b.gep(Xp, [b.add(hrow, k)]))))
    o.store(hn, hptr)


@intrinsic
def em_piece(typingctx: Any, H: Any, Z: Any, Z2: Any, X: Any, bias: Any, g: Any, cu: Any,
             nd: Any, i: Any, k: Any, dt: Any, activation_input: Any, act: Any,
             full_gamma: Any, width: Any) -> Any:
    """Entries ``[i, k:k+width]`` of ``H <- em_unit(H, Z, b, gam, cu, dt) + nd * X``, in place.

    ``H``, ``X`` (B, n); ``Z`` (the product ``H W^T``) and ``Z2`` (``H Γ^T``, read only when
    ``full_gamma``) (B, nz), nz >= n; ``gam = g * H`` otherwise. ``act``, ``full_gamma`` and
    ``width`` must be compile-time constants; ``activation_input`` is selected at run time.
    """
    if not (isinstance(act, types.IntegerLiteral) and isinstance(width, types.IntegerLiteral)
            and isinstance(full_gamma, types.BooleanLiteral)):
        return None
    act_v, fg_v, w = act.literal_value, full_gamma.literal_value, width.literal_value

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        arrs = [_array(context, builder, sig.args[j], args[j]) for j in range(8)]
        n = cgutils.unpack_tuple(builder, arrs[0].shape, 2)[1]
        ldz = cgutils.unpack_tuple(builder, arrs[1].shape, 2)[1]
        ik = tuple(context.cast(builder, args[j], sig.args[j], types.int64) for j in (8, 9))
        dtv = context.cast(builder, args[10], sig.args[10], types.float64)
        ain = context.cast(builder, args[11], sig.args[11], types.boolean)
        _emit_piece(builder, tuple(a.data for a in arrs), ik, (n, ldz), (dtv, ain), act_v,
                    fg_v, w)
        return context.get_dummy_value()

    return types.void(H, Z, Z2, X, bias, g, cu, nd, i, k, dt, activation_input, act,
                      full_gamma, width), codegen


# ------------------------------------------------------------- update, compacted tanh
def _count(b: ir.IRBuilder, mask: Any) -> Any:
    """Set lanes of an ``<8 x i1>`` mask, as an i64."""
    bits = b.zext(b.bitcast(mask, ir.IntType(8)), I64)
    fn = cgutils.get_or_insert_function(b.module, ir.FunctionType(I64, [I64]), "llvm.ctpop.i64")
    return b.call(fn, [bits])


def _compress(b: ir.IRBuilder, v: Any, ptr: Any, mask: Any) -> None:
    vt, mt = v.type, mask.type
    fn = cgutils.get_or_insert_function(b.module, ir.FunctionType(
        ir.VoidType(), [vt, ptr.type, mt]), "llvm.masked.compressstore.v8f64")
    b.call(fn, [v, ptr, mask])


def _expand(b: ir.IRBuilder, ptr: Any, mask: Any, passthru: Any) -> Any:
    vt = passthru.type
    fn = cgutils.get_or_insert_function(b.module, ir.FunctionType(
        vt, [ptr.type, mask.type, vt]), "llvm.masked.expandload.v8f64")
    return b.call(fn, [ptr, mask, passthru])


def _emit_row_compact(b: ir.IRBuilder, ptrs: tuple, i: Any, dims: tuple, scal: tuple,
                      act: int, full_gamma: bool, buf: Any) -> None:
    """Entries ``[i, 0:n_full]`` of the update for a tanh or sigmoid network, with each tanh
    branch evaluated only on its own entries: the arguments are split by ``|x| < 0.625``
    into two packed lists (``vcompresspd``), each list goes through its branch alone, and
    the values are put back in place (``vexpandpd``). Every entry gets the operations of its
    branch in :func:`_tanh`, so the bits are the same; three quarters of the work of the
    selected form (both branches for every lane) is saved when most entries are small."""
    Hp, Zp, Z2p, Xp, bp, gp, cup, ndp = ptrs
    n, ldz, n_full = dims
    dtv, ain = scal
    o = _Ops(b, 8)
    slot = b.add(n, _c64(8))
    A, S, G = buf, b.gep(buf, [slot]), b.gep(buf, [b.mul(slot, _c64(2))])
    hrow, zrow = b.mul(i, n), b.mul(i, ldz)
    true8 = ir.Constant(ir.VectorType(ir.IntType(1), 8), [1] * 8)
    offs = [cgutils.alloca_once_value(b, _c64(0)) for _ in range(2)]

    def small_mask(x: Any) -> Any:
        return o.cmp("<", o.intrinsic("fabs", x), o.c(0.625))

    with cgutils.for_range_slice(b, _c64(0), n_full, _c64(8)) as (k, _):
        cu = o.load(b.gep(cup, [k]))
        arg = o.add(o.load(b.gep(Zp, [b.add(zrow, k)])), o.load(b.gep(bp, [k])))
        arg = o.sel(ain, o.add(arg, cu), arg)
        x = o.mul(o.c(0.5), arg) if act == SIGMOID else arg
        o.store(x, b.gep(A, [k]))
        m = small_mask(x)
        for off, base, mask in ((offs[0], S, m), (offs[1], G, b.xor(m, true8))):
            at = b.load(off)
            _compress(b, x, b.gep(base, [at]), mask)
            b.store(b.add(at, _count(b, mask)), off)
    for off, base, branch in ((offs[0], S, _tanh_small), (offs[1], G, _tanh_large)):
        with cgutils.for_range_slice(b, _c64(0), b.load(off), _c64(8)) as (j, _):
            ptr = b.gep(base, [j])
            o.store(branch(o, o.load(ptr)), ptr)
        b.store(_c64(0), off)
    with cgutils.for_range_slice(b, _c64(0), n_full, _c64(8)) as (k, _):
        m = small_mask(o.load(b.gep(A, [k])))
        t = ir.Constant(o.ft, ir.Undefined)
        for off, base, mask in ((offs[0], S, m), (offs[1], G, b.xor(m, true8))):
            at = b.load(off)
            t = _expand(b, b.gep(base, [at]), mask, t)
            b.store(b.add(at, _count(b, mask)), off)
        f = o.add(o.c(0.5), o.mul(o.c(0.5), t)) if act == SIGMOID else t
        hptr = b.gep(Hp, [b.add(hrow, k)])
        h = o.load(hptr)
        gam = o.load(b.gep(Z2p, [b.add(zrow, k)])) if full_gamma else \
            o.mul(o.load(b.gep(gp, [k])), h)
        cu = o.load(b.gep(cup, [k]))
        inner = o.sub(f, gam)
        inner = o.sel(ain, inner, o.add(inner, cu))
        hn = o.add(h, o.mul(o.splat(dtv), inner))
        hn = o.add(hn, o.mul(o.load(b.gep(ndp, [k])), o.load(b.gep(Xp, [b.add(hrow, k)]))))
        o.store(hn, hptr)


@intrinsic
def em_row(typingctx: Any, H: Any, Z: Any, Z2: Any, X: Any, bias: Any, g: Any, cu: Any,
           nd: Any, i: Any, n_full: Any, dt: Any, activation_input: Any, act: Any,
           full_gamma: Any, buf: Any) -> Any:
    """Entries ``[i, 0:n_full]`` (``n_full`` a multiple of ``LANES``) of the update of
    :func:`em_piece`; for tanh and sigmoid on AVX-512 with the tanh branches compacted
    (:func:`_emit_row_compact`), else vector by vector. ``buf`` is float64 scratch of at
    least ``3 (n + 8)`` entries."""
    if not (isinstance(act, types.IntegerLiteral) and isinstance(full_gamma,
                                                                  types.BooleanLiteral)):
        return None
    act_v, fg_v = act.literal_value, full_gamma.literal_value

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        arrs = [_array(context, builder, sig.args[j], args[j]) for j in range(8)]
        n = cgutils.unpack_tuple(builder, arrs[0].shape, 2)[1]
        ldz = cgutils.unpack_tuple(builder, arrs[1].shape, 2)[1]
        i_, nf = (context.cast(builder, args[j], sig.args[j], types.int64) for j in (8, 9))
        dtv = context.cast(builder, args[10], sig.args[10], types.float64)
        ain = context.cast(builder, args[11], sig.args[11], types.boolean)
        bufp = _array(context, builder, sig.args[14], args[14]).data
        ptrs = tuple(a.data for a in arrs)
        if LANES == 8 and act_v in (TANH, SIGMOID):
            _emit_row_compact(builder, ptrs, i_, (n, ldz, nf), (dtv, ain), act_v, fg_v, bufp)
        else:
            with cgutils.for_range_slice(builder, _c64(0), nf, _c64(LANES)) as (k, _):
                _emit_piece(builder, ptrs, (i_, k), (n, ldz), (dtv, ain), act_v, fg_v, LANES)
        return context.get_dummy_value()

    return types.void(H, Z, Z2, X, bias, g, cu, nd, i, n_full, dt, activation_input, act,
                      full_gamma, buf), codegen


@intrinsic
def _tanh_flat(typingctx: Any, x: Any, out: Any) -> Any:
    if not (isinstance(x, types.Array) and x.ndim == 1 and x.layout == "C"):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        xa, oa = (_array(context, builder, sig.args[k], args[k]) for k in range(2))
        size = cgutils.unpack_tuple(builder, xa.shape, 1)[0]
        full = builder.mul(builder.udiv(size, _c64(LANES)), _c64(LANES))
        for w, lo, hi in ((LANES, _c64(0), full), (1, full, size)):
            o = _Ops(builder, w)
            with cgutils.for_range_slice(builder, lo, hi, _c64(w)) as (k, _):
                o.store(_tanh(o, o.load(builder.gep(xa.data, [k]))),
                        builder.gep(oa.data, [k]))
        return context.get_dummy_value()

    return types.void(x, out), codegen


@njit(cache=True, error_model="numpy")
def simd_tanh(x, out):
    """The vector tanh of :func:`em_rows` on a flat array (for the tests: it must give
    :func:`._em_loops.fast_tanh`'s bits)."""
    _tanh_flat(x, out)
