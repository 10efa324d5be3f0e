r"""The drift of an SRNN and the Euler-Maruyama step, in their NumPy (vectorised) form.

Both input modes (docs/theory.md sections 1 and 11):

.. math::

    F(h, u) = -\Gamma h + a(Wh + b) + Cu \quad(\text{additive}), \qquad
    F(h, u) = -\Gamma h + a(Wh + Cu + b) \quad(\text{activation}),

and the Euler-Maruyama step :math:`h_{j+1} = h_j + \Delta F(h_j, u_j) + \sqrt\Delta\,\sigma\xi_j`
with ``u[j]`` acting on :math:`[t_j, t_{j+1})`. The compiled loops (:mod:`._em_loops`) and the
CUDA kernels compute the same step for blocks of paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._activations import ACTIVATIONS

__all__ = ["EulerStep", "drift"]


def drift(model: Any, h: Any, u: Any = None) -> np.ndarray:
    """Drift ``F(h, u)`` for states (..., n) and inputs (..., m) (``u=None``: no input).

    Parameters
    ----------
    model : SRNN
        The network (either input mode).
    h : array-like of shape (..., n)
        States.
    u : array-like of shape (..., m), optional
        Inputs; None for no input.

    Returns
    -------
    ndarray of shape (..., n)
        The drift at every state.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import drift
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3], input_mode="activation")
    >>> drift(model, np.array([[0.5]]), np.array([[0.2]])).round(6)   # -h + tanh(wh + cu + b)
    array([[0.216298]])
    """
    h = np.asarray(h, dtype=float)
    z = h @ model.W.T + model.b
    cu = None if u is None else np.asarray(u, dtype=float) @ model.C.T
    if cu is not None and model.input_mode == "activation":
        z = z + cu
    out = ACTIVATIONS[model.activation](z)
    if model.gamma_kind == "full":
        out -= h @ model.gamma.T
    else:
        out -= model.gamma * h
    if cu is not None and model.input_mode == "additive":
        out += cu
    return out


class EulerStep:
    r"""One Euler-Maruyama step of ``model`` with step ``dt``, vectorised over leading axes.

    ``step(h, xi)`` is :math:`h + \Delta F(h) + \sqrt\Delta\,\sigma\xi` for states ``h`` (..., n)
    and standard normals ``xi`` broadcastable to (..., r). An input enters as ``u`` (the drift
    :math:`F(h, u)`, either input mode) or, in the additive mode, as ``shift``, the ready-made
    term :math:`\Delta C u` added after the drift.

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import EulerStep
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> step = EulerStep(model, 0.02)
    >>> h1 = step(np.zeros((3, 1)), np.ones((3, 1)))
    >>> bool(np.allclose(h1, 0.02 * np.tanh(0.3) + np.sqrt(0.02) * 0.5))
    True
    """

    def __init__(self, model: Any, dt: float) -> None:
        self.model = model
        self.dt = dt
        self.noise_T = np.sqrt(dt) * model.sigma.T          # (r, n)
        self.r = model.sigma.shape[1]

    def __call__(self, h: np.ndarray, xi: np.ndarray, u: np.ndarray | None = None,
                 shift: np.ndarray | None = None) -> np.ndarray:
        out = h + self.dt * drift(self.model, h, u)
        if shift is not None:
            out += shift
        out += xi @ self.noise_T
        return out
