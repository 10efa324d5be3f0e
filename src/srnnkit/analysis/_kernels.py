"""First- and second-order kernels of a network by two independent estimators.

Perturbation with common random numbers (kicks through the drift, docs/theory.md §7(a) and
§11) in ``n_batches`` independent batches, and Girsanov likelihood-ratio weights along
stationary runs (§7(c), with the state-dependent weight of §11). Both come from
:mod:`srnnkit.response`; this module only sizes, seeds and combines them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._random import child_sequences
from .._validation import check_array, fail

__all__ = ["KernelEstimates", "estimate_kernels", "pool_batches", "shrink_kernel",
           "shrink_weights"]


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


def shrink_weights(values: Any, stderr: Any) -> np.ndarray:
    r"""Entry-wise positive-part James-Stein (Wiener) weights of a noisy kernel estimate.

    An entry estimated as :math:`\hat r = r + \epsilon` with noise of standard error
    :math:`s` has the least mean-square multiple :math:`w\hat r` at
    :math:`w = r^2 / (r^2 + s^2)`; with the unbiased estimate :math:`\hat r^2 - s^2` of
    :math:`r^2` in its place,

    .. math:: w = \max\Bigl(0,\ 1 - \frac{s^2}{\hat r^2}\Bigr),

    which zeroes the entries within one standard error of zero and leaves the resolved ones
    (:math:`|\hat r| \gg s`) nearly unchanged. No constant is chosen: the rule uses only
    the estimate and its own standard error. Entries with :math:`s = 0` (exact) keep
    weight 1.

    Parameters
    ----------
    values, stderr : array_like of the same shape
        The estimate and its standard errors.

    Returns
    -------
    ndarray of the same shape, in [0, 1]

    Examples
    --------
    >>> from srnnkit.analysis import shrink_weights
    >>> shrink_weights([0.1, -0.2, 10.0, 0.0, 0.5], [0.1, 0.1, 0.1, 0.1, 0.0]).round(4)
    array([0.    , 0.75  , 0.9999, 0.    , 1.    ])
    """
    r = check_array("values", values)
    s = check_array("stderr", stderr, finite=False)
    if s.shape != r.shape:
        fail("stderr", f"an array of the shape of values, {r.shape}", s)
    if not np.all(s >= 0):                       # an infinite (unknown) one gives weight 0
        fail("stderr", "non-negative standard errors (inf for unknown)",
             float(s[~(s >= 0)].flat[0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.maximum(0.0, 1.0 - s * s / (r * r))
    return np.where(s > 0, np.nan_to_num(w, nan=0.0), 1.0)


def shrink_kernel(r: Any, weights: Any = None) -> Any:
    """A kernel estimate multiplied entry by entry by :func:`shrink_weights` (its own by
    default, or the given ``weights``); the standard errors are scaled alike (those of the
    shrunk estimate with the weights held fixed).

    Parameters
    ----------
    r : ResponseFunction
        An estimate with standard errors (without them it is returned unchanged).
    weights : ndarray, optional
        Weights to apply instead of ``r``'s own (e.g. those of a pooled estimate applied to
        each of its batches).

    Returns
    -------
    ResponseFunction

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import shrink_kernel
    >>> r = sk.response.ResponseFunction(np.array([0.05, 1.0, -3.0])[:, None, None], dt=0.1,
    ...                                  stderr=np.full((3, 1, 1), 0.1))
    >>> shrink_kernel(r).values.ravel().round(3)
    array([ 0.   ,  0.99 , -2.997])
    """
    from ..response import ResponseFunction

    if r.stderr is None and weights is None:
        return r
    w = shrink_weights(r.values, r.stderr) if weights is None else np.asarray(weights)
    se = None if r.stderr is None else r.stderr * w
    info = dict(r.info)
    info["shrunk"] = True
    return ResponseFunction(r.values * w, dt=r.dt, stderr=se, method=r.method, order=r.order,
                            discrete=r.discrete, info=info)


def shrink_batches(batches: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Independent ``(first, second)`` batches, each order multiplied by the
    :func:`shrink_weights` of the batches' pooled estimate (:func:`pool_batches`): their mean
    is the shrunk pooled kernel, and their spread the standard error of the shrunk
    kernel with its weights held fixed."""
    out = [list(pair) for pair in batches]
    for order in range(2):
        parts = [pair[order] for pair in batches]
        if any(r.stderr is None for r in parts):
            continue
        pooled = pool_batches(parts)
        w = shrink_weights(pooled.values, pooled.stderr)
        for pair, r in zip(out, parts, strict=True):
            pair[order] = shrink_kernel(r, w)
    return [(a, b) for a, b in out]


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
    from ..response import RunsDisagreeWarning, linear_response, second_order_response
    from ..response._weights import kinked_in_drift
    from ._plan import AnalysisPlan

    if not isinstance(plan, AnalysisPlan):
        fail("plan", "an AnalysisPlan (from make_plan)", type(plan).__name__, TypeError)
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
        with warnings.catch_warnings():      # reported below, beside the analysis's own check
            warnings.simplefilter("ignore", RunsDisagreeWarning)
            est.first["girsanov"] = linear_response(
                model, n_lags=plan.n_lags, method="girsanov", n_chains=plan.girsanov_chains,
                n_steps=plan.girsanov_steps, seed=s_g1, **kw)
            if kinked_in_drift(model):
                est.notes.append(
                    f"the second-order kernel is estimated by perturbation only: with the "
                    f"input inside a {model.activation!r} activation its coincident entries "
                    "carry a'' of the activation, a Dirac mass at the kink that Girsanov "
                    "weights cannot see, so no second independent estimate exists.")
            else:
                est.second["girsanov"] = second_order_response(
                    model, n_lags=plan.second_lags, method="girsanov",
                    n_chains=plan.girsanov2_chains, n_steps=plan.girsanov2_steps, seed=s_g2,
                    **kw)
        for order, rf in (("first", est.first["girsanov"]),
                          ("second", est.second.get("girsanov"))):
            if rf is None:
                continue
            runs = rf.info.get("runs", {"agree": True})
            if not runs["agree"]:
                est.notes.append(
                    f"Girsanov's {runs['n_runs']} stationary runs ({order} order) disagree "
                    f"beyond their own fluctuations (between/within ratio "
                    f"{runs['between/within']:.3g} > {runs['threshold']:.3g}): its {order}-order "
                    "standard errors are unreliable.")
    except ValueError as err:        # no Girsanov weights: range G(h) not in range sigma
        if "range" not in str(err) and "sigma" not in str(err):
            raise
        est.notes.append(f"Girsanov weights do not exist for this network ({err}); only "
                         "the perturbation estimates are available.")
    return est
