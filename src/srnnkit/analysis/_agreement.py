r"""Agreement of two independent estimates of the same kernel, entry by entry.

For estimates :math:`\hat R_a, \hat R_b` with standard errors :math:`s_a, s_b` the z-score of
an entry is :math:`z = (\hat R_a - \hat R_b)/\sqrt{s_a^2 + s_b^2}`. Two unbiased estimators
give :math:`z \approx N(0, 1)`: about 99.99 % of the entries within 4 and a mean
:math:`z^2` near 1. Agreement only means something where the entries are resolved, so the
comparison also says how many entries exceed three combined standard errors (where a
disagreement as large as the kernel itself would show).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_positive, fail

__all__ = ["KernelAgreement", "compare_kernels"]

#: |entry| / SE above which an entry counts as resolved
RESOLVED_Z = 3.0


@dataclass
class KernelAgreement:
    r"""Entry-by-entry comparison of two estimates of one kernel.

    Parameters
    ----------
    order : int
    labels : tuple of str
        The two estimators, e.g. ``("perturbation", "girsanov")``.
    z : ndarray
        z-scores, the kernel's shape.
    threshold : float
        The ``|z|`` an entry must stay within (4 by default).
    within : float
        Fraction of all entries with :math:`|z| \le` threshold.
    within_resolved : float or None
        The same over the resolved entries (None when there are none).
    mean_z2 : float
        Mean :math:`z^2` (near 1 for agreeing estimators with honest standard errors).
    max_abs_z : float
    n_entries, n_resolved : int
        Entries compared; entries whose mean exceeds 3 combined standard errors.
    max_snr : tuple of float
        Largest :math:`|\hat R|/s` of each estimate.
    resolved_fraction : tuple of float
        Fraction of entries with :math:`|\hat R|/s > 3`, per estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from srnnkit.analysis import compare_kernels
    >>> from srnnkit.response import ResponseFunction
    >>> se = np.full((3, 1, 1), 0.1)
    >>> a = ResponseFunction(np.reshape([1.0, 0.5, 0.2], (3, 1, 1)), dt=0.1, stderr=se)
    >>> b = ResponseFunction(np.reshape([1.1, 0.5, 0.9], (3, 1, 1)), dt=0.1, stderr=se)
    >>> agr = compare_kernels(a, b)
    >>> agr.z.ravel().round(2)                     # (a - b) / sqrt(0.1**2 + 0.1**2)
    array([-0.71,  0.  , -4.95])
    >>> round(agr.within, 3), agr.agree
    (0.667, False)
    """

    order: int
    labels: tuple[str, str]
    z: np.ndarray
    threshold: float
    within: float
    within_resolved: float | None
    mean_z2: float
    max_abs_z: float
    n_entries: int
    n_resolved: int
    max_snr: tuple[float, float]
    resolved_fraction: tuple[float, float]

    @property
    def agree(self) -> bool:
        """At least 99 % of the entries within ``threshold`` standard errors."""
        return self.within >= 0.99

    def __repr__(self) -> str:
        return (f"KernelAgreement(order={self.order}, {self.labels[0]} vs {self.labels[1]}: "
                f"{100 * self.within:.2f}% of {self.n_entries} entries within "
                f"{self.threshold:g} SE, mean z^2 {self.mean_z2:.3g}, {self.n_resolved} "
                "resolved)")


def _snr(values: np.ndarray, se: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, np.abs(values) / se, np.where(values == 0, 0.0, np.inf))


def compare_kernels(a: Any, b: Any, *, threshold: float = 4.0,
                    labels: tuple[str, str] | None = None) -> KernelAgreement:
    r"""Compare two estimates of the same kernel entry by entry (z-scores).

    Parameters
    ----------
    a, b : ResponseFunction
        Two estimates of the same order, shape and lag spacing, each with a ``stderr``
        (an exact kernel has SE zero: pass it as ``b`` to test ``a`` against it).
    threshold : float, default=4.0
    labels : tuple of str, optional
        Names of the two estimators (default: their ``method``).

    Returns
    -------
    KernelAgreement

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import compare_kernels
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])      # 1-D tanh SRNN
    >>> mc = sk.response.linear_response(model, dt=0.05, n_lags=20, method="girsanov",
    ...                                  n_chains=8, n_steps=20_000, seed=0)
    >>> exact = sk.response.linear_response(model, dt=0.05, n_lags=20, method="grid")
    >>> exact.stderr = 0 * mc.stderr
    >>> res = compare_kernels(mc, exact)
    >>> res.agree, res.n_entries
    (True, 20)
    """
    from ..response import ResponseFunction

    threshold = check_positive("threshold", threshold)
    for name, rf in (("a", a), ("b", b)):
        if not isinstance(rf, ResponseFunction):
            fail(name, "a ResponseFunction", rf, TypeError)
        if rf.stderr is None:
            fail(name, "a ResponseFunction with a stderr (a Monte Carlo estimate)",
                 f"{rf.method!r} without one",
                 hint="Give an exact kernel a zero stderr to compare against it.")
    if a.order != b.order or a.values.shape != b.values.shape:
        fail("b", f"a kernel of order {a.order} and shape {a.values.shape} (that of a)",
             f"order {b.order}, shape {b.values.shape}")
    if not np.isclose(a.dt, b.dt):
        fail("b", f"a kernel with dt = {a.dt:g} (that of a)", f"dt = {b.dt:g}")
    se = np.hypot(a.stderr, b.stderr)
    diff = a.values - b.values
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, np.where(np.abs(diff) <= 1e-12 * np.maximum(
            1.0, np.abs(a.values)), 0.0, np.inf))
    resolved = _snr(0.5 * (a.values + b.values), se) > RESOLVED_Z
    az = np.abs(z)
    snr_a, snr_b = _snr(a.values, a.stderr), _snr(b.values, b.stderr)
    return KernelAgreement(
        order=a.order, labels=labels or (str(a.method), str(b.method)), z=z,
        threshold=float(threshold), within=float(np.mean(az <= threshold)),
        within_resolved=float(np.mean(az[resolved] <= threshold)) if resolved.any() else None,
        mean_z2=float(np.mean(np.where(np.isfinite(z), z, 1e6) ** 2)),
        max_abs_z=float(az.max()), n_entries=int(z.size), n_resolved=int(resolved.sum()),
        max_snr=(float(snr_a.max()), float(snr_b.max())),
        resolved_fraction=(float(np.mean(snr_a > RESOLVED_Z)),
                           float(np.mean(snr_b > RESOLVED_Z))))
