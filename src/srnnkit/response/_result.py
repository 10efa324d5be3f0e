"""Result object for response kernels of order 1 and 2."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_array, check_int, check_positive, fail

__all__ = ["ResponseFunction"]


class ResponseFunction:
    r"""Response kernel on a lag grid, with its standard error.

    Order 1: ``values[k, i, a]`` is :math:`R^{(1)}_{ia}(k\,\Delta)` (output ``i``, input channel
    ``a``).  Order 2: ``values[k1, k2, i, a, b]`` is
    :math:`R^{(2)}_{i;ab}(k_1\Delta, k_2\Delta)` with :math:`\tau_1 = t - s_1` (``a`` is the
    channel of the most recent input, at :math:`s_1`) and :math:`\tau_2 = s_1 - s_2`, in the
    ordered-simplex convention (no :math:`1/n!`, docs/theory.md (2.1)).

    For the Euler–Maruyama chain (``discrete=True`` and every Monte Carlo estimator) the entries
    are the chain's exact kernels of docs/theory.md (2.4) placed on the same layout:
    ``values[k] = r1(k)``; ``values[k1, k2] = r2(k1, k2 - 1)`` for ``k2 >= 1`` (kick gap ``k2``
    steps) and ``values[k1, 0] = d2(k1) / dt**2`` (coincident kicks).

    Parameters
    ----------
    values : ndarray of shape (n_lags, p, m) or (n_lags, n_lags, p, m, m)
    dt : float
        Lag spacing; ``lags = dt * arange(n_lags)``.
    stderr : ndarray of the same shape, optional
        Monte Carlo standard error (``None`` when exact).
    method : str
        How the kernel was obtained.
    order : {1, 2}
    discrete : bool
        True when the entries are the Euler–Maruyama chain's kernels.
    info : dict, optional
        Estimator details (sample sizes, kick size, score, ...).

    Attributes
    ----------
    lags : ndarray of shape (n_lags,)
        Lags in time units.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.response import ResponseFunction
    >>> rf = ResponseFunction(np.ones((4, 1, 1)), dt=0.5, method="analytic")
    >>> rf.lags
    array([0. , 0.5, 1. , 1.5])
    >>> rf.n_lags, rf.n_outputs, rf.n_inputs
    (4, 1, 1)
    """

    def __init__(self, values: Any, *, dt: float, stderr: Any = None, method: str = "analytic",
                 order: int = 1, discrete: bool = False, info: dict | None = None) -> None:
        self.order = check_int("order", order, low=1, high=2)
        nd = 3 if self.order == 1 else 5
        self.values = check_array("values", values, ndim=nd, finite=False)
        self.stderr = None if stderr is None else check_array("stderr", stderr,
                                                              shape=self.values.shape,
                                                              finite=False)
        self.dt = check_positive("dt", dt)
        self.method = method
        self.discrete = bool(discrete)
        self.info = dict(info or {})
        self.lags = self.dt * np.arange(self.values.shape[0])

    # ------------------------------------------------------------------ shapes
    @property
    def n_lags(self) -> int:
        """The number of lags."""
        return self.values.shape[0]

    @property
    def n_outputs(self) -> int:
        """The number of outputs ``p``."""
        return self.values.shape[1 if self.order == 1 else 2]

    @property
    def n_inputs(self) -> int:
        """The number of input channels ``m``."""
        return self.values.shape[-1]

    # -------------------------------------------------------------- discrete view
    @property
    def d2(self) -> np.ndarray:
        """Diagonal ``d2(m) = dt**2 * values[m, 0]`` of docs/theory.md (2.4): (n_lags, p, m, m)."""
        self._need_order(2, "d2")
        return self.dt ** 2 * self.values[:, 0]

    def r2(self, m1: int, m2: int) -> np.ndarray:
        """EM-indexed ``r2(m1, m2) = values[m1, m2 + 1]`` of docs/theory.md (2.4).

        Parameters
        ----------
        m1 : int
            Steps from the later kick to the output.
        m2 : int
            Steps between the two kicks, less one (``m2 >= 0``).

        Returns
        -------
        ndarray, shape (p, m, m)
            The kernel's entries at ``(m1, m2)``.
        """
        self._need_order(2, "r2")
        L = self.n_lags
        m1 = check_int("m1", m1, low=0, high=L - 1)
        m2 = check_int("m2", m2, low=0, high=L - 2)  # values[:, 0] is the coincident d2
        return self.values[m1, m2 + 1]

    def _need_order(self, order: int, what: str) -> None:
        if self.order != order:
            raise ValueError(f"{what} needs an order-{order} ResponseFunction; this one has "
                             f"order {self.order}.")

    # ---------------------------------------------------------------- evaluation
    def __call__(self, tau: Any) -> np.ndarray:
        """Order-1 kernel at times ``tau`` by linear interpolation, shape (len(tau), p, m)."""
        self._need_order(1, "evaluating at arbitrary times")
        tau = np.atleast_1d(check_array("tau", tau, ndim=(0, 1)))
        if tau.min() < 0 or tau.max() > self.lags[-1] + 1e-12 * max(1.0, self.lags[-1]):
            fail("tau", f"times in [0, {self.lags[-1]:.6g}] (the lag grid)", tau)
        flat = self.values.reshape(self.n_lags, -1)
        out = np.stack([np.interp(tau, self.lags, flat[:, c]) for c in range(flat.shape[1])],
                       axis=-1)
        return out.reshape(tau.size, *self.values.shape[1:])

    def error_to(self, reference: Any) -> np.ndarray:
        """``values - reference``.

        Parameters
        ----------
        reference : ResponseFunction or array_like
            The reference kernel, or its values, of the same shape as ``values``.

        Returns
        -------
        ndarray
            The errors, the shape of ``values``.
        """
        ref = reference.values if isinstance(reference, ResponseFunction) else np.asarray(
            reference, dtype=float)
        if ref.shape != self.values.shape:
            fail("reference", f"values of shape {self.values.shape}", ref)
        return self.values - ref

    def z_scores(self, reference: Any) -> np.ndarray:
        """Errors to ``reference`` in units of this estimate's standard error.

        Parameters
        ----------
        reference : ResponseFunction or array_like
            The reference kernel, or its values, of the same shape as ``values``.

        Returns
        -------
        ndarray
            ``(values - reference) / stderr``, the shape of ``values``; 0 where the error
            is at rounding level (within ``1e-10`` of the kernel's largest entry: an entry
            that is zero by the network's structure gets a rounding-level estimate and
            standard error, whose ratio means nothing; a second-order reference's rounding,
            amplified by 1/dt², reaches ``2e-12``), and ``inf`` where the
            standard error is zero and the error is not negligible.
        """
        if self.stderr is None:
            raise ValueError("z_scores needs a Monte Carlo estimate with a stderr; this "
                             f"ResponseFunction ({self.method!r}) is exact.")
        err = self.error_to(reference)
        scale = max(float(np.abs(self.values).max(initial=0.0)),
                    float(np.abs(self.values - err).max(initial=0.0)))
        negligible = np.abs(err) <= 1e-10 * max(scale, np.finfo(float).tiny)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(self.stderr > 0, err / self.stderr, np.inf)
        return np.where(negligible, 0.0, z)

    def __repr__(self) -> str:
        kind = "discrete EM" if self.discrete else "continuous"
        return (f"ResponseFunction(order={self.order}, method={self.method!r}, "
                f"n_lags={self.n_lags}, dt={self.dt:g}, shape={self.values.shape}, {kind})")
