"""The plan of a :func:`srnnkit.simulate` call: every argument checked, every array of the step
built, before any path is simulated (CPU blocks, Dask tasks and the CUDA kernels all read it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._parallel import seed_child
from .._random import as_seed_sequence
from .._series import as_series
from .._validation import check_array, check_choice, check_int, check_memory, check_positive, fail
from ..dynamics._blocks import PATH_BLOCK
from ..dynamics._burn_in import BURN_IN_FLOORS, burn_in_steps
from ..dynamics._divergence import StateBound, state_bound
from ..dynamics._em_loops import RO_LINEAR, RO_NONE, RO_QUADRATIC
from ..dynamics._spec import StepArrays, step_arrays
from ..model import SRNN
from ..model._linear import psd_sqrt, stationary_covariance

__all__ = ["SimulationPlan", "make_plan"]


@dataclass
class SimulationPlan:
    """Everything a block of paths needs (picklable, so blocks can run on Dask workers)."""

    model: SRNN
    u: np.ndarray | None          # (n_series, n_steps, m) or None (no input)
    batched: bool
    n_steps: int
    n_paths: int
    dt: float
    method: str
    save: str
    state_idx: np.ndarray
    step: StepArrays
    readout: tuple                # (ro_kind, QT, q, M)
    h0_arr: np.ndarray | None
    L0: np.ndarray | None
    mean0: np.ndarray | None
    burn_in: int
    seed: np.random.SeedSequence
    bound: StateBound
    paths_per_task: int = PATH_BLOCK
    common_noise: bool = False    # every series draws series 0's noise (internal callers)

    # ------------------------------------------------------------------ shapes
    @property
    def n_series(self) -> int:
        return 1 if self.u is None else self.u.shape[0]

    @property
    def n(self) -> int:
        return self.model.n_hidden

    @property
    def p(self) -> int:
        return self.model.n_outputs

    @property
    def n_blocks(self) -> int:
        return -(-self.n_paths // PATH_BLOCK)

    @property
    def ro_kind(self) -> int:
        return self.readout[0]

    # ------------------------------------------------------------------- seeds
    @property
    def entropy(self) -> Any:
        return self.seed.entropy

    def block_seed(self, series: int, blk: int) -> np.random.SeedSequence:
        """Block ``blk`` of series ``series`` draws from the child at spawn key
        ``(..., series, blk)`` (``(..., 0, blk)`` with ``common_noise``): results do not
        depend on chunking, threads or workers."""
        return seed_child(self.seed, 0 if self.common_noise else series, blk)

    # ------------------------------------------------------------------ inputs
    def additive_maps(self, series: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(U, Ceff, beff)``: the input term of step t is ``beff + Ceff @ U[t]``."""
        Ceff, beff = self.step.additive_maps(self.model.C)
        U = np.zeros((1, self.model.n_inputs)) if self.u is None else self.u[series]
        return np.ascontiguousarray(U), Ceff, beff

    def additive_terms(self, series: int) -> np.ndarray:
        """Row t: the input term of step t, ``beff + Ceff @ U[t]`` (for the CUDA path)."""
        U, Ceff, beff = self.additive_maps(series)
        return np.ascontiguousarray(U @ Ceff.T + beff)

    @property
    def zero_cu(self) -> np.ndarray:
        """The input term with no input, shape (1, n)."""
        return self.additive_maps(0)[2][None, :].copy()


