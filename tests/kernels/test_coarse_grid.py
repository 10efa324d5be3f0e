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
