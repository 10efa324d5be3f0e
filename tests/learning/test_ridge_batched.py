"""The leave-one-out ridge's faster paths give the plain paths' numbers.

`loo_table` evaluates every penalty from one pass over the eigenbasis (two matrix products)
where `loo_residuals` makes two matrix-vector products per penalty: the same residuals up
to rounding. `ridge_loo` takes its errors and the chosen penalty's per-sample errors from
`loo_table`, sums the candidates' group Grams with one temporary (`_weighted_sum`) and
weights gathered columns in place: its choice, coefficients and `LinearSRNNClassifier`'s
decision values are those of the plain path (the per-penalty residuals, Python's ``sum``
of ``B * w ** 2``), bit for bit. Deterministic (fixed seeds), no standard error.
"""

import numpy as np
import pytest

from srnnkit.learning import _ridge
from srnnkit.learning._ridge import (
    RELATIVE_ALPHAS,
    _gram_spectrum,
    _spectrum,
    _weighted_sum,
    loo_residuals,
    relative_scale,
    ridge_loo,
)


def _plain_table(lam, Q, Yc, alphas, *, intercept=True):
    """Each sample's squared leave-one-out error per penalty, one penalty at a time."""
    return np.array([np.sum(e * e, axis=1)
                     for e in loo_residuals(lam, Q, Yc, alphas, intercept=intercept)])


def _plain_sum(blocks, weights):
    return sum(B * float(w) ** 2 for B, w in zip(blocks, weights, strict=True))


@pytest.mark.parametrize("p", [25, 90])                      # thin Q (p < n), full Q
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("intercept", [True, False])
def test_loo_table_equals_the_per_penalty_residuals(monkeypatch, p, k, intercept):
    """Every sample and penalty within 1e-12 relative of `loo_residuals`, also when the
    penalties are taken a few at a time (a block smaller than the grid)."""
    from srnnkit.learning._ridge import loo_table

    rng = np.random.default_rng(p + k)
    n = 60
    F = rng.standard_normal((n, p))
    F -= F.mean(axis=0)
    Y = rng.standard_normal((n, k))
    Yc = Y - Y.mean(axis=0)
    lam, Q = _spectrum(F) if p < n else _gram_spectrum(F @ F.T)
    alphas = RELATIVE_ALPHAS * relative_scale(lam, n)
    ref = _plain_table(lam, Q, Yc, alphas, intercept=intercept)
    np.testing.assert_allclose(loo_table(lam, Q, Yc, alphas, intercept=intercept), ref,
                               rtol=1e-12, atol=0)
    monkeypatch.setattr(_ridge, "_LOO_BLOCK", 5 * n * k)       # five penalties a block
    np.testing.assert_allclose(loo_table(lam, Q, Yc, alphas, intercept=intercept), ref,
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(_ridge.loo_errors(lam, Q, Yc, alphas, intercept=intercept),
                               ref.mean(axis=1), rtol=1e-12)


def test_weighted_sum_is_pythons_sum():
    """The same bits as ``sum(B * w ** 2)``, a negative zero included (0 + -0.0 = 0.0)."""
    rng = np.random.default_rng(0)
    blocks = [rng.standard_normal((30, 30)) for _ in range(4)]
    blocks[0][0, 0] = -0.0
    for ws in ([1.0], [0.7], [1.0, 0.3], [2.0, 1.0, 0.5, 1.3]):
        got, ref = _weighted_sum(blocks[:len(ws)], ws), _plain_sum(blocks[:len(ws)], ws)
        assert np.array_equal(got, ref)
        assert np.array_equal(np.signbit(got), np.signbit(ref))


def _plain_ridge(monkeypatch):
    """Patch `ridge_loo`'s fast paths back to the plain ones."""
    monkeypatch.setattr(_ridge, "loo_table", _plain_table)
    monkeypatch.setattr(_ridge, "_weighted_sum", _plain_sum)
    monkeypatch.setattr(_ridge, "_times", lambda A, w: A * w)


def test_ridge_loo_choice_is_the_plain_paths(monkeypatch):
    """Candidate, penalty, coefficients and per-sample errors equal to the plain path's
    (errors within 1e-12), weighted groups and columns included; no pass of
    `loo_residuals` (before: 17 + 1 per candidate)."""
    rng = np.random.default_rng(1)
    n = 80
    F = rng.standard_normal((n, 200))
    F -= F.mean(axis=0)
    Y = np.sign(F[:, :3] @ rng.standard_normal((3, 2)) + rng.standard_normal((n, 2)))
    groups = np.split(rng.permutation(200), [40, 100, 170])
    cands = [[0], [0, 1], [1, 2], [0, 1, 2, 3], [3]]
    weights = [[1.0], [1.0, 0.5], [1.0, 2.0], [1.0, 1.0, 0.3, 1.0], [1.0]]
    colw = [None, np.linspace(0.2, 1.0, 60), None, None]
    calls = []
    monkeypatch.setattr(_ridge, "loo_residuals",
                        lambda *a, **kw: calls.append(1) or loo_residuals(*a, **kw))
    fast = ridge_loo(F, Y, groups, cands, weights=weights, column_weights=colw)
    assert calls == []
    monkeypatch.undo()
    _plain_ridge(monkeypatch)
    plain = ridge_loo(F, Y, groups, cands, weights=weights, column_weights=colw)
    assert (fast.candidate, fast.alpha, fast.alpha_index) == \
        (plain.candidate, plain.alpha, plain.alpha_index)
    assert np.array_equal(fast.coef, plain.coef)
    np.testing.assert_allclose(fast.errors, plain.errors, rtol=1e-12)
    np.testing.assert_allclose(fast.per_sample, plain.per_sample, rtol=1e-12)


@pytest.mark.parametrize("m", [1, 3])
def test_classifier_decisions_are_the_plain_paths(monkeypatch, m):
    """`LinearSRNNClassifier` (small network; 3 channels, one of them noise: the
    channel-weighted candidates and a second network): decision values bit for bit those
    of the plain ridge path, cross-validation errors within 1e-12."""
    from srnnkit.learning import LinearSRNNClassifier

    rng = np.random.default_rng(2)
    n, L = 120, 40
    y = np.arange(n) % 3
    t = np.arange(L) / L
    X = np.sin(2 * np.pi * (2 + y)[:, None, None] * t[None, :, None]
               + rng.uniform(0, 6, (n, 1, m))) + 0.7 * rng.standard_normal((n, L, m))
    if m > 1:
        X[:, :, -1] = rng.standard_normal((n, L))
    kw = dict(n_oscillators=60, random_state=0)
    fast = LinearSRNNClassifier(**kw).fit(X[:80], y[:80])
    _plain_ridge(monkeypatch)
    plain = LinearSRNNClassifier(**kw).fit(X[:80], y[:80])
    assert np.array_equal(fast.decision_function(X[80:]), plain.decision_function(X[80:]))
    assert fast.alpha_ == plain.alpha_
    np.testing.assert_allclose(fast.cv_errors_, plain.cv_errors_, rtol=1e-12)
