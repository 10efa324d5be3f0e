"""Common-random-number ensembles of a network driven by several versions of each input.

The Monte Carlo truth of the analysis: for every test series, a set of paths started from
stationary states and driven by the same Euler-Maruyama noise, once per *variant* of the
input (amplitudes, noisy copies). Differences between variants are then free of the noise
that the variants share (docs/theory.md §7(a)).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._parallel import seed_child
from .._random import SeedLike, as_seed_sequence
from ..dynamics._divergence import _norm_rows_max

__all__ = ["crn_guard", "crn_outputs", "largest_input_row", "pad_series", "stationary_states"]

#: floats of the state array a chunk of series may hold (variants x series x paths x n)
_CHUNK_FLOATS = 4_000_000
#: floats that one block of the Volterra and robustness checks' work arrays may hold: the
#: input variants and noisy copies of every series for a block of steps (one step at
#: least), the Monte Carlo truth of a block of steps before it is reduced, the noisy copies
#: passed to an estimator at once (one series at least). The numbers do not depend on it.
BLOCK_FLOATS = 4_000_000


def stationary_states(model: Any, dt: float, size: int, seed: SeedLike,
                      burn_in: int | None = None) -> np.ndarray:
    """``size`` independent draws from the Euler-Maruyama chain's stationary law, (size, n).

    Linear SRNNs draw exactly; nonlinear ones start at 0 and run the library's burn-in
    (:func:`srnnkit.simulate.default_burn_in`) unless ``burn_in`` is given.
    """
    from ..simulate import simulate

    traj = simulate(model, None, dt=dt, n_steps=1, n_paths=int(size), seed=seed,
                    save="states", burn_in=burn_in)
    return np.ascontiguousarray(traj.states[:, 0])


def pad_series(series: list[np.ndarray], n_steps: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Zero-padded batch (S, N, m) of a list of (L_i, m) series and the lengths (S,); ``N``
    is ``n_steps`` (at least the longest series) or the longest series."""
    lengths = np.array([s.shape[0] for s in series], dtype=int)
    N = int(lengths.max()) if n_steps is None else int(n_steps)
    out = np.zeros((len(series), N, series[0].shape[1]))
    for i, s in enumerate(series):
        out[i, :s.shape[0]] = s
    return out, lengths


