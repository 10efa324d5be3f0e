"""The compiled pieces of simulate's block loop against independent references.

- the generated product kernel (``dynamics/_simd.gemm_rows``) against exact rational
  arithmetic: each entry must be the correctly rounded fused multiply-add chain over j;
- the vector update (``_em_update``: the tanh branches compacted or selected) and the
  scalar ``fast_tanh`` against the textbook formulas written in NumPy (the two-division
  tanh), bit for bit;
- the in-loop ziggurat against a pure-Python ziggurat on xoshiro256++, bit for bit.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from numba import njit

from srnnkit.dynamics._activations import IDENTITY, RELU, SIGMOID, TANH
from srnnkit.dynamics._em_loops import _em_update, tanh_array
from srnnkit.dynamics._rng import fill_normals, make_states, ziggurat_tables
from srnnkit.dynamics._simd import gemm_rows, simd_tanh


def _host_has_fma() -> bool:
    from llvmlite import binding

    return "+fma" in binding.get_host_cpu_features().flatten().split(",")


# ------------------------------------------------------------------------ the product
@njit(cache=True)
def _gemm(H, MT, Z, i0, i1):
    gemm_rows(H, MT, Z, i0, i1)


def _fma_chain(h: np.ndarray, m: np.ndarray, fused: bool) -> float:
    acc = 0.0
    for a, b in zip(h, m, strict=True):
        acc = float(Fraction(a) * Fraction(b) + Fraction(acc)) if fused else acc + a * b
    return acc


@pytest.mark.parametrize("B,n,rows", [(7, 13, (0, 7)), (20, 8, (3, 17)), (13, 1, (0, 13)),
                                      (9, 37, (2, 9)), (6, 64, (0, 6))])
def test_product_is_the_fused_chain_over_j(B, n, rows):
    rng = np.random.default_rng(n)
    H = rng.standard_normal((B, n)) * 10.0 ** rng.integers(-3, 3, (B, n))
    MT = rng.standard_normal((n, n))
    n8 = -(-n // 8) * 8
    MTp = np.zeros((n, n8))
    MTp[:, :n] = MT
    Z = np.full((B, n8), np.nan)
    _gemm(H, MTp, Z, *rows)
    fused = _host_has_fma()
    i0, i1 = rows
    assert np.all(np.isnan(Z[:i0])) and np.all(np.isnan(Z[i1:]))     # other rows untouched
    assert np.all(Z[i0:i1, n:] == 0.0)                                 # padding columns
    want = np.array([[_fma_chain(H[i], MT[:, k], fused) for k in range(n)]
                     for i in range(i0, i1)])
    np.testing.assert_array_equal(Z[i0:i1, :n], want)
    np.testing.assert_allclose(Z[i0:i1, :n], H[i0:i1] @ MT, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ tanh
def _tanh_reference(x: np.ndarray) -> np.ndarray:
    """The textbook form of fast_tanh (both branches, two divisions), in NumPy."""
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        z = x * x
        p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z \
            - 1.61468768441708447952e3
        q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z \
            + 4.84406305325125486048e3
        small = x + x * z * p / q
        y = -2.0 * np.where(ax < 20.0, ax, 20.0)
        ki = (-y * 1.4426950408889634 + 0.5).astype(np.int64)
        kf = -ki.astype(np.float64)
        r = (y - kf * 6.93145751953125e-1) - kf * 1.42860682030941723212e-6
        e = np.full_like(x, 2.08767569878680989792e-9)
        for c in (2.50521083854417187751e-8, 2.75573192239858906526e-7,
                  2.75573192239858906526e-6, 2.48015873015873015873e-5,
                  1.98412698412698412698e-4, 1.38888888888888888889e-3,
                  8.33333333333333333333e-3, 4.16666666666666666667e-2,
                  1.66666666666666666667e-1, 0.5, 1.0, 1.0):
            e = e * r + c
        t = e * ((1023 - ki) << 52).view(np.float64)
        big = (1.0 - t) / (1.0 + t)
        big = np.where(x >= 0.0, big, -big)
        return np.where(ax < 0.625, small, big)


def _tanh_inputs() -> np.ndarray:
    rng = np.random.default_rng(0)
    parts = [rng.standard_normal(20_000) * s for s in (1e-3, 0.3, 1.0, 4.0, 40.0)]
    edges = [0.0, -0.0, 0.625, -0.625, np.nextafter(0.625, 0), 20.0, -20.0, 1e-300, 5e-324,
             1e300, -1e300, np.inf, -np.inf]
    return np.concatenate([*parts, np.array(edges)])


def test_vector_and_scalar_tanh_match_the_textbook_form_bitwise():
    x = _tanh_inputs()
    want = _tanh_reference(x)
    for fn in (simd_tanh, tanh_array):
        got = np.empty_like(x)
        fn(x, got)
        np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
    # and it is tanh: within 2 ulp of NumPy's
    ulp = np.spacing(np.abs(np.tanh(x[np.isfinite(x)])))
    assert np.max(np.abs(want[np.isfinite(x)] - np.tanh(x[np.isfinite(x)])) / ulp) <= 2


# ---------------------------------------------------------------------------- update
_ACTS = {TANH: _tanh_reference, IDENTITY: lambda z: z,
         RELU: lambda z: np.where(z > 0.0, z, 0.0),
         SIGMOID: lambda z: 0.5 + 0.5 * _tanh_reference(0.5 * z)}


def _update_reference(H, Z, Z2, X, b, g, cu, nd, dt, ain, act, full_gamma):
    """em_unit (docs/theory.md §7) plus the noise term, in NumPy, entry by entry."""
    n = H.shape[1]
    z = Z[:, :n]
    gam = Z2[:, :n] if full_gamma else g * H
    f = _ACTS[act]
    with np.errstate(all="ignore"):
        if ain:
            hn = H + dt * (f(z + b + cu) - gam)
        else:
            hn = H + dt * (f(z + b) - gam + cu)
        return hn + nd * X


@njit(cache=True, error_model="numpy")
def _update_rows(H, Z, Z2, X, nd, drift, cu, buf):
    _em_update(H, Z, Z2, X, nd, drift, cu, buf)


@pytest.mark.parametrize("act", [TANH, SIGMOID, RELU, IDENTITY])
@pytest.mark.parametrize("n", [3, 8, 21, 64])
def test_update_matches_em_unit_bitwise(act, n):
    rng = np.random.default_rng(10 * act + n)
    B = 12
    nz = -(-n // 8) * 8
    H = rng.standard_normal((B, n))
    Z = rng.standard_normal((B, nz)) * np.array([0.1, 0.5, 2.0, 30.0])[rng.integers(0, 4, (B, 1))]
    Z[0] = 0.01          # a row with every entry on the small branch,
    Z[1] = 3.0           # one with every entry on the large branch, and NaN/inf entries
    Z[2, :3] = [np.nan, np.inf, -np.inf]
    Z2 = rng.standard_normal((B, nz))
    X = rng.standard_normal((B, n))
    b, g, cu, nd = (rng.standard_normal(n) for _ in range(4))
    buf = np.zeros(3 * (n + 8))
    for ain in (False, True):
        for full_gamma in (False, True):
            want = _update_reference(H, Z, Z2, X, b, g, cu, nd, 0.01, ain, act, full_gamma)
            got = H.copy()
            drift = (None, None, b, g, full_gamma, False, act, ain, 0.01)
            _update_rows(got, Z, Z2, X, nd, drift, cu, buf)
            np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------ the normals
def _xoshiro(s: list[int]) -> int:
    mask = (1 << 64) - 1

    def rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & mask

    out = (rotl((s[0] + s[3]) & mask, 23) + s[0]) & mask
    t = (s[1] << 17) & mask
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return out


def _ziggurat_reference(state: np.ndarray, size: int) -> np.ndarray:
    """Marsaglia-Tsang's ziggurat (the 52-bit variant NumPy uses) on xoshiro256++, in Python."""
    kt, wt, ft = ziggurat_tables()
    r_tail = 3.6541528853610088
    s = [int(v) for v in state]
    out = []
    while len(out) < size:
        r = _xoshiro(s)
        idx = r & 0xFF
        r >>= 8
        sign = r & 1
        rabs = (r >> 1) & 0x000FFFFFFFFFFFFF
        x = float(rabs) * wt[idx] * (1.0 - 2.0 * sign)
        if rabs < kt[idx]:
            out.append(x)
            continue
        if idx == 0:
            while True:
                xx = -math.log1p(-((_xoshiro(s) >> 11) / 2.0**53)) / r_tail
                yy = -math.log1p(-((_xoshiro(s) >> 11) / 2.0**53))
                if yy + yy > xx * xx:
                    out.append(-(r_tail + xx) if sign else r_tail + xx)
                    break
            continue
        if (ft[idx - 1] - ft[idx]) * ((_xoshiro(s) >> 11) / 2.0**53) + ft[idx] < \
                math.exp(-0.5 * x * x):
            out.append(x)
    return np.array(out)


def test_in_loop_normals_are_the_textbook_ziggurat():
    state = make_states([np.random.SeedSequence(123)])[0]
    want = _ziggurat_reference(state, 30_000)
    got = np.empty(30_000)
    fill_normals(state.copy(), got)
    np.testing.assert_array_equal(got, want)
    assert np.sum(np.abs(want) > 3.6541528853610088) >= 3       # the tail branch ran
