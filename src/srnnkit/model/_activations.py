"""Activation functions ``a`` of the SRNN drift ``-Γh + a(Wh + b)``."""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("tanh", "identity", "relu", "sigmoid")
#: Lipschitz constants, used by the dissipativity check.
LIPSCHITZ = {"tanh": 1.0, "identity": 1.0, "relu": 1.0, "sigmoid": 0.25}
BOUNDED = {"tanh": True, "identity": False, "relu": False, "sigmoid": True}


def _sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 0.5 * (1 + tanh(z/2)) is overflow-free and uses NumPy's SIMD tanh.
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def apply_activation(name: str, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Evaluate activation ``name`` elementwise (in place when ``out is z``)."""
    if name == "tanh":
        return np.tanh(z, out=out)
    if name == "identity":
        if out is None:
            return z.copy()
        if out is not z:
            out[...] = z
        return out
    if name == "relu":
        return np.maximum(z, 0.0, out=out)
    if name == "sigmoid":
        return _sigmoid(z, out)
    raise ValueError(f"activation must be one of {ACTIVATIONS}; got {name!r}.")


def activation_derivative(name: str, z: np.ndarray) -> np.ndarray:
    """Elementwise derivative a'(z)."""
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "identity":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(float)
    s = _sigmoid(z)
    return s * (1.0 - s)
