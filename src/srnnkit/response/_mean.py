r"""The stationary mean :math:`\langle f\rangle_\infty` of :meth:`VolterraSeries.from_model`.

Exact where it is known (a linear SRNN with a linear or quadratic readout: the Euler-Maruyama
chain's own moments). Otherwise, by default, the time average of ``f`` along independent
stationary runs sized like the call's own runs (``n_chains`` runs of ``n_steps`` steps, the
defaults of the FDT and Girsanov estimators: 16 runs of ``max(20000, 50 n_lags)`` steps),
with the standard error across runs. A time average uses every step of a run after one
burn-in, where independent stationary draws (``mean_paths=``) pay a whole burn-in per sample:
for a 32-unit tanh network the default costs about as much as the Girsanov kernel itself,
where 100,000 draws cost minutes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._parallel import Runner
from .._random import SeedLike
from ..dynamics._ensembles import map_chains
from ..dynamics._moments import Moments

__all__ = ["exact_mean_known", "mean_runs_sizes", "stationary_mean_runs"]


def exact_mean_known(model: Any) -> bool:
    """Whether the EM chain's :math:`\\langle f\\rangle` has a closed form."""
    return bool(model.is_linear and getattr(model.readout, "kind", "") in (
        "linear", "identity", "quadratic"))


def mean_runs_sizes(method: str, n_paths: Any, n_chains: Any, n_steps: Any, n_lags: int
                    ) -> tuple[int, int]:
    """``(runs, steps)`` of the default mean: the call's stationary runs (FDT, Girsanov,
    pathwise, mixed), or the defaults of those estimators (ensemble methods)."""
    from ._api import DEFAULT_PATHS, _chain_length

    if method in ("fdt", "girsanov", "pathwise", "mixed"):     # the methods of long runs
        count = n_chains if n_chains is not None else n_paths
    else:
        count, n_steps = None, None
    count = DEFAULT_PATHS["chains"] if count is None else int(count)
    return count, _chain_length(n_steps, n_lags)


def stationary_mean_runs(model: Any, dt: float, n_chains: int, n_steps: int, seed: SeedLike,
                         burn_in: int | None, par: Runner) -> tuple[np.ndarray, np.ndarray]:
    """Time average of ``f`` over ``n_chains`` stationary runs of ``n_steps`` steps and its
    standard error across runs (the runs are independent; each run is one sample).

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit._parallel import Runner
    >>> from srnnkit.response._mean import stationary_mean_runs
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> mean, se = stationary_mean_runs(model, 0.05, 4, 2000, 0, None, Runner())
    >>> mean.shape, se.shape
    ((1,), (1,))
    """
    from .._threads import single_threaded_blas

    acc = Moments((model.n_outputs,))

    def body(states: np.ndarray, _xi: np.ndarray) -> np.ndarray:
        return model.output(states[:, 1:]).mean(axis=1)          # (B, p)

    with single_threaded_blas(), np.errstate(over="ignore", invalid="ignore"):
        for est in map_chains(par, body, model, dt, n_chains, n_steps, seed, burn_in):
            acc.add(est, axis=0)
    return acc.mean, acc.stderr()


def from_model_mean(model: Any, dt: float, n_lags: int, method: str, sizes: dict[str, Any],
                    seed: SeedLike, par: Runner) -> tuple[np.ndarray, np.ndarray | None]:
    """``(mean, stderr)`` of :meth:`VolterraSeries.from_model` for a Monte Carlo ``method``:
    ``mean_paths`` stationary draws when given, else the closed form or the runs of the
    module docstring. ``sizes`` holds ``mean_paths``, ``n_paths``, ``n_chains``, ``n_steps``
    and ``burn_in`` as the user gave them."""
    from .._validation import check_int
    from ..model._linear import analytic_output_mean
    from ._api import check_burn_in
    from ._montecarlo import stationary_output_mean

    burn_in = check_burn_in(sizes.get("burn_in"))
    if sizes.get("mean_paths") is not None:
        n = check_int("mean_paths", sizes["mean_paths"], low=2)
        return stationary_output_mean(model, dt, n, seed, burn_in, par)
    if exact_mean_known(model):
        return analytic_output_mean(model, dt), None
    K, L = mean_runs_sizes(method, sizes.get("n_paths"), sizes.get("n_chains"),
                           sizes.get("n_steps"), n_lags)
    return stationary_mean_runs(model, dt, K, L, seed, burn_in, par)
