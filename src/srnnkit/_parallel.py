"""One execution layer for every heavy function: ``n_jobs``, threads, Dask, seeds, progress.

- :func:`n_threads` parses ``n_jobs`` with joblib's semantics (``None`` -> 1, ``-1`` all cores,
  ``-2`` all but one, ...; 0 is an error), capped by the number of tasks or another limit.
- :class:`Runner` runs independent tasks and yields their results **in task order**: on
  threads (BLAS pinned to one thread, so the threads do not oversubscribe the cores; NumPy's
  floating-point warnings silenced inside the tasks, whose callers report divergence
  themselves), on a ``dask.distributed.Client`` (one submit/gather path; :meth:`Runner.fold`
  folds on a worker so that only the fold's result travels back), or on any
  ``concurrent.futures.Executor``. Results are folded in task order by the caller, so they do
  not depend on the number of threads, on the executor or on the chunking.
- :func:`seed_children` and :func:`seed_child` address independent random streams by index
  (``SeedSequence`` spawn keys), never by a spawn counter: task ``i`` always gets child ``i``.
- Progress: a heavy call registers a :class:`srnnkit._progress.Task` with its cost estimate
  (:mod:`srnnkit._cost`); :meth:`Runner.map` carries it into its threads, so the engines'
  :func:`report` counts finished path-steps on the call's one bar. Without
  such a call, the runner draws a bar over its tasks when bars are on
  (:func:`srnnkit.show_progress`).

Examples
--------
>>> from srnnkit._parallel import Runner, n_threads, seed_children
>>> n_threads(None), n_threads(1, n_tasks=5)
(1, 1)
>>> runner = Runner(n_jobs=2)
>>> list(runner.map(lambda x: x * x, [1, 2, 3]))
[1, 4, 9]
>>> [s.spawn_key for s in seed_children(7, 2)]
[(0,), (1,)]
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ._progress import report
from ._random import SeedLike, as_seed_sequence, child_sequences
from ._validation import check_n_jobs, fail

__all__ = ["Runner", "n_threads", "quiet", "report", "seed_child", "seed_children", "split"]


def n_threads(n_jobs: Any, n_tasks: int | None = None, cap: int | None = None) -> int:
    """Threads for ``n_jobs`` (joblib semantics), at most ``n_tasks`` and ``cap``, at least 1."""
    n = check_n_jobs(n_jobs)
    for limit in (n_tasks, cap):
        if limit is not None:
            n = min(n, int(limit))
    return max(1, n)


def seed_children(seed: SeedLike, n: int, name: str = "seed") -> list[np.random.SeedSequence]:
    """``n`` independent children of ``seed``, child ``i`` at spawn key ``(..., i)``."""
    return child_sequences(seed, n, name)


def seed_child(root: SeedLike, *index: int) -> np.random.SeedSequence:
    """The child of ``root`` at spawn key ``(*root.spawn_key, *index)``."""
    ss = as_seed_sequence(root)
    return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, *index),
                                  pool_size=ss.pool_size)


def split(n_items: int, n_parts: int) -> list[tuple[int, int]]:
    """``n_parts`` contiguous ``(lo, hi)`` ranges covering ``range(n_items)`` (sizes differ by
    at most one; empty ranges dropped)."""
    if n_parts <= 1 or n_items <= 1:              # the common case: no linspace per call
        return [(0, int(n_items))] if n_items > 0 else []
    bounds = np.linspace(0, n_items, n_parts + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


def quiet(func: Callable) -> Callable:
    """``func`` with NumPy's overflow/invalid warnings off (``errstate`` is per thread, so it is
    set inside every task); the callers detect and report divergence themselves."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore"):
            return func(*args, **kwargs)
    return wrapper


def _is_dask(executor: Any) -> bool:
    return hasattr(executor, "gather") and hasattr(executor, "submit")


def _fold_remote(make_folder: Callable[[], Any], *results: Any) -> Any:
    folder = make_folder()
    for res in results:
        folder.add(res)
    return folder.result()


