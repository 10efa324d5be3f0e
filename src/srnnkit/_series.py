"""One parser for time series and collections of them (the rule of docs/conventions.md).

Time is axis -2 and channels axis -1 everywhere:

- a 3-D array is a collection ``(n_series, n_steps, n_channels)``;
- functions of **one path** (``simulate``, ``VolterraSeries.predict`` and ``terms``,
  ``signature``, ``response_features``) read a 2-D array as ONE series
  ``(n_steps, n_channels)`` and a 1-D array as one univariate series (:func:`as_series`);
- functions of a **collection** (Gram and kernel functions) need a collection and raise on a
  2-D array, with the fix in the message (:func:`as_collection`);
- scikit-learn estimators follow scikit-learn: a 2-D ``X`` is ``(n_series, n_steps)``, each
  row a univariate series (:func:`as_sklearn_series`);
- a list (or tuple) of arrays is a collection of series, possibly of unequal lengths;
- a pandas DataFrame is a 2-D array (rows are time steps).

Errors name the argument and show the shape the user gave, never an internally promoted one.

Examples
--------
>>> import numpy as np
>>> from srnnkit._series import as_series, as_collection
>>> s = as_series(np.zeros((100, 3)))
>>> s.values.shape, s.single
((1, 100, 3), True)
>>> as_series(np.zeros(50)).values.shape
(1, 50, 1)
>>> as_collection(np.zeros((4, 20, 2))).values.shape
(4, 20, 2)
>>> try:
...     as_collection(np.zeros((20, 2)))
... except ValueError as err:
...     print(str(err).split("ambiguous here: ")[-1])
pass X[:, :, None] for 20 univariate series or X[None] for one series of 2 channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_array, describe, fail

__all__ = ["Series", "as_collection", "as_series", "as_sklearn_series"]

ONE_SERIES = "(n_steps,) or (n_steps, n_channels)"
COLLECTION = "(n_series, n_steps, n_channels)"


@dataclass(frozen=True)
class Series:
    """Parsed series.

    Attributes
    ----------
    values : ndarray of shape (n_series, n_steps, n_channels), or a list of (n_steps_i,
        n_channels) arrays when the lengths differ (``ragged=True`` only).
    single : bool
        The user gave one series (1-D or 2-D): results drop the leading series axis.
    given : str
        What the user gave, for error messages (e.g. "array of shape (100, 3) ...").
    """

    values: Any
    single: bool
    given: str

    @property
    def n_series(self) -> int:
        return len(self.values)

    @property
    def n_channels(self) -> int:
        return self.values[0].shape[-1]

    @property
    def lengths(self) -> list[int]:
        return [v.shape[0] for v in self.values]


def _is_list_of_arrays(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        hasattr(v, "shape") and hasattr(v, "__array__") for v in value)


def _from_list(value: Any, name: str, ragged: bool) -> Series:
    parts = []
    for i, v in enumerate(value):
        a = check_array(f"{name}[{i}]", v, ndim=(1, 2), shape_text=ONE_SERIES)
        parts.append(a[:, None] if a.ndim == 1 else a)
    channels = {a.shape[1] for a in parts}
    if len(channels) > 1:
        fail(name, "series with the same number of channels",
             f"channels {[a.shape[1] for a in parts]}")
    given = f"a {type(value).__name__} of {len(parts)} series"
    lengths = [a.shape[0] for a in parts]
    if len(set(lengths)) > 1:
        if not ragged:
            fail(name, "series of equal length here", f"lengths {lengths}")
        return Series(parts, False, given)
    return Series(np.stack(parts), False, given)


def _check_channels(series: Series, n_channels: int | None, name: str, what: str,
                    kind: str = "") -> Series:
    if n_channels is not None and series.n_channels != n_channels:
        raise ValueError(f"{name} must be an array with {n_channels} {kind}channel(s) on its "
                         f"last axis{' ' + what if what else ''}; got {series.given}.")
    return series


def as_series(value: Any, name: str = "inputs", *, n_channels: int | None = None,
              what: str = "", kind: str = "", ragged: bool = False) -> Series:
    """A function-of-one-path argument: 1-D -> one univariate series, 2-D -> one series,
    3-D -> a collection, a list of arrays -> a collection (unequal lengths only when
    ``ragged``). ``n_channels`` is checked (``what`` says why, e.g. "to match
    model.n_inputs=2"; ``kind`` names the channels, e.g. "input ")."""
    if _is_list_of_arrays(value):
        return _check_channels(_from_list(value, name, ragged), n_channels, name, what, kind)
    arr = check_array(name, value, ndim=(1, 2, 3),
                      shape_text=f"{ONE_SERIES} or {COLLECTION}")
    given = describe(arr)
    if arr.ndim == 1:
        out = Series(arr[None, :, None], True, given)
    elif arr.ndim == 2:
        out = Series(arr[None], True, given)
    else:
        out = Series(arr, False, given)
    return _check_channels(out, n_channels, name, what, kind)


def as_collection(value: Any, name: str = "X", *, n_channels: int | None = None,
                  what: str = "", ragged: bool = True) -> Series:
    """A function-of-a-collection argument (Gram and kernel functions): a 3-D array or a list
    of series; a 2-D array raises with the fix in the message."""
    if _is_list_of_arrays(value):
        return _check_channels(_from_list(value, name, ragged), n_channels, name, what)
    arr = check_array(name, value, ndim=(2, 3), shape_text=COLLECTION)
    if arr.ndim == 2:
        fail(name, f"a collection of series: an array of shape {COLLECTION} or a list of "
             "(n_steps, n_channels) arrays", arr,
             hint=f"A 2-D array is ambiguous here: pass {name}[:, :, None] for {arr.shape[0]} "
                  f"univariate series or {name}[None] for one series of {arr.shape[1]} "
                  "channels.")
    return _check_channels(Series(arr, False, describe(arr)), n_channels, name, what)


def as_sklearn_series(value: Any, name: str = "X", *, n_channels: int | None = None,
                      what: str = "", ragged: bool = True) -> Series:
    """A scikit-learn ``X``: 2-D is ``(n_series, n_steps)`` (univariate series), 3-D is
    ``(n_series, n_steps, n_channels)``, a list is a collection of series."""
    if _is_list_of_arrays(value):
        return _check_channels(_from_list(value, name, ragged), n_channels, name, what)
    arr = check_array(name, value, ndim=(2, 3),
                      shape_text=f"(n_series, n_steps) or {COLLECTION}")
    vals = arr[:, :, None] if arr.ndim == 2 else arr
    return _check_channels(Series(vals, False, describe(arr)), n_channels, name, what)
