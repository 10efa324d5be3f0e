"""Monte Carlo ensembles of the response estimators on the dynamics core.

The estimators stream over fixed-size blocks of paths (:data:`ENSEMBLE_BLOCK`) or over
independent long stationary runs (chains, in groups of :data:`CHAIN_GROUP`); each block or run
draws from its own ``SeedSequence`` child, addressed by index, and the execution layer
(:class:`srnnkit._parallel.Runner`) hands results back in order, so every estimate is
reproducible from its seed whatever the scheduling. The stationary start is an exact draw
for a linear SRNN and a burn-in from ``h = 0`` otherwise (the estimators' rule of
:func:`burn_in_steps`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._parallel import Runner, report
from .._random import SeedLike, child_sequences
from ._blocks import CHAIN_GROUP, ENSEMBLE_BLOCK, ROWS_MAX, block_sizes
from ._burn_in import BURN_IN_FLOORS, burn_in_steps
from ._divergence import (
    DivergenceError,
    divergence_message,
    far_growth,
    first_bad_path,
    state_bound,
)
from ._drift import EulerStep
from ._spec import step_arrays

__all__ = ["Guard", "burn_in_layout", "default_burn_in", "exact_draws", "make_guard",
           "map_blocks", "map_chains", "run_chain_group", "stationary_sampler"]

#: below this many paths the compiled loop beats NumPy's per-step overhead
_VECTOR_MIN = 256
#: float64 numbers a long-run batch may hold at once
_MEMORY_FLOATS = 2 ** 24
#: steps between divergence checks of a NumPy burn-in (a check costs ~8 % of a step there);
#: nothing escapes (a NaN or inf fails the next check), only the step is named less precisely
_BURN_CHECK = 32


def exact_draws(model: Any, burn_in: int | None) -> bool:
    """Whether stationary starts are exact draws (a linear SRNN with no ``burn_in`` given)
    rather than a burn-in from ``h = 0``."""
    return bool(model.is_linear and burn_in is None)


def burn_in_layout(size: int, n: int) -> str:
    """How a burn-in of ``size`` paths of ``n`` units runs: ``"vector"`` (NumPy steps over
    the block, from 256 paths: its SIMD activations beat scalar loops), ``"rows"`` (the
    compiled unit-major loop, several paths of up to ``ROWS_MAX`` units) or ``"chain"`` (the
    compiled per-path loop)."""
    if size >= _VECTOR_MIN:
        return "vector"
    return "rows" if size > 1 and n <= ROWS_MAX else "chain"


def default_burn_in(model: Any, dt: float) -> int:
    """Burn-in steps of the estimators for a nonlinear SRNN started at ``h = 0``: ten
    relaxation times with the rate floored at a tenth of the leak rate (the rule of
    :func:`burn_in_steps`; 50 time units for the V2 tanh SRNN, whose contraction bound is
    0.2)."""
    return burn_in_steps(model, dt, floor=BURN_IN_FLOORS["estimators"], slack=0.0)


def stationary_burn(model: Any, dt: float, burn_in: Any,
                    default: Callable[[Any, float], int] = default_burn_in) -> int:
    """Burn-in steps of each stationary draw: ``burn_in`` when given, none for a linear SRNN
    (drawn exactly from its stationary law) and ``default(model, dt)`` otherwise."""
    if burn_in is not None:
        return int(burn_in)
    return 0 if model.is_linear else default(model, dt)


def map_blocks(runner: Runner, body: Callable, n_paths: int, seed: SeedLike,
               block_size: int = ENSEMBLE_BLOCK) -> Iterator:
    """``body(size, rng, lo)`` for each fixed-size block of an ensemble (``lo``: the index of
    its first path), in block order.

    Parameters
    ----------
    runner : Runner
        The execution layer (threads or a Dask client).
    body : callable
        ``body(size, rng, lo)``, run once per block.
    n_paths : int
        Paths of the ensemble.
    seed : int, SeedSequence or None
        Root seed; block ``b`` draws from its child ``b``.
    block_size : int, default=ENSEMBLE_BLOCK
        Paths per block.

    Returns
    -------
    iterator
        The results of ``body``, in block order.

    Examples
    --------
    >>> from srnnkit._parallel import Runner
    >>> from srnnkit.dynamics import map_blocks
    >>> [r for r in map_blocks(Runner(), lambda size, rng, lo: (lo, size), 5000, seed=0)]
    [(0, 2048), (2048, 2048), (4096, 904)]
    """
    sizes = block_sizes(n_paths, block_size)
    kids = child_sequences(seed, len(sizes))
    items = [(size, kid, b * block_size) for b, (size, kid) in enumerate(zip(sizes, kids,
                                                                           strict=True))]
    return runner.map(lambda it: body(it[0], np.random.default_rng(it[1]), it[2]), items)


def map_chains(runner: Runner, body: Callable, model: Any, dt: float, n_chains: int,
               n_steps: int, seed: SeedLike, burn_in: int | None) -> Iterator:
    """``body(states, noises)`` for groups of independent stationary runs, in order.

    Parameters
    ----------
    runner : Runner
        The execution layer.
    body : callable
        ``body(states, noises)`` with the arrays of `run_chain_group`.
    model : SRNN
        The network.
    dt : float
        Time step.
    n_chains : int
        Number of independent stationary runs.
    n_steps : int
        Steps of each run.
    seed : int, SeedSequence or None
        Root seed; run ``i`` draws from its child ``i``.
    burn_in : int or None
        Burn-in steps (None: exact stationary start for a linear SRNN, else
        `default_burn_in`).

    Returns
    -------
    iterator
        The results of ``body``, in run order.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit._parallel import Runner
    >>> from srnnkit.dynamics import map_chains
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> shapes = map_chains(Runner(), lambda h, xi: (h.shape, xi.shape), model, 0.02, 5, 100,
    ...                     seed=0, burn_in=50)
    >>> list(shapes)
    [((4, 101, 1), (4, 100, 1)), ((1, 101, 1), (1, 100, 1))]
    """
    items = chain_items(model, n_chains, n_steps, seed)
    return runner.map(
        lambda it: body(*run_chain_group(model, dt, n_steps, it[1], burn_in, first=it[0])),
        items)


def chain_group_size(model: Any, n_steps: int) -> int:
    """Stationary runs per task: :data:`CHAIN_GROUP`, fewer when a run's states, noises,
    outputs and input terms would exceed the memory of a task (:data:`_MEMORY_FLOATS`)."""
    per_chain = (n_steps + 1) * (model.n_hidden + model.n_noise + model.n_outputs
                                 + 4 * model.n_inputs)
    return int(max(1, min(CHAIN_GROUP, _MEMORY_FLOATS // per_chain)))


def chain_items(model: Any, n_chains: int, n_steps: int, seed: SeedLike) -> list[tuple]:
    """The tasks of :func:`map_chains`: ``(first, seeds)`` per group of runs (fixed-size
    groups, not a function of ``n_jobs``, so sums are folded identically)."""
    group = chain_group_size(model, n_steps)
    kids = child_sequences(seed, n_chains)
    return [(i, kids[i:i + group]) for i in range(0, n_chains, group)]


def stationary_run(model: Any, dt: float, n_steps: int, seed: SeedLike,
                   burn_in: int | None) -> np.ndarray:
    """States (n_steps + 1, n) of one stationary run, drawn from the first child of ``seed``
    (the pilot runs of the estimators)."""
    return run_chain_group(model, dt, n_steps, child_sequences(seed, 1), burn_in)[0][0]


@dataclass(frozen=True)
class Guard:
    """The divergence guard of one Monte Carlo run: ``check(H, step, lo)`` raises
    :class:`DivergenceError` when an entry of the states ``H`` (..., B, n) is beyond
    ``±bound`` or NaN (see :func:`state_bound`).

    Parameters
    ----------
    model : SRNN
        The network (named in the message).
    dt : float
        Time step.
    bound : float
        The divergence bound.
    what : str
        What is simulated, for the message.
    burn_in : int, default=0
        Burn-in steps of the run (steps before time 0 are named as burn-in steps).
    counts : bool, default=True
        Each check counts one step of the paths checked as progress.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import make_guard
    >>> guard = make_guard(sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3]), 0.02, "a test",
    ...                    n_steps=10)
    >>> guard.check(np.zeros((3, 1)), step=1)                # fine: nothing happens
    >>> try:
    ...     guard.check(np.array([[0.0], [1e6], [0.0]]), step=4, lo=100)
    ... except sk.DivergenceError as err:
    ...     print(str(err)[:56])
    the simulated state diverged at step 4 (t = 0.08) of pat
    """

    model: Any
    dt: float
    bound: float
    what: str
    burn_in: int = 0
    counts: bool = True     # each check counts one step of the paths checked as progress

    def check(self, H: np.ndarray, step: int, lo: int = 0) -> None:
        """Raise `DivergenceError` if an entry of ``H`` is beyond the bound or NaN.

        Parameters
        ----------
        H : ndarray of shape (..., B, n)
            States of ``B`` paths.
        step : int
            The step of ``H`` (for the message).
        lo : int, default=0
            Index of the first of the ``B`` paths.
        """
        from ._em_loops import n_outside  # one compiled pass, no temporary

        flat = H.reshape(-1, H.shape[-1])
        if n_outside(flat, self.bound) == 0:
            if self.counts:
                report(flat.shape[0])
            return
        i, value = first_bad_path(flat, self.bound)
        self.fail(step, lo + i % H.shape[-2], value)

    def fail(self, step: int, path: int, value: float = math.nan) -> None:
        """Raise the `DivergenceError` of a crossing at ``step`` on ``path``.

        Parameters
        ----------
        step : int
            The step of the crossing.
        path : int
            The path that crossed.
        value : float, default=nan
            The offending ``|h|``.
        """
        raise DivergenceError(divergence_message(
            self.model, self.dt, self.bound, step=step, path=path, what=self.what,
            value=value, burn_in=self.burn_in))


def make_guard(model: Any, dt: float, what: str, *, n_steps: int, burn_in: int = 0,
               inputs: Any = None, kick: float = 0.0) -> Guard:
    """The guard of a run of ``n_steps`` steps after ``burn_in`` (the bound at its end).

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.
    what : str
        What is simulated, for the message.
    n_steps : int
        Steps of the run after the burn-in.
    burn_in : int, default=0
        Burn-in steps.
    inputs : array-like of shape (..., m), optional
        The run's inputs.
    kick : float, default=0.0
        Size of a kick added to the start.

    Returns
    -------
    Guard
        The guard.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import make_guard
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> round(make_guard(model, 0.02, "a run", n_steps=100).bound, 2)
    135.36
    """
    sb = state_bound(model, dt, inputs=inputs, kick=kick)
    return Guard(model, dt, sb.at((burn_in + n_steps) * dt), what, burn_in)


def stationary_sampler(model: Any, dt: float, burn_in: int | None
                       ) -> Callable[..., np.ndarray]:
    """Return ``draw(rng, size, lo=0) -> (size, n)`` states from the EM chain's stationary law.

    Linear SRNNs: exact draws from :math:`N(m_\\infty, \\Sigma_\\Delta)`.  Nonlinear SRNNs:
    start at 0 and run ``burn_in`` steps (default :func:`default_burn_in`), guarded against
    divergence (``lo`` numbers the paths in messages).

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.
    burn_in : int or None
        Burn-in steps; None: the exact law of a linear SRNN, `default_burn_in` otherwise.

    Returns
    -------
    callable
        ``draw(rng, size, lo=0)``.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.dynamics import stationary_sampler
    >>> draw = stationary_sampler(sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3]), 0.02, 500)
    >>> draw(np.random.default_rng(0), 4).shape
    (4, 1)
    """
    n = model.n_hidden
    if exact_draws(model, burn_in):
        from ..model._linear import psd_sqrt, stationary_covariance

        S = stationary_covariance(model, dt)
        try:
            L = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:  # degenerate noise: a PSD square root still works
            L = psd_sqrt(S)
        m = model.stationary_mean()

        def draw(rng: np.random.Generator, size: int, lo: int = 0) -> np.ndarray:
            return m + rng.standard_normal((size, n)) @ L.T
        return draw
    refuse_without_stationary_law(model)
    return _BurnIn(model, dt, stationary_burn(model, dt, burn_in))


def refuse_without_stationary_law(model: Any) -> None:
    r"""ValueError when the network provably has no stationary law, so that no burn-in can
    reach one: a bounded activation (or the identity) whose far drift (`far_jacobian`:
    :math:`-\Gamma`, or :math:`-(\Gamma - W)` for the identity) has an eigenvalue with a
    positive real part. Along the left eigenvector ``l`` of that eigenvalue ``mu``,
    :math:`d(l\cdot h) = \mu\,(l\cdot h)\,dt + O(1)\,dt + l\cdot\sigma\,dB`: a bounded
    activation cannot hold back the exponential growth. Without this check a short default
    burn-in (the leak-rate fallback of `leak_rate`) handed the estimators states of a growing
    transient, and they returned kernels with standard errors for a law that does not exist.
    ReLU networks are left to the divergence guard: their far drift holds only where units
    are active."""
    from ._activations import ACTIVATIONS

    act = ACTIVATIONS[model.activation]
    if not (act.bounded or model.is_linear):
        return
    growth = far_growth(model)
    if growth > 0:
        what = "-gamma" if act.bounded else "-(gamma - W)"
        from .._validation import fail
        fail("model", f"a network with a stationary law (no eigenvalue of {what} with a "
             "positive real part: a bounded activation cannot stop the growth along such "
             "a direction)",
             f"an eigenvalue with real part {growth:.4g}",
             hint="No burn-in or dt gives it one: make gamma's eigenvalues positive (or its "
                  "symmetric part positive definite).")


class _BurnIn:
    """Stationary draws by a burn-in from ``h = 0`` (wide blocks in NumPy, narrow ones in the
    compiled per-path loop; both consume the same random numbers)."""

    def __init__(self, model: Any, dt: float, n_burn: int) -> None:
        self.model, self.dt, self.n_burn = model, dt, n_burn
        self.args = chain_arrays(model, dt)
        self.step = EulerStep(model, dt)
        self.guard = make_guard(model, dt, "the burn-in", n_steps=0, burn_in=n_burn)
        self.coarse = replace(self.guard, what=f"the burn-in (checked every {_BURN_CHECK} "
                                               "steps)", counts=False)

    def __call__(self, rng: np.random.Generator, size: int, lo: int = 0) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            return self._draw(rng, size, lo)

    def _draw(self, rng: np.random.Generator, size: int, lo: int) -> np.ndarray:
        n, r, n_burn = self.model.n_hidden, self.model.n_noise, self.n_burn
        h = np.zeros((size, n))
        layout = burn_in_layout(size, n)
        if layout == "vector":
            for j in range(n_burn):
                h = self.step(h, rng.standard_normal((size, r)))
                if j % _BURN_CHECK == _BURN_CHECK - 1 or j == n_burn - 1:
                    self.coarse.check(h, j + 1 - n_burn, lo)
                    report(size * (j % _BURN_CHECK + 1))
            return h
        from ._em_loops import advance_chains, advance_rows  # numba: on first use

        rows = layout == "rows"               # unit-major: the paths run as vectors
        if rows:
            h = np.zeros((n, size))
        chunk = int(max(1, min(n_burn, _MEMORY_FLOATS // (8 * size * r))))
        done = 0
        while done < n_burn:
            k = min(chunk, n_burn - done)
            xi = rng.standard_normal((k, size, r))    # the same stream as k per-step draws
            if rows:
                bad = advance_rows(h, np.ascontiguousarray(xi.transpose(0, 2, 1)), *self.args,
                                   self.guard.bound)
            else:
                bad = advance_chains(h, np.ascontiguousarray(xi.transpose(1, 0, 2)),
                                     *self.args, self.guard.bound)
            if bad >= 0:
                p, t = divmod(bad, k)
                self.guard.fail(done + t + 1 - n_burn, lo + p,
                                _value(h[:, p] if rows else h[p]))
            done += k
            report(size * k)
        return np.ascontiguousarray(h.T) if rows else h


def _value(h: np.ndarray) -> float:
    return float(np.abs(h).max())


def chain_arrays(model: Any, dt: float) -> tuple[tuple, tuple]:
    """``(drift, noise)`` of the compiled per-path loops (:func:`run_chains`)."""
    st = step_arrays(model, dt, affine=False)
    return st.chain_drift, st.noise


def run_chain_group(model: Any, dt: float, n_steps: int, seqs: list, burn_in: int | None,
                    first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stationary runs, one per ``SeedSequence`` in ``seqs`` (runs ``first, first + 1, ...``):
    states (B, n_steps+1, n) and noises (B, n_steps, r). Run ``i`` uses ``seqs[i]`` only, so
    grouping changes nothing.

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.
    n_steps : int
        Steps of each run.
    seqs : list of SeedSequence
        One per run.
    burn_in : int or None
        Burn-in steps (see `stationary_sampler`).
    first : int, default=0
        Index of the first run (for messages).

    Returns
    -------
    states : ndarray of shape (B, n_steps + 1, n)
        The runs' states.
    noises : ndarray of shape (B, n_steps, r)
        The standard normals that drove them.

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit._parallel import seed_children
    >>> from srnnkit.dynamics import run_chain_group
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> states, xi = run_chain_group(model, 0.02, 50, seed_children(0, 2), burn_in=100)
    >>> states.shape, xi.shape
    ((2, 51, 1), (2, 50, 1))
    """
    from ._em_loops import run_chains

    draw = stationary_sampler(model, dt, burn_in)
    rngs = [np.random.default_rng(ss) for ss in seqs]
    h = np.concatenate([draw(g, 1, first + i) for i, g in enumerate(rngs)], axis=0)  # (B, n)
    xi = np.stack([g.standard_normal((n_steps, model.n_noise)) for g in rngs])  # (B, L, r)
    states = np.empty((len(rngs), n_steps + 1, model.n_hidden))
    guard = make_guard(model, dt, "a stationary run", n_steps=n_steps,
                       burn_in=0 if exact_draws(model, burn_in) else
                       (default_burn_in(model, dt) if burn_in is None else burn_in))
    with np.errstate(over="ignore", invalid="ignore"):
        bad = run_chains(h, xi, *chain_arrays(model, dt), states, guard.bound)
    if bad >= 0:
        p, t = divmod(bad, n_steps + 1)
        guard.fail(t, first + p, _value(states[p, t]))
    report(len(rngs) * n_steps)
    return states, xi
