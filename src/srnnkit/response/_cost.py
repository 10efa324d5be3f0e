"""Cost estimates of the response estimators and the Volterra series (:mod:`srnnkit._cost`).

The work of each estimator is counted from its resolved sample sizes (defaults included):

- stationary draws: ``n_paths x burn_in`` path-steps (none for a linear SRNN, drawn exactly);
- ``"perturbation"``: ``n_lags x 2m`` kicked copies of every path (order 2:
  ``n_lags**2 x 4m**2``), NumPy steps over blocks of 2048 paths; at first order without exact
  draws, the chains' burn-ins and ``n_lags x (1 + 2m)`` steps per start in the compiled loop
  (``_chained.py``);
- ``"fdt"``/``"girsanov"``: ``n_chains x (burn_in + n_steps)`` steps of the compiled per-run
  loop, a pilot run for the centring constant, and the FFT cross-correlations (order 2: one
  per lag); the learned score adds its features on every state;
- ``"pathwise"``/``"mixed"``: the same runs plus the tangent vectors (``n_lags`` Jacobian
  products per kick: a kick every ``n_lags // 10`` steps, or every step for ``"mixed"``);
- the Volterra terms and the convergence check: ``n_paths`` paths driven along the input
  (times the amplitudes, for the reference).

The size guards here refuse a count whose bookkeeping alone (one seed sequence per block or
run) cannot fit in memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._cost import CostEstimate, Part, Rate, check_count, per_unit, speedup
from ..dynamics._blocks import CHAIN_GROUP, ENSEMBLE_BLOCK
from ..dynamics._cost import chain_rate, fft_rate, fft_work, rows_rate, shared_rate, vec_rate
from ..dynamics._ensembles import burn_in_layout, exact_draws, stationary_burn

__all__ = ["from_model_cost", "linear_response_cost", "second_order_response_cost",
           "volterra_convergence_cost", "volterra_terms_cost"]

#: bytes of bookkeeping per block or run (its SeedSequence and task entry)
_SEED_BYTES = 1024


def _product_rate() -> Rate:
    """Seconds per multiply-add of NumPy's matrix products of the estimators' shapes (a tall
    block of rows times a small square matrix, one BLAS thread)."""
    def measure() -> float:
        from .._threads import single_threaded_blas

        rng = np.random.default_rng(0)
        a, b = rng.standard_normal((4096, 64)), rng.standard_normal((64, 64))

        def run(k: int) -> None:
            for _ in range(k):
                a @ b
        with single_threaded_blas():
            return per_unit(run, lambda k: k * 4096 * 64 * 64, k0=1, k_max=1 << 12)
    return Rate(("product",), 3e-10, measure)


def _elementwise_rate() -> Rate:
    def measure() -> float:
        a = np.random.default_rng(0).standard_normal(1 << 18)
        b = a.copy()

        def run(k: int) -> None:
            for _ in range(k):
                np.multiply(a, b, out=b)
                np.add(a, b, out=b)
        return per_unit(run, lambda k: k * (1 << 18), k0=1, k_max=1 << 14)
    return Rate(("elementwise",), 3e-9, measure)


def _model(model: Any) -> Any:
    from ._api import check_model

    return check_model(model)


def _checked(model: Any, dt: Any, n_lags: Any, order: int, n_jobs: Any, executor: Any,
             device: Any) -> tuple[Any, float, int, Any]:
    """The checks of the estimators' front ends that bound the work: model, ``dt``,
    ``n_lags`` (its kernel values must fit in memory), threads."""
    from .._validation import check_int, check_memory, check_positive
    from ._api import make_parallel

    model = _model(model)
    dt = check_positive("dt", dt)
    n_lags = check_int("n_lags", n_lags, low=1)
    m, p = model.n_inputs, model.n_outputs
    check_memory("n_lags", n_lags, "the kernel values",
                 (4, n_lags, p, m) if order == 1 else (4, n_lags, n_lags, p, m, m))
    return model, dt, n_lags, make_parallel(n_jobs, executor, device)


def _guard(name: str, count: int, what: str) -> None:
    check_count(name, -(-count // ENSEMBLE_BLOCK) if what == "blocks" else count,
                f"the seed sequences of its {what}", _SEED_BYTES,
                "Split the work into several calls.")


def _draws(model: Any, dt: float, n: int, burn: int, name: str) -> list[Part]:
    """The burn-ins of ``n`` stationary draws in blocks of 2048 (the last one narrower: below
    256 paths it runs in the compiled per-path loop)."""
    if burn <= 0:
        return []
    full, rest = divmod(n, ENSEMBLE_BLOCK)
    terms = []
    if full:
        terms.append((float(full * ENSEMBLE_BLOCK) * burn, vec_rate(model, dt, ENSEMBLE_BLOCK)))
    if rest:
        terms.append((float(rest) * burn, _burn_rate(model, dt, rest)))
    (work, rate), *more = terms
    return [Part(f"{burn} burn-in steps x {n} {name}", "burn_in", work, rate, n * burn,
                 more=tuple(more))]


def _chained_parts(model: Any, dt: float, n_lags: int, N: int, burn: int) -> list[Part]:
    """First-order perturbation along kicked chains (``_chained.py``): the chains' burn-ins
    and the windows of the chain and its ``2m`` kicked copies, in the compiled loop."""
    from ..dynamics._blocks import block_sizes
    from ._chained import _SHARED_MIN, chain_layout, kicked_window, starts_per_chain

    w = kicked_window(model, n_lags)
    S = starts_per_chain(burn, w, N)
    layouts = [chain_layout(size, S) for size in block_sizes(N, ENSEMBLE_BLOCK)]
    K = sum(k for k, _ in layouts)
    starts = sum(k * s for k, s in layouts)          # a chain's last windows may go unread
    rows = 1 + 2 * model.n_inputs
    k0 = layouts[0][0]                                # the chains of the first block
    parts = [Part(f"{burn} burn-in steps x {K} chains", "burn_in", float(K) * burn,
                  _burn_rate(model, dt, k0), K * burn)] if burn > 0 else []
    window = rows_rate(model, dt, k0 * rows) if model.n_hidden < _SHARED_MIN \
        else shared_rate(model, dt, rows, k0 * rows)
    work = float(starts) * w * rows
    parts.append(Part(f"{starts} windows x {w} steps x {rows} copies (a chain and its kicks)",
                      "n_lags or n_paths", work, window, int(work)))
    return parts


def _double_parts(model: Any, dt: float, n_lags: int, N: int, B: int) -> list[Part]:
    """Second-order perturbation (``_double.py``): the second kicks, one NumPy step (or
    addition) of the ``4 m^2`` copies per gap, and the copies' unkicked steps in the
    compiled loop."""
    from ._chained import _SHARED_MIN
    from ._double import _COPIES_FLOATS

    rows, n = 4 * model.n_inputs ** 2, model.n_hidden
    starts = max(1, min(B, _COPIES_FLOATS // (rows * n_lags * n)))   # per compiled call
    width = starts * rows
    kicks = float(n_lags) * rows * N
    copies = kicks * (n_lags - 1)
    knob = "n_lags (the work grows like n_lags**2) or n_paths"
    window = rows_rate(model, dt, width) if n < _SHARED_MIN \
        else shared_rate(model, dt, rows, width)
    return [Part(f"{n_lags} second kicks x {rows} doubly kicked copies x {N} paths", knob,
                 kicks, vec_rate(model, dt, rows * B), int(kicks)),
            Part(f"{n_lags} x {n_lags - 1} steps x {rows} doubly kicked copies x {N} paths",
                 knob, copies, window, int(copies))]


def _burn_rate(model: Any, dt: float, width: int) -> Rate:
    """The rate of a burn-in of ``width`` paths, in the layout it runs in."""
    layout = burn_in_layout(width, model.n_hidden)
    if layout == "vector":
        return vec_rate(model, dt, width)
    return rows_rate(model, dt, width) if layout == "rows" else chain_rate(model, dt)


def _threads(n_jobs: Any, executor: Any, n_tasks: int) -> float:
    from .._parallel import n_threads

    return 1.0 if executor is not None else speedup(n_threads(n_jobs), n_tasks)


def _chain_parts(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int, burn: int,
                 order: int, method: str, pilot: bool, score: Any = None) -> list[Part]:
    """Stationary runs, their pilot and their FFT cross-correlations."""
    m, p, n = model.n_inputs, model.n_outputs, model.n_hidden
    chain = chain_rate(model, dt)
    parts = []
    if pilot:
        parts.append(Part(f"a pilot run of {burn + n_steps} steps for the mean of f", "n_steps",
                          float(burn + n_steps), chain, burn + n_steps))
    if burn:
        parts.append(Part(f"{burn} burn-in steps x {n_chains} runs", "burn_in",
                          float(n_chains) * burn, chain, n_chains * burn))
    parts.append(Part(f"{n_chains} stationary runs x {n_steps} steps", "n_chains or n_steps",
                      float(n_chains) * n_steps, chain, n_chains * n_steps))
    L = n_steps + n_lags
    if method in ("pathwise", "mixed"):
        parts.append(_tangent_part(model, n_lags, n_chains, n_steps, order))
        if method == "pathwise":
            return parts
    if order == 1:
        fft = n_chains * fft_work(L, m + p + p * m)
        parts.append(Part(f"{n_chains} FFT cross-correlations of {L} points", "n_steps", fft,
                          fft_rate()))
        if method == "fdt" and not model.is_linear and not callable(score) \
                and score == "gaussian":
            parts.append(Part(f"{n_chains} quasi-Gaussian scores", "n_steps",
                              float(n_chains) * n_steps * (n * n + n * m), _elementwise_rate()))
        elif method == "fdt" and not callable(score) and (
                score == "learned" or (score == "auto" and not model.is_linear)):
            parts.append(_learned_part(model, dt, n_chains, n_steps, burn))
    else:
        fft = n_chains * n_lags * fft_work(L, m * m + p + p * m * m)
        parts.append(Part(f"{n_chains} runs x {n_lags} lags of FFT cross-correlations",
                          "n_lags (each lag one FFT per run) or n_chains", fft, fft_rate()))
        parts.append(Part(f"{n_chains} runs x {n_lags} lags of weight products", "n_lags",
                          float(n_chains) * n_lags * n_steps * m * m * 3, _elementwise_rate()))
    return parts


def _tangent_part(model: Any, n_lags: int, n_chains: int, n_steps: int, order: int) -> Part:
    """The tangent vectors of ``"pathwise"`` (kicks every ``n_lags // 10`` steps) or
    ``"mixed"`` (a kick at every step, with the ``H`` directions inside the activation): per
    kick, lag and direction the products with ``W`` (and a full ``Γ``) and the readout, then
    a few elementwise passes; ``a'(W h + b)`` once per state."""
    from ._mixed import kick_stride

    n, m, p = model.n_hidden, model.n_inputs, model.n_outputs
    if order == 1:
        kicks, d = float(n_chains) * (n_steps // kick_stride(n_lags) + 1), m
    else:
        kicks = float(n_chains) * n_steps
        d = m + (m * (m + 1) // 2 if model.input_mode == "activation" else 0)
    full = model.gamma_kind == "full"
    products = kicks * n_lags * d * ((2 if full else 1) * n * n + p * n) \
        + float(n_chains) * n_steps * n * n
    passes = kicks * n_lags * d * 4 * n
    return Part(f"{int(kicks)} kicks x {n_lags} lags of tangent vectors", "n_lags or n_chains",
                products, _product_rate(), more=((passes, _elementwise_rate()),))


def _learned_part(model: Any, dt: float, n_chains: int, n_steps: int, burn: int) -> Part:
    """The learned score: its features on every state (fit and conjugate variables: the
    products ``W h`` twice, the Gram matrix ``K x K`` and ``K m`` for the conjugate
    variables), elementwise passes over the features and their influence on the standard
    error (about 12 per feature and state, measured on 8- and 32-unit networks), and the runs
    simulated again when they cannot be kept in memory."""
    from ._fdt import _KEEP_FLOATS

    n, m = model.n_hidden, model.n_inputs
    K = 1 + 3 * n
    states = float(n_chains) * n_steps
    more = [(states * 12 * K, _elementwise_rate())]
    if n_chains * (n_steps + 1) * n > _KEEP_FLOATS:
        more.append((float(n_chains) * (burn + n_steps), chain_rate(model, dt)))
    return Part(f"{n_chains} runs x {n_steps} steps of learned-score features", "n_steps",
                states * (2 * n * n + K * K + K * m), _product_rate(), more=tuple(more))


def _needs_pilot(model: Any, method: str, score: Any) -> bool:
    """Whether the centring constant comes from a pilot run (not a closed form)."""
    exact = model.is_linear and getattr(model.readout, "kind", "") in (
        "linear", "identity", "quadratic")
    if method == "mixed":
        return True
    if method == "pathwise":
        return False
    if method == "girsanov":
        return not exact
    learned = score == "learned" or (score == "auto" and not model.is_linear)
    return (not exact and (callable(score) or score == "exact"
                           or (score == "auto" and model.is_linear))) or learned


def _runs_sizes(n_paths: Any, n_chains: Any, n_steps: Any, n_lags: int) -> tuple[int, int]:
    from ._api import DEFAULT_PATHS, _chain_length

    count = n_chains if n_chains is not None else n_paths
    count = DEFAULT_PATHS["chains"] if count is None else int(count)
    return count, _chain_length(n_steps, n_lags)


def _order_parts(model: Any, order: int, dt: float, n_lags: int, method: str, n_paths: Any,
                 n_chains: Any, n_steps: Any, burn_in: Any, par: Any, score: Any = "auto"
                 ) -> tuple[list[Part], int]:
    """The parts of one kernel estimate and its number of tasks (the estimator's own checks
    of the sizes run first: a size it refuses gets its error, not a warning)."""
    from ._api import DEFAULT_PATHS, _check_workspace

    burn = stationary_burn(model, dt, burn_in)
    m = model.n_inputs
    if method == "perturbation":
        N = int(DEFAULT_PATHS["perturbation" if order == 1 else "perturbation2"]
                if n_paths is None else n_paths)
        _guard("n_paths", N, "blocks")
        _check_workspace(model, order, method, n_lags, N, None, False, par)
        B = min(N, ENSEMBLE_BLOCK)
        if order == 1 and not exact_draws(model, burn_in):
            return _chained_parts(model, dt, n_lags, N, burn), -(-N // ENSEMBLE_BLOCK)
        parts = _draws(model, dt, N, burn, "paths")
        if order == 1:
            work = float(n_lags) * 2 * m * N
            parts.append(Part(f"{n_lags} lags x {2 * m} kicked copies x {N} paths",
                              "n_lags or n_paths", work, vec_rate(model, dt, 2 * m * B),
                              int(work)))
        else:
            parts += _double_parts(model, dt, n_lags, N, B)
        return parts, -(-N // ENSEMBLE_BLOCK)
    if method in ("fdt", "girsanov", "pathwise", "mixed"):
        K, L = _runs_sizes(n_paths, n_chains, n_steps, n_lags)
        _guard("n_chains" if n_chains is not None or n_paths is None else "n_paths", K, "runs")
        _check_workspace(model, order, method, n_lags, K, L, n_steps is not None, par)
        parts = _chain_parts(model, dt, n_lags, K, L, burn, order, method,
                             _needs_pilot(model, method, score), score)
        return parts, -(-K // CHAIN_GROUP)
    return [], 1     # analytic, grid: no Monte Carlo


def _estimate(call: str, parts: list[Part], n_jobs: Any, executor: Any, n_tasks: int
              ) -> CostEstimate | None:
    if not parts:
        return None
    return CostEstimate(call, parts, speedup=_threads(n_jobs, executor, n_tasks))


def linear_response_cost(model: Any, *, dt: float, n_lags: int, method: str = "analytic",
                         n_paths: Any = None, n_steps: Any = None, burn_in: Any = None,
                         score: Any = "auto", n_jobs: Any = None, executor: Any = None,
                         device: str = "cpu", n_chains: Any = None, **_: Any
                         ) -> CostEstimate | None:
    """The estimate of :func:`linear_response` (same arguments)."""
    model, dt, n_lags, par = _checked(model, dt, n_lags, 1, n_jobs, executor, device)
    parts, tasks = _order_parts(model, 1, dt, n_lags, method, n_paths, n_chains, n_steps,
                                burn_in, par, score)
    return _estimate(f"linear_response(method={method!r})", parts, n_jobs, executor, tasks)


def second_order_response_cost(model: Any, *, dt: float, n_lags: int,
                               method: str = "analytic", n_paths: Any = None,
                               n_steps: Any = None, burn_in: Any = None, n_jobs: Any = None,
                               executor: Any = None, device: str = "cpu",
                               n_chains: Any = None, **_: Any) -> CostEstimate | None:
    """The estimate of :func:`second_order_response` (same arguments)."""
    model, dt, n_lags, par = _checked(model, dt, n_lags, 2, n_jobs, executor, device)
    parts, tasks = _order_parts(model, 2, dt, n_lags, method, n_paths, n_chains, n_steps,
                                burn_in, par)
    return _estimate(f"second_order_response(method={method!r})", parts, n_jobs, executor,
                     tasks)


def _mean_parts(model: Any, dt: float, n_lags: int, method: str, mean_paths: Any,
                n_paths: Any, n_chains: Any, n_steps: Any, burn_in: Any) -> list[Part]:
    """The stationary mean of :meth:`VolterraSeries.from_model` (see ``_mean.py``)."""
    from ._mean import exact_mean_known, mean_runs_sizes

    if method in ("analytic", "grid"):
        return []
    burn = stationary_burn(model, dt, burn_in)
    if mean_paths is not None:
        from .._validation import check_int

        mean_paths = check_int("mean_paths", mean_paths, low=2)
        _guard("mean_paths", mean_paths, "blocks")
        return [Part(p.what, "mean_paths", p.work, p.rate, p.units, more=p.more)
                for p in _draws(model, dt, mean_paths, burn, "paths of the stationary mean")]
    if exact_mean_known(model):
        return []
    K, L = mean_runs_sizes(method, n_paths, n_chains, n_steps, n_lags)
    chain = chain_rate(model, dt)
    return [Part(f"{K} stationary runs x {burn + L} steps for the mean", "n_chains or n_steps",
                 float(K) * (burn + L), chain, K * (burn + L))]


def from_model_cost(cls: Any, model: Any, order: int = 2, *, dt: float, n_lags: int,
                    method: str = "analytic", second_method: Any = None, n_paths: Any = None,
                    mean_paths: Any = None, n_chains: Any = None, **kwargs: Any
                    ) -> CostEstimate | None:
    """The estimate of :meth:`VolterraSeries.from_model` (same arguments)."""
    model, dt, n_lags, par = _checked(model, dt, n_lags, int(order), kwargs.get("n_jobs"),
                                      kwargs.get("executor"), kwargs.get("device", "cpu"))
    n_steps, burn_in = kwargs.get("n_steps"), kwargs.get("burn_in")
    second_method = method if second_method is None else second_method
    parts, tasks = _order_parts(model, 1, dt, n_lags, method, n_paths, n_chains, n_steps,
                                burn_in, par, kwargs.get("score", "auto"))
    if int(order) == 2:
        more, t2 = _order_parts(model, 2, dt, n_lags, second_method, n_paths, n_chains,
                                n_steps, burn_in, par)
        parts += [_labelled(p, "order 2: ") for p in more]
        tasks = min(tasks, t2)
    parts += _mean_parts(model, dt, n_lags, method, mean_paths, n_paths, n_chains, n_steps,
                         burn_in)
    return _estimate(f"VolterraSeries.from_model(order={int(order)}, method={method!r})", parts,
                     kwargs.get("n_jobs"), kwargs.get("executor"), tasks)


def _labelled(p: Part, prefix: str) -> Part:
    return Part(prefix + p.what, p.knob, p.work, p.rate, p.units, more=p.more)


def _input_length(inputs: Any) -> int:
    shape = np.shape(inputs)
    return int(shape[0] if len(shape) <= 2 else shape[1])


def _driven_parts(model: Any, dt: float, N: int, n_paths: int, burn: int, copies: int,
                  what: str) -> list[Part]:
    B = min(n_paths, ENSEMBLE_BLOCK)
    work = float(N) * copies * n_paths
    driven = Part(what, "n_paths or the input's length", work,
                  vec_rate(model, dt, copies * B), int(work))
    return [*_draws(model, dt, n_paths, burn, "paths"), driven]


def _terms_parts(model: Any, dt: float, N: int, n_paths: int, burn_in: Any) -> list[Part]:
    """The Girsanov terms of ``hermite_terms``: chains burnt in once, each serving
    ``starts_per_chain(burn, N, n_paths)`` windows of the input's ``N`` steps, run ``K``
    chains wide."""
    from ..dynamics._blocks import block_sizes
    from ..dynamics._ensembles import exact_draws
    from ._chained import chain_layout
    from ._montecarlo import terms_starts

    burn = 0 if exact_draws(model, burn_in) else stationary_burn(model, dt, burn_in)
    S = terms_starts(model, dt, N, n_paths, burn_in)
    layouts = [chain_layout(size, S) for size in block_sizes(n_paths, ENSEMBLE_BLOCK)]
    K = sum(k for k, _ in layouts)
    work = float(N) * sum(k * s for k, s in layouts)
    driven = Part(f"{N} steps x {n_paths} paths with Girsanov weights ({K} chains)",
                  "n_paths or the input's length", work, vec_rate(model, dt, layouts[0][0]),
                  int(work))
    return [*_draws(model, dt, K, burn, "chains"), driven]


def volterra_terms_cost(model: Any, inputs: Any, *, dt: float, order: int = 2,
                        n_paths: int = 100_000, burn_in: Any = None, n_jobs: Any = None,
                        executor: Any = None, **_: Any) -> CostEstimate | None:
    """The estimate of :func:`volterra_terms` (same arguments)."""
    from .._validation import check_int, check_positive

    model = _model(model)
    dt, n_paths = check_positive("dt", dt), check_int("n_paths", n_paths, low=2)
    _guard("n_paths", n_paths, "blocks")
    N = _input_length(inputs)
    parts = _terms_parts(model, float(dt), N, n_paths, burn_in)
    return _estimate("volterra_terms", parts, n_jobs, executor,
                     -(-n_paths // ENSEMBLE_BLOCK))


def volterra_convergence_cost(model: Any, inputs: Any, *, dt: float,
                              amplitudes: Any = (0.4, 0.2, 0.1, 0.05, 0.025),
                              series: Any = None, reference: str = "auto",
                              n_paths: int = 100_000, burn_in: Any = None, n_jobs: Any = None,
                              executor: Any = None, **_: Any) -> CostEstimate | None:
    """The estimate of :func:`volterra_convergence` (same arguments)."""
    from .._validation import check_int, check_positive

    model = _model(model)
    dt, n_paths = check_positive("dt", dt), check_int("n_paths", n_paths, low=2)
    _guard("n_paths", n_paths, "blocks")
    if reference == "auto":
        reference = "grid" if model.n_hidden == 1 else "montecarlo"
    burn = stationary_burn(model, dt, burn_in)
    N = _input_length(inputs)
    A = int(np.size(amplitudes))
    parts = []
    if reference == "montecarlo":
        parts += _driven_parts(model, dt, N, n_paths, burn, A + 1,
                               f"{N} steps x {A + 1} amplitudes x {n_paths} paths "
                               "(the reference)")
    if series is None and model.n_hidden > 1:
        parts += _terms_parts(model, dt, N, n_paths, burn_in)
    return _estimate("volterra_convergence", parts, n_jobs, executor,
                     -(-n_paths // ENSEMBLE_BLOCK))
