"""Input handling shared by the estimators: batches of (possibly unequal-length) series.

Accepted ``X``:

- an array of shape ``(n_series, n_steps, n_channels)``;
- an array of shape ``(n_series, n_steps)``: univariate series (this is also what
  scikit-learn's common checks pass);
- a list of ``(n_steps_i, n_channels)`` or ``(n_steps_i,)`` arrays of unequal lengths.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sklearn.utils import check_array as sk_check_array

from .._stats import mean_std
from .._validation import check_array, describe, fail

__all__ = ["SeriesInputMixin", "SeriesScoreMixin", "ShortSeriesWarning", "as_series_list",
           "by_length", "channel_scaling", "check_channels", "check_labels", "check_not_constant",
           "check_params", "check_score_targets", "check_targets", "check_two_classes",
           "record_fit_input", "scaled", "sign_targets", "stack_rows", "standardization",
           "standardize_columns", "target_scales"]

_SHAPE = ("(n_series, n_steps, n_channels), (n_series, n_steps) or a list of "
          "(n_steps_i, n_channels) arrays")


class SeriesInputMixin:
    """Mixin of the estimators whose ``X`` is a batch of time series: scikit-learn's tag
    ``input_tags.three_d_array`` (an array ``(n_series, n_steps, n_channels)`` is valid)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class SeriesScoreMixin:
    """Mixin placed before scikit-learn's ``ClassifierMixin``/``RegressorMixin``: ``score``
    first checks that ``y`` has one entry per series of ``X`` (`check_score_targets`)."""

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy (classifiers) or :math:`R^2` (regressors) of the predictions on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
        y : array-like of shape (n_series,) or (n_series, n_targets)
            True labels or targets, one per series of ``X``.
        sample_weight : array-like of shape (n_series,), optional

        Returns
        -------
        float
            scikit-learn's score of the mixin that follows (``accuracy_score`` or
            ``r2_score``).
        """
        check_score_targets(X, y)
        return super().score(X, y, sample_weight=sample_weight)


def check_params(est: Any) -> None:
    """scikit-learn's parameter check, and no bool where a number goes.

    scikit-learn's ``Interval(Integral, ...)`` and ``Interval(Real, ...)`` let ``True`` through
    as 1 (``dyadic_order=True``, ``alpha=True``, ``noise=True`` fitted silently); the library's
    functions refuse a bool where a number goes, and so do the estimators.
    """
    from numbers import Integral, Real

    from sklearn.utils._param_validation import Interval, make_constraint

    est._validate_params()
    for name, constraints in est._parameter_constraints.items():
        value = getattr(est, name, None)
        # a bare ``Integral`` too (``n_jobs``: SRNNReservoir(n_jobs=True) fitted silently)
        if not isinstance(value, (bool, np.bool_)) or "boolean" in constraints \
                or not any(isinstance(c, Interval) or c in (Integral, Real)
                           for c in constraints):
            continue
        fail(name, " or ".join(_constraint_text(make_constraint(c)) for c in constraints),
             value, TypeError)


def _constraint_text(c: Any) -> str:
    """A scikit-learn constraint in the library's words ("an integer >= 0", '"auto"')."""
    from numbers import Integral, Real

    from sklearn.utils._param_validation import Interval, StrOptions, _NoneConstraint

    if isinstance(c, Interval):
        words = ["an integer" if c.type is Integral else "a number"]
        if c.left is not None:
            words.append(f"{'>=' if c.closed in ('left', 'both') else '>'} {c.left:g}")
        if c.right is not None:
            words.append(f"{'<=' if c.closed in ('right', 'both') else '<'} {c.right:g}")
        return " ".join(words[:2]) + (" and " + words[2] if len(words) > 2 else "")
    if isinstance(c, StrOptions):
        return " or ".join(f'"{o}"' for o in sorted(c.options))
    if isinstance(c, _NoneConstraint):
        return "None"
    if getattr(c, "type", None) in (Integral, Real):                   # a bare type
        return "an integer" if c.type is Integral else "a number"
    return str(c)


def _is_ragged(X: Any) -> bool:
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    try:
        lens = {len(x) for x in X}
    except TypeError:
        return False
    if len(lens) > 1:
        return True
    return all(isinstance(x, np.ndarray) for x in X) and len({x.shape for x in X}) > 1


