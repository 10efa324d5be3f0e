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
from ._batches import RunBatches
from ._montecarlo import SERIAL, _engine, _result, _xcorr, centring_constant
from ._score import (
    PRODUCT_MAX_UNITS,
    FDTStepWarning,
    GaussianScoreWarning,
    LearnedScoreWarning,
    ScoreFeatures,
    ScoreStats,
    fit_score,
)
from ._weights import girsanov_matrix, in_drift, kinked_in_drift

__all__ = ["SCORES", "StepCheck", "conjugate_values", "fdt_first", "make_score", "warn_score",
           "warn_step"]

#: the named scores of ``method="fdt"``
SCORES = ("auto", "exact", "gaussian", "learned")
#: stationary states kept between the fit of a learned score and the correlations (floats);
#: longer runs are simulated twice (the same runs: one seed child per run)
_KEEP_FLOATS = 2 ** 25
#: the fit's statistics of the fine batches of few runs (floats, :class:`._batches.RunBatches`)
#: are kept until the fit: beyond this the fine batches are made longer (256 MiB)
_FINE_STATS_FLOATS = 2 ** 25
#: family-wise false-alarm rate of StepCheck's difference test on an unbiased estimate
STEP_CHECK_ALPHA = 1e-4
#: the centred correction's change of the kernel, in the estimate's standard errors, above
#: which StepCheck flags the estimate (raised with few runs, :meth:`StepCheck.thresholds`)
STEP_CENTRING_Z = 3.0


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
    if dt is None:
        act = ACTIVATIONS[model.activation]
        if act.kinked:
            raise ValueError(
                f"conjugate_values: with a {act.name!r} activation and the input inside it, "
                "the continuous-time conjugate variable has a surface term (a'' is a Dirac "
                "mass at z = 0) that no pointwise formula holds; pass dt (the chain's step "
                "smooths it).")
        z = h @ model.W.T + model.b
        return -((act.second_derivative(z) * np.diag(model.W) + act.derivative(z) * s)
                 @ model.C)
    if score_trace is None:
        raise ValueError("conjugate_values: dt needs score_trace, (W Sigma J_s)_kk")
    g, dg, _, _ = chain_gbar(model, h, s, dt, score_trace)
    return -((dg + g * s) @ model.C)