class Runner:
    """Run independent tasks on threads, a Dask client or an executor; results in task order.

    Parameters
    ----------
    n_jobs : int or None
        Threads when ``executor`` is None (joblib semantics).
    executor : dask.distributed.Client or concurrent.futures.Executor, optional
    desc : str
        Label of the bar over tasks (drawn when bars are on and no enclosing call counts its
        own units; see :mod:`srnnkit._progress`).
    """

    def __init__(self, n_jobs: Any = None, executor: Any = None, *, desc: str = "tasks"
                 ) -> None:
        self.n_threads = n_threads(n_jobs)
        if executor is not None and not (hasattr(executor, "submit")
                                         and hasattr(executor, "map")):
            fail("executor", "a dask.distributed.Client, a concurrent.futures.Executor or None",
                 type(executor).__name__, TypeError)
        self.executor = executor
        self.desc = desc

    @property
    def is_dask(self) -> bool:
        return self.executor is not None and _is_dask(self.executor)

    def map(self, fn: Callable, items: Iterable) -> Iterator:
        """``fn(item)`` for each item, yielded in order (bounded memory on threads)."""
        from ._progress import current_task, progress

        items = list(items)
        task = current_task()
        bar = progress(len(items), self.desc)
        for res in self._map(quiet(fn), items, task):
            bar.update()
            yield res
        bar.close()

    def _map(self, fn: Callable, items: list, task: Any = None) -> Iterator:
        from ._threads import single_threaded_blas

        if self.executor is not None:    # on workers, every task pins its own BLAS
            if self.is_dask:
                futures = [self.executor.submit(_pinned(fn), it, pure=False) for it in items]
                for fut in futures:
                    yield fut.result()
            else:
                yield from self.executor.map(_pinned(fn), items)
            return
        with single_threaded_blas():     # a process-wide limit: set once, around all threads
            if self.n_threads == 1 or len(items) <= 1:
                yield from map(fn, items)
                return
            from concurrent.futures import ThreadPoolExecutor

            fn = _in_task(fn, task)     # the calling thread's heavy call, in every thread
            window = 2 * self.n_threads  # at most this many tasks in flight or waiting
            with ThreadPoolExecutor(self.n_threads) as pool:
                yield from _in_order(pool, fn, items, window)

    def each(self, fn: Callable, items: Iterable) -> None:
        """Run ``fn(item)`` for its effect (e.g. writing disjoint rows of an output), every
        item, on the threads; errors surface here."""
        for _ in self.map(fn, items):
            pass

    def fold(self, fn: Callable, items: Iterable, make_folder: Callable[[], Any]) -> Any:
        """Fold ``fn(item)`` over the items in order with ``make_folder()`` (an object with
        ``add(result)`` and ``result()``). On Dask the fold runs on a worker: only its result
        comes back."""
        items = list(items)
        if self.is_dask:
            futures = [self.executor.submit(_pinned(quiet(fn)), it, pure=False)
                       for it in items]
            return self.executor.submit(_fold_remote, make_folder, *futures,
                                        pure=False).result()
        folder = make_folder()
        for res in self.map(fn, items):
            folder.add(res)
        return folder.result()


def _in_order(pool: Any, fn: Callable, items: list, window: int) -> Iterator:
    """``fn(item)`` on ``pool``, results yielded in item order, with a sliding window of
    ``window`` submitted tasks (a new one starts as soon as the oldest result is taken, so
    a slow task never idles the other threads for a whole wave; memory stays bounded)."""
    from collections import deque

    pending: deque = deque()
    queue = iter(items)
    try:
        for item in queue:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                break
        while pending:
            result = pending.popleft().result()
            for item in queue:
                pending.append(pool.submit(fn, item))
                break
            yield result
    finally:                    # an error (or an abandoned generator) cancels what waits
        for fut in pending:
            fut.cancel()


def _in_task(fn: Callable, task: Any) -> Callable:
    """``fn`` run for ``task`` (the calling thread's heavy call) in a pool thread, so that the
    engines' progress reports reach the call's bar (local threads only: a bar does not
    travel to workers)."""
    if task is None:
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        from ._progress import reset_task, set_task

        token = set_task(task)
        try:
            return fn(*args)
        finally:
            reset_task(token)
    return wrapper


def _pinned(fn: Callable) -> Callable:
    """``fn`` with every loaded BLAS limited to one thread while it runs."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        from ._threads import single_threaded_blas

        with single_threaded_blas():
            return fn(*args)
    return wrapper
