"""Progress bars: one switch, on by default only where someone is watching.

The switch is :func:`show_progress` (a global setting when called, a scoped one in a ``with``
block) or the environment variable ``SRNNKIT_PROGRESS`` (``1``/``on``, ``0``/``off``,
``auto``); an explicit call wins over the environment. In the default ``auto`` mode a heavy
call draws a bar on stderr when

- its cost estimate (:mod:`srnnkit._cost`) is longer than :data:`AUTO_SECONDS`, and
- stderr is an interactive terminal: a Python or IPython prompt on a TTY (not a script, a
  pipe, a notebook without a TTY, or a test run).

Heavy calls register themselves as a :class:`Task` (what their progress is counted in and
how many units they expect); the Monte Carlo engines report the path-steps they finish with
:func:`report`, from any thread of the execution layer. Bars never change a result: they only
count.

Examples
--------
>>> import numpy as np, srnnkit as sk
>>> model = sk.SRNN.random(4, 1, seed=0)
>>> with sk.show_progress(False):                    # explicitly silent
...     traj = sk.simulate(model, np.zeros((10, 1)), dt=0.1, n_paths=8, seed=0)
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from typing import Any

__all__ = ["AUTO_SECONDS", "Steps", "Task", "current_task", "progress", "progress_enabled",
           "progress_setting", "report", "show_progress"]

#: ``auto`` mode: calls estimated to take longer than this many seconds draw a bar
AUTO_SECONDS = 3.0
#: the environment variable of the switch
ENV_VAR = "SRNNKIT_PROGRESS"

_UNSET = object()
_SETTING: Any = _UNSET          # True, False, None (auto) or _UNSET (ask the environment)
_ENV_VALUES = {"1": True, "true": True, "on": True, "yes": True,
               "0": False, "false": False, "off": False, "no": False,
               "auto": None, "": None}


class _Switch:
    """What :func:`show_progress` returns: in a ``with`` block it restores the previous
    setting on exit."""

    def __init__(self, previous: Any) -> None:
        self._previous = previous

    def __enter__(self) -> _Switch:
        return self

    def __exit__(self, *exc: Any) -> None:
        global _SETTING
        _SETTING = self._previous

    def __repr__(self) -> str:
        return f"<srnnkit progress switch: {progress_setting()!r}>"


def show_progress(enabled: bool | None = True) -> _Switch:
    """Switch progress bars on (``True``), off (``False``) or back to automatic (``None``).

    Called on its own it is a global setting for the rest of the session; in a ``with``
    block it holds for the block only and restores what it found (one thread at a time). An
    explicit setting wins over the environment variable ``SRNNKIT_PROGRESS`` (``1``/``on``,
    ``0``/``off``, ``auto``). In the automatic mode (the default) a bar is drawn for calls
    estimated to take more than a few seconds (:data:`AUTO_SECONDS`), and only when stderr is
    an interactive terminal (a Python or IPython prompt): scripts, pipes, notebooks without a
    terminal and tests stay quiet. Bars go to stderr (tqdm) and never change a result.

    Parameters
    ----------
    enabled : bool or None, default=True
        ``True`` draws bars for every heavy call (even short ones), ``False`` never,
        ``None`` decides automatically.

    Returns
    -------
    context manager
        Used in a ``with`` block, it restores the previous setting on exit; otherwise the
        setting simply stays.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN.random(4, 1, seed=0)
    >>> with sk.show_progress(False):                 # quiet inside the block only
    ...     traj = sk.simulate(model, np.zeros((20, 1)), dt=0.05, n_paths=512, seed=0)
    >>> traj.mean.shape
    (21, 1)
    >>> _ = sk.show_progress(None)                    # a global setting: automatic again
    """
    global _SETTING
    if enabled is not None and not isinstance(enabled, bool):
        from ._validation import fail

        fail("enabled", "True, False or None (automatic)", enabled, TypeError)
    previous = _SETTING
    _SETTING = enabled
    return _Switch(previous)


def progress_setting() -> bool | None:
    """The switch: ``True`` (on), ``False`` (off) or ``None`` (automatic)."""
    if _SETTING is not _UNSET:
        return _SETTING
    return _ENV_VALUES.get(os.environ.get(ENV_VAR, "").strip().lower())


def interactive_terminal() -> bool:
    """Whether a person is watching stderr: a TTY with an interactive prompt, not a test."""
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    try:
        if not sys.stderr.isatty():
            return False
    except (AttributeError, ValueError):  # closed or replaced stream
        return False
    if hasattr(sys, "ps1") or sys.flags.interactive:
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and type(shell).__name__ == "TerminalInteractiveShell"


class Task:
    """The progress of one heavy call: ``total`` units (0: none counted) and its bar.

    ``seconds`` is the call's cost estimate (None when it has none); in the automatic mode
    the bar is drawn when it is long (:data:`AUTO_SECONDS`) and someone is watching.
    """

    def __init__(self, desc: str, total: int = 0, unit: str = "it",
                 seconds: float | None = None, quiet: bool = False) -> None:
        self.desc, self.total, self.unit, self.seconds = desc, int(total), unit, seconds
        self.quiet = quiet
        self.bar: Any = None
        self.done = 0
        self.reported = 0       # every unit reported (what the bar shows is capped at total)
        self._lock = threading.Lock()

    @property
    def show(self) -> bool:
        """Whether bars are drawn for this call (and calls nested in it)."""
        if self.quiet:
            return False
        setting = progress_setting()
        if setting is not None:
            return setting
        return (self.seconds is not None and self.seconds >= AUTO_SECONDS
                and interactive_terminal())

    @property
    def counts(self) -> bool:
        """Whether this call's own bar counts units (then the execution layer adds none)."""
        return self.bar is not None

    def open(self) -> Task:
        if self.total > 0 and self.show:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc=self.desc, unit=self.unit, unit_scale=True,
                            leave=False, file=sys.stderr, dynamic_ncols=True)
        return self

    def update(self, n: int) -> None:
        with self._lock:
            self.reported += int(n)
            # an estimate of the units may be a little short: never show more than 100 %
            n = max(0, min(int(n), self.total - 1 - self.done))
            if n:
                self.done += n
                self.bar.update(n)

    def close(self, finished: bool = True) -> None:
        if self.bar is not None:
            with self._lock:
                if finished and self.done < self.total:
                    self.bar.update(self.total - self.done)
                    self.done = self.total
                self.bar.close()
            self.bar = None


