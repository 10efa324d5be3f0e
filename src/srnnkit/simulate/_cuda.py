"""CUDA ensembles for :func:`srnnkit.simulate` (``device="cuda"``).

Launch
------
A thread block holds ``ppb`` paths (``threadIdx.y``) x ``ntx`` unit threads
(``threadIdx.x``; thread ``x`` owns units ``x, x + ntx, ...``); blocks loop over groups of
paths (grid-stride).  One kernel launch advances every path by a *window* of steps with the
paths' states kept on chip, in shared memory (two ping-pong buffers of ``ppb x n`` and, for a
full noise matrix, the ``ppb x r`` normals); they go back to global memory only between
windows.  Per step, thread ``(path, k)`` forms ``(W h)_k`` (or ``(M h)_k`` for the affine
step) from the shared state, adds drift, input and noise, writes the new value into the other
buffer, and the block synchronises once (twice with full noise).  The readout of every path
goes to a ``(window, p, n_paths)`` buffer; a second kernel reduces it in fixed tiles of
``TILE = 32`` paths (mean and centred sum of squares per tile), and the host folds the tiles
in order.  Nothing depends on the block or grid size: every path's arithmetic and every
reduction order is fixed.

Noise stream
------------
Normals come from the counter-based generator Philox4x32-10 (Salmon et al. 2011), keyed by two
32-bit words drawn from the seed's ``SeedSequence``.  Normal number ``i`` of step counter
``s`` of path ``path`` of series ``series`` is the Box–Muller transform of the output block
at counter ``(i // 2, s, path, series)`` (two 53-bit uniforms; ``i`` even takes the cosine,
odd the sine branch).  Step counter 0 draws a stationary initial state, counters
``1..burn_in`` the burn-in, ``burn_in + 1 + t`` step ``t``.  The stream is therefore a pure
function of ``(seed, series, path, step, index)``: reproducible from the seed and independent
of the launch configuration.  It is **not** the CPU's xoshiro256++/ziggurat stream, so CPU
and GPU ensembles agree statistically (within their standard errors), not path by path.

This module imports ``numba.cuda``; ``simulate`` imports it only for ``device="cuda"``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float64

from .._device import launch_setting
from ..dynamics._activations import RELU, SIGMOID, TANH
from ..dynamics._divergence import DivergenceError, divergence_message
from ..dynamics._em_loops import RO_LINEAR, RO_QUADRATIC
from ..dynamics._moments import Moments, batch_moments
from ._trajectory import Trajectory

__all__ = ["TILE", "normals_cuda", "philox4x32", "simulate_cuda"]

#: Paths per reduction tile (fixed: the reduction order never depends on the launch).
TILE = 32

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S5 = np.uint64(5)
_S6 = np.uint64(6)
_NO_BAD = 2**62
_KEY = 2**31          # bad = step * _KEY + path
_TWO_M53 = 1.0 / 9007199254740992.0


@cuda.jit(device=True)
def philox4x32(c0, c1, c2, c3, k0, k1):  # pragma: no cover - device code
    """Philox4x32-10 block of counter ``(c0..c3)`` under key ``(k0, k1)`` (uint64 holders)."""
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        n0 = (p1 >> _S32) ^ c1 ^ k0
        n2 = (p0 >> _S32) ^ c3 ^ k1
        c1 = p1 & _MASK
        c3 = p0 & _MASK
        c0 = n0
        c2 = n2
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@cuda.jit(device=True)
def _normal(k0, k1, i, s, path, series):  # pragma: no cover - device code
    """Standard normal number ``i`` at step counter ``s`` of ``(path, series)``."""
    c0, c1, c2, c3 = philox4x32(np.uint64(i >> 1), np.uint64(s), np.uint64(path),
                                np.uint64(series), k0, k1)
    u1 = (np.float64(c0 >> _S5) * 67108864.0 + np.float64(c1 >> _S6) + 0.5) * _TWO_M53
    u2 = (np.float64(c2 >> _S5) * 67108864.0 + np.float64(c3 >> _S6) + 0.5) * _TWO_M53
    rad = math.sqrt(-2.0 * math.log(u1))
    th = 6.283185307179586 * u2
    if i & 1:
        return rad * math.sin(th)
    return rad * math.cos(th)


@cuda.jit(device=True)
def _act(act, z):  # pragma: no cover - device code
    if act == TANH:
        return math.tanh(z)
    if act == RELU:
        return z if z > 0.0 else 0.0
    if act == SIGMOID:
        return 0.5 + 0.5 * math.tanh(0.5 * z)
    return z


@cuda.jit
def _philox_kernel(ctr, key, out):  # pragma: no cover - device code
    i = cuda.grid(1)
    if i < ctr.shape[0]:
        a, b, c, d = philox4x32(ctr[i, 0], ctr[i, 1], ctr[i, 2], ctr[i, 3], key[0], key[1])
        out[i, 0] = a
        out[i, 1] = b
        out[i, 2] = c
        out[i, 3] = d


@cuda.jit
def _normals_kernel(idx, key, out):  # pragma: no cover - device code
    i = cuda.grid(1)
    if i < idx.shape[0]:
        out[i] = _normal(key[0], key[1], idx[i, 0], idx[i, 1], idx[i, 2], idx[i, 3])


@cuda.jit
def _init_stationary(H, mean0, L0, k0, k1, series):  # pragma: no cover - device code
    n = H.shape[1]
    for path in range(cuda.grid(1), H.shape[0], cuda.gridsize(1)):
        for k in range(n):
            H[path, k] = mean0[k]
        for m in range(n):
            xi = _normal(k0, k1, m, 0, path, series)
            for k in range(n):
                H[path, k] += L0[k, m] * xi


@cuda.jit(device=True)
def _em_unit(h, z, b, gam, cu, dt, activation_input, act):  # pragma: no cover - device code
    """The core's Euler-Maruyama update of one unit (``dynamics._em_loops.em_unit``)."""
    if activation_input:
        return h + dt * (_act(act, z + b + cu) - gam)
    return h + dt * (_act(act, z + b) - gam + cu)


