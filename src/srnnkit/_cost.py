r"""Cost estimates of heavy calls, said up front: :class:`CostWarning` and the knobs to turn.

Every heavy function (``simulate``, the response estimators, the Volterra series, the Gram
matrices, signatures of big batches) first builds a :class:`CostEstimate`: the work of each
part of the call, counted exactly from its arguments (paths x steps of an ``n``-unit network,
FFT lengths, PDE cells, signature entries), times a **rate** per unit of work for the engine
that does it:

.. math:: T \approx \frac{1}{s}\sum_{\text{parts}} w_{\text{part}}\; r_{\text{engine}},

with ``s`` the speed-up of the threads used. A rate is first a pessimistic prior (a
fixed cost per path-step plus one per multiply-add of the step); when the prior says the
call could take more than :data:`CALIBRATE_SECONDS`, the rate is **measured** on this machine
by running the same engine with the same network on a few milliseconds of work, and cached
for the rest of the process (never at import). Estimates are meant to be right within a
factor of about two or three, which is what deciding "seconds, minutes or hours" needs.

When the estimate exceeds :data:`WARN_SECONDS` the call warns (:class:`CostWarning`) before it
starts, naming the estimate, its largest parts and the argument that sizes each of them;
``warnings.simplefilter("ignore", srnnkit.CostWarning)`` silences it. The estimate also sizes
the call's progress bar (:mod:`srnnkit._progress`). :func:`estimate_cost` returns the estimate
of a call without running it.

Size guards: a dimension whose bookkeeping alone cannot fit in memory (``n_chains=10**10``
seed sequences, say) raises ``ValueError`` naming the argument before any work.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CALIBRATE_SECONDS", "WARN_SECONDS", "CostEstimate", "CostWarning", "Part", "Rate",
           "costed", "estimate_cost", "running"]

#: a call estimated to take longer than this (seconds) warns before it starts
WARN_SECONDS = 30.0
#: rates are measured when the pessimistic prior says a call may take this long (seconds)
CALIBRATE_SECONDS = 1.0
#: seconds of work a rate measurement aims at (each engine, once per process and network)
MEASURE_SECONDS = 0.02


class CostWarning(UserWarning):
    """A call is estimated to take long (more than ``srnnkit._cost.WARN_SECONDS``, 30 s).

    Issued before any work, with the estimate, its largest parts and the argument that sizes
    each (``n_paths``, ``n_steps``, ``burn_in``, ``n_lags``, ``n_chains``, ...); also when the
    default burn-in of :func:`srnnkit.simulate` dominates a call of more than a few seconds.
    Silence it with ``warnings.simplefilter("ignore", srnnkit.CostWarning)``. Its
    ``estimate`` attribute is the :class:`CostEstimate` it reports (None when raised by
    hand).

    Examples
    --------
    >>> import warnings
    >>> import srnnkit as sk
    >>> issubclass(sk.CostWarning, UserWarning)
    True
    >>> warnings.simplefilter("ignore", sk.CostWarning)   # e.g. in a batch job
    >>> warnings.resetwarnings()
    """

    estimate: CostEstimate | None = None


class SizeError(ValueError):
    """A size guard: the dimension cannot fit in memory (raised through the cost layer)."""


# ----------------------------------------------------------------------------------- rates
_MEASURED: dict[tuple, float | None] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Rate:
    """Seconds per unit of work of one engine: a pessimistic ``prior`` and a ``measure``
    function (returns seconds per unit, or None when it could not measure), cached under
    ``key`` for the process."""

    key: tuple
    prior: float
    measure: Callable[[], float | None] = field(compare=False, repr=False)

    def value(self, calibrate: bool) -> tuple[float, bool]:
        """``(seconds per unit, measured?)``."""
        if not calibrate:
            got = _MEASURED.get(self.key)
            return (got, True) if got is not None else (self.prior, False)
        with _LOCK:
            if self.key not in _MEASURED:
                _MEASURED[self.key] = _calibrate(self.measure)
            got = _MEASURED[self.key]
        return (got, True) if got is not None else (self.prior, False)


def _calibrate(measure: Callable[[], float | None]) -> float | None:
    """Run ``measure`` as a quiet task (nested heavy calls neither estimate nor draw), with
    NumPy's warnings off; any failure (a network that diverges from zero, say) gives None."""
    import numpy as np

    from ._progress import Task, reset_task, set_task

    token = set_task(Task("calibration", quiet=True))
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = measure()
        return None if value is None or not (value > 0 and math.isfinite(value)) else value
    except Exception:  # a failed measurement only falls back to the prior
        return None
    finally:
        reset_task(token)


