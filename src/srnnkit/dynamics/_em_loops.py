"""Compiled Euler-Maruyama loops of the dynamics core (Numba, compiled on first use).

Two loop layouts advance the same step (:mod:`._drift`):

* :func:`advance_block` advances one block of ``B`` Monte Carlo paths ``H`` (B, n) over a
  window of steps, the noise drawn in-loop from the block's own xoshiro256++/ziggurat stream
  (:mod:`._rng`). Per step: the block's normals (scalar generator, row-major order), the
  product ``H W^T`` (a generated register-blocked kernel, :mod:`._simd`, or BLAS for
  n > 256), then one vector pass of the update with the noise added (``simulate``);

  - nonlinear Euler-Maruyama: ``H += dt * (a(H W^T + b) - Γ H + C u_t) + sqrt(dt) σ ξ``
    (input mode "activation": ``a(H W^T + b + C u_t)`` and no additive term);
  - affine (linear SRNNs, Euler or the exact Gaussian transition): ``H = H M^T + c_t + L ξ``;

* :func:`run_chains` and :func:`advance_chains` advance a few long runs path by path with
  noise drawn beforehand by NumPy (the stationary runs of the estimators, which need the
  noise itself for their weights); :func:`run_rows` and :func:`advance_rows` do the same
  with the states stored unit-major, ``(n, B)``, so that for a few units the paths run as
  vectors (the same bits; up to :data:`ROWS_MAX` units); :func:`run_shared` runs groups of
  paths that share their normals (a chain and its kicked copies) through the block loop's
  product kernel and vector update.

Every loop steps through :func:`em_unit` (the vector pass of :mod:`._simd` writes the same
operations out). Arguments are grouped in tuples: ``drift = (MT, GT, b, g, full_gamma,
affine, act, activation_input, dt)``, ``inputs = (U, Ceff, beff)``, ``noise = (noise_diag,
LT, full_noise)``, ``readout = (ro_kind, QT, q, M)``, ``out = (Yw, save_states, Sw)`` and the
scratch arrays ``scratch = (Z, Z2, Xi, Yt, Zr, cu, buf)``; ``state`` is the block's generator
state. Everything runs without the GIL.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._activations import IDENTITY, RELU, SIGMOID, TANH
from ._blocks import ROWS_MAX
from ._rng import next_normal
from ._simd import GEMM_MAX, LANES, em_piece, em_row, gemm_rows

__all__ = ["ROWS_MAX", "RO_LINEAR", "RO_NONE", "RO_QUADRATIC", "SCALAR_ACTIVATIONS",
           "advance_block", "advance_chains", "advance_rows", "em_unit", "fast_tanh",
           "n_outside", "run_chains", "run_rows", "run_shared", "tanh_array"]

# readout codes
RO_NONE, RO_LINEAR, RO_QUADRATIC = -1, 0, 1
# the per-path loops step unit by unit below this many units, as vector loops over the units
# from it (the same operations in the same order, so the same bits). One thread, us per
# path-step, unit by unit / as vectors: 4 units 0.08 / 0.16, 8 units 0.15 / 0.13, 12 units
# 0.23 / 0.17, 64 units 3.0 / 0.85. _chains and _advance choose the layout once per call,
# outside their loops, hence two copies of each loop: one step function that branches on the
# layout inside costs 0.20 instead of 0.08 us per path-step at 4 units (measured).
_COLUMNS_MIN = 8


@intrinsic
def _i64_as_f64(typingctx, v):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(inline="always", error_model="numpy")
def fast_tanh(x):
    """tanh(x) to 2 ulp without a libm call, so that loops over it vectorise.

    |x| < 0.625: the Cephes rational approximation ``x + x z p(z) / q(z)``, z = x^2;
    otherwise (1 - t)/(1 + t) with t = exp(-2|x|) = 2^-k e^r (degree-13 Taylor on
    |r| <= ln2/2, the power of two built from its exponent bits). The two branches'
    numerators and denominators are selected before one division (the same quotients as
    dividing in each branch, at half the divisions); ``_simd._tanh`` writes the same
    operations for vectors.
    """
    ax = abs(x)
    z = x * x
    p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z \
        - 1.61468768441708447952e3
    q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z \
        + 4.84406305325125486048e3
    y = -2.0 * (ax if ax < 20.0 else 20.0)
    ki = np.int64(-y * 1.4426950408889634 + 0.5)
    kf = -np.float64(ki)
    r = (y - kf * 6.93145751953125e-1) - kf * 1.42860682030941723212e-6
    e = 2.08767569878680989792e-9
    e = e * r + 2.50521083854417187751e-8
    e = e * r + 2.75573192239858906526e-7
    e = e * r + 2.75573192239858906526e-6
    e = e * r + 2.48015873015873015873e-5
    e = e * r + 1.98412698412698412698e-4
    e = e * r + 1.38888888888888888889e-3
    e = e * r + 8.33333333333333333333e-3
    e = e * r + 4.16666666666666666667e-2
    e = e * r + 1.66666666666666666667e-1
    e = e * r + 0.5
    e = e * r + 1.0
    e = e * r + 1.0
    t = e * _i64_as_f64((1023 - ki) << 52)
    small = ax < 0.625
    num = x * z * p if small else 1.0 - t
    den = q if small else 1.0 + t
    d = num / den
    big = d if x >= 0.0 else -d
    return x + d if small else big


@njit(cache=True, error_model="numpy")
def tanh_array(x, out):
    """Elementwise :func:`fast_tanh` (exposed for tests)."""
    xf = x.reshape(-1)
    of = out.reshape(-1)
    for i in range(xf.size):
        of[i] = fast_tanh(xf[i])


@njit(nogil=True, error_model="numpy")
def n_outside(H, bound):
    """Entries of ``H`` beyond ``±bound`` or NaN (an integer count, so the loop vectorises)."""
    c = 0
    for i in range(H.shape[0]):
        for k in range(H.shape[1]):
            c += not (abs(H[i, k]) <= bound)
    return c


@njit(inline="always", error_model="numpy")
def _a_tanh(z):
    return fast_tanh(z)


@njit(inline="always", error_model="numpy")
def _a_relu(z):
    return z if z > 0.0 else 0.0


@njit(inline="always", error_model="numpy")
def _a_sigmoid(z):
    return 0.5 + 0.5 * fast_tanh(0.5 * z)


@njit(inline="always", error_model="numpy")
def _a_identity(z):
    return z


@njit(inline="always", error_model="numpy")
def em_unit(h, z, b, gam, cu, dt, activation_input, f):
    """One unit of the Euler-Maruyama drift update, ``h + dt F`` before the noise.

    ``h + dt (a(z + b) - gam + cu)``, or with the input inside the activation
    ``h + dt (a(z + b + cu) - gam)``. Every compiled loop steps through it.

    Parameters
    ----------
    h : float
        The unit's state ``h_k``.
    z : float
        ``(W h)_k``.
    b : float
        The bias ``b_k``.
    gam : float
        The leak term ``(Γ h)_k``.
    cu : float
        The input term ``(C u)_k``.
    dt : float
        The time step.
    activation_input : bool
        Whether the input enters inside the activation.
    f : callable
        The compiled scalar activation ``a``.

    Returns
    -------
    float
        The updated unit before the noise.
    """
    if activation_input:
        return h + dt * (f(z + b + cu) - gam)
    return h + dt * (f(z + b) - gam + cu)


SCALAR_ACTIVATIONS = {TANH: _a_tanh, IDENTITY: _a_identity, RELU: _a_relu,
                      SIGMOID: _a_sigmoid}


@njit(inline="always", error_model="numpy")
def _additive_terms(U, Ceff, beff, cu, tu):
    """``cu = beff + Ceff @ U[tu]`` (the additive term of one step), into the buffer ``cu``."""
    n = cu.shape[0]
    m = U.shape[1]
    for k in range(n):
        acc_k = beff[k]
        for c in range(m):
            acc_k += Ceff[k, c] * U[tu, c]
        cu[k] = acc_k


@njit(inline="always", error_model="numpy")
def _draw_normals(Xi, state):
    """Fill ``Xi`` with the block's next normals in row-major order (the order every version
    of this loop has drawn them in)."""
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    for i in range(Xi.shape[0]):
        for k in range(Xi.shape[1]):
            Xi[i, k], s0, s1, s2, s3 = next_normal(s0, s1, s2, s3)
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3


@njit(inline="always", error_model="numpy")
def _product(H, MT, Z):
    """``Z = H @ MT``: the generated kernel when ``MT`` is column-padded (n <= GEMM_MAX),
    else BLAS; both sum each entry as one fused multiply-add chain over j (see ``_simd``)."""
    if H.shape[1] <= GEMM_MAX and MT.shape[1] % 8 == 0 and Z.shape[1] == MT.shape[1]:
        gemm_rows(H, MT, Z, 0, H.shape[0])
    else:
        np.dot(H, MT, Z)


@njit(inline="always", error_model="numpy")
def _update(H, Z, Z2, X, nd, drift, cu, buf, act, full_gamma):
    """``H <- em_unit(H, Z, ...) + nd * X`` row by row: the row's full vectors by
    :func:`em_row`, the rest by narrower :func:`em_piece` s (``act`` and ``full_gamma`` are
    compile-time constants)."""
    b, g, ain, dt = drift[2], drift[3], drift[7], drift[8]
    B, n = H.shape
    n_full = n // LANES * LANES
    for i in range(B):
        em_row(H, Z, Z2, X, b, g, cu, nd, i, n_full, dt, ain, act, full_gamma, buf)
        k = n_full
        if LANES > 4 and k + 4 <= n:
            em_piece(H, Z, Z2, X, b, g, cu, nd, i, k, dt, ain, act, full_gamma, 4)
            k += 4
        if k + 2 <= n:
            em_piece(H, Z, Z2, X, b, g, cu, nd, i, k, dt, ain, act, full_gamma, 2)
            k += 2
        if k < n:
            em_piece(H, Z, Z2, X, b, g, cu, nd, i, k, dt, ain, act, full_gamma, 1)


@njit(inline="always", error_model="numpy")
def _em_update(H, Z, Z2, X, nd, drift, cu, buf):
    """:func:`_update` with the activation and the leak's form as constants."""
    full_gamma, act = drift[4], drift[6]
    if full_gamma:
        if act == TANH:
            _update(H, Z, Z2, X, nd, drift, cu, buf, TANH, True)
        elif act == RELU:
            _update(H, Z, Z2, X, nd, drift, cu, buf, RELU, True)
        elif act == SIGMOID:
            _update(H, Z, Z2, X, nd, drift, cu, buf, SIGMOID, True)
        else:
            _update(H, Z, Z2, X, nd, drift, cu, buf, IDENTITY, True)
    elif act == TANH:
        _update(H, Z, Z2, X, nd, drift, cu, buf, TANH, False)
    elif act == RELU:
        _update(H, Z, Z2, X, nd, drift, cu, buf, RELU, False)
    elif act == SIGMOID:
        _update(H, Z, Z2, X, nd, drift, cu, buf, SIGMOID, False)
    else:
        _update(H, Z, Z2, X, nd, drift, cu, buf, IDENTITY, False)


