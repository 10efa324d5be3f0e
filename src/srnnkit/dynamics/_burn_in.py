r"""One burn-in rule: ten relaxation times of the unperturbed network started at ``h = 0``.

The relaxation rate is the synchronous-coupling contraction bound
:math:`\lambda - \mathrm{Lip}(a)\|W\|_2`, with :math:`\lambda` the smallest eigenvalue of the
symmetric part of :math:`\Gamma`, floored at a fraction ``floor`` of :math:`\lambda` (a network
that is not provably contracting still forgets its start at the leak's pace, only slower):

.. math:: n_{\mathrm{burn}} = \Bigl\lceil \frac{10}{\max(\lambda - \mathrm{Lip}(a)\|W\|_2,\
          f\lambda)\,\Delta} \Bigr\rceil .

The floor is ``f = 1/5`` for :func:`srnnkit.simulate` (at most 50 leak times) and ``f = 1/10``
for the Monte Carlo response estimators (at most 100 leak times: their kernels need a start
closer to the stationary law). The two floors, and the reservoirs' ``f = 1`` (ten leak times),
are kept apart because each is part of seeded results that must not change. When the
symmetric part of Γ is not positive definite, :math:`\lambda` falls back to the smallest real
part of Γ's eigenvalues (or to 1 if that is not positive either).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._activations import ACTIVATIONS

__all__ = ["BURN_IN_FLOORS", "burn_in_steps", "relaxation_rate"]

#: the floor ``f`` of the relaxation rate (a fraction of the leak rate) per caller
BURN_IN_FLOORS = {"simulate": 0.2, "estimators": 0.1, "reservoir": 1.0}
#: relaxation times of the burn-in
RELAXATION_TIMES = 10.0


def leak_rate(model: Any) -> float:
    """λ_min(sym Γ), or the fallback of the module docstring."""
    lam = model.leak_sym_min()
    if lam > 0:
        return lam
    re = float(np.linalg.eigvals(model.gamma_matrix).real.min())
    return re if re > 0 else 1.0


def relaxation_rate(model: Any, floor: float) -> float:
    """The contraction bound ``λ - Lip(a) ‖W‖₂``, at least ``floor * λ``.

    Parameters
    ----------
    model : SRNN
        The network.
    floor : float
        The smallest rate returned, as a fraction of the leak rate ``λ``.

    Returns
    -------
    float
        The relaxation rate (per time unit).

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import relaxation_rate
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> round(relaxation_rate(model, 0.2), 12), relaxation_rate(model, 0.5)
    (0.2, 0.5)
    """
    lam = leak_rate(model)
    lip = ACTIVATIONS[model.activation].lipschitz * float(np.linalg.norm(model.W, 2))
    return max(lam - lip, floor * lam)


def burn_in_steps(model: Any, dt: float, *, floor: float = BURN_IN_FLOORS["simulate"],
                  slack: float = 1e-9) -> int:
    """Steps of ten relaxation times (rounded up; a ratio within ``slack`` above an integer
    rounds down). ``simulate`` uses the defaults; the estimators ``floor=0.1, slack=0``.

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.
    floor : float, default=0.2
        Floor of the relaxation rate as a fraction of the leak rate (`relaxation_rate`).
    slack : float, default=1e-9
        Tolerance of the rounding up.

    Returns
    -------
    int
        Number of burn-in steps.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import burn_in_steps
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])    # rate 1 - 0.8
    >>> burn_in_steps(model, 0.02), burn_in_steps(model, 0.02, floor=0.1, slack=0.0)
    (2500, 2501)
    """
    rate = relaxation_rate(model, floor)
    return math.ceil(RELAXATION_TIMES / (rate * dt) - slack)
