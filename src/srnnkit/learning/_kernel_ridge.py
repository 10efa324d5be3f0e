"""Kernel ridge regression and classification with the response (or signature) kernel."""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._stats import mean_se, unit_exponent
from .._validation import (
    MemoryLimitError,
    NonFiniteResultError,
    check_array,
    check_choice,
    fail,
)
from ..features import SupportBasis
from ..kernels import CoarseGridWarning, response_kernel, signature_kernel
from ..kernels._pooled import (
    MAX_DEGREE,
    NEGLIGIBLE,
    _dct,
    embed,
    fit_bank,
    pack,
    state_features,
)
from ._features import _SCALING, _fit_scaling, check_basis
from ._input import (
    SeriesInputMixin,
    SeriesScoreMixin,
    as_series_list,
    check_channels,
    check_not_constant,
    check_params,
    check_targets,
    record_fit_input,
    scaled,
    sign_targets,
    standardize_columns,
    target_scales,
)
from ._kernel_select import KERNEL_ALPHAS, LooFit, centre, heat_grams, loo_fit, stack_weights
from ._ridge import eigh, relative_scale

__all__ = ["NearConstantGramWarning", "ResponseKernelClassifier", "ResponseKernelRidge",
           "kernel_ridge_cv"]


def kernel_ridge_cv(K: Any, y: Any, alphas: Any, *, cv: str = "loo"):
    r"""Kernel ridge for many penalties from ONE eigendecomposition of the Gram matrix.

    With :math:`K = V\Lambda V^\top`, the dual coefficients are
    :math:`c(\alpha) = V (\Lambda + \alpha)^{-1} V^\top y` and the hat matrix is
    :math:`H = V \Lambda(\Lambda+\alpha)^{-1} V^\top`, so for every :math:`\alpha`

    * leave-one-out (``cv="loo"``): residual
      :math:`e_i = c_i / [(K + \alpha I)^{-1}]_{ii}`, with
      :math:`[(K+\alpha I)^{-1}]_{ii} = \sum_j V_{ij}^2 / (\lambda_j + \alpha)`;
    * generalised cross-validation (``cv="gcv"``):
      :math:`n\,\lVert \alpha c\rVert^2 / (n - \operatorname{tr} H)^2`,

    at :math:`O(n^2)` per penalty after the :math:`O(n^3)` factorisation (as sklearn's
    ``RidgeCV``).

    Parameters
    ----------
    K : array-like of shape (n, n)
        Symmetric positive semi-definite Gram matrix.
    y : array-like of shape (n,) or (n, k)
    alphas : array-like of shape (n_alphas,)
        Penalties (> 0).
    cv : {"loo", "gcv"}, default="loo"

    Returns
    -------
    best_alpha : float
        The penalty with the smallest mean squared cross-validation error (summed over targets).
    dual_coef : ndarray of shape like ``y``
        :math:`(K + \alpha I)^{-1} y` at the best penalty.
    cv_errors : ndarray of shape (n_alphas,)
        Mean squared error (summed over targets) for each penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import kernel_ridge_cv
    >>> X = np.random.default_rng(0).standard_normal((20, 3))
    >>> y = X @ [1.0, -2.0, 0.5]
    >>> alpha, c, errs = kernel_ridge_cv(X @ X.T, y, [1e-3, 1.0, 100.0])
    >>> alpha
    0.001
    """
    K = check_array("K", K, ndim=2, shape_text="(n, n)")
    n = K.shape[0]
    if K.shape != (n, n):
        fail("K", "a square Gram matrix of shape (n, n)", K)
    y = check_array("y", y, ndim=(1, 2), shape_text=f"({n},) or ({n}, k)")
    if y.shape[0] != n:
        fail("y", f"an array with {n} rows (one per Gram row)", y)
    alphas = check_array("alphas", alphas, ndim=(0, 1), shape_text="(n_alphas,)").ravel()
    if np.any(alphas <= 0):
        fail("alphas", "positive penalties", alphas)
    check_choice("cv", cv, ("loo", "gcv"))
    if n < 2:
        raise ValueError(f"cross-validation over alphas needs at least 2 samples; got "
                         f"n_samples={n}.")
    asym = float(np.abs(K - K.T).max())
    if asym > 1e-8 * max(float(np.abs(K).max()), np.finfo(float).tiny):
        fail("K", "a symmetric Gram matrix", f"one with |K - K^T| up to {asym:.3g}")
    return _kernel_ridge_cv(K, y, alphas, cv, check_psd=True)


def _kernel_ridge_cv(K: np.ndarray, y: np.ndarray, alphas: np.ndarray, cv: str, *,
                     check_psd: bool = False, intercept: bool = False
                     ) -> tuple[float, np.ndarray, np.ndarray]:
    """`kernel_ridge_cv` on validated input; the estimators' own Grams (a PDE's, nearly
    positive semi-definite) skip the check of ``K``'s spectrum. ``intercept``: ``K`` and
    ``y`` are centred for a fitted intercept, whose degree of freedom GCV counts,
    ``n - 1 - tr H`` (without it GCV fell to 0 as the penalty did on a Gram of rank
    ``n - 1``, and chose the grid's smallest penalty every time; found by fuzzing)."""
    n = K.shape[0]
    lam, V = eigh(0.5 * (K + K.T))
    if check_psd and lam[0] < -1e-8 * max(float(np.abs(lam).max()), np.finfo(float).tiny):
        fail("K", "a positive semi-definite Gram matrix",
             f"one with the eigenvalue {lam[0]:.3g} (largest {lam[-1]:.3g})")
    lam = np.clip(lam, 0.0, None)
    # the errors at unit size (a power of two, exact), the coefficients from y itself
    e = unit_exponent(y)
    Y = y.reshape(n, -1)
    VtY = V.T @ np.ldexp(Y, -e)
    V2 = V * V
    errors = np.empty(alphas.size)
    for a_i, a in enumerate(alphas):
        w = 1.0 / (lam + a)
        c = V @ (VtY * w[:, None])
        if cv == "loo":
            ginv_diag = V2 @ w
            errors[a_i] = np.mean(np.sum((c / ginv_diag[:, None]) ** 2, axis=1))
        else:
            tr_h = np.sum(lam * w) + float(intercept)
            with np.errstate(divide="ignore"):
                errors[a_i] = n * np.sum((a * c) ** 2) / (n - tr_h) ** 2
    best = int(np.argmin(errors))
    a = alphas[best]
    c = np.ldexp(V @ (VtY / (lam + a)[:, None]), e)
    with np.errstate(over="ignore"):
        return float(a), c.reshape(y.shape), np.ldexp(errors, 2 * e)


def _first_sentence(err: Exception) -> str:
    """An error's first sentence (its facts, without its advice), for quoting."""
    return str(err).split(". ")[0].rstrip(".")


def _fail_overflow(got: str, remedy: str) -> None:
    """The ValueError for new series whose whole-path kernel overflows (``got`` names them,
    ``remedy`` ends the advice)."""
    fail("X", "series that the fitted whole-path kernel can compare with the training ones",
         got, hint="The kernel grows exponentially with a path's size: these series are "
         f"larger or longer than the fitted ones. Give a smaller input_scale, {remedy}.")


def _rows_finite(est: Any, path: np.ndarray, order: int) -> bool:
    """Whether one new path's kernel row with the training paths can be computed."""
    try:
        return bool(np.all(np.isfinite(est._path_rows([path], order))))
    except ValueError:
        return False


class NearConstantGramWarning(UserWarning):
    """The training Gram matrix is (nearly) constant: the kernel cannot tell the series apart.

    Raised by the response-kernel estimators when, after the kernel's own scaling, the
    centred Gram matrix holds less than ``1e-6`` of the Gram matrix's energy (its mean
    diagonal), and by the ``LinearSRNN`` estimators when every standardised feature is
    constant over the training series. Typical causes: inputs so small that every path is
    nearly the time path, or a normalised kernel at an amplitude where every pair looks
    alike. Rescale the inputs
    (``input_scale``) or keep the default ``input_scale="auto"``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from srnnkit.learning import NearConstantGramWarning, ResponseKernelRidge
    >>> X = np.random.default_rng(0).standard_normal((8, 12))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = ResponseKernelRidge(kernel="response", input_scale=1e-7,
    ...                             alpha=1.0).fit(X, np.arange(8.0))
    >>> any(issubclass(w.category, NearConstantGramWarning) for w in caught)
    True
    """