def as_series_list(X: Any, name: str = "X", *, min_len: int = 1) -> list[np.ndarray]:
    """Validate ``X`` and return a list of float64 ``(n_steps_i, n_channels)`` arrays."""
    if X is None or isinstance(X, (str, bytes)):
        fail(name, f"a batch of series of shape {_SHAPE}", X, TypeError)
    _check_not_one_series(X, name)
    if _is_ragged(X):
        out = []
        for i, x in enumerate(X):
            arr = check_array(f"{name}[{i}]", x, ndim=(1, 2),
                              shape_text="(n_steps_i, n_channels) or (n_steps_i,)")
            out.append(arr[:, None] if arr.ndim == 1 else arr)
        m = out[0].shape[1]
        for i, arr in enumerate(out):
            if arr.shape[1] != m:
                fail(f"{name}[{i}]", f"a series with {m} channel(s) like {name}[0]", arr)
    else:
        try:
            arr = sk_check_array(X, allow_nd=True, dtype=np.float64, input_name=name,
                                 ensure_min_samples=1)
        except ValueError as err:   # keep sklearn's text (its checks match it), name the input
            if "Complex data not supported" in str(err):   # it went on with the whole array
                fail(name, "real numbers (Complex data not supported)", np.asarray(X))
            if name in str(err).split():
                raise
            raise ValueError(f"{name}: {err}") from None
        if arr.ndim == 2:
            arr = arr[:, :, None]
        elif arr.ndim != 3:
            fail(name, f"an array of shape {_SHAPE}", arr)
        if arr.shape[1] == 0 or arr.shape[2] == 0:
            fail(name, "series with at least one step and one channel", arr)
        out = list(arr)
    short = [i for i, x in enumerate(out) if x.shape[0] < min_len]
    if short:
        i = short[0]
        fail(name, f"series of at least {min_len} steps", f"length {out[i].shape[0]} at index {i}")
    return out


def _check_not_one_series(X: Any, name: str) -> None:
    """ValueError naming ``name`` for an empty list and for a 1-D ``X``: one series of
    values, which scikit-learn's message told to reshape to ``(-1, 1)`` (n_steps series of one
    step each, found by fuzzing); ``X[None]`` is what is meant. The message keeps
    scikit-learn's "Reshape your data" (its common checks match it)."""
    if isinstance(X, (list, tuple)) and len(X) == 0:
        fail(name, f"a batch of at least one series of shape {_SHAPE}", X)
    if _is_ragged(X):
        return
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError):   # an inhomogeneous nested list: the checks below say so
        return
    if arr.ndim == 1 and arr.dtype.kind in "biuf":
        fail(name, f"a batch of series of shape {_SHAPE}", f"a 1-D {describe(arr)}",
             hint=f"Reshape your data: for one series of n_steps values pass {name}[None] or "
                  f"[{name}] (shape (1, n_steps)).")


class ShortSeriesWarning(UserWarning):
    """A series given to ``predict``/``transform`` is shorter than half the shortest
    training series: the fitted model reads it far outside the lengths it learned from
    (`ReservoirForecaster`: a series or history of at most ``washout_`` steps, read from a
    state that has not forgotten its start).

    Examples
    --------
    >>> import warnings
    >>> from srnnkit.learning import ShortSeriesWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", ShortSeriesWarning)   # make it an error here
    """


def record_fit_input(est: Any, series: list[np.ndarray]) -> None:
    """Record what `check_channels` compares new series with: the number of channels
    (``est.n_features_in_``) and the length of the shortest training series
    (``est._fit_min_steps``)."""
    est.n_features_in_ = series[0].shape[1]
    est._fit_min_steps = min(s.shape[0] for s in series)


def check_channels(series: list[np.ndarray], m: int, min_steps: int | None = None) -> None:
    """Raise ValueError naming ``X[i]`` when a series does not have the ``m`` channels of fit.

    When every series is ``(m, 1)`` and the fit had ``m > 1`` channels, ``X`` was most
    likely one series ``(n_steps, m)`` read as ``(n_series, n_steps)``: the message says so.

    ``min_steps`` (the shortest training series' length, `record_fit_input`): a series of
    one step, which carries no time course, is refused when every training series had at
    least two (fit refuses a batch of one-step series); a series shorter than half of
    ``min_steps`` gets a `ShortSeriesWarning` naming its index and both lengths.
    """
    hint = None
    if m > 1 and all(s.shape == (m, 1) for s in series):
        hint = (f"A 2-D X is (n_series, n_steps) univariate series; for one series of shape "
                f"(n_steps, {m}) pass X[None] (shape (1, n_steps, {m})).")
    for i, s in enumerate(series):
        if s.shape[1] != m:
            fail(f"X[{i}]" if len(series) > 1 else "X",
                 f"series with {m} channel(s) (as in fit)", s, hint=hint)
    if min_steps is not None:
        _check_lengths(series, int(min_steps))


