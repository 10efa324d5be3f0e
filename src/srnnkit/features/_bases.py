"""Support bases psi and their reproducing kernels kappa(s, t) = <psi(s), psi(t)>.

docs/theory.md §6 lists the closed forms used here.  Every basis is callable on
times (``basis(t) -> (len(t), P)``), has ``kappa(s, t)`` elementwise with NumPy
broadcasting, ``integrals(a, b)`` (exact ``∫_a^b psi``, finite bases only) and
``n_functions`` (``None`` for an infinite basis).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .._validation import (
    check_array,
    check_finite_result,
    check_int,
    check_memory,
    check_positive,
    fail,
)

__all__ = [
    "ExponentialBasis",
    "LegendreBasis",
    "MonomialBasis",
    "SupportBasis",
    "WeightedMonomialBasis",
]


#: what to do when finite times give non-finite basis values or kernels
_OVERFLOW_REMEDY = ("The basis functions grow too fast for these times (a large degree over "
                    "a tiny T, a negative rate of ExponentialBasis): evaluate at smaller times "
                    "(time in units of the series' length) or use a bounded basis.")


def _times(name: str, t: ArrayLike) -> np.ndarray:
    arr = check_array(name, t, shape_text="(n_times,)")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        fail(name, "a 1-D array of times of shape (n_times,)", arr)
    return arr


def _pair(s: ArrayLike, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    for name, v in (("s", s), ("t", t)):
        if v is None or isinstance(v, (str, bytes)):
            fail(name, "a real number or array of times", v, TypeError)
    s_arr = np.asarray(s, dtype=float)
    t_arr = np.asarray(t, dtype=float)
    try:
        s_arr, t_arr = np.broadcast_arrays(s_arr, t_arr)
    except ValueError:
        raise ValueError(f"s and t must broadcast together; got shapes {np.shape(s)} and "
                         f"{np.shape(t)}.") from None
    return s_arr, t_arr


def _scalarize(x: np.ndarray) -> float | np.ndarray:
    return x[()] if x.ndim == 0 else x


class SupportBasis:
    r"""Base class: a family of functions ``psi_p(s)``, ``p = 0..P-1`` (or infinite).

    Subclasses implement ``_eval`` (times -> (n, P)) and ``_kappa`` (the kernel on float
    arrays of one shape; or override ``kappa`` itself); an infinite basis
    (``n_functions is None``) needs only the reproducing kernel

    .. math:: \kappa(s, t) = \langle \psi(s), \psi(t) \rangle = \sum_p \psi_p(s)\,\psi_p(t).

    Attributes
    ----------
    n_functions : int or None
        Number of functions P, or ``None`` for an infinite basis.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.features import SupportBasis
    >>> class Cosines(SupportBasis):
    ...     n_functions = 2
    ...     _degree = 8
    ...     def _eval(self, t):
    ...         return np.stack([np.ones_like(t), np.cos(t)], axis=1)
    ...     def kappa(self, s, t):
    ...         return 1.0 + np.cos(s) * np.cos(t)
    >>> basis = Cosines()
    >>> basis([0.0, np.pi])
    array([[ 1.,  1.],
           [ 1., -1.]])
    >>> float(basis.kappa(0.0, np.pi))
    0.0
    """

    n_functions: int | None = None

    def __call__(self, t: ArrayLike) -> np.ndarray:
        """Evaluate all basis functions: ``(len(t), n_functions)``.

        Values that overflow (finite times at which a function exceeds the float range)
        raise ``ValueError`` naming the basis, instead of returning infinity.
        """
        self._require_finite("evaluating the basis")
        t = _times("t", t)
        check_memory("degree", self.n_functions - 1, "the basis values", (t.size, self.n_functions))
        with np.errstate(over="ignore", invalid="ignore"):     # overflow: the check below
            values = self._eval(t)
        return check_finite_result(f"{type(self).__name__}(t)", np.asarray(values),
                                   _OVERFLOW_REMEDY)

    def _eval(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def kappa(self, s: ArrayLike, t: ArrayLike) -> float | np.ndarray:
        """The reproducing kernel ``<psi(s), psi(t)>``, elementwise (broadcasting).

        Each basis evaluates its closed form (the formula in its class description).

        Parameters
        ----------
        s, t : float or array-like
            Times; broadcast against each other.

        Returns
        -------
        kappa : float or ndarray
            ``sum_p psi_p(s) psi_p(t)``, of the broadcast shape of ``s`` and ``t``
            (a float for scalars).
        """
        s_arr, t_arr = _pair(s, t)
        if self._kappa_broadcasts:           # s and t as given (a column and a row for a grid)
            s_arr, t_arr = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
        return _scalarize(self._kappa(s_arr, t_arr))

    #: ``_kappa`` takes ``s`` and ``t`` unbroadcast (they broadcast together), so a grid's
    #: work stays on its column and row
    _kappa_broadcasts = False

    def _kappa(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The kernel on float arrays ``s``, ``t`` of one shape (that broadcast together,
        with `_kappa_broadcasts`)."""
        raise NotImplementedError

    def integrals(self, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        """Exact integrals ``∫_a^b psi_p(s) ds`` over cells ``[a[i], b[i]]`` (finite bases).

        Parameters
        ----------
        a, b : array-like of shape (n_cells,)
            Left and right ends of the cells.

        Returns
        -------
        integrals : ndarray of shape (n_cells, n_functions)
            ``integrals[i, p] = ∫_{a[i]}^{b[i]} psi_p(s) ds``.
        """
        self._require_finite("integrals")
        a_arr = _times("a", a)
        b_arr = _times("b", b)
        check_memory("degree", self.n_functions - 1, "the basis integrals",
                     (2 * a_arr.size, self._degree // 2 + 1 if hasattr(self, "_degree") else 1,
                      self.n_functions))
        if a_arr.shape != b_arr.shape:
            raise ValueError(f"a and b must have the same length; got {a_arr.shape[0]} and "
                             f"{b_arr.shape[0]}.")
        return self._integrals(a_arr, b_arr)

    def _integrals(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # Gauss-Legendre with ceil((deg+1)/2) nodes is exact for polynomials of this degree;
        # it avoids the cancellation of b**(p+1) - a**(p+1) on short cells.
        n_nodes = self._degree // 2 + 1
        nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
        half = 0.5 * (b - a)
        mid = 0.5 * (b + a)
        pts = mid[:, None] + half[:, None] * nodes[None, :]
        vals = self._eval(pts.ravel()).reshape(a.shape[0], n_nodes, -1)
        return half[:, None] * np.einsum("q,iqp->ip", weights, vals)

    def _require_finite(self, what: str) -> None:
        if self.n_functions is None:
            raise ValueError(f"{type(self).__name__}(degree=None) is infinite: {what} needs a "
                             "finite basis. Give a degree, or use its kappa (closed form) "
                             "through sk.kernels.response_kernel.")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._repr_args()})"

    def _repr_args(self) -> str:  # pragma: no cover - overridden
        return ""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


