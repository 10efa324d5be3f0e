r"""Kicked windows along stationary chains: the first-order perturbation estimator's draws
for a network without an exact stationary law (docs/theory.md §7a).

A burn-in from ``h = 0`` costs :math:`n_{\mathrm{burn}}` steps per independent start, ten
relaxation times by the estimators' rule, often far more than the kicked window it serves.
Here each chain is burnt in once and then serves ``S`` starts in a row: at each start the
chain's state is copied, kicked by :math:`\pm\varepsilon c_a` (or, input inside the
activation, stepped once with :math:`u = \pm\varepsilon e_a`), and the ``2m`` copies run
alongside the chain for one window with the chain's own normals (common random numbers).
The chain's state at the end of the window is the next start, so every start is a state of
an unperturbed Euler–Maruyama chain after its burn-in, exactly as an independent draw is.

Successive windows of a chain are correlated (each start carries the previous window's
noise); :func:`srnnkit.dynamics.chain_moments` measures the correlation (Geyer's integrated
autocorrelation time, per entry) and inflates the standard error by it. The number of
starts per chain is set so that the burn-in is no longer than the chain's run after it,
:math:`S = \lceil n_{\mathrm{burn}} / w \rceil` for windows of ``w`` steps, which bounds the
burn-in's share of the work by one half whatever the network.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._parallel import report
from ..dynamics._drift import EulerStep
from ..dynamics._ensembles import make_guard, stationary_sampler
from ..dynamics._moments import chain_moments
from ..dynamics._spec import step_arrays

__all__ = ["KickedChains", "chain_layout", "kicked_window", "run_copies", "starts_per_chain"]

#: float64 states one compiled call of a window may hold (32 MiB)
_GROUP_FLOATS = 2 ** 22
#: from this many units the windows run in the block loop's product kernel (run_shared);
#: below it unit-major (run_rows). One thread, ns per path-step, 48-590 paths of 150 steps,
#: unit-major / product kernel: 1 unit 6-17 / 29-31, 2 units 10-15 / 26-27, 4 units 26-49 /
#: 28-30, 8 units 55-119 / 57-61, 16 units 129-278 / 88-93, 64 units 810 / 357 (measured)
_SHARED_MIN = 4


#: the fewest chains a call's starts are spread over: the standard error rests on the
#: chains' autocorrelation (Geyer), which a few chains estimate badly (found by fuzzing: 5
#: chains of 445 starts on a slow 1-D network gave 5 of 20 seeds beyond 4 SE of the exact
#: kernel and a spread 2.1x the reported SE; 1 chain, 11 of 20)
MIN_CHAINS = 16


def starts_per_chain(n_burn: int, window: int, n_paths: int | None = None) -> int:
    """Starts served by one chain: ``ceil(n_burn / window)``, at least 1, and at most
    ``ceil(n_paths / MIN_CHAINS)`` when ``n_paths`` is given.

    Parameters
    ----------
    n_burn : int
        Burn-in steps of a chain.
    window : int
        Steps between two starts.
    n_paths : int, optional
        The call's starts, spread over at least `MIN_CHAINS` chains.

    Returns
    -------
    int
        Starts per chain.

    Examples
    --------
    >>> from srnnkit.response._chained import starts_per_chain
    >>> starts_per_chain(10_000, 300), starts_per_chain(0, 300), starts_per_chain(10_000, 300, 160)
    (34, 1, 10)
    """
    S = max(1, math.ceil(n_burn / max(window, 1)))
    return S if n_paths is None else min(S, max(1, math.ceil(n_paths / MIN_CHAINS)))


def kicked_window(model: Any, n_lags: int) -> int:
    """Steps from one start to the next: the window of ``n_lags`` readings (one more with the
    input inside the activation, whose kick is a step), at least 1."""
    in_drift = model.input_mode == "activation" and not model.is_linear
    return max(n_lags - 1 + in_drift, 1)


def chain_layout(size: int, per_chain: int) -> tuple[int, int]:
    """``(K, S)``: the chains of a block of ``size`` starts, at most ``per_chain`` each,
    spread evenly (``K S - S < size <= K S``; the last chain's tail is not read).

    Parameters
    ----------
    size : int
        Starts in the block.
    per_chain : int
        The most starts a chain serves (`starts_per_chain`).

    Returns
    -------
    tuple of int
        Chains and starts per chain.

    Examples
    --------
    >>> from srnnkit.response._chained import chain_layout
    >>> chain_layout(128, 34), chain_layout(5, 34)
    ((4, 32), (1, 5))
    """
    K = -(-size // min(per_chain, size))
    return K, -(-size // K)


class KickedChains:
    """``block(size, rng, lo)``: the first-order CRN differences of ``size`` starts taken
    along chains, as ``(count, mean, tau * M2)`` of shape ``(n_lags, m, p)``.

    Parameters
    ----------
    model : SRNN
        The network.
    dt : float
        Time step.
    n_lags : int
        Lags of the kernel.
    kick : ndarray of shape (m, n) or (m, m)
        The kicks (``eps C^T``, or ``eps I`` for the input inside the activation).
    in_drift : bool
        Whether the kick is a step with the input inside the activation.
    scale : float
        The difference's divisor (``2 eps`` or ``2 eps dt``).
    n_burn : int
        Burn-in steps of each chain.
    kick_size : float
        Size of the kick, for the divergence bound.
    n_paths : int, optional
        The call's starts (at least `MIN_CHAINS` chains; `starts_per_chain`).
    """

    def __init__(self, model: Any, dt: float, n_lags: int, kick: np.ndarray, in_drift: bool,
                 scale: float, n_burn: int, kick_size: float, n_paths: int | None = None
                 ) -> None:
        self.model, self.n_lags, self.kick, self.in_drift = model, n_lags, kick, in_drift
        self.scale = scale
        self.window = kicked_window(model, n_lags)
        self.S = starts_per_chain(n_burn, self.window, n_paths)
        self.draw = stationary_sampler(model, dt, n_burn)
        self.step = EulerStep(model, dt)
        self.arrays = step_arrays(model, dt, affine=False)     # built once
        self.n_burn = n_burn
        self.dt, self.kick_size = dt, kick_size

    def __call__(self, size: int, rng: np.random.Generator, lo: int) -> tuple:
        K, S = chain_layout(size, self.S)
        m, p = self.kick.shape[0], self.model.n_outputs
        guard = make_guard(self.model, self.dt, "a kicked ensemble", n_steps=S * self.window,
                           kick=self.kick_size, burn_in=self.n_burn)
        h = self.draw(rng, K, lo)
        vals = np.empty((K, S, self.n_lags, m, p))
        for j in range(S):
            h = self._window(h, rng, vals[:, j], guard, lo, j, S)
        return chain_moments(vals, size)

    def _window(self, h: np.ndarray, rng: np.random.Generator, out: np.ndarray, guard: Any,
                lo: int, j: int, S: int) -> np.ndarray:
        """One window: ``out`` (K, n_lags, m, p) gets the differences; returns the next
        starts (the chains' states one window later)."""
        model, kick, w = self.model, self.kick, self.window
        K, n = h.shape
        m = kick.shape[0]
        rows = 1 + 2 * m                                       # the chain, m plus, m minus
        xi = rng.standard_normal((K, w, self.step.r))
        H = np.repeat(h[:, None], rows, axis=1)               # (K, rows, n)
        if self.in_drift:
            u = np.concatenate([np.zeros((1, m)), kick, -kick])  # (rows, m)
            H = self.step(H, xi[:, :1], u=u)
            xi = xi[:, 1:]
            report(K * rows)
        else:
            H[:, 1:1 + m] += kick
            H[:, 1 + m:] -= kick
        steps = xi.shape[1]
        g = max(1, _GROUP_FLOATS // (rows * (steps + 1) * n))  # chains per compiled call
        nxt = np.empty_like(h)
        for k0 in range(0, K, g):
            k1 = min(K, k0 + g)
            first = lo + k0 * S + j                   # the start of the call's first chain
            states = run_copies(H[k0:k1].reshape(-1, n), xi[k0:k1], rows, self.arrays, guard,
                                j * w + self.in_drift, lambda c, first=first: first + c * S)
            report((k1 - k0) * rows * steps)
            states = states.reshape(k1 - k0, rows, steps + 1, n)
            f = model.output(states[:, 1:, :self.n_lags])      # (k, 2m, n_lags, p)
            out[k0:k1] = ((f[:, :m] - f[:, m:]) / self.scale).transpose(0, 2, 1, 3)
            nxt[k0:k1] = states[:, 0, -1]
        return nxt


def run_copies(H: np.ndarray, xi: np.ndarray, rows: int, arrays: Any, guard: Any, t0: int,
               path_of: Any) -> np.ndarray:
    """Unperturbed runs of groups of ``rows`` copies that share their normals (common random
    numbers), in the compiled loop that suits the width: unit-major (``run_rows``) below
    :data:`_SHARED_MIN` units, else the block loop's product kernel (``run_shared``). A
    copy beyond the guard's bound raises its `DivergenceError`, naming the step after
    ``t0`` and the path ``path_of(group)``.

    Parameters
    ----------
    H : ndarray of shape (K * rows, n)
        The initial states, group by group (not modified).
    xi : ndarray of shape (K, steps, r)
        Each group's standard normals.
    rows : int
        Copies per group.
    arrays : StepArrays
        ``step_arrays(model, dt, affine=False)``.
    guard : Guard
        The divergence guard (its bound, and the error it raises).
    t0 : int
        The step of the initial states, for the message.
    path_of : callable
        ``path_of(k)``: the path (start) that group ``k`` of the call belongs to.

    Returns
    -------
    ndarray of shape (K * rows, steps + 1, n)
        ``states[:, 0] = H``, ``states[:, t + 1]`` after step ``t``.
    """
    from ..dynamics._em_loops import run_rows, run_shared

    K, steps, n = xi.shape[0], xi.shape[1], H.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        if n < _SHARED_MIN:            # unit-major, the paths as vectors
            out = np.empty((steps + 1, n, K * rows))
            xr = np.repeat(xi, rows, axis=0).transpose(1, 2, 0)
            bad = run_rows(np.ascontiguousarray(H.T), np.ascontiguousarray(xr),
                           arrays.chain_drift, arrays.noise, out, guard.bound)
            states = out.transpose(2, 0, 1)
        else:                          # shared normals, the block loop's product kernel
            out = np.empty((steps + 1, K * rows, n))
            bad = run_shared(H.copy(), np.ascontiguousarray(xi.transpose(1, 0, 2)), rows,
                             arrays.block_drift, arrays.noise, out, guard.bound)
            states = out.transpose(1, 0, 2)
    if bad >= 0:
        q, t = divmod(bad, steps + 1)
        guard.fail(t0 + t, path_of(q // rows), float(np.abs(states[q, t]).max()))
    return states