@njit(inline="always", error_model="numpy")
def _step(H, drift, noise, state, scratch, cu, ones):
    """One Euler-Maruyama (or affine) step of the block, noise included.

    The noise is added in the same vector pass as the drift, ``em_unit(...) + nd * xi``,
    with the same two roundings as the former separate passes (``1.0 * x`` is exact, so a
    full noise matrix's product ``Xi L^T`` goes through the same pass with ``nd = 1``).
    The normals are drawn first, in one scalar pass (drawing them inside the vector pass was
    measured slower: the vector work crowds out the generator's dependency chain).
    """
    MT, GT, full_gamma, affine = drift[0], drift[1], drift[4], drift[5]
    noise_diag, LT, full_noise = noise
    Z, Z2, Xi, Zr, buf = scratch[0], scratch[1], scratch[2], scratch[4], scratch[6]
    B, n = H.shape
    _product(H, MT, Z)
    if affine:
        _draw_normals(Xi, state)
        X, nd = Xi, noise_diag
        if full_noise:
            np.dot(Xi, LT, Zr)
            X, nd = Zr, ones
        for i in range(B):
            for k in range(n):
                H[i, k] = Z[i, k] + cu[k] + nd[k] * X[i, k]
        return
    if full_gamma:
        _product(H, GT, Z2)
    _draw_normals(Xi, state)
    if full_noise:
        np.dot(Xi, LT, Zr)
        _em_update(H, Z, Z2, Zr, ones, drift, cu, buf)
    else:
        _em_update(H, Z, Z2, Xi, noise_diag, drift, cu, buf)


