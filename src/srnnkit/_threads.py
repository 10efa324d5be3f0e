"""Pin BLAS to one thread inside compiled loops, cheaply.

``threadpoolctl.threadpool_limits`` rescans the loaded libraries on every call (milliseconds);
one cached :class:`threadpoolctl.ThreadpoolController` makes the limit a few microseconds, which
matters when ``simulate`` is called once per series.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

__all__ = ["single_threaded_blas"]


@functools.cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_threaded_blas() -> AbstractContextManager:
    """Context manager limiting every loaded BLAS to one thread."""
    return _controller().limit(limits=1, user_api="blas")
