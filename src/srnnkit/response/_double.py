r"""Doubly kicked copies in the compiled loops: the second-order perturbation estimator's
windows (docs/theory.md §7a).

From each start :math:`h_0` the estimator needs, for every gap :math:`g < L` (``L`` lags),
the ``4 m^2`` copies kicked by :math:`\pm\varepsilon c_b` at step 0 and
:math:`\pm\varepsilon c_a` at step ``g`` (with the input inside the activation, the kicks
are the steps with :math:`u = \pm\varepsilon e_b` and :math:`\pm\varepsilon e_a`, their sum
when ``g = 0``), read ``k = 0, ..., L - 1`` steps after the second kick, all driven by the
start's own normals (common random numbers). The ``2m`` singly kicked paths that carry the
first kick to step ``g``, and the kicked steps themselves, are few and are taken in NumPy;
the copies' ``L - 1`` unkicked steps after each second kick, nearly all of the work, run in
the compiled loop that shares one set of normals among a start's copies
(:func:`._chained.run_copies`). The normals are drawn in the order of the step-by-step
NumPy form, so both give the same estimate to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._parallel import report
from ..dynamics._drift import EulerStep
from ..dynamics._moments import batch_moments
from ..dynamics._spec import step_arrays
from ._chained import run_copies

__all__ = ["DoubleKicks"]

#: float64 states one compiled call of the copies may hold (8 MiB: the digits network of
#: docs/trained.md, 64 units, 8 inputs, 8 lags, ran its copies in 1.50 s with 8 MiB calls
#: against 1.77 s with 32 MiB ones, one thread, measured)
_COPIES_FLOATS = 2 ** 20


class DoubleKicks:
    """``block(h0, rng, lo)``: batch moments of the mixed differences
    ``[Y++ - Y+- - Y-+ + Y--] / (4 eps^2)`` (``/ dt^2`` more with the input inside the
    activation) from the starts ``h0``, ``values[k, g, a, b]`` of shape
    ``(n_lags, n_lags, m, m, p)``.

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.
    n_lags : int
        Lags of the kernel.
    kick : ndarray of shape (m, n) or (m, m)
        The kicks (``eps C^T``, or ``eps I`` for the input inside the activation).
    in_drift : bool
        Whether the kicks are steps with the input inside the activation.
    eps : float
        Kick size.
    guard : Guard
        The divergence guard of the copies.
    """

    def __init__(self, model: Any, dt: float, n_lags: int, kick: np.ndarray, in_drift: bool,
                 eps: float, guard: Any) -> None:
        self.model, self.n_lags, self.in_drift, self.guard = model, n_lags, in_drift, guard
        self.step = EulerStep(model, dt)
        self.arrays = step_arrays(model, dt, affine=False)
        m = kick.shape[0]
        sgn = np.array([1.0, -1.0])
        self.kb = sgn[:, None, None, None] * kick[None, :, None, :]            # (2, m, 1, w)
        self.ka = sgn[None, None, :, None, None, None] * kick[None, None, None, :, None, :]
        weight = (sgn[:, None, None, None] * sgn[None, None, :, None]) / (4.0 * eps * eps)
        self.weight = weight * np.ones((2, m, 2, m)) / (dt * dt if in_drift else 1.0)

    def __call__(self, h0: np.ndarray, rng: np.random.Generator, lo: int) -> tuple:
        L, m, p = self.n_lags, self.kb.shape[1], self.model.n_outputs
        size = h0.shape[0]
        n_xi = 2 * L - 1 if self.in_drift else 2 * L - 2
        xi = rng.standard_normal((n_xi, size, self.step.r))   # the step-by-step draws' order
        vals = np.empty((L, L, m, m, size, p))                 # [k, gap, a, b]
        for g, S in enumerate(self._second_kicks(h0, xi)):
            first = g + self.in_drift                          # the normals after the kick
            self._copies(S, xi[first:first + L - 1], vals[:, g], g + self.in_drift, lo)
        return batch_moments(vals, axis=4)

    def _second_kicks(self, h0: np.ndarray, xi: np.ndarray) -> Any:
        """Yield, gap by gap, the doubly kicked states ``(2, m, 2, m, B, n)`` at the second
        kick (additive: at step ``g``; in the drift: after the kicked step ``g``)."""
        step, kb, ka, L = self.step, self.kb, self.ka, self.n_lags
        if not self.in_drift:
            base = h0[None, None] + kb                                   # (2, m, B, n)
            for g in range(L):
                yield base[:, :, None, None] + ka
                if g + 1 < L:
                    base = step(base, xi[g])
            return
        base = h0[None, None]
        for g in range(L):
            if g == 0:
                yield step(base[:, :, None, None], xi[0], u=kb[:, :, None, None] + ka)
                base = step(base, xi[0], u=kb)
            else:
                yield step(base[:, :, None, None], xi[g], u=ka)
                if g + 1 < L:
                    base = step(base, xi[g])

    def _copies(self, S: np.ndarray, xi: np.ndarray, out: np.ndarray, t0: int, lo: int
                ) -> None:
        """Run the copies ``S`` (2, m, 2, m, B, n) through ``xi`` (L - 1, B, r) and write
        their mixed differences at each of the ``L`` readings into ``out`` (L, m, m, B, p)."""
        B, n = S.shape[-2:]
        rows = S[..., 0, 0].size                                         # 4 m^2
        self.guard.check(S, t0, lo)
        H = np.moveaxis(S, -2, 0).reshape(B * rows, n)                   # a start's copies
        steps = xi.shape[0]
        c = max(1, _COPIES_FLOATS // (rows * (steps + 1) * n))            # starts per call
        m = S.shape[1]
        for b0 in range(0, B, c):
            b1 = min(B, b0 + c)
            states = run_copies(H[b0 * rows:b1 * rows], xi[:, b0:b1].transpose(1, 0, 2), rows,
                                self.arrays, self.guard, t0, lambda k, b0=b0: lo + b0 + k)
            report((b1 - b0) * rows * steps)
            f = self.model.output(states.reshape(b1 - b0, 2, m, 2, m, steps + 1, n))
            out[:, :, :, b0:b1] = np.einsum("Bsbtakp,sbta->kabBp", f, self.weight)