@njit(inline="always", error_model="numpy")
def _readout_step(H, readout, Yt, Yw, Z2, j):
    ro_kind, QT, q, M = readout
    B, n = H.shape
    if ro_kind == RO_LINEAR:
        np.dot(H, QT, Yt)
        p = Yt.shape[1]
        for i in range(B):
            for c in range(p):
                Yw[i, j, c] = Yt[i, c] + q[c]
    elif ro_kind == RO_QUADRATIC:
        np.dot(H, M, Z2)
        for i in range(B):
            sacc = 0.0
            for k in range(n):
                sacc += H[i, k] * Z2[i, k]
            Yw[i, j, 0] = 0.5 * sacc


@njit(cache=True, nogil=True, error_model="numpy")
def advance_block(H, drift, inputs, noise, state, readout, out, scratch, t_start, n_win, bound):
    """Advance ``H`` (B, n) by ``n_win`` steps, with the divergence guard.

    The additive term of step ``t`` is ``cu = beff + Ceff @ U[t]`` (row 0 when U has one
    row): ``C u_t`` for the nonlinear step (inside the activation when ``activation_input``),
    ``c_t`` for the affine one, formed per step into the buffer ``cu`` (n,), so memory never
    grows with paths x steps or hidden x steps. ``MT`` (and ``GT``) may be column-padded to a
    multiple of 8 (n <= ``GEMM_MAX``); ``Z`` and ``Z2`` then have as many columns.

    Parameters
    ----------
    H : ndarray, shape (B, n)
        The block's states, advanced in place.
    drift : tuple
        :attr:`StepArrays.block_drift`, ``(MT, GT, b, g, full_gamma, affine, act,
        activation_input, dt)``.
    inputs : tuple
        ``(U, Ceff, beff)``: the inputs (T, m) or (1, m) and :meth:`StepArrays.additive_maps`.
    noise : tuple
        ``(noise_diag, LT, full_noise)``: ``noise_diag`` (n,) scales i.i.d. normals when
        ``full_noise`` is False; otherwise normals ``Xi`` (B, r) are mapped by ``LT`` (r, n).
    state : ndarray of uint64, shape (4,)
        The block's xoshiro256++ state, advanced in place.
    readout : tuple
        ``(ro_kind, QT, q, M)``: the readout kind and its linear or quadratic arrays.
    out : tuple
        ``(Yw, save_states, Sw)``: outputs of step j go to ``Yw[:, j, :]`` and, if
        ``save_states``, states to ``Sw[:, j, :]``.
    scratch : tuple
        Work arrays ``(Z, Z2, Xi, Yt, Zr, cu, buf)``; ``Zr`` is (B, n), ``buf``
        (3 (n + 8),).
    t_start : int
        The input row of the first step.
    n_win : int
        The number of steps.
    bound : float
        The divergence bound on ``|H|``.

    Returns
    -------
    int
        -1, or the first step after which an entry of ``H`` is beyond ``±bound`` or NaN
        (``H`` is left there).
    """
    U, Ceff, beff = inputs
    Yw, save_states, Sw = out
    Yt, Zr, cu = scratch[3], scratch[4], scratch[5]
    B, n = H.shape
    n_u = U.shape[0]
    ones = np.ones(n)
    bad = -1
    for j in range(n_win):
        t = t_start + j
        _additive_terms(U, Ceff, beff, cu, t if n_u > 1 else 0)
        _step(H, drift, noise, state, scratch, cu, ones)
        # divergence check in a separate vectorised pass (a check inside the scalar noise
        # loop would add a dependency chain to every draw)
        if n_outside(H, bound) > 0:
            bad = t
            break
        _readout_step(H, readout, Yt, Yw, Zr, j)
        if save_states:
            for i in range(B):
                for k in range(n):
                    Sw[i, j, k] = H[i, k]
    return bad


