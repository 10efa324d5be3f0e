"""``simulate``: Monte Carlo ensembles of an SRNN (Euler–Maruyama or exact linear)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._random import SeedLike, as_seed_sequence
from .._validation import (
    check_array,
    check_choice,
    check_int,
    check_memory,
    check_n_jobs,
    check_positive,
    fail,
)
from ..dynamics._activations import ACTIVATIONS
from ..dynamics._burn_in import BURN_IN_FLOORS, burn_in_steps
from ..dynamics._em_loops import RO_LINEAR, RO_NONE, RO_QUADRATIC, advance_block
from ..dynamics._rng import fill_normals, make_states, ziggurat_tables
from ..model import SRNN
from ..model._linear import exact_transition, psd_sqrt, stationary_covariance
from ._trajectory import DivergenceError, Trajectory

__all__ = ["BLOCK_SIZE", "default_burn_in", "simulate"]

#: Paths per random-number block: each block has its own SeedSequence child, so results do
#: not depend on ``chunk_size`` or on the number of threads.
BLOCK_SIZE = 256
_WINDOW = 64  # steps per kernel call (bounds the per-block output buffer)


def default_burn_in(model: SRNN, dt: float) -> int:
    r"""Burn-in steps for a nonlinear SRNN started at zero: ten relaxation times.

    The relaxation rate is the contraction bound ``λ - Lip(a)·‖W‖₂``, with ``λ`` the smallest
    eigenvalue of the symmetric part of Γ, floored at ``λ/5`` (a network that is not provably
    contracting still forgets its start at the leak's pace, only slower), so the burn-in is
    ``10 / max(λ - Lip(a)‖W‖₂, λ/5)`` time units: at most 50 leak times (the rule of the
    dynamics core, :func:`srnnkit.dynamics.burn_in_steps`).

    .. math:: n_{\mathrm{burn}} = \Bigl\lceil \frac{10}{\max(\lambda - \mathrm{Lip}(a)
              \|W\|_2,\ \lambda/5)\,\Delta} \Bigr\rceil

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.simulate import default_burn_in
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])   # THEORY.md V2
    >>> default_burn_in(model, 0.02)                                 # 50 time units
    2500
    """
    return burn_in_steps(model, dt, floor=BURN_IN_FLOORS["simulate"])


def _readout_spec(model: SRNN):
    ro = model.readout
    n = model.n_hidden
    empty2 = np.zeros((1, 1))
    if ro.kind in ("linear", "identity"):
        return RO_LINEAR, np.ascontiguousarray(ro.Q.T), ro.q.astype(float), empty2
    if ro.kind == "quadratic":
        return RO_QUADRATIC, np.zeros((n, 1)), np.zeros(1), np.ascontiguousarray(ro.M)
    return RO_NONE, np.zeros((n, 1)), np.zeros(1), empty2


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
    model._require_additive("simulate")
    from .._device import check_device

    device = check_device(device, "simulate")
    dt = check_positive("dt", dt)
    n_paths = check_int("n_paths", n_paths, low=1)
    method = check_choice("method", method, ("euler", "exact"))
    save = check_choice("save", save, ("mean", "paths", "states"))
    save_every = check_int("save_every", save_every, low=1)
    n_threads = check_n_jobs(n_jobs)
    n, m, p = model.n_hidden, model.n_inputs, model.n_outputs
    if method == "exact" and not model.is_linear:
        raise ValueError(f"method='exact' needs a linear SRNN (activation='identity'); this "
                         f"model has activation={model.activation!r}. Use method='euler'.")

    # ------------------------------------------------------------------ inputs
    if inputs is None:
        if n_steps is None:
            raise ValueError("n_steps is required when inputs is None (the unperturbed network "
                             "needs a length); got n_steps=None.")
        n_steps = check_int("n_steps", n_steps, low=1)
        u = None
        n_series, batched = 1, False
    else:
        u = check_array("inputs", inputs, ndim=(1, 2, 3),
                        shape_text="(n_steps, n_inputs) or (n_series, n_steps, n_inputs)")
        if u.ndim == 1:
            if m != 1:
                fail("inputs", f"an array of shape (n_steps, {m})", u)
            u = u[:, None]
        batched = u.ndim == 3
        if not batched:
            u = u[None]
        if u.shape[-1] != m:
            fail("inputs", f"an array with {m} input channel(s) on its last axis to match "
                 f"model.n_inputs={m}", u)
        n_series = u.shape[0]
        if n_steps is not None and check_int("n_steps", n_steps, low=1) != u.shape[1]:
            fail("n_steps", f"equal to the inputs' length {u.shape[1]} (or None)", n_steps)
        n_steps = u.shape[1]

    check_memory("n_steps", n_steps, "the mean and stderr of the output",
                 (3, n_series, n_steps + 1, p))
    if save == "paths":
        check_memory("n_paths", n_paths, "save='paths' (every path's output)",
                     (n_series, n_paths, n_steps + 1, p), hint="Use save='mean' or fewer paths.")
    elif save == "states":
        check_memory("n_paths", n_paths, "save='states' (every path's hidden states)",
                     (n_series, n_paths, n_steps // save_every + 1, n),
                     hint="Use a larger save_every, save='mean' or fewer paths.")

    # --------------------------------------------------- step operator pieces
    affine = model.is_linear
    act = ACTIVATIONS[model.activation].code
    b = model.b.copy()
    gdiag = model.gamma_diag
    full_gamma = gdiag is None
    g = np.zeros(n) if full_gamma else gdiag.copy()
    GT = np.ascontiguousarray(model.gamma_matrix.T) if full_gamma else np.zeros((n, n))
    sqdt = math.sqrt(dt)
    if method == "exact":
        Phi, Psi, Qdt = exact_transition(model, dt)
        MT = np.ascontiguousarray(Phi.T)
        L = psd_sqrt(Qdt)
        full_noise = True
        LT = np.ascontiguousarray(L.T)
        noise_diag = np.zeros(n)
        drift_map = Psi          # c_t = Psi (b + C u_t)
    else:
        if affine:
            MT = np.ascontiguousarray((np.eye(n) - dt * model.A).T)
            drift_map = dt * np.eye(n)
        else:
            MT = np.ascontiguousarray(model.W.T)
            drift_map = None
        full_noise = not model.noise_diagonal
        LT = np.ascontiguousarray((sqdt * model.sigma).T)
        noise_diag = sqdt * np.diag(model.sigma).copy() if not full_noise else np.zeros(n)

    ro_kind, QT, q, M = _readout_spec(model)

    # ------------------------------------------------------ initial states
    stationary = isinstance(h0, str) and h0 == "stationary"
    if isinstance(h0, str):
        check_choice("h0", h0, ("stationary", "zeros"))
        h0_arr = None
    else:
        h0_arr = check_array("h0", h0, ndim=(1, 2), shape_text=f"({n},) or ({n_paths}, {n})")
        if h0_arr.shape not in ((n,), (n_paths, n)):
            fail("h0", f"'stationary', 'zeros' or an array of shape ({n},) or ({n_paths}, {n})",
                 h0_arr)
    if burn_in is None:
        burn_in = default_burn_in(model, dt) if (stationary and not model.is_linear) else 0
    else:
        burn_in = check_int("burn_in", burn_in, low=0)
    L0 = mean0 = None
    if stationary and model.is_linear:
        S0 = stationary_covariance(model, dt=None if method == "exact" else dt)
        L0 = psd_sqrt(S0)
        mean0 = model.stationary_mean()

    # ------------------------------------------------------------- blocks
    root = as_seed_sequence(seed)
    n_blocks = -(-n_paths // BLOCK_SIZE)
    check_memory("n_paths", n_paths, "the schedule of 256-path blocks", (n_series, n_blocks),
                 itemsize=256, hint="Split the ensemble into several runs.")
    save_states = save == "states"
    state_idx = np.arange(0, n_steps + 1, save_every)
    plan = _Plan(model=model, u=u, n=n, p=p, n_steps=n_steps, n_paths=n_paths, dt=dt,
                 method=method, affine=affine, act=act, b=b, g=g, GT=GT, full_gamma=full_gamma,
                 MT=MT, LT=LT, noise_diag=noise_diag, full_noise=full_noise,
                 drift_map=drift_map, ro_kind=ro_kind, QT=QT, q=q, M=M,
                 h0_arr=h0_arr, L0=L0, mean0=mean0, burn_in=burn_in,
                 entropy=root.entropy, spawn_key=tuple(root.spawn_key),
                 pool_size=root.pool_size, keep_outputs=save == "paths",
                 save_states=save_states, state_idx=state_idx)
    if device == "cuda":
        from ._cuda_front import run_cuda

        return run_cuda(plan, save=save, batched=batched, n_series=n_series, executor=executor)

    outputs = np.empty((n_series, n_paths, n_steps + 1, p)) if save == "paths" else None
    states = (np.empty((n_series, n_paths, len(state_idx), n)) if save_states else None)
    paths_per_task = BLOCK_SIZE if chunk_size is None else \
        BLOCK_SIZE * -(-check_int("chunk_size", chunk_size, low=1) // BLOCK_SIZE)
    blocks_per_task = paths_per_task // BLOCK_SIZE
    tasks = [(s, list(range(j, min(j + blocks_per_task, n_blocks))))
             for s in range(n_series) for j in range(0, n_blocks, blocks_per_task)]

    mean = np.empty((n_series, n_steps + 1, p))
    m2 = np.empty((n_series, n_steps + 1, p))
    folds = [_Fold(mean[s], m2[s]) for s in range(n_series)]

    from .._progress import progress

    bar = progress(len(tasks), "simulate")

    def consume(results) -> None:
        for res in results:
            bar.update()
            for s, blk, B, mb, m2b, yb, sb in res:
                folds[s].add(B, mb, m2b)   # block order: tasks are consumed in order
                lo = blk * BLOCK_SIZE
                if outputs is not None:
                    outputs[s, lo:lo + B] = yb
                if states is not None:
                    states[s, lo:lo + B] = sb

    if executor is not None:
        _run_on_executor(executor, plan, tasks, consume, folds, save == "mean")
    else:
        from .._threads import single_threaded_blas

        wave = max(1, 2 * n_threads)
        pool = ThreadPoolExecutor(n_threads) if n_threads > 1 else None
        try:
            with single_threaded_blas():
                for w0 in range(0, len(tasks), wave):
                    group = tasks[w0:w0 + wave]
                    if pool is not None:
                        consume(pool.map(lambda t: run_blocks(plan, *t), group))
                    else:
                        consume(run_blocks(plan, *t) for t in group)
        finally:
            if pool is not None:
                pool.shutdown()

    with np.errstate(over="ignore", invalid="ignore"):
        stderr = np.sqrt(m2 / ((n_paths - 1) * n_paths)) if n_paths > 1 else None
    for arr in (mean, stderr):
        if arr is not None and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
            raise DivergenceError(
                "the output f(h_t) (its ensemble mean or spread) overflowed although every "
                "simulated state stayed finite: the readout maps the states beyond the float "
                "range (a Quadratic readout squares them). Rescale the readout or the "
                "network (smaller weights, inputs or h0).")
    if not batched:
        mean = mean[0]
        stderr = stderr[0] if stderr is not None else None
        outputs = outputs[0] if outputs is not None else None
        states = states[0] if states is not None else None
    return Trajectory(ts=np.arange(n_steps + 1) * dt, mean=mean, stderr=stderr, dt=dt,
                      n_paths=n_paths, method=method, seed_entropy=root.entropy,
                      outputs=outputs, states=states,
                      state_ts=state_idx * dt if save_states else None, burn_in=burn_in)


class _Fold:
    """Running (count, mean, M2) over blocks, combined in block order (Chan et al.)."""

    def __init__(self, mean: np.ndarray, m2: np.ndarray) -> None:
        self.mean, self.m2, self.count = mean, m2, 0

    def add(self, B: int, mb: np.ndarray, m2b: np.ndarray) -> None:
        if self.count == 0:
            self.mean[:] = mb
            self.m2[:] = m2b
        else:
            delta = mb - self.mean
            tot = self.count + B
            self.mean += delta * (B / tot)
            self.m2 += m2b + delta**2 * (self.count * B / tot)
        self.count += B


def _fold_blocks(n_series: int, shape: tuple[int, int], *task_results):
    """Fold per-block statistics in block order (runs on a Dask worker)."""
    mean = np.empty((n_series, *shape))
    m2 = np.empty((n_series, *shape))
    folds = [_Fold(mean[s], m2[s]) for s in range(n_series)]
    for res in task_results:
        for s, _blk, B, mb, m2b, _y, _st in res:
            folds[s].add(B, mb, m2b)
    return mean, m2, [f.count for f in folds]


def _run_on_executor(client, plan, tasks, consume, folds, mean_only: bool) -> None:
    """Run block tasks on a ``dask.distributed.Client``; results equal the local run bitwise.

    With ``save="mean"`` the fold over blocks happens on a worker, so only the (n_steps, p)
    statistics travel back; otherwise each task's paths/states come back to be placed.
    """
    if not hasattr(client, "submit") or not hasattr(client, "map"):
        fail("executor", "a dask.distributed.Client (or None)", type(client).__name__,
             TypeError)
    futures = [client.submit(run_blocks, plan, s, blks, pure=False) for s, blks in tasks]
    if mean_only:
        n_series = max(s for s, _ in tasks) + 1
        total = client.submit(_fold_blocks, n_series, (plan.n_steps + 1, plan.p), *futures,
                              pure=False)
        mean, m2, counts = total.result()
        for s, f in enumerate(folds):
            f.mean[:] = mean[s]
            f.m2[:] = m2[s]
            f.count = counts[s]
    else:
        for fut in futures:
            consume([fut.result()])


class _Plan:
    """Everything a block task needs (picklable, so tasks can run on Dask workers)."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def additive_maps(self, series: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(U, Ceff, beff)``: the additive term of step t is ``beff + Ceff @ U[t]``."""
        model = self.model
        if self.affine:
            Ceff = self.drift_map @ model.C
            beff = self.drift_map @ self.b
        else:
            Ceff = model.C.copy()
            beff = np.zeros(self.n)
        U = np.zeros((1, model.n_inputs)) if self.u is None else self.u[series]
        return np.ascontiguousarray(U), np.ascontiguousarray(Ceff), beff

    def additive_terms(self, series: int) -> np.ndarray:
        """Row t: the additive term of step t, ``beff + Ceff @ U[t]`` (for the CUDA path)."""
        U, Ceff, beff = self.additive_maps(series)
        return np.ascontiguousarray(U @ Ceff.T + beff)

    @property
    def zero_cu(self) -> np.ndarray:
        """The additive term with no input, shape (1, n)."""
        return self.additive_maps(0)[2][None, :].copy()