# A path's 1-variation bound for input_scale="auto": the largest scale puts the longest
# training path (in 1-variation of its data channels) at this value; the candidate scales
# are that one divided by 2^k, k = 0..N_SCALES-1, chosen by leave-one-out.
MAX_VARIATION = 32.0
N_SCALES = 6
#: further PDE refinements, past the fitted order, for new paths whose self-kernel the
#: fitted grid gets wrong (not positive)
PREDICT_EXTRA_ORDERS = 4
#: further halvings of the smallest "auto" amplitude when no Gram of the grid is a kernel
EXTRA_HALVINGS = 20
# dyadic_order="auto": refine the PDE grid until every sub-cell's increment product
# |G| = kappa |u|^2 dt^2 / 4^order of a training path is at most this (most 4 orders).
MAX_CELL_PRODUCT = 0.25
MAX_AUTO_ORDER = 3
# bandwidth="auto": widths of the pooled kernel's heat kernel on the rank scale, chosen by
# leave-one-out (from about one knot spacing to the whole range).
BANDWIDTHS = np.array([1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0])
# max_length="auto": cells of the whole-path PDE kernel alone, and when it is mixed with the
# pooled kernels (which see every step: the whole path then only carries the global shape).
MAX_LENGTH = 128
MIXED_LENGTH = 64
# The whole-path kernel's amplitude is chosen on at most this many training series when it is
# mixed (then its Gram of all series is computed once, at that amplitude).
MIXED_SUBSET = 64
# A pooled candidate whose centred Gram holds less than this share of its mean diagonal is
# constant to rounding (e.g. a bandwidth much wider than the rank range): skipped.
CONSTANT_SPREAD = 1e-12
# New series' pooled features are computed in chunks of about this many values.
CHUNK_VALUES = 1 << 22
# The threshold readouts' candidates (kernel_weights="auto"): `LinearSRNNFeatures` with its
# defaults, drawn with this fixed seed (the machine stays deterministic).
THRESHOLD_SEED = 0


