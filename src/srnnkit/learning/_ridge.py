"""Ridge with an unpenalised intercept, penalty and feature blocks chosen by leave-one-out.

One eigendecomposition per candidate feature set gives the exact leave-one-out residuals of
every penalty (the hat-matrix identity), so choosing among a few candidates and a whole
penalty grid costs about as much as one fit. The penalty grid is *relative*: each candidate
:math:`\\alpha` is a multiple of the mean eigenvalue :math:`\\operatorname{tr}(G)/n` of the
candidate's Gram matrix, so the same grid fits any number and scale of features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._stats import mean_se, unit_exponent

__all__ = ["RELATIVE_ALPHAS", "RidgeLOO", "eigh", "loo_errors", "loo_residuals",
           "loo_table", "relative_scale", "ridge_loo"]

# Penalties relative to the mean eigenvalue of the (centred) Gram matrix tr(G)/n.
RELATIVE_ALPHAS = np.logspace(-7, 1, 17)


@dataclass
class RidgeLOO:
    """The leave-one-out choice: candidate index, penalty, and the fitted readout."""

    candidate: int
    alpha: float
    coef: np.ndarray          # (n_outputs, n_columns of the chosen candidate)
    intercept: np.ndarray     # (n_outputs,)
    errors: np.ndarray        # (n_candidates, n_alphas) mean squared LOO error
    per_sample: np.ndarray | None = None   # (n,) the chosen one's squared LOO errors,
    # in the units of the choice: targets times 2^-unit_exponent(Y) (no overflow at 1e200)
    alpha_index: int | None = None         # the chosen penalty's index in the grid


#: Above this many samples `ridge_loo` chooses on this many of them (a fixed random subset)
#: and fits the choice on all: its eigendecompositions grow as n^3 (2000 series: 1 s each, 8
#: candidates; 10^4 series took 780 s and 16 GB)
LOO_MAX_SAMPLES = 2048

# Below this size a symmetric eigendecomposition runs on one BLAS thread: threads do not
# speed it up, and on a busy machine OpenBLAS threads spinning on a small problem can make it
# 100x slower.
_SMALL = 2048


@lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def eigh(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.linalg.eigh``, on one BLAS thread for matrices below ``_SMALL``."""
    if A.shape[0] > _SMALL:
        return np.linalg.eigh(A)
    with _blas_controller().limit(limits=1, user_api="blas"):
        return np.linalg.eigh(A)


def relative_scale(lam: np.ndarray, n: int) -> float:
    """The mean eigenvalue ``tr(G) / n`` that a relative penalty grid multiplies; 1 for a
    zero Gram: constant features (or a constant kernel) leave the intercept alone, whose
    leave-one-out errors any positive scale gives (a tiny one divided by zero)."""
    total = float(np.sum(lam))
    return total / n if total > 0 else 1.0