def run_blocks(plan: _Plan, series: int, blocks: list[int]) -> list[tuple]:
    """Simulate the given blocks of one series; per block its statistics (and paths/states)."""
    from .._threads import single_threaded_blas

    maps = plan.additive_maps(series)
    with single_threaded_blas():
        return [_run_block(plan, series, blk, maps) for blk in blocks]


def _run_block(plan: _Plan, series: int, blk: int, maps: tuple) -> tuple:
    model, n, p, n_steps = plan.model, plan.n, plan.p, plan.n_steps
    lo = blk * BLOCK_SIZE
    B = min(BLOCK_SIZE, plan.n_paths - lo)
    ss = np.random.SeedSequence(plan.entropy, spawn_key=(*plan.spawn_key, series, blk),
                                pool_size=plan.pool_size)
    state = make_states([ss])[0]
    kt, wt, ft = ziggurat_tables()
    callable_readout = plan.ro_kind == RO_NONE
    H = np.zeros((B, n))
    Z = np.empty((B, n))
    Z2 = np.zeros((B, n))
    Xi = np.empty((B, plan.LT.shape[0]))
    Yt = np.empty((B, plan.QT.shape[1]))
    win = min(_WINDOW, n_steps)
    Yw = np.empty((B, win, p)) if not callable_readout else np.empty((1, 1, 1))
    need_states = plan.save_states or callable_readout
    Sw = np.empty((B, win, n)) if need_states else np.empty((1, 1, 1))
    if plan.h0_arr is not None:
        H[:] = plan.h0_arr if plan.h0_arr.ndim == 1 else plan.h0_arr[lo:lo + B]
    elif plan.L0 is not None:
        xi = np.empty((B, n))
        fill_normals(state, xi, kt, wt, ft)
        H[:] = plan.mean0 + xi @ plan.L0.T
    drift = (plan.MT, plan.GT, plan.b, plan.g, plan.full_gamma, plan.affine, plan.act,
             False, plan.dt)
    U, Ceff, beff = maps
    zero_in = (np.zeros((1, U.shape[1])), Ceff, beff)
    noise = (plan.noise_diag, plan.LT, plan.full_noise)
    rng = (state, kt, wt, ft)
    scratch = (Z, Z2, Xi, Yt, np.empty(n))
    ro_none = (RO_NONE, plan.QT, plan.q, plan.M)
    ro = (plan.ro_kind, plan.QT, plan.q, plan.M)
    done = 0
    while done < plan.burn_in:
        k = min(plan.burn_in - done, 4096)
        bad = advance_block(H, drift, zero_in, noise, rng, ro_none, (Yw, False, Sw), scratch,
                            0, k)
        if bad >= 0:
            _diverged(done + bad - plan.burn_in, plan.dt)
        done += k
    mean_b = np.empty((n_steps + 1, p))
    m2_b = np.empty((n_steps + 1, p))
    with np.errstate(over="ignore", invalid="ignore"):   # overflow is reported by simulate
        y0 = model.output(H)
        mean_b[0] = y0.mean(axis=0)
        m2_b[0] = ((y0 - mean_b[0]) ** 2).sum(axis=0)
    yb = np.empty((B, n_steps + 1, p)) if plan.keep_outputs else None
    state_idx = plan.state_idx
    sb = np.empty((B, len(state_idx), n)) if plan.save_states else None
    if yb is not None:
        yb[:, 0] = y0
    if sb is not None:
        sb[:, 0] = H
    t = 0
    while t < n_steps:
        k = min(win, n_steps - t)
        bad = advance_block(H, drift, maps, noise, rng, ro, (Yw, need_states, Sw), scratch,
                            t, k)
        if bad >= 0:
            _diverged(bad + 1, plan.dt)
        Y = model.output(Sw[:, :k]) if callable_readout else Yw[:, :k]
        with np.errstate(over="ignore", invalid="ignore"):
            mu = Y.mean(axis=0)
            mean_b[t + 1:t + 1 + k] = mu
            m2_b[t + 1:t + 1 + k] = ((Y - mu) ** 2).sum(axis=0)
        if yb is not None:
            yb[:, t + 1:t + 1 + k] = Y
        if sb is not None:
            sel = state_idx[(state_idx > t) & (state_idx <= t + k)]
            sb[:, np.searchsorted(state_idx, sel)] = Sw[:, sel - t - 1]
        t += k
    return series, blk, B, mean_b, m2_b, yb, sb


def _diverged(step: int, dt: float) -> None:
    where = f"step {step} (t = {step * dt:.6g})" if step > 0 else \
        f"burn-in step {step} before t = 0"
    raise DivergenceError(
        f"the simulated state became NaN or infinite at {where} with dt={dt}. The Euler-Maruyama "
        "step is unstable for this dt or the network is not dissipative: use a smaller dt, "
        "smaller weights or inputs, or a larger gamma.")
