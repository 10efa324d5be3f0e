"""Chaotic test series shared by the forecaster's tests."""

from __future__ import annotations

import numpy as np


def lorenz63(n, dt, start, substeps, burn):
    """Lorenz-63 (x, y, z), ``n`` samples every ``dt`` after ``burn`` samples from ``start``
    (RK4 with ``substeps`` steps per sample)."""
    f = lambda v: np.array([10 * (v[1] - v[0]), v[0] * (28 - v[2]) - v[1],  # noqa: E731
                            v[0] * v[1] - 8 / 3 * v[2]])
    v = np.asarray(start, dtype=float)
    h, out = dt / substeps, np.empty((burn + n, 3))
    for i in range(burn + n):
        for _ in range(substeps):
            k1 = f(v)
            k2 = f(v + h / 2 * k1)
            k3 = f(v + h / 2 * k2)
            k4 = f(v + h * k3)
            v = v + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out[i] = v
    return out[burn:]