def _block_mean(x: np.ndarray, k: int) -> np.ndarray:
    """Average ``x`` (L, m) over consecutive blocks of ``k`` steps (the last may be shorter)."""
    if k == 1:
        return x
    L = x.shape[0]
    n = -(-L // k)
    sums = np.add.reduceat(x, np.arange(0, L, k), axis=0)
    counts = np.minimum(np.arange(1, n + 1) * k, L) - np.arange(0, L, k)
    return sums / counts[:, None]


class _KernelBase(SeriesInputMixin, BaseEstimator):
    _parameter_constraints: ClassVar[dict] = {
        "kernel": [StrOptions({"auto", "pooled", "response", "signature", "precomputed"})],
        "alpha": [Interval(Real, 0, None, closed="neither"), None],
        "alphas": [None, "array-like"],
        "cv": [StrOptions({"loo", "gcv"})],
        "n_modes": [None, Interval(Integral, 1, None, closed="left")],
        "n_knots": [Interval(Integral, 2, 4096, closed="both")],
        "bandwidth": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "degree": [StrOptions({"auto"}), Interval(Integral, 0, MAX_DEGREE, closed="both")],
        "kernel_weights": [StrOptions({"auto"}), "array-like"],
        "basis": [None, SupportBasis],
        "dt": [None, Interval(Real, 0, None, closed="neither")],
        "depth": [None, Interval(Integral, 1, None, closed="left")],
        "dyadic_order": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "refine": [None, Interval(Integral, 1, None, closed="left")],
        "static": [StrOptions({"linear", "rbf"})],
        "time_augment": ["boolean"],
        "derivative": ["boolean"],
        "scaling": _SCALING,
        "input_scale": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "max_length": [None, StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "fit_intercept": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, kernel: str = "auto", *, alpha: float | None = None,
                 alphas: Any = None, cv: str = "loo", n_modes: int | None = None,
                 n_knots: int = 16, bandwidth: str | float = "auto",
                 degree: str | int = "auto", kernel_weights: Any = "auto",
                 basis: SupportBasis | None = None, dt: float | None = None,
                 depth: int | None = None, dyadic_order: int | str = "auto",
                 refine: int | None = None, static: str = "linear", time_augment: bool = True,
                 derivative: bool = True, scaling: str | float | None = "standard",
                 input_scale: str | float = "auto", max_length: int | str | None = "auto",
                 normalize: bool = True, fit_intercept: bool = True,
                 n_jobs: int | None = None) -> None:
        self.kernel = kernel
        self.alpha = alpha
        self.alphas = alphas
        self.cv = cv
        self.n_modes = n_modes
        self.n_knots = n_knots
        self.bandwidth = bandwidth
        self.degree = degree
        self.kernel_weights = kernel_weights
        self.basis = basis
        self.dt = dt
        self.depth = depth
        self.dyadic_order = dyadic_order
        self.refine = refine
        self.static = static
        self.time_augment = time_augment
        self.derivative = derivative
        self.scaling = scaling
        self.input_scale = input_scale
        self.max_length = max_length
        self.normalize = normalize
        self.fit_intercept = fit_intercept
        self.n_jobs = n_jobs

    # ----------------------------------------------------------------- inputs
    def _components(self) -> list[str]:
        """The kernels the estimator combines (see ``kernel``)."""
        return {"auto": ["pooled", "linear", "path"], "pooled": ["pooled", "linear"],
                "response": ["path"], "signature": ["path"]}[self.kernel]

    def _fit_inputs(self, X: Any) -> list[np.ndarray]:
        """Validate the training series and learn the channel scaling."""
        series = as_series_list(X)
        record_fit_input(self, series)
        _fit_scaling(self, series)
        check_not_constant(series, self.shift_, self.scale_)
        return series

    def _fit_path_inputs(self, series: list[np.ndarray]) -> list[np.ndarray]:
        """Block averaging, time step, basis and difference weights of the whole-path kernel;
        return the base (scaled, averaged) training inputs."""
        L = max(s.shape[0] for s in series)
        cells = self.max_length if self.max_length != "auto" else (
            MIXED_LENGTH if len(self._components()) > 1 else MAX_LENGTH)
        self.block_ = 1 if cells is None else -(-L // cells)
        n_cells = -(-L // self.block_)
        self.dt_ = (float(self.dt) * self.block_ if self.dt is not None else 1.0 / n_cells)
        # a kernel cell weighs dt**2: dt=1e-300 divided by zero and dt=1e160 overflowed in
        # the amplitude rule (ZeroDivisionError, OverflowError)
        low, high = math.sqrt(np.finfo(float).tiny), math.sqrt(np.finfo(float).max)
        if not low <= self.dt_ <= high:
            fail("dt", f"a number whose step (dt x {self.block_} with the block averaging) is "
                 f"in [{low:.1e}, {high:.1e}] (a kernel cell weighs dt**2)", self.dt,
                 hint="Use dt=None (the series span 1).")
        self.basis_ = check_basis(self.basis, finite=self.refine is not None)
        base = [_block_mean(z, self.block_) for z in scaled(self, series)]
        if self.derivative and self.kernel != "signature":
            cells = np.concatenate(base, axis=0)
            diffs = np.concatenate([np.diff(b, axis=0) for b in base], axis=0)
            size = np.abs(cells).mean(axis=0)
            rough = np.abs(diffs).mean(axis=0) if diffs.size else np.zeros_like(size)
            # the differences get the level channels' mean size (1-variation balance)
            self.derivative_weight_ = np.where(rough > 0, size / np.where(rough > 0, rough,
                                                                           1.0), 0.0)
        return base

    def _base(self, X: Any) -> list[np.ndarray]:
        return [_block_mean(z, self.block_) for z in scaled(self, as_series_list(X))]

    def _pooled_inputs(self, series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Inputs of the pooled kernel (packed): the scaled channels, their differences."""
        return pack(series, self.shift_, self.scale_, self.derivative)

    def _paths(self, base: list[np.ndarray], lam: float) -> list[np.ndarray]:
        """Kernel inputs at amplitude ``lam``: [1 | time], lam z, lam w dz (see the docs)."""
        out = []
        for z in base:
            parts = [lam * z]
            if self.derivative and self.kernel != "signature":
                dz = np.diff(z, axis=0, prepend=z[:1])
                parts.append(lam * self.derivative_weight_ * dz)
            if self.time_augment:
                lead = ((np.arange(z.shape[0]) * self.dt_)[:, None] if self.kernel ==
                        "signature" else np.ones((z.shape[0], 1)))
                parts.insert(0, lead)
            out.append(np.hstack(parts))
        return out

    def _scales(self, base: list[np.ndarray]) -> np.ndarray:
        """Candidate amplitudes: ``input_scale``, or the "auto" grid (docs/learning.md).

        The largest candidate gives the training path of largest 1-variation (data channels)
        the variation `MAX_VARIATION`, and keeps every PDE cell within reach of the
        refinement rule (``MAX_CELL_PRODUCT`` at ``MAX_AUTO_ORDER``); the others are it
        divided by 2, 4, ...
        """
        if self.input_scale != "auto":
            return np.array([float(self.input_scale)])
        var = peak = 0.0
        for p in self._paths(base, 1.0):
            data = p[:, 1:] if self.time_augment else p
            norms = np.linalg.norm(data, axis=1)
            var = max(var, float(norms.sum()) * self.dt_)
            peak = max(peak, float(norms.max(initial=0.0)))
        top = MAX_VARIATION / var if var > 0 else 1.0
        if self.kernel != "signature" and self.dyadic_order == "auto" and peak > 0:
            t = (np.arange(max(b.shape[0] for b in base)) + 0.5) * self.dt_
            kap = float(np.max(np.abs(self.basis_.kappa(t, t))))
            cell = MAX_CELL_PRODUCT * 4.0 ** MAX_AUTO_ORDER / (kap * self.dt_ ** 2)
            top = min(top, math.sqrt(max(cell - 1.0, 0.0)) / peak)
        return top / 2.0 ** np.arange(N_SCALES)

    def _scale_at(self, scales: np.ndarray, k: int, none_yet: bool) -> float | None:
        """Candidate ``k``: `_scales`, then, while no Gram was usable (``none_yet``), the
        "auto" grid's smallest amplitude halved up to `EXTRA_HALVINGS` more times (the
        paths' size, not the data's raw units, decides where the computed Gram is a
        kernel); None when there is no more."""
        if k < len(scales):
            return float(scales[k])
        if none_yet and self.input_scale == "auto" and k < len(scales) + EXTRA_HALVINGS:
            return float(scales[-1]) / 2.0 ** (k - len(scales) + 1)
        return None

    # ----------------------------------------------------------------- kernel
    def _order(self, paths: list[np.ndarray]) -> int:
        """The PDE refinement: the given ``dyadic_order`` or the "auto" rule above."""
        if self.dyadic_order != "auto":
            return int(self.dyadic_order)
        if self.kernel == "signature":
            inc = max(float(np.max(np.sum(np.diff(p, axis=0) ** 2, axis=1), initial=0.0))
                      for p in paths)
        else:
            t = (np.arange(max(p.shape[0] for p in paths)) + 0.5) * self.dt_
            kap = float(np.max(np.abs(self.basis_.kappa(t, t))))
            inc = kap * self.dt_ ** 2 * max(float(np.max(np.sum(p * p, axis=1))) for p in paths)
        order = 0
        while inc / 4.0 ** order > MAX_CELL_PRODUCT and order < MAX_AUTO_ORDER:
            order += 1
        return order

    def _gram(self, A: list[np.ndarray], B: list[np.ndarray] | None,
              order: int | None = None) -> np.ndarray:
        order = self.dyadic_order_ if order is None else order
        if self.kernel == "signature" and self.depth is not None:
            fail("depth", "None with kernel='signature' (the signature kernel is untruncated)",
                 self.depth)
        # the machine uses the discretised kernel at its chosen order (a valid kernel matrix
        # whatever its distance to the exact PDE solution): no CoarseGridWarning from it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoarseGridWarning)
            if self.kernel != "signature":
                return response_kernel(A, B, dt=self.dt_, basis=self.basis_,
                                       dyadic_order=order, depth=self.depth,
                                       refine=self.refine, n_jobs=self.n_jobs)
            A = [_two_points(a) for a in A]
            B = None if B is None else [_two_points(b) for b in B]
            return signature_kernel(A, B, static=self.static, dyadic_order=order,
                                    n_jobs=self.n_jobs)

    def _self_kernels(self, A: list[np.ndarray], order: int | None = None) -> np.ndarray:
        """K(u, u) of each path (for the normalisation)."""
        if self.kernel != "signature":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CoarseGridWarning)
                return response_kernel(A, dt=self.dt_, basis=self.basis_,
                                       dyadic_order=self.dyadic_order_ if order is None
                                       else order, depth=self.depth, refine=self.refine,
                                       n_jobs=self.n_jobs, diagonal=True)
        return np.array([self._gram([a], None, order)[0, 0] for a in A])

    def _train_gram(self, paths: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        K = self._gram(paths, None)
        diag = np.diag(K).copy()
        if self.normalize:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                root = np.sqrt(diag)                 # a bad candidate: `_usable` drops it
                K = K / root[:, None] / root[None, :]
        return K, diag

    # ------------------------------------------------------------ selection
    def _grid(self) -> tuple[np.ndarray | None, bool]:
        """Penalties to score and whether they are relative to the Gram's mean eigenvalue."""
        if self.alpha is not None:
            return np.array([float(self.alpha)]), False
        if self.alphas is None:
            return None, True
        grid = check_array("alphas", self.alphas, ndim=(0, 1), shape_text="(n_alphas,)").ravel()
        if grid.size == 0 or np.any(grid <= 0):
            fail("alphas", "a non-empty array of positive penalties", self.alphas)
        return grid, False

    def _score(self, K: np.ndarray, Yc: np.ndarray) -> LooFit:
        """Leave-one-out (or GCV, without per-series errors) of kernel ridge on ``K``."""
        grid, relative = self._grid()
        fit = loo_fit(K, Yc, grid, relative=relative, intercept=self.fit_intercept)
        n = K.shape[0]
        if self.cv == "gcv" and n > 1:
            scale = relative_scale(fit.lam, n) if relative else 1.0
            alphas = (KERNEL_ALPHAS if grid is None else grid) * scale
            errs = _kernel_ridge_cv(centre(K) if self.fit_intercept else K, Yc, alphas,
                                    "gcv", intercept=self.fit_intercept)[2]
            best = int(np.argmin(errs))
            # the leave-one-out residuals at GCV's penalty (for the weights of the kernels)
            res = loo_fit(K, Yc, alphas[best:best + 1], relative=False,
                          intercept=self.fit_intercept).residuals
            fit = LooFit(float(errs[best]), float(alphas[best]), errs, np.zeros(n), fit.lam,
                         fit.V, res)
        return fit

    #: whether the chosen stack is compared with itself without the whole-path kernel
    #: (`_without_path`; the classifier)
    _PATH_OPTIONAL: ClassVar[bool] = False

    def _pooled_candidates(self, series: list[np.ndarray], Yc: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
        """The pooled kernels' bank and their candidates scored by leave-one-out.

        Returns the training readouts ``(E, S)`` and ``(component, fit, spread)`` for every
        heat-kernel bandwidth and time degree and every degree of the linear readouts (each
        Gram scaled to a centred Gram of mean eigenvalue 1 before it is scored).
        """
        inputs = self._pooled_inputs(series)
        bank = fit_bank(inputs, n_modes=self.n_modes, n_knots=self.n_knots,
                        n_jobs=self.n_jobs)
        top = MAX_DEGREE if self.degree == "auto" else int(self.degree)
        E, S = embed(inputs, bank, self.n_jobs, top + 1)
        self.pooled_bank_ = bank
        widths = BANDWIDTHS if self.bandwidth == "auto" else np.array([float(self.bandwidth)])
        degrees = range(top + 1) if self.degree == "auto" else [top]
        out = []
        for b, d, K in heat_grams(E, widths, top):
            if d in degrees:
                out += self._candidate(("pooled", b, d), K, Yc)
        if not out:
            fail("bandwidth", "a width at which the pooled kernel tells the training series "
                 "apart (at most about 1, the whole rank range)", self.bandwidth,
                 hint="Use bandwidth='auto'.")
        for d in degrees:
            F = state_features(S, d)
            out += self._candidate(("linear", math.nan, d), F @ F.T, Yc)
        return E, S, out

    def _candidate(self, component: tuple, K: np.ndarray, Yc: np.ndarray) -> list[tuple]:
        """``[(component, fit, spread)]`` of a pooled Gram scaled to mean eigenvalue 1, or
        ``[]`` when it is constant to rounding (every series looks alike)."""
        if K.shape[0] == 1:       # one series: nothing to centre, any positive scale will do
            spread = max(abs(float(K[0, 0])), np.finfo(float).tiny)
        else:
            spread = _spread(K)
            if spread <= CONSTANT_SPREAD * float(np.mean(np.diag(K))):
                return []
        return [(component, self._score(K / spread, Yc), spread)]

    def _threshold_candidates(self, series: list[np.ndarray], Yc: np.ndarray
                              ) -> tuple[np.ndarray, list[tuple]]:
        r"""The threshold readouts of a linear SRNN and their candidates by leave-one-out.

        `LinearSRNNFeatures` with its defaults (seed `THRESHOLD_SEED`): the time averages
        of :math:`1\{h > b\}` and :math:`(h - b)_+` of every unit at thresholds drawn at
        quantiles of a training series' states, then their time-weighted averages; each
        column standardised on the training series. Candidate degree 0: the linear kernel of
        the plain averages; degree 1: of all of them. Unlike the pooled kernel's rank scale,
        a threshold readout counts how long a unit stays beyond its threshold: a short
        pattern's rare extremes weigh as much in a long series as in a short one.
        Returns the standardised training features and ``(component, fit, spread)`` each.
        """
        from ._oscillator import LinearSRNNFeatures

        feats = LinearSRNNFeatures(random_state=THRESHOLD_SEED, n_jobs=self.n_jobs)
        F = feats.fit_transform(series)
        mean, scale = standardize_columns(F)
        self.threshold_transformer_ = feats
        self.threshold_shift_, self.threshold_scale_ = mean, scale
        half = F.shape[1] // 2                     # pooling "mean+time": the plain averages first
        out = []
        for d, cols in ((0, half), (1, F.shape[1])):
            out += self._candidate(("threshold", math.nan, d), F[:, :cols] @ F[:, :cols].T, Yc)
        return F, out

    def _threshold_weights(self) -> np.ndarray:
        """Column weights of the threshold readouts in the weighted sum (0 where unused)."""
        n_cols = self.threshold_shift_.size
        half = n_cols // 2
        col = np.zeros(n_cols)
        for (kind, _, d), w, r in zip(self.components_, self.component_weights_,
                                      self.component_scales_, strict=True):
            if w > 0 and kind == "threshold":
                col[:half if d == 0 else n_cols] += w / r ** 2
        return np.sqrt(col)

    def _threshold_part(self, series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(K_threshold @ dual, row means of K_threshold)`` for new series."""
        out = np.empty((len(series), self.threshold_coef_.shape[1]))
        row = np.empty(len(series))
        step = max(1, CHUNK_VALUES // max(1, self.threshold_shift_.size))
        for lo in range(0, len(series), step):
            # `_decision` checked the lengths (once)
            F = self.threshold_transformer_._transform(series[lo:lo + step], lengths=False)
            F -= self.threshold_shift_
            F /= self.threshold_scale_
            F *= self.threshold_weights_
            out[lo:lo + step] = F @ self.threshold_coef_
            row[lo:lo + step] = F @ self.threshold_mean_
        return out, row

    def _pooled_features(self, E: np.ndarray, S: np.ndarray) -> np.ndarray:
        r"""Explicit features of the weighted sum of the pooled components in use.

        Heat kernels of every width and degree share the component Grams
        :math:`G_{p,k}` (time weight ``p``, DCT component ``k``): their weighted sum is
        :math:`\sum_{p,k} c_{p,k} G_{p,k}` with :math:`c_{p,k} = \sum_{(b,d):\,d \ge p}
        (w/s)\,e^{-\tau_b\mu_k}` (weight ``w``, scale ``s`` of each candidate), and the
        linear readouts likewise: one feature block per component, however many candidates
        carry weight.
        """
        n, P, C, B = E.shape[0], self.pooled_blocks_, E.shape[2], E.shape[3]
        mu = _dct(B)[1]
        spec, lin = np.zeros((P, B)), np.zeros(P)
        for (kind, b, d), w, r in zip(self.components_, self.component_weights_,
                                      self.component_scales_, strict=True):
            if w > 0 and kind == "pooled":
                spec[:d + 1] += w / r ** 2 * np.exp(-0.5 * (b * (B - 1)) ** 2 * mu)
            elif w > 0 and kind == "linear":
                lin[:d + 1] += w / r ** 2
        parts = []
        for p in range(P):
            root = np.sqrt(spec[p])
            keep = root > NEGLIGIBLE * root.max(initial=0.0)
            if keep.any():
                parts.append((E[:, p][:, :, keep] * root[keep]).reshape(n, -1))
            if lin[p] > 0:
                parts.append(math.sqrt(lin[p]) * S[:, p].reshape(n, C))
        return np.hstack(parts) if parts else np.zeros((n, 0))

    def _pooled_part(self, series: list[np.ndarray], dual: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """``(K_pooled @ dual, row means of K_pooled)`` for new series, from their explicit
        features in chunks (bounded memory)."""
        X, offsets = self._pooled_inputs(series)
        n = offsets.size - 1
        C, B = self.pooled_bank_["knots"].shape
        step = max(1, CHUNK_VALUES // (C * B * self.pooled_blocks_))
        out, row = np.empty((n, dual.shape[1])), np.empty(n)
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            part = (X[offsets[lo]:offsets[hi]], offsets[lo:hi + 1] - offsets[lo])
            F = self._pooled_features(*embed(part, self.pooled_bank_, self.n_jobs,
                                             self.pooled_blocks_))
            out[lo:hi] = F @ self.pooled_coef_
            row[lo:hi] = F @ self.pooled_mean_
        return out, row

    def _fit_path(self, series: list[np.ndarray], Yc: np.ndarray) -> np.ndarray:
        """The whole-path kernel's amplitude by leave-one-out; its normalised training Gram.

        Mixed with the pooled kernels (``kernel="auto"``), the amplitude is chosen on at most
        ``MIXED_SUBSET`` evenly spaced training series; the Gram of all of them follows.
        """
        base = self._fit_path_inputs(series)
        n = len(base)
        sub = np.arange(n)
        if len(self._components()) > 1 and n > MIXED_SUBSET:
            sub = np.unique(np.linspace(0, n - 1, MIXED_SUBSET).round().astype(int))
        best, scales, k = None, self._scales(base), -1
        while (lam := self._scale_at(scales, k := k + 1, best is None)) is not None:
            paths = self._paths([base[i] for i in sub], lam)
            order = self._order(self._paths(base, lam))
            self.dyadic_order_ = order
            try:
                K, diag = self._train_gram(paths)
            except NonFiniteResultError:  # overflow: the kernel grows like exp(path size)
                continue                  # (the PDE's memory guard is no amplitude issue)
            if not _usable(K, diag):
                continue
            fit = self._score(K, Yc[sub] - Yc[sub].mean(axis=0) if self.fit_intercept
                              else Yc[sub])
            if best is None or fit.error < best[0]:
                best = (fit.error, lam, K, diag, order)
        if best is None:
            fail("input_scale", "an amplitude at which the training Gram matrix is "
                 "finite and a kernel, |K(u, v)| <= sqrt(K(u, u) K(v, v)) (the kernel grows "
                 "like the exponential of the paths' size, and a PDE grid too coarse for "
                 "that size breaks the inequality)", self.input_scale,
                 hint="Give a smaller input_scale, a finite depth or dyadic_order='auto'.")
        _, self.input_scale_, K, diag, self.dyadic_order_ = best
        self.X_fit_ = self._paths(base, self.input_scale_)
        if sub.size < n:
            K, diag = self._train_gram(self.X_fit_)
            if not _usable(K, diag):
                fail("input_scale", "an amplitude at which the training Gram matrix is "
                     "finite", self.input_scale_, hint="Give a smaller input_scale.")
        self.self_kernel_ = diag
        return K

    def _fixed_weights(self, cands: list[tuple], names: list[str]) -> tuple[list[int], np.ndarray]:
        """Given ``kernel_weights``: the best heat candidate by leave-one-out, the linear
        readouts of its degree and the whole path, with the given weights."""
        w = check_array("kernel_weights", self.kernel_weights, ndim=1,
                        shape_text=f"({len(names)},)")
        if w.shape != (len(names),) or np.any(w < 0) or w.sum() <= 0:
            fail("kernel_weights", f"{len(names)} non-negative weights (of the kernels "
                 f"{', '.join(names)} for kernel={self.kernel!r}), not all zero",
                 self.kernel_weights)
        kinds = [c[0][0] for c in cands]
        heat = [i for i, k in enumerate(kinds) if k == "pooled"]
        pick: dict[str, int] = {}
        if heat:
            pick["pooled"] = min(heat, key=lambda i: cands[i][1].error)
            d = cands[pick["pooled"]][0][2]
            lin = [i for i, c in enumerate(cands) if c[0][0] == "linear" and c[0][2] == d]
            if not lin:
                fail("kernel_weights", "weights for the kernels that exist (the linear "
                     "readouts are constant on these series)", self.kernel_weights)
            pick["linear"] = lin[0]
        if "path" in kinds:
            pick["path"] = kinds.index("path")
        return [pick[k] for k in names], w / w.sum()

    def _fit_kernel(self, X: Any, targets: Any) -> None:
        """Kernels, their weights and the penalty by leave-one-out; the dual coefficients.

        ``targets(n)`` validates and returns the targets once the number of series is known.
        """
        # nothing of an earlier fit stays (found by review: a precomputed refit kept the
        # earlier fit's components_, kernel_weights_, pooled_coef_ and threshold readouts)
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)
        self._clear_threshold()
        if self.kernel == "precomputed":
            K = check_array("X", X, ndim=2, shape_text="(n_series, n_series) Gram matrix")
            if K.shape[0] != K.shape[1]:
                fail("X", "a square Gram matrix (kernel='precomputed')", K)
            self.n_features_in_ = K.shape[1]
            self._finish(K, targets(K.shape[0]))
            return
        if self.kernel == "signature" and self.depth is not None:
            # before the amplitude search, which reads a ValueError as an overflow
            fail("depth", "None with kernel='signature' (the signature kernel is untruncated)",
                 self.depth)
        series = self._fit_inputs(X)
        Y = targets(len(series))
        Y2 = Y.reshape(len(series), -1)
        Yc = Y2 - Y2.mean(axis=0) if self.fit_intercept else Y2
        names = self._components()
        E = S = K_path = T = None
        cands: list[tuple] = []
        if "pooled" in names:
            E, S, cands = self._pooled_candidates(series, Yc)
            if isinstance(self.kernel_weights, str):
                T, more = self._threshold_candidates(series, Yc)
                cands += more
        if "path" in names:
            K_path = self._fit_path(series, Yc)
            # kernels that are mixed get the same scale (centred Gram of mean eigenvalue 1)
            self.path_scale_ = _spread(K_path) if len(names) > 1 else 1.0
            # a path Gram constant to rounding (a tiny input_scale) has no scale of its own:
            # divided by its spread it reached 1e300 and the eigensolver failed
            if self.path_scale_ <= CONSTANT_SPREAD * float(np.mean(np.abs(np.diag(K_path)))):
                self.path_scale_ = max(float(np.mean(np.abs(np.diag(K_path)))),
                                       np.finfo(float).tiny)
            cands.append((("path", math.nan, -1), self._score(K_path / self.path_scale_, Yc),
                          self.path_scale_))
        if isinstance(self.kernel_weights, str):
            options = _stack_options(cands, Yc)
        else:
            options = [self._fixed_weights(cands, names)]
        parts = (len(series), names, E, S, K_path, T)
        best = None
        for use, w in options:
            now = self._stack_fit(cands, use, w, parts, Yc)
            if best is None or _clearly_better(now[-1], best[-1]):
                best = now
        if self._PATH_OPTIONAL and isinstance(self.kernel_weights, str):
            best = self._without_path(cands, best, parts, Yc, Y2 - Yc)
        use, w, K, F, FT, fit = best
        self._set_components(cands, use, w, names)
        self._finish(K, Y, fit)
        if "pooled" in names:
            self.pooled_coef_ = F.T @ self.dual_coef_.reshape(F.shape[0], -1)
            self.pooled_mean_ = F.mean(axis=0)
        if FT is not None:
            self.threshold_coef_ = FT.T @ self.dual_coef_.reshape(FT.shape[0], -1)
            self.threshold_mean_ = FT.mean(axis=0)
        else:
            # the threshold readouts are not used: no part of them stays behind
            self._clear_threshold()
        if self.kernel_weights_[2] == 0.0 and "path" in names:
            self.X_fit_ = None      # the whole-path kernel is not used: nothing to compare

    def _clear_threshold(self) -> None:
        """The threshold readouts' attributes, None (unused)."""
        self.threshold_transformer_ = None
        for name in ("shift", "scale", "weights", "coef", "mean"):
            setattr(self, f"threshold_{name}_", None)

    def _stack_fit(self, cands: list[tuple], use: list[int], w: np.ndarray, parts: tuple,
                   Yc: np.ndarray) -> tuple:
        """``(use, w, K, F, FT, fit)``: the stack's Gram (`_combined_gram` of ``parts``) and
        its leave-one-out fit (the candidate's own when one has all the weight)."""
        names = parts[1]
        self._set_components(cands, use, w, names)
        K, F, FT = self._combined_gram(*parts)
        single = [i for i, wi in zip(use, w, strict=True) if wi == 1.0]
        fit = cands[single[0]][1] if single else self._score(K, Yc)
        return use, w, K, F, FT, fit

    def _without_path(self, cands: list[tuple], best: tuple, parts: tuple, Yc: np.ndarray,
                      offset: np.ndarray) -> tuple:
        """The classifier's chosen stack without the whole-path kernel, unless the stack with
        it misclassifies fewer training series by leave-one-out (`_misclassified`; a tie
        goes to the stack without it, the cheaper one to predict with).

        Found by a held-out check: on 30 Cylinder-Bell-Funnel series the stack gave the
        whole path half the weight for a smaller squared leave-one-out error on the +-1
        targets, with no fewer leave-one-out misclassifications, and lost accuracy (0.907
        against 0.943 without it). A margin of one standard error of the paired difference
        dropped the whole path where it carried a noisy 3-class task (0.49 -> 0.32).
        """
        use, w = best[0], best[1]
        kinds = [cands[i][0][0] for i in use]
        path = [wi for k, wi in zip(kinds, w, strict=True) if k == "path"]
        if not (path and path[0] > 0 and "pooled" in kinds):
            return best
        plain = [i for i, k in zip(use, kinds, strict=True) if k != "path"]
        other = self._stack_fit(cands, plain, stack_weights([cands[i][1] for i in plain], Yc),
                                parts, Yc)
        wrong = _misclassified(best[-1], Yc, offset).per_series.sum()
        return best if wrong < _misclassified(other[-1], Yc, offset).per_series.sum() else other

    def _set_components(self, cands: list[tuple], use: list[int], w: np.ndarray,
                        names: list[str]) -> None:
        """The fitted description of the candidates ``use`` with weights ``w``."""
        self.components_ = [cands[i][0] for i in use]
        self.component_weights_ = w
        self.component_errors_ = np.array([cands[i][1].error for i in use])
        self.component_scales_ = np.array([math.sqrt(cands[i][2]) for i in use])
        self.kernel_weights_ = np.array([w[[c[0] == k for c in self.components_]].sum()
                                         for k in ("pooled", "linear", "path", "threshold")])
        self._summarise_pooled()
        if "pooled" in names:
            self.pooled_blocks_ = 1 + max((d for (k, _, d), wi in zip(
                self.components_, w, strict=True) if wi > 0 and k in ("pooled", "linear")),
                default=0)
        if self.kernel_weights_[3] > 0:
            self.threshold_weights_ = self._threshold_weights()

    def _combined_gram(self, n: int, names: list[str], E: Any, S: Any, K_path: Any, T: Any
                       ) -> tuple[np.ndarray, Any, Any]:
        """The weighted sum of the kernels in use (`_set_components`), with the explicit
        features of its pooled part and of its threshold part (None when unused)."""
        K = np.zeros((n, n))
        F = FT = None
        if "pooled" in names:
            F = self._pooled_features(E, S)
            K += F @ F.T
        if self.kernel_weights_[2] > 0:
            K += self.kernel_weights_[2] / self.path_scale_ * K_path
        if T is not None and self.kernel_weights_[3] > 0:
            FT = T * self.threshold_weights_
            K += FT @ FT.T
        return K, F, FT

    def _summarise_pooled(self) -> None:
        """``bandwidth_`` and ``degree_``: the heaviest heat component's (of the best one by
        leave-one-out where none has weight)."""
        heat = [i for i, c in enumerate(self.components_) if c[0] == "pooled"]
        if heat:
            i = max(heat, key=lambda i: (self.component_weights_[i],
                                         -self.component_errors_[i]))
            self.bandwidth_, self.degree_ = self.components_[i][1], self.components_[i][2]

    def _finish(self, K: np.ndarray, Y: np.ndarray, fit: LooFit | None = None) -> None:
        """Dual coefficients on the chosen Gram ``K`` (penalty from ``fit`` or chosen here)."""
        n = K.shape[0]
        Y2 = Y.reshape(n, -1)
        Yc = Y2 - Y2.mean(axis=0) if self.fit_intercept else Y2
        fit = self._score(K, Yc) if fit is None else fit
        _warn_if_constant(K)
        self.alpha_ = fit.alpha
        self.cv_errors_ = fit.errors if self.alpha is None else np.zeros(0)
        dual = fit.V @ ((fit.V.T @ Yc) / (fit.lam + fit.alpha)[:, None])
        self.dual_coef_ = dual.reshape(Y.shape) if Y.ndim == 1 else dual
        self.intercept_ = (Y2.mean(axis=0) if self.fit_intercept else np.zeros(Y2.shape[1]))
        if Y.ndim == 1:
            self.intercept_ = float(self.intercept_[0])
        self.gram_col_mean_ = K.mean(axis=0) if self.fit_intercept else np.zeros(n)
        self.gram_mean_ = float(K.mean()) if self.fit_intercept else 0.0

    def _path_test_gram(self, series: list[np.ndarray]) -> np.ndarray:
        # the lengths were checked by `_decision` (one warning per call)
        base = [_block_mean(z, self.block_) for z in scaled(self, series, lengths=False)]
        paths = self._paths(base, self.input_scale_)
        # new paths with larger increments than the training ones get a finer PDE grid, each
        # by its own increments (found by fuzzing: one large series in a batch put every
        # series on its grid, and 10 of 150 labels depended on the batch)
        orders = np.array([max(self.dyadic_order_, self._order([p])) for p in paths])
        groups = [(int(o), np.flatnonzero(orders == o)) for o in np.unique(orders)]
        if self.normalize:
            bad = np.concatenate([ids[self._overflowing([paths[i] for i in ids], o)]
                                  for o, ids in groups])
            if bad.size:
                bad.sort()
                L = max(len(paths[i]) for i in bad)
                _fail_overflow(f"{bad.size} of {len(paths)} series (the first: {bad[0]}; up "
                               f"to {L} cells) whose own kernel overflows",
                               "split long series, or use kernel='pooled' (time-averaged, "
                               "any length)")
        out = np.empty((len(paths), len(self.X_fit_)))
        for order, ids in groups:
            out[ids] = self._group_rows([paths[i] for i in ids], order, ids, len(paths), base)
        return out

    def _group_rows(self, paths: list[np.ndarray], order: int, ids: np.ndarray, total: int,
                    base: list[np.ndarray]) -> np.ndarray:
        """`_path_rows` of one group of new paths solved at one order, errors named."""
        try:
            return self._path_rows(paths, order)
        except MemoryLimitError as err:   # the PDE's memory guard: name the series
            L = max(len(base[i]) for i in ids)
            fail("X", "series whose whole-path kernel with the training series fits "
                 "the PDE's memory guard", f"series of up to {L} cells (after block "
                 f"averaging by {self.block_}): {_first_sentence(err)}",
                 hint="Split long series, or fit with kernel='pooled' (time-averaged, "
                 "any length).")
        except NonFiniteResultError:      # overflow: name the series, not the PDE
            bad = [int(ids[i]) for i, p in enumerate(paths) if not _rows_finite(self, p, order)]
            _fail_overflow(f"{len(bad)} of {total} series (the first: "
                           f"{bad[0] if bad else '?'}) whose kernel overflows",
                           "or kernel='pooled' (time-averaged, no overflow)")

    def _overflowing(self, paths: list[np.ndarray], order: int) -> np.ndarray:
        """Indices of new paths whose self-kernel overflows: their normalised rows cannot
        exist, and a finer grid does not shrink a kernel that grows with the path's size
        (found by fuzzing: series 16 times longer than the training ones were refused after
        42 s of rows, then every row again, one at a time, to name them). A finite
        self-kernel that is not positive is left to the rows' own refinement."""
        def own(group: list[np.ndarray]) -> np.ndarray:
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    return self._self_kernels(group, order)
            except NonFiniteResultError:
                return np.full(len(group), np.nan)
            except MemoryLimitError:          # the rows' own guard names it
                return np.zeros(len(group))

        values = own(paths)
        if np.all(np.isfinite(values)):
            return np.zeros(0, dtype=int)
        if len(paths) > 1:                    # which ones (the error covered them all)
            values = np.array([own([p])[0] for p in paths])
        return np.flatnonzero(~np.isfinite(values))

    def _path_rows(self, paths: list[np.ndarray], order: int) -> np.ndarray:
        """The normalised whole-path kernel of new ``paths`` with the training ones."""
        K = self._gram(paths, self.X_fit_, order)
        if self.normalize:
            own = self._self_kernels(paths, order)
            bad = np.flatnonzero(~(own > 0) | ~np.isfinite(own))
            # a path too large for the capped grid: refine its own rows further
            while bad.size and order < self.dyadic_order_ + PREDICT_EXTRA_ORDERS:
                order += 1
                some = [paths[i] for i in bad]
                K[bad] = self._gram(some, self.X_fit_, order)
                own[bad] = self._self_kernels(some, order)
                bad = bad[~(own[bad] > 0) | ~np.isfinite(own[bad])]
            if bad.size:
                fail("X", "series that the fitted kernel can compare with the training ones",
                     f"{bad.size} series (the first: {bad[0]}) whose self-kernel is not "
                     f"positive even at dyadic order {order}", hint="Their paths are far "
                     "larger than the training paths; give a smaller input_scale.")
            K = K / np.sqrt(own)[:, None] / np.sqrt(self.self_kernel_)
        return K

    def _decision(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "dual_coef_")
        dual = self.dual_coef_.reshape(self.dual_coef_.shape[0], -1)
        if self.kernel == "precomputed":
            K = check_array("X", X, ndim=2, shape_text="(n_series, n_train) Gram matrix")
            if K.shape[1] != dual.shape[0]:
                fail("X", f"a Gram matrix with {dual.shape[0]} columns (one per "
                     "training series)", K)
            out, row = K @ dual, K.mean(axis=1)
        else:
            series = as_series_list(X)
            check_channels(series, self.n_features_in_, getattr(self, "_fit_min_steps", None))
            out = np.zeros((len(series), dual.shape[1]))
            row = np.zeros(len(series))
            if "pooled" in self._components():
                out, row = self._pooled_part(series, dual)
            if getattr(self, "threshold_transformer_", None) is not None:
                more, extra = self._threshold_part(series)
                out, row = out + more, row + extra
            if self.kernel_weights_[2] > 0:
                K = self._path_test_gram(series) * (self.kernel_weights_[2] / self.path_scale_)
                out += K @ dual
                row += K.mean(axis=1)
        if self.fit_intercept:
            s = dual.sum(axis=0)
            out = out - (self.gram_col_mean_ @ dual)[None, :] - row[:, None] * s[None, :] \
                + self.gram_mean_ * s[None, :]
        out = out + np.atleast_1d(self.intercept_)[None, :]
        return out[:, 0] if self.dual_coef_.ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags


#: how far past Cauchy-Schwarz, |K(u, v)| <= sqrt(K(u, u) K(v, v)), a computed Gram may go
#: before it is no kernel at all (a PDE grid far too coarse for the paths' size), not the
#: discretisation error of a usable one
SCHWARZ_SLACK = 1.5


def _usable(K: np.ndarray, diag: np.ndarray) -> bool:
    """A training Gram that is finite, with positive self-kernels, within `SCHWARZ_SLACK` of
    Cauchy-Schwarz."""
    if not (np.all(np.isfinite(K)) and np.all(diag > 0)):
        return False
    root = np.sqrt(np.diag(K))       # diag itself, or 1 for a normalised Gram: positive here
    return bool(np.max(np.abs(K) / root[:, None] / root[None, :]) <= SCHWARZ_SLACK)


def _clearly_better(fit: LooFit, than: LooFit) -> bool:
    """Whether ``fit``'s leave-one-out error is below ``than``'s by more than one standard
    error of their paired per-series difference (the one-standard-error rule; with GCV,
    which has no per-series errors, by any amount)."""
    diff = fit.per_series - than.per_series
    return fit.error + mean_se(diff) < than.error


def _stack_options(cands: list[tuple], Yc: np.ndarray) -> list[tuple[list[int], np.ndarray]]:
    """The stacks ``(candidate indices, weights)`` that ``kernel_weights="auto"`` compares,
    simplest first: a later one replaces an earlier only if its leave-one-out error is
    clearly smaller (`_clearly_better`).

    The full stack; when it gives the threshold readouts weight, the stack without them
    before it (found on regression tasks: the weights are fitted in the training split too,
    and a smaller leave-one-out error by a hair lost on the test).
    """
    options = [(list(range(len(cands))), stack_weights([c[1] for c in cands], Yc))]
    kinds = np.array([c[0][0] for c in cands])
    if options[0][1][kinds == "threshold"].sum() > 0:
        plain = [int(i) for i in np.flatnonzero(kinds != "threshold")]
        options.insert(0, (plain, stack_weights([cands[i][1] for i in plain], Yc)))
    return options


def _misclassified(fit: LooFit, Yc: np.ndarray, offset: np.ndarray) -> LooFit:
    """``fit`` with the leave-one-out misclassification (0 or 1 per series) as its error.

    The leave-one-out decision values are ``Yc - fit.residuals + offset`` (``offset``: the
    targets' column means, the centring undone); one column: the sign of the +-1 target,
    several: the column of largest value, as ``predict`` reads them.
    """
    P = Yc - fit.residuals + offset
    T = Yc + offset
    if T.shape[1] == 1:
        wrong = (P[:, 0] > 0) != (T[:, 0] > 0)
    else:
        wrong = np.argmax(P, axis=1) != np.argmax(T, axis=1)
    wrong = wrong.astype(float)
    return LooFit(float(wrong.mean()), fit.alpha, fit.errors, wrong, fit.lam, fit.V,
                  fit.residuals)


def _centred_trace(K: np.ndarray) -> float:
    r"""Trace / n of the centred Gram ``centre(K)``, without forming it:
    :math:`\overline{\mathrm{diag}\,K} - \bar K`."""
    return float(np.mean(np.diag(K)) - K.mean())


def _spread(K: np.ndarray) -> float:
    """Mean eigenvalue of the centred Gram matrix (its trace / n): the kernel's own scale."""
    return max(_centred_trace(K), np.finfo(float).tiny)


def _warn_if_constant(K: np.ndarray) -> None:
    energy = float(np.mean(np.abs(np.diag(K))))
    # a trace that rounds below zero is zero (the message showed a negative share)
    spread = max(_centred_trace(K), 0.0) if K.shape[0] > 1 else energy
    if energy > 0 and spread < 1e-6 * energy:
        warnings.warn(
            f"the training Gram matrix is nearly constant (its centred part holds "
            f"{spread / energy:.1e} of its mean diagonal): the kernel cannot tell the series "
            "apart and the fit is close to predicting the mean. Rescale the inputs "
            "(input_scale, scaling) or use input_scale='auto'.",
            NearConstantGramWarning, stacklevel=4)


def _two_points(a: np.ndarray) -> np.ndarray:
    return np.vstack([a, a]) if a.shape[0] == 1 else a


_DOC_PARAMS = r"""Parameters
    ----------
    kernel : {"auto", "pooled", "response", "signature", "precomputed"}, default="auto"
        ``"auto"``: a weighted sum of the pooled response kernel
        (``srnnkit.kernels.pooled_response_kernel``: time-averaged readouts of a bank of
        fading modes on the rank scale of their training states), its linear part, and the
        normalised whole-path response kernel; weights by stacking their leave-one-out
        predictions (docs/learning.md).
        ``"pooled"``: the first two only. ``"response"``: ``srnnkit.kernels.response_kernel``
        of the prepared inputs (below) with ``basis``, ``dt``, ``depth``, ``dyadic_order``,
        ``refine``. ``"signature"``: ``srnnkit.kernels.signature_kernel`` of the series as
        paths (``static``, ``dyadic_order``). ``"precomputed"``: ``X`` is a Gram matrix
        (``(n_train, n_train)`` in ``fit``, ``(n_test, n_train)`` afterwards; used as given).
    alpha : float or None, default=None
        A fixed ridge penalty; ``None``: chosen by ``cv`` among ``alphas``.
    alphas : array-like of shape (n_alphas,) or None, default=None
        Candidate penalties, scored by ``cv`` from one eigendecomposition of the (centred)
        Gram matrix. ``None``: ``logspace(-6, 1, 15)`` times its mean eigenvalue.
    cv : {"loo", "gcv"}, default="loo"
        Efficient leave-one-out or generalised cross-validation.
    n_modes : int or None, default=None
        Modes of the pooled kernel; ``None``: ``max(256, 32 * n_channels)``.
    n_knots : int, default=16
        Quantile knots per coordinate of the pooled kernel.
    bandwidth : float or "auto", default="auto"
        Width of the pooled kernel's heat kernel on the rank scale; ``"auto"``: every width
        among 1/32, 1/16, ..., 1 is a candidate.
    degree : int or "auto", default="auto"
        Degree (0-2) of the pooled readouts' weights in the relative time; ``"auto"``:
        every degree is a candidate.
    kernel_weights : array-like or "auto", default="auto"
        ``"auto"``: the weights of all candidate kernels (every bandwidth and degree of the
        heat kernel, every degree of the linear readouts, the whole path, and the linear
        kernels of the standardised threshold readouts of a linear SRNN, plain and
        time-weighted) are the non-negative least squares of the training targets on the
        candidates' exact leave-one-out predictions (stacking), normalised to sum 1. When
        the threshold readouts get weight, the same stack without them is fitted too, and
        the stack with them is kept only if its exact leave-one-out error as one kernel
        ridge is smaller by more than one standard error of the paired difference.
        ``ResponseKernelClassifier``: when the chosen stack gives the whole path weight, the
        stack of its other candidates is fitted too and kept unless the stack with the whole
        path misclassifies fewer training series by exact leave-one-out. An array: fixed
        weights of the kernels combined (``kernel="auto"``: pooled, linear, whole path;
        ``"pooled"``: pooled, linear; never the threshold readouts), normalised to sum 1,
        with the heat kernel of the smallest leave-one-out error and the linear readouts of
        its degree.
    basis : SupportBasis or None, default=None
        Support basis :math:`\psi` (only its :math:`\kappa` is used unless ``refine`` is given);
        ``None`` means ``MonomialBasis(1)``.
    dt : float or None, default=None
        Input time step (before block averaging); ``None``: time rescaled so that the longest
        training series spans :math:`[0, 1]`.
    depth : int or None, default=None
        Truncate the response kernel at this signature level (``None``: untruncated PDE).
    dyadic_order : int or "auto", default="auto"
        PDE grid refinement (see ``response_kernel``/``signature_kernel``). ``"auto"``: the
        smallest order (at most 3) at which every sub-cell's increment product
        :math:`\kappa\,|u|^2\,dt^2/4^{\text{order}}` of a training path is at most 1/4; new
        series with larger increments are compared on a finer grid.
    refine : int or None, default=None
        Pieces per input cell with exact cell integrals (``response_kernel``); with
        ``depth=N`` and ``refine=r`` the kernel is exactly the inner product of
        ``ResponseFeatures(depth=N, refine=r, scalar_term=True)`` features.
    static : {"linear", "rbf"}, default="linear"
        Static kernel of ``kernel="signature"``.
    time_augment : bool, default=True
        ``"response"``: prepend a constant input channel 1, so that :math:`X` contains the
        time path. ``"signature"``: prepend the time channel :math:`t_i = i\,dt`.
    derivative : bool, default=True
        ``"response"``: append the first differences of the (standardised, block-averaged)
        channels, weighted by ``mean |z| / mean |dz|`` over the training cells, so that the
        response path :math:`\int\psi\otimes u` also follows the series itself, whatever
        its sampling rate.
    scaling : {"standard"}, float or None, default="standard"
        Input scaling learned in ``fit`` (see `ResponseFeatures`).
    input_scale : float or "auto", default="auto"
        Amplitude :math:`\lambda` of the data channels (the constant channel stays 1): the
        kernel weighs signature level :math:`n` by about :math:`\lambda^{2n}`. ``"auto"``:
        six candidates, the largest giving the training path of largest 1-variation the
        variation 32 (and keeping every PDE cell within reach of the refinement rule), the
        others it divided by 2, 4, ..., 32; the one with the smallest leave-one-out error
        wins.
    max_length : int, "auto" or None, default="auto"
        For the whole-path kernel, series longer than this (the longest training series of
        ``L`` steps) are averaged over blocks of ``ceil(L / max_length)`` steps, so that the
        :math:`O(L^2)` PDE stays affordable; ``"auto"``: 128 (64 when mixed with the pooled
        kernels); ``None``: never.
    normalize : bool, default=True
        Use :math:`K(u,v)/\sqrt{K(u,u)K(v,v)}` (every series has unit norm in the RKHS).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (kernel centred on the training series).
    n_jobs : int or None, default=None
        Threads for the Gram matrices.
"""


class ResponseKernelRidge(SeriesScoreMixin, MultiOutputMixin, RegressorMixin,
                          _KernelBase):
    r"""Kernel ridge regression with the response kernel (docs/theory.md §5-6).

    The Gram matrix :math:`K_{ij} = \langle S(X^{u_i}), S(X^{u_j})\rangle`,
    :math:`X^u = \int\psi\otimes u`, is computed by the Goursat PDE (or truncated); the fit
    is :math:`c = (K_c + \alpha I)^{-1} (y - \bar y)` with the centred Gram :math:`K_c` and
    :math:`F(u) = \bar y + \sum_i c_i K_c(u, u_i)` (representer theorem, unpenalised
    intercept). Every noise-averaged SRNN readout is an element of this RKHS.

    With the defaults the machine is usable on real series of any length: see
    docs/learning.md ("The kernel machine, defaults") for each rule and why.

    {params}
    Attributes
    ----------
    dual_coef_ : ndarray of shape (n_train,) or (n_train, n_targets)
    intercept_ : float or ndarray of shape (n_targets,)
    alpha_ : float
        The penalty used.
    cv_errors_ : ndarray of shape (n_alphas,)
        Mean squared cross-validation error per penalty at the chosen amplitude (empty with
        a fixed ``alpha``); summed over several targets, each in units of its standard
        deviation (``ResponseKernelRidge``).
    input_scale_ : float
        The amplitude in use.
    dyadic_order_ : int
        The PDE refinement of the training Gram matrix.
    block_ : int
        Block length of the averaging (1: none).
    derivative_weight_ : ndarray of shape (m,)
        Weight of the difference channels (with ``derivative``).
    X_fit_ : list of ndarray
        Training paths' inputs after scaling, averaging and augmentation.
    self_kernel_ : ndarray of shape (n_train,)
        :math:`K(u_i, u_i)` of the training series (for the normalisation).
    gram_col_mean_, gram_mean_ : ndarray, float
        Column means and mean of the training Gram matrix (for the centring).
    basis_ : SupportBasis
    dt_ : float
        Cell width of the (averaged) inputs.
    n_features_in_ : int
        Number of input channels (``n_train`` for ``kernel="precomputed"``).
    components_ : list of tuple
        The candidate kernels ``(kind, bandwidth, degree)``, ``kind`` one of ``"pooled"``
        (heat kernel), ``"linear"`` (linear readouts; bandwidth NaN), ``"path"`` (whole
        path; bandwidth NaN, degree -1) and ``"threshold"`` (threshold readouts; bandwidth
        NaN, degree 0: plain time averages, 1: with the time-weighted ones). When the stack
        without the threshold readouts wins, they are not listed.
    component_weights_ : ndarray of shape (n_components,)
        Their weights in the kernel (summing to 1; stacking with ``kernel_weights="auto"``).
    component_errors_ : ndarray of shape (n_components,)
        Leave-one-out error of each candidate alone, at its own best penalty.
    component_scales_ : ndarray of shape (n_components,)
        Square roots of the candidates' own scales (mean eigenvalue of the centred Gram),
        by which each is divided before weighting.
    kernel_weights_ : ndarray of shape (4,)
        Total weights of the pooled, linear, whole-path and threshold-readout kernels.
    bandwidth_, degree_ : float, int
        Bandwidth and time degree of the heaviest heat-kernel candidate.
    pooled_bank_ : dict
        The pooled kernel's modes and knots.
    threshold_transformer_ : LinearSRNNFeatures or None
        The threshold readouts (``LinearSRNNFeatures(random_state=0)``, fitted on the
        training series); None when they have no weight.
    threshold_shift_, threshold_scale_, threshold_weights_, threshold_coef_, threshold_mean_ :
        ndarray or None
        Their standardisation, column weights in the kernel, primal coefficients and
        weighted training means; None with ``threshold_transformer_``.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import ResponseKernelRidge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 20, 1))
    >>> y = X.mean(axis=(1, 2))
    >>> est = ResponseKernelRidge(alphas=[1e-4, 1e-2, 1.0]).fit(X[:20], y[:20])
    >>> est.predict(X[20:]).shape
    (10,)
    """

    def fit(self, X: Any, y: Any) -> ResponseKernelRidge:
        """Fit the dual coefficients.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
            (a Gram matrix for ``kernel="precomputed"``)
        y : array-like of shape (n_series,) or (n_series, n_targets)

        Returns
        -------
        self
        """
        check_params(self)
        exponent, tscale = 0, None

        def targets(n: int) -> np.ndarray:
            # targets beyond 1e30 or below 1e-30 are fitted at unit size (a power of two,
            # exact): the leave-one-out choices square the errors (predictions moved by
            # 0.6 at 1e-200); the coefficients and errors are scaled back below
            nonlocal exponent, tscale
            Y = check_targets(y, n)
            if Y.ndim == 2:
                # several targets: chosen for in units of each target's deviation (each
                # counts alike; one target's units leave the others' predictions as they are)
                tscale = target_scales(Y)
                Y = Y / tscale
            exponent = unit_exponent(Y)
            return np.ldexp(Y, -exponent)

        self._fit_kernel(X, targets)
        if exponent or tscale is not None:
            self._scale_targets(exponent, tscale)
        return self

    def _scale_targets(self, e: int, scale: np.ndarray | None = None) -> None:
        """Undo the fit's target scaling, by ``scale`` (several targets: each one's
        deviation) and by ``2**-e``: coefficients times ``2**e`` and ``scale``, squared
        errors times ``4**e`` (with several targets they stay in the deviations' units)."""
        for name in ("dual_coef_", "intercept_", "pooled_coef_", "threshold_coef_"):
            value = getattr(self, name, None)
            if value is None:
                continue
            value = np.ldexp(value, e)
            if scale is not None:
                value = value * scale
            setattr(self, name, float(value) if np.ndim(value) == 0 else value)
        if e:
            with np.errstate(over="ignore"):
                self.cv_errors_ = np.ldexp(self.cv_errors_, 2 * e)
                if hasattr(self, "component_errors_"):
                    self.component_errors_ = np.ldexp(self.component_errors_, 2 * e)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets :math:`\\sum_i c_i K(u, u_i)`.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list

        Returns
        -------
        ndarray of shape (n_series,) or (n_series, n_targets)
        """
        return self._decision(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # scikit-learn's tabular check data are read as univariate time series here
        tags.regressor_tags.poor_score = True
        return tags


class ResponseKernelClassifier(SeriesScoreMixin, ClassifierMixin, _KernelBase):
    r"""One-vs-rest kernel ridge classification with the response kernel.

    The labels become :math:`\pm 1` targets (one column per class, a single column for two
    classes), fitted by kernel ridge as in `ResponseKernelRidge`; the predicted class is the
    largest decision value (its sign for two classes). The penalty and the amplitude minimise
    the efficient leave-one-out squared error on the :math:`\pm 1` targets (as sklearn's
    ``RidgeClassifierCV`` does for the penalty); the whole-path kernel stays in the stack only
    where it lowers the leave-one-out misclassification (``kernel_weights``).

    {params}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    dual_coef_ : ndarray of shape (n_train,) or (n_train, n_classes)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    alpha_, cv_errors_, input_scale_, dyadic_order_, block_, derivative_weight_ : see
        `ResponseKernelRidge`.
    X_fit_, self_kernel_, gram_col_mean_, gram_mean_, basis_, dt_, n_features_in_ : see
        `ResponseKernelRidge`.
    components_, component_weights_, component_errors_, component_scales_ : see
        `ResponseKernelRidge`.
    kernel_weights_, bandwidth_, degree_, pooled_bank_, threshold_transformer_ : see
        `ResponseKernelRidge`.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import ResponseKernelClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 15, 1)) + np.repeat([0.0, 1.0], 20)[:, None, None]
    >>> y = np.repeat(["a", "b"], 20)
    >>> clf = ResponseKernelClassifier(alphas=[1e-2, 1.0]).fit(X[::2], y[::2])
    >>> float(clf.score(X[1::2], y[1::2])) > 0.8
    True
    """

    def fit(self, X: Any, y: Any) -> ResponseKernelClassifier:
        """Fit one kernel ridge model per class on :math:`\\pm 1` targets.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
            (a Gram matrix for ``kernel="precomputed"``)
        y : array-like of shape (n_series,)
            Class labels.

        Returns
        -------
        self
        """
        check_params(self)
        self._fit_kernel(X, lambda n: sign_targets(self, y, n))
        return self

    _PATH_OPTIONAL: ClassVar[bool] = True

    def decision_function(self, X: Any) -> np.ndarray:
        """Kernel ridge scores: (n_series,) for two classes, else (n_series, n_classes).

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list

        Returns
        -------
        ndarray
        """
        scores = self._decision(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list

        Returns
        -------
        ndarray of shape (n_series,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # scikit-learn's tabular check data are read as univariate time series here
        tags.classifier_tags.poor_score = True
        return tags


for _cls in (ResponseKernelRidge, ResponseKernelClassifier):
    _cls.__doc__ = _cls.__doc__.replace("{params}", _DOC_PARAMS)
