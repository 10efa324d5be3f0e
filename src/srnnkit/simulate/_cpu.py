"""``simulate`` on the CPU: blocks of 256 paths advanced by the core's compiled loop.

A task is a run of consecutive blocks of one series; the execution layer
(:class:`srnnkit._parallel.Runner`) runs tasks on threads or a Dask cluster and hands their
results back in task order, so the statistics are merged in block order and the result is
bit-identical whatever the chunking, threads or workers.
"""

from __future__ import annotations

import numpy as np

from .._parallel import Runner, report
from .._threads import single_threaded_blas
from ..dynamics._blocks import PATH_BLOCK
from ..dynamics._divergence import DivergenceError, divergence_message, first_bad_path
from ..dynamics._em_loops import RO_NONE, advance_block
from ..dynamics._moments import Moments, batch_moments
from ..dynamics._rng import fill_normals, make_states, ziggurat_tables
from ._plan import SimulationPlan

__all__ = ["Ensemble", "run_cpu"]

_WINDOW = 64        # steps per kernel call (bounds the per-block output buffer)
_BURN_WINDOW = 4096


class Ensemble:
    """Per-series ensemble statistics (mean, M2) and, if kept, paths and states."""

    def __init__(self, plan: SimulationPlan) -> None:
        S, N, L, P = plan.n_series, plan.n_paths, plan.n_steps + 1, plan.p
        self.mean = np.empty((S, L, P))
        self.m2 = np.empty((S, L, P))
        self.moments = [Moments(mean=self.mean[s], m2=self.m2[s]) for s in range(S)]
        self.outputs = np.empty((S, N, L, P)) if plan.save == "paths" else None
        self.states = (np.empty((S, N, len(plan.state_idx), plan.n))
                       if plan.save == "states" else None)

    def add(self, task_result: list[tuple]) -> None:
        for s, blk, B, mb, m2b, yb, sb in task_result:
            self.moments[s].merge(B, mb, m2b)   # block order: tasks come in order
            lo = blk * PATH_BLOCK
            if self.outputs is not None:
                self.outputs[s, lo:lo + B] = yb
            if self.states is not None:
                self.states[s, lo:lo + B] = sb

    def result(self) -> Ensemble:
        return self


class _MeanFold:
    """The fold of ``save="mean"`` results on a Dask worker (only the statistics travel)."""

    def __init__(self, plan: SimulationPlan) -> None:
        self.n_series, self.shape = plan.n_series, (plan.n_steps + 1, plan.p)
        self.mean = np.empty((self.n_series, *self.shape))
        self.m2 = np.empty((self.n_series, *self.shape))
        self.moments = [Moments(mean=self.mean[s], m2=self.m2[s])
                        for s in range(self.n_series)]

    def add(self, task_result: list[tuple]) -> None:
        for s, _blk, B, mb, m2b, _y, _st in task_result:
            self.moments[s].merge(B, mb, m2b)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mean, self.m2


def run_cpu(plan: SimulationPlan, runner: Runner) -> Ensemble:
    """Simulate every block of every series; statistics merged in block order."""
    per_task = plan.paths_per_task // PATH_BLOCK
    tasks = [(s, list(range(j, min(j + per_task, plan.n_blocks))))
             for s in range(plan.n_series) for j in range(0, plan.n_blocks, per_task)]
    ens = Ensemble(plan)

    def task(t: tuple[int, list[int]]) -> list[tuple]:
        return run_blocks(plan, *t)

    if plan.save == "mean" and runner.is_dask:
        ens.mean[...], ens.m2[...] = runner.fold(task, tasks, _MeanFoldFactory(plan))
        return ens
    for res in runner.map(task, tasks):
        ens.add(res)
    return ens


class _MeanFoldFactory:
    def __init__(self, plan: SimulationPlan) -> None:
        self.plan = plan

    def __call__(self) -> _MeanFold:
        return _MeanFold(self.plan)


def run_blocks(plan: SimulationPlan, series: int, blocks: list[int]) -> list[tuple]:
    """Simulate the given blocks of one series; per block its statistics (and paths/states)."""
    maps = plan.additive_maps(series)
    with single_threaded_blas():
        return [_run_block(plan, series, blk, maps) for blk in blocks]


