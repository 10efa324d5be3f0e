"""Front ends: ``linear_response`` and ``second_order_response``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._cost import costed
from .._parallel import Runner
from .._random import SeedLike, as_seed_sequence
from .._validation import check_choice, check_int, check_memory, check_positive, fail
from ..dynamics._agreement import RunsDisagreeWarning, RunWatch
from ..model._linear import check_stationary_law
from ._cost import linear_response_cost, second_order_response_cost
from ._fdt import SCORES, fdt_first, warn_score, warn_step
from ._linear import analytic_linear_response, analytic_second_order
from ._mixed import mixed_second, pathwise_first
from ._montecarlo import (
    first_order_starts,
    girsanov_first,
    girsanov_second,
    perturbation_first,
    perturbation_second,
)
from ._result import ResponseFunction
from ._weights import girsanov_matrix, refuse_kinked, warn_conditioning

__all__ = ["linear_response", "second_order_response"]

FIRST_METHODS = ("analytic", "perturbation", "pathwise", "fdt", "girsanov", "grid")
SECOND_METHODS = ("analytic", "perturbation", "girsanov", "mixed", "grid")
#: what a network with the input inside a ReLU takes at second order instead of weights
_R2_INSTEAD = "method='perturbation' (double kicks resolve it) or, for one unit, 'grid'"

#: default sample sizes (ensemble paths; long-run chains and their length)
DEFAULT_PATHS = {"perturbation": 10_000, "perturbation2": 4_000, "chains": 16}


def check_model(model: Any) -> Any:
    from ..model import SRNN

    if not isinstance(model, SRNN):
        fail("model", "an srnnkit.SRNN", type(model).__name__, TypeError)
    return model


def make_parallel(n_jobs: Any, executor: Any, device: Any) -> Runner:
    """Validate ``n_jobs``, ``executor`` and ``device`` (the estimators run on the CPU)."""
    check_choice("device", device, ("cpu", "cuda"))
    if device == "cuda":
        raise ValueError("device='cuda' is not available for the response estimators; use "
                         "device='cpu' (n_jobs= threads or executor= a Dask client to scale).")
    return Runner(n_jobs, executor, desc="response estimator")


def check_burn_in(burn_in: Any) -> int | None:
    return None if burn_in is None else check_int("burn_in", burn_in, low=0)


def _common(model: Any, dt: Any, n_lags: Any, method: Any, methods: tuple[str, ...],
            discrete: Any = False) -> tuple[Any, float, int, str]:
    model = check_model(model)
    if not isinstance(discrete, (bool, np.bool_)):      # bool("no") is True: never guess
        fail("discrete", "a bool", discrete, TypeError)
    dt = check_positive("dt", dt)
    n_lags = check_int("n_lags", n_lags, low=1)
    method = check_choice("method", method, methods)
    p, m = model.n_outputs, model.n_inputs
    if methods is FIRST_METHODS:
        check_memory("n_lags", n_lags, "the kernel values and their stderr", (4, n_lags, p, m))
    else:
        check_memory("n_lags", n_lags, "the second-order kernel values and their stderr",
                     (4, n_lags, n_lags, p, m, m))
    return model, dt, n_lags, method


def _seed_info(seed: SeedLike) -> tuple[Any, dict[str, Any]]:
    """The root ``SeedSequence`` of an estimate and what ``info`` records to repeat it.

    ``info["seed"]`` is the root's entropy (the int seed itself, or the fresh entropy drawn
    for ``seed=None``), so ``seed=info["seed"]`` repeats the estimate; a child sequence (as
    ``VolterraSeries.from_model`` passes) also records its ``spawn_key``.
    """
    root = as_seed_sequence(seed)
    entropy = root.entropy
    info: dict[str, Any] = {"seed": list(entropy) if isinstance(entropy, (list, tuple))
                            else int(entropy)}
    if root.spawn_key:
        info["spawn_key"] = [int(k) for k in root.spawn_key]
    return root, info


def _nfft(n: int) -> int:
    return 1 << int(max(n, 1) - 1).bit_length()


def _workspace_need(model: Any, order: int, method: str, n_lags: int, n_paths: int,
                    n_steps: int | None) -> tuple[float, int, str, bool]:
    """Bytes one task holds at once, the samples per task, what they are, and whether the
    stationary runs themselves (not the lag window) dominate."""
    from .. import _validation as V
    from ..dynamics._blocks import ENSEMBLE_BLOCK
    from ..dynamics._ensembles import chain_group_size

    n, m, p, r = model.n_hidden, model.n_inputs, model.n_outputs, model.n_noise
    if method == "perturbation":
        B = min(ENSEMBLE_BLOCK, n_paths)
        shape = (n_lags, m, B, p) if order == 1 else (n_lags, n_lags, m, m, B, p)
        what = (f"the kicked ensemble's outputs at every lag, shape {V.format_shape(shape)},"
                if order == 1 else "the doubly kicked ensembles' outputs at every pair of "
                f"lags, shape {V.format_shape(shape)},")
        return 8 * float(np.prod(shape, dtype=float)), B, what, False
    per_run = (n_steps + 1) * (n + r + p + 4 * m)
    G = max(1, min(chain_group_size(model, n_steps), n_paths))
    F = _nfft(n_steps + n_lags) // 2 + 1
    mm = m * m if order == 2 else m
    runs = 8 * G * per_run
    need = runs + 16 * G * F * (mm + p + 2 * p * mm)
    if order == 2:
        need += 8 * G * n_lags * n_lags * p * m * m
    what = (f"{G} stationary run(s) of {n_steps} steps with their noises, outputs and FFTs"
            + (" and per-run kernels" if order == 2 else ""))
    return float(need), G, what, runs > need // 2


def _check_workspace(model: Any, order: int, method: str, n_lags: int, n_paths: int,
                     n_steps: int | None, n_steps_given: bool, par: Runner) -> None:
    """Refuse, naming the argument, a lag window whose working arrays cannot fit in memory.

    Counts the arrays one task holds at once (a block of kicked paths and their outputs at
    every lag; or a group of stationary runs with their noises, outputs, FFTs and per-run
    kernels), times the tasks that run at once, so ``n_lags=10**6`` fails at once with the
    argument's name instead of a NumPy ``MemoryError`` inside the estimator.
    """
    from .. import _validation as V

    need, per_task, what, runs_dominate = _workspace_need(model, order, method, n_lags,
                                                          n_paths, n_steps)
    name, value = ("n_steps", n_steps) if (n_steps_given and runs_dominate) else \
        ("n_lags", n_lags)
    tasks = 1 if par.executor is not None else max(1, par.n_threads)
    tasks = min(tasks, -(-n_paths // per_task))
    need *= tasks
    have = V.physical_memory()
    if need > have:
        hint = ("Lower n_lags (the lag window is n_lags * dt time units; a kernel that has "
                "decayed needs no longer window)" if name == "n_lags" else
                "Lower n_steps (the length of each stationary run)")
        raise ValueError(
            f"{name}={V.describe(value)} is too large: {what} would need "
            f"{V.format_bytes(int(need))}{f' ({tasks} at once)' if tasks > 1 else ''}, more "
            f"than this machine's {V.format_bytes(have)} of memory. {hint}"
            + (", or use fewer threads (n_jobs)." if tasks > 1 else "."))


def _chain_length(n_steps: Any, n_lags: int) -> int:
    if n_steps is None:
        return max(20_000, 50 * n_lags)
    n_steps = check_int("n_steps", n_steps, low=1)
    if n_steps < 2 * n_lags:
        fail("n_steps", f"an integer >= 2 * n_lags = {2 * n_lags} (each stationary run must be "
             "much longer than the lag window)", n_steps)
    return n_steps


def _ensemble_size(n_paths: Any, n_chains: Any, default: str, method: str) -> int:
    """``n_paths`` of an ensemble method (``n_chains`` does not apply)."""
    if n_chains is not None:
        fail("n_chains", f"None with method={method!r} (an ensemble of n_paths paths; n_chains "
             "counts the stationary runs of 'fdt', 'girsanov', 'pathwise' and 'mixed')",
             n_chains)
    return check_int("n_paths", DEFAULT_PATHS[default] if n_paths is None else n_paths, low=2)


def _chain_count(n_paths: Any, n_chains: Any, method: str, stacklevel: int = 4) -> int:
    """``n_chains`` of a stationary-run method; ``n_paths`` is its deprecated alias."""
    name = "n_chains"
    if n_paths is not None:
        if n_chains is not None:
            fail("n_paths", f"None when n_chains is given (method={method!r} counts "
                 "stationary runs with n_chains)", n_paths)
        warnings.warn(f"n_paths with method={method!r} counts independent stationary runs; "
                      "pass n_chains instead (n_paths will only mean ensemble paths).",
                      DeprecationWarning, stacklevel=stacklevel)
        n_chains, name = n_paths, "n_paths"
    return check_int(name, DEFAULT_PATHS["chains"] if n_chains is None else n_chains, low=2)


def _chain_info(n_chains: int, n_steps: int, dt: float) -> dict[str, Any]:
    # "n_paths" is kept for readers of older results
    return dict(n_chains=n_chains, n_paths=n_chains, n_steps=n_steps,
                t_obs=n_chains * n_steps * dt)


def _grid_only(model: Any, what: str) -> None:
    if model.n_hidden != 1:
        raise ValueError(f"{what} with method='grid' needs a one-dimensional SRNN (n_hidden == 1);"
                         f" this model has n_hidden={model.n_hidden}. Use method='perturbation' "
                         "or 'girsanov'.")


@costed(linear_response_cost)
def linear_response(model: Any, *, dt: float, n_lags: int, method: str = "analytic",
                    discrete: bool = False, n_paths: int | None = None, seed: SeedLike = None,
                    n_steps: int | None = None, eps: float = 1e-3, score: Any = "auto",
                    burn_in: int | None = None, spacing: float = 0.01, n_jobs: int | None = None,
                    executor: Any = None, device: str = "cpu", n_chains: int | None = None
                    ) -> ResponseFunction:
    r"""First-order response kernel :math:`R^{(1)}(k\,\Delta)`, k = 0..n_lags-1.

    .. math:: E f(h_t) = \langle f\rangle_\infty + \int_0^t R^{(1)}(t-s)\,u_s\,ds + O(u^2),
              \qquad R^{(1)}_{ia}(\tau) = E_{p_\infty}\bigl[c_a\cdot\nabla\,
              e^{\tau L_0} f_i\bigr].

    ``method``: closed form (``"analytic"``, linear SRNNs), common-random-number kicks
    (``"perturbation"``), their ``eps -> 0`` limit along stationary runs (``"pathwise"``),
    fluctuation-dissipation (``"fdt"``), likelihood-ratio weights (``"girsanov"``) or the grid
    transfer operator (``"grid"``, 1-D SRNNs); docs/response.md says which when. All but
    ``"analytic"`` estimate the EM chain's kernel ``r1(k)`` (``discrete=True``).

    Parameters
    ----------
    model : SRNN
    dt : float
        Lag spacing and Euler–Maruyama step.
    n_lags : int
        Number of lags, ``lags = dt * arange(n_lags)`` (a window that cannot fit in memory
        raises ``ValueError`` before any work).
    method : {"analytic", "perturbation", "pathwise", "fdt", "girsanov", "grid"}
    discrete : bool, default=False
        ``"analytic"`` only: the EM chain's kernel instead of the continuous one.
    n_paths : int, optional
        Ensemble size of ``"perturbation"`` (default 10000). For ``"fdt"`` and
        ``"girsanov"`` it is a deprecated alias of ``n_chains``.
    seed : int, Generator, SeedSequence or None
        Every estimate is reproducible from its seed (blocks and runs have their own children).
    n_steps : int, optional
        Length of each stationary run, default ``max(20000, 50 * n_lags)``.
    eps : float, default=1e-3
        Kick size (perturbation). Below 2.2e-8 the rounding of the kicked differences can
        exceed the standard errors, which do not include it: a ``UserWarning`` says so.
    score : {"auto", "exact", "gaussian", "learned"} or callable, default="auto"
        ``"fdt"``'s score (docs/theory.md §12): "exact" (linear), "gaussian" (biased on
        nonlinear SRNNs: :class:`GaussianScoreWarning`), "learned" (score matching on the
        runs; fit in ``info["score_fit"]``; what "auto" means for nonlinear SRNNs) or a
        callable ``h -> v(h)`` of conjugate variables (with the input inside the activation
        ``dt`` is checked: ``info["fdt_step_check"]``, :class:`FDTStepWarning`).
    burn_in : int, optional
        Burn-in steps for nonlinear SRNNs started at 0 (default: ten relaxation times of the
        contraction bound :math:`\lambda_{\min}(\Gamma_{sym}) - \mathrm{Lip}(a)\|W\|_2`);
        linear SRNNs draw exactly from :math:`N(m_\infty, \Sigma_\Delta)` unless given.
    spacing : float, default=0.01
        Grid spacing for ``"grid"``.
    n_jobs : int, optional
        Threads for the Monte Carlo blocks or runs (``None``: 1; ``-1``: all cores); the
        estimate does not depend on ``n_jobs`` or ``executor``.
    executor : dask.distributed.Client or concurrent.futures.Executor, optional
        Runs the blocks or runs as tasks instead of threads.
    device : {"cpu"}, default="cpu"
        The estimators run on the CPU; ``"cuda"`` raises.
    n_chains : int, optional
        Stationary runs of ``"pathwise"``, ``"fdt"``, ``"girsanov"`` (default 16, at least 2),
        each ``n_steps`` long; ``"fdt"``/``"girsanov"`` below 16: see ``info["stderr_rule"]``.

    Returns
    -------
    ResponseFunction
        ``values`` and ``stderr`` of shape (n_lags, p, m). Monte Carlo ``info``: sample sizes,
        ``seed`` (the int seed, or the entropy drawn for ``seed=None``: ``seed=info["seed"]``
        repeats it), ``runs`` (whether the runs sample one law; `RunsDisagreeWarning`).

    Examples
    --------
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
    ...                 gamma=[1, .8], activation="identity", readout=[[1, .5]])
    >>> rf = sk.response.linear_response(model, dt=0.5, n_lags=3)
    >>> rf.values[:, 0, 0].round(6)
    array([1.25    , 0.791052, 0.482979])
    >>> mc = sk.response.linear_response(model, dt=0.01, n_lags=3, method="perturbation",
    ...                                  n_paths=100, seed=0)
    >>> float(abs(mc.values[0, 0, 0] - 1.25)) < 1e-10
    True
    """
    model, dt, n_lags, method = _common(model, dt, n_lags, method, FIRST_METHODS, discrete)
    burn_in = check_burn_in(burn_in)
    par = make_parallel(n_jobs, executor, device)
    if method in ("analytic", "grid"):
        return _exact(model, method, dt, n_lags, bool(discrete), spacing, 1)
    root, info = _seed_info(seed)
    if method == "perturbation":
        n_paths = _ensemble_size(n_paths, n_chains, "perturbation", method)
        eps = _check_eps(check_positive("eps", eps), 1)
        _check_workspace(model, 1, method, n_lags, n_paths, None, False, par)
        values, se = perturbation_first(model, dt, n_lags, n_paths, eps, root, burn_in, par)
        info.update(n_paths=n_paths, eps=eps,
                    starts_per_chain=first_order_starts(model, dt, n_lags, burn_in, n_paths))
    else:
        values, se = _first_order_runs(model, method, dt, n_lags, (n_paths, n_chains, n_steps),
                                       root, burn_in, score, par, info)
    return ResponseFunction(_finite(values, method), dt=dt, stderr=se, method=method,
                            discrete=True, info=info)


def _exact(model: Any, method: str, dt: float, n_lags: int, discrete: bool, spacing: float,
           order: int) -> ResponseFunction:
    """The closed form (linear SRNN) or the grid transfer operator (1-D SRNN), order 1 or 2."""
    what = "linear_response" if order == 1 else "second_order_response"
    if method == "grid":
        _grid_only(model, what)
        from ._grid import GridChain

        chain = GridChain(model, dt, spacing=spacing)
        rf = chain.linear_response(n_lags) if order == 1 else chain.second_order_response(n_lags)
        _finite(rf.values, method)
        return rf
    if not model.is_linear:
        others = "'perturbation', 'fdt' or 'girsanov'" if order == 1 else \
            "'perturbation' or 'girsanov'"
        raise ValueError(f"{what} with method='analytic' needs a linear SRNN "
                         f"(activation='identity'); this model has activation="
                         f"{model.activation!r}. Use method={others} (or 'grid' for a "
                         "one-dimensional SRNN).")
    check_stationary_law(model, dt if discrete else None)
    closed = analytic_linear_response if order == 1 else analytic_second_order
    return ResponseFunction(closed(model, dt, n_lags, discrete=discrete), dt=dt, method=method,
                            order=order, discrete=discrete)


#: rounding of a kick difference, relative to the output's scale, above which the kick is
#: too small: a double's rounding (2.2e-16) divided by eps (first order) or eps² (second).
#: Common random numbers make standard errors of 1e-6 of the output's scale common, and at
#: rounding 2e-7 (eps = 1e-9, first order) a 1-D tanh kernel was already 10 SE off.
_ROUNDING_LIMIT = 1e-8


def _check_eps(eps: float, order: int) -> float:
    """Warn when the rounding of the kicked differences, ``2.2e-16 / eps**order`` of the
    output's scale, exceeds 1e-8 of it: the standard errors do not include that error (it
    is the same in every run), so a tiny kick is biased without a sign."""
    from ..kernels._common import user_stacklevel

    # the kicked differences are divided by eps**order: it must be a normal double (eps=1e300
    # at order 2 raised OverflowError here; eps=1e-300 divided by zero and the NaN kernel
    # was blamed on the readout)
    low, high = np.finfo(float).tiny ** (1 / order), np.finfo(float).max ** (1 / order)
    if not low <= eps <= high:
        fail("eps", f"a number in [{low:.1e}, {high:.1e}] (the kicked differences are divided "
             f"by eps{'' if order == 1 else '**2'})", eps, hint="The default is "
             f"{'1e-3' if order == 1 else '1e-2'}.")
    rounding = np.finfo(float).eps / eps ** order
    if rounding > _ROUNDING_LIMIT:
        least = (np.finfo(float).eps / _ROUNDING_LIMIT) ** (1 / order)
        digits = 10.0 ** np.floor(np.log10(least))
        default = "1e-3" if order == 1 else "1e-2"
        warnings.warn(
            f"eps={eps:g} is so small that rounding the kicked outputs' difference, "
            f"{rounding:.1e} of the output's scale once divided by eps"
            f"{'' if order == 1 else '**2'}, can exceed the standard errors, which do not "
            f"include it. Use eps >= {np.ceil(least / digits) * digits:.0e} "
            f"(default {default}).", UserWarning, stacklevel=user_stacklevel())
    return eps


def _finite(values: np.ndarray, method: str) -> np.ndarray:
    """``values``, or ValueError when an entry is NaN or infinite (a user readout or score
    that returned one: the dynamics themselves are guarded)."""
    if not np.all(np.isfinite(values)):
        fail("model.readout", f"a readout that returns finite values (method={method!r})",
             f"a kernel with {int(np.sum(~np.isfinite(values)))} NaN or infinite entries",
             hint="Check the readout (and a callable score) on the network's states.")
    return values


def _first_order_runs(model: Any, method: str, dt: float, n_lags: int, sizes: tuple,
                      seed: SeedLike, burn_in: int | None, score: Any, par: Runner,
                      info: dict) -> tuple[Any, Any]:
    """``"pathwise"``, ``"fdt"`` or ``"girsanov"`` along ``n_chains`` stationary runs.

    ``sizes`` is ``(n_paths, n_chains, n_steps)`` as the user gave them; ``info`` gains the
    chain sizes, the check that the runs sample one law (``info["runs"]``, with a
    `RunsDisagreeWarning` when they do not) and the score kind for ``"fdt"``.
    """
    if method == "fdt" and not np.any(model.diffusion):
        fail("model.sigma", "non-zero noise for method='fdt' (the fluctuation-dissipation "
             "relation reads the response off the stationary fluctuations)", "sigma = 0",
             hint="Use method='perturbation' or 'pathwise'.")
    n_paths, n_chains, n_steps = sizes
    n_chains = _chain_count(n_paths, n_chains, method, stacklevel=5)
    given = n_steps is not None
    n_steps = _chain_length(n_steps, n_lags)
    _check_workspace(model, 1, method, n_lags, n_chains, n_steps, given, par)
    info.update(_chain_info(n_chains, n_steps, dt))
    watch = RunWatch(model)
    if method == "pathwise":
        values, se, info["kick_stride"] = pathwise_first(model, dt, n_lags, n_chains, n_steps,
                                                         seed, burn_in, par, watch)
    elif method == "fdt":
        if not (callable(score) or (isinstance(score, str) and score in SCORES)):
            fail("score", "'auto', 'exact', 'gaussian', 'learned' or a callable h -> v(h)",
                 score, ValueError if isinstance(score, str) else TypeError)
        warn_score(model, score, stacklevel=4)
        values, se, extra = fdt_first(model, dt, n_lags, n_chains, n_steps, seed, burn_in,
                                      score, par, watch)
        info.update(extra)
        warn_step(model, dt, info, stacklevel=4)
    else:
        girsanov_matrix(model, "linear_response")
        warn_conditioning(model, "linear_response with method='girsanov'",
                          "method='perturbation' or 'pathwise'")
        values, se = girsanov_first(model, dt, n_lags, n_chains, n_steps, seed, burn_in, par,
                                    watch, info)
    _check_runs(model, method, watch, info, 4, "linear_response")
    return values, se


def _check_runs(model: Any, method: str, watch: RunWatch, info: dict, stacklevel: int,
                where: str) -> None:
    """``info["runs"]``: whether the estimator's stationary runs sample one law (a linear
    SRNN's do); `RunsDisagreeWarning` when they do not."""
    check = None if model.is_linear else watch.check()
    if check is None:
        return
    info["runs"] = check.as_info()
    if not check.agree:
        means = check.run_means[:, int(np.argmax(check.ratio))]
        warnings.warn(
            f"{where}(method={method!r}): the {len(means)} stationary runs disagree "
            f"beyond their own fluctuations (between/within ratio "
            f"{info['runs']['between/within']:.3g} > {check.threshold:.3g}; the runs' mean "
            f"outputs range over [{means.min():.4g}, {means.max():.4g}]). The network likely "
            "has several stable states that the noise does not switch between within a run, "
            "so the estimate is the mixture these runs reached and its standard error is "
            "unreliable. Use more runs (n_chains), method='perturbation' (thousands of "
            "starts), or srnnkit.analysis.analyze_network, which reports how the runs split.",
            RunsDisagreeWarning, stacklevel=stacklevel + 1)


