r"""Girsanov (likelihood-ratio) weights of the Euler–Maruyama chain, both input modes.

For the step :math:`h_{j+1} = h_j + \Delta F(h_j, u_j) + \sqrt\Delta\,\sigma\xi_j` the
log-likelihood ratio of an input :math:`u_j` against none is (docs/theory.md §7(c), §11)

.. math:: \ell_j = \sqrt\Delta\,(\sigma^+\delta_j)\cdot\xi_j - \tfrac\Delta2|\sigma^+\delta_j|^2,
          \qquad \delta_j = F(h_j, u_j) - F(h_j, 0),

exact while :math:`\delta_j \in \mathrm{range}\,\sigma`. Additive input: :math:`\delta_j = Cu_j`,
the weights are the constant-matrix ones of §7(c). Input inside the activation:
:math:`\partial_{u_a}\delta = G_a(h) = a'(Wh+b)\circ C_a` and
:math:`\partial^2_{u_au_b}\delta = H_{ab}(h) = a''(Wh+b)\circ C_a\circ C_b`, so the first-order
weight is :math:`\omega_j = (\sigma^+G(h_j))^\top\xi_j/\sqrt\Delta` and the same-step
second-order weight gains the :math:`H` part.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dynamics._activations import ACTIVATIONS

__all__ = ["GirsanovWeights", "girsanov_matrix", "in_drift"]


def in_drift(model: Any) -> bool:
    """Whether the input acts through the activation (a nonlinear ``input_mode="activation"``
    network); with the identity activation both modes are the additive model."""
    return model.input_mode == "activation" and not model.is_linear


def girsanov_matrix(model: Any, what: str) -> np.ndarray:
    r""":math:`G = \sigma^+ C` (shape (r, m)); raise unless the input directions lie in
    :math:`\mathrm{range}\,\sigma`.

    Additive input: :math:`\sigma G = C`. Input inside the activation: the directions
    :math:`G(h) = \mathrm{diag}(a'(Wh+b))\,C` change with the state, and they stay in
    :math:`\mathrm{range}\,\sigma` for every state exactly when every unit that receives input
    (a non-zero row of C) is driven directly by the noise: :math:`\sigma\sigma^+ e_k = e_k`.
    """
    pinv = np.linalg.pinv(model.sigma)
    G = pinv @ model.C
    scale = max(1.0, float(np.abs(model.C).max()))
    if in_drift(model):
        proj = model.sigma @ pinv                                  # onto range(sigma)
        fed = np.flatnonzero(np.abs(model.C).max(axis=1) > 0)
        miss = np.abs(proj[:, fed] - np.eye(model.n_hidden)[:, fed]).max(axis=0) \
            if fed.size else np.zeros(0)
        if miss.size and float(miss.max()) > 1e-9:
            bad = [int(k) for k in fed[miss > 1e-9]]
            raise ValueError(
                f"{what} with method='girsanov' and input_mode='activation' needs every unit "
                f"that receives input to be driven directly by the noise (range(sigma) must "
                f"contain e_k for each non-zero row k of C, docs/theory.md §11); here units "
                f"{bad} are not. Use method='perturbation' instead.")
        return G
    resid = float(np.abs(model.sigma @ G - model.C).max())
    if resid > 1e-9 * scale:
        raise ValueError(
            f"{what} with method='girsanov' needs range(C) inside range(sigma) (every input "
            f"direction must be driven by noise, docs/theory.md §7(c)); here sigma @ "
            f"pinv(sigma) @ C misses C by {resid:.3g}. Use method='perturbation' or "
            "method='fdt' instead.")
    return G


class GirsanovWeights:
    r"""The weights of stationary runs: ``first(states, xi)`` is :math:`\omega_j` (B, L, m)
    and ``same_step(states, xi)`` the coincident-kick correction (B, L, m, m) or (m, m).

    ``states`` (B, L+1, n) are the runs' states and ``xi`` (B, L, r) the noises of their
    steps; weight ``j`` belongs to the step from ``states[:, j]`` to ``states[:, j+1]``.
    The second-order weight of two kicks at steps :math:`j_1 > j_2` is
    :math:`\omega_{j_1,a}\omega_{j_2,b}`; of two coincident kicks it is
    :math:`\omega_{j,a}\omega_{j,b} + c_{j,ab}` with

    .. math:: c_{j,ab} = \frac{(\sigma^+H_{ab}(h_j))\cdot\xi_j}{\Delta^{3/2}}
              - \frac{(\sigma^+G_a(h_j))\cdot(\sigma^+G_b(h_j))}{\Delta}

    (:math:`H = 0` and :math:`G = C` for the additive input: the constant
    :math:`-(G^\top G)/\Delta` of §7(c)), the second derivative of :math:`e^{\ell_j}` divided
    by :math:`\Delta^2`. Both have mean zero given :math:`h_j`.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[1.1]], C=[[0.9]], sigma=0.6, gamma=1.3, b=[-0.1],
    ...                 input_mode="activation")
    >>> w = GirsanovWeights(model, 0.02, "an example")
    >>> states, xi = np.zeros((1, 3, 1)), np.ones((1, 2, 1))
    >>> bool(np.allclose(w.first(states, xi),
    ...                  (1 - np.tanh(-0.1) ** 2) * 0.9 / 0.6 / np.sqrt(0.02)))
    True
    """

    def __init__(self, model: Any, dt: float, what: str) -> None:
        self.model, self.dt = model, dt
        self.G = girsanov_matrix(model, what)                     # (r, m)
        self.state_dependent = in_drift(model)
        if self.state_dependent:
            self.act = ACTIVATIONS[model.activation]
            self.pinv = np.linalg.pinv(model.sigma)                # (r, n): eta = xi @ pinv
            self.metric = self.pinv.T @ self.pinv                  # sigma+^T sigma+, (n, n)

    def _z(self, states: np.ndarray) -> np.ndarray:
        m = self.model
        return states[:, :-1] @ m.W.T + m.b                        # (B, L, n)

    def first(self, states: np.ndarray, xi: np.ndarray) -> np.ndarray:
        """:math:`\\omega_j`, shape (B, L, m)."""
        if not self.state_dependent:
            return xi @ self.G / np.sqrt(self.dt)
        eta = xi @ self.pinv                                       # (B, L, n)
        return (eta * self.act.derivative(self._z(states))) @ self.model.C / np.sqrt(self.dt)

    def same_step(self, states: np.ndarray, xi: np.ndarray) -> np.ndarray:
        """:math:`c_{j,ab}`: (m, m) for the additive input, else (B, L, m, m)."""
        dt = self.dt
        if not self.state_dependent:
            return -(self.G.T @ self.G) / dt
        C = self.model.C
        z = self._z(states)
        eta = xi @ self.pinv                                       # (B, L, n)
        GC = self.act.derivative(z)[..., None] * C                 # G(h_j): (B, L, n, m)
        quad = np.einsum("ztka,kl,ztlc->ztac", GC, self.metric, GC, optimize=True)
        hess = np.einsum("ztk,ka,kc->ztac", eta * self.act.second_derivative(z), C, C,
                         optimize=True)
        return hess / dt ** 1.5 - quad / dt
