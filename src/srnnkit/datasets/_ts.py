"""Reader for the UCR/UEA ``.ts`` time-series format (sktime/aeon layout)."""

from __future__ import annotations

import io
import math
import os
from typing import Any

import numpy as np

from .._validation import check_choice

__all__ = ["load_ts"]

_BOOL_TAGS = {"timestamps", "missing", "univariate", "equallength", "classlabel",
              "targetlabel"}


def _err(lineno: int, msg: str) -> ValueError:
    return ValueError(f".ts file, line {lineno}: {msg}")


def _read_text(path: Any) -> str:
    if hasattr(path, "read"):
        data = path.read()
    else:
        if not isinstance(path, (str, bytes, os.PathLike)):
            raise TypeError(f"path must be a str, os.PathLike or a file object; got "
                            f"{type(path).__name__}.")
        with open(path, "rb") as fh:
            data = fh.read()
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f".ts file is not valid UTF-8 text ({err}).") from None


def _parse_bool(lineno: int, tag: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "false"):
        return v == "true"
    raise _err(lineno, f"@{tag} must be 'true' or 'false'; got {value.strip()!r}.")


def _parse_value(lineno: int, token: str) -> float:
    t = token.strip()
    if t == "?" or t.lower() == "nan":
        return math.nan
    try:
        v = float(t)
    except ValueError:
        raise _err(lineno, f"expected a number or '?' for missing; got {t[:40]!r}.") from None
    if math.isinf(v):
        raise _err(lineno, f"values must be finite; got {t[:40]!r}.")
    return v


def _fill_missing(lineno: int, values: np.ndarray, how: str) -> np.ndarray:
    bad = np.isnan(values)
    if not bad.any() or how == "nan":
        return values
    if how == "raise":
        j = int(np.flatnonzero(bad)[0])
        raise _err(lineno, f"missing value ('?') at position {j}; pass missing='interpolate' "
                   "to fill missing values linearly or missing='nan' to keep them as NaN.")
    good = ~bad
    if not good.any():
        raise _err(lineno, "a dimension has only missing values; it cannot be interpolated.")
    idx = np.arange(values.size)
    return np.interp(idx, idx[good], values[good])


