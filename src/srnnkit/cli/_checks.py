"""What the report flags: measured results that are wrong or unresolved.

Each function takes a stage's ``metrics`` (the numbers the report prints) and returns a list
of one-line problems: what was measured, the threshold it missed, and what to change. They
are pure functions of the metrics so that they are tested without running the pipeline.
"""

from __future__ import annotations

import math
from typing import Any

from ..analysis._result import resolution_threshold

__all__ = ["fit_problems", "kernel_problems", "resolution_threshold", "response_problems",
           "simulate_problems", "volterra_problems"]

#: an entry below this many standard errors is not distinguishable from zero
RESOLVED_Z = 3.0
#: median |z| between two estimators of the same kernel beyond which they disagree
AGREE_Z = 3.0


def _num(metrics: dict, key: str) -> float | None:
    v = metrics.get(key)
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def simulate_problems(m: dict[str, Any]) -> list[str]:
    """The ensemble mean must be resolved: ±2 SE below a tenth of the mean's range."""
    big = _num(m, "max |mean|")
    if big is not None and big > 1e6:
        return [f"the mean output reaches {big:.3g}: the simulation has most likely diverged "
                "(an Euler-Maruyama step too large for the network's fastest time scale); "
                "lower simulation.dt."]
    se, span = _num(m, "max_stderr"), _num(m, "mean range")
    if se is not None and span is not None and 2 * se > 0.1 * span:
        return [f"the ensemble mean is noisy: ±2 standard errors ({2 * se:.2g}) exceed a "
                f"tenth of the mean's range ({span:.2g}); raise simulation.n_paths."]
    return []


def response_problems(m: dict[str, Any], linear: bool = False) -> list[str]:
    """Kernels resolved, independent estimators in agreement (``linear``: the network's
    second-order kernel is zero, a linear network's or an odd one's: nothing to resolve)."""
    out = []
    for key, value in m.items():
        if not key.startswith("median |z| ") or not isinstance(value, (int, float)):
            continue
        label = key[len("median |z| "):].replace(" vs perturbation", "")
        if value > AGREE_Z:
            cause = ("the score it uses is not that of this network's stationary law "
                     "(the quasi-Gaussian score is biased for a nonlinear network; a learned "
                     "score may need more samples or features); trust perturbation and "
                     "Girsanov" if label.startswith("FDT") else
                     "one of them is biased or undersampled: raise response.n_paths and "
                     "response.fdt_steps")
            out.append(f"{label} and perturbation disagree: median |difference|/SE is "
                       f"{value:.3g} over the lags (> {AGREE_Z:g}); {cause}.")
    z1 = _num(m, "R max |entry|/SE perturbation")
    if z1 is not None and z1 < RESOLVED_Z:
        out.append(f"the first-order kernel is not resolved: its largest |entry|/SE is "
                   f"{z1:.3g} (< {RESOLVED_Z:g}); raise response.n_paths.")
    z2 = _num(m, "R2 max |entry|/SE")
    level = _num(m, "R2 resolution threshold") or RESOLVED_Z
    if z2 is not None and z2 < level and not linear:
        out.append(f"the second-order kernel is not resolved: its largest |entry|/SE is "
                   f"{z2:.3g}, below {level:.3g} (what noise alone reaches with 1% "
                   "probability over its entries, with standard errors from its runs' "
                   "spread), so its map cannot be told from noise; raise "
                   "response.fdt_steps (the SE falls like 1/sqrt), or the network's "
                   "second-order response is too weak to see (a nearly linear network).")
    return out


