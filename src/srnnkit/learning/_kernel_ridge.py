"""Kernel ridge regression and classification with the response (or signature) kernel."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._validation import check_array, check_choice, fail
from ..features import SupportBasis
from ..kernels import response_kernel, signature_kernel
from ._features import _SCALING, _fit_scaling, check_basis, prepare_inputs
from ._input import as_series_list, check_targets

__all__ = ["ResponseKernelClassifier", "ResponseKernelRidge", "kernel_ridge_cv"]


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
    lam, V = np.linalg.eigh(0.5 * (K + K.T))
    lam = np.clip(lam, 0.0, None)
    Y = y.reshape(n, -1)
    VtY = V.T @ Y
    V2 = V * V
    errors = np.empty(alphas.size)
    for a_i, a in enumerate(alphas):
        w = 1.0 / (lam + a)
        c = V @ (VtY * w[:, None])
        if cv == "loo":
            ginv_diag = V2 @ w
            errors[a_i] = np.mean(np.sum((c / ginv_diag[:, None]) ** 2, axis=1))
        else:
            tr_h = np.sum(lam * w)
            errors[a_i] = n * np.sum((a * c) ** 2) / (n - tr_h) ** 2
    best = int(np.argmin(errors))
    a = alphas[best]
    c = V @ (VtY / (lam + a)[:, None])
    return float(a), c.reshape(y.shape), errors


def _solve(K: np.ndarray, Y: np.ndarray, alpha: float) -> np.ndarray:
    A = K + alpha * np.eye(K.shape[0])
    try:
        return np.linalg.solve(A, Y)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, Y, rcond=None)[0]


class _KernelBase(BaseEstimator):
    _parameter_constraints: ClassVar[dict] = {
        "kernel": [StrOptions({"response", "signature", "precomputed"})],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "alphas": [None, "array-like"],
        "cv": [StrOptions({"loo", "gcv"})],
        "basis": [None, SupportBasis],
        "dt": [None, Interval(Real, 0, None, closed="neither")],
        "depth": [None, Interval(Integral, 1, None, closed="left")],
        "dyadic_order": [Interval(Integral, 0, None, closed="left")],
        "refine": [None, Interval(Integral, 1, None, closed="left")],
        "static": [StrOptions({"linear", "rbf"})],
        "time_augment": ["boolean"],
        "scaling": _SCALING,
        "n_jobs": [Integral, None],
    }

    def __init__(self, kernel: str = "response", *, alpha: float = 1.0, alphas: Any = None,
                 cv: str = "loo", basis: SupportBasis | None = None, dt: float | None = None,
                 depth: int | None = None, dyadic_order: int = 0, refine: int | None = None,
                 static: str = "linear", time_augment: bool = True,
                 scaling: str | float | None = "standard", n_jobs: int | None = None) -> None:
        self.kernel = kernel
        self.alpha = alpha
        self.alphas = alphas
        self.cv = cv
        self.basis = basis
        self.dt = dt
        self.depth = depth
        self.dyadic_order = dyadic_order
        self.refine = refine
        self.static = static
        self.time_augment = time_augment
        self.scaling = scaling
        self.n_jobs = n_jobs

    # ----------------------------------------------------------------- kernel
    def _fit_inputs(self, X: Any) -> tuple[np.ndarray, int]:
        if self.kernel == "precomputed":
            K = check_array("X", X, ndim=2, shape_text="(n_series, n_series) Gram matrix")
            if K.shape[0] != K.shape[1]:
                fail("X", "a square Gram matrix (kernel='precomputed')", K)
            self.n_features_in_ = K.shape[1]
            return K, K.shape[0]
        series = as_series_list(X)
        self.n_features_in_ = series[0].shape[1]
        _fit_scaling(self, series)
        self.basis_ = check_basis(self.basis, finite=self.refine is not None)
        self.X_fit_ = prepare_inputs(self, series, time=self.kernel == "signature")
        return self._gram(self.X_fit_, None), len(series)

    def _gram(self, A: list[np.ndarray], B: list[np.ndarray] | None) -> np.ndarray:
        if self.kernel == "response":
            return response_kernel(A, B, dt=self.dt_, basis=self.basis_,
                                   dyadic_order=self.dyadic_order, depth=self.depth,
                                   refine=self.refine, n_jobs=self.n_jobs)
        if self.depth is not None:
            fail("depth", "None with kernel='signature' (the signature kernel is untruncated)",
                 self.depth)
        A = [_two_points(a) for a in A]
        B = None if B is None else [_two_points(b) for b in B]
        return signature_kernel(A, B, static=self.static, dyadic_order=self.dyadic_order,
                                n_jobs=self.n_jobs)

    def _test_gram(self, X: Any) -> np.ndarray:
        if self.kernel == "precomputed":
            K = check_array("X", X, ndim=2, shape_text="(n_series, n_train) Gram matrix")
            if K.shape[1] != self.dual_coef_.shape[0]:
                fail("X", f"a Gram matrix with {self.dual_coef_.shape[0]} columns (one per "
                     "training series)", K)
            return K
        return self._gram(prepare_inputs(self, as_series_list(X), time=self.kernel == "signature"),
                          self.X_fit_)

    def _fit_dual(self, K: np.ndarray, Y: np.ndarray) -> None:
        if self.alphas is not None:
            self.alpha_, self.dual_coef_, self.cv_errors_ = kernel_ridge_cv(
                K, Y, self.alphas, cv=self.cv)
        else:
            self.alpha_ = float(self.alpha)
            self.dual_coef_ = _solve(K, Y, self.alpha_)

    def _decision(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "dual_coef_")
        return self._test_gram(X) @ self.dual_coef_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags


def _two_points(a: np.ndarray) -> np.ndarray:
    return np.vstack([a, a]) if a.shape[0] == 1 else a


_DOC_PARAMS = r"""Parameters
    ----------
    kernel : {"response", "signature", "precomputed"}, default="response"
        ``"response"``: ``srnnkit.kernels.response_kernel`` of the (scaled, time-augmented)
        inputs with ``basis``, ``dt``, ``depth``, ``dyadic_order``, ``refine``.
        ``"signature"``: ``srnnkit.kernels.signature_kernel`` of the series as paths
        (``static``, ``dyadic_order``). ``"precomputed"``: ``X`` is a Gram matrix
        (``(n_train, n_train)`` in ``fit``, ``(n_test, n_train)`` afterwards).
    alpha : float, default=1.0
        Ridge penalty (used when ``alphas`` is None).
    alphas : array-like of shape (n_alphas,) or None, default=None
        Candidate penalties; the best is chosen by ``cv`` from one eigendecomposition of the
        Gram matrix (`kernel_ridge_cv`).
    cv : {"loo", "gcv"}, default="loo"
        Efficient leave-one-out or generalised cross-validation.
    basis : SupportBasis or None, default=None
        Support basis :math:`\psi` (only its :math:`\kappa` is used unless ``refine`` is given);
        ``None`` means ``MonomialBasis(1)``.
    dt : float or None, default=None
        Input time step; ``None``: ``1 / n_steps`` of the longest training series.
    depth : int or None, default=None
        Truncate the response kernel at this signature level (``None``: untruncated PDE).
    dyadic_order : int, default=0
        PDE grid refinement (see ``response_kernel``/``signature_kernel``).
    refine : int or None, default=None
        Pieces per input cell with exact cell integrals (``response_kernel``); with
        ``depth=N`` and ``refine=r`` the kernel is exactly the inner product of
        ``ResponseFeatures(depth=N, refine=r, scalar_term=True)`` features.
    static : {"linear", "rbf"}, default="linear"
        Static kernel of ``kernel="signature"``.
    time_augment : bool, default=True
        ``"response"``: prepend a constant input channel 1, so that :math:`X` contains the
        time path. ``"signature"``: prepend the time channel :math:`t_i = i\,dt`.
    scaling : {"standard"}, float or None, default="standard"
        Input scaling learned in ``fit`` (see `ResponseFeatures`).
    n_jobs : int or None, default=None
        Threads for the Gram matrices.
