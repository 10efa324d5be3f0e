"""The leave-one-out ridge (`srnnkit.learning._ridge.ridge_loo`) decomposes each candidate
feature set from the smaller of its two Gram matrices.

Independent checks, on random full-rank features (fixed seeds; deterministic, no standard
error): a narrow candidate's leave-one-out errors against explicit refits without each
sample (the primal normal equations, well conditioned with fewer columns than samples), and
its fit against the n x n Gram path (`_gram_spectrum` + `loo_errors`, the dual solution). The
Gram path's errors differ from the refits by up to 1e-8 relative at the smallest relative
penalty 1e-7: its n - p_c - 1 null eigenvalues come out of ``eigh`` as rounding (1e-16 of the
largest) and enter the hat matrix with weight lam / (lam + alpha).
"""

import numpy as np
import pytest

from srnnkit.learning import _ridge
from srnnkit.learning._ridge import (
    RELATIVE_ALPHAS,
    _gram_spectrum,
    loo_errors,
    relative_scale,
    ridge_loo,
)


def _problem(n, sizes, seed, k=2):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n, sum(sizes)))
    F -= F.mean(axis=0)
    Y = np.sign(F[:, :3] @ rng.standard_normal((3, k)) + 0.5 * rng.standard_normal((n, k)))
    groups = np.split(rng.permutation(F.shape[1]), np.cumsum(sizes)[:-1])
    return F, Y, [np.sort(g) for g in groups]


def _gram_path(F, Y, cols, w):
    """The n x n Gram path (every candidate before): LOO errors, coefficients at ``alpha``."""
    n = F.shape[0]
    Fc = F[:, cols] * w
    lam, Q = _gram_spectrum(Fc @ Fc.T)
    scale = relative_scale(lam, n)
    Yc = Y - Y.mean(axis=0)
    errors = loo_errors(lam, Q, Yc, RELATIVE_ALPHAS * scale)
    return errors, lam, Q, Yc


def _refit_errors(F, Y, alphas):
    """Mean squared leave-one-out error (summed over outputs) by refitting ridge with an
    unpenalised intercept without each sample (primal normal equations)."""
    n, p = F.shape
    out = np.zeros(alphas.size)
    for i in range(n):
        keep = np.arange(n) != i
        A, B = F[keep] - F[keep].mean(axis=0), Y[keep] - Y[keep].mean(axis=0)
        for j, a in enumerate(alphas):
            w = np.linalg.solve(A.T @ A + a * np.eye(p), A.T @ B)
            r = Y[i] - Y[keep].mean(axis=0) - (F[i] - F[keep].mean(axis=0)) @ w
            out[j] += np.sum(r * r) / n
    return out


def test_narrow_candidate_is_decomposed_from_its_covariance(monkeypatch):
    """Found by profiling `LinearSRNNClassifier` on 2000 series of 20 steps: its candidates
    of linear readouts (1000 columns) were decomposed from the 2000 x 2000 Gram like the
    wide ones (eight eigendecompositions of size n: 7.4 s of a 11.4 s fit). A candidate with
    fewer columns than series is now decomposed from its p_c x p_c covariance; the wide
    ones keep the summed group Grams."""
    n, sizes = 60, [30, 20, 70]
    F, Y, groups = _problem(n, sizes, 0)
    cands = [[0], [0, 1], [1, 2], [0, 1, 2]]                  # 30, 50, 90, 120 columns
    colw = [None, np.linspace(0.3, 1.0, 20), None]
    weights = [[1.0], [1.0, 2.0], [1.0, 0.5], [1.0, 1.0, 1.0]]
    sizes_seen = []
    eigh = _ridge.eigh

    def counting(A):
        sizes_seen.append(A.shape[0])
        return eigh(A)

    monkeypatch.setattr(_ridge, "eigh", counting)
    fit = ridge_loo(F, Y, groups, cands, weights=weights, column_weights=colw)
    assert sizes_seen == [30, 50, n, n]                       # before: [60, 60, 60, 60]
    for c, cand in enumerate(cands):
        cols = np.concatenate([groups[g] for g in cand])
        w = np.concatenate([(np.ones(groups[g].size) if colw[g] is None else colw[g]) * wg
                            for g, wg in zip(cand, weights[c], strict=True)])
        errors, lam, _, _ = _gram_path(F, Y, cols, w)
        if cols.size < n:       # the narrow path: equal to the refits
            ref = _refit_errors(F[:, cols] * w, Y, RELATIVE_ALPHAS * relative_scale(lam, n))
            np.testing.assert_allclose(fit.errors[c], ref, rtol=1e-10)
            np.testing.assert_allclose(errors, ref, rtol=1e-6)    # (the Gram path: 1e-8)
        else:
            np.testing.assert_allclose(fit.errors[c], errors, rtol=1e-12)


