"""The cost estimate of a :func:`srnnkit.simulate` call (see :mod:`srnnkit._cost`).

Work: ``n_series x n_paths x (burn_in + n_steps)`` path-steps of the compiled block loop,
at a rate measured by simulating the same network (256 paths, a few milliseconds). When the
default burn-in is most of the work of a call longer than a few seconds, the call says so up
front (a :class:`~srnnkit.CostWarning` naming ``burn_in``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .. import _progress
from .._cost import CostEstimate, Part, Rate, per_unit, speedup
from ..dynamics._blocks import PATH_BLOCK
from ..dynamics._cost import flops, model_key

__all__ = ["simulate_cost"]


def sim_rate(plan: Any) -> Rate:
    """Seconds per path-step of ``plan``'s network in the compiled block loop."""
    model = plan.model
    B = int(min(PATH_BLOCK, plan.n_paths))
    prior = 2e-7 + 2e-9 * flops(model) + 2e-5 / B

    def measure() -> float:
        from .._parallel import Runner
        from ._cpu import run_cpu

        def run(k: int) -> None:
            small = replace(plan, u=None, batched=False, n_steps=k, n_paths=B, burn_in=0,
                            save="mean", state_idx=np.arange(k + 1), h0_arr=None,
                            seed=np.random.SeedSequence(0))
            run_cpu(small, Runner())
        return per_unit(run, lambda k: B * k, k0=8, k_max=1 << 20)

    return Rate(("simulate", *model_key(model), plan.method, plan.step.affine, B), prior,
                measure)


def simulate_cost(plan: Any, n_threads: int, default_burn_in: bool) -> CostEstimate:
    """The estimate of a planned ``simulate`` call on ``n_threads`` threads."""
    S, N, L, burn = plan.n_series, plan.n_paths, plan.n_steps, plan.burn_in
    rate = sim_rate(plan)
    per = f"{N} path{'s' if N > 1 else ''}" + (f" x {S} series" if S > 1 else "")
    parts = []
    if burn:
        parts.append(Part(f"{burn} burn-in steps x {per}", "burn_in", S * N * burn, rate,
                          S * N * burn))
    parts.append(Part(f"{L} steps x {per}", "n_paths or n_steps", S * N * L, rate, S * N * L))
    n_tasks = S * -(-plan.n_blocks // (plan.paths_per_task // PATH_BLOCK))
    est = CostEstimate("simulate", parts, speedup=speedup(n_threads, n_tasks))
    if burn and default_burn_in:
        est.notes.append(_burn_in_note(plan))
        if burn > L:     # the burn-in dominates: say so for any call worth a progress bar
            est.warn_seconds = _progress.AUTO_SECONDS
    return est


def _burn_in_note(plan: Any) -> str:
    from ..dynamics._burn_in import BURN_IN_FLOORS, relaxation_rate

    rate = relaxation_rate(plan.model, BURN_IN_FLOORS["simulate"])
    return (f"The default burn-in runs {plan.burn_in} unperturbed steps "
            f"({plan.burn_in * plan.dt:.3g} time units: ten relaxation times 1/{rate:.3g}) "
            "before time 0 so that a nonlinear network starts from its stationary law; pass "
            "burn_in= to choose it (0 starts at h0).")