"""


class ResponseKernelRidge(RegressorMixin, _KernelBase):
    r"""Kernel ridge regression with the response kernel (THEORY.md sections 5-6).

    The Gram matrix :math:`K_{ij} = \langle S(X^{u_i}), S(X^{u_j})\rangle`,
    :math:`X^u = \int\psi\otimes u`, is computed by the Goursat PDE (or truncated); the fit
    is :math:`c = (K + \alpha I)^{-1} y` and :math:`F(u) = \sum_i c_i K(u, u_i)`, the
    minimum-RKHS-norm interpolant (representer theorem). Every noise-averaged SRNN readout
    is an element of this RKHS.

    {params}
    Attributes
    ----------
    dual_coef_ : ndarray of shape (n_train,) or (n_train, n_targets)
    alpha_ : float
        The penalty used (chosen by cross-validation when ``alphas`` is given).
    cv_errors_ : ndarray of shape (n_alphas,)
        Mean squared cross-validation error per candidate (only with ``alphas``).
    X_fit_ : list of ndarray
        Training series after scaling and augmentation.
    basis_ : SupportBasis
    dt_ : float
    n_features_in_ : int
        Number of input channels (``n_train`` for ``kernel="precomputed"``).

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
        self._validate_params()
        K, n = self._fit_inputs(X)
        y = check_targets(y, n)
        self._fit_dual(K, y)
        return self

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
        tags.target_tags.multi_output = True
        # scikit-learn's tabular check data are read as univariate time series here
        tags.regressor_tags.poor_score = True
        return tags


class ResponseKernelClassifier(ClassifierMixin, _KernelBase):
    r"""One-vs-rest kernel ridge classification with the response kernel.

    The labels become :math:`\pm 1` targets (one column per class, a single column for two
    classes), fitted by kernel ridge as in `ResponseKernelRidge`; the predicted class is the
    largest decision value (its sign for two classes). With ``alphas`` the penalty minimises
    the efficient leave-one-out squared error on the :math:`\pm 1` targets (as sklearn's
    ``RidgeClassifierCV``).

    {params}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    dual_coef_ : ndarray of shape (n_train,) or (n_train, n_classes)
    alpha_ : float
    cv_errors_ : ndarray of shape (n_alphas,)
    X_fit_ : list of ndarray
    basis_ : SupportBasis
    dt_ : float
    n_features_in_ : int

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
        self._validate_params()
        K, n = self._fit_inputs(X)
        y = column_or_1d(check_targets(y, n, numeric=False), warn=True)
        check_classification_targets(y)
        self._binarizer = LabelBinarizer(neg_label=-1, pos_label=1)
        Y = self._binarizer.fit_transform(y).astype(np.float64)
        self.classes_ = self._binarizer.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold labels of at least two classes; got one class: "
                             f"{self.classes_.tolist()}.")
        self._fit_dual(K, Y)
        return self

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
