r"""The mixed second-order estimator: a pathwise derivative for the later kick, a
likelihood-ratio weight for the earlier one, all lags at once by correlation.

For two inputs at steps :math:`j_2 \le j_1` of the Euler–Maruyama chain, the later one is
differentiated along the path (a tangent vector started at :math:`h_{j_1+1}` in the kick's
direction and carried by the step Jacobians :math:`J(h) = I + \Delta(-\Gamma +
\mathrm{diag}(a'(Wh+b))W)`), the earlier one through the law of the noise (the Girsanov weight
:math:`\omega_{j_2}`, docs/theory.md §7(c), §11):

.. math:: r_2 = E_0\bigl[\omega_{j_2,b}\,\bigl(T_a(j_1, k_1) - \bar T_a(k_1)\bigr)\bigr],
          \qquad T_a(j_1, k_1) = \nabla f(h_{j_1+1+k_1})\cdot V_{k_1},\quad V_0 = G_a(h_{j_1}),

exact for the EM chain at any ``dt`` (for coincident kicks by Stein's identity for the Gaussian
step; with the input inside the activation these gain the pathwise term
:math:`E[\nabla f\cdot J\,H_{ab}(h_j)]/\Delta`). A single entry has variance
:math:`\propto 1/\Delta` per sample instead of the :math:`1/\Delta^2` of two weights, and
:math:`\bar T` (a noise-independent constant, the pilot run's mean) is a free control variate
since :math:`E[\omega] = 0`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._parallel import Runner
from .._random import SeedLike, child_sequences
from ..dynamics._activations import ACTIVATIONS
from ..dynamics._agreement import RunWatch, watching
from ..dynamics._ensembles import map_chains, stationary_run
from ..dynamics._moments import Moments
from ._montecarlo import SERIAL, _engine, _result, _xcorr
from ._weights import GirsanovWeights, in_drift

__all__ = ["Tangents", "mixed_second", "pathwise_first"]


def readout_derivative(model: Any, h: np.ndarray, V: np.ndarray) -> np.ndarray:
    r""":math:`\nabla f(h)\cdot V` of ``model``'s readout for states (J, n) and tangents
    (J, d, n): (J, p, d). Exact for linear and quadratic readouts; central differences of
    step ``1e-6 max(1, |h|)`` for a callable."""
    ro = model.readout
    kind = getattr(ro, "kind", "callable")
    if kind in ("linear", "identity"):
        return (V @ ro.Q.T).transpose(0, 2, 1)
    if kind == "quadratic":
        return np.einsum("jdn,jn->jd", V, h @ ro.M)[:, None, :]
    eps = 1e-6 * max(1.0, float(np.abs(h).max()))        # central difference
    fp = model.output(h[:, None, :] + eps * V)               # (J, d, p)
    fm = model.output(h[:, None, :] - eps * V)
    return ((fp - fm) / (2 * eps)).transpose(0, 2, 1)


class Tangents:
    r"""Pathwise derivatives of a stationary run's outputs with respect to a kick.

    ``tangents(states, n_lags)`` returns ``T`` (J, n_lags, p, d): ``T[j, k, :, c]`` is
    :math:`\nabla f(h_{j+1+k})\cdot V_k` for the tangent :math:`V_0 = D_c(h_j)` of the kick
    direction ``c`` applied to :math:`h_{j+1}`, J = L + 1 - n_lags kick steps. The directions
    are the columns of :math:`G(h) = \mathrm{diag}(a'(Wh+b))C` (C for the additive input)
    and, with ``second_order`` inside the activation, :math:`H_{ab}(h)` for a <= b.
    """

    def __init__(self, model: Any, dt: float, second_order: bool = False) -> None:
        self.model, self.dt = model, dt
        self.act = ACTIVATIONS[model.activation]
        self.state_dependent = in_drift(model)
        m = model.n_inputs
        self.pairs = [(a, b) for a in range(m) for b in range(a, m)] \
            if (second_order and self.state_dependent) else []

    def directions(self, h: np.ndarray) -> np.ndarray:
        """Kick directions at states ``h`` (J, n): (J, d, n)."""
        C = self.model.C
        if not self.state_dependent:
            return np.broadcast_to(C.T, (h.shape[0], *C.T.shape))
        z = h @ self.model.W.T + self.model.b
        G = self.act.derivative(z)[:, None, :] * C.T[None]
        if not self.pairs:
            return G
        a2 = self.act.second_derivative(z)
        H = np.stack([a2 * C[:, a] * C[:, b] for a, b in self.pairs], axis=1)
        return np.concatenate([G, H], axis=1)

    def readout_derivative(self, h: np.ndarray, V: np.ndarray) -> np.ndarray:
        r""":math:`\nabla f(h)\cdot V` for states (J, n) and tangents (J, d, n): (J, p, d)."""
        return readout_derivative(self.model, h, V)

    def __call__(self, states: np.ndarray, n_lags: int, stride: int = 1) -> np.ndarray:
        """``T`` for kicks at steps ``0, stride, 2 stride, ...`` (every step by default)."""
        m, dt = self.model, self.dt
        L = states.shape[0] - 1
        kicks = np.arange(0, L + 1 - n_lags, stride)
        J = kicks.size
        V = np.array(self.directions(states[kicks]), dtype=float)   # (J, d, n)
        d, n = V.shape[1:]
        G = m.gamma_matrix
        diagonal = not np.any(G - np.diag(np.diag(G)))
        step_T = np.eye(n) - dt * G.T                                # V -> V (I - dt Gamma)^T
        leak = np.diag(step_T).copy()      # diagonal Gamma: the same products, no zeros
        used = states[1:min(L + 1, kicks[-1] + n_lags)] if J else states[:0]
        dA1 = dt * self.act.derivative(used @ m.W.T + m.b)         # dt a'(W h + b), once
        T = np.empty((J, n_lags, m.n_outputs, d))
        for k in range(n_lags):
            h = states[kicks + k + 1]                                # h_{j+1+k}
            T[:, k] = self.readout_derivative(h, V)
            if k + 1 < n_lags:                                       # V <- J(h) V
                flat = V.reshape(J * d, n)
                P = (flat @ m.W.T).reshape(J, d, n)
                P *= dA1[kicks + k][:, None, :]
                if diagonal:
                    P += np.multiply(V, leak, out=V)
                else:
                    P += (flat @ step_T).reshape(J, d, n)
                V = P
        return T


def _pair_values(T: np.ndarray, omega: np.ndarray, n_lags: int) -> np.ndarray:
    """``out[k1, g, p, a, b] = mean_j1 T[j1, k1, p, a] omega[j1 - g, b]`` for one run."""
    J, K, p, m = T.shape
    y = T.reshape(1, J, K * p * m)
    x = omega[None, :J]                                             # (1, J, m_b)
    corr = _xcorr(x, y, n_lags)[0]                                  # (g, K p m_a, m_b)
    counts = (J - np.arange(n_lags))[:, None, None]
    corr = corr / counts
    return corr.reshape(n_lags, K, p, m, -1).transpose(1, 0, 2, 3, 4)


@_engine
def mixed_second(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int,
                 seed: SeedLike, burn_in: int | None, par: Runner = SERIAL,
                 watch: RunWatch | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``values[k1, g]`` of :func:`second_order_response` by the mixed estimator (module
    docstring), standard errors across the independent stationary runs; ``watch``
    (:class:`RunWatch`) keeps the runs' batch means of the outputs."""
    watch = watching(watch)
    weights = GirsanovWeights(model, dt, "second_order_response")
    tangents = Tangents(model, dt, second_order=True)
    m, p = model.n_inputs, model.n_outputs
    runs, pilot = child_sequences(seed, 2)
    st = stationary_run(model, dt, n_steps, pilot, burn_in)
    Tbar = tangents(st, n_lags)[..., :m].mean(axis=0)                 # noise-independent
    acc = Moments((n_lags, n_lags, p, m, m))

    def body(states: np.ndarray, xi: np.ndarray) -> np.ndarray:
        omega = weights.first(states, xi)                            # (B, L, m)
        out = np.empty((states.shape[0], n_lags, n_lags, p, m, m))
        for b, (s, w) in enumerate(zip(states, omega, strict=True)):
            T = tangents(s, n_lags)
            out[b] = _pair_values(T[..., :m] - Tbar, w, n_lags)
            out[b, :, 0] = 0.5 * (out[b, :, 0] + out[b, :, 0].transpose(0, 1, 3, 2))
            for c, (a, bb) in enumerate(tangents.pairs):             # H part, coincident
                h_part = T[..., m + c].mean(axis=0) / dt
                out[b, :, 0, :, a, bb] += h_part
                if a != bb:
                    out[b, :, 0, :, bb, a] += h_part
        return out

    for est in watch.results(map_chains(par, watch.body(body), model, dt, n_chains, n_steps,
                                        runs, burn_in)):
        acc.add(est, axis=0)
    mean, se = _result(acc)
    return mean, se