class _Block:
    """The state, random stream and buffers of one block of paths."""

    def __init__(self, plan: SimulationPlan, series: int, blk: int) -> None:
        n, p = plan.n, plan.p
        self.lo = blk * PATH_BLOCK
        self.B = B = min(PATH_BLOCK, plan.n_paths - self.lo)
        self.state = make_states([plan.block_seed(series, blk)])[0]
        kt, wt, ft = ziggurat_tables()
        self.rng = (self.state, kt, wt, ft)
        self.callable_readout = plan.ro_kind == RO_NONE
        self.H = np.zeros((B, n))
        self.win = win = min(_WINDOW, plan.n_steps)
        self.Yw = np.empty((B, win, p)) if not self.callable_readout else np.empty((1, 1, 1))
        self.need_states = plan.save == "states" or self.callable_readout
        self.Sw = np.empty((B, win, n)) if self.need_states else np.empty((1, 1, 1))
        self.scratch = (np.empty((B, n)), np.zeros((B, n)), np.empty((B, plan.step.LT.shape[0])),
                        np.empty((B, plan.readout[1].shape[1])), np.empty(n))

    def start(self, plan: SimulationPlan) -> None:
        """Initial states: the given ``h0``, an exact stationary draw, or zeros."""
        if plan.h0_arr is not None:
            self.H[:] = plan.h0_arr if plan.h0_arr.ndim == 1 else \
                plan.h0_arr[self.lo:self.lo + self.B]
        elif plan.L0 is not None:
            xi = np.empty((self.B, plan.n))
            fill_normals(self.state, xi, *self.rng[1:])
            self.H[:] = plan.mean0 + xi @ plan.L0.T

    def burn(self, plan: SimulationPlan, maps: tuple) -> None:
        """Run ``plan.burn_in`` unperturbed steps."""
        U, Ceff, beff = maps
        zero_in = (np.zeros((1, U.shape[1])), Ceff, beff)
        ro_none = (RO_NONE, *plan.readout[1:])
        done = 0
        while done < plan.burn_in:
            k = min(plan.burn_in - done, _BURN_WINDOW)
            bound = plan.bound.at((done + k) * plan.dt)
            bad = advance_block(self.H, plan.step.drift, zero_in, plan.step.noise, self.rng,
                                ro_none, (self.Yw, False, self.Sw), self.scratch, 0, k, bound)
            if bad >= 0:
                self.diverged(plan, done + bad - plan.burn_in, bound)
            done += k
            report(self.B * k)

    def window(self, plan: SimulationPlan, maps: tuple, t: int, k: int) -> np.ndarray:
        """Advance ``k`` steps from step ``t``; the outputs (B, k, p) of those steps."""
        bound = plan.bound.at((plan.burn_in + t + k) * plan.dt)
        bad = advance_block(self.H, plan.step.drift, maps, plan.step.noise, self.rng,
                            plan.readout, (self.Yw, self.need_states, self.Sw), self.scratch,
                            t, k, bound)
        if bad >= 0:
            self.diverged(plan, bad + 1, bound)
        return plan.model.output(self.Sw[:, :k]) if self.callable_readout else self.Yw[:, :k]


    def diverged(self, plan: SimulationPlan, step: int, bound: float) -> None:
        """Raise :class:`DivergenceError` for the first path of this block beyond ``bound``."""
        i, value = first_bad_path(self.H, bound)
        raise DivergenceError(divergence_message(
            plan.model, plan.dt, bound, step=step, path=self.lo + max(i, 0), value=value,
            burn_in=plan.burn_in))


def _run_block(plan: SimulationPlan, series: int, blk: int, maps: tuple) -> tuple:
    block = _Block(plan, series, blk)
    block.start(plan)
    block.burn(plan, maps)
    n_steps, B = plan.n_steps, block.B
    mean_b = np.empty((n_steps + 1, plan.p))
    m2_b = np.empty((n_steps + 1, plan.p))
    yb = np.empty((B, n_steps + 1, plan.p)) if plan.save == "paths" else None
    state_idx = plan.state_idx
    sb = np.empty((B, len(state_idx), plan.n)) if plan.save == "states" else None
    with np.errstate(over="ignore", invalid="ignore"):   # overflow is reported by simulate
        y0 = plan.model.output(block.H)
        _, mean_b[0], m2_b[0] = batch_moments(y0)
    if yb is not None:
        yb[:, 0] = y0
    if sb is not None:
        sb[:, 0] = block.H
    t = 0
    while t < n_steps:
        k = min(block.win, n_steps - t)
        Y = block.window(plan, maps, t, k)
        with np.errstate(over="ignore", invalid="ignore"):
            _, mean_b[t + 1:t + 1 + k], m2_b[t + 1:t + 1 + k] = batch_moments(Y)
        if yb is not None:
            yb[:, t + 1:t + 1 + k] = Y
        if sb is not None:
            sel = state_idx[(state_idx > t) & (state_idx <= t + k)]
            sb[:, np.searchsorted(state_idx, sel)] = block.Sw[:, sel - t - 1]
        t += k
        report(B * k)
    return series, blk, B, mean_b, m2_b, yb, sb