def largest_input_row(model: Any, arrays: Any) -> np.ndarray:
    """The input row ``u`` (shape (1, m)) with the largest drive ``|C u|`` among the rows
    of ``arrays`` (an iterable of arrays of shape (..., m)), read in chunks of at most
    :data:`BLOCK_FLOATS` floats: the input the divergence guard of :func:`crn_outputs`
    needs, without the product ``inputs @ C.T`` of every step at once (which held 16 times
    the noisy copies of the test series for a 16-unit network).

    Parameters
    ----------
    model : SRNN
    arrays : iterable of ndarray of shape (..., m)

    Returns
    -------
    ndarray of shape (1, m)
        Zeros when there are no rows.
    """
    C = np.asarray(model.C, dtype=float)
    n, m = C.shape
    best, top = np.zeros((1, m)), -1.0
    rows_per = max(1, BLOCK_FLOATS // max(n, m))
    for arr in arrays:
        rows = np.asarray(arr, dtype=float).reshape(-1, m)
        for lo in range(0, rows.shape[0], rows_per):
            part = rows[lo:lo + rows_per]
            with np.errstate(over="ignore", invalid="ignore"):
                norm = np.sqrt(((part @ C.T) ** 2).sum(axis=-1))
            if not np.all(np.isfinite(norm)):           # the guard's own overflow-safe norm
                norm = np.array([_norm_rows_max(r @ C.T) for r in part])
            k = int(np.argmax(norm))
            if norm[k] > top:
                best, top = part[k:k + 1].copy(), float(norm[k])
    return best


def crn_guard(model: Any, dt: float, row: np.ndarray, h0: np.ndarray, n_steps: int) -> Any:
    """The divergence guard of :func:`crn_outputs` (the core's rule, not counted as
    progress) for runs of ``n_steps`` steps from the starts ``h0`` whose largest input row
    is ``row`` (:func:`largest_input_row`).

    Parameters
    ----------
    model : SRNN
    dt : float
    row : ndarray of shape (1, m)
    h0 : ndarray of shape (S, P, n)
    n_steps : int

    Returns
    -------
    srnnkit.dynamics.Guard
    """
    from dataclasses import replace

    from ..dynamics import make_guard

    kick = float(np.sqrt((h0 * h0).sum(axis=-1)).max(initial=0.0))
    return replace(make_guard(model, dt, "the test inputs", n_steps=n_steps, inputs=row,
                              kick=kick), counts=False)


def crn_outputs(model: Any, dt: float, inputs: Any, h0: np.ndarray, seed: SeedLike,
                reduce: Callable[[slice, int, np.ndarray], None], *,
                shape: tuple[int, int, int] | None = None, guard: Any = None) -> None:
    r"""Run every variant of every series with common random numbers; hand the outputs over.

    ``inputs`` has shape (V, S, N, m): V variants of S series; or it is a function
    ``inputs(chunk, j0, j1)`` that returns the inputs of steps ``j0..j1-1`` of the series
    ``chunk`` (a slice), shape (V, len(chunk), j1 - j0, m), called for consecutive blocks of
    steps from ``j0 = 0`` with ``shape = (V, S, N)`` given: the variants (noisy copies, say)
    are then never held for every step at once, only for blocks of steps of at most
    :data:`BLOCK_FLOATS` floats. Series ``s`` starts its P paths from ``h0[s]`` (shape
    (S, P, n)) and every variant of it sees the same noise :math:`\xi_j` (drawn from the
    child ``(s,)`` of ``seed``, so the numbers depend neither on how the series are chunked
    nor on the blocks of steps). After each step ``j = 0..N`` (``j = 0``: the start),
    ``reduce(chunk, j, F)`` receives the outputs ``F`` of shape (V, len(chunk), P, p) of the
    series ``chunk``. ``guard``: the divergence guard (:func:`crn_guard`; by default that
    of the array ``inputs`` and ``h0``; required with a function).

    Raises
    ------
    srnnkit.DivergenceError
        When a state becomes NaN or infinite (naming the step).
    """
    from ..dynamics import EulerStep

    if callable(inputs):
        V, S, N = shape
        get = inputs
    else:
        V, S, N, _ = inputs.shape

        def get(chunk: slice, j0: int, j1: int) -> np.ndarray:
            return inputs[:, chunk, j0:j1]

    P, n, m = h0.shape[1], h0.shape[2], model.n_inputs
    step = EulerStep(model, dt)
    root = as_seed_sequence(seed)
    if guard is None:   # the core's divergence rule (a bound from the state scale, NaN too)
        guard = crn_guard(model, dt, largest_input_row(model, [inputs]), h0, N)
    per = max(1, _CHUNK_FLOATS // max(1, V * P * n))
    for lo in range(0, S, per):
        chunk = slice(lo, min(S, lo + per))
        rngs = [np.random.default_rng(seed_child(root, s))
                for s in range(chunk.start, chunk.stop)]
        H = np.broadcast_to(h0[chunk], (V, *h0[chunk].shape)).copy()      # (V, c, P, n)
        reduce(chunk, 0, model.output(H))
        T = max(1, BLOCK_FLOATS // max(1, V * len(rngs) * m))
        for j0 in range(0, N, T):
            X = get(chunk, j0, min(N, j0 + T))
            for j in range(j0, min(N, j0 + T)):
                xi = np.stack([g.standard_normal((P, step.r)) for g in rngs])   # (c, P, r)
                with np.errstate(over="ignore", invalid="ignore"):
                    H = step(H, xi, u=X[:, :, j - j0][:, :, None, :])
                guard.check(H, j + 1)
                reduce(chunk, j + 1, model.output(H))
