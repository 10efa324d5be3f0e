"""The SRNN model: parameters, drift, diffusion and readout."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike

from .._random import SeedLike, child_sequences
from .._validation import (
    check_array,
    check_choice,
    check_int,
    check_memory,
    check_positive,
    fail,
)
from ..dynamics._activations import ACTIVATION_NAMES, ACTIVATIONS
from ..dynamics._divergence import far_growth
from ..dynamics._drift import drift as _drift
from ._readouts import Linear, ReadoutLike, as_readout

__all__ = ["INPUT_MODES", "SRNN", "DissipativityWarning"]

#: where the input enters the drift: the additive SRNN and the Lipschitz / noisy-RNN form
#: (docs/theory.md §1 and §11)
INPUT_MODES = ("additive", "activation")


class DissipativityWarning(UserWarning):
    """The SRNN may have no stationary law (assumption A1 of docs/theory.md §1 looks violated).

    Examples
    --------
    >>> import warnings
    >>> import srnnkit as sk
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.1, activation="identity")
    >>> caught[0].category.__name__
    'DissipativityWarning'
    """


class SRNN:
    r"""Continuous-time stochastic recurrent neural network.

    .. math::

        dh_t = \bigl[-\Gamma h_t + a(W h_t + b) + C u_t\bigr]\,dt + \sigma\, dB_t,
        \qquad y_t = f(h_t),

    with hidden state :math:`h_t \in \mathbb{R}^n`, input :math:`u_t \in \mathbb{R}^m`, an
    r-dimensional Brownian motion :math:`B_t`, elementwise activation ``a`` and readout ``f``.
    The hidden weights are fixed; the theory (Lim, JMLR 2021) describes the expected output
    :math:`E f(h_t)` as a Volterra series in ``u``.

    Parameters
    ----------
    W : array-like of shape (n, n)
        Recurrent weights.
    C : array-like of shape (n, m)
        Input weights.
    sigma : float, array-like of shape (n,) or (n, r)
        Noise amplitude: a scalar means :math:`\sigma I_n`, a vector a diagonal matrix.
    gamma : float, array-like of shape (n,) or (n, n), default=1.0
        Leak (damping) :math:`\Gamma`: scalar, diagonal or full.
    b : array-like of shape (n,), optional
        Bias; zero when omitted.
    activation : {"tanh", "identity", "relu", "sigmoid"}, default="tanh"
        Elementwise activation ``a``.
    readout : None, array-like of shape (p, n), Linear, Quadratic or callable, default=None
        ``None`` is the identity readout ``f(h) = h``; a matrix ``Q`` means ``f(h) = Q h``; a
        callable must be vectorised, mapping ``(..., n)`` to ``(..., p)``.
    input_mode : {"additive", "activation"}, default="additive"
        Where the input enters the drift: ``"additive"`` gives
        :math:`-\Gamma h + a(Wh + b) + Cu` (the paper's SRNN); ``"activation"`` gives
        :math:`-\Gamma h + a(Wh + Cu + b)`, the Lipschitz / noisy-RNN form of trained
        networks. With the identity activation both are the same model.
    dt : float, optional
        The Euler-Maruyama step the network runs with, when it has one (a trained network's
        own step: `srnnkit.nn.NoisyRNN.to_srnn` sets it). Only recorded: it is saved and
        loaded with the model (`srnnkit.save`) and read by ``srnnkit analyze``; simulations
        still take their ``dt`` argument. None (the default) when the network has no step
        of its own.

    Attributes
    ----------
    n_hidden, n_inputs, n_outputs, n_noise : int
        n, m, p and r.
    is_linear : bool
        True for the identity activation (Gaussian, closed forms available).

    Warns
    -----
    DissipativityWarning
        When the dissipativity assumption A1 looks violated (no stationary law is guaranteed).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=0.5,
    ...                 gamma=[1.0, 0.8], activation="identity", readout=[[1.0, 0.5]])
    >>> model.n_hidden, model.n_inputs, model.n_outputs, model.is_linear
    (2, 1, 1, True)
    """

    def __init__(self, W: ArrayLike, C: ArrayLike, sigma: ArrayLike, gamma: ArrayLike = 1.0,
                 b: ArrayLike | None = None, activation: str = "tanh",
                 readout: ReadoutLike = None,
                 input_mode: str = "additive", dt: float | None = None) -> None:
        W = check_array("W", W, ndim=2, shape_text="(n, n)")
        n = W.shape[0]
        if W.shape != (n, n):
            fail("W", "a square array of shape (n, n)", W)
        C = check_array("C", C, ndim=(1, 2), shape_text=f"({n}, m)")
        if C.ndim == 1:
            C = C[:, None]
        if C.shape[0] != n:
            fail("C", f"an array of shape ({n}, m) to match W of shape {W.shape}", C)
        self.W = W
        self.C = C
        self.b = (np.zeros(n) if b is None else
                  check_array("b", b, shape=(n,), shape_text=f"({n},)"))
        self.activation = check_choice("activation", activation, ACTIVATION_NAMES)
        self.input_mode = check_choice("input_mode", input_mode, INPUT_MODES)
        self.gamma, self.gamma_kind = _as_gamma(gamma, n)
        self.sigma, self.noise_diagonal = _as_sigma(sigma, n)
        self.readout = as_readout(readout, n)
        self.dt = None if dt is None else check_positive("dt", dt)
        self._check_dissipativity()

    # ------------------------------------------------------------------ shapes
    @property
    def n_hidden(self) -> int:
        """Number of hidden units n."""
        return self.W.shape[0]

    @property
    def n_inputs(self) -> int:
        """Number of input channels m."""
        return self.C.shape[1]

    @property
    def n_outputs(self) -> int:
        """Number of outputs p of the readout."""
        return self.readout.n_outputs

    @property
    def n_noise(self) -> int:
        """Number of independent noise channels r (columns of sigma)."""
        return self.sigma.shape[1]

    @property
    def is_linear(self) -> bool:
        """True for the identity activation (Gaussian, closed forms available)."""
        return self.activation == "identity"

    # ------------------------------------------------------------ derived math
    @property
    def gamma_matrix(self) -> np.ndarray:
        """:math:`\\Gamma` as an (n, n) array."""
        if self.gamma_kind == "full":
            return self.gamma
        return np.diag(np.broadcast_to(self.gamma, (self.n_hidden,)).astype(float))

    @property
    def gamma_diag(self) -> np.ndarray | None:
        """The diagonal of :math:`\\Gamma` as (n,), or None when Γ is a full matrix."""
        if self.gamma_kind == "full":
            return None
        return np.broadcast_to(self.gamma, (self.n_hidden,)).astype(float)

    def leak_sym_min(self) -> float:
        r"""The smallest eigenvalue of the symmetric part of :math:`\Gamma` (its smallest
        entry for a scalar or diagonal leak, without an eigendecomposition).

        Returns
        -------
        float
            :math:`\lambda_{\min}((\Gamma + \Gamma^\top)/2)`.

        Examples
        --------
        >>> import srnnkit as sk
        >>> sk.SRNN(W=[[0.0, 0.0], [0.0, 0.0]], C=[[1.0], [1.0]], sigma=0.1,
        ...         gamma=[2.0, 0.5]).leak_sym_min()
        0.5
        """
        if self.gamma_kind != "full":
            return float(np.min(self.gamma))
        G = self.gamma
        return float(np.linalg.eigvalsh(0.5 * (G + G.T)).min())

    @property
    def diffusion(self) -> np.ndarray:
        """:math:`D = \\sigma\\sigma^\\top`, shape (n, n)."""
        return self.sigma @ self.sigma.T

    @property
    def A(self) -> np.ndarray:
        """Linear drift matrix :math:`A = \\Gamma - W` (drift ``-A h + b + C u``), linear SRNNs."""
        self._require_linear("A")
        return self.gamma_matrix - self.W

    def stationary_mean(self) -> np.ndarray:
        """The stationary mean :math:`m_\\infty = A^{-1} b` of a linear SRNN.

        Returns
        -------
        mean : ndarray of shape (n,)
            :math:`E h` under the stationary law (no input).

        Raises
        ------
        ValueError
            For a nonlinear SRNN.
        """
        try:
            return np.linalg.solve(self.A, self.b)
        except np.linalg.LinAlgError:
            raise ValueError("model must be a linear SRNN with a stationary law; got "
                             "A = gamma - W singular (a marginally stable network: no "
                             "stationary mean).") from None

    def _require_additive(self, what: str) -> None:
        """Raise for input-in-the-activation networks where ``what`` supports only additive."""
        if self.input_mode != "additive" and not self.is_linear:
            raise NotImplementedError(
                f"{what} does not support input_mode={self.input_mode!r} with a nonlinear "
                f"activation ({self.activation!r}) yet; use input_mode='additive'.")

    def _require_linear(self, what: str) -> None:
        if not self.is_linear:
            raise ValueError(f"{what} needs a linear SRNN (activation='identity'); this model has "
                             f"activation={self.activation!r}. Use a Monte Carlo method instead.")

    def drift(self, h: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """The drift :math:`F(h, u)` for states of shape (..., n) and inputs of shape (..., m).

        :math:`-\\Gamma h + a(Wh+b) + Cu` (``input_mode="additive"``) or
        :math:`-\\Gamma h + a(Wh+Cu+b)` (``input_mode="activation"``); see
        :func:`srnnkit.dynamics.drift`.

        Parameters
        ----------
        h : ndarray of shape (..., n)
            Hidden states.
        u : ndarray of shape (..., m), optional
            Inputs (zero when None).

        Returns
        -------
        drift : ndarray of shape (..., n)
            The drift at each state.
        """
        return _drift(self, h, u)

    def output(self, h: np.ndarray) -> np.ndarray:
        """The readout ``f(h)``.

        Parameters
        ----------
        h : array-like of shape (..., n)
            Hidden states.

        Returns
        -------
        y : ndarray of shape (..., p)
            The outputs.
        """
        return self.readout(np.asarray(h, dtype=float))

    # ------------------------------------------------------------- assumptions
    def _check_dissipativity(self) -> None:
        G = self.gamma_matrix
        lam_sym = self.leak_sym_min()
        if self.is_linear:
            re = far_growth(self)                 # of -(gamma - W)
            if re >= 0:
                warnings.warn(
                    f"linear SRNN with A = Gamma - W not Hurwitz-stable (largest real part of "
                    f"eig(-A) is {re:.3g} >= 0): no stationary law exists; increase gamma or "
                    "scale W down.", DissipativityWarning, stacklevel=3)
        elif ACTIVATIONS[self.activation].bounded:
            # A Hurwitz-stable gamma is dissipative in the norm of its Lyapunov matrix P
            # (P gamma + gamma^T P = I), which a bounded activation cannot undo: the law
            # exists even where sym(gamma) is indefinite (a non-normal, Lipschitz-RNN leak).
            re = far_growth(self)                 # of -gamma
            if re > 0:
                warnings.warn(
                    f"-gamma has an eigenvalue with real part {re:.3g} > 0: the state grows "
                    "along its direction whatever a bounded activation does, so the network "
                    "has no stationary law (the response estimators refuse it); make gamma's "
                    "eigenvalues' real parts positive.", DissipativityWarning, stacklevel=3)
            elif lam_sym <= 0 and re > -1e-12 * max(1.0, float(np.abs(G).max())):
                warnings.warn(
                    f"the symmetric part of gamma has smallest eigenvalue {lam_sym:.3g} <= 0 and "
                    f"gamma has an eigenvalue with real part {-re:.3g}, so the dissipativity "
                    "assumption A1 fails and the network may have no stationary law (only the "
                    "activation can restore it); make gamma positive definite.",
                    DissipativityWarning, stacklevel=3)
        else:
            lip = ACTIVATIONS[self.activation].lipschitz * float(np.linalg.norm(self.W, 2))
            if lam_sym <= lip:
                warnings.warn(
                    f"activation {self.activation!r} is unbounded and the smallest eigenvalue of "
                    f"sym(gamma), {lam_sym:.3g}, does not exceed Lip(a)*||W||_2 = {lip:.3g}: "
                    "the state may diverge; increase gamma or scale W down.",
                    DissipativityWarning, stacklevel=3)

    # ------------------------------------------------------------ constructors
    @classmethod
    def random(cls, n_hidden: int, n_inputs: int, *, n_outputs: int = 1,
               spectral_radius: float = 0.9, input_scale: float = 1.0, noise: float = 0.1,
               gamma: ArrayLike = 1.0, density: float = 1.0, bias_scale: float = 0.5,
               activation: str = "tanh", input_mode: str = "additive",
               seed: SeedLike = None) -> SRNN:
        """Reservoir-style random SRNN.

        ``W`` is Gaussian with the given ``density`` (fraction of non-zeros), rescaled to the
        given spectral radius; ``C`` is uniform on ``[-input_scale, input_scale]``; ``b`` is
        uniform on ``[-bias_scale, bias_scale]``; ``sigma = noise * I``; the readout is a
        Gaussian ``(n_outputs, n_hidden)`` matrix scaled by ``1/sqrt(n_hidden)``.

        W, C, b and the readout each draw from their own child of ``seed``
        (``SeedSequence`` children 0, 1, 2, 3), so changing one setting (say ``input_scale``
        or ``density``) never changes the other matrices.

        Why a bias by default (``bias_scale=0.5``): with ``b = 0`` and an odd activation
        (``tanh``, the identity) the drift is odd, :math:`F(-h) = -F(h)`, so the stationary
        law is symmetric and, with the (odd) linear readout, :math:`E f(h_t)` is an odd
        functional of the input: the response to ``-u`` mirrors the response to ``u``, every
        even-order kernel vanishes and the second-order kernel is identically zero (the
        theory page, §3). A bias uniform on ``[-0.5, 0.5]`` breaks the symmetry while keeping
        the units in the responsive part of ``tanh`` (``tanh'(b) >= 0.79``). Pass
        ``bias_scale=0`` for the odd network.

        Parameters
        ----------
        n_hidden : int
            Number of hidden units n (>= 1).
        n_inputs : int
            Number of input channels m (>= 1).
        n_outputs : int, default=1
            Number of outputs p of the linear readout.
        spectral_radius : float, default=0.9
            Spectral radius of ``W`` (>= 0).
        input_scale : float, default=1.0
            Half-width of the uniform input weights (>= 0).
        noise : float, default=0.1
            Noise amplitude: ``sigma = noise * I`` (>= 0).
        gamma : float, array-like of shape (n,) or (n, n), default=1.0
            Leak :math:`\\Gamma` (as in `SRNN`).
        density : float, default=1.0
            Fraction of non-zero recurrent weights, in (0, 1].
        bias_scale : float, default=0.5
            Half-width of the uniform bias (>= 0); 0 gives the odd network.
        activation : {"tanh", "identity", "relu", "sigmoid"}, default="tanh"
            Elementwise activation.
        input_mode : {"additive", "activation"}, default="additive"
            Where the input enters the drift (as in `SRNN`).
        seed : None, int, SeedSequence or Generator, default=None
            Seed of the random weights.

        Returns
        -------
        model : SRNN
            The random network.

        Examples
        --------
        >>> import srnnkit as sk
        >>> model = sk.SRNN.random(64, 2, spectral_radius=0.9, noise=0.3, seed=0)
        >>> model.n_hidden, model.n_inputs, model.n_outputs
        (64, 2, 1)
        """
        n = check_int("n_hidden", n_hidden, low=1)
        m = check_int("n_inputs", n_inputs, low=1)
        p = check_int("n_outputs", n_outputs, low=1)
        check_memory("n_hidden", n, "the recurrent weights W", (n, n))
        check_memory("n_inputs", m, "the input weights C", (n, m))
        check_memory("n_outputs", p, "the readout matrix", (p, n))
        rho = check_positive("spectral_radius", spectral_radius, allow_zero=True)
        input_scale = check_positive("input_scale", input_scale, allow_zero=True)
        noise = check_positive("noise", noise, allow_zero=True)
        bias_scale = check_positive("bias_scale", bias_scale, allow_zero=True)
        if not isinstance(density, Real) or not 0 < float(density) <= 1:
            fail("density", "a number in (0, 1]", density)
        kids = child_sequences(seed, 4)
        rng_w, rng_c, rng_b, rng_q = (np.random.default_rng(k) for k in kids)
        W = rng_w.standard_normal((n, n))
        if density < 1:
            W *= rng_w.random((n, n)) < density
        radius = float(np.abs(np.linalg.eigvals(W)).max()) if n > 0 else 0.0
        W = W * (rho / radius) if radius > 0 else W
        C = rng_c.uniform(-input_scale, input_scale, size=(n, m))
        b = rng_b.uniform(-bias_scale, bias_scale, size=n)
        Q = rng_q.standard_normal((p, n)) / np.sqrt(n)
        return cls(W, C, sigma=noise, gamma=gamma, b=b, activation=activation,
                   readout=Linear(Q), input_mode=input_mode)

    def __repr__(self) -> str:
        mode = "" if self.input_mode == "additive" else f", input_mode={self.input_mode!r}"
        return (f"SRNN(n_hidden={self.n_hidden}, n_inputs={self.n_inputs}, "
                f"n_outputs={self.n_outputs}, n_noise={self.n_noise}, "
                f"activation={self.activation!r}, readout={self.readout!r}{mode})")


def _as_gamma(gamma: ArrayLike, n: int) -> tuple[np.ndarray, str]:
    if isinstance(gamma, Real) and not isinstance(gamma, bool):
        g = float(gamma)
        if not np.isfinite(g):
            fail("gamma", "a finite scalar, an (n,) or an (n, n) array", gamma)
        return np.full(n, g), "scalar"
    g = check_array("gamma", gamma, ndim=(0, 1, 2), shape_text=f"() or ({n},) or ({n}, {n})")
    if g.ndim == 0:
        return np.full(n, float(g)), "scalar"
    if g.ndim == 1:
        if g.shape != (n,):
            fail("gamma", f"a scalar, an array of shape ({n},) or ({n}, {n})", g)
        return g, "diagonal"
    if g.shape != (n, n):
        fail("gamma", f"a scalar, an array of shape ({n},) or ({n}, {n})", g)
    return g, "full"


def _as_sigma(sigma: ArrayLike, n: int) -> tuple[np.ndarray, bool]:
    if isinstance(sigma, Real) and not isinstance(sigma, bool):
        s = float(sigma)
        if not np.isfinite(s) or s < 0:
            fail("sigma", "a finite scalar >= 0, an (n,) or an (n, r) array", sigma)
        return s * np.eye(n), True
    s = check_array("sigma", sigma, ndim=(0, 1, 2), shape_text=f"({n}, r)")
    if s.ndim == 0:
        return float(s) * np.eye(n), True
    if s.ndim == 1:
        if s.shape != (n,):
            fail("sigma", f"a scalar, an array of shape ({n},) or ({n}, r)", s)
        return np.diag(s), True
    if s.shape[0] != n:
        fail("sigma", f"an array of shape ({n}, r)", s)
    diag = s.shape[1] == n and np.count_nonzero(s - np.diag(np.diag(s))) == 0
    return s, bool(diag)