# ------------------------------------------------------------------ long runs, given noise
@njit(inline="always", error_model="numpy")
def _chain_step(h, xi_t, drift, noise, f, out):
    """One unperturbed step of one path ``h`` (n,) with the normals ``xi_t`` (r,)."""
    W, Gam, b, g, full_gamma, _act, dt = drift
    noise_diag, LT, full_noise = noise
    n = h.shape[0]
    for k in range(n):
        z = 0.0
        for j in range(n):
            z += W[k, j] * h[j]
        if full_gamma:
            gam = 0.0
            for j in range(n):
                gam += Gam[k, j] * h[j]
        else:
            gam = g[k] * h[k]
        hn = em_unit(h[k], z, b[k], gam, 0.0, dt, False, f)
        if full_noise:
            e = 0.0
            for i in range(LT.shape[0]):
                e += xi_t[i] * LT[i, k]
            hn += e
        else:
            hn += noise_diag[k] * xi_t[k]
        out[k] = hn


@njit(inline="always", error_model="numpy")
def _chain_step_cols(h, xi_t, drift, noise, f, out, work):
    """:func:`_chain_step` written as vector loops over the units: ``W h``, ``Γ h`` and the
    noise ``L^T ξ`` accumulated column by column, then the update. Every entry gets the same
    operations in the same order, so the same bits (faster from ``_COLUMNS_MIN`` units).
    ``work = (WT, GT, z, gz)`` from :func:`_chain_work`."""
    _W, _Gam, b, g, full_gamma, _act, dt = drift
    noise_diag, LT, full_noise = noise
    WT, GT, z, gz = work
    n = h.shape[0]
    for k in range(n):
        z[k] = 0.0
    for j in range(n):
        hj = h[j]
        for k in range(n):
            z[k] += WT[j, k] * hj
    if full_gamma:
        for k in range(n):
            gz[k] = 0.0
        for j in range(n):
            hj = h[j]
            for k in range(n):
                gz[k] += GT[j, k] * hj
    if full_gamma:
        for k in range(n):
            z[k] = em_unit(h[k], z[k], b[k], gz[k], 0.0, dt, False, f)
    else:
        for k in range(n):
            z[k] = em_unit(h[k], z[k], b[k], g[k] * h[k], 0.0, dt, False, f)
    if full_noise:                 # gz is free again: the noise, summed over i in order
        for k in range(n):
            gz[k] = 0.0
        for i in range(LT.shape[0]):
            xi_i = xi_t[i]
            for k in range(n):
                gz[k] += xi_i * LT[i, k]
        for k in range(n):
            out[k] = z[k] + gz[k]
    else:
        for k in range(n):
            out[k] = z[k] + noise_diag[k] * xi_t[k]


