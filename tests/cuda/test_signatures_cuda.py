"""device='cuda' signatures and response features equal the CPU's to float64 rounding."""

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.features import LegendreBasis, MonomialBasis

pytestmark = pytest.mark.gpu

RTOL = 1e-12


def close(a, b):
    scale = np.abs(b).max()
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale)


@pytest.mark.parametrize("depth,stream,scalar", [(1, False, False), (3, False, True),
                                                 (4, True, False)])
def test_signature_matches_cpu(depth, stream, scalar):
    X = np.random.default_rng(depth).normal(size=(3, 6, 2))
    gpu = sk.signature(X, depth, stream=stream, scalar_term=scalar, device="cuda")
    cpu = sk.signature(X, depth, stream=stream, scalar_term=scalar)
    assert gpu.shape == cpu.shape
    close(gpu, cpu)


def test_signature_theory_reference_values():
    """docs/theory.md §9.6 (1-based words there, 0-based here)."""
    path = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0], [2.5, 0.5]])
    S = sk.signature(path, 4, device="cuda")
    idx = sk.signatures.word_to_index
    for word, ref in [((0, 1), -0.875), ((1, 0), 2.125), ((0, 1, 0), -1.2291666667),
                      ((1, 1, 0, 0), 2.1901041667), ((0, 0, 0, 0), 1.6276041667)]:
        assert abs(S[idx(word, 2)] - ref) < 1e-9


def test_signature_launch_independent_and_float32(launch):
    X = np.random.default_rng(7).normal(size=(5, 4, 3))
    a = sk.signature(X, 3, device="cuda")
    # fewer threads than words, blocks loop over paths, S in global scratch (not shared)
    launch(threads=7, max_blocks=2, shared_bytes=0)
    b = sk.signature(X, 3, device="cuda")
    np.testing.assert_array_equal(a, b)
    c = sk.signature(X.astype(np.float32), 3, device="cuda")
    assert c.dtype == np.float32
    np.testing.assert_allclose(c, a, rtol=1e-5, atol=1e-5 * np.abs(a).max())


@pytest.mark.parametrize("basis,refine,stream", [(MonomialBasis(1), 1, False),
                                                 (LegendreBasis(1, 0.5), 2, True)])
def test_response_features_match_cpu(basis, refine, stream):
    u = np.random.default_rng(3).normal(size=(2, 5, 2))
    gpu = sk.response_features(u, dt=0.1, basis=basis, depth=3, refine=refine, stream=stream,
                               scalar_term=True, device="cuda")
    cpu = sk.response_features(u, dt=0.1, basis=basis, depth=3, refine=refine, stream=stream,
                               scalar_term=True)
    assert gpu.shape == cpu.shape
    close(gpu, cpu)