class MonomialBasis(SupportBasis):
    r"""Monomials :math:`\psi_p(s) = s^p`, :math:`p = 0, \dots, \text{degree}`.

    .. math:: \kappa(s, t) = \sum_{p=0}^{\text{degree}} (st)^p .

    These are the support functions produced by the Taylor expansion of the response
    kernels (docs/theory.md §4).

    Parameters
    ----------
    degree : int
        Highest power (>= 0); ``n_functions = degree + 1``.

    Examples
    --------
    >>> from srnnkit.features import MonomialBasis
    >>> b = MonomialBasis(2)
    >>> b([0.5, 2.0])
    array([[1.  , 0.5 , 0.25],
           [1.  , 2.  , 4.  ]])
    >>> float(b.kappa(0.5, 2.0))
    3.0
    """

    def __init__(self, degree: int) -> None:
        self.degree = check_int("degree", degree, low=0)
        self._degree = self.degree
        self.n_functions = self.degree + 1

    def _eval(self, t: np.ndarray) -> np.ndarray:
        return t[:, None] ** np.arange(self.n_functions)[None, :]

    def _kappa(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``sum_p (s t)**p`` (Horner's scheme)."""
        z = s * t
        out = np.ones_like(z)
        for _ in range(self.degree):
            out = out * z + 1.0
        return out

    def _repr_args(self) -> str:
        return f"degree={self.degree}"


class WeightedMonomialBasis(SupportBasis):
    r"""Weighted monomials :math:`\psi_p(s) = s^p/\sqrt{p!}`; infinite when ``degree=None``.

    .. math:: \kappa(s, t) = \sum_{p=0}^{\text{degree}} \frac{(st)^p}{p!}
              \xrightarrow{\text{degree}=\infty} e^{st}.

    With ``degree=None`` the basis is infinite: only `kappa` is available (the response
    kernel needs nothing else); `__call__`, `integrals` and features need a degree.

    Parameters
    ----------
    degree : int or None, default=None
        Highest power (>= 0), ``n_functions = degree + 1``; ``None`` for the infinite basis
        (kernel ``exp(st)``).

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.features import WeightedMonomialBasis
    >>> float(WeightedMonomialBasis().kappa(1.0, 2.0)) == float(np.exp(2.0))
    True
    """

    def __init__(self, degree: int | None = None) -> None:
        self.degree = None if degree is None else check_int("degree", degree, low=0)
        self._degree = self.degree
        self.n_functions = None if degree is None else self.degree + 1

    def _eval(self, t: np.ndarray) -> np.ndarray:
        p = np.arange(self.n_functions)
        scale = np.exp(-0.5 * np.array([math.lgamma(k + 1.0) for k in p]))
        return t[:, None] ** p[None, :] * scale[None, :]

    def _kappa(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``exp(s t)`` (infinite) or ``sum_{p<=degree} (s t)**p / p!``."""
        z = s * t
        if self.degree is None:
            return np.exp(z)
        out = np.ones_like(z)
        for p in range(self.degree, 0, -1):  # Horner: 1 + z/1 (1 + z/2 (1 + ...))
            out = 1.0 + z * out / p
        return out

    def _repr_args(self) -> str:
        return f"degree={self.degree}"


class LegendreBasis(SupportBasis):
    r"""Orthonormal shifted Legendre polynomials on :math:`[0, T]`.

    .. math:: \psi_p(s) = \sqrt{\tfrac{2p+1}{T}}\, P_p\!\left(\tfrac{2s}{T} - 1\right),
              \qquad \int_0^T \psi_p\psi_q\,ds = \delta_{pq},

    .. math:: \kappa(s, t) = \sum_{p=0}^{\text{degree}} \frac{2p+1}{T}
              P_p\!\left(\tfrac{2s}{T}-1\right) P_p\!\left(\tfrac{2t}{T}-1\right)

    (the Christoffel–Darboux kernel, evaluated by the three-term recurrence, which is
    stable also on the diagonal ``s = t``).

    Parameters
    ----------
    degree : int
        Highest polynomial degree (>= 0); ``n_functions = degree + 1``.
    T : float
        Length of the interval (> 0). Times outside ``[0, T]`` are allowed (polynomial
        extension) but lose orthonormality.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.features import LegendreBasis
    >>> b = LegendreBasis(3, T=2.0)
    >>> s = np.linspace(0, 2, 2001)
    >>> G = b.integrals(s[:-1], s[1:])       # exact cell integrals
    >>> bool(np.allclose(G.sum(0), [np.sqrt(2), 0, 0, 0]))
    True
    """

    def __init__(self, degree: int, T: float) -> None:
        self.degree = check_int("degree", degree, low=0)
        self._degree = self.degree
        self.T = check_positive("T", T)
        self.n_functions = self.degree + 1

    def _legendre(self, x: np.ndarray) -> list[np.ndarray]:
        vals = [np.ones_like(x)]
        if self.degree >= 1:
            vals.append(x.copy())
        for n in range(1, self.degree):
            vals.append(((2 * n + 1) * x * vals[n] - n * vals[n - 1]) / (n + 1))
        return vals

    def _eval(self, t: np.ndarray) -> np.ndarray:
        x = 2.0 * t / self.T - 1.0
        norm = np.sqrt((2 * np.arange(self.n_functions) + 1) / self.T)
        return np.stack(self._legendre(x), axis=-1) * norm

    _kappa_broadcasts = True     # the polynomials of s and t apart, two kept (`_kappa`)

    def _kappa(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The Christoffel–Darboux sum ``sum_p (2p+1)/T P_p(2s/T-1) P_p(2t/T-1)`` (the
        three-term recurrence on ``s`` and ``t`` separately; found by fuzzing: on the
        broadcast grid all ``2 (degree + 1)`` polynomials were kept, 5.1 GB and 13 s for
        degree 30 on the 3200 x 3200 time table of one response kernel)."""
        xs = 2.0 * s / self.T - 1.0
        xt = 2.0 * t / self.T - 1.0
        out = np.zeros(np.broadcast_shapes(s.shape, t.shape))
        s0, s1 = np.ones_like(xs), xs.copy()
        t0, t1 = np.ones_like(xt), xt.copy()
        out = out + 1 / self.T * s0 * t0
        for p in range(1, self.n_functions):
            if p > 1:        # P_p from P_{p-1}, P_{p-2}: the recurrence of `_legendre`
                s0, s1 = s1, ((2 * p - 1) * xs * s1 - (p - 1) * s0) / p
                t0, t1 = t1, ((2 * p - 1) * xt * t1 - (p - 1) * t0) / p
            out = out + (2 * p + 1) / self.T * s1 * t1
        return out

    def _repr_args(self) -> str:
        return f"degree={self.degree}, T={self.T!r}"


class ExponentialBasis(SupportBasis):
    r"""Exponentials :math:`\psi_p(s) = e^{-\lambda_p s}` for given rates :math:`\lambda_p`.

    .. math:: \kappa(s, t) = \sum_p e^{-\lambda_p (s + t)} .

    For a linear SRNN with linear readout, the eigenvalues of ``A = Gamma - W`` form an
    exact finite support basis (docs/theory.md §4).

    Parameters
    ----------
    rates : array-like of shape (P,)
        Real, finite decay rates (0 gives the constant function).

    Examples
    --------
    >>> from srnnkit.features import ExponentialBasis
    >>> b = ExponentialBasis([0.0, 1.0])
    >>> b.integrals([0.0], [1.0]).round(6)
    array([[1.      , 0.632121]])
    """

    def __init__(self, rates: ArrayLike) -> None:
        self.rates = check_array("rates", rates, ndim=1, shape_text="(P,)")
        self.n_functions = int(self.rates.shape[0])

    def _eval(self, t: np.ndarray) -> np.ndarray:
        return np.exp(-t[:, None] * self.rates[None, :])

    def _kappa(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``sum_p exp(-rate_p (s + t))``."""
        z = s + t
        out = np.zeros(z.shape)
        for lam in self.rates:
            out = out + np.exp(-lam * z)
        return out

    def _integrals(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        lam = self.rates[None, :]
        h = (b - a)[:, None]
        safe = np.where(lam == 0, 1.0, lam)
        # e^{-lam a} (1 - e^{-lam h}) / lam, without cancellation for small lam*h
        val = np.exp(-lam * a[:, None]) * (-np.expm1(-lam * h)) / safe
        return np.where(lam == 0, h, val)

    def _repr_args(self) -> str:
        return f"rates={self.rates.tolist()!r}"
