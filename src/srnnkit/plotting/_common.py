"""Shared helpers of the displays: figures that never clip their labels, column selection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_array, check_int, fail

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["AxesArg", "as_curve", "new_figure", "pick_index", "pick_pair"]

#: What ``plot(ax=...)`` accepts: an Axes, a sequence of them (one per panel) or None.
AxesArg: TypeAlias = "Axes | Sequence[Axes] | np.ndarray | None"


def new_figure(ncols: int = 1, *, width: float = 6.4,
               height: float = 3.6) -> tuple[Figure, np.ndarray]:
    """A figure with ``ncols`` axes and matplotlib's constrained layout.

    The constrained layout keeps axis labels, tick labels, titles and colour bars inside the
    figure, so a PNG saved without ``bbox_inches="tight"`` is not clipped.
    """
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, ncols, figsize=(width * ncols, height), layout="constrained")
    return fig, np.atleast_1d(axs)


def axes_or_new(ax: AxesArg, ncols: int = 1, **kwargs: float) -> tuple[np.ndarray, Figure]:
    """The user's axes (one or a sequence of ``ncols``) or a new constrained-layout figure."""
    if ax is None:
        fig, axs = new_figure(ncols, **kwargs)
        return axs, fig
    axs = np.atleast_1d(np.asarray(ax, dtype=object))
    if len(axs) < ncols:
        fail("ax", f"a sequence of {ncols} matplotlib Axes (this plot has {ncols} panels)",
             f"{len(axs)} Axes")
    for a in axs:
        if not hasattr(a, "plot") or not hasattr(a, "figure"):
            fail("ax", "a matplotlib Axes (or a sequence of them) or None",
                 type(a).__name__, TypeError)
    return axs, axs[0].figure


def pick_index(name: str, value: object, size: int, what: str) -> int:
    """Check an index into an axis of length ``size`` (negative indices count from the end)."""
    idx = check_int(name, value, low=-size, high=size - 1)
    return idx % size if size else idx


def pick_pair(name: str, value: object, size: int) -> tuple[int, int]:
    """A pair ``(a, b)`` of input channels, or one int for ``a = b`` (negative from the end)."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2:
        fail(name, "an int or a pair (a, b) of input channels", value)
    a, b = (pick_index(name, c, size, "input channels") for c in pair)
    return a, b


def as_curve(name: str, value: ArrayLike, length: int | None, output: int,
             output_name: str = "output") -> np.ndarray:
    """One curve from an array as the library returns it.

    Accepts ``(n,)``, a column ``(n, p)`` (``simulate``'s mean and stderr, ``predict``'s
    output; column ``output`` is taken) and checks the length against ``length`` (the time
    axis) when given.
    """
    arr = check_array(name, value, ndim=(1, 2), shape_text="(n_times,) or (n_times, n_outputs)",
                      finite=False)
    if length is not None and arr.shape[0] != length:
        fail(name, f"an array with {length} values along its first axis (one per time in "
             "ts)", arr)
    if arr.ndim == 2:
        col = pick_index(output_name, output, arr.shape[1], f"{name}'s outputs")
        arr = arr[:, col]
    return arr