@njit(inline="always", error_model="numpy")
def _chain_work(drift, n):
    """Scratch of :func:`_chain_step_cols`: ``W^T``, ``Γ^T`` (row-major) and two vectors."""
    W, Gam = drift[0], drift[1]
    return (np.ascontiguousarray(W.T), np.ascontiguousarray(Gam.T), np.empty(n),
            np.empty(n))


@njit(inline="always", error_model="numpy")
def _chains(h0, xi, drift, noise, f, out, bound):
    B, L = xi.shape[0], xi.shape[1]
    n = h0.shape[1]
    if n < _COLUMNS_MIN:   # paths interleaved: a path's step waits on its last one
        for p in range(B):
            out[p, 0] = h0[p]
        for t in range(L):
            for p in range(B):
                _chain_step(out[p, t], xi[p, t], drift, noise, f, out[p, t + 1])
            for p in range(B):
                if _outside(out[p, t + 1], bound):
                    return p * (L + 1) + t + 1
        return -1
    work = _chain_work(drift, n)
    for p in range(B):
        out[p, 0] = h0[p]
        for t in range(L):
            _chain_step_cols(out[p, t], xi[p, t], drift, noise, f, out[p, t + 1], work)
            if _outside(out[p, t + 1], bound):
                return p * (L + 1) + t + 1
    return -1


