"""Monte Carlo ensembles of the response estimators on the dynamics core.

The estimators stream over fixed-size blocks of paths (:data:`ENSEMBLE_BLOCK`) or over
independent long stationary runs (chains, in groups of :data:`CHAIN_GROUP`); each block or run
draws from its own ``SeedSequence`` child, addressed by index, and the execution layer
(:class:`srnnkit._parallel.Runner`) hands results back in order, so every estimate is
reproducible from its seed whatever the scheduling. The stationary start is an exact draw
for a linear SRNN and a burn-in from ``h = 0`` otherwise (the estimators' rule of
:func:`burn_in_steps`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._parallel import Runner, quiet
from .._random import SeedLike, child_sequences
from ._blocks import CHAIN_GROUP, ENSEMBLE_BLOCK, block_sizes
from ._burn_in import BURN_IN_FLOORS, burn_in_steps
from ._drift import EulerStep
from ._spec import step_arrays

__all__ = ["check_final", "default_burn_in", "map_blocks", "map_chains", "run_chain_group",
           "stationary_sampler"]

#: below this many paths the compiled loop beats NumPy's per-step overhead
_VECTOR_MIN = 256
#: float64 numbers a long-run batch may hold at once
_MEMORY_FLOATS = 2 ** 24


def default_burn_in(model: Any, dt: float) -> int:
    """Burn-in steps of the estimators for a nonlinear SRNN started at ``h = 0``: ten
    relaxation times with the rate floored at a tenth of the leak rate (the rule of
    :func:`burn_in_steps`; 50 time units for the V2 tanh SRNN, whose contraction bound is
    0.2)."""
    return burn_in_steps(model, dt, floor=BURN_IN_FLOORS["estimators"], slack=0.0)


def map_blocks(runner: Runner, body: Callable, n_paths: int, seed: SeedLike,
               block_size: int = ENSEMBLE_BLOCK) -> Iterator:
    """``body(size, rng)`` for each fixed-size block of an ensemble, in block order."""
    sizes = block_sizes(n_paths, block_size)
    items = list(zip(sizes, child_sequences(seed, len(sizes)), strict=True))
    return runner.map(lambda it: body(it[0], np.random.default_rng(it[1])), items)


def map_chains(runner: Runner, body: Callable, model: Any, dt: float, n_chains: int,
               n_steps: int, seed: SeedLike, burn_in: int | None) -> Iterator:
    """``body(states, noises)`` for groups of independent stationary runs, in order."""
    per_chain = (n_steps + 1) * (model.n_hidden + model.n_noise + model.n_outputs
                                 + 4 * model.n_inputs)
    # fixed-size groups (not a function of n_jobs), so sums are folded identically
    group = int(max(1, min(CHAIN_GROUP, _MEMORY_FLOATS // per_chain)))
    kids = child_sequences(seed, n_chains)
    items = [kids[i:i + group] for i in range(0, n_chains, group)]
    return runner.map(lambda seqs: body(*run_chain_group(model, dt, n_steps, seqs, burn_in)),
                      items)


def _diverged(where: str, dt: float) -> None:
    from ..dynamics._divergence import DivergenceError

    raise DivergenceError(
        f"the simulated state became NaN or infinite {where} with dt={dt}. The Euler-Maruyama "
        "step is unstable for this dt or the network is not dissipative: use a smaller dt, "
        "smaller weights or kicks (eps), or a larger gamma.")


def check_states(states: np.ndarray, dt: float, what: str) -> None:
    """``states`` (..., n_steps+1, n): raise naming the first non-finite step."""
    ok = np.isfinite(states).reshape(-1, states.shape[-2], states.shape[-1]).all(axis=(0, 2))
    if not ok.all():
        step = int(np.argmin(ok))
        _diverged(f"at step {step} (t = {step * dt:.6g}) of {what}", dt)


def check_final(h: np.ndarray, dt: float, n_steps: int, what: str) -> None:
    if not np.all(np.isfinite(h)):
        _diverged(f"within the {n_steps} steps of {what}", dt)


def stationary_sampler(model: Any, dt: float, burn_in: int | None
                       ) -> Callable[[np.random.Generator, int], np.ndarray]:
    """Return ``draw(rng, size) -> (size, n)`` states from the EM chain's stationary law.

    Linear SRNNs: exact draws from :math:`N(m_\\infty, \\Sigma_\\Delta)`.  Nonlinear SRNNs:
    start at 0 and run ``burn_in`` steps (default :func:`default_burn_in`).
    """
    n = model.n_hidden
    if model.is_linear and burn_in is None:
        from ..model._linear import psd_sqrt, stationary_covariance

        S = stationary_covariance(model, dt)
        try:
            L = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:  # degenerate noise: a PSD square root still works
            L = psd_sqrt(S)
        m = model.stationary_mean()

        def draw(rng: np.random.Generator, size: int) -> np.ndarray:
            return m + rng.standard_normal((size, n)) @ L.T
        return draw
    n_burn = default_burn_in(model, dt) if burn_in is None else int(burn_in)
    args = chain_arrays(model, dt)
    r = model.n_noise

    step = EulerStep(model, dt)

    @quiet
    def draw_burn(rng: np.random.Generator, size: int) -> np.ndarray:
        h = np.zeros((size, n))
        if size >= _VECTOR_MIN:  # wide blocks: NumPy's SIMD activations beat scalar loops
            for _ in range(n_burn):
                h = step(h, rng.standard_normal((size, r)))
            check_final(h, dt, n_burn, "the burn-in")
            return h
        from ..dynamics._em_loops import advance_chains  # numba: imported on first use only

        chunk = int(max(1, min(n_burn, _MEMORY_FLOATS // (8 * size * r))))
        done = 0
        while done < n_burn:
            k = min(chunk, n_burn - done)
            xi = rng.standard_normal((k, size, r))    # the same stream as k per-step draws
            advance_chains(h, np.ascontiguousarray(xi.transpose(1, 0, 2)), *args)
            done += k
        check_final(h, dt, n_burn, "the burn-in")
        return h
    return draw_burn


def chain_arrays(model: Any, dt: float) -> tuple[tuple, tuple]:
    """``(drift, noise)`` of the compiled per-path loops (:func:`run_chains`)."""
    st = step_arrays(model, dt, affine=False)
    return st.chain_drift, st.noise


def run_chain_group(model: Any, dt: float, n_steps: int, seqs: list, burn_in: int | None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Stationary runs, one per ``SeedSequence`` in ``seqs``: states (B, n_steps+1, n) and
    noises (B, n_steps, r).  Run ``i`` uses ``seqs[i]`` only, so grouping changes nothing."""
    from ..dynamics._em_loops import run_chains

    draw = stationary_sampler(model, dt, burn_in)
    args = chain_arrays(model, dt)
    rngs = [np.random.default_rng(ss) for ss in seqs]
    h = np.concatenate([draw(g, 1) for g in rngs], axis=0)                  # (B, n)
    xi = np.stack([g.standard_normal((n_steps, model.n_noise)) for g in rngs])  # (B, L, r)
    states = np.empty((len(rngs), n_steps + 1, model.n_hidden))
    run_chains(h, xi, *args, states)
    check_states(states, dt, "a stationary run")
    return states, xi


