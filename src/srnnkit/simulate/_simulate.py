"""``simulate``: Monte Carlo ensembles of an SRNN (Euler–Maruyama or exact linear)."""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import linalg

from .._random import SeedLike, as_seed_sequence
from .._validation import check_array, check_choice, check_int, check_positive, fail
from ..model import SRNN
from ._kernels import ACT_CODES, RO_LINEAR, RO_NONE, RO_QUADRATIC, run_window
from ._rng import make_states, ziggurat_tables
from ._trajectory import DivergenceError, Trajectory

__all__ = ["BLOCK_SIZE", "default_burn_in", "simulate"]

#: Paths per random-number block: each block has its own SeedSequence child, so results do
#: not depend on ``chunk_size`` or on the number of threads.
BLOCK_SIZE = 256
_WINDOW = 64  # steps per kernel call (bounds the per-block output buffer)


def default_burn_in(model: SRNN, dt: float) -> int:
    """Burn-in steps for a nonlinear SRNN started at zero: 10 relaxation times.

    The relaxation time is ``1/λ`` with ``λ`` the smallest eigenvalue of the symmetric part of
    Γ (the leak alone; the contraction of ``a(Wh+b)`` is not assumed), so after the burn-in the
    memory of ``h = 0`` has decayed by at least ``e^{-10}`` for a contracting network.
    """
    G = model.gamma_matrix
    lam = float(np.linalg.eigvalsh(0.5 * (G + G.T)).min())
    lam = lam if lam > 0 else 1.0
    return math.ceil(10.0 / (lam * dt))


def _n_threads(n_jobs: int | None) -> int:
    if n_jobs is None:
        return 1
    n_jobs = check_int("n_jobs", n_jobs)
    cpus = os.cpu_count() or 1
    if n_jobs < 0:
        return max(1, cpus + 1 + n_jobs)
    if n_jobs == 0:
        fail("n_jobs", "a non-zero integer or None", n_jobs)
    return n_jobs


def _sqrtm_psd(S: np.ndarray) -> np.ndarray:
    """L with L Lᵀ = S for a symmetric positive semi-definite S (eigen-decomposition)."""
    w, V = np.linalg.eigh(0.5 * (S + S.T))
    return V * np.sqrt(np.clip(w, 0.0, None))


