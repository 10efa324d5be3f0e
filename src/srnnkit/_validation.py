"""Named input checks that all build their messages from one template.

Every public function validates user input through these helpers so that an
error always says *which argument*, *what was expected* and *what came*::

    ValueError: dt must be a finite number > 0; got -0.1.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import NoReturn

import numpy as np
from numpy.typing import DTypeLike

__all__ = [
    "MemoryLimitError",
    "NonFiniteResultError",
    "check_array",
    "check_choice",
    "check_finite_array",
    "check_finite_result",
    "check_int",
    "check_memory",
    "check_n_jobs",
    "check_positive",
    "describe",
    "fail",
    "same_step",
]


def describe(value: object) -> str:
    """Short description of a received value for an error message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"{type(value).__name__} of length {len(value)}"
    text = repr(value)
    # a string is most often the library's own account of what came: room for a sentence
    limit = 240 if isinstance(value, str) else 80
    return text if len(text) <= limit else text[:limit - 3] + "..."


def fail(name: str, expected: str, got: object, exc: type[Exception] = ValueError,
         hint: str | None = None) -> NoReturn:
    """Raise ``exc`` with the library's single message template."""
    msg = f"{name} must be {expected}; got {describe(got)}."
    if hint:
        msg += " " + hint
    raise exc(msg)