def per_unit(run: Callable[[int], Any], units: Callable[[int], float], k0: int = 8,
             k_max: int = 1 << 20, seconds: float | None = None) -> float:
    """Seconds per unit of ``run(k)`` (``units(k)`` units of work): one warm-up run (compiles
    or loads what the engine needs), then ``k`` grows until a run takes ``seconds``; the
    faster of two such runs is kept."""
    target = MEASURE_SECONDS if seconds is None else seconds
    run(k0)
    k = k0
    while True:
        t0 = time.perf_counter()
        run(k)
        t = time.perf_counter() - t0
        if t >= target or k >= k_max:
            break
        k = min(k_max, k * int(min(16, max(2, math.ceil(1.3 * target / max(t, 1e-6))))))
    t0 = time.perf_counter()
    run(k)
    t = min(t, time.perf_counter() - t0)
    return t / units(k)


# ------------------------------------------------------------------------------- estimates
@dataclass
class Part:
    """One part of a call: ``work`` units for ``rate``'s engine, ``units`` of progress
    (path-steps the engines report), what it is and the argument that sizes it."""

    what: str
    knob: str
    work: float
    rate: Rate
    units: int = 0
    seconds: float = math.nan
    more: tuple[tuple[float, Rate], ...] = ()    # further (work, rate) of the same part


@dataclass
class CostEstimate:
    """The cost of one call: its parts, the threads' speed-up and notes.

    ``seconds`` is the estimate (after :meth:`resolve`); ``calibrated`` says whether the
    rates were measured on this machine (else they are the pessimistic priors, used only for
    calls that are short even then); ``units`` the progress units (path-steps).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN.random(8, 1, seed=0)
    >>> est = sk.estimate_cost(sk.simulate, model, np.zeros((100, 1)), dt=0.01, n_paths=256,
    ...                        burn_in=0)
    >>> est.call, est.units, [p.knob for p in est.parts]        # 256 paths x 100 steps
    ('simulate', 25600, ['n_paths or n_steps'])
    """

    call: str
    parts: list[Part]
    speedup: float = 1.0
    notes: list[str] = field(default_factory=list)
    unit: str = "path-steps"
    seconds: float = math.nan
    calibrated: bool = False
    warn_seconds: float | None = None

    @property
    def units(self) -> int:
        return int(sum(p.units for p in self.parts))

    def resolve(self, calibrate: bool | None = None) -> CostEstimate:
        """Fill ``seconds``: priors first, measured rates when the call may be long (or when
        ``calibrate`` is True)."""
        prior = sum(w * r.value(False)[0] for p in self.parts
                    for w, r in ((p.work, p.rate), *p.more)) / self.speedup
        if calibrate is None:
            calibrate = prior >= CALIBRATE_SECONDS
        measured = True
        for p in self.parts:
            p.seconds = 0.0
            for w, rate in ((p.work, p.rate), *p.more):
                r, ok = rate.value(calibrate) if w > 0 else (0.0, True)
                p.seconds += w * r / self.speedup
                measured &= ok
        self.seconds = float(sum(p.seconds for p in self.parts))
        self.calibrated = bool(calibrate and measured)
        return self

    def message(self, advice: bool = True) -> str:
        """The warning's text: the estimate, the largest parts with their knobs, the notes
        and, with ``advice``, how to silence it from Python."""
        parts = sorted((p for p in self.parts if p.seconds > 0), key=lambda p: -p.seconds)
        total = max(self.seconds, 1e-300)
        shown = "; ".join(f"{p.what}: {format_seconds(p.seconds)} ({100 * p.seconds / total:.0f} %"
                          f", sized by {p.knob})" for p in parts[:4])
        threads = f" on {self.speedup:.2g}x threads" if self.speedup > 1 else ""
        lines = [f"{self.call} is estimated to take {format_seconds(self.seconds)} on this "
                 f"machine{threads}: {shown}."]
        lines += self.notes
        knobs = list(dict.fromkeys(p.knob for i, p in enumerate(parts[:3])
                                   if i == 0 or p.seconds >= 0.1 * total))
        lines.append(f"To make it shorter, lower {' or '.join(knobs)}"
                     + (" (or use more threads: n_jobs=-1)" if self.speedup <= 1 else "")
                     + (". Silence this with warnings.simplefilter('ignore', "
                        "srnnkit.CostWarning); docs/parallel.md, 'Cost and progress'."
                        if advice else "."))
        return " ".join(lines)

    def __repr__(self) -> str:
        how = "measured" if self.calibrated else "prior"
        return (f"CostEstimate({self.call!r}, seconds={self.seconds:.3g} ({how} rates), "
                f"units={self.units}, parts={len(self.parts)})")


