"""Numba loops that advance one block of Monte Carlo paths over a window of steps.

One call advances the ``(B, n)`` state array ``H`` of one block by ``n_win`` steps:

* nonlinear Euler–Maruyama:
  ``H += dt * (a(H W^T + b) - Γ H + C u_t) + sqrt(dt) σ ξ``;
* affine (linear SRNNs, Euler or the exact Gaussian transition):
  ``H = H M^T + c_t + L ξ``.

Matrix products go to BLAS (``np.dot`` inside Numba); the activation is a branch-free,
vectorisable tanh accurate to 2 ulp; the noise is drawn in-loop from the block's own
xoshiro256++/ziggurat stream (``_rng``). Everything runs without the GIL.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._rng import next_normal

# activation codes
TANH, IDENTITY, RELU, SIGMOID = 0, 1, 2, 3
ACT_CODES = {"tanh": TANH, "identity": IDENTITY, "relu": RELU, "sigmoid": SIGMOID}
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


@njit(nogil=True, error_model="numpy", fastmath={"reassoc"})
def _state_sum(H):
    """Sum of all entries (NaN or inf in, non-finite out); reassociated so it vectorises."""
    acc = 0.0
    for i in range(H.shape[0]):
        for k in range(H.shape[1]):
            acc += H[i, k]
    return acc


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
def _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, f):
    B, n = H.shape
    if full_gamma:
        for i in range(B):
            for k in range(n):
                H[i, k] = H[i, k] + dt * (f(Z[i, k] + b[k]) - Z2[i, k] + cu[k])
    else:
        for i in range(B):
            for k in range(n):
                H[i, k] = H[i, k] + dt * (f(Z[i, k] + b[k]) - g[k] * H[i, k] + cu[k])


@njit(cache=True, nogil=True, error_model="numpy")
def run_window(H, MT, affine, b, g, GT, full_gamma, act, U, Ceff, beff, cu, t_start, n_win, dt,
               noise_diag, LT, full_noise, state, kt, wt, ft,
               Z, Z2, Xi, ro_kind, QT, q, M, Yt, Yw, save_states, Sw):
    """Advance ``H`` (B, n) by ``n_win`` steps; return -1, or the first non-finite step.

    The additive term of step ``t`` is ``cu = beff + Ceff @ U[t]`` (row 0 when U has one
    row): ``C u_t`` for the nonlinear step, ``c_t`` for the affine one. It is formed per step
    into the buffer ``cu`` (n,), so memory never grows with paths x steps or hidden x steps.
    ``noise_diag`` (n,) scales i.i.d. normals when
    ``full_noise`` is False; otherwise ``Xi`` (B, r) normals are mapped by ``LT`` (r, n).
    Outputs of step j go to ``Yw[:, j, :]`` (linear/quadratic readout) and, if
    ``save_states``, states to ``Sw[:, j, :]``.
    """
    B, n = H.shape
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    n_u = U.shape[0]
    m = U.shape[1]
    bad = -1
    for j in range(n_win):
        t = t_start + j
        tu = t if n_u > 1 else 0
        for k in range(n):
            acc_k = beff[k]
            for c in range(m):
                acc_k += Ceff[k, c] * U[tu, c]
            cu[k] = acc_k
        np.dot(H, MT, Z)
        if affine:
            for i in range(B):
                for k in range(n):
                    H[i, k] = Z[i, k] + cu[k]
        else:
            if full_gamma:
                np.dot(H, GT, Z2)
            # one loop per activation, so that each vectorises
            if act == TANH:
                _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, _a_tanh)
            elif act == RELU:
                _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, _a_relu)
            elif act == SIGMOID:
                _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, _a_sigmoid)
            else:
                _drift_update(H, Z, Z2, b, g, cu, dt, full_gamma, _a_identity)
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
        # divergence check in a separate vectorised pass (a running sum inside the scalar
        # noise loop would add a floating-point latency chain to every draw)
        if not math.isfinite(_state_sum(H)):
            bad = t
            break
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
        if save_states:
            for i in range(B):
                for k in range(n):
                    Sw[i, j, k] = H[i, k]
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3
    return bad