def _spectrum(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Q`` (n, r) with orthonormal columns and ``lam`` (r,) with ``F F^T = Q diag(lam) Q^T``.

    From the n x n Gram matrix when ``n <= p``, else from the p x p covariance (whichever is
    smaller), so the cost is ``O(min(n, p)^2 max(n, p))``.
    """
    n, p = F.shape
    if n <= p:
        return _gram_spectrum(F @ F.T)
    else:
        s, W = eigh(F.T @ F)
        keep = s > s.max(initial=0.0) * 1e-12
        lam, Q = s[keep], (F @ W[:, keep]) / np.sqrt(s[keep])
    return np.clip(lam, 0.0, None), Q


def _gram(A: np.ndarray) -> np.ndarray:
    """``A @ A.T`` from one copy of ``A``: NumPy then computes one triangle (BLAS ``syrk``).

    ``F[:, g] @ F[:, g].T`` gathered the columns twice and multiplied two distinct arrays
    (``gemm``, twice the work: found by profiling, the group Grams were a fifth of
    `LinearSRNNClassifier`'s fit on JapaneseVowels and PLAID); the numbers differ from it
    by rounding (about 1e-16 of the entries).

    Parameters
    ----------
    A : ndarray of shape (n, p)

    Returns
    -------
    ndarray of shape (n, n)
    """
    return A @ A.T


def _gram_spectrum(G: np.ndarray, overwrite: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Full eigenbasis of the Gram matrix ``G`` (n, n) of centred features, with the constant
    vector ``u = 1/sqrt(n)`` one of its columns (eigenvalue 0).

    ``G u = 0``, and `loo_residuals` leaves out the eigenvector closest to ``u`` (the
    intercept's direction). When ``G`` has other null vectors (fewer independent columns
    than ``n - 1``: a candidate with few columns among many series), ``eigh`` returns any
    basis of the null space, ``u`` spread over several of its vectors, and leaving one of
    them out misplaced the intercept (found by fuzzing: leave-one-out errors 1-25 % off,
    predictions 8 % off). ``G + 2 tr(G) u u^T`` has ``u`` as its top eigenvector, apart from
    the rest; its eigenvalue is set back to 0. ``overwrite``: ``G`` (the caller's own) holds
    the shifted matrix afterwards (no copy).
    """
    n = G.shape[0]
    total = float(np.trace(G))
    shift = 2.0 * total if total > 0 else 1.0
    zero = not np.any(G)
    if overwrite:
        G += shift / n
    else:
        G = G + shift / n
    lam, Q = eigh(G)
    lam = np.clip(lam, 0.0, None)
    lam[int(np.argmax(np.abs(Q.sum(axis=0))))] = 0.0
    if zero:
        # a zero Gram (a constant kernel, constant features): the shift's rounding left
        # eigenvalues of 1e-17, whose sum set a relative penalty scale of 1e-18 and let them
        # carry the fit (a constant precomputed kernel predicted -384 for targets of mean -0.22)
        lam[:] = 0.0
    return lam, Q


def loo_errors(lam: np.ndarray, Q: np.ndarray, Yc: np.ndarray,
               alphas: np.ndarray, *, intercept: bool = True) -> np.ndarray:
    r"""Mean squared leave-one-out error (summed over outputs) of ridge for each penalty.

    For centred targets ``Yc`` and centred features with Gram
    :math:`G = Q\,\mathrm{diag}(\lambda)\,Q^\top`, the hat matrix of ridge with an
    unpenalised intercept is :math:`H = Q\,\mathrm{diag}(\lambda/(\lambda+\alpha))\,Q^\top
    + \mathbf{1}\mathbf{1}^\top/n` and the leave-one-out residual is
    :math:`(y_i - \hat y_i)/(1 - H_{ii})` (without the :math:`1/n` term when ``intercept``
    is False).

    When ``Q`` is a full eigenbasis (``n x n``) the residual is evaluated as
    :math:`c_i / D_{ii}` with :math:`c = M Y`, :math:`D = \mathrm{diag}(M)`,
    :math:`M = \sum_j q_j q_j^\top/(\lambda_j+\alpha)` over the eigenvectors other than the
    constant one (the intercept's direction; all of them without intercept): a sum of
    positive terms, accurate even where ridge nearly interpolates (``1 - H_ii`` tiny), as
    in scikit-learn's ``RidgeCV``. Otherwise (``Q`` spans the features' range only, more
    samples than features) the complement is added in closed form.
    """
    return loo_table(lam, Q, Yc, alphas, intercept=intercept).mean(axis=1)


# `loo_table` evaluates at most this many values of c (samples x outputs x penalties) at once
_LOO_BLOCK = 1 << 22


def loo_table(lam: np.ndarray, Q: np.ndarray, Yc: np.ndarray, alphas: np.ndarray, *,
              intercept: bool = True) -> np.ndarray:
    """Squared leave-one-out errors of every sample (summed over outputs) for each penalty.

    The numbers of `loo_residuals` (see `loo_errors`), every penalty from one pass over
    ``Q`` and ``Q * Q``: ``c`` and ``diag(M)`` of all the penalties are two matrix products
    (BLAS ``gemm``) instead of two matrix-vector products per penalty, which read the
    ``n x n`` eigenbasis from memory 34 times for the 17 penalties of `RELATIVE_ALPHAS`
    (found by profiling `LinearSRNNClassifier` on 2000 series: 0.63 s of a 12.5 s fit; the
    per-sample errors of the chosen penalty were a further pass). They differ from
    `loo_residuals` by rounding (a few 1e-16 relative).

    Parameters
    ----------
    lam : ndarray of shape (r,)
    Q : ndarray of shape (n, r)
        Orthonormal columns, ``G = Q diag(lam) Q^T``.
    Yc : ndarray of shape (n, k)
        Centred targets.
    alphas : ndarray of shape (a,)
        Penalties (absolute).
    intercept : bool, default=True

    Returns
    -------
    ndarray of shape (a, n)
        Row ``j``: each sample's squared leave-one-out residual at ``alphas[j]``, summed
        over the outputs; its mean is ``loo_errors(...)[j]``.
    """
    n, k = Yc.shape
    r = Q.shape[1]
    alphas = np.asarray(alphas, float)
    QtY = Q.T @ Yc
    Q2 = Q * Q
    full = r == n
    keep = np.ones(r)
    if full and intercept:          # the eigenvector closest to the constant direction
        keep[int(np.argmax(np.abs(Q.sum(axis=0))))] = 0.0
    out = np.empty((alphas.size, n))
    if not full:
        rest = np.clip(1.0 - Q2.sum(axis=1) - (1.0 / n if intercept else 0.0), 0.0, None)
        resid = Yc - Q @ QtY        # the part of Yc outside Q's span
    step = max(1, _LOO_BLOCK // max(1, n * k))
    for a0 in range(0, alphas.size, step):
        a = alphas[a0:a0 + step]
        W = keep[:, None] / (lam[:, None] + a)                      # (r, na)
        C = (Q @ (QtY[:, :, None] * W[:, None, :]).reshape(r, k * a.size)
             ).reshape(n, k, a.size)
        D = Q2 @ W                                                  # (n, na)
        if not full:                # the null space of G outside Q's span, weight 1/alpha
            C += resid[:, :, None] / a
            D += rest[:, None] / a
        C /= np.maximum(D, np.finfo(float).tiny)[:, None, :]
        out[a0:a0 + a.size] = np.einsum("ikj,ikj->ji", C, C)
    return out


def loo_residuals(lam: np.ndarray, Q: np.ndarray, Yc: np.ndarray, alphas: np.ndarray, *,
                  intercept: bool = True):
    """Yield the leave-one-out residuals ``(n, k)`` for each penalty (see `loo_errors`).

    One penalty at a time, two matrix-vector products each: the plain path that
    `loo_table` (all penalties at once) is checked against.
    """
    n = Yc.shape[0]
    QtY = Q.T @ Yc
    Q2 = Q * Q
    full = Q.shape[1] == n
    keep = np.ones(Q.shape[1])
    if full and intercept:          # the eigenvector closest to the constant direction
        keep[int(np.argmax(np.abs(Q.sum(axis=0))))] = 0.0
    rest = np.clip(1.0 - Q2.sum(axis=1) - (1.0 / n if intercept else 0.0), 0.0, None)
    for a in alphas:
        w = keep / (lam + a)
        c = Q @ (QtY * w[:, None])
        d = Q2 @ w
        if not full:                # the null space of G outside Q's span, weight 1/alpha
            c = c + (Yc - Q @ QtY) / a
            d = d + rest / a
        yield c / np.maximum(d, np.finfo(float).tiny)[:, None]


def _candidate_spectra(F: np.ndarray, groups: Sequence[np.ndarray],
                       candidates: Sequence[Sequence[int]], weights: Sequence[Sequence[float]],
                       column_weights: Sequence[np.ndarray | None], colw: list[np.ndarray],
                       columns: list[np.ndarray], wcols: list[np.ndarray]) -> list[tuple]:
    """``(lam, Q)`` of each candidate's weighted columns (see `ridge_loo`).

    The n x n Grams of the groups, summed per candidate, serve the candidates with at least
    ``n`` columns (`_gram_spectrum`: a full eigenbasis); one with fewer columns is
    decomposed from its own ``p_c x p_c`` covariance (`_spectrum`), ``O(p_c^2 n)`` instead of
    ``O(n^3)``: found by profiling `LinearSRNNClassifier` on 2000 series of 20 steps, whose
    two candidates of linear readouts (1000 and 2000 columns) went through 2000 x 2000
    eigendecompositions (0.9 s each; 1000 x 1000: 0.14 s).

    Parameters
    ----------
    F : ndarray of shape (n, p)
    groups, candidates, weights, column_weights : as in `ridge_loo` (filled in)
    colw : list of ndarray
        Per group, its column weights (ones where ``column_weights`` has ``None``).
    columns, wcols : list of ndarray
        Per candidate, its columns and their weights (group weight times column weight).

    Returns
    -------
    list of (ndarray, ndarray)
        Per candidate, ``lam`` and ``Q`` with ``F_c F_c^T = Q diag(lam) Q^T``.
    """
    n = F.shape[0]
    wide = [cols.size >= n for cols in columns]
    used = {g for c, cand in enumerate(candidates) if wide[c] for g in cand}
    blocks = [_gram(_times(F[:, g], w) if column_weights[k] is not None else F[:, g])
              if k in used else None
              for k, (g, w) in enumerate(zip(groups, colw, strict=True))]
    spectra = []
    for c, cols in enumerate(columns):
        if wide[c]:
            spectra.append(_gram_spectrum(_weighted_sum(
                [blocks[g] for g in candidates[c]], weights[c]), overwrite=True))
        else:
            spectra.append(_spectrum(_times(F[:, cols], wcols[c])))
    return spectra


def _times(A: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``A * w`` into ``A`` (a gathered copy of columns, the caller's own): the same bits
    without a second copy."""
    A *= w
    return A


def _weighted_sum(blocks: list[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """``sum(B * w ** 2 for B, w in zip(blocks, weights))`` into one new array: the same
    bits (the additions in the same order, from 0) with one temporary instead of two per
    block (each an ``n x n`` pass: found by profiling, 2000 series)."""
    G = blocks[0] * float(weights[0]) ** 2
    G += 0.0                                    # Python's sum starts from 0: -0.0 -> 0.0
    tmp = np.empty_like(G) if len(blocks) > 1 else None
    for B, w in zip(blocks[1:], weights[1:], strict=True):
        G += np.multiply(B, float(w) ** 2, out=tmp)
    return G


def ridge_loo(F: np.ndarray, Y: np.ndarray, groups: Sequence[np.ndarray],
              candidates: Sequence[Sequence[int]], alphas: np.ndarray | None = None, *,
              relative: bool = True,
              weights: Sequence[Sequence[float]] | None = None,
              column_weights: Sequence[np.ndarray | None] | None = None) -> RidgeLOO:
    """Choose a set of column groups of ``F`` and a penalty by exact leave-one-out, then fit.

    Parameters
    ----------
    F : ndarray of shape (n, p)
        Features with column means 0 (e.g. standardised); the intercept is unpenalised.
    Y : ndarray of shape (n, k)
        Targets (``+-1`` columns for one-vs-rest classification).
    groups : sequence of integer arrays
        Disjoint column groups.
    candidates : sequence of sequences of int
        The group sets to compare (e.g. ``[[0], [0, 1]]``); the Gram matrix of each group is
        computed once and the candidates with at least ``n`` columns sum them; one with fewer
        columns is decomposed from its own covariance matrix (the smaller one).
    alphas : ndarray or None
        Penalties; ``None``: `RELATIVE_ALPHAS`.
    relative : bool, default=True
        ``alphas`` are multiples of ``tr(G)/n`` of each candidate (else absolute).
    weights : sequence of sequences of float or None, default=None
        Per candidate, a positive weight for each of its groups: the group's columns are
        multiplied by it, so that its penalty is the candidate's divided by the weight's
        square (a penalty scale per group). ``None``: every weight 1. ``coef`` is returned
        for the unweighted columns.
    column_weights : sequence of (ndarray or None) or None, default=None
        Per group, a weight for each of its columns (``None``: 1), multiplied into the
        candidate's group weight: a penalty scale per column.

    Returns
    -------
    RidgeLOO
        ``candidate`` indexes ``candidates``; ``coef`` is over the candidate's columns in
        the order of its groups; ``per_sample`` holds the chosen candidate's squared
        leave-one-out error of each sample (summed over outputs) at its penalty, for the
        targets scaled by ``2**-unit_exponent(Y)`` (the same for every call with ``Y``;
        the errors of targets near 1e200 would overflow). Each
        candidate is scored at its best penalty (ties go to the larger); the chosen one is
        the first (list candidates simplest first) whose score is within one standard
        error of the best score (the one-standard-error rule, with the standard error of
        the mean paired difference of the per-sample leave-one-out errors, candidate minus
        best). Above `LOO_MAX_SAMPLES` samples the choice is made on a fixed random subset
        of that many and fitted on all (`_ridge_subsampled`).
    """
    n = F.shape[0]
    if n > LOO_MAX_SAMPLES:
        return _ridge_subsampled(F, Y, groups, candidates, alphas, relative=relative,
                                 weights=weights, column_weights=column_weights)
    # targets beyond 1e30 or below 1e-30 are chosen for at unit size (exactly: a power of
    # two); the spread of squared errors holds their fourth power and overflowed at 1e80
    shift = unit_exponent(Y)
    Yc = np.ldexp(Y - Y.mean(axis=0), -shift)
    grid = RELATIVE_ALPHAS if alphas is None else np.asarray(alphas, float)
    weights, column_weights, colw, columns, wcols = _candidate_columns(
        groups, candidates, weights, column_weights)
    spectra = _candidate_spectra(F, groups, candidates, weights, column_weights, colw,
                                 columns, wcols)
    errors = np.empty((len(candidates), grid.size))
    tables = []                     # per candidate, each sample's errors at each penalty
    for c, (lam, Q) in enumerate(spectra):
        scale = relative_scale(lam, n) if relative else 1.0
        spectra[c] = (lam, Q, scale)
        tables.append(loo_table(lam, Q, Yc, grid * scale))
        errors[c] = tables[c].mean(axis=1)
    # each candidate at its best penalty (ties -> the larger); then the one-standard-error
    # rule: the first (simplest) candidate within one standard error of the best one
    best_a = [int(np.flatnonzero(row <= row.min() * (1.0 + 1e-10) + 1e-300)[-1])
              for row in errors]
    scores = errors[np.arange(len(candidates)), best_a]
    b = int(np.argmin(scores))
    per = [table[a_i] for table, a_i in zip(tables, best_a, strict=True)]
    # standard error of each candidate's paired difference to the best (same samples)
    se = np.array([mean_se(p - per[b]) for p in per])
    c = int(np.flatnonzero(scores <= scores[b] + se)[0])
    lam, Q, scale = spectra[c]
    alpha = float(grid[best_a[c]] * scale)
    # w = F^T (F F^T + alpha I)^{-1} Y = F^T Q diag(1/(lam + alpha)) Q^T Y: the complement of
    # Q's span holds no feature direction (F^T (I - Q Q^T) = 0), so it drops out. The form
    # (Y - Q diag(lam/(lam+alpha)) Q^T Y) / alpha is the same number in exact arithmetic but
    # cancels and divides by alpha: 1e3 off at alpha = 1e-14 (found by fuzzing)
    dual = Q @ ((Q.T @ Yc) / (lam + alpha)[:, None])
    # the weighted columns' coefficients times the weights: those of the plain columns
    coef = np.ldexp((dual.T @ F[:, columns[c]]) * wcols[c] ** 2, shift)
    intercept = Y.mean(axis=0)
    with np.errstate(over="ignore"):
        return RidgeLOO(c, alpha, coef, intercept, np.ldexp(errors, 2 * shift), per[c],
                        best_a[c])


def _candidate_columns(groups: Sequence[np.ndarray], candidates: Sequence[Sequence[int]],
                       weights: Sequence[Sequence[float]] | None,
                       column_weights: Sequence[np.ndarray | None] | None) -> tuple:
    """``ridge_loo``'s ``weights`` and ``column_weights`` filled in (every weight 1 for
    ``None``), each group's column weights ``colw``, and per candidate its ``columns`` and
    their weights ``wcols`` (group weight times column weight)."""
    if weights is None:
        weights = [[1.0] * len(c) for c in candidates]
    if column_weights is None:
        column_weights = [None] * len(groups)
    colw = [np.ones(g.size) if w is None else np.asarray(w, float)
            for g, w in zip(groups, column_weights, strict=True)]
    columns = [np.concatenate([groups[g] for g in c]) for c in candidates]
    wcols = [np.concatenate([colw[g] * float(w) for g, w in zip(c, ws, strict=True)])
             for c, ws in zip(candidates, weights, strict=True)]
    return weights, column_weights, colw, columns, wcols


def _ridge_subsampled(F: np.ndarray, Y: np.ndarray, groups: Sequence[np.ndarray],
                      candidates: Sequence[Sequence[int]], alphas: np.ndarray | None, *,
                      relative: bool, weights: Sequence[Sequence[float]] | None,
                      column_weights: Sequence[np.ndarray | None] | None) -> RidgeLOO:
    """`ridge_loo` of more than `LOO_MAX_SAMPLES` samples: the candidate and the penalty are
    chosen by leave-one-out on a fixed random subset of that many samples (drawn from seed
    0, so the same for every call with ``n`` samples; its features centred again), and the
    chosen candidate is fitted on all ``n`` at that penalty (relative: the same multiple of
    the whole set's mean Gram eigenvalue ``tr(G)/n``) by a Cholesky solve of the smaller
    of its Gram and covariance matrices. ``errors`` and ``per_sample`` are the subset's."""
    import scipy.linalg

    n = F.shape[0]
    rows = np.sort(np.random.default_rng(0).choice(n, LOO_MAX_SAMPLES, replace=False))
    Fs = F[rows]
    Fs -= Fs.mean(axis=0)
    sub = ridge_loo(Fs, Y[rows], groups, candidates, alphas, relative=relative,
                    weights=weights, column_weights=column_weights)
    del Fs
    c = sub.candidate
    *_, columns, wcols = _candidate_columns(groups, candidates, weights, column_weights)
    A = _times(F[:, columns[c]], wcols[c])
    # the subset's penalty as the same multiple of the whole set's tr(G) / n (the sum of
    # G's diagonal, the rows' squared norms)
    grid = RELATIVE_ALPHAS if alphas is None else np.asarray(alphas, float)
    scale = relative_scale(np.einsum("ij,ij->i", A, A), n) if relative else 1.0
    alpha = float(grid[sub.alpha_index] * scale)
    shift = unit_exponent(Y)
    Yc = np.ldexp(Y - Y.mean(axis=0), -shift)
    # w = A^T (A A^T + alpha I)^{-1} Yc = (A^T A + alpha I)^{-1} A^T Yc: the smaller system
    if A.shape[1] < n:
        M = A.T @ A
        M[np.diag_indices_from(M)] += alpha
        w = scipy.linalg.solve(M, A.T @ Yc, assume_a="pos")
    else:
        M = A @ A.T
        M[np.diag_indices_from(M)] += alpha
        w = A.T @ scipy.linalg.solve(M, Yc, assume_a="pos")
    coef = np.ldexp(w.T * wcols[c], shift)
    return RidgeLOO(c, alpha, coef, Y.mean(axis=0), sub.errors, sub.per_sample,
                    sub.alpha_index)
