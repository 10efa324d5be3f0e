"""Transformers: response features (signatures of ∫ψ⊗u) and plain path signatures."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import fail
from ..features import MonomialBasis, SupportBasis, response_features
from ..signatures import signature, signature_dim, words
from ._input import (
    SeriesInputMixin,
    as_series_list,
    channel_scaling,
    check_channels,
    check_params,
    record_fit_input,
    scaled,
    stack_rows,
)

__all__ = ["ResponseFeatures", "SignatureTransformer", "channel_names", "prepare_inputs",
           "signature_names"]


def channel_names(est: Any, input_features: Any) -> list[str]:
    """Names of the ``n_features_in_`` input channels: ``input_features`` or x0, x1, ..."""
    m = getattr(est, "n_features_in_", None)
    if input_features is None:
        if m is None:
            fail("input_features", "channel names (this transformer has not seen X yet)",
                 None)
        return [f"x{k}" for k in range(m)]
    names = [str(v) for v in np.asarray(input_features, dtype=object).ravel()]
    if m is not None and len(names) != m:
        fail("input_features", f"{m} channel name(s), one per input channel",
             f"{len(names)} name(s)")
    return names


def signature_names(channels: list[str], depth: int, scalar_term: bool) -> np.ndarray:
    """``S(a,b,...)`` for each word of the signature layout over ``channels``."""
    return np.asarray(["S(" + ",".join(channels[i] for i in w) + ")"
                       for w in words(len(channels), depth, scalar_term=scalar_term)],
                      dtype=object)


def _fit_scaling(est: Any, series: list[np.ndarray]) -> None:
    """Learn ``shift_``/``scale_`` (per channel) and ``dt_`` from the training series."""
    standard = isinstance(est.scaling, str)                          # "standard"
    fixed = 1.0 if standard or est.scaling is None else float(est.scaling)
    est.shift_, est.scale_ = channel_scaling(series, standard, fixed)
    est.dt_ = float(est.dt) if est.dt is not None else 1.0 / max(s.shape[0] for s in series)


def prepare_inputs(est: Any, series: list[np.ndarray], time: bool = False) -> list[np.ndarray]:
    """Apply the learned scaling and, with ``time_augment``, prepend a channel.

    The channel is the constant 1 (response inputs) or, with ``time=True``, the time
    ``i * dt_`` (paths for the signature kernel).
    """
    out = scaled(est, series)
    if est.time_augment:
        out = [np.hstack([(np.arange(s.shape[0]) * est.dt_)[:, None] if time
                          else np.ones((s.shape[0], 1)), s]) for s in out]
    return out


def check_basis(basis: Any, *, finite: bool) -> SupportBasis:
    if basis is None:
        return MonomialBasis(1)
    if not isinstance(basis, SupportBasis):
        fail("basis", "None or an srnnkit.features support basis (e.g. MonomialBasis(1))",
             basis, TypeError)
    if finite and basis.n_functions is None:
        fail("basis", "a finite support basis (give it a degree) for explicit features", basis)
    return basis


_SCALING = [None, StrOptions({"standard"}), Interval(Real, 0, None, closed="neither")]


class ResponseFeatures(SeriesInputMixin, TransformerMixin, BaseEstimator):
    r"""Response features: the truncated signature of :math:`X = \int_0^T \psi(s)\otimes u_s\,ds`.

    By docs/theory.md §4 the expected output of *any* SRNN driven by ``u`` is a linear
    functional of these features, :math:`\mathbb{E} f(h_T) = \sum_w \beta_w(T)\,S^w(X)_{0,T}`,
    so a linear model on them can represent every SRNN readout (and, with the constant channel
    of ``time_augment``, approximates any continuous causal functional of ``u``).

    Each series is first scaled (``scaling``), then (``time_augment=True``) given a leading
    constant channel :math:`u^0 \equiv 1`, so that :math:`X` contains :math:`\int\psi\,ds`
    (with :math:`\psi_0 = 1`, the time path). Then
    ``srnnkit.response_features(u, dt=dt_, basis=basis, depth=depth, refine=refine)``.

    Parameters
    ----------
    basis : SupportBasis or None, default=None
        Finite support basis :math:`\psi`; ``None`` means ``MonomialBasis(1)``,
        :math:`\psi = (1, s)`.
    depth : int, default=3
        Signature depth.
    dt : float or None, default=None
        Input time step. ``None``: ``1 / n_steps`` of the longest training series, so the
        training inputs live on :math:`[0, 1]`.
    refine : int, default=1
        Sub-cells per input cell in the tensor path (curvature of :math:`X` for non-constant
        :math:`\psi`).
    time_augment : bool, default=True
        Prepend the constant input channel 1.
    scaling : {"standard"}, float or None, default="standard"
        ``"standard"``: per-channel mean and standard deviation learned in ``fit``;
        a float ``c``: divide the inputs by ``c``; ``None``: no scaling.
    scalar_term : bool, default=False
        Prepend the level-0 term 1.
    n_jobs : int or None, default=None
        Threads over the series.

    Attributes
    ----------
    basis_ : SupportBasis
    dt_ : float
    shift_, scale_ : ndarray of shape (``n_features_in_``,)
        Learned scaling ``u -> (u - shift_) / scale_``.
    n_features_in_ : int
        Number of input channels ``m``.
    n_features_out_ : int
        ``signature_dim(P * (m + time_augment), depth, scalar_term)``.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import ResponseFeatures
    >>> X = np.random.default_rng(0).standard_normal((4, 20, 2))
    >>> ResponseFeatures(depth=2).fit_transform(X).shape   # P=2, m=2+1 -> 6 channels
    (4, 42)
    """

    _parameter_constraints: ClassVar[dict] = {
        "basis": [None, SupportBasis],
        "depth": [Interval(Integral, 1, None, closed="left")],
        "dt": [None, Interval(Real, 0, None, closed="neither")],
        "refine": [Interval(Integral, 1, None, closed="left")],
        "time_augment": ["boolean"],
        "scaling": _SCALING,
        "scalar_term": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, basis: SupportBasis | None = None, *, depth: int = 3,
                 dt: float | None = None, refine: int = 1, time_augment: bool = True,
                 scaling: str | float | None = "standard", scalar_term: bool = False,
                 n_jobs: int | None = None) -> None:
        self.basis = basis
        self.depth = depth
        self.dt = dt
        self.refine = refine
        self.time_augment = time_augment
        self.scaling = scaling
        self.scalar_term = scalar_term
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any = None) -> ResponseFeatures:
        """Learn the scaling and the time step.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
        y : ignored

        Returns
        -------
        self
        """
        check_params(self)
        series = as_series_list(X)
        self.basis_ = check_basis(self.basis, finite=True)
        record_fit_input(self, series)
        _fit_scaling(self, series)
        d = self.basis_.n_functions * (self.n_features_in_ + int(self.time_augment))
        self.n_features_out_ = signature_dim(d, self.depth, scalar_term=self.scalar_term)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Response features of each series.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list

        Returns
        -------
        ndarray of shape (n_series, ``n_features_out_``)
        """
        check_is_fitted(self, "basis_")
        series = prepare_inputs(self, as_series_list(X))
        return stack_rows(series, lambda batch: response_features(
            batch, dt=self.dt_, basis=self.basis_, depth=self.depth, refine=self.refine,
            scalar_term=self.scalar_term, n_jobs=self.n_jobs))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``S(psi0.x0,psi1.1,...)`` of the features: the words over the channels
        ``psi<p>.<c>`` of the tensor path (basis function p times input channel c, ``1`` the
        constant channel of ``time_augment``).

        Parameters
        ----------
        input_features : array-like of str, optional
            Names of the input channels (default ``x0, x1, ...``).

        Returns
        -------
        ndarray of str objects, shape (``n_features_out_``,)
            In the order of the columns of `transform`.
        """
        check_is_fitted(self, "basis_")
        chans = (["1"] if self.time_augment else []) + channel_names(self, input_features)
        tensor = [f"psi{p}.{c}" for p in range(self.basis_.n_functions) for c in chans]
        return signature_names(tensor, self.depth, self.scalar_term)


class SignatureTransformer(SeriesInputMixin, TransformerMixin, BaseEstimator):
    r"""Truncated signatures of the series seen as piecewise-linear paths (stateless).

    For a series with points :math:`x_0, \dots, x_{L-1}` the features are the iterated
    integrals :math:`S^{w}(x) = \int_{r_1<\cdots<r_k} dx^{w_1}_{r_1}\cdots dx^{w_k}_{r_k}`
    for all words of length :math:`\le` ``depth`` (``srnnkit.signature``). Optional path
    transforms, in this order: a basepoint (the origin prepended, so the signature also sees
    the starting value) and time augmentation (a leading channel :math:`t_i = i / (L-1)`,
    making the signature injective). A one-point series is a constant path.

    Parameters
    ----------
    depth : int, default=3
    time_augment : bool, default=True
    basepoint : bool, default=False
    scalar_term : bool, default=False
    n_jobs : int or None, default=None

    Attributes
    ----------
    n_features_in_ : int
        Number of channels (set by ``fit``; ``transform`` works without ``fit``).

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.learning import SignatureTransformer
    >>> X = np.random.default_rng(0).standard_normal((3, 10, 2))
    >>> SignatureTransformer(depth=2).transform(X).shape   # 3 channels with time
    (3, 12)
    """

    _parameter_constraints: ClassVar[dict] = {
        "depth": [Interval(Integral, 1, None, closed="left")],
        "time_augment": ["boolean"],
        "basepoint": ["boolean"],
        "scalar_term": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, depth: int = 3, *, time_augment: bool = True, basepoint: bool = False,
                 scalar_term: bool = False, n_jobs: int | None = None) -> None:
        self.depth = depth
        self.time_augment = time_augment
        self.basepoint = basepoint
        self.scalar_term = scalar_term
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any = None) -> SignatureTransformer:
        """Check the parameters and record the number of channels.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
        y : ignored

        Returns
        -------
        self
        """
        check_params(self)
        self.n_features_in_ = as_series_list(X)[0].shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Signatures of the (transformed) paths.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list

        Returns
        -------
        ndarray of shape (n_series, signature_dim(m + time_augment, depth, scalar_term))
        """
        check_params(self)
        series = as_series_list(X)
        m_in = getattr(self, "n_features_in_", None)
        if m_in is not None:
            check_channels(series, m_in)
        return stack_rows(series, self._batch)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``S(t,x0,...)`` of the signature coordinates (``t`` the time channel).

        Parameters
        ----------
        input_features : array-like of str, optional
            Names of the input channels (default ``x0, x1, ...``; needed before `fit`).

        Returns
        -------
        ndarray of str objects
            In the order of the columns of `transform`.
        """
        chans = (["t"] if self.time_augment else []) + channel_names(self, input_features)
        return signature_names(chans, self.depth, self.scalar_term)

    def _batch(self, batch: np.ndarray) -> np.ndarray:
        if self.basepoint:
            batch = np.concatenate([np.zeros_like(batch[:, :1]), batch], axis=1)
        if batch.shape[1] == 1:
            batch = np.concatenate([batch, batch], axis=1)
        if self.time_augment:
            t = np.linspace(0.0, 1.0, batch.shape[1])
            batch = np.concatenate([np.broadcast_to(t[None, :, None], (*batch.shape[:2], 1)),
                                    batch], axis=2)
        return signature(batch, self.depth, scalar_term=self.scalar_term, n_jobs=self.n_jobs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
