"""First- and second-order kernels of a network by two independent estimators.

Perturbation with common random numbers (kicks through the drift, docs/theory.md §7(a) and
§11) in ``n_batches`` independent batches, and Girsanov likelihood-ratio weights along
stationary runs (§7(c), with the state-dependent weight of §11). Both come from
:mod:`srnnkit.response`; this module only sizes, seeds and combines them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._random import child_sequences

__all__ = ["KernelEstimates", "estimate_kernels", "pool_batches"]


@dataclass
class KernelEstimates:
    """Kernels of one network by perturbation (``batches`` combined) and Girsanov.

    Parameters
    ----------
    first, second : dict of str to ResponseFunction
        ``"perturbation"`` and ``"girsanov"`` estimates of the order-1 and order-2 kernels
        (Girsanov is missing where its weights do not exist; ``notes`` says why).
    batches : list of (ResponseFunction, ResponseFunction)
        The independent perturbation batches as ``(first, second)`` pairs.
    notes : list of str
        Why an estimate is missing.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> from srnnkit.analysis import estimate_kernels, make_plan
    >>> plan = make_plan(model, 0.1, n_steps=10, n_available=0, slow_steps=6.2,
    ...                  budget=0.001, burn_in=0)
    >>> est = estimate_kernels(model, 0.1, plan, seed=0)
    >>> sorted(est.first), len(est.batches)
    (['girsanov', 'perturbation'], 8)
    >>> exact = sk.response.linear_response(model, dt=0.1, n_lags=plan.n_lags,
    ...                                     discrete=True)
    >>> bool(np.allclose(est.first["perturbation"].values, exact.values))  # CRN, linear
    True
    """

    first: dict[str, Any]
    second: dict[str, Any]
    batches: list[tuple[Any, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def pool_batches(parts: list[Any]) -> Any:
    """One estimate from independent equal-size batches: the mean of the batch means, with
    standard error ``sqrt(sum se_b**2) / B``."""
    from ..response import ResponseFunction

    B = len(parts)
    values = np.mean([r.values for r in parts], axis=0)
    se = np.sqrt(np.sum([r.stderr ** 2 for r in parts], axis=0)) / B
    info = dict(parts[0].info)
    info.update(n_paths=int(sum(r.info.get("n_paths", 0) for r in parts)), n_batches=B,
                seed=[r.info.get("seed") for r in parts])
    return ResponseFunction(values, dt=parts[0].dt, stderr=se, method=parts[0].method,
                            order=parts[0].order, discrete=parts[0].discrete, info=info)


def estimate_kernels(model: Any, dt: float, plan: Any, seed: Any, *,
                     burn_in: int | None = None, n_jobs: int | None = None) -> KernelEstimates:
    """Both estimators at both orders with the sizes of ``plan`` (an :class:`AnalysisPlan`).

    Seed children: 0 the first-order perturbation batches, 1 the second-order ones, 2 and 3
    the Girsanov estimates of order 1 and 2.

    Parameters
    ----------
    model : SRNN
    dt : float
        The Euler-Maruyama step and lag spacing.
    plan : AnalysisPlan
        Windows and sample sizes (:func:`make_plan`).
    seed : int, Generator, SeedSequence or None
    burn_in : int, optional
        Burn-in steps of every stationary draw (default: the library's rule).
    n_jobs : int, optional
        Threads of the estimators.

    Returns
    -------
    KernelEstimates

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.5]], C=[[1.0]], sigma=0.3, gamma=2.0, activation="identity")
    >>> from srnnkit.analysis import estimate_kernels, make_plan
    >>> plan = make_plan(model, 0.1, n_steps=10, n_available=0, slow_steps=6.2,
    ...                  budget=0.001, burn_in=0)
    >>> est = estimate_kernels(model, 0.1, plan, seed=0)
    >>> sorted(est.first), len(est.batches)
    (['girsanov', 'perturbation'], 8)
    >>> exact = sk.response.linear_response(model, dt=0.1, n_lags=plan.n_lags,
    ...                                     discrete=True)
    >>> bool(np.allclose(est.first["perturbation"].values, exact.values))  # CRN, linear
    True
    """
    from ..response import linear_response, second_order_response

    s_p1, s_p2, s_g1, s_g2 = child_sequences(seed, 4)
    B = plan.n_batches
    kw = dict(dt=dt, burn_in=burn_in, n_jobs=n_jobs)
    firsts = [linear_response(model, n_lags=plan.n_lags, method="perturbation",
                              n_paths=plan.perturbation_paths // B, seed=s, **kw)
              for s in child_sequences(s_p1, B)]
    seconds = [second_order_response(model, n_lags=plan.second_lags, method="perturbation",
                                     n_paths=plan.perturbation2_paths // B, seed=s, **kw)
               for s in child_sequences(s_p2, B)]
    est = KernelEstimates(first={"perturbation": pool_batches(firsts)},
                          second={"perturbation": pool_batches(seconds)},
                          batches=list(zip(firsts, seconds, strict=True)))
    try:
        est.first["girsanov"] = linear_response(
            model, n_lags=plan.n_lags, method="girsanov", n_chains=plan.girsanov_chains,
            n_steps=plan.girsanov_steps, seed=s_g1, **kw)
        est.second["girsanov"] = second_order_response(
            model, n_lags=plan.second_lags, method="girsanov", n_chains=plan.girsanov2_chains,
            n_steps=plan.girsanov2_steps, seed=s_g2, **kw)
    except ValueError as err:        # no Girsanov weights: range G(h) not in range sigma
        if "range" not in str(err) and "sigma" not in str(err):
            raise
        est.notes.append(f"Girsanov weights do not exist for this network ({err}); only "
                         "the perturbation estimates are available.")
    return est
