"""CoarseGridWarning: a PDE grid too coarse for the paths is said, and the warning is real
(the coarse Gram is off the converged one by more than a percent; a fine grid is silent)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from srnnkit.features import MonomialBasis
from srnnkit.kernels import CoarseGridWarning, response_kernel, signature_kernel


def _silent(func, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoarseGridWarning)
        return func(*args, **kw)


def test_signature_kernel_warns_on_a_coarse_grid_and_is_off():
    X = np.random.default_rng(210).uniform(-1, 1, (2, 5, 3))
    with pytest.warns(CoarseGridWarning, match=r"dyadic_order=0.*dyadic_order=\d or more") as rec:
        coarse = signature_kernel(X, dyadic_order=0)
    assert rec[0].filename == __file__                   # the user's line, not srnnkit's
    fine = _silent(signature_kernel, X, dyadic_order=6)
    assert coarse[1, 1] < 0 < fine[1, 1]                  # -107 against 281
    need = int(str(rec[0].message).split("Use dyadic_order=")[1].split()[0])
    good = _silent(signature_kernel, X, dyadic_order=need)   # the order asked for: silent
    assert np.max(np.abs(good - fine) / np.abs(fine)) < 0.02


def test_signature_kernel_check_ignores_padding_and_follows_static():
    # unequal lengths: the zero padding after a short path is not an increment
    short = np.array([[0.0, 0.0], [0.5, 0.5]]) + 100.0
    long = np.linspace([0.0, 0.0], [0.5, 0.5], 6) + 100.0
    _silent(signature_kernel, [short, long], dyadic_order=1)
    X = np.random.default_rng(1).uniform(-1, 1, (2, 6, 2))
    with pytest.warns(CoarseGridWarning):
        signature_kernel(X, scale=50.0)
    with pytest.warns(CoarseGridWarning):
        signature_kernel(X, static="rbf", scale=0.05)
    _silent(signature_kernel, X, static="rbf", scale=5.0)


def test_response_kernel_warns_untruncated_only():
    U = np.random.default_rng(2).standard_normal((2, 6, 2)) * 3
    with pytest.warns(CoarseGridWarning, match="response_kernel"):
        response_kernel(U, dt=1.0, basis=MonomialBasis(1))
    _silent(response_kernel, U, dt=1.0, basis=MonomialBasis(1), depth=3)   # no PDE grid
    _silent(response_kernel, U / 30, dt=0.1, basis=MonomialBasis(1))


def test_kappa_that_varies_inside_a_cell_is_said_and_the_kernel_is_off():
    """Found by fuzzing: with exp(-(s+t)) on cells of width 20 the midpoint rule at orders 0
    and 1 misses the same way (their Richardson estimate 0.6 %), and the kernel came back
    1.0000008 for the converged 2.28 without a word."""
    from srnnkit.features import ExponentialBasis

    U = np.array([[[1.0], [0.5], [0.2]], [[0.8], [-0.3], [0.1]]])
    basis = ExponentialBasis([1.0])
    with pytest.warns(CoarseGridWarning, match=r"kappa varies within the grid's cells") as rec:
        coarse = response_kernel(U, dt=20.0, basis=basis)
    assert rec[0].filename == __file__
    exact = _silent(response_kernel, U, dt=20.0, basis=basis, refine=256)
    assert abs(coarse[0, 0] - exact[0, 0]) > 0.5 * exact[0, 0]          # 1.0000008 vs 2.28
    _silent(response_kernel, U, dt=0.05, basis=basis)                   # a slow kappa: silent


def test_a_path_with_one_large_step_is_checked_and_a_far_estimate_says_so():
    """Found by fuzzing: the check took the two paths of largest total squared variation, so
    a one-segment path 55 % off (closed form I0(6) = 67.23, got 30.25) beside two long paths
    of more total variation gave no warning; and far from convergence the advised order was
    itself far off (at 10x the docs' paths, order 4: 124x too large, wrong sign) without a
    word that the estimate is unreliable there."""
    A = np.array([[0.0, 0.0], [3.0, 0.0]])
    t = np.linspace(0, 1, 1001)
    B = [0.4 * np.stack([np.cos(400 * t + k), np.sin(400 * t + k)], 1) for k in range(2)]
    with pytest.warns(CoarseGridWarning, match="largest variation or largest step"):
        signature_kernel([A, *B], dyadic_order=0)
    P = 10 * np.random.default_rng(210).uniform(-1, 1, (2, 5, 3))
    with pytest.warns(CoarseGridWarning, match="the kernel may be off by orders of magnitude"):
        signature_kernel(P, dyadic_order=0)


def test_a_kappa_that_overflows_is_named_where():
    """Found by fuzzing: exp(s t) overflowing at s t = 900 was reported with an internal
    (16, 16) sample and a hint for another kappa."""
    from srnnkit.features import WeightedMonomialBasis

    U = np.random.default_rng(0).standard_normal((2, 100, 1))
    with pytest.raises(ValueError, match=r"must be finite on the time grid \(times 0 to .*\); "
                                         r"got 'inf at s = .*, t = .*'\. A kappa that grows"):
        response_kernel(U, dt=0.3, basis=WeightedMonomialBasis())


def test_response_kernel_grid_check_skips_a_finer_table_that_does_not_fit(monkeypatch):
    # found by fuzzing: one series of 10,000 steps at dyadic_order=0 (a time table of
    # 0.75 GiB, under the 2 GiB limit) raised MemoryLimitError "reduce dyadic_order" from
    # the advisory grid check's table one order finer (3 GiB), after 6 s of work. Here the
    # limit is lowered so that the table of the requested order fits and the finer one not.
    from kernel_oracles import goursat_oracle

    from srnnkit.kernels import _response

    L, dt = 20, 0.05
    u = 0.3 * np.random.default_rng(7).standard_normal((L, 2))
    basis = MonomialBasis(2)
    monkeypatch.setattr(_response, "MAX_TABLE_BYTES", 8 * L * L)       # order 0 only
    K = response_kernel(u[None], dt=dt, basis=basis, dyadic_order=0)
    mid = (np.arange(L) + 0.5) * dt
    G = dt * dt * basis.kappa(mid[:, None], mid[None, :]) * (u @ u.T)   # midpoint cells
    assert np.isclose(K[0, 0], goursat_oracle(G), rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="time table"):       # the requested order still guarded
        response_kernel(u[None], dt=dt, basis=basis, dyadic_order=1)
