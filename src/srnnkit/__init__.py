"""srnnkit: stochastic RNNs and nonequilibrium response theory.

Implements S. H. Lim, "Understanding Recurrent Neural Networks Using
Nonequilibrium Response Theory", JMLR 22 (2021): SRNN ensembles, response
kernels four ways, Volterra series, response features (signatures of
``X = ∫ψ ⊗ u``), the response kernel and kernel machines.

Subpackages and heavy functions are imported lazily (PEP 562), so
``import srnnkit`` does no numerical work and compiles nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute or None for a module)
_LAZY: dict[str, tuple[str, str | None]] = {
    "SRNN": ("srnnkit.model", "SRNN"),
    "DissipativityWarning": ("srnnkit.model", "DissipativityWarning"),
    "simulate": ("srnnkit.simulate", "simulate"),
    "Trajectory": ("srnnkit.simulate", "Trajectory"),
    "DivergenceError": ("srnnkit.simulate", "DivergenceError"),
    "signature": ("srnnkit.signatures", "signature"),
    "signature_dim": ("srnnkit.signatures", "signature_dim"),
    "response_features": ("srnnkit.features", "response_features"),
    "save": ("srnnkit._io", "save"),
    "show_progress": ("srnnkit._progress", "show_progress"),
    "CostWarning": ("srnnkit._cost", "CostWarning"),
    "estimate_cost": ("srnnkit._cost", "estimate_cost"),
    "load": ("srnnkit._io", "load"),
    "model": ("srnnkit.model", None),
    "readouts": ("srnnkit.readouts", None),
    "simulation": ("srnnkit.simulate", None),
    "dynamics": ("srnnkit.dynamics", None),
    "response": ("srnnkit.response", None),
    "signatures": ("srnnkit.signatures", None),
    "features": ("srnnkit.features", None),
    "kernels": ("srnnkit.kernels", None),
    "learning": ("srnnkit.learning", None),
    "datasets": ("srnnkit.datasets", None),
    "plotting": ("srnnkit.plotting", None),
    "cli": ("srnnkit.cli", None),
    "nn": ("srnnkit.nn", None),
    "analysis": ("srnnkit.analysis", None),
}

__all__ = [
    "SRNN",
    "CostWarning",
    "DissipativityWarning",
    "DivergenceError",
    "Trajectory",
    "__version__",
    "estimate_cost",
    "features",
    "kernels",
    "load",
    "readouts",
    "response",
    "response_features",
    "save",
    "show_progress",
    "signature",
    "signature_dim",
    "signatures",
    "simulate",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'srnnkit' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
