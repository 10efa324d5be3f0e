"""The dynamics core: one definition of how an SRNN moves.

Everything that advances an SRNN goes through here: the activation table, the drift (both
input modes), the Euler-Maruyama step (NumPy form for vectorised ensembles, compiled loops
for blocks of paths and long stationary runs, mirrored by the CUDA kernels), the stationary
start and its burn-in rule, the streaming mean/variance accumulator, and the divergence guard.
:mod:`srnnkit.simulate`, the Monte Carlo estimators of :mod:`srnnkit.response` and the
reservoirs of :mod:`srnnkit.learning` are built on it.

This is the library's internal API (not part of the public contract of docs/api); names are
imported lazily, so ``import srnnkit.dynamics`` compiles nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ACTIVATIONS": "._activations",
    "ACTIVATION_NAMES": "._activations",
    "Activation": "._activations",
    "activation": "._activations",
    "EulerStep": "._drift",
    "drift": "._drift",
    "BURN_IN_FLOORS": "._burn_in",
    "burn_in_steps": "._burn_in",
    "relaxation_rate": "._burn_in",
    "DivergenceError": "._divergence",
    "MARGIN": "._divergence",
    "StateBound": "._divergence",
    "divergence_message": "._divergence",
    "state_bound": "._divergence",
    "em_unit": "._em_loops",
    "advance_block": "._em_loops",
    "run_chains": "._em_loops",
    "advance_chains": "._em_loops",
    "run_rows": "._em_loops",
    "advance_rows": "._em_loops",
    "run_shared": "._em_loops",
    "Guard": "._ensembles",
    "make_guard": "._ensembles",
    "map_blocks": "._ensembles",
    "map_chains": "._ensembles",
    "stationary_sampler": "._ensembles",
    "run_chain_group": "._ensembles",
    "Moments": "._moments",
    "batch_moments": "._moments",
    "chain_moments": "._moments",
    "CHAIN_GROUP": "._blocks",
    "ENSEMBLE_BLOCK": "._blocks",
    "PATH_BLOCK": "._blocks",
    "block_sizes": "._blocks",
    "StepArrays": "._spec",
    "step_arrays": "._spec",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