def load_ts(path: Any, *, missing: str = "raise", return_type: str = "auto"):
    r"""Read a UCR/UEA ``.ts`` file: univariate or multivariate, equal or unequal lengths.

    The format (sktime/aeon) is a header of ``@tag value`` lines (``@problemName``,
    ``@timeStamps``, ``@missing``, ``@univariate``, ``@dimensions``, ``@equalLength``,
    ``@seriesLength``, ``@classLabel true <labels...>`` or ``@classLabel false``,
    ``@targetLabel true`` for regression), ``#`` comment lines, then ``@data`` and one line
    per case: the dimensions separated by ``:``, the values of a dimension by ``,``, and the
    class label or regression target as the last ``:`` field. ``?`` (or ``NaN``) marks a
    missing value. Time-stamped data (``@timeStamps true``) is not supported.

    Parameters
    ----------
    path : str, os.PathLike or file object
        The file (a file object may be text or binary).
    missing : {"raise", "interpolate", "nan"}, default="raise"
        Missing values: reject them (ValueError naming the line), fill them by linear
        interpolation within each dimension (constant extrapolation at the ends), or keep NaN.
    return_type : {"auto", "array", "list"}, default="auto"
        ``"auto"``: an array when all series have the same length, else a list.
        ``"array"`` requires equal lengths.

    Returns
    -------
    X : ndarray of shape (n_cases, n_steps, n_dims) or list of (n_steps_i, n_dims) arrays
    y : ndarray of shape (n_cases,) or None
        Class labels (strings) for ``@classLabel true``, float targets for
        ``@targetLabel true``, otherwise None.

    Raises
    ------
    ValueError
        A malformed file; the message names the line number.

    Examples
    --------
    >>> import io
    >>> from srnnkit.datasets import load_ts
    >>> text = "@univariate true\n@classLabel true a b\n@data\n1,2,3:a\n4,5,6:b\n"
    >>> X, y = load_ts(io.StringIO(text))
    >>> X.shape, y.tolist()
    ((2, 3, 1), ['a', 'b'])
    """
    check_choice("missing", missing, ("raise", "interpolate", "nan"))
    check_choice("return_type", return_type, ("auto", "array", "list"))
    text = _read_text(path)
    header: dict[str, Any] = {}
    labels_declared: list[str] | None = None
    in_data = False
    cases: list[np.ndarray] = []
    targets: list[Any] = []
    last_line = 0
    for lineno, raw in enumerate(io.StringIO(text, newline=None), start=1):
        last_line = lineno
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if not line.startswith("@"):
                raise _err(lineno, f"expected a header line '@tag value' or '@data' before the "
                           f"data; got {line[:40]!r}.")
            tag, _, value = line[1:].partition(" ")
            tag = tag.strip().lower()
            if tag == "data":
                if value.strip():
                    raise _err(lineno, "@data must be on its own line.")
                in_data = True
                if header.get("timestamps"):
                    raise _err(lineno, "time-stamped data (@timeStamps true) is not supported.")
                if header.get("classlabel") and header.get("targetlabel"):
                    raise _err(lineno, "@classLabel true and @targetLabel true are exclusive.")
                continue
            if tag in header or (tag == "classlabel" and labels_declared is not None):
                raise _err(lineno, f"duplicate header tag @{tag}.")
            if tag == "classlabel":
                parts = value.split()
                if not parts:
                    raise _err(lineno, "@classLabel needs 'true <labels...>' or 'false'.")
                header[tag] = _parse_bool(lineno, tag, parts[0])
                labels_declared = parts[1:]
                if header[tag] and not labels_declared:
                    raise _err(lineno, "@classLabel true must list the class labels.")
                if not header[tag] and labels_declared:
                    raise _err(lineno, "@classLabel false takes no labels.")
            elif tag in _BOOL_TAGS:
                header[tag] = _parse_bool(lineno, tag, value)
            elif tag in ("dimensions", "serieslength"):
                try:
                    header[tag] = int(value.strip())
                except ValueError:
                    raise _err(lineno, f"@{tag} must be a positive integer; got "
                               f"{value.strip()[:40]!r}.") from None
                if header[tag] < 1:
                    raise _err(lineno, f"@{tag} must be a positive integer; got {header[tag]}.")
            else:
                header[tag] = value.strip()  # @problemName and unknown tags: kept, unused
            continue
        # ---------------------------------------------------------------- data line
        fields = line.split(":")
        has_label = bool(header.get("classlabel") or header.get("targetlabel"))
        if has_label:
            if len(fields) < 2:
                raise _err(lineno, "expected the dimensions followed by ':<label>'.")
            label = fields[-1].strip()
            fields = fields[:-1]
            if header.get("classlabel"):
                if label not in labels_declared:
                    raise _err(lineno, f"class label {label[:40]!r} is not among the declared "
                               f"labels {labels_declared[:10]}.")
                targets.append(label)
            else:
                try:
                    tval = float(label)
                except ValueError:
                    raise _err(lineno, f"regression target must be a number; got "
                               f"{label[:40]!r}.") from None
                if not math.isfinite(tval):
                    raise _err(lineno, f"regression target must be finite; got {label[:40]!r}.")
                targets.append(tval)
        if "(" in line:
            raise _err(lineno, "time-stamped values '(t,v)' are not supported.")
        dims = []
        for f in fields:
            toks = f.split(",")
            if any(not t.strip() for t in toks):
                raise _err(lineno, "empty value (two commas in a row, or an empty dimension).")
            vals = np.array([_parse_value(lineno, t) for t in toks])
            dims.append(_fill_missing(lineno, vals, missing))
        lens = {d.size for d in dims}
        if len(lens) != 1:
            raise _err(lineno, f"all dimensions of a case must have the same length; got "
                       f"lengths {sorted(lens)}.")
        n_dims = len(dims)
        if cases and cases[0].shape[1] != n_dims:
            raise _err(lineno, f"expected {cases[0].shape[1]} dimension(s) like the first case;"
                       f" got {n_dims}.")
        if header.get("univariate") is True and n_dims != 1:
            raise _err(lineno, f"@univariate true but the case has {n_dims} dimensions.")
        if "dimensions" in header and n_dims != header["dimensions"]:
            raise _err(lineno, f"@dimensions {header['dimensions']} but the case has {n_dims}.")
        L = dims[0].size
        if header.get("equallength") and "serieslength" in header \
                and L != header["serieslength"]:
            raise _err(lineno, f"@seriesLength {header['serieslength']} but the case has "
                       f"{L} values.")
        if header.get("equallength") and cases and L != cases[0].shape[0]:
            raise _err(lineno, f"@equalLength true but the case has {L} values (the first "
                       f"has {cases[0].shape[0]}).")
        cases.append(np.stack(dims, axis=1))
    if not in_data:
        raise _err(last_line, "no '@data' line: not a .ts file.")
    if not cases:
        raise _err(last_line, "the file has no data after '@data'.")
    equal = len({c.shape[0] for c in cases}) == 1
    if return_type == "array" and not equal:
        raise ValueError("return_type='array' needs series of equal length; the file has "
                         f"lengths from {min(c.shape[0] for c in cases)} to "
                         f"{max(c.shape[0] for c in cases)}. Use return_type='list'.")
    X = np.stack(cases) if equal and return_type != "list" else cases
    if header.get("classlabel"):
        y = np.array(targets)
    elif header.get("targetlabel"):
        y = np.array(targets, dtype=np.float64)
    else:
        y = None
    return X, y