@njit(inline="always", error_model="numpy")
def _outside(h, bound):
    """Whether an entry of ``h`` is beyond ``±bound`` or NaN."""
    for k in range(h.shape[0]):
        if not (abs(h[k]) <= bound):
            return True
    return False


@njit(cache=True, nogil=True, error_model="numpy")
def run_chains(h0, xi, drift, noise, out, bound):
    """Unperturbed runs: ``out[p, 0] = h0[p]``, ``out[p, t+1]`` after the normals ``xi[p, t]``.

    The arithmetic of one step is :func:`em_unit`'s.

    Parameters
    ----------
    h0 : ndarray, shape (B, n)
        The initial states.
    xi : ndarray, shape (B, L, r)
        The standard normals of each path and step.
    drift : tuple
        :attr:`StepArrays.chain_drift`, ``(W, Γ, b, g, full_gamma, act, dt)`` (row-major
        matrices).
    noise : tuple
        ``(noise_diag, LT, full_noise)``, as in :func:`advance_block`.
    out : ndarray, shape (B, L + 1, n)
        Receives the states.
    bound : float
        The divergence bound on the states.

    Returns
    -------
    int
        -1, or ``p * (L + 1) + t`` for the first state ``out[p, t]`` beyond ``±bound`` or NaN.
    """
    act = drift[5]
    if act == TANH:
        return _chains(h0, xi, drift, noise, _a_tanh, out, bound)
    if act == RELU:
        return _chains(h0, xi, drift, noise, _a_relu, out, bound)
    if act == SIGMOID:
        return _chains(h0, xi, drift, noise, _a_sigmoid, out, bound)
    return _chains(h0, xi, drift, noise, _a_identity, out, bound)


@njit(inline="always", error_model="numpy")
def _advance(h, xi, drift, noise, f, bound):
    B, L = xi.shape[0], xi.shape[1]
    n = h.shape[1]
    tmp = np.empty(n)
    if n < _COLUMNS_MIN:
        for p in range(B):
            for t in range(L):
                _chain_step(h[p], xi[p, t], drift, noise, f, tmp)
                h[p, :] = tmp
                if _outside(tmp, bound):
                    return p * L + t
        return -1
    work = _chain_work(drift, n)
    for p in range(B):
        for t in range(L):
            _chain_step_cols(h[p], xi[p, t], drift, noise, f, tmp, work)
            h[p, :] = tmp
            if _outside(tmp, bound):
                return p * L + t
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def advance_chains(h, xi, drift, noise, bound):
    """Advance states ``h`` (B, n) in place through the normals ``xi`` (B, L, r).

    Parameters
    ----------
    h : ndarray, shape (B, n)
        The states, advanced in place.
    xi : ndarray, shape (B, L, r)
        The standard normals of each path and step.
    drift : tuple
        :attr:`StepArrays.chain_drift`, as in :func:`run_chains`.
    noise : tuple
        ``(noise_diag, LT, full_noise)``, as in :func:`advance_block`.
    bound : float
        The divergence bound on the states.

    Returns
    -------
    int
        -1, or ``p * L + t`` for the first path ``p`` beyond ``±bound`` (or NaN) after step
        ``t``.
    """
    act = drift[5]
    if act == TANH:
        return _advance(h, xi, drift, noise, _a_tanh, bound)
    if act == RELU:
        return _advance(h, xi, drift, noise, _a_relu, bound)
    if act == SIGMOID:
        return _advance(h, xi, drift, noise, _a_sigmoid, bound)
    return _advance(h, xi, drift, noise, _a_identity, bound)