@pytest.mark.parametrize(("n", "p"), [(40, 25), (200, 120)])
def test_narrow_fit_equals_the_gram_path(n, p):
    """The chosen narrow candidate's coefficients and decision values equal the n x n Gram
    path's (dual solution ``F^T Q diag(1/(lam + alpha)) Q^T Y``) to 1e-10 relative."""
    F, Y, groups = _problem(n, [p, 2 * n], 1, k=3)
    fit = ridge_loo(F, Y, groups, [[0]])
    cols = groups[0]
    errors, lam, Q, Yc = _gram_path(F, Y, cols, 1.0)
    np.testing.assert_allclose(fit.errors[0], errors, rtol=1e-6)
    a = fit.alpha
    assert a == pytest.approx(RELATIVE_ALPHAS[np.argmin(errors)] * relative_scale(lam, n),
                              rel=1e-12)
    coef = (Q @ ((Q.T @ Yc) / (lam + a)[:, None])).T @ F[:, cols]
    np.testing.assert_allclose(fit.coef, coef, rtol=1e-10, atol=1e-10 * np.abs(coef).max())
    dec, ref = F[:, cols] @ fit.coef.T, F[:, cols] @ coef.T
    np.testing.assert_allclose(dec, ref, rtol=0, atol=1e-10 * np.abs(ref).max())


@pytest.mark.parametrize("sizes", [(20, 30), (90, 120)])      # primal and dual final solves
def test_many_samples_choose_on_a_subset_and_fit_on_all(monkeypatch, sizes):
    """Above `LOO_MAX_SAMPLES` samples the candidate and the relative penalty are chosen on
    a fixed random subset (its features centred again), and the choice is fitted on every
    sample: checked against `ridge_loo` of that subset and an explicit ridge solve of all
    (the normal equations; deterministic, no standard error)."""
    n, m = 160, 60
    F, Y, groups = _problem(n, sizes, seed=3)
    candidates = [[0], [0, 1]]
    monkeypatch.setattr(_ridge, "LOO_MAX_SAMPLES", m)
    fit = ridge_loo(F, Y, groups, candidates)
    rows = np.sort(np.random.default_rng(0).choice(n, m, replace=False))
    Fs = F[rows] - F[rows].mean(axis=0)
    monkeypatch.setattr(_ridge, "LOO_MAX_SAMPLES", n)
    sub = ridge_loo(Fs, Y[rows], groups, candidates)
    assert fit.candidate == sub.candidate
    np.testing.assert_array_equal(fit.errors, sub.errors)
    np.testing.assert_array_equal(fit.per_sample, sub.per_sample)
    cols = np.concatenate([groups[g] for g in candidates[fit.candidate]])
    # the same multiple of the mean Gram eigenvalue, tr(G) / n, on the subset and on all
    ratio = fit.alpha / (np.sum(F[:, cols] ** 2) / n)
    assert ratio == pytest.approx(sub.alpha / (np.sum(Fs[:, cols] ** 2) / m), rel=1e-9)
    assert np.min(np.abs(np.log(RELATIVE_ALPHAS / ratio))) < 1e-9
    A = F[:, cols]
    w = np.linalg.solve(A.T @ A + fit.alpha * np.eye(cols.size), A.T @ (Y - Y.mean(axis=0)))
    np.testing.assert_allclose(fit.coef, w.T, rtol=1e-9, atol=1e-12 * np.abs(w).max())
    np.testing.assert_allclose(fit.intercept, Y.mean(axis=0))


def test_classifier_beyond_the_subset_limit_is_reproducible(monkeypatch):
    """LinearSRNNClassifier with more training series than the leave-one-out subset: the
    same labels from two fits and for any n_jobs (the subset is drawn from a fixed seed)."""
    from srnnkit.learning import LinearSRNNClassifier

    monkeypatch.setattr(_ridge, "LOO_MAX_SAMPLES", 40)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 30, 1))
    y = np.repeat([0, 1, 2], 30)
    X[y == 1, 10:20] += 1.0
    X[y == 2] *= 2.0
    kw = dict(n_oscillators=40, random_state=0)
    a = LinearSRNNClassifier(**kw, n_jobs=1).fit(X[::2], y[::2])
    b = LinearSRNNClassifier(**kw, n_jobs=2).fit(X[::2], y[::2])
    np.testing.assert_array_equal(a.decision_function(X[1::2]), b.decision_function(X[1::2]))
    assert np.mean(a.predict(X[1::2]) == y[1::2]) > 0.6
