"""Progress bars for long loops, off unless a caller switches them on.

Library functions never print by default. The command line (or a user) turns bars on for a
block of code with :func:`show_progress`; long loops (simulation blocks, estimator tasks,
Gram-matrix rows) then report through tqdm on stderr. Bars are only drawn in the thread that
folds results, so they never change a result.

Examples
--------
>>> import numpy as np, srnnkit as sk
>>> from srnnkit import show_progress
>>> model = sk.SRNN.random(4, 1, seed=0)
>>> with show_progress(False):                    # explicitly silent
...     traj = sk.simulate(model, np.zeros((10, 1)), dt=0.1, n_paths=8, seed=0)
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["progress", "progress_enabled", "show_progress"]

_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("srnnkit_progress",
                                                                default=False)


@contextmanager
def show_progress(enabled: bool = True) -> Iterator[None]:
    """Within the block, long srnnkit loops draw tqdm progress bars on stderr.

    Progress bars are off by default (the CLI switches them on when it writes to a
    terminal). The setting is a context variable, so it holds for this thread or task only.

    Parameters
    ----------
    enabled : bool, default=True
        Draw bars (``False`` silences them inside an enclosing ``show_progress()``).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN.random(4, 1, seed=0)
    >>> with sk.show_progress(False):
    ...     traj = sk.simulate(model, np.zeros((20, 1)), dt=0.05, n_paths=512, seed=0)
    >>> traj.mean.shape
    (21, 1)
    """
    token = _ENABLED.set(bool(enabled))
    try:
        yield
    finally:
        _ENABLED.reset(token)


def progress_enabled() -> bool:
    """Whether progress bars are switched on in this context."""
    return _ENABLED.get()


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
    """A tqdm bar of ``total`` steps when progress is on, else a silent stand-in."""
    if not _ENABLED.get() or total <= 1:
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True)