@njit(inline="always", error_model="numpy")
def _rows_step(H, X, drift, noise, f, out, z, gz):
    """One step of ``B`` paths stored unit-major, ``H`` (n, B) to ``out`` (n, B) with the
    normals ``X`` (r, B): :func:`_chain_step`'s operations in its order for every path (the
    same bits), with the paths in the innermost loops so that they run as vectors."""
    W, Gam, b, g, full_gamma, _act, dt = drift
    noise_diag, LT, full_noise = noise
    n, B = H.shape
    for k in range(n):
        for p in range(B):
            z[p] = 0.0
        for j in range(n):
            w = W[k, j]
            for p in range(B):
                z[p] += w * H[j, p]
        if full_gamma:
            for p in range(B):
                gz[p] = 0.0
            for j in range(n):
                w = Gam[k, j]
                for p in range(B):
                    gz[p] += w * H[j, p]
        else:
            for p in range(B):
                gz[p] = g[k] * H[k, p]
        for p in range(B):
            out[k, p] = em_unit(H[k, p], z[p], b[k], gz[p], 0.0, dt, False, f)
        if full_noise:
            for p in range(B):
                gz[p] = 0.0
            for i in range(LT.shape[0]):
                w = LT[i, k]
                for p in range(B):
                    gz[p] += X[i, p] * w
            for p in range(B):
                out[k, p] += gz[p]
        else:
            s = noise_diag[k]
            for p in range(B):
                out[k, p] += s * X[k, p]


@njit(inline="always", error_model="numpy")
def _first_outside(H, bound):
    """The first path (column of ``H`` (n, B)) beyond ``±bound`` or NaN, or -1."""
    n, B = H.shape
    for p in range(B):
        for k in range(n):
            if not (abs(H[k, p]) <= bound):
                return p
    return -1


@njit(inline="always", error_model="numpy")
def _rows(h0, xi, drift, noise, f, out, bound):
    L, B = xi.shape[0], xi.shape[2]
    z, gz = np.empty(B), np.empty(B)
    out[0] = h0
    for t in range(L):
        _rows_step(out[t], xi[t], drift, noise, f, out[t + 1], z, gz)
        p = _first_outside(out[t + 1], bound)
        if p >= 0:
            return p * (L + 1) + t + 1
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def run_rows(h0, xi, drift, noise, out, bound):
    """:func:`run_chains` with the paths last: ``out[0] = h0`` (n, B), ``out[t + 1]`` after
    the normals ``xi[t]`` (r, B); the same bits as :func:`run_chains`, faster for a few
    units (the paths run as vectors).

    Parameters
    ----------
    h0 : ndarray, shape (n, B)
        The initial states.
    xi : ndarray, shape (L, r, B)
        The standard normals of each step and path.
    drift : tuple
        As in :func:`run_chains`.
    noise : tuple
        As in :func:`run_chains`.
    out : ndarray, shape (L + 1, n, B)
        Receives the states.
    bound : float
        The divergence bound on the states.

    Returns
    -------
    int
        -1, or ``p * (L + 1) + t`` for the first path ``p`` beyond ``±bound`` or NaN, at its
        first such state ``out[t, :, p]`` (the earliest step).
    """
    act = drift[5]
    if act == TANH:
        return _rows(h0, xi, drift, noise, _a_tanh, out, bound)
    if act == RELU:
        return _rows(h0, xi, drift, noise, _a_relu, out, bound)
    if act == SIGMOID:
        return _rows(h0, xi, drift, noise, _a_sigmoid, out, bound)
    return _rows(h0, xi, drift, noise, _a_identity, out, bound)