def check_int(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an ``int``, checking type and range."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        rng = _range_text(low, high)
        fail(name, f"an integer{rng}", value, TypeError)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        fail(name, f"an integer{_range_text(low, high)}", value)
    return value


def _range_text(low: float | None, high: float | None, closed_low: bool = True) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}" if closed_low else f" > {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def check_n_jobs(n_jobs: object) -> int:
    """Threads for ``n_jobs`` with joblib's semantics: None -> 1, -1 -> all cores, -2 -> all
    but one, ...; 0 is an error. Callers cap the result by their own limits.
    """
    import os

    if n_jobs is None:
        return 1
    n = check_int("n_jobs", n_jobs)
    if n == 0:
        fail("n_jobs", "a non-zero integer or None (-1: all cores)", n_jobs)
    return n if n > 0 else max(1, (os.cpu_count() or 1) + 1 + n)


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite positive ``float``."""
    op = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, Real):
        fail(name, f"a finite number {op}", value, TypeError)
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        fail(name, f"a finite number {op}", value)
    return value


def check_choice(name: str, value: object, options: tuple[str, ...] | list[str]) -> str:
    """Check that ``value`` is one of the string ``options``."""
    if not isinstance(value, str) or value not in options:
        exc = ValueError if isinstance(value, str) else TypeError
        fail(name, "one of " + ", ".join(repr(o) for o in options), value, exc)
    return value


def check_array(name: str, value: object, *, ndim: int | tuple[int, ...] | None = None,
                shape: tuple[int | None, ...] | None = None, shape_text: str | None = None,
                dtype: DTypeLike = np.float64, finite: bool = True) -> np.ndarray:
    """Convert ``value`` to a numeric array and check its shape and finiteness.

    Parameters
    ----------
    name : str
        Argument name used in messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    shape : tuple, optional
        Required shape; ``None`` entries are free.
    shape_text : str, optional
        Human description of the expected shape, e.g. ``"(n_steps, n_inputs)"``.
    dtype : numpy dtype, default=float64
        Target dtype; ``None`` keeps float32/float64 as given (other kinds become float64).
    finite : bool, default=True
        Reject NaN and infinity.
    """
    if isinstance(value, (str, bytes)) or value is None:
        fail(name, "a numeric array" + (f" of shape {shape_text}" if shape_text else ""),
             value, TypeError)
    try:
        arr = np.asarray(value)
    except Exception as err:  # ragged nested lists raise here
        raise ValueError(f"{name} must be a rectangular numeric array; got {describe(value)} "
                         f"({err}).") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        fail(name, "a real numeric array" + (f" of shape {shape_text}" if shape_text else ""),
             value if arr.dtype != object else arr, TypeError)
    if dtype is None:
        arr = arr if arr.dtype in (np.float32, np.float64) else arr.astype(np.float64)
    else:
        arr = arr.astype(dtype, copy=False)
    expected = f"an array of shape {shape_text}" if shape_text else "an array"
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            dims = " or ".join(str(d) for d in allowed)
            fail(name, f"{expected} ({dims}-D)", arr)
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a
                                         for s, a in zip(shape, arr.shape, strict=False)):
            fail(name, expected, arr)
    if arr.size == 0:
        fail(name, f"a non-empty {expected[3:] if expected.startswith('an ') else expected}", arr)
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must contain only finite values; got {bad} NaN or infinite "
                         f"entr{'y' if bad == 1 else 'ies'} in {describe(arr)}.")
    return arr


def same_step(a: float, b: float) -> bool:
    """Whether two time steps are one, to relative rounding (an absolute tolerance took
    dt = 1e-9 and 3e-9 for the same step), float32 rounding included (found by fuzzing: a
    series built at the float32 step of float32 time stamps, 0.019999999552965164, refused
    dt=0.02 with "dt must be the series' own step 0.02 ...; got 0.02")."""
    return math.isclose(float(a), float(b), rel_tol=1e-6)


def check_finite_array(name: str, arr: np.ndarray) -> np.ndarray:
    """Reject NaN/inf in an already converted array."""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values; got {describe(arr)} "
                         "with NaN or infinite entries.")
    return arr


def format_bytes(n: int) -> str:
    """``n`` bytes as a short human string (exact for any Python int)."""
    n = int(n)
    if n.bit_length() > 70:
        return f"about 2^{n.bit_length() - 1} B"
    for unit, size in (("PiB", 1024**5), ("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2),
                       ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} B"


def format_shape(shape: tuple[int, ...]) -> str:
    """``shape`` as text, printing huge entries as powers of two (safe for any int)."""
    parts = [str(int(x)) if int(x).bit_length() <= 64 else f"~2^{int(x).bit_length() - 1}"
             for x in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def physical_memory() -> int:
    """Bytes of physical memory (``2**40`` when the platform does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return 2**40


def check_memory(name: str, value: object, what: str, shape: tuple[int, ...], itemsize: int = 8,
                 hint: str | None = None) -> None:
    """Raise ValueError naming ``name`` when an array of ``shape`` cannot fit in memory.

    Absurd sizes (a typo such as ``n_paths=10**12``) then fail at once with the argument's
    name instead of a ``MemoryError`` deep inside NumPy (or an endless loop).
    """
    need = int(itemsize)
    for s in shape:
        need *= int(s)
    have = physical_memory()
    if need > have:
        msg = (f"{name}={describe(value)} is too large: {what} would need {format_bytes(need)} "
               f"(shape {format_shape(shape)}), more than this machine's "
               f"{format_bytes(have)} of memory.")
        raise MemoryLimitError(msg + (" " + hint if hint else ""))


class NonFiniteResultError(ValueError):
    """A result computed from finite inputs holds NaN or infinity (it overflowed): callers
    that can retry at another scale catch this class, not the message's words."""


class MemoryLimitError(ValueError):
    """An array the call would build exceeds what memory (or a library bound) allows."""


def check_finite_result(what: str, arr: np.ndarray, remedy: str) -> np.ndarray:
    """Numerical guard: raise NonFiniteResultError (a ValueError) when a computed ``arr``
    holds NaN or infinity.

    Called on outputs computed from finite inputs, so a non-finite entry means overflow
    (never a silent NaN). Two reductions (min, max; NaN propagates), no temporary array.
    """
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise NonFiniteResultError(
                         f"{what} overflowed: {bad} of {arr.size} entries are NaN or infinite "
                         f"although the inputs are finite (dtype {arr.dtype}). {remedy}"
                         + (" float32 overflows beyond 3.4e38: float64 input goes much "
                            "further." if arr.dtype == np.float32 else ""))
    return arr