def make_plan(model: Any, inputs: Any, *, dt: Any, n_steps: Any, n_paths: Any, seed: Any,
              h0: Any, burn_in: Any, method: Any, save: Any, save_every: Any,
              chunk_size: Any) -> SimulationPlan:
    """Check the arguments of :func:`srnnkit.simulate` and build its plan."""
    if not isinstance(model, SRNN):
        fail("model", "an srnnkit.SRNN", type(model).__name__, TypeError)
    dt = check_positive("dt", dt)
    n_paths = check_int("n_paths", n_paths, low=1)
    method = check_choice("method", method, ("euler", "exact"))
    save = check_choice("save", save, ("mean", "paths", "states"))
    save_every = check_int("save_every", save_every, low=1)
    if method == "exact" and not model.is_linear:
        raise ValueError(f"method='exact' needs a linear SRNN (activation='identity'); this "
                         f"model has activation={model.activation!r}. Use method='euler'.")
    u, batched, n_steps = _parse_inputs(model, inputs, n_steps)
    n_series = 1 if u is None else u.shape[0]
    _check_sizes(model, n_series, n_steps, n_paths, save, save_every)
    h0_arr, burn_in, L0, mean0 = _initial_state(model, h0, burn_in, n_paths, dt, method)
    root = as_seed_sequence(seed)
    check_memory("n_paths", n_paths, f"the schedule of {PATH_BLOCK}-path blocks",
                 (n_series, -(-n_paths // PATH_BLOCK)), itemsize=256,
                 hint="Split the ensemble into several runs.")
    per_task = PATH_BLOCK if chunk_size is None else \
        PATH_BLOCK * -(-check_int("chunk_size", chunk_size, low=1) // PATH_BLOCK)
    return SimulationPlan(
        model=model, u=u, batched=batched, n_steps=n_steps, n_paths=n_paths, dt=dt,
        method=method, save=save, state_idx=np.arange(0, n_steps + 1, save_every),
        step=step_arrays(model, dt, method), readout=_readout_spec(model), h0_arr=h0_arr,
        L0=L0, mean0=mean0, burn_in=burn_in, seed=root, paths_per_task=per_task,
        bound=state_bound(model, dt, h0=h0_arr if h0_arr is not None else mean0, inputs=u))


def _parse_inputs(model: SRNN, inputs: Any, n_steps: Any
                  ) -> tuple[np.ndarray | None, bool, int]:
    """``(u, batched, n_steps)`` with ``u`` of shape (n_series, n_steps, m) or None."""
    if inputs is None:
        if n_steps is None:
            raise ValueError("n_steps is required when inputs is None (the unperturbed network "
                             "needs a length); got n_steps=None.")
        return None, False, check_int("n_steps", n_steps, low=1)
    m = model.n_inputs
    series = as_series(inputs, "inputs", n_channels=m, kind="input ",
                       what=f"to match model.n_inputs={m}")
    u = series.values
    if n_steps is not None and check_int("n_steps", n_steps, low=1) != u.shape[1]:
        fail("n_steps", f"equal to the inputs' length {u.shape[1]} (or None)", n_steps)
    _check_input_term(model, u)
    return u, not series.single, u.shape[1]


def _check_input_term(model: SRNN, u: np.ndarray) -> None:
    """Refuse inputs whose drift term ``C u`` overflows float64 (it would enter the Euler step
    as inf, a NaN state or a saturated activation with only a NumPy warning)."""
    with np.errstate(over="ignore", invalid="ignore"):
        bound = np.abs(model.C) @ np.abs(u).max(axis=(0, 1))        # >= |C u_t| entrywise
        if np.isfinite(bound).all():
            return
        cu = np.abs(u @ model.C.T).max()
    if not np.isfinite(cu):
        fail("inputs", "values whose input term C u is finite in float64",
             f"max |u| = {np.abs(u).max():.3g}, |C u| overflows; rescale the inputs or C")


def _check_sizes(model: SRNN, n_series: int, n_steps: int, n_paths: int, save: str,
                 save_every: int) -> None:
    check_memory("n_steps", n_steps, "the mean and stderr of the output",
                 (3, n_series, n_steps + 1, model.n_outputs))
    if save == "paths":
        check_memory("n_paths", n_paths, "save='paths' (every path's output)",
                     (n_series, n_paths, n_steps + 1, model.n_outputs),
                     hint="Use save='mean' or fewer paths.")
    elif save == "states":
        check_memory("n_paths", n_paths, "save='states' (every path's hidden states)",
                     (n_series, n_paths, n_steps // save_every + 1, model.n_hidden),
                     hint="Use a larger save_every, save='mean' or fewer paths.")


def _initial_state(model: SRNN, h0: Any, burn_in: Any, n_paths: int, dt: float, method: str
                   ) -> tuple[np.ndarray | None, int, np.ndarray | None, np.ndarray | None]:
    """``(h0_arr, burn_in, L0, mean0)``: a given start, the burn-in, and for a linear SRNN's
    stationary start the square root ``L0`` of its covariance and its mean."""
    n = model.n_hidden
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
        burn_in = burn_in_steps(model, dt, floor=BURN_IN_FLOORS["simulate"]) \
            if (stationary and not model.is_linear) else 0
    else:
        burn_in = check_int("burn_in", burn_in, low=0)
    L0 = mean0 = None
    if stationary and model.is_linear:
        L0 = psd_sqrt(stationary_covariance(model, dt=None if method == "exact" else dt))
        mean0 = model.stationary_mean()
    return h0_arr, burn_in, L0, mean0


def _readout_spec(model: SRNN) -> tuple:
    """``(ro_kind, QT, q, M)`` of the compiled readout (``RO_NONE``: a callable, applied in
    NumPy to the saved states)."""
    ro = model.readout
    n = model.n_hidden
    empty2 = np.zeros((1, 1))
    if ro.kind in ("linear", "identity"):
        return RO_LINEAR, np.ascontiguousarray(ro.Q.T), ro.q.astype(float), empty2
    if ro.kind == "quadratic":
        return RO_QUADRATIC, np.zeros((n, 1)), np.zeros(1), np.ascontiguousarray(ro.M)
    return RO_NONE, np.zeros((n, 1)), np.zeros(1), empty2
