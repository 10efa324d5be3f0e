"""tensor_path and response_features against independent constructions."""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.features import (
    ExponentialBasis,
    LegendreBasis,
    MonomialBasis,
    WeightedMonomialBasis,
    response_features,
    tensor_path,
)
from srnnkit.signatures import signature_dim

iisignature = pytest.importorskip("iisignature")

BASES = [MonomialBasis(2), WeightedMonomialBasis(3), LegendreBasis(2, T=1.2),
         ExponentialBasis([0.0, 1.5])]


def _X_monomial(u, dt, degree, times):
    """X_t for psi_p = s^p from antiderivatives, written independently of the library."""
    n_steps, m = u.shape
    out = np.zeros((times.size, (degree + 1) * m))
    for i, t in enumerate(times):
        for j in range(n_steps):
            a, b = j * dt, min((j + 1) * dt, t)
            if b <= a:
                break
            for p in range(degree + 1):
                w = (b ** (p + 1) - a ** (p + 1)) / (p + 1)
                out[i, p * m:(p + 1) * m] += w * u[j]
    return out


def test_tensor_path_exact_and_channel_layout():
    rng = np.random.default_rng(0)
    u = rng.standard_normal((6, 2))
    dt = 0.25
    X = tensor_path(u, dt=dt, basis=MonomialBasis(2), refine=3)
    times = np.arange(6 * 3 + 1) * dt / 3
    assert X.shape == (19, 6)
    np.testing.assert_allclose(X, _X_monomial(u, dt, 2, times), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("basis", BASES, ids=repr)
def test_level_one_is_closed_form_integral(basis):
    rng = np.random.default_rng(1)
    u = rng.standard_normal((3, 8, 2))
    dt = 0.15
    edges = np.arange(9) * dt
    cell = basis.integrals(edges[:-1], edges[1:])            # (8, P)
    level1 = np.einsum("jp,sjk->spk", cell, u).reshape(3, -1)
    for refine in (1, 4):
        feats = response_features(u, dt=dt, basis=basis, depth=2, refine=refine)
        np.testing.assert_allclose(feats[:, :level1.shape[1]], level1, rtol=1e-12, atol=1e-14)
    if isinstance(basis, MonomialBasis):
        X = _X_monomial(u[0], dt, basis.degree, np.array([8 * dt]))
        np.testing.assert_allclose(level1[0], X[0], rtol=1e-12)


@pytest.mark.parametrize("basis", BASES, ids=repr)
@pytest.mark.parametrize("refine", [1, 3])
def test_features_equal_signature_of_tensor_path(basis, refine):
    rng = np.random.default_rng(2)
    u = rng.standard_normal((3, 7, 2))
    X = tensor_path(u, dt=0.2, basis=basis, refine=refine)
    ref = iisignature.sig(X, 3)
    got = response_features(u, dt=0.2, basis=basis, depth=3, refine=refine)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)
    st = response_features(u, dt=0.2, basis=basis, depth=3, refine=refine, stream=True)
    assert st.shape == (3, 7, got.shape[-1])
    np.testing.assert_allclose(st, iisignature.sig(X, 3, 2)[:, refine - 1::refine],
                               rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(st[:, -1], got, rtol=1e-13, atol=1e-14)


def test_features_equal_signature_of_finely_sampled_X():
    # X sampled finely from closed-form antiderivatives (no library code) vs refine.
    rng = np.random.default_rng(3)
    u = rng.standard_normal((5, 1))
    dt, r = 0.3, 16
    times = np.arange(5 * r + 1) * dt / r
    X_fine = _X_monomial(u, dt, 2, times)
    got = response_features(u, dt=dt, basis=MonomialBasis(2), depth=4, refine=r)
    np.testing.assert_allclose(got, iisignature.sig(X_fine, 4), rtol=1e-11, atol=1e-13)


def test_refine_converges_second_order():
    rng = np.random.default_rng(4)
    u = 2 * rng.standard_normal((4, 2))
    basis = LegendreBasis(2, T=1.0)
    ref = response_features(u, dt=0.25, basis=basis, depth=3, refine=256)
    errs = [np.abs(response_features(u, dt=0.25, basis=basis, depth=3, refine=r) - ref).max()
            for r in (2, 4, 8)]
    # chordal error O(h^2): halving the sub-cell divides the error by about 4
    assert errs[0] / errs[1] > 3.0
    assert errs[1] / errs[2] > 3.0


def test_shapes_dtype_scalar_term_and_single_series():
    rng = np.random.default_rng(5)
    u = rng.standard_normal((9, 3))
    b = MonomialBasis(1)
    f = response_features(u, dt=0.1, basis=b, depth=2)
    assert f.shape == (signature_dim(6, 2),)
    f0 = response_features(u, dt=0.1, basis=b, depth=2, scalar_term=True)
    assert f0[0] == 1.0
    np.testing.assert_array_equal(f0[1:], f)
    s = response_features(u, dt=0.1, basis=b, depth=2, stream=True)
    assert s.shape == (9, signature_dim(6, 2))
    f32 = response_features(u.astype(np.float32), dt=0.1, basis=b, depth=2)
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32, f, rtol=1e-5, atol=1e-6)
    assert tensor_path(u.astype(np.float32), dt=0.1, basis=b).dtype == np.float32
    assert sk.response_features is response_features


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_reproducible_whatever_n_jobs(n_jobs):
    rng = np.random.default_rng(6)
    u = rng.standard_normal((5, 12, 2))
    b = LegendreBasis(2, T=1.2)
    base = response_features(u, dt=0.1, basis=b, depth=3, refine=2)
    np.testing.assert_array_equal(
        response_features(u, dt=0.1, basis=b, depth=3, refine=2, n_jobs=n_jobs), base)


