r"""Reading trained networks through their response kernels.

:func:`analyze_network` takes an SRNN (or a fitted ``NoisyRNNClassifier`` /
``NoisyRNNRegressor``) and measures, in the setting of the theory (the network started in
its stationary law, docs/theory.md §1-§2, §7, §11):

- its first- and second-order kernels per input channel and output, by perturbation with
  common random numbers and by Girsanov weights, and their entry-by-entry agreement
  (:func:`compare_kernels`, z-scores);
- how much of its mean output on test inputs the order-1 and order-2 Volterra series
  capture, against Monte Carlo (:func:`volterra_capture`);
- its memory: the decay of :math:`\|r_1\|` and the time constants of the linearised drift
  (:func:`network_memory`, :func:`linearized_drift`);
- its robustness to white input noise, predicted from the kernel and measured
  (:func:`robustness`, :func:`predicted_output_covariance`).

The parts are public so that each can be used (and tested) on its own; the result objects
are plain dataclasses. Figures: :func:`plot_analysis`.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "AnalysisPlan": "._plan",
    "make_plan": "._plan",
    "KernelAgreement": "._agreement",
    "compare_kernels": "._agreement",
    "KernelEstimates": "._kernels",
    "estimate_kernels": "._kernels",
    "shrink_kernel": "._kernels",
    "shrink_weights": "._kernels",
    "Memory": "._memory",
    "network_memory": "._memory",
    "linearized_drift": "._memory",
    "VolterraCapture": "._capture",
    "volterra_capture": "._capture",
    "Robustness": "._robustness",
    "robustness": "._robustness",
    "predicted_output_covariance": "._robustness",
    "NetworkAnalysis": "._result",
    "analyze_network": "._analyze",
    "plot_analysis": "._figures",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'srnnkit.analysis' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
