"""Slow, plain-NumPy reference for truncated signatures (tensor exponentials + Chen).

Levels are kept as full tensors of shape (d,)*k; flattening them in C order gives the
lexicographic layout (earliest letter first).
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def seg_exp(x: np.ndarray, depth: int) -> list[np.ndarray]:
    levels = [np.ones(())]
    for k in range(1, depth + 1):
        levels.append(np.multiply.outer(levels[-1], x) * (1.0 / k))
    return levels


def chen(a: list[np.ndarray], b: list[np.ndarray], depth: int) -> list[np.ndarray]:
    out = []
    for n in range(depth + 1):
        out.append(sum(np.multiply.outer(a[k], b[n - k]) for k in range(n + 1)))
    return out


def signature_ref(path: np.ndarray, depth: int) -> np.ndarray:
    path = np.asarray(path, dtype=float)
    d = path.shape[1]
    sig = [np.ones(())] + [np.zeros((d,) * k) for k in range(1, depth + 1)]
    for t in range(path.shape[0] - 1):
        sig = chen(sig, seg_exp(path[t + 1] - path[t], depth), depth)
    return np.concatenate([lv.ravel() for lv in sig[1:]])


def shuffles(a: tuple, b: tuple) -> list[tuple]:
    """All shuffles of words a and b (with multiplicity)."""
    n = len(a) + len(b)
    out = []
    for pos in itertools.combinations(range(n), len(a)):
        w = [None] * n
        ia = iter(a)
        ib = iter(b)
        pset = set(pos)
        for i in range(n):
            w[i] = next(ia) if i in pset else next(ib)
        out.append(tuple(w))
    return out


def factorial(n: int) -> int:
    return math.factorial(n)
