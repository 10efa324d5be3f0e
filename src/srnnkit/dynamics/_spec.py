r"""The arrays of one step, built once per model and ``dt`` and grouped for the compiled loops
(:mod:`._em_loops`) and the CUDA kernels (``simulate/_cuda.py``).

Euler-Maruyama of a nonlinear SRNN: ``MT = W^T``, the leak as ``g`` (diagonal) or
``GT = Γ^T`` (full), ``b``, the activation code and the input mode; the additive term of a step
is ``C u_t``. Affine steps of a linear SRNN: Euler ``MT = (I - Δ A)^T`` with additive term
``Δ (b + C u_t)``, or the exact Gaussian transition ``MT = e^{-AΔ T}``, additive term
``Ψ (b + C u_t)``, ``Ψ = ∫_0^Δ e^{-As} ds``. Noise: ``noise_diag = sqrt(Δ) diag(σ)`` for a
diagonal ``σ``, else ``LT = (sqrt(Δ) σ)^T`` (r, n) (for the exact step ``L^T`` with
``L L^T = Σ_Δ``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._activations import ACTIVATIONS

__all__ = ["StepArrays", "step_arrays"]


@dataclass
class StepArrays:
    """One step of an SRNN as arrays (picklable: blocks may run on Dask workers).

    Parameters
    ----------
    MT : ndarray, shape (n, n)
        The state map, transposed: ``W^T`` (nonlinear), ``(I - Δ A)^T`` (affine Euler) or
        ``e^{-AΔ T}`` (exact).
    GT : ndarray, shape (n, n)
        ``Γ^T`` when the leak is a full matrix, else zeros.
    b : ndarray, shape (n,)
        The bias.
    g : ndarray, shape (n,)
        The diagonal of a diagonal leak ``Γ`` (zeros when it is full).
    full_gamma : bool
        Whether the leak is a full matrix.
    affine : bool
        Whether the step is affine (a linear SRNN), ``h <- h @ MT + additive + noise``.
    act : int
        The activation's code (:class:`Activation`).
    activation_input : bool
        Whether the input enters inside the activation.
    dt : float
        The time step ``Δ``.
    noise_diag : ndarray, shape (n,)
        ``sqrt(Δ) diag(σ)`` for a diagonal ``σ`` (zeros otherwise).
    LT : ndarray, shape (r, n)
        ``(sqrt(Δ) σ)^T`` (for the exact step ``L^T`` with ``L L^T = Σ_Δ``).
    full_noise : bool
        Whether the noise goes through ``LT`` rather than ``noise_diag``.
    drift_map : ndarray, shape (n, n), or None
        The affine step's map of ``b + C u_t`` into the additive term (``Δ I`` or ``Ψ``);
        None for the nonlinear step.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import step_arrays
    >>> st = step_arrays(sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3]), 0.02)
    >>> st.affine, st.act, st.full_gamma, st.noise_diag.round(4)
    (False, 0, False, array([0.0707]))
    """

    MT: np.ndarray
    GT: np.ndarray
    b: np.ndarray
    g: np.ndarray
    full_gamma: bool
    affine: bool
    act: int
    activation_input: bool
    dt: float
    noise_diag: np.ndarray
    LT: np.ndarray
    full_noise: bool
    drift_map: np.ndarray | None

    @property
    def drift(self) -> tuple:
        """``(MT, GT, b, g, full_gamma, affine, act, activation_input, dt)``."""
        return (self.MT, self.GT, self.b, self.g, self.full_gamma, self.affine, self.act,
                self.activation_input, self.dt)

    @property
    def noise(self) -> tuple:
        """``(noise_diag, LT, full_noise)``."""
        return (self.noise_diag, self.LT, self.full_noise)

    @property
    def chain_drift(self) -> tuple:
        """``(W, Γ, b, g, full_gamma, act, dt)`` with row-major ``W`` and ``Γ``, for the
        per-path loops of long runs (the nonlinear form: build with ``affine=False``)."""
        return (np.ascontiguousarray(self.MT.T), np.ascontiguousarray(self.GT.T), self.b,
                self.g, self.full_gamma, self.act, self.dt)

    @functools.cached_property
    def block_drift(self) -> tuple:
        """:attr:`drift` for the block loop: ``MT`` and ``GT`` with their columns padded with
        zeros to a multiple of 8 when n <= 256, the layout of the generated product kernel
        (``dynamics/_simd.py``); the products' first n columns are unchanged."""
        from ._simd import GEMM_MAX

        n = self.MT.shape[0]
        if n > GEMM_MAX:
            return self.drift
        n8 = -(-n // 8) * 8

        def pad(a: np.ndarray) -> np.ndarray:
            out = np.zeros((n, n8))
            out[:, :n] = a
            return out

        return (pad(self.MT), pad(self.GT) if self.full_gamma else self.GT, *self.drift[2:])

    def additive_maps(self, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(Ceff, beff)``: the input term of a step is ``beff + Ceff @ u_t``.

        Parameters
        ----------
        C : ndarray, shape (n, m)
            The model's input matrix.

        Returns
        -------
        Ceff : ndarray, shape (n, m)
            The input map of a step.
        beff : ndarray, shape (n,)
            The constant additive term of a step.
        """
        if self.affine:
            return (np.ascontiguousarray(self.drift_map @ C),
                    np.ascontiguousarray(self.drift_map @ self.b))
        return np.ascontiguousarray(C.copy()), np.zeros(self.b.shape[0])


def step_arrays(model: Any, dt: float, method: str = "euler", affine: bool | None = None
                ) -> StepArrays:
    """The step arrays of ``model``.

    Parameters
    ----------
    model : SRNN or LinearSRNN
        The network.
    dt : float
        The time step.
    method : {"euler", "exact"}, default "euler"
        Euler-Maruyama, or the exact Gaussian transition of a linear SRNN.
    affine : bool or None, default None
        Whether to build the affine step; None: whether the model is linear. ``False`` keeps
        the nonlinear form for a linear SRNN, as the estimators' long runs do.

    Returns
    -------
    StepArrays
        The arrays of one step.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import step_arrays
    >>> ou = sk.SRNN(W=[[0.0]], C=[[1.0]], sigma=0.5, gamma=2.0, activation="identity")
    >>> step_arrays(ou, 0.1).MT, step_arrays(ou, 0.1, affine=False).MT     # I - dt A or W^T
    (array([[0.8]]), array([[0.]]))
    """
    from ..model._linear import exact_transition, psd_sqrt

    n = model.n_hidden
    affine = model.is_linear if affine is None else affine
    gdiag = model.gamma_diag
    full_gamma = gdiag is None
    g = np.zeros(n) if full_gamma else gdiag.copy()
    GT = np.ascontiguousarray(model.gamma_matrix.T) if full_gamma else np.zeros((n, n))
    sqdt = math.sqrt(dt)
    if method == "exact":
        Phi, Psi, Qdt = exact_transition(model, dt)
        MT, drift_map = np.ascontiguousarray(Phi.T), Psi
        LT, full_noise, noise_diag = np.ascontiguousarray(psd_sqrt(Qdt).T), True, np.zeros(n)
    else:
        if affine:
            MT = np.ascontiguousarray((np.eye(n) - dt * model.A).T)
            drift_map = dt * np.eye(n)
        else:
            MT, drift_map = np.ascontiguousarray(model.W.T), None
        full_noise = not model.noise_diagonal
        LT = np.ascontiguousarray((sqdt * model.sigma).T)
        noise_diag = sqdt * np.diag(model.sigma).copy() if not full_noise else np.zeros(n)
    return StepArrays(MT=MT, GT=GT, b=model.b.copy(), g=g, full_gamma=full_gamma,
                      affine=bool(affine), act=ACTIVATIONS[model.activation].code,
                      activation_input=model.input_mode == "activation" and not affine,
                      dt=float(dt), noise_diag=noise_diag, LT=LT, full_noise=bool(full_noise),
                      drift_map=drift_map)