def format_seconds(s: float) -> str:
    """``s`` seconds as words: 'about 40 s', 'about 3.5 min', 'about 2.1 h', 'about 5 days'."""
    if not math.isfinite(s):
        return "an unknown time"
    if s < 1:
        return "under a second"
    for unit, size, limit in (("s", 1, 90), ("min", 60, 5400), ("h", 3600, 172800),
                              ("days", 86400, 3.2e8)):
        if s < limit:
            v = s / size
            return f"about {v:.2g} {unit}" if v < 10 else f"about {v:.0f} {unit}"
    return f"about {s / 3.15e7:.2g} years"


def idle_cores() -> int:
    """Cores this process can expect to have: all of them less the others' load (the 1-minute
    load average, this process counted as one), at least 1."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - not on POSIX
        return cores
    return int(max(1, min(cores, math.floor(cores + 1 - load + 0.5))))


def speedup(n_threads: int, n_tasks: int) -> float:
    """Speed-up of ``n_threads`` threads over ``n_tasks`` independent tasks: capped by the
    idle cores (:func:`idle_cores`), a thread beyond the first counting 0.8."""
    k = max(1, min(int(n_threads), int(n_tasks), idle_cores()))
    return 1.0 + 0.8 * (k - 1)


# ------------------------------------------------------------------------------ size guards
def check_count(name: str, value: int, what: str, bytes_each: int, hint: str = "") -> None:
    """Raise ValueError naming ``name`` when ``value`` items of ``bytes_each`` bytes (the
    bookkeeping of ``value`` blocks or runs) cannot fit in memory."""
    from ._validation import describe, format_bytes, physical_memory

    need = int(value) * int(bytes_each)
    have = physical_memory()
    if need > have:
        raise SizeError(f"{name}={describe(value)} is too large: {what} would need "
                        f"{format_bytes(need)}, more than this machine's {format_bytes(have)} "
                        f"of memory.{' ' + hint if hint else ''}")


# ----------------------------------------------------------------------------- the wrapper
def _internal(frame: Any) -> bool:
    """srnnkit's own frames and the wrappers between it and the user (contextlib,
    scikit-learn's output wrappers)."""
    name = frame.f_code.co_filename
    module = frame.f_globals.get("__name__", "")
    return (name.startswith(_PACKAGE_DIR) or name.endswith("contextlib.py")
            or module.startswith("sklearn."))


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _warn(estimate: CostEstimate) -> None:
    """Warn with the user's line (the first frame outside srnnkit) as the location; the
    warning carries the estimate (``CostWarning.estimate``) for callers that word it."""
    frame, level = sys._getframe(1), 2
    while frame is not None and _internal(frame):
        frame, level = frame.f_back, level + 1
    warning = CostWarning(estimate.message())
    warning.estimate = estimate
    warnings.warn(warning, stacklevel=level)