def _exact_transition(model: SRNN, dt: float):
    """Φ = e^{-AΔ}, Ψ = ∫_0^Δ e^{-As} ds and the noise covariance Σ_Δ (Van Loan)."""
    A = model.A
    n = A.shape[0]
    D = model.diffusion
    big = np.zeros((2 * n, 2 * n))
    big[:n, :n] = -A
    big[:n, n:] = np.eye(n)
    E = linalg.expm(big * dt)
    Phi, Psi = E[:n, :n], E[:n, n:]
    vl = np.zeros((2 * n, 2 * n))
    vl[:n, :n] = -A
    vl[:n, n:] = D
    vl[n:, n:] = A.T
    F = linalg.expm(vl * dt)
    Q = F[:n, n:] @ Phi.T
    return Phi, Psi, 0.5 * (Q + Q.T)


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
             n_jobs: int | None = None) -> Trajectory:
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
        relaxation times of Γ).
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
    dt = check_positive("dt", dt)
    n_paths = check_int("n_paths", n_paths, low=1)
    method = check_choice("method", method, ("euler", "exact"))
    save = check_choice("save", save, ("mean", "paths", "states"))
    save_every = check_int("save_every", save_every, low=1)
    n_threads = _n_threads(n_jobs)
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

    # --------------------------------------------------- step operator pieces
    affine = model.is_linear
    act = ACT_CODES[model.activation]
    b = model.b.copy()
    gdiag = model.gamma_diag
    full_gamma = gdiag is None
    g = np.zeros(n) if full_gamma else gdiag.copy()
    GT = np.ascontiguousarray(model.gamma_matrix.T) if full_gamma else np.zeros((n, n))
    sqdt = math.sqrt(dt)
    if method == "exact":
        Phi, Psi, Qdt = _exact_transition(model, dt)
        MT = np.ascontiguousarray(Phi.T)
        L = _sqrtm_psd(Qdt)
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

    def additive_terms(series: int | None) -> np.ndarray:
        """Row t: the additive term of step t (C u_t, or the affine c_t)."""
        base = b if affine else np.zeros(n)
        if u is None:
            cu = base[None, :].copy()
        else:
            cu = u[series] @ model.C.T + base
        if affine:
            cu = cu @ drift_map.T
        return np.ascontiguousarray(cu)

    zero_cu = (b[None, :] @ drift_map.T) if affine else np.zeros((1, n))
    ro_kind, QT, q, M = _readout_spec(model)
    callable_readout = ro_kind == RO_NONE

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
        from ..response import stationary_covariance

        S0 = stationary_covariance(model, dt=None if method == "exact" else dt)
        L0 = _sqrtm_psd(S0)
        mean0 = model.stationary_mean()

    # ------------------------------------------------------------- blocks
    root = as_seed_sequence(seed)
    n_blocks = -(-n_paths // BLOCK_SIZE)
    kt, wt, ft = ziggurat_tables()
    save_states = save == "states"
    state_idx = np.arange(0, n_steps + 1, save_every)

    outputs = np.empty((n_series, n_paths, n_steps + 1, p)) if save == "paths" else None
    states = (np.empty((n_series, n_paths, len(state_idx), n)) if save_states else None)

    def run_block(series: int, blk: int, cu: np.ndarray):
        lo = blk * BLOCK_SIZE
        B = min(BLOCK_SIZE, n_paths - lo)
        ss = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, series, blk),
                                    pool_size=root.pool_size)
        state = make_states([ss])[0]
        H = np.zeros((B, n))
        Z = np.empty((B, n))
        Z2 = np.zeros((B, n))
        Xi = np.empty((B, model.n_noise if method == "euler" else n))
        Yt = np.empty((B, QT.shape[1]))
        win = min(_WINDOW, n_steps)
        Yw = np.empty((B, win, p)) if not callable_readout else np.empty((1, 1, 1))
        need_states = save_states or callable_readout
        Sw = np.empty((B, win, n)) if need_states else np.empty((1, 1, 1))
        if h0_arr is not None:
            H[:] = h0_arr if h0_arr.ndim == 1 else h0_arr[lo:lo + B]
        elif L0 is not None:
            xi = np.empty((B, n))
            from ._rng import fill_normals

            fill_normals(state, xi, kt, wt, ft)
            H[:] = mean0 + xi @ L0.T
        common = (MT, affine, b, g, GT, full_gamma, act)
        noise = (noise_diag, LT, full_noise, state, kt, wt, ft, Z, Z2, Xi)
        done = 0
        while done < burn_in:
            k = min(burn_in - done, 4096)
            bad = run_window(H, *common, zero_cu, 0, k, dt, *noise, RO_NONE, QT, q, M, Yt,
                             Yw, False, Sw)
            if bad >= 0:
                _diverged(done + bad - burn_in, dt)
            done += k
        y0 = model.output(H)
        mean_b = np.empty((n_steps + 1, p))
        m2_b = np.empty((n_steps + 1, p))
        mean_b[0] = y0.mean(axis=0)
        m2_b[0] = ((y0 - mean_b[0]) ** 2).sum(axis=0)
        if outputs is not None:
            outputs[series, lo:lo + B, 0] = y0
        if save_states:
            states[series, lo:lo + B, 0] = H
        t = 0
        while t < n_steps:
            k = min(win, n_steps - t)
            bad = run_window(H, *common, cu, t, k, dt, *noise, ro_kind, QT, q, M, Yt, Yw,
                             need_states, Sw)
            if bad >= 0:
                _diverged(bad + 1, dt)
            Y = model.output(Sw[:, :k]) if callable_readout else Yw[:, :k]
            with np.errstate(over="ignore", invalid="ignore"):
                mu = Y.mean(axis=0)
                mean_b[t + 1:t + 1 + k] = mu
                m2_b[t + 1:t + 1 + k] = ((Y - mu) ** 2).sum(axis=0)
            if outputs is not None:
                outputs[series, lo:lo + B, t + 1:t + 1 + k] = Y
            if save_states:
                sel = state_idx[(state_idx > t) & (state_idx <= t + k)]
                states[series][lo:lo + B, np.searchsorted(state_idx, sel)] = \
                    Sw[:, sel - t - 1]
            t += k
        return B, mean_b, m2_b

    paths_per_task = BLOCK_SIZE if chunk_size is None else \
        BLOCK_SIZE * -(-check_int("chunk_size", chunk_size, low=1) // BLOCK_SIZE)
    blocks_per_task = paths_per_task // BLOCK_SIZE

    mean = np.empty((n_series, n_steps + 1, p))
    m2 = np.empty((n_series, n_steps + 1, p))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        for s in range(n_series):
            cu = additive_terms(s)
            tasks = [list(range(j, min(j + blocks_per_task, n_blocks)))
                     for j in range(0, n_blocks, blocks_per_task)]

            def run_task(blks, s=s, cu=cu):
                return [run_block(s, j, cu) for j in blks]

            count = 0
            tot_mean = mean[s]
            tot_m2 = m2[s]
            wave = max(1, 2 * n_threads)
            pool = ThreadPoolExecutor(n_threads) if n_threads > 1 else None
            try:
                for w0 in range(0, len(tasks), wave):
                    group = tasks[w0:w0 + wave]
                    results = (list(pool.map(run_task, group)) if pool is not None
                               else [run_task(g_) for g_ in group])
                    for res in results:
                        for B, mb, m2b in res:  # combine in block order (Chan et al.)
                            if count == 0:
                                tot_mean[:] = mb
                                tot_m2[:] = m2b
                            else:
                                delta = mb - tot_mean
                                tot = count + B
                                tot_mean += delta * (B / tot)
                                tot_m2 += m2b + delta**2 * (count * B / tot)
                            count += B
            finally:
                if pool is not None:
                    pool.shutdown()

    stderr = np.sqrt(m2 / ((n_paths - 1) * n_paths)) if n_paths > 1 else None
    if not batched:
        mean = mean[0]
        stderr = stderr[0] if stderr is not None else None
        outputs = outputs[0] if outputs is not None else None
        states = states[0] if states is not None else None
    return Trajectory(ts=np.arange(n_steps + 1) * dt, mean=mean, stderr=stderr, dt=dt,
                      n_paths=n_paths, method=method, seed_entropy=root.entropy,
                      outputs=outputs, states=states,
                      state_ts=state_idx * dt if save_states else None, burn_in=burn_in)


def _diverged(step: int, dt: float) -> None:
    where = f"step {step} (t = {step * dt:.6g})" if step > 0 else \
        f"burn-in step {step} before t = 0"
    raise DivergenceError(
        f"the simulated state became NaN or infinite at {where} with dt={dt}. The Euler-Maruyama "
        "step is unstable for this dt or the network is not dissipative: use a smaller dt, "
        "smaller weights or inputs, or a larger gamma.")
