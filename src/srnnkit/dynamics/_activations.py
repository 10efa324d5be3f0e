"""The activation table of the dynamics core: one entry per activation ``a``.

Each entry links a name to an integer code and to every form the library needs: the NumPy
function (used by the model's drift and the vectorised ensembles), its first and second
derivatives (the input derivatives of the drift, docs/theory.md section 11), the Lipschitz
constant and boundedness (the dissipativity check, the burn-in rule and the divergence bound),
and, by code, the compiled scalar function of the CPU loops (:mod:`._em_loops`) and the CUDA
device function (``simulate/_cuda.py``), which implement the same formulas.

Examples
--------
>>> import numpy as np
>>> from srnnkit.dynamics import ACTIVATIONS
>>> sig = ACTIVATIONS["sigmoid"]
>>> sig.code, sig.lipschitz, sig.bounded
(3, 0.25, True)
>>> sig(np.array([0.0, 2.0])).round(4), sig.derivative(np.array([0.0])).round(4)
(array([0.5   , 0.8808]), array([0.25]))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "IDENTITY",
    "RELU",
    "SIGMOID",
    "TANH",
    "Activation",
    "activation",
]

#: codes shared by the compiled loops and the CUDA kernels
TANH, IDENTITY, RELU, SIGMOID = 0, 1, 2, 3


def _tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(z, out=out)


def _identity(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    if out is None:
        return z.copy()
    if out is not z:
        out[...] = z
    return out


def _relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(z, 0.0, out=out)


def _sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 0.5 * (1 + tanh(z/2)) is overflow-free and uses NumPy's SIMD tanh; the compiled and
    # CUDA forms compute 0.5 + 0.5 tanh(z/2), the same number (scaling by 0.5 is exact)
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _d_tanh(z: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(z) ** 2


def _d2_tanh(z: np.ndarray) -> np.ndarray:
    t = np.tanh(z)
    return -2.0 * t * (1.0 - t * t)


def _d_sigmoid(z: np.ndarray) -> np.ndarray:
    s = _sigmoid(np.asarray(z, dtype=float))
    return s * (1.0 - s)


def _d2_sigmoid(z: np.ndarray) -> np.ndarray:
    s = _sigmoid(np.asarray(z, dtype=float))
    return s * (1.0 - s) * (1.0 - 2.0 * s)


@dataclass(frozen=True)
class Activation:
    """One activation of the table.

    Parameters
    ----------
    name : str
        Its name ("tanh", "identity", "relu" or "sigmoid").
    code : int
        Its number in the compiled loops and the CUDA kernels.
    lipschitz : float
        Lipschitz constant of ``a``.
    bounded : bool
        Whether ``a`` is bounded.
    sup_abs : float
        ``sup |a|`` (``inf`` when unbounded).
    fn : callable
        ``fn(z, out=None)``: ``a(z)`` elementwise (in place when ``out is z``).
    d1 : callable
        ``d1(z)``: ``a'(z)`` elementwise.
    d2 : callable
        ``d2(z)``: ``a''(z)`` elementwise.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.dynamics import ACTIVATIONS
    >>> tanh = ACTIVATIONS["tanh"]
    >>> tanh.code, tanh.lipschitz, tanh.bounded, tanh.sup_abs
    (0, 1.0, True, 1.0)
    >>> tanh.second_derivative(np.array([-1.0, 1.0])).round(4)
    array([ 0.6397, -0.6397])
    """

    name: str
    code: int
    lipschitz: float
    bounded: bool
    sup_abs: float
    fn: Callable[..., np.ndarray]
    d1: Callable[[np.ndarray], np.ndarray]
    d2: Callable[[np.ndarray], np.ndarray]

    def __call__(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``a(z)`` elementwise (in place when ``out is z``)."""
        return self.fn(z, out)

    @property
    def kinked(self) -> bool:
        """Whether ``a`` has a kink (ReLU): ``a'`` is a step and ``a''`` a Dirac mass there,
        which no pointwise evaluation of the derivatives holds."""
        return self.name == "relu"

    def derivative(self, z: np.ndarray) -> np.ndarray:
        """``a'(z)`` elementwise.

        Parameters
        ----------
        z : array_like
            The points.

        Returns
        -------
        ndarray
            ``a'(z)``, the shape of ``z``.
        """
        return self.d1(np.asarray(z, dtype=float))

    def second_derivative(self, z: np.ndarray) -> np.ndarray:
        """``a''(z)`` elementwise (zero almost everywhere for relu and identity).

        Parameters
        ----------
        z : array_like
            The points.

        Returns
        -------
        ndarray
            ``a''(z)``, the shape of ``z``.
        """
        return self.d2(np.asarray(z, dtype=float))

    def nth_derivative(self, z: np.ndarray, k: int) -> np.ndarray:
        """The k-th derivative ``a^(k)(z)`` elementwise (k >= 0).

        tanh and sigmoid: a polynomial in ``a(z)`` itself (``tanh' = 1 - tanh**2``,
        ``sigmoid' = sigmoid (1 - sigmoid)``, differentiated ``k`` times); identity and relu:
        zero beyond the first derivative (almost everywhere).

        Parameters
        ----------
        z : array_like
            The points.
        k : int
            The order of the derivative (``k >= 0``; 0 gives ``a(z)``).

        Returns
        -------
        ndarray
            ``a^(k)(z)``, the shape of ``z``.

        Examples
        --------
        >>> import numpy as np
        >>> from srnnkit.dynamics import ACTIVATIONS
        >>> t = np.tanh(0.3)
        >>> bool(np.isclose(ACTIVATIONS["tanh"].nth_derivative(0.3, 3),
        ...                 -2 * (1 - t**2) * (1 - 3 * t**2)))
        True
        """
        z = np.asarray(z, dtype=float)
        if k < 3:
            return (self.fn(z.copy()), self.derivative(z), self.second_derivative(z))[k]
        if not self.bounded:                       # identity, relu
            return np.zeros_like(z)
        return np.polynomial.polynomial.polyval(self.fn(z.copy()),
                                                _derivative_polynomial(self.name, k))

    @property
    def compiled(self) -> Callable[[float], float]:
        """The compiled scalar ``a(z)`` of the CPU loops (imports Numba on first use)."""
        from . import _em_loops

        return _em_loops.SCALAR_ACTIVATIONS[self.code]


