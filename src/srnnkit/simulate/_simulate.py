"""``simulate``: Monte Carlo ensembles of an SRNN (Euler–Maruyama or exact linear).

A call is a plan (:mod:`._plan`: every argument checked, the step's arrays built) run on the
CPU (:mod:`._cpu`, blocks of 256 paths through the dynamics core's compiled loop) or the GPU
(:mod:`._cuda`), then turned into a :class:`Trajectory`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .._cost import running
from .._parallel import Runner
from .._random import SeedLike
from .._validation import fail
from ..dynamics._blocks import PATH_BLOCK
from ..dynamics._burn_in import BURN_IN_FLOORS, burn_in_steps
from ..dynamics._divergence import DivergenceError
from ..model import SRNN
from ._cost import simulate_cost
from ._cpu import run_cpu
from ._plan import SimulationPlan, make_plan
from ._trajectory import Trajectory

__all__ = ["BLOCK_SIZE", "default_burn_in", "simulate"]

#: Paths per random-number block: each block has its own SeedSequence child, so results do
#: not depend on ``chunk_size`` or on the number of threads.
BLOCK_SIZE = PATH_BLOCK


def default_burn_in(model: SRNN, dt: float) -> int:
    r"""Burn-in steps for a nonlinear SRNN started at zero: ten relaxation times.

    The relaxation rate is the contraction bound ``λ - Lip(a)·‖W‖₂``, with ``λ`` the smallest
    eigenvalue of the symmetric part of Γ, floored at ``λ/5`` (a network that is not provably
    contracting still forgets its start at the leak's pace, only slower), so the burn-in is
    ``10 / max(λ - Lip(a)‖W‖₂, λ/5)`` time units: at most 50 leak times (the rule of the
    dynamics core, :func:`srnnkit.dynamics.burn_in_steps`).

    .. math:: n_{\mathrm{burn}} = \Bigl\lceil \frac{10}{\max(\lambda - \mathrm{Lip}(a)
              \|W\|_2,\ \lambda/5)\,\Delta} \Bigr\rceil

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.

    Returns
    -------
    int
        Number of Euler steps to discard.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.simulate import default_burn_in
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])   # docs/theory.md §9.5 (V2)
    >>> default_burn_in(model, 0.02)                                 # 50 time units
    2500
    """
    return burn_in_steps(model, dt, floor=BURN_IN_FLOORS["simulate"])


def simulate(model: SRNN, inputs: Any = None, *, dt: float, n_steps: int | None = None,
             n_paths: int = 1, seed: SeedLike = None, h0: Any = "stationary",
             burn_in: int | None = None, method: str = "euler", save: str = "mean",
             save_every: int = 1, chunk_size: int | None = None,
             n_jobs: int | None = None, executor: Any = None,
             device: str = "cpu") -> Trajectory:
    r"""Simulate a Monte Carlo ensemble of an SRNN and its output.

    Euler–Maruyama (``method="euler"``, any SRNN), with input value ``u[j]`` acting on
    :math:`[t_j, t_{j+1})`:

    .. math:: h_{j+1} = h_j + \Delta\,[-\Gamma h_j + a(W h_j + b) + C u_j]
              + \sqrt{\Delta}\,\sigma\,\xi_j, \qquad \xi_j \sim N(0, I_r),

    or, for linear SRNNs, the exact Gaussian transition (``method="exact"``):
    :math:`h_{j+1} = e^{-A\Delta} h_j + \int_0^\Delta e^{-As}ds\,(b + C u_j) + \eta_j`,
    :math:`\eta_j \sim N(0, \Sigma - e^{-A\Delta}\Sigma e^{-A^\top\Delta})`.

    Parameters
    ----------
    model : SRNN
    inputs : None, array-like of shape (n_steps, m) or (n_series, n_steps, m)
        ``None`` simulates the unperturbed network (then ``n_steps`` is required). One
        series is shared by all paths; a batch gives every series its own ``n_paths`` paths.
    dt : float
        Time step.
    n_steps : int, optional
        Number of steps when ``inputs`` is None (must agree with ``inputs`` otherwise).
    n_paths : int, default=1
        Monte Carlo paths (per series).
    seed : int, numpy Generator, SeedSequence or None
        Root seed. Block ``j`` of series ``s`` (``BLOCK_SIZE`` = 256 paths) draws from the child
        ``SeedSequence(entropy, spawn_key=(s, j))``, so results are bit-identical whatever
        ``chunk_size`` and ``n_jobs``.
    h0 : {"stationary", "zeros"} or array-like of shape (n,) or (n_paths, n)
        Initial state. ``"stationary"`` draws exactly from the stationary law of a linear SRNN
        (the Euler–Maruyama chain's own law :math:`N(m_\infty, \Sigma_\Delta)` for
        ``method="euler"``, the continuous law for ``"exact"``); a nonlinear SRNN starts at 0
        and runs ``burn_in`` unperturbed steps first (default :func:`default_burn_in`: ten
        relaxation times).
    burn_in : int, optional
        Unperturbed steps run before time 0 (any ``h0``); overrides the default.
    method : {"euler", "exact"}, default="euler"
    save : {"mean", "paths", "states"}, default="mean"
        ``"mean"`` streams the ensemble mean and standard error of the output: memory grows
        with paths x hidden units (per block), never with paths x steps. ``"paths"`` also
        keeps every path's output; ``"states"`` keeps hidden states every ``save_every`` steps.
    save_every : int, default=1
        Stride for ``save="states"``.
    chunk_size : int, optional
        Paths per task (rounded up to a multiple of 256); a scheduling knob only.
    n_jobs : int, optional
        Threads (``None``: 1; ``-1``: all cores). The GIL is released in the compiled loop.
    executor : dask.distributed.Client, optional
        Run the blocks as Dask tasks (extra ``dask``). The result is bit-identical to the
        single-process one; with ``save="mean"`` the fold over blocks runs on a worker, so no
        path arrays travel.
    device : {"cpu", "cuda"}, default="cpu"
        ``"cuda"`` runs the ensemble on the GPU (docs/cuda.md): one kernel keeps each path's
        state on chip over windows of steps; the noise is Philox4x32-10 keyed by (seed,
        series, path), so the run is reproducible from ``seed`` and independent of the launch
        configuration, but it is a different stream from the CPU's (means agree
        statistically, not path by path). Linear, identity and quadratic readouts only.

    Returns
    -------
    Trajectory

    Raises
    ------
    DivergenceError
        When a state becomes NaN or infinite; the message names the step.

    Warns
    -----
    CostWarning
        Before any work, for a call estimated over 30 s or whose default burn-in dominates a
        call of a few seconds (docs/parallel.md, "Cost and progress").

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN.random(8, 2, noise=0.3, seed=0)
    >>> u = np.stack([np.sin(np.arange(200) * 0.01), np.cos(np.arange(200) * 0.02)], axis=1)
    >>> traj = sk.simulate(model, u, dt=0.01, n_paths=512, seed=1)
    >>> traj.mean.shape, traj.stderr.shape
    ((201, 1), (201, 1))
    """
    if not isinstance(model, SRNN):
        fail("model", "an srnnkit.SRNN", type(model).__name__, TypeError)
    from .._device import check_device

    device = check_device(device, "simulate")
    runner = Runner(n_jobs, executor if device == "cpu" else None, desc="simulate")
    plan = make_plan(model, inputs, dt=dt, n_steps=n_steps, n_paths=n_paths, seed=seed, h0=h0,
                     burn_in=burn_in, method=method, save=save, save_every=save_every,
                     chunk_size=chunk_size)
    return _run(plan, runner, device, executor, burn_in is None)


def _run(plan: SimulationPlan, runner: Runner, device: str, executor: Any,
         default_burn_in: bool) -> Trajectory:
    """Run ``plan`` on the GPU, or on the CPU with its cost said up front (:mod:`._cost`)."""
    if device == "cuda":
        from ._cuda_front import run_cuda

        return run_cuda(plan, save=plan.save, batched=plan.batched, n_series=plan.n_series,
                        executor=executor)
    with running(lambda: simulate_cost(plan, runner.n_threads, default_burn_in), "simulate"):
        return _trajectory(plan, run_cpu(plan, runner))


def mean_common_noise(model: SRNN, inputs: np.ndarray, *, dt: float, n_paths: int,
                      seed: SeedLike, h0: Any, n_jobs: int | None = None) -> np.ndarray:
    """The mean outputs ``(n_series, n_steps + 1, p)`` of a batch of equal-length series
    that all draw the noise of one series (common random numbers), with no burn-in: each
    series' mean equals ``simulate(model, inputs[i], ..., seed=seed, burn_in=0).mean`` bit
    for bit, in one call (for callers that run many short series, where the per-call
    overhead of :func:`simulate` would dominate). CPU only; no cost estimate."""
    plan = make_plan(model, inputs, dt=dt, n_steps=None, n_paths=n_paths, seed=seed, h0=h0,
                     burn_in=0, method="euler", save="mean", save_every=1, chunk_size=None)
    plan = dataclasses.replace(plan, common_noise=True)
    traj = _trajectory(plan, run_cpu(plan, Runner(n_jobs, desc="simulate")))
    return traj.mean if plan.batched else traj.mean[None]


def _estimate(model: SRNN, inputs: Any = None, *, dt: float, n_steps: int | None = None,
              n_paths: int = 1, seed: SeedLike = None, h0: Any = "stationary",
              burn_in: int | None = None, method: str = "euler", save: str = "mean",
              save_every: int = 1, chunk_size: int | None = None, n_jobs: int | None = None,
              executor: Any = None, device: str = "cpu") -> Any:
    """The cost estimate of a :func:`simulate` call (:func:`srnnkit.estimate_cost`)."""
    if device != "cpu":
        return None
    plan = make_plan(model, inputs, dt=dt, n_steps=n_steps, n_paths=n_paths, seed=0, h0=h0,
                     burn_in=burn_in, method=method, save=save, save_every=save_every,
                     chunk_size=chunk_size)
    return simulate_cost(plan, Runner(n_jobs).n_threads, burn_in is None)


simulate.__cost__ = _estimate  # type: ignore[attr-defined]


def _trajectory(plan: SimulationPlan, ens: Any, info: dict | None = None) -> Trajectory:
    """The :class:`Trajectory` of a finished run (divergence of the output reported)."""
    n_paths = plan.n_paths
    with np.errstate(over="ignore", invalid="ignore"):
        stderr = np.sqrt(ens.m2 / ((n_paths - 1) * n_paths)) if n_paths > 1 else None
    for arr in (ens.mean, stderr):
        if arr is not None and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
            kind = getattr(plan.model.readout, "kind", "callable")
            if kind == "callable":
                raise DivergenceError(
                    "the output f(h_t) (its ensemble mean or spread) is NaN or infinite "
                    "although every simulated state stayed finite: the readout returned NaN "
                    "or an infinite or overflowing value on some state. Check the readout "
                    "(a callable readout must be finite on every state).")
            why = ("a Quadratic readout squares the states beyond the float range" if
                   kind == "quadratic" else "the states are finite but so large that the "
                   "output's spread (a sum of squares over the paths) overflows")
            raise DivergenceError(
                "the output f(h_t) (its ensemble mean or spread) overflowed although every "
                f"simulated state stayed finite: {why}. Rescale the readout or the network "
                "(smaller weights, inputs or h0).")
    mean, outputs, states = ens.mean, ens.outputs, ens.states
    if not plan.batched:
        mean = mean[0]
        stderr = stderr[0] if stderr is not None else None
        outputs = outputs[0] if outputs is not None else None
        states = states[0] if states is not None else None
    save_states = plan.save == "states"
    return Trajectory(ts=np.arange(plan.n_steps + 1) * plan.dt, mean=mean, stderr=stderr,
                      dt=plan.dt, n_paths=n_paths, method=plan.method,
                      seed_entropy=plan.entropy, outputs=outputs, states=states,
                      state_ts=plan.state_idx * plan.dt if save_states else None,
                      burn_in=plan.burn_in, info=dict(info or {}))