def test_errors():
    u = np.zeros((5, 2))
    b = MonomialBasis(1)
    with pytest.raises(TypeError, match="basis"):
        response_features(u, dt=0.1, basis="monomial", depth=2)
    with pytest.raises(ValueError, match="basis must be finite"):
        response_features(u, dt=0.1, basis=WeightedMonomialBasis(), depth=2)
    with pytest.raises(ValueError, match="basis must be finite"):
        tensor_path(u, dt=0.1, basis=WeightedMonomialBasis())
    with pytest.raises(ValueError, match="dt"):
        response_features(u, dt=0.0, basis=b, depth=2)
    with pytest.raises(ValueError, match="depth"):
        response_features(u, dt=0.1, basis=b, depth=0)
    with pytest.raises(ValueError, match="refine"):
        tensor_path(u, dt=0.1, basis=b, refine=0)
    with pytest.raises(ValueError, match="inputs"):
        response_features(np.zeros(5), dt=0.1, basis=b, depth=2)
    with pytest.raises(ValueError, match="inputs"):
        response_features(np.zeros((2, 2, 2, 2)), dt=0.1, basis=b, depth=2)
    bad = u.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="inputs must contain only finite values"):
        response_features(bad, dt=0.1, basis=b, depth=2)
    with pytest.raises(ValueError, match="inputs"):
        response_features([np.zeros((3, 2)), np.zeros((4, 2))], dt=0.1, basis=b, depth=2)


def test_memory_guard():
    u = np.zeros((100, 50, 4))
    with pytest.raises(ValueError, match=r"would need .* reduce depth, the basis degree") as e:
        response_features(u, dt=0.1, basis=MonomialBasis(4), depth=4, stream=True)
    assert "P*m = 5*4 = 20 channels" in str(e.value)
    with pytest.raises(ValueError, match="max_bytes"):
        tensor_path(u, dt=0.1, basis=MonomialBasis(4), refine=10, max_bytes=1e6)


def test_tensor_path_reports_overflow_by_name():
    """Found by fuzzing: inf came back silently where response_features raises."""
    from srnnkit.features import ExponentialBasis, tensor_path

    with pytest.raises(ValueError, match="tensor_path overflowed"):
        tensor_path(np.ones((3, 1)), dt=1.0, basis=ExponentialBasis([-400.0]))