def _derivative_polynomial(name: str, k: int) -> np.ndarray:
    """Coefficients (increasing powers of ``y = a(z)``) of ``a^(k)`` for tanh (``y' = 1 -
    y**2``) and sigmoid (``y' = y - y**2``)."""
    P = np.polynomial.polynomial
    chain = [1.0, 0.0, -1.0] if name == "tanh" else [0.0, 1.0, -1.0]
    coeffs = np.array([0.0, 1.0])
    for _ in range(k):
        coeffs = P.polymul(P.polyder(coeffs), chain)
    return coeffs


def _zeros_like(z: np.ndarray) -> np.ndarray:
    return np.zeros_like(z, dtype=float)


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", TANH, 1.0, True, 1.0, _tanh, _d_tanh, _d2_tanh),
    "identity": Activation("identity", IDENTITY, 1.0, False, np.inf, _identity,
                           lambda z: np.ones_like(z, dtype=float), _zeros_like),
    "relu": Activation("relu", RELU, 1.0, False, np.inf, _relu,
                       lambda z: (z > 0).astype(float), _zeros_like),
    "sigmoid": Activation("sigmoid", SIGMOID, 0.25, True, 1.0, _sigmoid, _d_sigmoid,
                          _d2_sigmoid),
}
#: the names, in code order
ACTIVATION_NAMES = tuple(sorted(ACTIVATIONS, key=lambda k: ACTIVATIONS[k].code))


def activation(name: str) -> Activation:
    """The table entry of ``name`` (ValueError naming the choices otherwise).

    Parameters
    ----------
    name : str
        "tanh", "identity", "relu" or "sigmoid".

    Returns
    -------
    Activation
        Its entry of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> from srnnkit.dynamics import activation
    >>> activation("relu").code
    2
    """
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"activation must be one of {ACTIVATION_NAMES}; got {name!r}.") \
            from None
