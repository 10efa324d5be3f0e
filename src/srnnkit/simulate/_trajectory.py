"""The result object of :func:`srnnkit.simulate`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..dynamics._divergence import DivergenceError

__all__ = ["DivergenceError", "Trajectory"]


@dataclass(frozen=True)
class Trajectory:
    """Monte Carlo ensemble of an SRNN, as returned by :func:`srnnkit.simulate`.

    Parameters
    ----------
    ts : ndarray of shape (n_steps + 1,)
        Times ``k * dt``; index 0 is the initial state.
    mean : ndarray of shape (n_steps + 1, p) or (n_series, n_steps + 1, p)
        Ensemble mean of the output ``f(h_t)``, an estimate of ``E f(h_t)``.
    stderr : ndarray like ``mean``, or None
        Standard error of ``mean`` (sample standard deviation / sqrt(n_paths)); None for a
        single path.
    outputs : ndarray of shape (n_paths, n_steps + 1, p) (per series), or None
        Outputs of every path (``save="paths"``).
    states : ndarray of shape (n_paths, n_saved, n) (per series), or None
        Hidden states every ``save_every`` steps (``save="states"``), at ``state_ts``.
    state_ts : ndarray of shape (n_saved,) or None
        Times of the saved ``states``.
    dt : float
        Time step.
    n_paths : int
        Number of Monte Carlo paths.
    method : str
        ``"euler"`` or ``"exact"``.
    seed_entropy : int or list of int
        Entropy of the root SeedSequence: passing it as ``seed`` repeats the run exactly
        (a list after a Generator or RandomState seed). A SeedSequence with a spawn key (a
        child of another) is not its entropy alone: pass that SeedSequence again.
    burn_in : int, default=0
        Steps run (and discarded) before ``ts[0]`` to reach the stationary regime.
    info : dict
        Run details for reports (empty on the CPU; the device and generator on CUDA).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> traj = sk.simulate(model, np.zeros((100, 1)), dt=0.01, n_paths=512, seed=0)
    >>> traj
    Trajectory(method='euler', n_paths=512, dt=0.01, mean=(101, 1))
    >>> traj.ts[:3], traj.n_steps, traj.stderr.shape
    (array([0.  , 0.01, 0.02]), 100, (101, 1))
    """

    ts: np.ndarray
    mean: np.ndarray
    stderr: np.ndarray | None
    dt: float
    n_paths: int
    method: str
    seed_entropy: int | list[int]
    outputs: np.ndarray | None = None
    states: np.ndarray | None = None
    state_ts: np.ndarray | None = None
    burn_in: int = 0
    info: dict = field(default_factory=dict)

    @property
    def n_steps(self) -> int:
        """Number of time steps after the initial state (``len(ts) - 1``)."""
        return len(self.ts) - 1

    def __repr__(self) -> str:
        extra = []
        if self.outputs is not None:
            extra.append(f"outputs={self.outputs.shape}")
        if self.states is not None:
            extra.append(f"states={self.states.shape}")
        tail = (", " + ", ".join(extra)) if extra else ""
        return (f"Trajectory(method={self.method!r}, n_paths={self.n_paths}, dt={self.dt}, "
                f"mean={self.mean.shape}{tail})")