def chain_gbar(model: Any, h: np.ndarray, s: np.ndarray, dt: float, score_trace: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r""":math:`\tilde g`, :math:`\partial_k\tilde g_k`, :math:`a'(z)` and the drift at states
    ``h``, each (..., n), of :func:`conjugate_values` with ``dt`` (input inside the
    activation).

    :math:`\tilde g - a'(z)` is the first-order correction. The chain's exact
    :math:`\bar G` has the mean of :math:`G` over the stationary law (the tower property:
    :math:`h_j` and :math:`h_{j+1}` have one law), so the mean of the correction is the
    :math:`O(\Delta^2)` error that :class:`StepCheck` measures."""
    act = ACTIVATIONS[model.activation]
    W = model.W
    z = h @ W.T + model.b
    a1, a2 = act.derivative(z), act.second_derivative(z)
    wd = np.diag(W)
    S = model.diffusion
    F = model.drift(h)
    q = (s @ S - F) @ W.T
    d = np.einsum("kl,lm,km->k", W, S, W)
    dq = score_trace + np.diag(W @ model.gamma_matrix) - a1 @ (W * W.T)
    if act.kinked:
        g, dg = _step_gbar(z, q, d, dq, wd, dt)
    else:
        a3, a4 = act.nth_derivative(z, 3), act.nth_derivative(z, 4)
        g = a1 + dt * (a2 * q + 0.5 * a3 * d)
        dg = a2 * wd + dt * (a3 * wd * q + a2 * dq + 0.5 * a4 * wd * d)
    return g, dg, a1, F


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


def check_lags(n_lags: int, n_check: int = 12) -> np.ndarray:
    """The lags of :class:`StepCheck`: 0-3, then about evenly spaced in log up to the last
    (at most ``n_check``)."""
    lags = np.round(np.geomspace(4, max(n_lags - 1, 4), max(n_check - 4, 1))).astype(int)
    lags = np.unique(np.concatenate([np.arange(4), lags]))
    return lags[lags < n_lags][:n_check]


class StepCheck:
    r"""Two checks of the FDT's :math:`O(\Delta^2)` remainder with the input inside the
    activation, on the estimate's own runs (``info["fdt_step_check"]``, `FDTStepWarning`).

    *Centring.* The chain's exact :math:`\bar G` has the stationary mean of :math:`G` (the
    tower property), so the mean :math:`\delta` of the first-order correction
    :math:`\tilde g - a'(z)` (:func:`chain_gbar`) is an error of the formula. Removing it
    changes the kernel by :math:`\sum_u\delta_u C_{ua}\,E[s_u(h_i)(f(h_{i+k}) - \bar f)]`
    (:meth:`correction_mean`), for a linear readout exactly the estimate's lag-0 error to
    :math:`O(\Delta^2)`; flagged above :data:`STEP_CENTRING_Z` of the estimate's standard
    errors (:meth:`thresholds`).

    *Likelihood ratio.* The chain's exact conjugate variable is :math:`v_a(h') =
    E[\omega_{j,a}\mid h_{j+1}=h']` with :math:`\omega_j = (\sigma^+G(h_j))^\top
    \xi_j/\sqrt\Delta` the Girsanov weight of step j, so :math:`E[\omega_j\,(f(h_{j+1+k}) -
    \bar f)] = r_1(k)` exactly, whatever the score. The weights come from the states,
    :math:`\omega_j = C^\top(a'(z_j)\circ\sigma^{+\top}\sigma^+(h_{j+1} - h_j - \Delta
    F(h_j)))/\Delta`; the mean over runs of the difference from the FDT estimates its bias
    (of any origin) without bias, its standard error from the spread over runs; flagged
    beyond Student's t at :data:`STEP_CHECK_ALPHA`. Both at the lags :func:`check_lags`,
    by direct sums (no FFT).
    """

    def __init__(self, model: Any, dt: float, n_lags: int, n_steps: int) -> None:
        self.model, self.dt, self.n_lags, self.n_steps = model, dt, n_lags, n_steps
        self.act = ACTIVATIONS[model.activation]
        pinv = np.linalg.pinv(model.sigma)
        self.metric = pinv.T @ pinv                                  # sigma+^T sigma+
        self.lags = check_lags(n_lags)
        self.diff = Moments((self.lags.size, model.n_outputs, model.n_inputs))
        self.score_f: list[np.ndarray] = []
        self.corr: list[np.ndarray] = []

    @classmethod
    def of(cls, model: Any, dt: float, n_lags: int, n_steps: int) -> StepCheck | None:
        """The check, or ``None`` where it does not apply: additive input (no ``dt``
        correction) or input units that get no noise of their own (no Girsanov weight)."""
        if not in_drift(model):
            return None
        try:
            girsanov_matrix(model, "the FDT's step check")
        except ValueError:
            return None
        return cls(model, dt, n_lags, n_steps)

    def weighted(self, states: np.ndarray, f: np.ndarray, score: np.ndarray | None = None,
                 parts: tuple | None = None) -> tuple:
        """One group of runs (B): their likelihood-ratio estimates at :attr:`lags`
        (B, n_check, p, m) from their states (B, L, n) and centred outputs f (B, L, p); with
        the score and the parts of :func:`_with_correction` (each (B, L, n)) also the score's
        correlations with f (B, n_check, p, n) and the correction's means (B, n)."""
        m, dt = self.model, self.dt
        h = states[:, :-1]
        if parts is None:
            z = h @ m.W.T + m.b
            a1, F = self.act.derivative(z), self.act(z) - h @ m.gamma_matrix.T
        else:
            a1, F = parts[1][:, :-1], parts[2][:, :-1]
        noise = states[:, 1:] - h
        noise -= dt * F
        w = ((noise @ self.metric) * a1) @ (m.C / dt)                      # (B, L-1, m)
        L = w.shape[1]
        fT = np.ascontiguousarray(f.transpose(0, 2, 1))                     # (B, p, L+1)
        out = np.empty((states.shape[0], self.lags.size, f.shape[2], w.shape[2]))
        for i, k in enumerate(self.lags):
            out[:, i] = fT[:, :, 1 + k:] @ w[:, :L - k] / (L - k)
        if score is None:
            return out, None, None
        sf = np.empty((states.shape[0], self.lags.size, f.shape[2], score.shape[2]))
        for i, k in enumerate(self.lags):
            sf[:, i] = fT[:, :, k:] @ score[:, :L + 1 - k] / (L + 1 - k)
        return out, sf, parts[0].mean(axis=1) - parts[1].mean(axis=1)

    def add(self, weighted: tuple, fdt: np.ndarray) -> None:
        """A group's :meth:`weighted` and FDT estimates (pseudo-values for a learned score)."""
        lr, sf, corr = weighted
        self.diff.add(lr - fdt[:, self.lags], axis=0)
        if sf is not None:
            self.score_f.append(sf)
            self.corr.append(corr)

    def thresholds(self) -> tuple[float, float]:
        """``(difference, centring)`` thresholds in standard errors. The difference test:
        Student's t quantile of the runs' count at :data:`STEP_CHECK_ALPHA`, Bonferroni over
        the checked lags. The centring test: :data:`STEP_CENTRING_Z`, raised with few runs
        so that a change of 1.5 true standard errors passes it with probability below 0.1 %
        (the estimate's standard error comes from the runs' spread)."""
        from scipy.stats import chi2, t

        dof = max(self.diff.count - 1, 1)
        diff = float(t.isf(STEP_CHECK_ALPHA / (2 * self.lags.size), dof))
        return diff, max(STEP_CENTRING_Z, 1.5 / float(np.sqrt(chi2.ppf(1e-3, dof) / dof)))

    def correction_mean(self) -> np.ndarray | None:
        """:math:`E[\\tilde g - a'] \\cdot` (score, f correlations) at :attr:`lags`,
        (n_check, p, m): the change of the FDT kernel when the first-order correction is
        centred, which for a linear readout is the estimate's error at lag 0 to
        :math:`O(\\Delta^2)` (``None`` without the score)."""
        if not self.score_f:
            return None
        sf = np.concatenate(self.score_f).mean(axis=0)                 # (n_check, p, n)
        delta = np.concatenate(self.corr).mean(axis=0)                 # (n,)
        return np.einsum("kpu,u,ua->kpa", sf, delta, self.model.C)

    def report(self, mean: np.ndarray, se: np.ndarray) -> dict[str, Any]:
        """``info["fdt_step_check"]``: the largest standardised difference and where, the
        differences relative to the kernel's peak."""
        d, sd = self.diff.mean, self.diff.stderr()
        z = np.abs(d) / np.where(sd > 0, sd, np.inf)
        k = np.unravel_index(int(np.argmax(z)), z.shape)
        peak = float(np.abs(mean).max()) or 1.0
        thr, thr_c = self.thresholds()
        se = se[self.lags]
        out = {"max_z": float(z[k]), "threshold": thr, "flagged": bool(z[k] > thr),
               "lag": int(self.lags[k[0]]), "difference": float(d[k]) / peak,
               "difference_se": float(sd[k]) / peak, "fdt_se": float(se[k]) / peak,
               "max_difference": float(np.abs(d).max()) / peak,
               "lags": self.lags.tolist()}
        c = self.correction_mean()
        if c is not None:
            zc = np.abs(c) / np.where(se > 0, se, np.inf)
            j = np.unravel_index(int(np.argmax(zc)), zc.shape)
            out.update(centring=float(np.abs(c).max()) / peak, centring_z=float(zc[j]),
                       centring_lag=int(self.lags[j[0]]), centring_threshold=thr_c,
                       flagged_centring=bool(zc[j] > thr_c))
            out["flagged"] = out["flagged"] or out["flagged_centring"]
        return out


def warn_step(model: Any, dt: float, info: dict, stacklevel: int) -> None:
    """:class:`FDTStepWarning` when :class:`StepCheck` flags the estimate."""
    check = info.get("fdt_step_check")
    if not check or not check["flagged"]:
        return
    why = []
    if check.get("flagged_centring"):
        why.append(
            f"the mean of its first-order-in-dt correction, which the chain's exact conjugate "
            f"variable does not have, moves the kernel by {100 * check['centring']:.2g} % of "
            f"its peak ({check['centring_z']:.3g} standard errors of the estimate at lag "
            f"{check['centring_lag']}, threshold {check['centring_threshold']:.3g})")
    if check["max_z"] > check["threshold"]:
        why.append(
            f"it differs from the chain's exact one-step likelihood-ratio estimate on the same "
            f"runs by {100 * abs(check['difference']):.2g} % of the kernel's peak at lag "
            f"{check['lag']} ({check['max_z']:.3g} standard errors of the difference, "
            f"threshold {check['threshold']:.3g})")
    warnings.warn(
        f"method='fdt' with the input inside the activation at dt={dt:g}: the estimate is "
        f"likely biased beyond its standard errors: {'; and '.join(why)}. Its conjugate "
        "variable is the Euler-Maruyama chain's to first order in dt only (docs/response.md); "
        "use a smaller dt or method='perturbation' / 'girsanov' (details in "
        "info['fdt_step_check']).", FDTStepWarning, stacklevel=stacklevel + 1)


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


def _gaussian_body(model: Any, dt: float, n_lags: int, counts: np.ndarray,
                   check: StepCheck | None, batches: RunBatches) -> Callable:
    """Per-run quasi-Gaussian FDT: the run's own mean and covariance, f centred by the run
    (and :meth:`StepCheck.weighted` with ``check``, else ``None``; the fine batches' sums
    of ``batches`` when it is on, else ``None``)."""
    additive = not in_drift(model)
    A = model.W @ model.diffusion                        # (W Sigma J_s)_kk, J_s = -S^-1

    def body(states: np.ndarray, _: Any = None) -> tuple:
        f = model.output(states)
        f = f - f.mean(axis=1, keepdims=True)
        dev = states - states.mean(axis=1, keepdims=True)
        S = np.einsum("bti,btj->bij", dev, dev) / states.shape[1]
        weighted = None             # a StepCheck only with the input inside the activation
        if additive:
            x = np.einsum("bti,bim->btm", dev,
                          np.stack([_solve_cov(s, model.C) for s in S]))
        else:                  # the Gaussian score -S^{-1}(h - mean) in the general form
            P = np.stack([_solve_cov(s, np.eye(s.shape[0])) for s in S])
            score = -np.einsum("bti,bij->btj", dev, P)
            trace = -np.einsum("ki,bik->bk", A, P)[:, None, :]
            x, parts = _with_correction(model, states, score, dt, trace)
            if check is not None:
                weighted = check.weighted(states, f, score, parts)
        sums = batches.of(x, f)
        if sums is not None and additive:
            sums -= _covariance_change(dev, f, S, model.C, n_lags, counts, batches)
        return _xcorr(x, f, n_lags) / counts, weighted, sums
    return body


def _covariance_change(dev: np.ndarray, f: np.ndarray, S: np.ndarray, C: np.ndarray,
                       n_lags: int, counts: np.ndarray, batches: RunBatches) -> np.ndarray:
    r"""What each fine batch's samples change in its run's quasi-Gaussian estimate through the
    run's covariance (additive input), times the batch's counts: (B, a0, n_lags, p, m).

    The run's estimate is :math:`M_k S^{-1}C` with :math:`M_k` the correlation of the
    outputs at lag k with the deviations :math:`h_j - \bar h` (p, n) and :math:`S` the
    run's covariance, the length-weighted mean of its fine batches' covariances
    :math:`S_c`; to first order the batch moves it by
    :math:`-M_k S^{-1}(S_c - S)S^{-1}C`. Subtracted from the batch's sums, it makes the
    batch means see that the run's own covariance normalises its estimate (which makes the
    lag-0 value exact for a linear readout; without it the standard error of 2-4 runs of a
    2-unit linear SRNN was 1.25 times too large: mean z^2 0.64)."""
    B, L, n = dev.shape
    length = batches.length
    a0 = L // length
    Sc = np.empty((B, a0, n, n))
    main = (a0 - 1) * length
    if a0 > 1:
        d = dev[:, :main].reshape(B, a0 - 1, length, n)
        Sc[:, :a0 - 1] = np.einsum("bcti,bctj->bcij", d, d) / length
    Sc[:, a0 - 1] = np.einsum("bti,btj->bij", dev[:, main:], dev[:, main:]) / (L - main)
    P = np.stack([_solve_cov(s, np.eye(n)) for s in S])                   # (B, n, n)
    Q = np.einsum("bij,bcjk,bkl,lm->bcim", P, Sc - S[:, None], P, C)       # (B, a0, n, m)
    M = _xcorr(dev, f, n_lags) / counts[..., :1]                          # (B, n_lags, p, n)
    return batches.counts[None, :, :, None, None] * np.einsum("bkpn,bcnm->bckpm", M, Q)


def _with_correction(model: Any, h: np.ndarray, s: np.ndarray, dt: float,
                     trace: np.ndarray) -> tuple[np.ndarray, tuple]:
    """The conjugate variables of :func:`conjugate_values` with ``dt`` (..., m) and, for
    :meth:`StepCheck.weighted`, :math:`\\tilde g`, :math:`a'(z)` and the drift (..., n)."""
    g, dg, a1, F = chain_gbar(model, h, s, dt, trace)
    return -((dg + g * s) @ model.C), (g, a1, F)


@_engine
def fdt_first(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int, seed: SeedLike,
              burn_in: int | None, score: Any, par: Runner = SERIAL,
              watch: RunWatch | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """``R(k dt) = E_stat[(f(h_{i+k}) - <f>) v(h_i)]`` by FFT, stderr across runs.

    The quasi-Gaussian score ``-S^{-1} (h - mu)`` uses each run's own mean and covariance,
    which makes the lag-0 value exact for a linear readout (f is centred by the run's mean).
    Exact, learned and callable scores (mean zero) are used as they are, and f is centred by
    a noise-independent constant (:func:`centring_constant`), so no ``O(1/n_steps)`` bias.
    Returns ``(mean, stderr, info)``; ``info`` names the score (and the learned fit) and
    the standard error's rule (``"stderr_rule"``: the spread of the runs' estimates, or with
    few runs batch means within them, :class:`._batches.RunBatches`). ``watch``
    (:class:`RunWatch`) keeps the runs' batch means of the outputs.
    """
    watch = watching(watch)
    v, score_kind = make_score(model, dt, score)
    runs, pilot = child_sequences(seed, 2)
    counts = (n_steps + 1 - np.arange(n_lags))[None, :, None, None]
    info: dict[str, Any] = {"score": score_kind}
    if score_kind == "learned":
        return _learned(model, dt, n_lags, n_chains, n_steps, seed, burn_in, par, info, watch)
    check = StepCheck.of(model, dt, n_lags, n_steps)
    batches = RunBatches(n_chains, n_steps + 1, n_lags)
    if v is None:
        body = _gaussian_body(model, dt, n_lags, counts, check, batches)
    else:
        fbar = centring_constant(model, dt, pilot, burn_in, n_steps)

        def body(states: np.ndarray, _: Any = None) -> tuple:
            # an exact score has mean zero: no centring of v, none of f by the run
            f = model.output(states) - fbar
            x = v(states)
            return (_xcorr(x, f, n_lags) / counts,
                    None if check is None else check.weighted(states, f),
                    batches.of(x, f))
    acc = Moments((n_lags, model.n_outputs, model.n_inputs))
    for est, lr, sums in watch.results(map_chains(par, watch.body(body), model, dt, n_chains,
                                                  n_steps, runs, burn_in)):
        acc.add(est, axis=0)
        if check is not None:
            check.add(lr, est)
        batches.keep(sums)
    mean, se = _result(acc)
    se, info["stderr_rule"] = batches.stderr(se)
    if check is not None:
        info["fdt_step_check"] = check.report(mean, se)
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
    reported standard error). With few runs the pseudo-values are those of the runs' fine
    batches (:class:`._batches.RunBatches`), each with its own samples' change of the fit.
    """
    runs, pilot, feat_seed = child_sequences(seed, 3)
    fbar, mean, cov = _pilot(model, dt, pilot, burn_in, n_steps)
    _check_spread(cov)
    features = ScoreFeatures(model, mean, cov, n_fourier=0, seed=feat_seed)
    items = chain_items(model, n_chains, n_steps, runs)
    check = StepCheck.of(model, dt, n_lags, n_steps)
    # the fit's statistics of each fine batch, (K, K + n) each, are kept until the fit:
    # within _FINE_STATS_FLOATS together (longer fine batches for many features)
    K = features.n_features
    batches = RunBatches(n_chains, n_steps + 1, n_lags,
                         -(-n_chains * (n_steps + 1) * K * (K + model.n_hidden)
                           // _FINE_STATS_FLOATS))
    est, pseudo, learned, checked, sums = _two_passes(model, dt, n_lags, n_steps, burn_in, par,
                                                      features, fbar, items, watch, check,
                                                      batches)
    acc, acc_se = (Moments((n_lags, model.n_outputs, model.n_inputs)) for _ in range(2))
    acc.add(est, axis=0)
    acc_se.add(pseudo, axis=0)
    info["score_fit"] = learned.diagnostics
    se, info["stderr_rule"] = batches.stderr(acc_se.stderr(), sums)
    if check is not None:
        start = 0
        for c in checked:
            check.add(c, pseudo[start:start + c[0].shape[0]])
            start += c[0].shape[0]
        info["fdt_step_check"] = check.report(acc.mean, se)
    return acc.mean, se, info


def _two_passes(model: Any, dt: float, n_lags: int, n_steps: int, burn_in: int | None,
                par: Runner, features: ScoreFeatures, fbar: np.ndarray, items: list,
                watch: Any, check: StepCheck | None, batches: RunBatches) -> tuple:
    """The fit, then the correlations: the runs are kept between the two passes (or, beyond
    :data:`_KEEP_FLOATS`, simulated again: the same runs). The fit uses every state of a run
    up to :func:`_fit_stride`; the fit correction of the standard error is correlated at
    about 1024 evenly spaced times per run (:func:`_direction_correlations`).
    Returns the per-run estimates, their pseudo-values, the fitted score, the groups'
    :meth:`StepCheck.weighted` (``None`` each without ``check``) and, when ``batches`` is
    on, the fine batches' pseudo-value sums (:func:`_batch_pseudo`; else ``None``)."""
    n_chains = sum(len(it[1]) for it in items)
    keep = n_chains * (n_steps + 1) * model.n_hidden <= _KEEP_FLOATS
    stride = _fit_stride(n_steps, features.n_features)

    def states_of(item: tuple) -> np.ndarray:
        return run_chain_group(model, dt, n_steps, item[1], burn_in, first=item[0])[0]

    on = batches.on

    def fit_states(states: np.ndarray) -> tuple:
        fine = [_fine_stats(features, st, stride, batches.length) for st in states] \
            if on else None
        return ([ScoreStats.of(features, st[::stride]) for st in states],
                (states if keep else None), fine)

    def fit_body(item: tuple) -> tuple:
        return watch.body(fit_states)(states_of(item))

    stats: list[ScoreStats] = []
    kept: list[np.ndarray | None] = []
    fine: list[list[ScoreStats]] = []
    for per_run, states, fine_runs in watch.results(par.map(fit_body, items)):
        stats += per_run
        kept.append(states)
        fine += fine_runs or []
    learned = fit_score(features, stats)
    u = np.stack([learned.influence(st) for st in stats])            # (n_chains, K, n)
    u -= u.mean(axis=0)
    coef, basis = _fine_influence(learned, fine) if on else (None, None)
    counts = (n_steps + 1 - np.arange(n_lags))[None, :, None, None]
    sub = _subsample(n_steps, n_lags)
    # (W Sigma J_s)_kk is used only with the input inside the activation: zero otherwise,
    # which spares the readout features' Jacobian in the score's trace
    A = model.W @ model.diffusion if in_drift(model) else np.zeros((model.n_hidden,) * 2)

    def body(job: tuple) -> tuple:
        item, states = job
        states = states_of(item) if states is None else states
        f = model.output(states) - fbar
        x = np.empty((*states.shape[:2], model.n_inputs))
        checked = []
        grad = 0.0
        for b, st in enumerate(states):
            score, trace = features.score_and_trace(st, learned.theta, A)
            if check is None:
                x[b] = conjugate_values(model, st, score, dt=dt, score_trace=trace)
            else:
                x[b], parts = _with_correction(model, st, score, dt, trace)
                checked.append(check.weighted(states[b:b + 1], f[b:b + 1], score[None],
                                              tuple(a[None] for a in parts)))
            w = _directions(model, st[sub], features, learned.theta,
                            u if basis is None else np.concatenate([u, basis]), A, dt)
            grad = grad + _direction_correlations(w, f[b], sub, n_lags)
        if check is not None:
            checked = tuple(np.concatenate(c) for c in zip(*checked, strict=True))
        return (_xcorr(x, f, n_lags) / counts, (None if check is None else checked), grad,
                batches.of(x, f))

    ests, checked, grad = [], [], 0.0
    for est, c, g, s in par.map(body, list(zip(items, kept, strict=True))):
        ests.append(est)
        checked.append(c)
        grad = grad + g
        batches.keep(s)
    est = np.concatenate(ests)                                        # (R, n_lags, p, m)
    grad = grad / (n_chains * sub.size)                            # (n_lags, p, R [+ r], m)
    pseudo = est + grad[:, :, :n_chains].transpose(2, 0, 1, 3)
    if not on:
        return est, pseudo, learned, checked, None
    return (est, pseudo, learned, checked,
            _batch_pseudo(np.concatenate(batches.sums), batches.counts, coef,
                          grad[:, :, n_chains:]))


def _fine_stats(features: ScoreFeatures, states: np.ndarray, stride: int, length: int
                ) -> list[ScoreStats]:
    """The fit's statistics of each fine batch of one run (:func:`._batches.batch_counts`:
    ``length`` states each, the last one to the end), on the states the fit uses (every
    ``stride``-th of the run)."""
    L = states.shape[0]
    a0 = L // length
    out = []
    for c in range(a0):
        lo, hi = c * length, (L if c == a0 - 1 else (c + 1) * length)
        out.append(ScoreStats.of(features, states[lo + (-lo) % stride:hi:stride]))
    return out


def _fine_influence(learned: Any, fine: list[list[ScoreStats]]
                    ) -> tuple[np.ndarray, np.ndarray]:
    r"""The fit's change :math:`u_c - \bar u` that each fine batch's samples make
    (:meth:`LearnedScore.influence`, centred by the samples' weighted mean), as coefficients
    ``coef`` (R, a0, r) on ``basis`` (r, K, n), an orthogonal basis of their span (the fit
    directions along which :func:`_directions` moves the conjugate variables; at most K n
    of them, whatever the number of batches). The basis has a run's size, the batches'
    root-mean-square size over :math:`\sqrt{a_0}`: the step of :func:`_directions`'s
    central difference inside a ReLU, as for the runs (with the batches' own size the
    standard error of 2 runs of a 1-D ReLU network was conservative, mean z^2 0.48 +- 0.08
    and 0.70 +- 0.12 on 32 and 64 seeds; with a run's, 0.77 +- 0.13 and 0.99 +- 0.14)."""
    R, a0 = len(fine), len(fine[0])
    u = np.stack([[learned.influence(st) for st in run] for run in fine])   # (R, a0, K, n)
    w = np.array([[st.count for st in run] for run in fine], dtype=float)
    u -= np.einsum("rc,rckn->kn", w, u) / w.sum()
    flat = u.reshape(R * a0, -1)
    _, sv, vt = np.linalg.svd(flat, full_matrices=False)
    keep = sv > 1e-12 * max(float(sv[0]), 1e-300) if sv.size else sv > 0
    scale = (float(np.sqrt((flat ** 2).sum() / (R * a0))) or 1.0) / np.sqrt(a0)
    basis = scale * vt[keep]                                          # (r, K n)
    coef = flat @ basis.T / scale ** 2                                # (R a0, r)
    return coef.reshape(R, a0, -1), basis.reshape(-1, *u.shape[2:])


def _batch_pseudo(sums: np.ndarray, counts: np.ndarray, coef: np.ndarray, grad: np.ndarray
                  ) -> np.ndarray:
    """The fine batches' pseudo-value sums (R, a0, n_lags, p, m): each batch's sums of
    products plus its count times the change of the kernel along its own fit direction
    (``coef`` (R, a0, r) on the basis whose kernel changes are ``grad`` (n_lags, p, r, m))."""
    R, a0, r = coef.shape
    G = grad.transpose(2, 0, 1, 3).reshape(r, -1)                      # (r, n_lags p m)
    change = (coef.reshape(R * a0, r) @ G).reshape(sums.shape)
    return sums + counts[None, :, :, None, None] * change


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


def _directions(model: Any, h: np.ndarray, features: ScoreFeatures, theta: np.ndarray,
                u: np.ndarray, A: np.ndarray, dt: float) -> np.ndarray:
    r"""The change of the conjugate variables at states ``h`` (T, n) along each fit direction
    :math:`u_r` (``u``: (R, K, n)), :math:`w_r = \partial_\epsilon v_{\theta+\epsilon u_r}(h)`:
    (T, R, m).

    Additive input: :math:`w_r = -C^\top(\phi(h)u_r)`, exact (v is linear in the score).
    Input inside a smooth activation: the continuous-time part
    :math:`-C^\top(a'(z)\circ\phi(h)u_r)`; the ``dt`` correction of
    :func:`conjugate_values` moves with the score at :math:`O(\Delta)` only. Inside a ReLU
    the correction's :math:`\tilde g = \Phi(u_k)` moves with the score's backward-step
    mean :math:`\Delta\Sigma s` at :math:`O(\sqrt\Delta)` (its width is
    :math:`\sqrt{\Delta d_k}`), and so does :math:`\partial_k\tilde g_k` with the score's
    trace: there :math:`w_r` is the central difference :math:`(v_{\theta+u_r} -
    v_{\theta-u_r})/2` of :func:`conjugate_values`, the derivative to
    :math:`O(|u_r|^2)`. With the continuous-time part alone, the standard error of 1-D ReLU
    networks at ``dt=0.1-0.2`` was 1.14-1.32 times too small (spread of 48 seeds against the
    reported standard error), 1.01-1.21 times with the difference (docs/response.md).

    Parameters
    ----------
    model : SRNN
    h : ndarray of shape (T, n)
        States.
    features : ScoreFeatures
        The score's features.
    theta : ndarray of shape (K, n)
        The fitted score's coefficients.
    u : ndarray of shape (R, K, n)
        The fit directions (:meth:`LearnedScore.influence`, centred).
    A : ndarray of shape (n, n)
        :math:`W\Sigma` (the score's trace of :func:`conjugate_values`).
    dt : float
        The chain's step.

    Returns
    -------
    ndarray of shape (T, R, m)
    """
    R, K, n = u.shape
    act = ACTIVATIONS[model.activation]
    if not (in_drift(model) and act.kinked):
        s = (features(h) @ u.transpose(1, 0, 2).reshape(K, R * n)).reshape(len(h), R, n)
        if in_drift(model):
            s = s * act.derivative(h @ model.W.T + model.b)[:, None, :]
        return -(s @ model.C)
    s0, t0 = features.score_and_trace(h, theta, A)
    su, tu = np.empty((2, len(h), R, n))
    for r in range(R):
        su[:, r], tu[:, r] = features.score_and_trace(h, u[r], A)
    hr = np.broadcast_to(h[:, None, :], su.shape)
    s0, t0 = s0[:, None, :], t0[:, None, :]
    return 0.5 * (conjugate_values(model, hr, s0 + su, dt=dt, score_trace=t0 + tu)
                  - conjugate_values(model, hr, s0 - su, dt=dt, score_trace=t0 - tu))


def _direction_correlations(w: np.ndarray, f: np.ndarray, sub: np.ndarray,
                            n_lags: int) -> np.ndarray:
    r""":math:`\sum_{t} (f(h_{t+k}) - \bar f)\,w_r(h_t)` over the times ``sub`` of one run,
    for each fit direction's change of the conjugate variables ``w`` (T, R, m, of
    :func:`_directions`). Shape (n_lags, p, R, m)."""
    T, R, m = w.shape
    p = f.shape[1]
    lagged = f[sub[:, None] + np.arange(n_lags)[None, :]]              # (T, n_lags, p)
    out = lagged.reshape(T, n_lags * p).T @ w.reshape(T, R * m)
    return out.reshape(n_lags, p, R, m)
