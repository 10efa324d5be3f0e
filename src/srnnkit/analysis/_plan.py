r"""Sample sizes of the analysis, by rule from the network's size and the data.

Every Monte Carlo sample size follows from a budget counted in *reference seconds*: a cost
model of each part (Euler-Maruyama steps of ensembles, burn-ins, stationary runs with their
Girsanov weights and FFT cross-correlations), with unit costs measured once on two busy cores,
so the same network and data always get the same sizes (and, with a seed, the same numbers)
on any machine. ``budget=1`` plans :data:`UNIT_SECONDS` reference seconds (109 s measured for
a 64-unit network with 8 inputs and 10 outputs on two cores at load 5 to 8, 22 s at
``budget=0.25``); the parts share it in fixed proportions (:data:`SHARES`), each
size clipped to a floor that keeps its standard errors meaningful.

Windows: the first-order kernel covers the test series (``N`` steps) and five time
constants of the slowest linearised mode, at most ``4 N`` lags (200 without data), so its
decay is seen where it happens within a few series lengths; the second-order kernel covers
the test series when the budget allows :data:`MIN_PATHS2` kicked paths, fewer lags
otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AnalysisPlan", "make_plan", "part_seconds", "step_cost"]

#: reference seconds of ``budget=1``
UNIT_SECONDS = 40.0
#: fractions of the budget for each part
SHARES = {"perturbation1": 0.10, "perturbation2": 0.35, "girsanov1": 0.25, "girsanov2": 0.05,
          "volterra": 0.15, "robustness": 0.10}
#: reference speeds (work units per second) of the cost model; a work unit is one
#: multiply-add of an Euler-Maruyama step (:func:`step_cost`). ``"ensemble"``: NumPy steps of
#: an ensemble; ``"copies"``: kicked copies sharing their start's normals in the compiled loop
#: (the first-order kicked chains and the second-order copies; the second-order estimate ran
#: 1.9-2.5x faster end to end than in NumPy steps on the digits network of docs/trained.md
#: and on a 16-unit one, measured, so twice the ensemble's speed)
SPEED = {"ensemble": 6e9, "copies": 1.2e10, "burn_in": 3e9, "pool": 1.5e10}
#: reference seconds per step of a stationary run: a fixed part, per FFT channel (outputs x
#: inputs, order 1), per second-order FFT channel (lags x inputs^2 x (outputs + 1))
RUN_STEP = {"fixed": 1e-6, "channel": 2.2e-7, "channel2": 3.6e-8}
#: floors and ceilings of the sample sizes
MIN_PATHS1, MAX_PATHS1 = 256, 20_000
MIN_PATHS2, MAX_PATHS2 = 64, 20_000
MIN_CHAINS, CHAINS, MAX_CHAINS = 8, 16, 256
MIN_VOLTERRA_PATHS, MAX_VOLTERRA_PATHS = 32, 4096
MIN_ROBUST_PATHS, MAX_ROBUST_PATHS = 8, 256
#: independent batches of each perturbation estimate (their spread gives the standard
#: errors of contracted Volterra terms)
N_BATCHES = 8
#: input amplitudes (relative to the data) of the Volterra check, largest first
AMPLITUDES = (1.0, 0.5, 0.25, 0.125)
#: input-noise levels, in units of each channel's standard deviation
NOISE_LEVELS = (0.05, 0.1, 0.2, 0.5, 1.0)
#: noisy copies of each test series per noise level
NOISE_DRAWS = 8


@dataclass
class AnalysisPlan:
    """The sample sizes and windows one analysis uses (see the module docstring).

    Parameters
    ----------
    n_lags, second_lags : int
        Lag windows of the first- and second-order kernels.
    perturbation_paths, perturbation2_paths : int
        Kicked paths of the first- and second-order perturbation estimates (all batches).
    girsanov_chains, girsanov_steps, girsanov2_chains, girsanov2_steps : int
        Stationary runs of the Girsanov estimates and their length.
    n_batches : int
    n_series : int
        Test series used for the Volterra and robustness checks.
    volterra_paths, robustness_paths : int
        Paths per test series of the two checks.
    amplitudes, noise_levels : tuple of float
    noise_draws : int
    burn_in : int
        Burn-in steps of one stationary draw (0 for linear SRNNs: exact draws).
    budget : float
    work : dict
        Planned reference seconds of each part (:func:`part_seconds`).

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import make_plan
    >>> model = sk.SRNN.random(8, 2, seed=0)
    >>> plan = make_plan(model, 0.1, n_steps=20, n_available=50, slow_steps=10.0,
    ...                  budget=0.25, burn_in=100)
    >>> plan.n_lags, plan.second_lags, plan.n_series   # 5 x 10 steps; 32 sqrt(0.25)
    (50, 20, 16)
    """

    n_lags: int
    second_lags: int
    perturbation_paths: int
    perturbation2_paths: int
    girsanov_chains: int
    girsanov_steps: int
    girsanov2_chains: int
    girsanov2_steps: int
    n_batches: int
    n_series: int
    volterra_paths: int
    robustness_paths: int
    amplitudes: tuple[float, ...]
    noise_levels: tuple[float, ...]
    noise_draws: int
    burn_in: int
    budget: float
    work: dict[str, float] = field(default_factory=dict)


def step_cost(model: Any) -> float:
    """Work units of one Euler-Maruyama step of one path."""
    n, m, p, r = model.n_hidden, model.n_inputs, model.n_outputs, model.n_noise
    return 2.0 * n * (n + r + m + p) + 20.0 * n


def _clip(x: float, lo: int, hi: int) -> int:
    return int(min(hi, max(lo, math.floor(x))))


def _round_to(x: int, k: int) -> int:
    return max(k, k * round(x / k))


def first_window(n_steps: int | None, slow_steps: float) -> int:
    """First-order lags: the series and five slowest time constants, at most 4 N (200
    without data), at least N (10 without data)."""
    floor, cap = (n_steps, 4 * n_steps) if n_steps else (10, 200)
    want = 5.0 * slow_steps if math.isfinite(slow_steps) else cap
    return int(max(floor, min(math.ceil(want), cap)))


def _start1(model: Any, n_lags: int, burn_in: int, n_paths: int | None = None) -> float:
    """Reference seconds of one first-order perturbation start: its share ``1/S`` of a
    chain's burn-in and the chain with its ``2m`` kicked copies through one window in the
    compiled loop (docs/theory.md §7a); for a linear SRNN's exact draws, ``2m`` copies in
    NumPy steps."""
    c, m = step_cost(model), model.n_inputs
    if model.is_linear and burn_in == 0:
        return 2 * m * n_lags * c / SPEED["ensemble"]
    from ..response._chained import kicked_window, starts_per_chain

    w = kicked_window(model, n_lags)
    return (burn_in / starts_per_chain(burn_in, w, n_paths) * c / SPEED["burn_in"]
            + (1 + 2 * m) * w * c / SPEED["copies"])


def _start2(model: Any, n_lags: int, burn_in: int) -> float:
    """Reference seconds of one second-order perturbation start: its burn-in and the
    ``4 m^2`` copies of each of the ``n_lags`` gaps through ``n_lags`` steps."""
    c, m = step_cost(model), model.n_inputs
    return burn_in * c / SPEED["burn_in"] + 4 * m * m * n_lags * n_lags * c / SPEED["copies"]


def part_seconds(model: Any, plan_sizes: dict[str, Any]) -> dict[str, float]:
    """Reference seconds of each part for the sizes in ``plan_sizes`` (keys of
    :class:`AnalysisPlan`)."""
    c = step_cost(model)
    m, p = model.n_inputs, model.n_outputs
    z = plan_sizes
    burn = z["burn_in"]
    ens, est_burn = c / SPEED["ensemble"], c / SPEED["burn_in"]
    L1, L2, N, S = z["n_lags"], z["second_lags"], z["n_steps"], z["n_series"]
    run1 = RUN_STEP["fixed"] + ens + RUN_STEP["channel"] * m * p
    run2 = run1 + RUN_STEP["channel2"] * L2 * m * m * (p + 1)
    pool = S * max(z["volterra_paths"], z["robustness_paths"]) * burn * c / SPEED["pool"]
    return {
        "perturbation1": z["perturbation_paths"] * _start1(model, L1, burn,
                                                           z["perturbation_paths"]),
        "perturbation2": z["perturbation2_paths"] * _start2(model, L2, burn),
        "girsanov1": z["girsanov_chains"] * (z["girsanov_steps"] * run1 + burn * est_burn),
        "girsanov2": z["girsanov2_chains"] * (z["girsanov2_steps"] * run2 + burn * est_burn),
        "volterra": pool + S * z["volterra_paths"] * (len(AMPLITUDES) + 1) * N * ens,
        "robustness": S * z["robustness_paths"] * (len(NOISE_LEVELS) * (NOISE_DRAWS + 1)
                                                    * N * ens)}


def make_plan(model: Any, dt: float, *, n_steps: int | None, n_available: int,
              slow_steps: float, budget: float, burn_in: int) -> AnalysisPlan:
    """Sample sizes for ``model`` at step ``dt``.

    Parameters
    ----------
    model : SRNN
    dt : float
        The Euler-Maruyama step.
    n_steps : int or None
        The longest test series (None without data: white-noise series as long as the
        first-order window).
    n_available : int
        The number of test series (0 without data).
    slow_steps : float
        The slowest linearised time constant, in steps (``inf`` when it does not decay).
    budget : float
        Work budget (1: :data:`UNIT_SECONDS` reference seconds).
    burn_in : int
        Steps of one stationary draw.

    Returns
    -------
    AnalysisPlan

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import make_plan
    >>> model = sk.SRNN.random(8, 2, seed=0)
    >>> plan = make_plan(model, 0.1, n_steps=20, n_available=50, slow_steps=10.0,
    ...                  budget=0.25, burn_in=100)
    >>> plan.n_lags, plan.second_lags, plan.n_series   # 5 x 10 steps; 32 sqrt(0.25)
    (50, 20, 16)
    """
    T = UNIT_SECONDS * budget
    c = step_cost(model)
    m, p = model.n_inputs, model.n_outputs
    ens, est_burn = c / SPEED["ensemble"], c / SPEED["burn_in"]
    L1 = first_window(n_steps, slow_steps)
    N = n_steps or L1
    B = N_BATCHES
    P1 = _clip(SHARES["perturbation1"] * T / _start1(model, L1, burn_in),
               MIN_PATHS1, MAX_PATHS1)
    # few starts lie on at least MIN_CHAINS chains (response._chained), so each pays more
    # of a burn-in: sized again at that cost (found by review)
    P1 = _clip(SHARES["perturbation1"] * T / _start1(model, L1, burn_in, P1),
               MIN_PATHS1, MAX_PATHS1)
    L2 = min(N, L1)
    while L2 > 2 and SHARES["perturbation2"] * T < MIN_PATHS2 * _start2(model, L2, burn_in):
        L2 -= 1
    P2 = _clip(SHARES["perturbation2"] * T / _start2(model, L2, burn_in), MIN_PATHS2,
               MAX_PATHS2)
    run1 = RUN_STEP["fixed"] + ens + RUN_STEP["channel"] * m * p
    run2 = run1 + RUN_STEP["channel2"] * L2 * m * m * (p + 1)
    g1, s1 = _chains(SHARES["girsanov1"] * T, run1, burn_in * est_burn, L1)
    g2, s2 = _chains(SHARES["girsanov2"] * T, run2, burn_in * est_burn, L2)
    S = min(n_available, max(8, round(32 * math.sqrt(budget)))) if n_available else \
        max(8, round(16 * math.sqrt(budget)))
    A, K, nl = len(AMPLITUDES), NOISE_DRAWS, len(NOISE_LEVELS)
    pool_path = burn_in * c / SPEED["pool"]
    Pv = _clip(SHARES["volterra"] * T / (S * (pool_path + (A + 1) * N * ens)),
               MIN_VOLTERRA_PATHS, MAX_VOLTERRA_PATHS)
    Pr = _clip(SHARES["robustness"] * T / (S * nl * (K + 1) * N * ens),
               MIN_ROBUST_PATHS, min(MAX_ROBUST_PATHS, Pv))
    sizes = dict(n_lags=L1, second_lags=L2, perturbation_paths=_round_to(P1, B),
                 perturbation2_paths=_round_to(P2, B), girsanov_chains=g1, girsanov_steps=s1,
                 girsanov2_chains=g2, girsanov2_steps=s2, n_batches=B, n_series=S,
                 volterra_paths=Pv, robustness_paths=Pr)
    seconds = part_seconds(model, dict(sizes, burn_in=burn_in, n_steps=N))
    return AnalysisPlan(**sizes, amplitudes=AMPLITUDES, noise_levels=NOISE_LEVELS,
                        noise_draws=K, burn_in=burn_in, budget=float(budget), work=seconds)


def _chains(seconds: float, per_step: float, per_chain: float, n_lags: int
            ) -> tuple[int, int]:
    """``(chains, steps)`` of a stationary-run estimator: CHAINS runs (MIN_CHAINS when the
    budget is short, more when the runs would pass the library's default length
    ``max(20000, 50 n_lags)``), each at least ``2 n_lags`` steps."""
    longest = max(20_000, 50 * n_lags)
    chains = CHAINS
    steps = (seconds - chains * per_chain) / (chains * per_step)
    if steps < 2 * n_lags:
        chains = MIN_CHAINS
        steps = (seconds - chains * per_chain) / (chains * per_step)
    elif steps > longest:
        chains = min(MAX_CHAINS, math.ceil(seconds / (longest * per_step + per_chain)))
        steps = (seconds - chains * per_chain) / (chains * per_step)
    return chains, _clip(steps, 2 * n_lags, longest)