@cuda.jit
def _sim_window(H, window, drift, noise, readout, out, bad):  # pragma: no cover - device code
    """Advance every path by ``n_win`` steps; grouped arguments as in ``dynamics._em_loops``:
    ``window = (t0, n_win, s0, series, bound)``, ``drift = (MT, GT, g, b, cu, affine, act,
    full_gamma, activation_input, dt)``, ``noise = (LT, nd, full_noise, k0, k1)``,
    ``readout = (ro_kind, QT, q, M)``, ``out = (Y, S, slot)``; ``bad[0]`` receives the
    smallest ``step * 2**31 + path`` of a state beyond ``±bound`` (or NaN)."""
    t0, n_win, s0, series, bound = window
    MT, GT, g, b, cu, affine, act, full_gamma, activation_input, dt = drift
    LT, nd, full_noise, k0, k1 = noise
    ro_kind, QT, q, M = readout
    Y, S, slot = out
    sh = cuda.shared.array(0, float64)
    tx = cuda.threadIdx.x
    ntx = cuda.blockDim.x
    ty = cuda.threadIdx.y
    ppb = cuda.blockDim.y
    n_paths = H.shape[0]
    n = H.shape[1]
    r = LT.shape[0]
    p = Y.shape[1]
    n_cu = cu.shape[0]
    n_groups = (n_paths + ppb - 1) // ppb
    for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
        path = grp * ppb + ty
        active = path < n_paths
        cur = ty * n
        nxt = ppb * n + ty * n
        xio = 2 * ppb * n + ty * r
        for k in range(tx, n, ntx):
            sh[cur + k] = H[path, k] if active else 0.0
        cuda.syncthreads()
        for j in range(n_win):
            s = s0 + j
            tu = t0 + j if n_cu > 1 else 0
            if full_noise:
                for i in range(tx, r, ntx):
                    sh[xio + i] = _normal(k0, k1, i, s, path, series)
                cuda.syncthreads()
            for k in range(tx, n, ntx):
                z = 0.0
                for ll in range(n):
                    z += sh[cur + ll] * MT[ll, k]
                if affine:
                    hn = z + cu[tu, k]
                else:
                    hk = sh[cur + k]
                    if full_gamma:
                        gam = 0.0
                        for ll in range(n):
                            gam += sh[cur + ll] * GT[ll, k]
                    else:
                        gam = g[k] * hk
                    hn = _em_unit(hk, z, b[k], gam, cu[tu, k], dt, activation_input, act)
                if full_noise:
                    e = 0.0
                    for i in range(r):
                        e += sh[xio + i] * LT[i, k]
                    hn += e
                else:
                    hn += nd[k] * _normal(k0, k1, k, s, path, series)
                if active and not (abs(hn) <= bound):
                    cuda.atomic.min(bad, 0, np.int64(s) * _KEY + path)
                sh[nxt + k] = hn
            cuda.syncthreads()
            tmp = cur
            cur = nxt
            nxt = tmp
            if active:
                if ro_kind == RO_LINEAR:
                    for c in range(tx, p, ntx):
                        y = 0.0
                        for k in range(n):
                            y += sh[cur + k] * QT[k, c]
                        Y[j, c, path] = y + q[c]
                elif ro_kind == RO_QUADRATIC:
                    if tx == 0:
                        acc = 0.0
                        for k in range(n):
                            zk = 0.0
                            for ll in range(n):
                                zk += sh[cur + ll] * M[ll, k]
                            acc += sh[cur + k] * zk
                        Y[j, 0, path] = 0.5 * acc
                sl = slot[j]
                if sl >= 0:
                    for k in range(tx, n, ntx):
                        S[path, sl, k] = sh[cur + k]
        if active:
            for k in range(tx, n, ntx):
                H[path, k] = sh[cur + k]
        cuda.syncthreads()


