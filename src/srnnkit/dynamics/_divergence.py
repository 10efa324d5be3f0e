"""Divergence of a simulated state: the error, and (soon) the bound that detects it early."""

from __future__ import annotations

__all__ = ["DivergenceError"]


class DivergenceError(FloatingPointError):
    """A simulated state became NaN or infinite.

    Raised by :func:`srnnkit.simulate` with the step, the time and the remedy (a smaller
    ``dt``, smaller weights or inputs, or a larger ``gamma``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", sk.DissipativityWarning)
    ...     unstable = sk.SRNN(W=[[30.0]], C=[[1.0]], sigma=0.1, activation="identity")
    >>> try:
    ...     sk.simulate(unstable, np.zeros((1000, 1)), dt=0.1, n_paths=4, seed=0, h0=[1.0])
    ... except sk.DivergenceError as err:
    ...     print(str(err)[:48])
    the simulated state became NaN or infinite at st
    """
