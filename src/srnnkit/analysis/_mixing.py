r"""Do independent stationary runs of a network sample one law? A between/within check.

Every estimator of the analysis reads "the stationary law" from runs started at
:math:`h = 0` and burnt in. A network with several stable states that the noise switches
between too rarely has no such law on any time scale the runs reach: each run settles in
one state, and an estimate is the mixture its starts happen to reach (perturbation with
thousands of starts, Girsanov with tens of runs), so the estimators can disagree beyond
their standard errors. The check runs ``M`` independent stationary runs, splits each into
``b`` consecutive batches and compares the spread of the runs' mean outputs with what each
run's own fluctuations explain: the statistic of :mod:`srnnkit.dynamics._agreement`
(:math:`F(M-1, M(b-1))` when the runs mix), which the chain-based estimators also compute
on their own runs. Here the runs are many (64) and short, so that a minority state is
reached by some of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dynamics._agreement import RunAgreement, agreement, batch_means
from ..dynamics._moments import _geyer_tau

__all__ = ["MixingCheck", "check_mixing"]

#: runs and batches per run of the check; each run is ``RUN_BURNS`` burn-ins long
N_RUNS, N_BATCHES, RUN_BURNS = 64, 2, 4
#: a burn-in under this many integrated autocorrelation times of the output is too short
#: (the library's rule gives 13-28 on drawn networks; found by fuzzing: a trained bistable
#: 1-unit network with 0.57 had a perturbation kernel 7.6 SE off the exact one)
MIN_BURN_TAUS = 5.0
#: a burn-in found too short is raised to this many autocorrelation times
BURN_TAUS = 10.0


@dataclass
class MixingCheck(RunAgreement):
    """Result of `check_mixing`: a `RunAgreement` (``ratio``, ``threshold``, ``run_means``)
    with the runs' own scale.

    Parameters
    ----------
    run_sd : ndarray of shape (p,)
        The outputs' standard deviation within a run (averaged over runs).
    n_steps : int
        Steps of each run (after its burn-in).
    tau : ndarray of shape (p,)
        The integrated autocorrelation time of each output in steps (Geyer's initial
        monotone sequence over the runs, centred on the mean of all of them).
    burn_in : int
        The burn-in of the runs (steps).
    raised_from : int or None
        Set by `analyze_network` when it raised its default burn-in to `BURN_TAUS` times
        ``tau`` (the default it replaced).
    """

    run_sd: np.ndarray | None = None
    n_steps: int = 0
    tau: np.ndarray | None = None
    burn_in: int = 0
    raised_from: int | None = None

    @property
    def suggested_burn_in(self) -> int:
        """`BURN_TAUS` autocorrelation times of the slowest output, in steps."""
        return math.ceil(BURN_TAUS * float(self.tau.max()))

    @property
    def burn_in_used(self) -> int:
        """The burn-in of the analysis: ``suggested_burn_in`` when it raised the default,
        else the runs' own."""
        return self.burn_in if self.raised_from is None else self.suggested_burn_in

    @property
    def burn_in_short(self) -> bool:
        """Whether the burn-in is under `MIN_BURN_TAUS` integrated autocorrelation times of
        the output: the runs' starts may not have reached the stationary law."""
        return self.tau is not None and self.burn_in < MIN_BURN_TAUS * float(self.tau.max())


def check_mixing(model: Any, dt: float, seed: Any, burn_in: int | None = None,
                 n_runs: int = N_RUNS, n_batches: int = N_BATCHES) -> MixingCheck:
    r"""Whether ``n_runs`` independent stationary runs of ``model`` sample one law.

    Each run starts where the estimators' runs start (at 0, burnt in by the library's rule
    unless ``burn_in`` is given), then runs ``RUN_BURNS`` burn-ins more (so each of its
    ``n_batches`` batches spans a burn-in, ten relaxation times by the rule) with its output
    recorded. See the module docstring for the statistic.

    Parameters
    ----------
    model : SRNN
        The network (nonlinear; a linear SRNN has one Gaussian stationary law).
    dt : float
        The Euler-Maruyama step.
    seed : int or SeedSequence
        Seed of the runs.
    burn_in : int, optional
        Burn-in steps (default: the library's rule).
    n_runs, n_batches : int
        Runs and batches per run.

    Returns
    -------
    check : MixingCheck

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.analysis._mixing import check_mixing
    >>> flip = sk.SRNN(W=[[3.0]], C=[[1.0]], sigma=0.1, input_mode="activation")
    >>> check_mixing(flip, 0.1, seed=0).agree          # two stable states, +-2.99
    False
    """
    from ..simulate import default_burn_in, simulate

    burn = default_burn_in(model, dt) if burn_in is None else int(burn_in)
    n_steps = max(RUN_BURNS * max(burn, 1), 50 * n_batches)
    traj = simulate(model, None, dt=dt, n_steps=n_steps, n_paths=n_runs, seed=seed,
                    save="paths", burn_in=burn)
    F = np.asarray(traj.outputs)[:, 1:]                                # (M, T, p)
    check = agreement(batch_means(F, n_batches))
    dev = F - F.reshape(-1, F.shape[-1]).mean(axis=0)
    tau = _geyer_tau(dev, np.einsum("ksj,ksj->j", dev, dev))          # steps, per output
    return MixingCheck(ratio=check.ratio, threshold=check.threshold,
                       run_means=F.mean(axis=1), run_sd=F.std(axis=1).mean(axis=0),
                       n_steps=n_steps, tau=tau, burn_in=burn)
