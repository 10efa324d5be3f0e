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

import warnings
from typing import Any

import numpy as np

from ..dynamics._activations import ACTIVATIONS

__all__ = ["CONDITIONING_MAX", "GirsanovConditioningWarning", "GirsanovWeights",
           "LikelihoodSeries", "exp_series", "girsanov_matrix", "in_drift", "kinked_in_drift",
           "refuse_kinked", "warn_conditioning", "weight_conditioning"]

#: conditioning of the Girsanov weights (`weight_conditioning`) above which
#: `GirsanovConditioningWarning` is raised: the standard error grows in proportion to it
#: (measured on a 2-unit linear SRNN, sigma = diag(eps, 0.5): 0.0087 at 1, 0.22 at 71,
#: 1.1e6 at 3.5e8, for a kernel of size 1.5), so above 100 the same precision needs more than
#: 1000 times the runs that noise of the same size along the input would need
CONDITIONING_MAX = 100.0


class GirsanovConditioningWarning(UserWarning):
    r"""An input enters a direction the noise barely drives: Girsanov's weights blow up.

    The likelihood-ratio weight of input :math:`a` has per-unit-time variance
    :math:`|\sigma^+c_a|^2`; noise of the size :math:`\|\sigma\|_2` along :math:`c_a` would
    give :math:`|c_a|^2/\|\sigma\|_2^2`. Their ratio's square root, the conditioning
    :math:`\kappa_a = |\sigma^+c_a|\,\|\sigma\|_2/|c_a| \ge 1`
    (:func:`weight_conditioning`), is the factor by which the standard error grows; the
    warning comes when it exceeds `CONDITIONING_MAX` (100). The estimate stays unbiased and
    its standard error honest, but it is useless: with ``sigma = diag(1e-9, 0.5)`` and
    ``C = [[1], [1]]`` the estimate of a kernel near 1.5 came out as 1.7e5 +- 1.1e6. Use
    ``method="perturbation"`` (or ``"pathwise"``), which do not divide by the noise.

    Examples
    --------
    >>> import warnings
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [1.0]],
    ...                 sigma=[[1e-9, 0.0], [0.0, 0.5]], activation="identity")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = sk.response.linear_response(model, dt=0.1, n_lags=3, method="girsanov",
    ...                                     n_chains=2, n_steps=200, seed=0)
    >>> caught[0].category.__name__
    'GirsanovConditioningWarning'
    """


def in_drift(model: Any) -> bool:
    """Whether the input acts through the activation (a nonlinear ``input_mode="activation"``
    network); with the identity activation both modes are the additive model."""
    return model.input_mode == "activation" and not model.is_linear


def kinked_in_drift(model: Any) -> bool:
    """Whether the input acts through a kinked activation (ReLU): its derivative is a step
    and its second derivative a Dirac mass at the kink, which no pointwise formula holds."""
    return in_drift(model) and ACTIVATIONS[model.activation].kinked


def refuse_kinked(model: Any, what: str, instead: str) -> None:
    """ValueError for likelihood weights of order two or more through a kinked activation
    (``kinked_in_drift``): their :math:`a''` is a Dirac mass at the kink, which pointwise
    weights never see, so the coincident (same-step) terms would miss all of it."""
    if kinked_in_drift(model):
        raise ValueError(
            f"{what} and the input inside a {model.activation!r} activation: the "
            "second-order terms of coincident (same-step) inputs carry a'' of the activation, "
            "a Dirac mass at the kink that likelihood-ratio weights evaluated pointwise cannot "
            f"see (they would miss all of it). Use {instead}.")


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
    # volterra_terms has no method=: its way out is a series from perturbation kernels
    other = ("Build a VolterraSeries from kernels of method='perturbation' (series= of "
             "volterra_convergence) instead." if what == "volterra_terms" else None)
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
                f"{bad} are not. " + (other or "Use method='perturbation' instead."))
        return G
    resid = float(np.abs(model.sigma @ G - model.C).max())
    if resid > 1e-9 * scale:
        raise ValueError(
            f"{what} with method='girsanov' needs range(C) inside range(sigma) (every input "
            f"direction must be driven by noise, docs/theory.md §7(c)); here sigma @ "
            f"pinv(sigma) @ C misses C by {resid:.3g}. "
            + (other or "Use method='perturbation' or method='fdt' instead."))
    return G


def weight_conditioning(model: Any, G: np.ndarray | None = None) -> np.ndarray:
    r"""Conditioning :math:`\kappa_a = |\sigma^+c_a|\,\|\sigma\|_2/|c_a|` of the Girsanov
    weights of each input (shape (m,); 1 for isotropic noise, 0 for an input with c_a = 0).

    Parameters
    ----------
    model : SRNN
    G : ndarray of shape (r, m), optional
        :math:`\sigma^+ C` when the caller has it (computed here otherwise).

    Returns
    -------
    numpy.ndarray
        One value per input channel; the standard error of a Girsanov estimate grows in
        proportion to it (`GirsanovConditioningWarning`).
    """
    sigma, C = np.asarray(model.sigma, dtype=float), np.asarray(model.C, dtype=float)
    size = float(np.linalg.norm(sigma, 2))
    norms = np.linalg.norm(C, axis=0)
    weights = np.linalg.norm(np.linalg.pinv(sigma) @ C if G is None else G, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norms > 0, weights * size / np.where(norms > 0, norms, 1.0), 0.0)


