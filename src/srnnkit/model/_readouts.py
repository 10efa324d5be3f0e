"""Readouts ``y = f(h)`` of an SRNN."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_array, fail

__all__ = ["Callable_", "Linear", "Quadratic", "ReadoutLike", "as_readout"]


class Linear:
    r"""Affine readout :math:`f(h) = Q h + q`.

    Parameters
    ----------
    Q : array-like of shape (p, n)
        Readout matrix.
    q : array-like of shape (p,), optional
        Offset; zero when omitted.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.readouts import Linear
    >>> f = Linear([[1.0, 0.5]], q=[0.1])
    >>> f(np.array([[2.0, 2.0]]))
    array([[3.1]])
    """

    kind = "linear"

    def __init__(self, Q: ArrayLike, q: ArrayLike | None = None) -> None:
        Q = check_array("Q", Q, ndim=(1, 2), shape_text="(p, n)")
        self.Q = Q[None, :] if Q.ndim == 1 else Q
        p = self.Q.shape[0]
        self.q = (np.zeros(p) if q is None else
                  check_array("q", np.atleast_1d(q), shape=(p,), shape_text=f"({p},)"))

    @property
    def n_outputs(self) -> int:
        """Number of outputs p (rows of Q)."""
        return self.Q.shape[0]

    def _bind(self, n: int) -> None:
        if self.Q.shape[1] != n:
            fail("readout Q", f"an array of shape (p, {n}) to match n_hidden={n}", self.Q)

    def __call__(self, h: np.ndarray) -> np.ndarray:
        return h @ self.Q.T + self.q

    def __repr__(self) -> str:
        return f"Linear(Q of shape {self.Q.shape})"


class Quadratic:
    r"""Quadratic readout :math:`f(h) = \tfrac12 h^\top M h` (one output).

    Parameters
    ----------
    M : array-like of shape (n, n)
        The quadratic form. It is symmetrised, :math:`M \leftarrow (M + M^\top)/2`, which
        leaves f unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.readouts import Quadratic
    >>> Quadratic(np.eye(2))(np.array([[1.0, 2.0]]))
    array([[2.5]])
    """

    kind = "quadratic"

    def __init__(self, M: ArrayLike) -> None:
        M = check_array("M", M, ndim=2, shape_text="(n, n)")
        if M.shape[0] != M.shape[1]:
            fail("M", "a square array of shape (n, n)", M)
        self.M = 0.5 * (M + M.T)

    n_outputs = 1

    def _bind(self, n: int) -> None:
        if self.M.shape[0] != n:
            fail("readout M", f"an array of shape ({n}, {n}) to match n_hidden={n}", self.M)

    def __call__(self, h: np.ndarray) -> np.ndarray:
        return 0.5 * np.einsum("...i,ij,...j->...", h, self.M, h)[..., None]

    def __repr__(self) -> str:
        return f"Quadratic(M of shape {self.M.shape})"


class Callable_:
    """Wrap a vectorised user callable ``f(h) -> (..., p)`` acting on ``(..., n)``."""

    kind = "callable"

    def __init__(self, func: Callable[[np.ndarray], np.ndarray]) -> None:
        self.func = func
        self._p: int | None = None

    def _bind(self, n: int) -> None:
        try:
            out = np.asarray(self.func(np.zeros((2, n))), dtype=float)
        except Exception as err:
            raise ValueError(f"readout callable failed on an array of shape (2, {n}): {err}") \
                from err
        if out.ndim == 1 and out.shape[0] == 2:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != 2:
            fail("readout", "a vectorised callable mapping (..., n) to (..., p)",
                 f"output of shape {out.shape} for input of shape (2, {n})")
        self._p = out.shape[1]

    @property
    def n_outputs(self) -> int:
        """Number of outputs p (known once bound to a model)."""
        return int(self._p or 0)

    def __call__(self, h: np.ndarray) -> np.ndarray:
        out = np.asarray(self.func(h), dtype=float)
        if out.ndim == h.ndim - 1:
            out = out[..., None]
        want = (*h.shape[:-1], self.n_outputs)
        if out.shape != want:       # the probe at _bind can pass by coincidence of shapes
            fail("readout", f"a vectorised callable mapping (..., n) to (..., p) = "
                 f"{want} here", f"output of shape {out.shape} for states of shape "
                 f"{h.shape}")
        return out

    def __repr__(self) -> str:
        return f"Callable_({getattr(self.func, '__name__', self.func)!r})"


Readout: TypeAlias = Linear | Quadratic | Callable_

#: What ``SRNN(readout=...)`` accepts.
ReadoutLike: TypeAlias = "Readout | Callable[[np.ndarray], np.ndarray] | ArrayLike | None"


def as_readout(readout: ReadoutLike, n: int) -> Readout:
    """Normalise the ``readout`` argument of :class:`~srnnkit.SRNN`."""
    if readout is None:
        out = Linear(np.eye(n))
        out.kind = "identity"
    elif isinstance(readout, (Linear, Quadratic, Callable_)):
        out = readout
    elif callable(readout):
        out = Callable_(readout)
    elif isinstance(readout, (str, bytes)):
        fail("readout", "None, a (p, n) matrix, Linear, Quadratic or a callable", readout,
             TypeError)
    else:
        out = Linear(check_array("readout", readout, ndim=2, shape_text=f"(p, {n})"))
    out._bind(n)
    return out