@contextmanager
def running(estimate: CostEstimate | Callable[[], CostEstimate | None] | None, desc: str
            ) -> Iterator[Any]:
    """Run a heavy call: estimate it (a callable is called here; None: no estimate), warn when
    it is long, and register its progress task (a bar when bars are drawn). Nested in another
    heavy call it does nothing: the outer call has said its cost and owns the bar."""
    from ._progress import Task, current_task, reset_task, set_task

    outer = current_task()
    if outer is not None:
        yield outer
        return
    est = estimate() if callable(estimate) else estimate
    if est is not None:
        est.resolve()
        if est.seconds > (WARN_SECONDS if est.warn_seconds is None else est.warn_seconds):
            _warn(est)
    task = Task(desc, total=est.units if est is not None else 0,
                unit=" " + est.unit if est is not None else "it",
                seconds=est.seconds if est is not None else None)
    token = set_task(task.open())
    finished = False
    try:
        yield task
        finished = True
    finally:
        reset_task(token)
        task.close(finished)


def _safe(estimator: Callable[..., CostEstimate | None], args: tuple, kwargs: dict
          ) -> CostEstimate | None:
    """The estimate, or None when the arguments are not usable (the function itself then
    raises its own error); size guards propagate."""
    try:
        return estimator(*args, **kwargs)
    except (SizeError, ImportError, NameError):    # guards, and bugs: never swallowed
        raise
    except Exception:  # bad arguments: the call reports them itself
        return None


def costed(estimator: Callable[..., CostEstimate | None], desc: str | None = None,
           cheap: Callable[..., bool] | None = None) -> Callable[[Callable], Callable]:
    """Decorate a heavy public function with its cost estimate (``estimator`` takes the
    function's arguments): size guards, the :class:`CostWarning` and the progress task come
    before the body runs; nested heavy calls are covered by the outermost one. ``cheap``
    (same arguments) says at a glance that a call is too small to estimate."""

    def decorate(func: Callable) -> Callable:
        label = desc or func.__name__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from ._progress import current_task

            if current_task() is not None or (cheap is not None and cheap(*args, **kwargs)):
                return func(*args, **kwargs)
            with running(_safe(estimator, args, kwargs), label):
                return func(*args, **kwargs)

        wrapper.__cost__ = estimator  # type: ignore[attr-defined]
        return wrapper

    return decorate


def estimate_cost(func: Callable, *args: Any, **kwargs: Any) -> CostEstimate:
    """The cost estimate of ``func(*args, **kwargs)``, without running it.

    The rates are measured on this machine (a few milliseconds per engine and network, once
    per process), so the estimate is what the call itself would say in its
    :class:`CostWarning`.

    Parameters
    ----------
    func : callable
        A heavy srnnkit function: :func:`srnnkit.simulate`, the response estimators and
        :meth:`~srnnkit.response.VolterraSeries.from_model`, the Gram matrices of
        :mod:`srnnkit.kernels`, :func:`srnnkit.signature`, :func:`srnnkit.response_features`.
    *args, **kwargs
        Its arguments.

    Returns
    -------
    CostEstimate
        ``seconds``, ``parts`` (each with ``what``, ``knob``, ``seconds``) and ``message()``.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN.random(16, 2, seed=0)
    >>> est = sk.estimate_cost(sk.simulate, model, np.zeros((2000, 2)), dt=0.01, n_paths=4096)
    >>> est.seconds > 0, [p.knob for p in est.parts]
    (True, ['burn_in', 'n_paths or n_steps'])
    """
    import types

    if isinstance(func, types.ModuleType):     # srnnkit.simulate: a callable subpackage
        func = getattr(func, func.__name__.rsplit(".", 1)[-1], func)
    estimator = getattr(func, "__cost__", None)
    if estimator is None:
        from ._validation import fail

        fail("func", "a heavy srnnkit function (simulate, a response estimator, "
             "VolterraSeries.from_model, a Gram matrix, signature, response_features)",
             getattr(func, "__name__", func), TypeError)
    import inspect

    name = getattr(func, "__qualname__", getattr(func, "__name__", repr(func)))
    try:                          # the arguments must fit the function, not its estimator
        inspect.signature(func).bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(f"estimate_cost({name}, ...): {err}") from None
    if getattr(func, "__self__", None) is not None:   # a bound (class) method
        args = (func.__self__, *args)
    est = estimator(*args, **kwargs)
    if est is None:
        raise ValueError(f"{name} has no cost estimate for these arguments: it is cheap, it "
                         "runs elsewhere (e.g. device='cuda'), or the arguments are not valid "
                         "(the call itself says which).")
    return est.resolve(calibrate=True)