@cuda.jit
def _tile_stats(Y, k_win, mean_t, m2_t):  # pragma: no cover - device code
    n_paths = Y.shape[2]
    p = Y.shape[1]
    n_tiles = mean_t.shape[0]
    per = k_win * p
    for w in range(cuda.grid(1), n_tiles * per, cuda.gridsize(1)):
        tile = w // per
        rem = w - tile * per
        j = rem // p
        c = rem - j * p
        lo = tile * TILE
        hi = lo + TILE
        if hi > n_paths:
            hi = n_paths
        s = 0.0
        for i in range(lo, hi):
            s += Y[j, c, i]
        mu = s / (hi - lo)
        m2 = 0.0
        for i in range(lo, hi):
            dv = Y[j, c, i] - mu
            m2 += dv * dv
        mean_t[tile, j, c] = mu
        m2_t[tile, j, c] = m2


# ------------------------------------------------------------------------------- host side
def _key(plan) -> tuple[np.uint64, np.uint64]:
    w = plan.seed.generate_state(2, np.uint32)
    return np.uint64(w[0]), np.uint64(w[1])


def philox_blocks(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 output blocks for ``counters`` (N, 4) under ``key`` on the device."""
    c = np.ascontiguousarray(counters, dtype=np.uint64)
    out = cuda.device_array(c.shape, dtype=np.uint64)
    threads = 64
    _philox_kernel[max(1, -(-len(c) // threads)), threads](
        cuda.to_device(c), cuda.to_device(np.asarray(key, dtype=np.uint64)), out)
    return out.copy_to_host()


def normals_cuda(index: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Device normals for rows ``(i, step, path, series)`` of ``index`` (for tests)."""
    idx = np.ascontiguousarray(index, dtype=np.int64)
    out = cuda.device_array(len(idx), dtype=np.float64)
    threads = 64
    _normals_kernel[max(1, -(-len(idx) // threads)), threads](
        cuda.to_device(idx), cuda.to_device(np.asarray(key, dtype=np.uint64)), out)
    return out.copy_to_host()


class _Launch:
    def __init__(self, n: int, r: int, n_paths: int) -> None:
        self.ntx = min(n, launch_setting("UNIT_THREADS", 1024, 1, 1024))
        ppb = launch_setting("PATHS_PER_BLOCK", max(1, 256 // self.ntx), 1, 1024)
        ppb = max(1, min(ppb, 1024 // self.ntx))
        while ppb > 1 and 8 * ppb * (2 * n + r) > 48 * 1024:
            ppb //= 2
        if 8 * ppb * (2 * n + r) > 48 * 1024:
            raise ValueError(f"device='cuda' keeps each path's state in shared memory; "
                             f"n_hidden={n} (noise dimension {r}) needs "
                             f"{8 * (2 * n + r)} bytes per path, more than 48 KiB. Use "
                             "device='cpu' for networks this large.")
        self.ppb = ppb
        n_groups = -(-n_paths // ppb)
        self.blocks = max(1, min(n_groups, launch_setting("MAX_BLOCKS", 1 << 20)))
        self.shared = 8 * ppb * (2 * n + r)
        self.window = launch_setting("WINDOW", 256)


def simulate_cuda(plan, *, save: str, batched: bool, n_series: int) -> Trajectory:
    """Run the ensemble described by ``plan`` (``_plan.SimulationPlan``) on the GPU."""
    from ._cpu import Ensemble
    from ._simulate import _trajectory

    run = _GpuRun(plan)
    ens = Ensemble(plan)
    for series in range(n_series):
        H = run.start(series)
        run.record_start(ens, series, H)
        run.advance(ens, series, H)
    return _trajectory(plan, ens, info={"device": "cuda",
                                        "rng": "philox4x32-10 + Box-Muller"})


class _GpuRun:
    """The device arrays and buffers of one ``simulate(..., device="cuda")`` call."""

    def __init__(self, plan) -> None:
        self.plan = plan
        n, p, n_paths = plan.n, plan.p, plan.n_paths
        st = plan.step
        full_noise = bool(st.full_noise)
        self.lc = lc = _Launch(n, st.LT.shape[0] if full_noise else 0, n_paths)
        self.k0, self.k1 = _key(plan)
        to, f64 = cuda.to_device, np.float64

        def dev(a):
            return to(np.ascontiguousarray(a, dtype=f64))

        self.drift = (dev(st.MT), dev(st.GT), dev(st.g), dev(st.b), None, bool(st.affine),
                      int(st.act), bool(st.full_gamma), bool(st.activation_input),
                      float(plan.dt))
        self.noise = (dev(st.LT if full_noise else np.zeros((1, n))), dev(st.noise_diag),
                      full_noise, self.k0, self.k1)
        self.readout = tuple(dev(a) for a in plan.readout[1:])
        self.zero_cu = dev(plan.zero_cu)
        self.win = max(1, min(lc.window, plan.n_steps))
        n_tiles = -(-n_paths // TILE)
        self.counts = np.full(n_tiles, TILE, dtype=np.int64)
        self.counts[-1] = n_paths - TILE * (n_tiles - 1)
        self.Yd = cuda.device_array((self.win, p, n_paths), dtype=f64)
        self.mean_t = cuda.device_array((n_tiles, self.win, p), dtype=f64)
        self.m2_t = cuda.device_array((n_tiles, self.win, p), dtype=f64)
        self.dummy_Y = cuda.device_array((1, p, 1), dtype=f64)
        self.dummy_S = cuda.device_array((1, 1, 1), dtype=f64)
        self.no_slot = to(np.full(max(self.win, lc.window), -1, dtype=np.int64))   # burn-in
        self.bad = to(np.array([_NO_BAD], dtype=np.int64))

    def launch(self, H, series, t0, k, s0, cu, ro_kind, Y, S, slot) -> None:
        """One kernel launch of ``k`` steps (step counters ``s0..s0+k-1``), guarded."""
        plan, lc = self.plan, self.lc
        bound = plan.bound.at((s0 - 1 + k) * plan.dt)
        _sim_window[lc.blocks, (lc.ntx, lc.ppb), 0, lc.shared](
            H, (t0, k, s0, series, bound), (*self.drift[:4], cu, *self.drift[5:]),
            self.noise, (ro_kind, *self.readout), (Y, S, slot), self.bad)
        first = int(self.bad.copy_to_host()[0])
        if first != _NO_BAD:
            step, path = divmod(first, _KEY)
            value = float(np.abs(H[path:path + 1].copy_to_host()).max())   # window's end
            raise DivergenceError(divergence_message(
                plan.model, plan.dt, bound, step=step - plan.burn_in, path=path, value=value,
                burn_in=plan.burn_in) + " (device='cuda')")

    def start(self, series: int):
        """The initial states of ``series`` on the device, after the burn-in."""
        plan, f64 = self.plan, np.float64
        n, n_paths = plan.n, plan.n_paths
        if plan.h0_arr is not None:
            H = cuda.to_device(np.ascontiguousarray(
                np.broadcast_to(plan.h0_arr, (n_paths, n)).astype(f64)))
        elif plan.L0 is not None:
            H = cuda.device_array((n_paths, n), dtype=f64)
            tpb = 128
            _init_stationary[max(1, min(-(-n_paths // tpb), 4096)), tpb](
                H, cuda.to_device(np.asarray(plan.mean0, dtype=f64)),
                cuda.to_device(np.ascontiguousarray(plan.L0, dtype=f64)), self.k0, self.k1,
                series)
        else:
            H = cuda.to_device(np.zeros((n_paths, n)))
        done = 0
        while done < plan.burn_in:
            k = min(plan.burn_in - done, self.lc.window)
            self.launch(H, series, 0, k, 1 + done, self.zero_cu, -1, self.dummy_Y,
                        self.dummy_S, self.no_slot)
            done += k
        return H

    def record_start(self, ens, series: int, H) -> None:
        H_host = H.copy_to_host()
        y0 = self.plan.model.output(H_host)
        _, ens.mean[series, 0], ens.m2[series, 0] = batch_moments(y0)
        if ens.outputs is not None:
            ens.outputs[series, :, 0] = y0
        if ens.states is not None:
            ens.states[series, :, 0] = H_host

    def advance(self, ens, series: int, H) -> None:
        """All steps of ``series``, window by window: statistics, paths and states."""
        plan, win = self.plan, self.win
        n_steps, state_idx = plan.n_steps, plan.state_idx
        cu = cuda.to_device(plan.additive_terms(series))
        saving = ens.states is not None
        if saving:
            sel_all = np.searchsorted(state_idx, np.arange(n_steps + 1))
            is_saved = np.isin(np.arange(n_steps + 1), state_idx)
            Sd = cuda.device_array((plan.n_paths, max(1, int(min(win, len(state_idx)))),
                                    plan.n), dtype=np.float64)
        t = 0
        while t < n_steps:
            k = min(win, n_steps - t)
            slot_h = np.full(win, -1, dtype=np.int64)
            if saving:
                steps = np.arange(t + 1, t + 1 + k)
                keep = is_saved[steps]
                slot_h[:k][keep] = np.arange(int(keep.sum()))
            self.launch(H, series, t, k, 1 + plan.burn_in + t, cu, plan.ro_kind, self.Yd,
                        Sd if saving else self.dummy_S, cuda.to_device(slot_h))
            self.window_stats(ens, series, t, k)
            if saving and keep.any():
                ens.states[series][:, sel_all[steps[keep]]] = \
                    Sd.copy_to_host()[:, :int(keep.sum())]
            t += k

    def window_stats(self, ens, series: int, t: int, k: int) -> None:
        """Per-tile statistics on the device, merged on the host with the core accumulator."""
        threads, p = 128, self.plan.p
        n_tiles = self.counts.size
        _tile_stats[max(1, min(-(-(n_tiles * k * p) // threads), 4096)), threads](
            self.Yd, k, self.mean_t, self.m2_t)
        mt = self.mean_t.copy_to_host()[:, :k]
        vt = self.m2_t.copy_to_host()[:, :k]
        Moments(mean=ens.mean[series, t + 1:t + 1 + k],
                m2=ens.m2[series, t + 1:t + 1 + k]).merge_groups(self.counts, mt, vt)
        if ens.outputs is not None:
            ens.outputs[series, :, t + 1:t + 1 + k] = \
                self.Yd.copy_to_host()[:k].transpose(2, 0, 1)
