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

__all__ = ["crn_outputs", "pad_series", "stationary_states"]

#: floats of the state array a chunk of series may hold (variants x series x paths x n)
_CHUNK_FLOATS = 4_000_000


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


def pad_series(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Zero-padded batch (S, N, m) of a list of (L_i, m) series and the lengths (S,)."""
    lengths = np.array([s.shape[0] for s in series], dtype=int)
    out = np.zeros((len(series), int(lengths.max()), series[0].shape[1]))
    for i, s in enumerate(series):
        out[i, :s.shape[0]] = s
    return out, lengths


def crn_outputs(model: Any, dt: float, inputs: np.ndarray, h0: np.ndarray, seed: SeedLike,
                reduce: Callable[[slice, int, np.ndarray], None]) -> None:
    r"""Run every variant of every series with common random numbers; hand the outputs over.

    ``inputs`` has shape (V, S, N, m): V variants of S series. Series ``s`` starts its P paths
    from ``h0[s]`` (shape (S, P, n)) and every variant of it sees the same noise
    :math:`\xi_j` (drawn from the child ``(s,)`` of ``seed``, so the numbers do not depend on
    how the series are chunked). After each step ``j = 0..N`` (``j = 0``: the start),
    ``reduce(chunk, j, F)`` receives the outputs ``F`` of shape (V, len(chunk), P, p) of the
    series ``chunk`` (a slice).

    Raises
    ------
    srnnkit.DivergenceError
        When a state becomes NaN or infinite (naming the step).
    """
    from dataclasses import replace

    from ..dynamics import EulerStep, make_guard

    V, S, N, _ = inputs.shape
    P, n = h0.shape[1], h0.shape[2]
    step = EulerStep(model, dt)
    root = as_seed_sequence(seed)
    # the core's divergence rule (a bound from the model's state scale, NaN included)
    guard = replace(make_guard(model, dt, "the test inputs", n_steps=N, inputs=inputs,
                               kick=float(np.sqrt((h0 * h0).sum(axis=-1)).max(initial=0.0))),
                    counts=False)
    per = max(1, _CHUNK_FLOATS // max(1, V * P * n))
    for lo in range(0, S, per):
        chunk = slice(lo, min(S, lo + per))
        rngs = [np.random.default_rng(seed_child(root, s))
                for s in range(chunk.start, chunk.stop)]
        H = np.broadcast_to(h0[chunk], (V, *h0[chunk].shape)).copy()      # (V, c, P, n)
        reduce(chunk, 0, model.output(H))
        for j in range(N):
            xi = np.stack([g.standard_normal((P, step.r)) for g in rngs])   # (c, P, r)
            with np.errstate(over="ignore", invalid="ignore"):
                H = step(H, xi, u=inputs[:, chunk, j][:, :, None, :])
            guard.check(H, j + 1)
            reduce(chunk, j + 1, model.output(H))
