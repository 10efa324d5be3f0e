r"""The fluctuation-dissipation estimator (docs/theory.md §7(b), §11, §12).

.. math:: r_1(k) \approx E_{stat}\bigl[(f(h_{i+k}) - \bar f)\,v(h_i)\bigr],\qquad
          v_a(h) = -\nabla\cdot G_a(h) - G_a(h)\cdot\nabla\log p_\infty(h),

all lags at once by FFT along independent stationary runs, with :math:`G_a = c_a` for the
additive input (no divergence term) and :math:`G_a(h) = a'(Wh+b)\circ C_a`,
:math:`\nabla\cdot G_a = \sum_k a''(z_k)W_{kk}C_{ka}` with the input inside the activation.
The score :math:`\nabla\log p_\infty` is exact (linear SRNN), quasi-Gaussian (each run's own
mean and covariance), learned from the same runs by score matching (:mod:`._score`), or the
user passes the conjugate variables themselves.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._parallel import Runner
from .._random import SeedLike, child_sequences
from .._validation import fail
from ..dynamics._activations import ACTIVATIONS
from ..dynamics._agreement import RunWatch, watching
from ..dynamics._ensembles import chain_items, map_chains, run_chain_group, stationary_run
from ..dynamics._moments import Moments
from ..model._linear import analytic_output_mean, stationary_covariance
from ._montecarlo import SERIAL, _engine, _result, _xcorr, centring_constant
from ._score import (
    PRODUCT_MAX_UNITS,
    GaussianScoreWarning,
    LearnedScoreWarning,
    ScoreFeatures,
    ScoreStats,
    fit_score,
)
from ._weights import in_drift, kinked_in_drift

__all__ = ["SCORES", "conjugate_values", "fdt_first", "make_score", "warn_score"]

#: the named scores of ``method="fdt"``
SCORES = ("auto", "exact", "gaussian", "learned")
#: stationary states kept between the fit of a learned score and the correlations (floats);
#: longer runs are simulated twice (the same runs: one seed child per run)
_KEEP_FLOATS = 2 ** 25


def conjugate_values(model: Any, h: np.ndarray, s: np.ndarray, *, dt: float | None = None,
                     score_trace: np.ndarray | None = None) -> np.ndarray:
    r"""The conjugate variables (..., m) at states ``h`` (..., n) with score values ``s``.

    Additive input: :math:`v = -C^\top s`, exact for the Euler-Maruyama chain (the input
    shifts the next state's law, so the chain's stationary score is all it takes). Input
    inside the activation: the input moves the next state by :math:`\Delta\,G_a(h)`,
    :math:`G_a = a'(z)\circ C_a`, :math:`z = Wh + b`, evaluated at the *previous* state, so
    the chain's conjugate variable is :math:`v_a = -p^{-1}\nabla\cdot(p\,\bar G_a)` with
    :math:`\bar G_a(h') = E[G_a(h_j)\mid h_{j+1} = h']`. To first order in :math:`\Delta`
    (the backward step has mean :math:`\Delta(\Sigma s - F)` and covariance
    :math:`\Delta\Sigma`, :math:`\Sigma = \sigma\sigma^\top`, :math:`F` the drift),

    .. math:: \bar G_a = C_a\circ\tilde g,\quad \tilde g = a'(z) + \Delta\bigl(a''(z)\circ q
              + \tfrac12 a'''(z)\circ d\bigr),\quad q = W(\Sigma s - F),\quad
              d = \operatorname{diag}(W\Sigma W^\top),

    and :math:`v_a = -\sum_k C_{ka}(\partial_k\tilde g_k + \tilde g_k s_k)`, where
    :math:`\partial_k q_k = (W\Sigma J_s)_{kk} - (W J_F)_{kk}` (:math:`J` the Jacobians).
    Without ``dt``: the continuous-time form :math:`-\nabla\cdot G_a - G_a\cdot s`, whose
    bias against the chain is :math:`O(\Delta)` (docs/theory.md §12).

    Parameters
    ----------
    model : SRNN
        The network.
    h, s : ndarray of shape (..., n)
        States and the score :math:`\nabla\log p_\infty` there.
    dt : float, optional
        The chain's step: with the input inside the activation, the first-order correction.
    score_trace : ndarray of shape (..., n) or (n,), optional
        :math:`(W\Sigma J_s)_{kk}` at ``h`` (needed with ``dt``).

    Returns
    -------
    ndarray of shape (..., m)
    """
    if not in_drift(model):
        return -(s @ model.C)
    act = ACTIVATIONS[model.activation]
    W = model.W
    z = h @ W.T + model.b
    a1, a2 = act.derivative(z), act.second_derivative(z)
    wd = np.diag(W)
    if dt is None:
        if act.kinked:
            raise ValueError(
                f"conjugate_values: with a {act.name!r} activation and the input inside it, "
                "the continuous-time conjugate variable has a surface term (a'' is a Dirac "
                "mass at z = 0) that no pointwise formula holds; pass dt (the chain's step "
                "smooths it).")
        return -((a2 * wd + a1 * s) @ model.C)
    if score_trace is None:
        raise ValueError("conjugate_values: dt needs score_trace, (W Sigma J_s)_kk")
    S = model.diffusion
    q = (s @ S - model.drift(h)) @ W.T
    d = np.einsum("kl,lm,km->k", W, S, W)
    dq = score_trace + np.diag(W @ model.gamma_matrix) - a1 @ (W * W.T)
    if act.kinked:
        g, dg = _step_gbar(z, q, d, dq, wd, dt)
    else:
        a3, a4 = act.nth_derivative(z, 3), act.nth_derivative(z, 4)
        g = a1 + dt * (a2 * q + 0.5 * a3 * d)
        dg = a2 * wd + dt * (a3 * wd * q + a2 * dq + 0.5 * a4 * wd * d)
    return -((dg + g * s) @ model.C)


def _step_gbar(z: np.ndarray, q: np.ndarray, d: np.ndarray, dq: np.ndarray, wd: np.ndarray,
               dt: float) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\tilde g` and :math:`\partial_k\tilde g_k` of a ReLU, whose derivative is a step.

    Given the next state, the previous state's pre-activation is Gaussian to first order in
    :math:`\Delta`, :math:`z_k + \Delta q_k + \sqrt{\Delta d_k}\,\xi`, so
    :math:`\tilde g_k = E[H(\cdot)] = \Phi(u_k)` with :math:`u_k = (z_k + \Delta q_k) /
    \sqrt{\Delta d_k}`: the step smoothed over the chain's one-step noise. Its derivative
    :math:`\partial_k\tilde g_k = \varphi(u_k)(W_{kk} + \Delta\,\partial_k q_k) /
    \sqrt{\Delta d_k}` carries the Dirac mass of :math:`a''` at the chain's resolution (the
    Taylor form of the smooth activations is the same expectation to first order in
    :math:`\Delta`). A unit whose pre-activation gets no noise (:math:`d_k = 0`) keeps the
    plain step, without its mass.
    """
    from scipy.special import ndtr

    sd = np.sqrt(dt * d)
    noisy = sd > 0
    safe = np.where(noisy, sd, 1.0)
    u = (z + dt * q) / safe
    g = np.where(noisy, ndtr(u), (z + dt * q > 0).astype(float))
    dg = np.where(noisy, np.exp(-0.5 * u * u) * (wd + dt * dq) / (safe * np.sqrt(2 * np.pi)),
                  0.0)
    return g, dg


def warn_score(model: Any, score: Any, stacklevel: int) -> None:
    """:class:`GaussianScoreWarning` when ``score="gaussian"`` is asked for a nonlinear SRNN,
    :class:`LearnedScoreWarning` when the learned score is asked where it is too coarse."""
    learned = isinstance(score, str) and score in ("auto", "learned")
    if learned and kinked_in_drift(model) and model.n_hidden >= 2:
        warnings.warn(
            f"score={score!r} on a {model.n_hidden}-unit {model.activation!r} network with "
            "the input inside the activation: the learned score's features do not hold the "
            "score well enough on the units' active sides, and the FDT was measured biased "
            "there (3-22 % of the lag-0 value on 2-unit networks, docs/theory.md §12); use "
            "method='perturbation', 'pathwise' or 'girsanov'.", LearnedScoreWarning,
            stacklevel=stacklevel + 1)
    if (learned and in_drift(model) and not kinked_in_drift(model)
            and model.n_hidden > PRODUCT_MAX_UNITS):
        warnings.warn(
            f"score={score!r} on a {model.n_hidden}-unit network with the input inside the "
            f"activation: above {PRODUCT_MAX_UNITS} units the learned score leaves out the "
            "products a'(z_k) h_i (their cost grows like n^4), and without them the FDT was "
            "measured biased (4 % of the lag-0 value on a 3-unit tanh network, "
            "docs/theory.md §12); use method='perturbation', 'pathwise' or 'girsanov'.",
            LearnedScoreWarning, stacklevel=stacklevel + 1)
    if isinstance(score, str) and score == "gaussian" and not model.is_linear:
        warnings.warn(
            f"score='gaussian' on a nonlinear ({model.activation!r}) SRNN: the quasi-Gaussian "
            "conjugate variable is exact only for linear SRNNs, so this FDT estimate is "
            "biased (many standard errors at long runs); use score='learned' (score "
            "matching on the same samples, docs/theory.md §12).", GaussianScoreWarning,
            stacklevel=stacklevel + 1)


def make_score(model: Any, dt: float, score: Any
               ) -> tuple[Callable[[np.ndarray], np.ndarray] | None, str]:
    """Conjugate variables ``v(h) (..., m)``: exact (linear), user callable, or ``None`` for
    the quasi-Gaussian and the learned scores, which :func:`fdt_first` builds from the runs."""
    if callable(score):
        return _checked_callable(score, model.n_inputs), "callable"
    if score == "auto":
        score = "exact" if model.is_linear else "learned"
    if score in ("gaussian", "learned"):
        return None, score
    if not model.is_linear:
        raise ValueError("score='exact' needs a linear SRNN (the stationary density of a "
                         f"{model.activation!r} SRNN is not known in closed form); use "
                         "score='learned' (learned from the samples), 'gaussian' "
                         "(quasi-Gaussian, biased) or pass a callable (for a 1-D SRNN: "
                         "GridChain(model, dt).conjugate_variable).")
    mu = model.stationary_mean()
    S = stationary_covariance(model, dt)
    Bm = _solve_cov(S, model.C)
    return (lambda h: (h - mu) @ Bm), score


def _checked_callable(score: Callable, m: int) -> Callable[[np.ndarray], np.ndarray]:
    """The user's ``h -> v(h)``, its shape and values checked where it is called."""
    def conjugate(h: np.ndarray) -> np.ndarray:
        v = np.asarray(score(h), dtype=float)
        want = (*h.shape[:-1], m)
        if v.shape != want:
            fail("score", f"a callable h -> v(h) returning the conjugate variables, shape "
                 f"h.shape[:-1] + (n_inputs,) = {want} for h of shape {h.shape}",
                 f"shape {v.shape}")
        if not np.all(np.isfinite(v)):
            fail("score", "a callable returning finite conjugate variables",
                 f"{int(np.sum(~np.isfinite(v)))} NaN or infinite value(s)")
        return v
    return conjugate


def _check_spread(cov: np.ndarray) -> None:
    """Refuse a stationary law that does not spread in every direction of h (found by
    fuzzing: a unit with no noise and no coupling stays at 0, and the learned score, which
    does not exist there, gave kernels of 1e122 with no warning)."""
    ev = np.linalg.eigvalsh(cov)
    if not ev.size or not np.all(np.isfinite(ev)) or ev[0] <= 1e-12 * max(ev[-1], 1e-300):
        raise ValueError(
            "the stationary law is degenerate: the covariance of the states along a pilot run "
            f"is singular (eigenvalues from {ev[0]:.3g} to {ev[-1]:.3g}; some direction of h "
            "gets no noise, directly or through the coupling), so the score grad log p of "
            "the FDT does not exist; use method='perturbation' or 'pathwise'.")


def _solve_cov(S: np.ndarray, C: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(S, C)
    except np.linalg.LinAlgError:
        raise ValueError("the stationary covariance is singular, so the Gaussian score does not "
                         "exist; use method='perturbation' or pass score=callable.") from None


def _gaussian_body(model: Any, dt: float, n_lags: int, counts: np.ndarray) -> Callable:
    """Per-run quasi-Gaussian FDT: the run's own mean and covariance, f centred by the run."""
    additive = not in_drift(model)
    A = model.W @ model.diffusion                        # (W Sigma J_s)_kk, J_s = -S^-1

    def body(states: np.ndarray, _: Any = None) -> np.ndarray:
        f = model.output(states)
        f = f - f.mean(axis=1, keepdims=True)
        dev = states - states.mean(axis=1, keepdims=True)
        S = np.einsum("bti,btj->bij", dev, dev) / states.shape[1]
        if additive:
            x = np.einsum("bti,bim->btm", dev,
                          np.stack([_solve_cov(s, model.C) for s in S]))
        else:                  # the Gaussian score -S^{-1}(h - mean) in the general form
            P = np.stack([_solve_cov(s, np.eye(s.shape[0])) for s in S])
            score = -np.einsum("bti,bij->btj", dev, P)
            trace = -np.einsum("ki,bik->bk", A, P)[:, None, :]
            x = conjugate_values(model, states, score, dt=dt, score_trace=trace)
        return _xcorr(x, f, n_lags) / counts
    return body


@_engine
def fdt_first(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int, seed: SeedLike,
              burn_in: int | None, score: Any, par: Runner = SERIAL,
              watch: RunWatch | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """``R(k dt) = E_stat[(f(h_{i+k}) - <f>) v(h_i)]`` by FFT, stderr across runs.

    The quasi-Gaussian score ``-S^{-1} (h - mu)`` uses each run's own mean and covariance,
    which makes the lag-0 value exact for a linear readout (f is centred by the run's mean).
    Exact, learned and callable scores (mean zero) are used as they are, and f is centred by
    a noise-independent constant (:func:`centring_constant`), so no ``O(1/n_steps)`` bias.
    Returns ``(mean, stderr, info)``; ``info`` names the score (and the learned fit).
    ``watch`` (:class:`RunWatch`) keeps the runs' batch means of the outputs.
    """
    watch = watching(watch)
    v, score_kind = make_score(model, dt, score)
    runs, pilot = child_sequences(seed, 2)
    counts = (n_steps + 1 - np.arange(n_lags))[None, :, None, None]
    info: dict[str, Any] = {"score": score_kind}
    if score_kind == "learned":
        return _learned(model, dt, n_lags, n_chains, n_steps, seed, burn_in, par, info, watch)
    if v is None:
        body = _gaussian_body(model, dt, n_lags, counts)
    else:
        fbar = centring_constant(model, dt, pilot, burn_in, n_steps)

        def body(states: np.ndarray, _: Any = None) -> np.ndarray:
            # an exact score has mean zero: no centring of v, none of f by the run
            return _xcorr(v(states), model.output(states) - fbar, n_lags) / counts
    acc = Moments((n_lags, model.n_outputs, model.n_inputs))
    for est in watch.results(map_chains(par, watch.body(body), model, dt, n_chains, n_steps,
                                        runs, burn_in)):
        acc.add(est, axis=0)
    mean, se = _result(acc)
    return mean, se, info


def _pilot(model: Any, dt: float, seed: SeedLike, burn_in: int | None, n_steps: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fbar, mean, cov)`` from the noise-independent pilot of :func:`centring_constant`
    (the same run; the closed forms for a linear SRNN)."""
    if model.is_linear and getattr(model.readout, "kind", "") in ("linear", "identity",
                                                                   "quadratic"):
        return (analytic_output_mean(model, dt), model.stationary_mean(),
                stationary_covariance(model, dt))
    states = stationary_run(model, dt, n_steps, seed, burn_in)
    return (model.output(states).mean(axis=0), states.mean(axis=0),
            np.atleast_2d(np.cov(states.T)))


def _learned(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int, seed: SeedLike,
             burn_in: int | None, par: Runner, info: dict, watch: Any) -> tuple:
    r"""FDT with the score learned from the runs themselves.

    The standard error accounts for the fit: run r's estimate :math:`R_r(\hat\theta)` gets
    the first-order change :math:`\nabla_\theta\bar R\cdot(u_r - \bar u)` that its own
    samples make in the pooled fit (:meth:`LearnedScore.influence`; :math:`\nabla_\theta\bar
    R` pooled over every run), and the standard error is that of these pseudo-values across
    runs. Without it the runs' scatter would ignore that the pooled score cancels much of
    each run's fluctuation (measured: a standard error 5x too large at lag 0 on a 1-D tanh
    SRNN; with the correction the spread of estimates over 24 seeds is 0.9-1.1 times the
    reported standard error).
    """
    runs, pilot, feat_seed = child_sequences(seed, 3)
    fbar, mean, cov = _pilot(model, dt, pilot, burn_in, n_steps)
    _check_spread(cov)
    features = ScoreFeatures(model, mean, cov, n_fourier=0, seed=feat_seed)
    items = chain_items(model, n_chains, n_steps, runs)
    est, pseudo, learned = _two_passes(model, dt, n_lags, n_steps, burn_in, par, features,
                                       fbar, items, watch)
    acc, acc_se = (Moments((n_lags, model.n_outputs, model.n_inputs)) for _ in range(2))
    acc.add(est, axis=0)
    acc_se.add(pseudo, axis=0)
    info["score_fit"] = learned.diagnostics
    return acc.mean, acc_se.stderr(), info


def _two_passes(model: Any, dt: float, n_lags: int, n_steps: int, burn_in: int | None,
                par: Runner, features: ScoreFeatures, fbar: np.ndarray, items: list,
                watch: Any) -> tuple:
    """The fit, then the correlations: the runs are kept between the two passes (or, beyond
    :data:`_KEEP_FLOATS`, simulated again: the same runs). The fit uses every state of a run
    up to :func:`_fit_stride`; the fit correction of the standard error is correlated at
    about 1024 evenly spaced times per run (:func:`_direction_correlations`).
    Returns the per-run estimates, their pseudo-values and the fitted score."""
    n_chains = sum(len(it[1]) for it in items)
    keep = n_chains * (n_steps + 1) * model.n_hidden <= _KEEP_FLOATS
    stride = _fit_stride(n_steps, features.n_features)

    def states_of(item: tuple) -> np.ndarray:
        return run_chain_group(model, dt, n_steps, item[1], burn_in, first=item[0])[0]

    def fit_states(states: np.ndarray) -> tuple:
        return ([ScoreStats.of(features, st[::stride]) for st in states],
                (states if keep else None))

    def fit_body(item: tuple) -> tuple:
        return watch.body(fit_states)(states_of(item))

    stats: list[ScoreStats] = []
    kept: list[np.ndarray | None] = []
    for per_run, states in watch.results(par.map(fit_body, items)):
        stats += per_run
        kept.append(states)
    learned = fit_score(features, stats)
    u = np.stack([learned.influence(st) for st in stats])            # (n_chains, K, n)
    u -= u.mean(axis=0)
    counts = (n_steps + 1 - np.arange(n_lags))[None, :, None, None]
    sub = _subsample(n_steps, n_lags)
    A = model.W @ model.diffusion

    def body(job: tuple) -> tuple:
        item, states = job
        states = states_of(item) if states is None else states
        f = model.output(states) - fbar
        x = np.empty((*states.shape[:2], model.n_inputs))
        grad = 0.0
        for b, st in enumerate(states):
            score, trace = features.score_and_trace(st, learned.theta, A)
            x[b] = conjugate_values(model, st, score, dt=dt, score_trace=trace)
            grad = grad + _direction_correlations(model, st[sub], features(st[sub]), u, f[b],
                                                  sub, n_lags)
        return _xcorr(x, f, n_lags) / counts, grad

    ests, grad = [], 0.0
    for est, g in par.map(body, list(zip(items, kept, strict=True))):
        ests.append(est)
        grad = grad + g
    est = np.concatenate(ests)                                        # (R, n_lags, p, m)
    grad = grad / (n_chains * sub.size)                               # (n_lags, p, R, m)
    return est, est + grad.transpose(2, 0, 1, 3), learned


def _fit_stride(n_steps: int, n_features: int, flops: float = 2e8) -> int:
    """Every ``stride``-th state of a run enters the fit: all of them unless the Gram matrix
    (samples x K**2) would cost more than ``flops`` per run, and at least 8192 per run
    (neighbouring states are strongly correlated, so little is lost)."""
    per_run = max(8192, int(flops / n_features ** 2))
    return max(1, (n_steps + 1) // per_run)


def _subsample(n_steps: int, n_lags: int, target: int = 1024) -> np.ndarray:
    """Times at which the fit's correction is correlated: about ``target`` per run, evenly
    spaced (neighbouring states are strongly correlated, so little is lost)."""
    last = n_steps + 1 - n_lags
    return np.arange(0, last + 1, max(1, (last + 1) // target))


def _direction_correlations(model: Any, h: np.ndarray, phi: np.ndarray, u: np.ndarray,
                            f: np.ndarray, sub: np.ndarray, n_lags: int) -> np.ndarray:
    r""":math:`\sum_{t} (f(h_{t+k}) - \bar f)\,w_r(h_t)` over the times ``sub`` of one run,
    for each fit direction :math:`u_r` (K, n): :math:`w_r = -G(h)\cdot(\phi(h)u_r)` is the
    change of the conjugate variables along :math:`u_r`. Shape (n_lags, p, n_chains, m)."""
    R, K, n = u.shape
    m = model.n_inputs
    s = phi @ u.transpose(1, 0, 2).reshape(K, R * n)                  # (T, R n)
    s = s.reshape(len(sub), R, n)
    if in_drift(model):
        act = ACTIVATIONS[model.activation]
        s = s * act.derivative(h @ model.W.T + model.b)[:, None, :]
    w = -(s @ model.C)                                                 # (T, R, m)
    p = f.shape[1]
    lagged = f[sub[:, None] + np.arange(n_lags)[None, :]]              # (T, n_lags, p)
    out = lagged.reshape(len(sub), n_lags * p).T @ w.reshape(len(sub), R * m)
    return out.reshape(n_lags, p, R, m)