def kick_stride(n_lags: int) -> int:
    """Steps between the kick times of :func:`pathwise_first`: about ten kicks per lag
    window (tangents started closer together are nearly the same sample, and each costs
    ``n_lags`` Jacobian products)."""
    return max(1, n_lags // 10)


@_engine
def pathwise_first(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int,
                   seed: SeedLike, burn_in: int | None, par: Runner = SERIAL,
                   watch: RunWatch | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    r"""``r1(k) = E[\nabla f(h_{j+1+k}) J(j+1+k, j+1) G(h_j)]``: the derivative of common
    random numbers (``eps -> 0``) along stationary runs, kicks every :func:`kick_stride`
    steps, standard errors across the runs. Returns ``(mean, stderr, stride)``; ``watch``
    (:class:`RunWatch`) keeps the runs' batch means of the outputs."""
    watch = watching(watch)
    tangents = Tangents(model, dt)
    stride = kick_stride(n_lags)
    acc = Moments((n_lags, model.n_outputs, model.n_inputs))

    def body(states: np.ndarray, _: Any = None) -> np.ndarray:
        return np.stack([tangents(s, n_lags, stride).mean(axis=0) for s in states])

    for est in watch.results(map_chains(par, watch.body(body), model, dt, n_chains, n_steps,
                                        seed, burn_in)):
        acc.add(est, axis=0)
    mean, se = _result(acc)
    return mean, se, stride