def _check_lengths(series: list[np.ndarray], min_steps: int) -> None:
    """The length rule of `check_channels`."""
    lengths = np.array([s.shape[0] for s in series])
    names = [f"X[{i}]" if len(series) > 1 else "X" for i in range(len(series))]
    if min_steps >= 2 and lengths.min() < 2:
        i = int(np.argmin(lengths))
        fail(names[i], f"a series of at least 2 steps (the shortest training series had "
             f"{min_steps})", f"a series of {lengths[i]} step", hint="A one-step series "
             "has no time course to read.")
    short = np.flatnonzero(2 * lengths < min_steps)
    if short.size:
        i = int(short[0])
        more = f" ({short.size} of the {len(series)} series are)" if short.size > 1 else ""
        warnings.warn(f"{names[i]} has {lengths[i]} steps, fewer than half of the shortest "
                      f"training series ({min_steps} steps){more}: the model reads it far "
                      "outside the lengths it was fitted on.", ShortSeriesWarning, stacklevel=4)


def check_not_constant(series: list[np.ndarray], shift: np.ndarray, scale: np.ndarray,
                       name: str = "X") -> None:
    """Raise ValueError when every training series is constant in time, channel by channel.

    Such data carry nothing a model of the series' time course can learn (after
    standardisation every input is zero). One flat series among others is valid.
    """
    if all(s.shape[0] < 2 for s in series):
        raise ValueError(f"{name} must hold series of at least 2 steps to learn from their "
                         f"time course; got {len(series)} series of 1 step (for a 2-D {name} "
                         "of shape (n_series, n_steps) that is n_features=1).")
    if all(np.ptp(s, axis=0).max(initial=0.0) == 0.0 for s in series):
        raise ValueError(f"{name} must hold at least one series that varies in time; got "
                         f"{len(series)} constant series (every value equal along each "
                         "series), from which no time-series model can be learned.")