@njit(inline="always", error_model="numpy")
def _advance_rows(h, xi, drift, noise, f, bound):
    L, B = xi.shape[0], xi.shape[2]
    z, gz = np.empty(B), np.empty(B)
    nxt = np.empty_like(h)
    for t in range(L):
        _rows_step(h, xi[t], drift, noise, f, nxt, z, gz)
        h[...] = nxt
        p = _first_outside(h, bound)
        if p >= 0:
            return p * L + t
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def advance_rows(h, xi, drift, noise, bound):
    """:func:`advance_chains` with the paths last: ``h`` (n, B) advanced in place through
    the normals ``xi`` (L, r, B), the same bits.

    Parameters
    ----------
    h : ndarray, shape (n, B)
        The states, advanced in place.
    xi : ndarray, shape (L, r, B)
        The standard normals of each step and path.
    drift : tuple
        As in :func:`run_chains`.
    noise : tuple
        As in :func:`run_chains`.
    bound : float
        The divergence bound on the states.

    Returns
    -------
    int
        -1, or ``p * L + t`` for the first path ``p`` beyond ``±bound`` (or NaN) after step
        ``t`` (the earliest step).
    """
    act = drift[5]
    if act == TANH:
        return _advance_rows(h, xi, drift, noise, _a_tanh, bound)
    if act == RELU:
        return _advance_rows(h, xi, drift, noise, _a_relu, bound)
    if act == SIGMOID:
        return _advance_rows(h, xi, drift, noise, _a_sigmoid, bound)
    return _advance_rows(h, xi, drift, noise, _a_identity, bound)


@njit(cache=True, nogil=True, error_model="numpy")
def run_shared(H, xi, rows, drift, noise, out, bound):
    """Unperturbed runs of ``B`` paths in groups of ``rows`` that share their normals (a
    chain and its kicked copies, common random numbers), by the block loop's product kernel
    and vector update: ``out[0] = H``, ``out[t + 1]`` after step ``t``, whose normals for
    path ``i`` are ``xi[t, i // rows]``.

    Parameters
    ----------
    H : ndarray, shape (B, n)
        The initial states (overwritten: the last states on return).
    xi : ndarray, shape (L, B // rows, r)
        The standard normals of each step and group.
    rows : int
        Paths per group.
    drift : tuple
        :attr:`StepArrays.block_drift` of the nonlinear step.
    noise : tuple
        ``(noise_diag, LT, full_noise)``, as in :func:`advance_block`.
    out : ndarray, shape (L + 1, B, n)
        Receives the states.
    bound : float
        The divergence bound on the states.

    Returns
    -------
    int
        -1, or ``i * (L + 1) + t`` for the first path ``i`` beyond ``±bound`` or NaN at the
        first step ``t`` where one is.
    """
    MT, GT, full_gamma = drift[0], drift[1], drift[4]
    noise_diag, LT, full_noise = noise
    B, n = H.shape
    L, r = xi.shape[0], xi.shape[2]
    nz = MT.shape[1]
    Z, Z2 = np.empty((B, nz)), np.zeros((B, nz))
    X, Zr = np.empty((B, r)), np.empty((B, n))
    cu, buf, ones = np.zeros(n), np.zeros(3 * (n + 8)), np.ones(n)
    out[0] = H
    for t in range(L):
        for i in range(B):
            c = i // rows
            for q in range(r):
                X[i, q] = xi[t, c, q]
        _product(H, MT, Z)
        if full_gamma:
            _product(H, GT, Z2)
        if full_noise:
            np.dot(X, LT, Zr)
            _em_update(H, Z, Z2, Zr, ones, drift, cu, buf)
        else:
            _em_update(H, Z, Z2, X, noise_diag, drift, cu, buf)
        out[t + 1] = H
        if n_outside(H, bound) > 0:
            for i in range(B):
                if _outside(H[i], bound):
                    return i * (L + 1) + t + 1
    return -1
