r"""The score :math:`\nabla\log p_\infty` learned from stationary samples (docs/theory.md §12).

Hyvärinen score matching with a model linear in its parameters. Each score component is a
combination of shared scalar features :math:`\phi_j(h)`,
:math:`s_i(h) = \sum_j \theta_{ji}\,\phi_j(h)`, and the score-matching loss

.. math:: J(\theta) = E\bigl[\tfrac12|s_\theta(h)|^2 + \nabla\cdot s_\theta(h)\bigr]
          = \tfrac12\,E|s_\theta - \nabla\log p|^2 + \text{const}

is quadratic, so the minimiser is one linear solve per component with one shared matrix,
:math:`\theta_{\cdot i} = -(E[\phi\phi^\top] + \lambda S^2)^{-1} E[\partial_i\phi]`
(:math:`S^2` the features' mean squares, zero on 1 and :math:`h`: the fitted score then keeps
Stein's identity :math:`E[\phi\,s_i + \partial_i\phi] = 0` for them on the samples, which
makes the FDT exact at lag 0 for a linear readout, as the self-normalised Gaussian score is).

Features: 1 and :math:`h` (the Gaussian part: alone they give the sample Gaussian's score
:math:`-\hat\Sigma^{-1}(h - \hat\mu)`, exact for a linear SRNN), and for a nonlinear SRNN the
network's own activations :math:`a(z_k)` and their derivatives :math:`a'(z_k)`,
:math:`z = Wh + b` (in one dimension the continuous-time score
:math:`\tfrac2{\sigma^2}(-\gamma h + a(wh+b))` lies in their span): K = 1 + 3n. With the
input inside a smooth activation, also the products :math:`a'(z_k)h_i` (K = 1 + 3n + n^2, up
to `PRODUCT_MAX_UNITS` units): the FDT's lag-0 test functions, :math:`h_i a'(z_k)` in score
component k, then lie in the span (without them a 3-unit tanh network was 4 % off). With the
input in the drift the products are in the model too, up to `ADDITIVE_PRODUCT_MAX_UNITS`
units: there they carry the Euler-Maruyama chain's :math:`O(\Delta)` correction of the score
(docs/response.md). A ReLU's
derivative is a step, whose gradient (a Dirac mass) the loss would need pointwise; it is left
out (K = 1 + 2n; with it the fit was biased, 8-51 standard errors in the FDT on 1-D ReLU
networks). A nonlinear readout's outputs :math:`f_j(h)` are features too (unshrunk), so that
the fit keeps Stein's identity for them and, with the input in the drift, the FDT's lag 0
is exact for any readout, as for a linear one (without them four 8-unit tanh networks with
:math:`f = \tanh` were 1.2-2.6 % of the kernel's peak off at lag 0, 9-30 standard errors;
with them 0.3-0.7 %, 2.1-4.3). Random Fourier features
:math:`\cos(\omega_l\cdot(h-\bar h) + \varphi_l)` can be added (``n_fourier``); on
the 8-unit networks we measured they did not lower the held-out loss and cost much time, so
the estimator does not use them. The regularisation :math:`\lambda` is chosen by two-fold
cross-validation of :math:`J` over the stationary runs (even runs against odd runs; the
smallest within three standard errors of the best), then the fit is repeated on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import fail
from ..dynamics._activations import ACTIVATIONS
from ._weights import in_drift

__all__ = ["FDTStepWarning", "GaussianScoreWarning", "LearnedScore", "LearnedScoreWarning",
           "ScoreFeatures", "ScoreStats", "fit_score"]

#: candidate regularisations (relative to the standardised features)
LAMBDAS = 10.0 ** np.arange(-9.0, 1.0)
#: the most units for which the products a'(z_k) h_i (n^2 features) are in the score model
#: of a smooth network with the input inside the activation (cost ~ n^4 per sample)
PRODUCT_MAX_UNITS = 16
#: the same with the input added to the drift, where the products carry the Euler-Maruyama
#: chain's O(dt) correction of the score; above it they are left out (with them the learned
#: score cost 2.6x the Gaussian one at 8 units, 3.5x at 16; 1.6x at 4)
ADDITIVE_PRODUCT_MAX_UNITS = 4
#: states per block in the score's evaluation (the blocks' products stay in cache)
ROWS = 2048
#: eigenvalues of the standardised Gram below this fraction of the largest are dropped when
#: ``inv`` is inaccurate (features collinear on the samples, see `_inverse`)
RCOND = 1e-12


class GaussianScoreWarning(UserWarning):
    r"""The quasi-Gaussian score was chosen for a nonlinear SRNN: the FDT estimate is biased.

    Its conjugate variable :math:`C^\top\hat\Sigma^{-1}(h - \hat\mu)` is exact only for
    linear SRNNs; on nonlinear ones the bias reaches many standard errors at long run lengths
    (docs/theory.md §12). ``score="learned"`` learns the score from the same samples.

    Examples
    --------
    >>> import warnings
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = sk.response.linear_response(model, dt=0.05, n_lags=3, method="fdt",
    ...                                     score="gaussian", n_chains=2, n_steps=200, seed=0)
    >>> caught[0].category.__name__
    'GaussianScoreWarning'
    """


class LearnedScoreWarning(UserWarning):
    r"""The learned score is known to be too coarse for this network: the FDT may be biased.

    Raised in two cases, both with the input inside the activation (networks with additive
    input and one-unit networks are not affected); use ``method="perturbation"``,
    ``"pathwise"`` or ``"girsanov"`` there.

    - A ReLU network of two or more units. The conjugate variable weighs the score by the
      step :math:`a'(z_k)`, and the features ``1, h, a(z)`` do not hold the score well
      enough on the active side. Measured on three 2-unit networks against a 2-D grid's
      exact kernel, the lag-0 value was 3 %, 6 % and 22 % off; on an 8-unit network the bias
      was 3.5 standard errors (median over the entries, six pooled runs). The exact score
      gives 1-3 % on the same grid. Richer features (products, quadratics, smoothed steps)
      halved the error at best.
    - A smooth network of more than `PRODUCT_MAX_UNITS` units, where the score model leaves
      out the products :math:`a'(z_k)h_i` (without them a 3-unit tanh network's lag-0 value
      was 4 % off).

    Examples
    --------
    >>> import warnings
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.2, 0.5], [0.2, -0.8]], C=[[1.0], [0.5]], sigma=0.5,
    ...                 activation="relu", input_mode="activation")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = sk.response.linear_response(model, dt=0.05, n_lags=3, method="fdt",
    ...                                     n_chains=2, n_steps=200, seed=0)
    >>> caught[0].category.__name__
    'LearnedScoreWarning'
    """


class FDTStepWarning(UserWarning):
    r"""The FDT estimate differs from the chain's exact kernel beyond its noise (input inside
    the activation).

    With the input inside the activation the FDT's conjugate variable is the Euler-Maruyama
    chain's to first order in ``dt`` only (docs/theory.md §11); its remainder is
    :math:`O(\Delta^2)`, 2.9 % of the kernel's peak on a 1-D tanh network at ``dt=0.1``.
    ``method="fdt"`` checks every estimate against the one-step likelihood-ratio
    (Girsanov) estimate of the same runs, which is exact for the chain whatever the score,
    and warns when their difference is significant (``info["fdt_step_check"]``); use a
    smaller ``dt`` or ``method="perturbation"`` / ``"girsanov"`` there.

    Examples
    --------
    >>> import warnings
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[-2.0]], C=[[1.0]], sigma=1.2, b=[0.5], input_mode="activation")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     r = sk.response.linear_response(model, dt=0.1, n_lags=20, method="fdt", seed=1)
    >>> caught[0].category.__name__, r.info["fdt_step_check"]["flagged"]
    ('FDTStepWarning', True)
    """


class ScoreFeatures:
    r"""Scalar features :math:`\phi_j(h)` of the score model, for one SRNN.

    ``features(h)`` gives :math:`\phi` (..., K) for states ``h`` (..., n) and
    ``features.grad_sum(h)`` the summed gradients :math:`\sum_t\partial_{h_i}\phi_j(h_t)`
    (K, n) of samples ``h`` (T, n), without forming the (T, n, K) array. Layout: 1, h,
    a(z), a'(z) (smooth activations), the products, the Fourier features, then the outputs
    of a nonlinear readout (from ``k_readout`` on; their gradients exact for a
    :class:`~srnnkit.readouts.Quadratic` readout, central differences for a callable).

    Parameters
    ----------
    model : SRNN
    mean, cov : ndarray of shape (n,) and (n, n)
        A pilot estimate of the stationary mean and covariance (whitening for the Fourier
        features).
    n_fourier : int
        Random Fourier features :math:`\cos(\omega_l\cdot(h - \bar h) + \varphi_l)`,
        :math:`\omega_l = \hat\Sigma^{-1/2}\zeta_l`, :math:`\zeta_l \sim N(0, I)` (length
        scale one stationary standard deviation), phases uniform.
    seed : int or SeedSequence
        Draws the frequencies and phases.
    """

    def __init__(self, model: Any, mean: np.ndarray, cov: np.ndarray, n_fourier: int = 0,
                 seed: Any = 0) -> None:
        n = model.n_hidden
        self.model = model
        self.nonlinear = not model.is_linear
        self.act = ACTIVATIONS[model.activation]
        # a'(z) is a feature only where it is smooth: a ReLU's is a step, whose gradient (a
        # Dirac mass) the loss's divergence term would need; without it the fit is biased
        self.smooth = self.nonlinear and not self.act.kinked
        evals, evecs = np.linalg.eigh(0.5 * (cov + cov.T))
        evals = np.maximum(evals, 1e-12 * max(float(evals.max()), 1e-300))
        self.mean = np.asarray(mean, dtype=float)
        white = evecs / np.sqrt(evals)                              # h~ = (h - mean) @ white
        rng = np.random.default_rng(seed)
        self.omega = white @ rng.standard_normal((n, n_fourier))    # (n, F) in h units
        self.phase = rng.uniform(0.0, 2.0 * np.pi, n_fourier)
        # the input inside a smooth activation weighs the score by a'(z_k): with the products
        # a'(z_k) h_i in the span, the fit keeps Stein's identity for them too, and the FDT is
        # exact at lag 0 for a linear readout as in additive mode (docs/theory.md §12)
        # with the input added to the drift they carry the Euler-Maruyama chain's O(dt)
        # correction of the score (in one dimension it involves F F' = (-gamma h + a)
        # (-gamma + w a')): without them a 1-D tanh network at dt = 0.1 was 0.55 % (10 pooled
        # standard errors) off the grid, with them 0.03 % (population fit on the grid)
        self.products = self.smooth and n <= (PRODUCT_MAX_UNITS if in_drift(model)
                                              else ADDITIVE_PRODUCT_MAX_UNITS)
        self.k_products = 1 + n + n * (self.nonlinear + self.smooth)
        # a nonlinear readout's outputs: Stein's identity then holds for them on the samples
        # and the FDT's lag 0 is exact for the readout, as it is for a linear one
        self.k_readout = self.k_products + n * n * self.products + n_fourier
        kind = getattr(model.readout, "kind", "callable")
        self.readout = self.nonlinear and kind not in ("linear", "identity")
        self.n_features = self.k_readout + model.n_outputs * self.readout

    def __call__(self, h: np.ndarray) -> np.ndarray:
        h = np.asarray(h, dtype=float)
        parts = [np.ones((*h.shape[:-1], 1)), h]
        if self.nonlinear:
            z = h @ self.model.W.T + self.model.b
            parts += [self.act(z), self.act.derivative(z)] if self.smooth else [self.act(z)]
            if self.products:                               # a'(z_k) h_i at k * n + i
                n = h.shape[-1]
                parts.append(_outer_rows(parts[-1].reshape(-1, n), h.reshape(-1, n))
                             .reshape(*h.shape[:-1], n * n))
        if self.omega.shape[1]:
            parts.append(np.cos((h - self.mean) @ self.omega + self.phase))
        if self.readout:
            parts.append(self.model.output(h))
        return np.concatenate(parts, axis=-1)

    def readout_jacobian(self, h: np.ndarray) -> np.ndarray:
        r"""The readout's Jacobian :math:`\partial_{h_i} f_j` at states ``h`` (T, n).

        Exact for a :class:`~srnnkit.readouts.Quadratic` readout (:math:`Mh`), central
        differences along each unit for a callable (step ``1e-6 max(1, |h|)``): the pathwise
        estimator's ``readout_derivative`` along the unit vectors.

        Parameters
        ----------
        h : ndarray of shape (T, n)
            States.

        Returns
        -------
        ndarray of shape (T, p, n)
            :math:`\partial_{h_i} f_j(h_t)` at ``[t, j, i]``.
        """
        from ._mixed import readout_derivative

        h = np.asarray(h, dtype=float)
        if not h.shape[0]:
            return np.zeros((0, self.model.n_outputs, h.shape[1]))
        n = h.shape[1]
        return readout_derivative(self.model, h, np.broadcast_to(np.eye(n), (h.shape[0], n, n)))

    def grad_sum(self, h: np.ndarray) -> np.ndarray:
        r""":math:`\sum_t \partial_{h_i}\phi_j(h_t)` for samples ``h`` (T, n): (K, n)."""
        h = np.asarray(h, dtype=float).reshape(-1, self.model.n_hidden)
        n = h.shape[1]
        rows = [np.zeros((1, n)), h.shape[0] * np.eye(n)]
        if self.nonlinear:
            W = self.model.W
            z = h @ W.T + self.model.b
            rows.append(self.act.derivative(z).sum(axis=0)[:, None] * W)
            if self.smooth:
                rows.append(self.act.second_derivative(z).sum(axis=0)[:, None] * W)
            if self.products:       # d_j (a'_k h_i) = a''_k W_kj h_i + a'_k delta_ij
                app, ap = self.act.second_derivative(z), self.act.derivative(z)
                g = (app.T @ h)[:, :, None] * W[:, None, :]
                g += ap.sum(axis=0)[:, None, None] * np.eye(n)[None, :, :]
                rows.append(g.reshape(n * n, n))
        if self.omega.shape[1]:
            arg = (h - self.mean) @ self.omega + self.phase
            rows.append(-np.sin(arg).sum(axis=0)[:, None] * self.omega.T)
        if self.readout:
            rows.append(sum((self.readout_jacobian(h[i:i + ROWS]).sum(axis=0)
                             for i in range(0, h.shape[0], ROWS)),
                            np.zeros((self.model.n_outputs, n))))
        return np.concatenate(rows, axis=0)

    def score_trace(self, h: np.ndarray, theta: np.ndarray, A: np.ndarray) -> np.ndarray:
        r""":math:`(A J_s)_{kk}` at states ``h`` (..., n) for the score :math:`s = \phi\theta`
        (:math:`J_s` its Jacobian, ``A`` an (n, n) matrix): (..., n).

        With :math:`B = A\theta^\top`, :math:`(AJ_s)_{kk} = \sum_j B_{kj}\partial_k\phi_j`;
        the features' derivatives are those of `grad_sum`.
        """
        return self.score_and_trace(h, theta, A)[1]

    def score_and_trace(self, h: np.ndarray, theta: np.ndarray,
                        A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""The score :math:`s = \phi(h)^\top\theta` and `score_trace` at states ``h``
        (..., n), both (..., n), without forming :math:`\phi` for all states at once: the
        activations are evaluated once per block of `ROWS` states, and the products'
        contributions are one matrix product each,
        :math:`\sum_{ki}\theta_{(k,i),r}\,a'_k h_i = (a'\otimes h)\,\theta_p`."""
        h = np.asarray(h, dtype=float)
        flat = h.reshape(-1, h.shape[-1])
        B = A @ theta.T                                              # (n, K)
        s, trace = np.empty_like(flat), np.empty_like(flat)
        for start in range(0, flat.shape[0], ROWS):
            rows = slice(start, start + ROWS)
            s[rows], trace[rows] = self._score_rows(flat[rows], theta, B)
        return s.reshape(h.shape), trace.reshape(h.shape)

    def _score_rows(self, h: np.ndarray, theta: np.ndarray,
                    B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`score_and_trace` of states ``h`` (T, n), with ``B = A theta^T``."""
        n = self.model.n_hidden
        s = theta[0] + h @ theta[1:1 + n]
        trace = np.broadcast_to(np.diag(B[:, 1:1 + n]), s.shape).copy()
        if self.nonlinear:
            W = self.model.W
            z = h @ W.T + self.model.b
            ap = self.act.derivative(z)
            s += self.act(z) @ theta[1 + n:1 + 2 * n]
            trace += ap @ (B[:, 1 + n:1 + 2 * n] * W.T).T
            if self.smooth:
                app = self.act.second_derivative(z)
                s += ap @ theta[1 + 2 * n:1 + 3 * n]
                trace += app @ (B[:, 1 + 2 * n:1 + 3 * n] * W.T).T
            if self.products:       # feature k n + i is a'_k h_i
                k0 = self.k_products
                Bp = B[:, k0:k0 + n * n].reshape(n, n, n)            # (r, k, i)
                s += _outer_rows(ap, h) @ theta[k0:k0 + n * n]
                # sum_ki Bp[r,k,i] (a''_k W_kr h_i + a'_k delta_ir)
                M = (Bp * W.T[:, :, None]).transpose(1, 2, 0).reshape(n * n, n)
                trace += _outer_rows(app, h) @ M
                trace += ap @ np.einsum("rkr->kr", Bp)
        k0, k1 = self.k_products + n * n * self.products, self.k_readout
        if self.omega.shape[1]:
            arg = (h - self.mean) @ self.omega + self.phase
            s += np.cos(arg) @ theta[k0:k1]
            trace -= np.sin(arg) @ (B[:, k0:k1] * self.omega).T
        if self.readout:            # sum_j B[k, j] d_k f_j, only where B has a readout part
            s += self.model.output(h) @ theta[k1:]
            if np.any(B[:, k1:]):
                trace += np.einsum("tjk,kj->tk", self.readout_jacobian(h), B[:, k1:])
        return s, trace


def _outer_rows(a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Row-wise outer products ``a_k h_i`` at column ``k n + i``: (T, n) x (T, n) -> (T, n^2)."""
    return np.einsum("tk,ti->tki", a, h).reshape(h.shape[0], -1)


@dataclass
class ScoreStats:
    r"""Sufficient statistics of the score-matching loss over some samples: their number,
    :math:`\sum\phi\phi^\top` (K, K) and :math:`\sum_t\partial_i\phi_j` (K, n)."""

    count: int = 0
    gram: Any = None
    div: Any = None

    @classmethod
    def of(cls, features: ScoreFeatures, h: np.ndarray) -> ScoreStats:
        """The statistics of the samples ``h`` (T, n), accumulated over blocks of `ROWS`."""
        K = features.n_features
        gram = np.zeros((K, K))
        for start in range(0, h.shape[0], ROWS):
            phi = features(h[start:start + ROWS])
            gram += phi.T @ phi
        return cls(h.shape[0], gram, features.grad_sum(h))

    def __add__(self, other: ScoreStats) -> ScoreStats:
        if self.gram is None:
            return other
        if other.gram is None:
            return self
        return ScoreStats(self.count + other.count, self.gram + other.gram,
                          self.div + other.div)

    def loss(self, theta: np.ndarray) -> float:
        r""":math:`J(\theta) = E[\tfrac12|s|^2 + \nabla\cdot s]` on these samples."""
        return float(0.5 * np.sum(theta * (self.gram @ theta))
                     + np.sum(theta * self.div)) / self.count


def _solve(stats: ScoreStats, lam: float, cols: np.ndarray,
           shrunk: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The score-matching minimiser with features ``cols`` only: ``(theta, inverse)``, theta
    (K, n) with zero rows for the features left out and ``inverse`` the (K, K) matrix
    :math:`(E[\phi\phi^\top] + \lambda S^2)^{-1}` on those features (zeros elsewhere)."""
    K = stats.gram.shape[0]
    G = stats.gram[np.ix_(cols, cols)] / stats.count
    D = stats.div[cols] / stats.count
    scale = np.sqrt(np.maximum(np.diag(G), 1e-300))
    Gs = G / np.outer(scale, scale)
    n = stats.div.shape[1]
    # only the non-Gaussian features are shrunk (``shrunk``: a(z), a'(z), Fourier; not the
    # products a'(z_k) h_i): the fit then keeps Stein's identity E[phi s + grad phi] = 0 for
    # phi = 1, h (and the products) exactly, so lag 0 is exact for a linear readout
    mask = (np.arange(K) >= 1 + n) if shrunk is None else shrunk
    Gs[np.diag_indices_from(Gs)] += lam * mask[cols]
    inv_s = _inverse(Gs)
    inverse = np.zeros((K, K))
    inverse[np.ix_(cols, cols)] = inv_s / np.outer(scale, scale)
    theta = np.zeros((K, stats.div.shape[1]))
    theta[cols] = -(inverse[np.ix_(cols, cols)] @ D)
    return theta, inverse


def _inverse(Gs: np.ndarray) -> np.ndarray:
    r"""The inverse of the standardised Gram ``Gs`` or, where ``inv`` is inaccurate
    (:math:`\max|G_s G_s^{-1} - I| > 10^{-6}`, or singular), its pseudo-inverse without the
    eigenvalues below `RCOND` times the largest.

    Found by fuzzing: a unit that gets little noise (:math:`\sigma = 10^{-4}` against 0.5)
    barely moves, so its :math:`a'(z_k)` is a constant to 1e-9 and the unshrunk products
    :math:`a'(z_k)h_i` equal :math:`h_i` to that precision; the Gram's condition number was
    5e17-7e18, ``inv`` returned rounding noise without an error, and the learned-score FDT's
    lag 0 of a linear readout was 0.72-1.47 instead of 1 (6-10 of its standard errors) on
    three seeds. Dropping the collinear directions gives 1.000.

    Parameters
    ----------
    Gs : ndarray of shape (K, K)
        Symmetric positive semi-definite.

    Returns
    -------
    ndarray of shape (K, K)
    """
    try:
        inv = np.linalg.inv(Gs)
        if np.abs(Gs @ inv - np.eye(len(Gs))).max() <= 1e-6:
            return inv
    except np.linalg.LinAlgError:
        pass
    evals, evecs = np.linalg.eigh(Gs)
    keep = evals > RCOND * max(float(evals[-1]), 1e-300)
    return (evecs[:, keep] / evals[keep]) @ evecs[:, keep].T


@dataclass
class LearnedScore:
    r"""A fitted score :math:`s(h) = \phi(h)^\top\theta`; ``score(h)`` (..., n).

    ``diagnostics`` holds the chosen ``lambda``, the number of features, the held-out
    score-matching losses of the learned and of the Gaussian score (``loss``,
    ``gaussian_loss``: :math:`J` equals half the mean squared error to the true score up to
    one common constant, so ``gaussian_loss - loss`` is what the learned score gains in
    :math:`\tfrac12E|s - \nabla\log p|^2`) and the number of samples.
    """

    features: ScoreFeatures
    theta: np.ndarray
    inverse: np.ndarray
    diagnostics: dict = field(default_factory=dict)

    def __call__(self, h: np.ndarray) -> np.ndarray:
        n = self.theta.shape[1]
        return self.features.score_and_trace(h, self.theta, np.zeros((n, n)))[0]

    def influence(self, stats: ScoreStats) -> np.ndarray:
        r"""The first-order change of :math:`\theta` that the samples of ``stats`` carry:
        :math:`u = -(E[\phi\phi^\top] + \lambda S^2)^{-1}(\hat E[\phi\phi^\top]\theta +
        \hat E[\partial\phi])` with :math:`\hat E` their own means (K, n). Over the runs
        of a fit, :math:`\hat\theta - \theta^* \approx \operatorname{mean}_r(u_r - \bar u)`."""
        return -(self.inverse @ ((stats.gram @ self.theta + stats.div) / stats.count))


def fit_score(features: ScoreFeatures, runs: list[ScoreStats]) -> LearnedScore:
    """Fit on per-run statistics, then every run, with lambda chosen by two-fold
    cross-validation (even runs against odd runs) of the loss.

    The choice is the smallest lambda whose held-out loss is within three standard errors of
    the best one (paired differences across the held-out runs): shrinkage biases the FDT,
    whose standard error holds the score's noise but not its bias, and a lambda that jumps
    between seeds adds a variance no run-level standard error sees (measured on a 1-D tanh
    SRNN: the best-loss choice ranged over 1e-9..1e-1 and made the spread over seeds 1.2x
    the reported standard error; with this rule, 1e-9 throughout and 1.0-1.1x). The
    Gaussian features alone (1 and h) are fitted the same way for the diagnostic.
    """
    every = sum(runs, ScoreStats())
    if not (np.all(np.isfinite(every.gram)) and np.all(np.isfinite(every.div))):
        fail("model.readout", "a readout that returns finite values (method='fdt', "
             "score='learned': a nonlinear readout's outputs are score features)",
             "NaN or infinite outputs on the network's stationary states",
             hint="Check the readout on the network's states.")
    K, n = every.div.shape
    shrunk = np.arange(K) >= 1 + n
    if features.products:
        shrunk[features.k_products:features.k_products + n * n] = False
    shrunk[features.k_readout:] = False           # a nonlinear readout's outputs, unshrunk
    full, gauss = np.arange(K), np.arange(1 + n)
    folds = (list(range(0, len(runs), 2)), list(range(1, len(runs), 2)))
    fitted = [sum((runs[i] for i in fold), ScoreStats()) for fold in folds]

    def held_out(cols: np.ndarray, lam: float) -> np.ndarray:
        """Each run's loss under the fit of the other fold (one run: its own fit)."""
        if not folds[1]:
            return np.array([runs[0].loss(_solve(fitted[0], lam, cols, shrunk)[0])])
        thetas = [_solve(f, lam, cols, shrunk)[0] for f in fitted]
        out = np.empty(len(runs))
        for k, fold in enumerate(folds):
            for i in fold:
                out[i] = runs[i].loss(thetas[1 - k])
        return out

    per_run = np.array([held_out(full, lam) for lam in LAMBDAS])     # (n_lambda, n_runs)
    losses = per_run.mean(axis=1)
    top = int(np.nanargmin(losses))
    diff = per_run - per_run[top]
    se = diff.std(axis=1, ddof=1) / np.sqrt(diff.shape[1]) if diff.shape[1] > 1 else 0 * losses
    best = int(np.flatnonzero(losses <= losses[top] + 3.0 * se)[0])
    lam = float(LAMBDAS[best])
    g_loss = min(float(held_out(gauss, g).mean()) for g in LAMBDAS[:3])
    diag = {"lambda": lam, "n_features": int(K), "n_samples": int(every.count),
            "loss": float(losses[best]), "gaussian_loss": g_loss}
    theta, inverse = _solve(every, lam, full, shrunk)
    return LearnedScore(features, theta, inverse, diag)