_TASK: contextvars.ContextVar[Task | None] = contextvars.ContextVar("srnnkit_task",
                                                                   default=None)


def current_task() -> Task | None:
    """The heavy call this thread works for (the execution layer carries it into threads)."""
    return _TASK.get()


def set_task(task: Task | None) -> contextvars.Token:
    return _TASK.set(task)


def reset_task(token: contextvars.Token) -> None:
    _TASK.reset(token)


def report(n: int) -> None:
    """Count ``n`` finished units (path-steps) towards the current call's bar, if any."""
    task = _TASK.get()
    if task is not None and task.bar is not None:
        task.update(n)


def progress_enabled() -> bool:
    """Whether bars are drawn here: the switch, or in automatic mode the current call's
    estimate and whether someone is watching."""
    task = _TASK.get()
    if task is not None:
        return task.show
    setting = progress_setting()
    return bool(setting)


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def progress(total: int, desc: str) -> Any:
    """A tqdm bar of ``total`` steps when bars are drawn here, else a silent stand-in.

    Inside a call whose own bar counts its units, nested loops stay silent (one bar per call).
    """
    task = _TASK.get()
    if total <= 1 or not progress_enabled() or (task is not None and task.counts):
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True)


class Steps:
    """A status line for work in named steps whose own progress is not counted (a fit).

    It shows the step running, its number and the elapsed time, ticking every second:
    ``fit: step 1 of 3, fitting LinearSRNNClassifier on 50 series [00:07]``. No percentage
    or bar: the steps take unequal times, so a share of steps would not be a share of the
    work. Drawn on stderr where bars are (:func:`progress_enabled`), otherwise silent; it
    never changes a result.

    Parameters
    ----------
    desc : str
        What the steps belong to (``"fit"``).
    total : int
        The number of steps.

    Examples
    --------
    >>> from srnnkit._progress import Steps
    >>> with Steps("fit", 2) as steps:        # silent here: no one is watching
    ...     steps.step("fitting")
    ...     steps.step("predicting")
    >>> steps.current
    2
    """

    def __init__(self, desc: str, total: int) -> None:
        self.desc, self.total, self.current = desc, int(total), 0
        self.bar: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Steps:
        if progress_enabled():
            from tqdm import tqdm

            self.bar = tqdm(total=None, desc=self.desc, bar_format="{desc} [{elapsed}]",
                            leave=False, file=sys.stderr, dynamic_ncols=True)
            self._ticker = threading.Thread(target=self._tick, daemon=True,
                                            name="srnnkit-steps")
            self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            bar = self.bar
            if bar is not None:
                bar.refresh()

    def step(self, name: str) -> None:
        """Start the next step, ``name`` (what it does, e.g. "predicting 30 series")."""
        self.current += 1
        if self.bar is not None:
            self.bar.set_description_str(
                f"{self.desc}: step {self.current} of {self.total}, {name}")

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.bar is not None:
            self.bar.close()
            self.bar = None
