r"""Divergence, detected early and tied to the model.

A simulated state has diverged when one of its coordinates leaves the region the network can
reach, :math:`|h_k| > R`, or becomes NaN. The bound follows from the dissipativity of the
drift (docs/theory.md section 1, A1): with :math:`\rho` the relaxation rate of the leak and
:math:`s` the size of the rest of the drift (the activation, the bias and the input),
:math:`\langle F(h), h\rangle \le -\rho|h|^2 + s|h|`, so a trajectory stays within
:math:`|h_0| + s/\rho` of the origin, and the noise adds fluctuations of standard deviation at
most :math:`\|\sigma\|_F / \sqrt{2\rho}`. The bound is

.. math:: R = K\,\bigl(|h_0| + s/\rho + \|\sigma\|_F/\sqrt{2\rho}\bigr)
          + \text{slope}\cdot t, \qquad K = 100,

with

- bounded activations (tanh, sigmoid): :math:`\rho = \lambda`, the leak rate
  (:math:`\lambda_{\min}` of the symmetric part of :math:`\Gamma`), and
  :math:`s = \sup|a|\sqrt n + \max_t|Cu_t|` (the input term only in the additive mode);
- unbounded activations (relu, identity): the contraction bound
  :math:`\rho = \lambda - \mathrm{Lip}(a)\|W\|_2`, floored at :math:`\lambda/5` when it is
  smaller (then the network is not provably dissipative and the bound is a heuristic with a
  wide margin), and :math:`s = \mathrm{Lip}(a)(|b| + \max_t|Cu_t|) + |a(0)|\sqrt n` (the input
  inside or outside the activation);
- a leak that is not positive definite: a state may legitimately drift, so the bound grows
  linearly in time (``slope`` :math:`= K(s + \|\sigma\|_F)`), and only faster growth counts.

Healthy runs stay far inside (the margin :math:`K = 100` covers Gaussian tails, the
transient growth of non-normal networks and Euler-Maruyama near its stability limit); an
unstable step grows geometrically and crosses :math:`R` within a few steps, long before it
overflows. The error names the step, the path and the likely cause: ``dt`` against the fastest
time scale :math:`1/|\mu|_{\max}` of the linearised drift (Euler-Maruyama is unstable when the
spectral radius of :math:`I + \Delta J` exceeds 1), or weights that are not dissipative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MARGIN", "DivergenceError", "StateBound", "divergence_message", "far_jacobian",
           "state_bound"]

#: the factor K between the state scale of a network and the divergence bound
MARGIN = 100.0


class DivergenceError(FloatingPointError):
    """A simulated state left the region the network can reach, or became NaN or infinite.

    Raised by :func:`srnnkit.simulate` and the Monte Carlo estimators as soon as a state
    crosses the bound of :func:`srnnkit.dynamics.state_bound` (a hundred times the state scale
    implied by the model, its start, inputs and noise), naming the step, the path and the
    likely cause (``dt`` against the fastest time scale of the linearised drift, or
    non-dissipative weights).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN.random(8, 2, spectral_radius=0.9, noise=0.1, bias_scale=0.0, seed=0)
    >>> try:
    ...     sk.simulate(model, np.zeros((100, 2)), dt=5.0, n_paths=4, seed=0, h0="zeros")
    ... except sk.DivergenceError as err:
    ...     print(str(err)[:36], "...", "dt=5 is too large" in str(err))
    the simulated state diverged at step ... True
    """


@dataclass(frozen=True)
class StateBound:
    """The divergence bound of one run: ``|h_k| > base + slope * t`` (or NaN) diverged.

    Parameters
    ----------
    base : float
        The bound at ``t = 0``, ``K`` times ``scale``.
    slope : float
        Its growth per time unit (nonzero only for a leak that is not positive definite).
    scale : float
        The state scale of the network, its start, input and noise.
    dissipative : bool
        Whether the network is provably dissipative (else the bound is a heuristic).

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import state_bound
    >>> sb = state_bound(sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3]), 0.02)
    >>> round(sb.scale, 4), sb.base == 100 * sb.scale, sb.slope
    (1.3536, True, 0.0)
    """

    base: float
    slope: float
    scale: float
    dissipative: bool

    def at(self, t: float) -> float:
        """The bound at time ``t`` (time units since the start, burn-in included).

        Parameters
        ----------
        t : float
            Time since the start of the run.

        Returns
        -------
        float
            ``base + slope * max(t, 0)``.
        """
        return self.base + self.slope * max(t, 0.0)


def _norm_rows_max(x: Any) -> float:
    if x is None:
        return 0.0
    a = np.asarray(x, dtype=float)
    if not a.size:
        return 0.0
    top = float(np.abs(a).max())          # scaled, so that values near 1e308 do not overflow
    if top == 0.0 or not math.isfinite(top):
        return top
    return top * float(np.sqrt(((a / top) ** 2).sum(axis=-1)).max())


def state_bound(model: Any, dt: float, *, h0: Any = None, inputs: Any = None,
                kick: float = 0.0) -> StateBound:
    """The divergence bound of ``model`` (module docstring) for a start ``h0`` (any array of
    states, or None for 0 or a stationary start), ``inputs`` (..., m) and a kick size ``kick``
    added to the start (perturbation estimators).

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step (part of the signature of every guard; the bound itself does not use it).
    h0 : array-like of shape (..., n), optional
        Start states.
    inputs : array-like of shape (..., m), optional
        The inputs of the run.
    kick : float, default=0.0
        Size of a kick added to the start.

    Returns
    -------
    StateBound
        The bound.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import state_bound
    >>> model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.0, gamma=1.0, activation="identity")
    >>> state_bound(model, 0.1, h0=[[2.0]]).base      # 100 x |h0|: no bias, input or noise
    200.0
    """
    from ._activations import ACTIVATIONS
    from ._burn_in import leak_rate

    act = ACTIVATIONS[model.activation]
    lam_sym = model.leak_sym_min()
    lam = leak_rate(model)
    cu = 0.0 if inputs is None else _norm_rows_max(np.asarray(inputs, dtype=float) @ model.C.T)
    inside = model.input_mode == "activation"
    n = model.n_hidden
    if act.bounded:
        rate = lam
        s = act.sup_abs * math.sqrt(n) + (0.0 if inside else cu)
        provable = lam_sym > 0
    else:
        lip = act.lipschitz * float(np.linalg.norm(model.W, 2))
        rate = max(lam - lip, lam / 5.0)
        a0 = abs(float(act(np.zeros(1))[0]))
        s = act.lipschitz * (float(np.linalg.norm(model.b)) + (cu if inside else 0.0)) \
            + a0 * math.sqrt(n) + (0.0 if inside else cu)
        provable = lam_sym - lip > 0
    noise = float(np.linalg.norm(model.sigma))
    scale = _norm_rows_max(h0) + kick + s / rate + noise / math.sqrt(2.0 * rate)
    scale = max(scale, 1e-300)
    slope = MARGIN * (s + noise) if lam_sym <= 0 else 0.0
    return StateBound(base=MARGIN * scale, slope=slope, scale=scale, dissipative=provable)


def far_jacobian(model: Any) -> np.ndarray:
    r"""The linearised drift where a diverging state lives: a bounded activation saturates,
    so :math:`J = -\Gamma`; an unbounded one is linear there, :math:`J = -\Gamma +
    \mathrm{Lip}(a) W`."""
    from ._activations import ACTIVATIONS

    act = ACTIVATIONS[model.activation]
    G = model.gamma_matrix
    return -G if act.bounded else -G + act.lipschitz * model.W


def far_growth(model: Any) -> float:
    """The largest real part of `far_jacobian`'s eigenvalues: above 0, states far out grow
    like ``exp(growth t)`` whatever the step (for a bounded activation or the identity, the
    network then has no stationary law)."""
    return float(np.linalg.eigvals(far_jacobian(model)).real.max())


def _likely_cause(model: Any, dt: float) -> str:
    """Which of the weights or dt most likely made the run diverge, in words.

    The linearised drift is examined where a diverging state lives (`far_jacobian`) and at
    the origin. A continuous-time eigenvalue with a positive real part means weights that are
    not dissipative; otherwise a spectral radius of :math:`I + \\Delta J` above 1 means an
    unstable Euler-Maruyama step."""
    from ._activations import ACTIVATIONS

    act = ACTIVATIONS[model.activation]
    far = far_jacobian(model)
    near = -model.gamma_matrix + act.derivative(model.b)[:, None] * model.W   # at h = 0
    growth = far_growth(model)
    if growth > 0:
        what = "the leak -gamma" if act.bounded else \
            f"the linearised drift -gamma + {act.lipschitz:g} W of the active units"
        return (f"the weights are not dissipative: {what} has an eigenvalue with real part "
                f"{growth:.3g} > 0, so states grow like exp({growth:.3g} t) whatever dt: "
                "scale W down or increase gamma")
    worst = fastest = 0.0
    for J in (far, near):
        mu = np.linalg.eigvals(J)
        worst = max(worst, float(np.abs(1.0 + dt * mu).max()))
        fastest = max(fastest, float(np.abs(mu).max()))
    if worst > 1.0 and fastest > 0:
        return (f"dt={dt:g} is too large for the fastest time scale 1/|mu|max = "
                f"{1.0 / fastest:.3g} of the linearised drift (the spectral radius of "
                f"I + dt J is {worst:.3g} > 1, so the Euler-Maruyama step is unstable): use "
                f"dt < {2.0 / fastest:.3g}"
                + (", or method='exact' (this SRNN is linear)" if model.is_linear else ""))
    return ("the start h0, the input or a kick pushed the state far beyond the network's "
            "scale: use smaller inputs, kicks (eps) or h0, or a smaller dt")


def divergence_message(model: Any, dt: float, bound: float, *, step: int | None,
                       path: int | None = None, what: str = "", value: float = math.nan,
                       burn_in: int = 0) -> str:
    """The message of a :class:`DivergenceError` (step ``step`` counts from time 0; negative
    steps are in the burn-in).

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.
    bound : float
        The bound that was crossed.
    step : int or None
        The step of the crossing, or None when unknown.
    path : int, optional
        The path that crossed.
    what : str, default=""
        What was being simulated (e.g. ``"the burn-in"``).
    value : float, default=nan
        The offending ``|h|`` (NaN when the state is not finite).
    burn_in : int, default=0
        Burn-in steps of the run.

    Returns
    -------
    str
        The message: where, what, and the likely cause.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import divergence_message
    >>> model = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.1, gamma=1.0)
    >>> print(divergence_message(model, 2.5, 10.0, step=7, path=3, value=1e4)[:60])
    the simulated state diverged at step 7 (t = 17.5) of path 3:
    """
    if step is None:
        where = ""
    elif step > 0:
        where = f" at step {step} (t = {step * dt:.6g})"
    else:
        where = f" at burn-in step {step} before t = 0 (of {burn_in} burn-in steps)"
    if path is not None:
        where += f" of path {path}"
    if what:
        where += f" of {what}"
    val = "NaN or infinite" if not np.isfinite(value) else f"|h| = {abs(value):.3g}"
    if not math.isfinite(bound):           # the scale itself overflowed (huge inputs or h0)
        return (f"the simulated state diverged{where}: {val}, with dt={dt}; the state scale "
                "of this network, its start, input and noise, is itself beyond the float "
                "range: use smaller inputs or h0.")
    return (f"the simulated state diverged{where}: {val}, beyond {bound:.3g} (100 times the "
            f"state scale of this network, its start, input and noise) with dt={dt}. Likely "
            f"cause: {_likely_cause(model, dt)}.")


def first_bad_path(H: np.ndarray, bound: float) -> tuple[int, float]:
    """``(index, value)`` of the first row of ``H`` (B, n) with an entry beyond ``bound``."""
    bad = ~(np.abs(H) <= bound)
    rows = np.flatnonzero(bad.any(axis=1))
    if rows.size == 0:
        return -1, math.nan
    i = int(rows[0])
    vals = H[i][bad[i]]
    finite = vals[np.isfinite(vals)]
    return i, float(np.abs(finite).max()) if finite.size == vals.size else math.nan