def standardization(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation of ``values`` (n, m).

    A column that is constant up to rounding (deviation within ``sqrt(n) eps`` of its size,
    scikit-learn's rule) gets the scale 1, so rounding noise is never blown up.
    """
    mean, sd = mean_std(values)               # any finite scale (1e-170 and 1e155 too)
    tol = np.sqrt(max(values.shape[0], 1)) * np.finfo(float).eps * (np.abs(mean) + sd)
    return mean, np.where(sd > tol, sd, 1.0)


def standardize_columns(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise the columns of the feature matrix ``F`` in place (`standardization`);
    return their mean and scale, to apply to new rows."""
    mean, scale = standardization(F)
    F -= mean
    F /= scale
    return mean, scale


def channel_scaling(series: list[np.ndarray], standardize: bool = True, scale: float = 1.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(shift, scale)`` of the training ``series`` (each ``(n_steps_i, m)``).

    ``standardize``: the mean and deviation of every step of every series
    (`standardization`); otherwise 0 and ``scale``.
    """
    if standardize:
        return standardization(np.concatenate(series, axis=0))
    m = series[0].shape[1]
    return np.zeros(m), np.full(m, scale)


def scaled(est: Any, series: list[np.ndarray], lengths: bool = True) -> list[np.ndarray]:
    """``(s - est.shift_) / est.scale_`` of each series, after checking that each has the
    ``est.n_features_in_`` channels and (``lengths``) a length fit to read
    (`check_channels`; ``lengths=False`` where the caller checked them already)."""
    check_channels(series, est.n_features_in_,
                   getattr(est, "_fit_min_steps", None) if lengths else None)
    return [(s - est.shift_) / est.scale_ for s in series]


def target_scales(Y: np.ndarray) -> np.ndarray:
    """Per-column scale of the targets ``Y`` (n, k) at which a regressor makes its choices.

    Several targets (``k > 1``): each column's standard deviation (1 for a constant one), so
    that the leave-one-out errors summed over targets weigh each target alike and rescaling
    one target (its units) leaves the predictions of the others as they were. One target:
    1 (its errors are kept in its own units).
    """
    if Y.shape[1] < 2:
        return np.ones(Y.shape[1])
    return standardization(Y)[1]


def by_length(series: list[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(indices, stacked batch)`` for each group of equal-length series."""
    lengths = np.array([s.shape[0] for s in series])
    for L in np.unique(lengths):
        idx = np.flatnonzero(lengths == L)
        yield idx, np.stack([series[i] for i in idx])


def stack_rows(series: list[np.ndarray], func: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``func`` to each equal-length batch and reassemble the rows in input order."""
    out = None
    for idx, batch in by_length(series):
        rows = np.asarray(func(batch))
        if out is None:
            out = np.empty((len(series), *rows.shape[1:]), dtype=rows.dtype)
        out[idx] = rows
    return out


def check_targets(y: Any, n: int, *, numeric: bool = True) -> np.ndarray:
    """Validate ``y`` (1-D or 2-D, ``n`` rows)."""
    if y is None:
        raise ValueError("This estimator requires y to be passed, but the target y is None "
                         "(y must be an array of targets of length n_series).")
    if np.asarray(y).dtype.kind == "c":          # scikit-learn's message does not name y
        fail("y", "real numbers", np.asarray(y), TypeError)
    if numeric:
        y = sk_check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    else:
        y = np.asarray(y)
    if y.ndim not in (1, 2):
        fail("y", "an array of shape (n_series,) or (n_series, n_targets)", y)
    if y.shape[0] != n:
        raise ValueError(f"y must have one entry per series (inconsistent numbers of samples): "
                         f"X has {n} series; got {describe(y)}.")
    return y


def check_score_targets(X: Any, y: Any) -> None:
    """Raise ValueError naming ``y`` when ``y`` does not hold one entry per series of ``X``
    (``score``: scikit-learn's message named neither, "inconsistent numbers of samples")."""
    n_y = len(y) if hasattr(y, "__len__") and np.ndim(y) >= 1 else None
    if n_y is None:
        return                              # no length: the scoring function says what came
    n = len(as_series_list(X))
    if n_y != n:
        raise ValueError(f"y must have one entry per series (inconsistent numbers of samples): "
                         f"X has {n} series; got {describe(y)} ({n_y} entries).")


def check_labels(y: Any, n: int, *, own_shape_text: bool = False) -> np.ndarray:
    """Validate the class labels ``y`` of ``n`` series: one column of a classification type.

    ``own_shape_text``: a 2-D ``y`` of several columns is refused in the library's words;
    otherwise in scikit-learn's (``column_or_1d``), as the kernel and oscillator classifiers
    always have.
    """
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d

    y = check_targets(y, n, numeric=False)
    if own_shape_text and y.ndim == 2 and y.shape[1] != 1:
        raise ValueError(f"y must be a 1-D array of class labels; got shape {y.shape}.")
    y = column_or_1d(y, warn=True)
    _check_finite_labels(y)
    if y.dtype == object:
        try:                      # numpy's sort fails on str and int alike (found by fuzzing)
            np.unique(y)
        except TypeError:
            kinds = ", ".join(sorted({type(v).__name__ for v in y.tolist()}))
            fail("y", "class labels of one kind (all strings or all numbers)",
                 f"labels of the kinds {kinds}", hint="Convert them, e.g. y.astype(str).")
    check_classification_targets(y)
    return y


def _check_finite_labels(y: np.ndarray) -> None:
    """ValueError naming ``y`` and the index of its first NaN or infinite label, before
    scikit-learn's target check (which cast the NaN to int first: a stray numpy
    RuntimeWarning "invalid value encountered in cast" came ahead of its error)."""
    if y.dtype.kind in "fc":
        bad = np.flatnonzero(~np.isfinite(y))
    elif y.dtype == object:
        bad = np.flatnonzero([isinstance(v, (float, np.floating)) and not np.isfinite(v)
                              for v in y.tolist()])
    else:
        return
    if bad.size:
        i = int(bad[0])
        what = "NaN" if np.isnan(y[i]) else "infinity"
        fail("y", "class labels without NaN or infinity",
             f"{what} at index {i} ({bad.size} of {y.size} labels are not finite)",
             hint=f"Input y contains {what}: drop those series or give them a label.")


def check_two_classes(classes: np.ndarray) -> None:
    """Raise ValueError unless ``classes`` (the distinct labels) holds at least two."""
    if len(classes) < 2:
        raise ValueError(f"y must hold labels of at least two classes; got one class: "
                         f"{classes.tolist()}.")


def sign_targets(est: Any, y: Any, n: int) -> np.ndarray:
    """One-vs-rest targets of the labels ``y`` of ``n`` series, in {-1, +1}.

    Sets ``est.classes_`` (before the two-class check, as the classifiers always did).
    Two classes give one column (+1 for the second class), more one column per class.
    """
    from sklearn.preprocessing import LabelBinarizer

    labels = check_labels(y, n)
    binarizer = LabelBinarizer(neg_label=-1, pos_label=1)
    Y = binarizer.fit_transform(labels).astype(np.float64)
    est.classes_ = binarizer.classes_
    check_two_classes(est.classes_)
    return Y
