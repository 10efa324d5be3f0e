"""Compiled Euler-Maruyama loops of the dynamics core (Numba, compiled on first use).

Two loop layouts advance the same step (:mod:`._drift`):

* :func:`advance_block` advances one block of ``B`` Monte Carlo paths ``H`` (B, n) over a
  window of steps, the noise drawn in-loop from the block's own xoshiro256++/ziggurat stream
  (:mod:`._rng`); matrix products go to BLAS (``np.dot`` inside Numba) and the activations
  are branch-free so that the elementwise loops vectorise (``simulate``);

  - nonlinear Euler-Maruyama: ``H += dt * (a(H W^T + b) - Γ H + C u_t) + sqrt(dt) σ ξ``
    (input mode "activation": ``a(H W^T + b + C u_t)`` and no additive term);
  - affine (linear SRNNs, Euler or the exact Gaussian transition): ``H = H M^T + c_t + L ξ``;

* :func:`run_chains` and :func:`advance_chains` advance a few long runs path by path with
  noise drawn beforehand by NumPy (the stationary runs of the estimators, which need the
  noise itself for their weights).

Arguments are grouped in tuples: ``drift = (MT, GT, b, g, full_gamma, affine, act,
activation_input, dt)``, ``inputs = (U, Ceff, beff)``, ``noise = (noise_diag, LT,
full_noise)``, ``rng = (state, kt, wt, ft)``, ``readout = (ro_kind, QT, q, M)``,
``out = (Yw, save_states, Sw)`` and the scratch arrays ``scratch = (Z, Z2, Xi, Yt, cu)``.
Everything runs without the GIL.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._activations import IDENTITY, RELU, SIGMOID, TANH
from ._rng import next_normal

__all__ = ["RO_LINEAR", "RO_NONE", "RO_QUADRATIC", "SCALAR_ACTIVATIONS", "advance_block",
           "advance_chains", "em_unit", "fast_tanh", "n_outside", "run_chains", "tanh_array"]

# readout codes
RO_NONE, RO_LINEAR, RO_QUADRATIC = -1, 0, 1


@intrinsic
def _i64_as_f64(typingctx, v):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(inline="always", error_model="numpy")
def fast_tanh(x):
    """tanh(x) to 2 ulp without a libm call, so that loops over it vectorise.

    |x| < 0.625: the Cephes rational approximation; otherwise
    (1 - t)/(1 + t) with t = exp(-2|x|) = 2^-k e^r (degree-13 Taylor on |r| <= ln2/2,
    the power of two built from its exponent bits).
    """
    ax = abs(x)
    z = x * x
    p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z \
        - 1.61468768441708447952e3
    q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z \
        + 4.84406305325125486048e3
    small = x + x * z * p / q
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
    big = (1.0 - t) / (1.0 + t)
    big = big if x >= 0.0 else -big
    return small if ax < 0.625 else big


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
    """One unit of the Euler-Maruyama drift update, ``h + dt F`` before the noise, from
    ``z = (W h)_k``, the bias ``b_k``, the leak term ``gam = (Γ h)_k`` and the input term
    ``cu = (C u)_k``: ``h + dt (a(z + b) - gam + cu)``, or with the input inside the
    activation ``h + dt (a(z + b + cu) - gam)``. Every compiled loop steps through it."""
    if activation_input:
        return h + dt * (f(z + b + cu) - gam)
    return h + dt * (f(z + b) - gam + cu)


@njit(inline="always", error_model="numpy")
def _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, activation_input, f):
    # the input-mode flag is a literal in each branch, so every loop vectorises
    B, n = H.shape
    if activation_input:
        if full_gamma:
            for i in range(B):
                for k in range(n):
                    H[i, k] = em_unit(H[i, k], Z[i, k], b[k], Z2[i, k], cu[k], dt, True, f)
        else:
            for i in range(B):
                for k in range(n):
                    H[i, k] = em_unit(H[i, k], Z[i, k], b[k], g[k] * H[i, k], cu[k], dt,
                                      True, f)
    elif full_gamma:
        for i in range(B):
            for k in range(n):
                H[i, k] = em_unit(H[i, k], Z[i, k], b[k], Z2[i, k], cu[k], dt, False, f)
    else:
        for i in range(B):
            for k in range(n):
                H[i, k] = em_unit(H[i, k], Z[i, k], b[k], g[k] * H[i, k], cu[k], dt, False,
                                  f)


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
def _add_noise(H, noise, rng, Z2, Xi):
    """``H += sqrt(dt) σ ξ`` with fresh normals from the block's stream; returns the state."""
    noise_diag, LT, full_noise = noise
    state, kt, wt, ft = rng
    B, n = H.shape
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    if full_noise:
        r = Xi.shape[1]
        for i in range(B):
            for k in range(r):
                Xi[i, k], s0, s1, s2, s3 = next_normal(s0, s1, s2, s3, kt, wt, ft)
        np.dot(Xi, LT, Z2)
        for i in range(B):
            for k in range(n):
                H[i, k] += Z2[i, k]
    else:
        for i in range(B):
            for k in range(n):
                xi, s0, s1, s2, s3 = next_normal(s0, s1, s2, s3, kt, wt, ft)
                H[i, k] += noise_diag[k] * xi
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3