def volterra_problems(m: dict[str, Any], linear: bool = False, odd: bool = False
                      ) -> list[str]:
    """Truncation errors must fall like ε² and ε³; order 2 must match Monte Carlo (for a
    linear default network order 1 is exact: its errors are noise, with no slope; for an odd
    one the order-2 term vanishes and order 1's error falls like ε³)."""
    out = []
    for key, theory, tol, where in (
            ("V2 order-1 slope", 2.0, 0.3, "the 1-D V2 network (exact grid)"),
            ("V2 order-2 slope", 3.0, 0.3, "the 1-D V2 network (exact grid)"),
            ("default order-1 slope", 3.0 if odd else 2.0, 0.4,
             "the default network (Monte Carlo)")):
        v = _num(m, key)
        if linear and "default" in key:
            continue
        if v is not None and abs(v - theory) > tol:
            hint = (" The smallest amplitudes may be below the Monte Carlo noise: raise "
                    "volterra.n_paths or the amplitudes." if "default" in key else "")
            out.append(f"{key} is {v:.3g}, off its theory value {theory:g} (±{tol:g}) for "
                       f"{where}.{hint}")
    e2, se = _num(m, "V2 max error order 2 vs MC"), _num(m, "V2 max MC SE")
    if e2 is not None and se is not None and e2 > 5 * se + 1e-4:
        out.append(f"the order-2 Volterra prediction of V2 is {e2:.2g} from common-random-"
                   f"numbers Monte Carlo, more than 5 standard errors ({5 * se:.2g}).")
    return out


def kernel_problems(m: dict[str, Any]) -> list[str]:
    """The Gram matrix must be symmetric, PSD, informative, and equal the feature Gram."""
    out = []
    top = _num(m, "top eigenvalue / trace")
    if top is not None and top > 0.99:
        out.append(f"the Gram matrix is nearly constant: its top eigenvalue holds "
                   f"{100 * top:.2f}% of the trace, so the kernel barely tells the series "
                   "apart; rescale the inputs or change features.basis / degree.")
    low = _num(m, "min eigenvalue / trace")
    if low is not None and low < -1e-8:
        out.append(f"the Gram matrix is not positive semi-definite (min eigenvalue / trace "
                   f"{low:.3g}); raise kernel.dyadic_order.")
    asym = _num(m, "symmetric max abs")
    if asym is not None and asym > 0:
        out.append(f"the Gram matrix is not symmetric (max |K - Kᵀ| = {asym:.3g}).")
    for key, value in m.items():
        if key.endswith("kernel vs feature Gram max rel diff") and isinstance(value, float) \
                and not value < 1e-8:
            out.append(f"the truncated kernel differs from the feature Gram by {value:.3g} "
                       "(relative; expected equal to rounding).")
    return out


def fit_problems(m: dict[str, Any]) -> list[str]:
    """A learner must beat the trivial predictor (the majority class or the mean); test series
    of a class absent from the training set are flagged (they cannot be predicted)."""
    out = []
    if _num(m, "test target SD") == 0:
        out.append("the test targets are constant, so the NRMSE (the RMSE over their spread) "
                   "is undefined; the RMSE is reported instead.")
    chance = _num(m, "majority-class rate")
    unseen, n_test = _num(m, "test series of classes absent from training"), _num(m, "n_test")
    if unseen and n_test:
        names = ", ".join(repr(c) for c in m.get("classes absent from training", [])[:5])
        out.append(f"{unseen:.0f} of {n_test:.0f} test series are of classes absent from the "
                   f"training set ({names}): no classifier trained on it predicts them, so "
                   f"they count as errors (the accuracy is at most {1 - unseen / n_test:.3g}).")
    for key, value in m.items():
        if key.endswith(" accuracy") and chance is not None and isinstance(value, float) \
                and value <= chance:
            out.append(f"{key[:-len(' accuracy')]} is no better than always predicting the "
                       f"majority class (accuracy {value:.3g} <= {chance:.3g}).")
        if key.endswith(" NRMSE") and isinstance(value, float) and not math.isfinite(value):
            # found by a held-out check: predictions beyond the float range read "NRMSE nan >= 1"
            out.append(f"{key[:-len(' NRMSE')]} has no NRMSE: its test predictions are not "
                       "finite numbers (series or targets near the float range?).")
        elif key.endswith(" NRMSE") and isinstance(value, float) and not value < 1.0:
            out.append(f"{key[:-len(' NRMSE')]} is no better than predicting the mean "
                       f"(NRMSE {value:.3g} >= 1).")
    base = _num(m, "linear ridge on the raw series NRMSE")
    for key, value in m.items():
        if base is not None and key.endswith(" NRMSE") and not key.startswith("linear") \
                and isinstance(value, float) and value > base:
            out.append(f"{key[:-len(' NRMSE')]} is worse than a linear ridge on the raw series "
                       f"(NRMSE {value:.3g} > {base:.3g}): the task is mostly linear in the "
                       "recent inputs, or the learner's memory or amplitude does not suit "
                       "it.")
    return out