def warn_conditioning(model: Any, what: str, instead: str) -> None:
    """`GirsanovConditioningWarning` when an input's weight conditioning
    (:func:`weight_conditioning`) exceeds `CONDITIONING_MAX`; pointed at the user's line.
    ``what`` names the call (with its method), ``instead`` what to use."""
    from ..kernels._common import user_stacklevel

    G = np.linalg.pinv(np.asarray(model.sigma, dtype=float)) @ np.asarray(model.C, dtype=float)
    kappa = weight_conditioning(model, G)
    a = int(np.argmax(kappa))
    if kappa[a] <= CONDITIONING_MAX:
        return
    var = float(np.linalg.norm(G[:, a]) ** 2)
    warnings.warn(
        f"{what}: input {a} enters a direction the noise barely "
        f"drives. Its likelihood-ratio weight has per-unit-time variance |pinv(sigma) @ "
        f"C[:, {a}]|^2 = {var:.3g}, {kappa[a] ** 2:.3g} times that of noise of sigma's "
        f"largest size along C[:, {a}] (conditioning {kappa[a]:.3g} > {CONDITIONING_MAX:g}), "
        f"so the standard error is about {kappa[a]:.3g} times larger and the estimate likely "
        f"useless. Use {instead}, which does not divide by the noise.",
        GirsanovConditioningWarning, stacklevel=user_stacklevel())


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


class LikelihoodSeries:
    r"""Taylor coefficients in :math:`\varepsilon` of one step's log-likelihood ratio for the
    input :math:`u_j = \varepsilon w_j` inside the activation (docs/theory.md §11).

    With :math:`z = Wh_j + b` and :math:`\delta(\varepsilon) = a(z + \varepsilon Cw_j) - a(z)
    = \sum_{k\ge1}\varepsilon^k d_k`, :math:`d_k = a^{(k)}(z)\circ(Cw_j)^k/k!`,

    .. math:: \ell_j(\varepsilon) = \sqrt\Delta\,(\sigma^+\delta)\cdot\xi_j
              - \tfrac\Delta2|\sigma^+\delta|^2 = \sum_k \varepsilon^k \ell_{j,k},\quad
              \ell_{j,k} = \sqrt\Delta\,d_k\cdot\eta_j
              - \tfrac\Delta2\sum_{i+i'=k} d_i^\top S\,d_{i'},

    :math:`\eta_j = \sigma^{+\top}\xi_j`, :math:`S = \sigma^{+\top}\sigma^+`. The likelihood
    ratio of the whole input is :math:`\exp\sum_j\ell_j(\varepsilon)`; its Taylor
    coefficients (:func:`exp_series`) are the Volterra terms' weights.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=1.0, gamma=1.0, activation="identity")
    >>> ls = LikelihoodSeries(model, 0.01, order=2)
    >>> ls(np.zeros((1, 1)), np.ones((1, 1)), np.array([2.0])).round(6)  # sqrt(dt) 2, -dt 2
    array([[ 0.2 , -0.02]])
    """

    def __init__(self, model: Any, dt: float, order: int) -> None:
        self.model, self.dt, self.order = model, dt, order
        self.act = ACTIVATIONS[model.activation]
        self.pinv = np.linalg.pinv(model.sigma)                    # (r, n)
        self.metric = self.pinv.T @ self.pinv                      # (n, n)
        self.fact = np.cumprod(np.arange(1, order + 1, dtype=float))

    def __call__(self, h: np.ndarray, xi: np.ndarray, w: np.ndarray) -> np.ndarray:
        """:math:`\\ell_{j,k}`, k = 1..order, for states ``h`` (B, n), noises ``xi`` (B, r)
        and the input ``w`` (m,) of the step: shape (B, order)."""
        m = self.model
        z = h @ m.W.T + m.b
        cw = m.C @ w
        d = np.stack([self.act.nth_derivative(z, k) * cw ** k / self.fact[k - 1]
                      for k in range(1, self.order + 1)])          # (order, B, n)
        out = np.sqrt(self.dt) * np.einsum("kbn,bn->bk", d, xi @ self.pinv)
        quad = np.einsum("ibn,nl,jbl->bij", d, self.metric, d, optimize=True)
        for k in range(2, self.order + 1):
            out[:, k - 1] -= 0.5 * self.dt * sum(quad[:, i - 1, k - i - 1] for i in range(1, k))
        return out


def exp_series(L: np.ndarray) -> np.ndarray:
    r"""Taylor coefficients :math:`e_n` of :math:`\exp\sum_k L_k\varepsilon^k`, n = 1..order,
    from ``L`` (..., order): :math:`n e_n = \sum_{k=1}^n k L_k e_{n-k}`, :math:`e_0 = 1`.

    Examples
    --------
    >>> import numpy as np
    >>> exp_series(np.array([1.0, 0.0, 0.0]))         # exp(eps): 1, 1/2, 1/6
    array([1.        , 0.5       , 0.16666667])
    """
    order = L.shape[-1]
    e = [np.ones(L.shape[:-1])]
    for n in range(1, order + 1):
        e.append(sum(k * L[..., k - 1] * e[n - k] for k in range(1, n + 1)) / n)
    return np.stack(e[1:], axis=-1)