@njit(inline="always", error_model="numpy")
def _drift_step(H, drift, Z, Z2, cu):
    """``H <- H + dt F(H)`` (or the affine ``H M^T + c``), with the input term ``cu``."""
    MT, GT, b, g, full_gamma, affine, act, activation_input, dt = drift
    B, n = H.shape
    np.dot(H, MT, Z)
    if affine:
        for i in range(B):
            for k in range(n):
                H[i, k] = Z[i, k] + cu[k]
    else:
        _nonlinear_update(H, Z, Z2, GT, b, g, cu, dt, full_gamma, act, activation_input)


@njit(inline="always", error_model="numpy")
def _nonlinear_update(H, Z, Z2, GT, b, g, cu, dt, full_gamma, act, activation_input):
    if full_gamma:
        np.dot(H, GT, Z2)
    # one loop per activation, so that each vectorises
    if act == TANH:
        _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, activation_input, _a_tanh)
    elif act == RELU:
        _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, activation_input, _a_relu)
    elif act == SIGMOID:
        _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, activation_input, _a_sigmoid)
    else:
        _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, activation_input, _a_identity)


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
def advance_block(H, drift, inputs, noise, rng, readout, out, scratch, t_start, n_win, bound):
    """Advance ``H`` (B, n) by ``n_win`` steps; return -1, or the first step after which an
    entry of ``H`` is beyond ``±bound`` or NaN (the divergence guard; ``H`` is left there).

    The additive term of step ``t`` is ``cu = beff + Ceff @ U[t]`` (row 0 when U has one
    row): ``C u_t`` for the nonlinear step (inside the activation when ``activation_input``),
    ``c_t`` for the affine one. It is formed per step into the buffer ``cu`` (n,), so memory
    never grows with paths x steps or hidden x steps. ``noise_diag`` (n,) scales i.i.d.
    normals when ``full_noise`` is False; otherwise ``Xi`` (B, r) normals are mapped by ``LT``
    (r, n). Outputs of step j go to ``Yw[:, j, :]`` (linear/quadratic readout) and, if
    ``save_states``, states to ``Sw[:, j, :]``.
    """
    U, Ceff, beff = inputs
    Yw, save_states, Sw = out
    Z, Z2, Xi, Yt, cu = scratch
    B, n = H.shape
    n_u = U.shape[0]
    bad = -1
    for j in range(n_win):
        t = t_start + j
        _additive_terms(U, Ceff, beff, cu, t if n_u > 1 else 0)
        _drift_step(H, drift, Z, Z2, cu)
        _add_noise(H, noise, rng, Z2, Xi)
        # divergence check in a separate vectorised pass (a check inside the scalar noise
        # loop would add a dependency chain to every draw)
        if n_outside(H, bound) > 0:
            bad = t
            break
        _readout_step(H, readout, Yt, Yw, Z2, j)
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
def _chains(h0, xi, drift, noise, f, out, bound):
    B, L = xi.shape[0], xi.shape[1]
    n = h0.shape[1]
    for p in range(B):
        out[p, 0] = h0[p]
        for t in range(L):
            _chain_step(out[p, t], xi[p, t], drift, noise, f, out[p, t + 1])
            for k in range(n):
                if not (abs(out[p, t + 1, k]) <= bound):
                    return p * (L + 1) + t + 1
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def run_chains(h0, xi, drift, noise, out, bound):
    """Unperturbed runs: ``out[p, 0] = h0[p]``, ``out[p, t+1]`` after the normals ``xi[p, t]``.

    ``drift = (W, Γ, b, g, full_gamma, act, dt)`` (row-major matrices), ``noise`` as in
    :func:`advance_block`; the arithmetic of one step is :func:`em_unit`'s. Returns -1, or
    ``p * (L + 1) + t`` for the first state ``out[p, t]`` beyond ``±bound`` or NaN.
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
    for p in range(B):
        for t in range(L):
            _chain_step(h[p], xi[p, t], drift, noise, f, tmp)
            h[p, :] = tmp
            for k in range(n):
                if not (abs(tmp[k]) <= bound):
                    return p * L + t
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def advance_chains(h, xi, drift, noise, bound):
    """Advance states ``h`` (B, n) in place through the normals ``xi`` (B, L, r); returns -1,
    or ``p * L + t`` for the first path ``p`` beyond ``±bound`` (or NaN) after step ``t``."""
    act = drift[5]
    if act == TANH:
        return _advance(h, xi, drift, noise, _a_tanh, bound)
    if act == RELU:
        return _advance(h, xi, drift, noise, _a_relu, bound)
    if act == SIGMOID:
        return _advance(h, xi, drift, noise, _a_sigmoid, bound)
    return _advance(h, xi, drift, noise, _a_identity, bound)