@costed(second_order_response_cost)
def second_order_response(model: Any, *, dt: float, n_lags: int, method: str = "analytic",
                          discrete: bool = False, n_paths: int | None = None,
                          seed: SeedLike = None, n_steps: int | None = None, eps: float = 1e-2,
                          burn_in: int | None = None, spacing: float = 0.01,
                          n_jobs: int | None = None, executor: Any = None, device: str = "cpu",
                          n_chains: int | None = None) -> ResponseFunction:
    r"""Second-order response kernel :math:`R^{(2)}(k_1\Delta, k_2\Delta)`.

    In the ordered-simplex convention of docs/theory.md §2 (2.1) (no :math:`1/2!`),

    .. math:: R^{(2)}_{i;ab}(\tau_1,\tau_2) = E_{p_\infty}\bigl[B_b e^{\tau_2 L_0} B_a
              e^{\tau_1 L_0} f_i\bigr], \qquad \tau_1 = t-s_1,\ \tau_2 = s_1-s_2,

    so ``values[k1, k2, i, a, b]`` has ``a`` the channel of the most recent input.

    Methods:

    - ``"analytic"`` -- linear SRNN with a :class:`~srnnkit.readouts.Quadratic` readout
      (docs/theory.md §3.1): :math:`c_a^\top e^{-A^\top\tau_1} M e^{-A(\tau_1+\tau_2)} c_b`, or with
      ``discrete=True`` the EM chain's :math:`c_a^\top (P^{k_1})^\top M P^{k_1+k_2} c_b`;
      identically zero for a linear readout.
    - ``"perturbation"`` -- double kicks with common random numbers, mixed difference
      :math:`[Y_{++}-Y_{+-}-Y_{-+}+Y_{--}]/(4\varepsilon^2)`; cost grows like ``n_lags**2``.
    - ``"girsanov"`` -- :math:`E_0[(f(h_N)-\bar f)\,\omega_{j,a}\,\omega_{j-k_2,b}]` along
      stationary runs (one FFT per ``k2``); a single entry has variance
      :math:`\propto 1/\Delta^2` per sample -- contracted terms
      (:func:`volterra_terms`) are far less noisy.
    - ``"mixed"`` -- a pathwise tangent for the later kick and a Girsanov weight for the
      earlier one along stationary runs (variance :math:`\propto 1/\Delta` per entry instead
      of :math:`1/\Delta^2`); the resolved estimate for networks of any size.
    - ``"grid"`` -- one-dimensional SRNNs: exact EM-chain kernel (:class:`GridChain`).

    For the EM chain the layout is ``values[k1, k2] = r2(k1, k2 - 1)`` (kick gap ``k2`` steps)
    for ``k2 >= 1`` and ``values[k1, 0] = d2(k1) / dt**2`` (coincident kicks; see
    :attr:`ResponseFunction.d2` and :meth:`ResponseFunction.r2`), which makes docs/theory.md (2.4)
    exact.

    Parameters
    ----------
    model, dt, n_lags, discrete, seed, n_steps, burn_in, spacing, n_jobs, executor, device
        As in :func:`linear_response`.
    method : {"analytic", "perturbation", "girsanov", "mixed", "grid"}, default="analytic"
        The estimator (above).
    n_paths, n_chains : int, optional
        Ensemble size of "perturbation"; stationary runs of "girsanov" and "mixed".
    eps : float, default=1e-2
        Kick size of "perturbation" (the mixed difference divides by :math:`\varepsilon^2`;
        below 1.5e-4 its rounding can exceed the standard errors: a ``UserWarning``).

    Returns
    -------
    ResponseFunction
        ``order=2``; ``values`` and ``stderr`` of shape (n_lags, n_lags, p, m, m).

    Examples
    --------
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
    ...                 gamma=[1, .8], activation="identity",
    ...                 readout=sk.readouts.Quadratic([[1, .3], [.3, .5]]))
    >>> r2 = sk.response.second_order_response(model, dt=0.05, n_lags=4, discrete=True)
    >>> round(float(r2.r2(0, 0)[0, 0, 0]), 4), round(float(r2.r2(2, 1)[0, 0, 0]), 4)
    (1.3626, 1.087)
    """
    model, dt, n_lags, method = _common(model, dt, n_lags, method, SECOND_METHODS, discrete)
    burn_in = check_burn_in(burn_in)
    par = make_parallel(n_jobs, executor, device)
    if method in ("analytic", "grid"):
        return _exact(model, method, dt, n_lags, bool(discrete), spacing, 2)
    root, info = _seed_info(seed)
    if method == "perturbation":
        n_paths = _ensemble_size(n_paths, n_chains, "perturbation2", method)
        eps = _check_eps(check_positive("eps", eps), 2)
        _check_workspace(model, 2, method, n_lags, n_paths, None, False, par)
        values, se = perturbation_second(model, dt, n_lags, n_paths, eps, root, burn_in, par)
        info.update(n_paths=n_paths, eps=eps)
    else:
        girsanov_matrix(model, "second_order_response")
        warn_conditioning(model, f"second_order_response with method={method!r}",
                          "method='perturbation'")
        refuse_kinked(model, f"second_order_response with method={method!r}", _R2_INSTEAD)
        n_chains = _chain_count(n_paths, n_chains, method)
        given = n_steps is not None
        n_steps = _chain_length(n_steps, n_lags)
        _check_workspace(model, 2, method, n_lags, n_chains, n_steps, given, par)
        engine, watch = (mixed_second if method == "mixed" else girsanov_second), RunWatch(model)
        values, se = engine(model, dt, n_lags, n_chains, n_steps, root, burn_in, par, watch)
        info.update(_chain_info(n_chains, n_steps, dt))
        _check_runs(model, method, watch, info, 3, "second_order_response")
    return ResponseFunction(_finite(values, method), dt=dt, stderr=se, method=method, order=2,
                            discrete=True, info=info)
