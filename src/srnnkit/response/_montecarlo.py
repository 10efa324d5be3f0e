"""Monte Carlo engines for response kernels (docs/theory.md §7).

All engines simulate the Euler–Maruyama chain

    h_{i+1} = h_i + dt (F0(h_i) + C u_i) + sqrt(dt) sigma xi_i

and stream over fixed-size blocks of paths (ensembles) or over independent chains (long
stationary runs). Each block or chain draws from its own ``SeedSequence`` child, addressed by
index, so every estimate is reproducible from its seed whatever the scheduling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._parallel import Runner, quiet
from .._random import SeedLike, child_sequences
from ..dynamics._agreement import RunWatch, watching
from ..dynamics._drift import EulerStep
from ..dynamics._ensembles import (
    exact_draws,
    make_guard,
    map_blocks,
    map_chains,
    stationary_burn,
    stationary_run,
    stationary_sampler,
)
from ..dynamics._moments import Moments, batch_moments, chain_moments
from ..model._linear import analytic_output_mean
from ._batches import RunBatches
from ._chained import KickedChains, chain_layout, kicked_window, starts_per_chain
from ._double import DoubleKicks
from ._weights import GirsanovWeights, LikelihoodSeries, exp_series, girsanov_matrix, in_drift

SERIAL = Runner(desc="response estimator")


# ----------------------------------------------------------------------------- helpers
def _result(acc: Moments) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, stderr)`` of an estimator's accumulator (NaN stderr below two samples)."""
    return acc.mean, acc.stderr()


def _engine(func: Callable) -> Callable:
    """An estimator entry point: quiet overflow, one BLAS thread (the products are small and
    the parallelism is over blocks; threaded BLAS on a busy machine is many times slower)."""
    import functools

    quiet_func = quiet(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .._threads import single_threaded_blas

        with single_threaded_blas():
            return quiet_func(*args, **kwargs)
    return wrapper


# ------------------------------------------------------------- perturbation (CRN kicks)
def _kicks(model: Any, eps: float) -> tuple[np.ndarray, bool]:
    """``(kick, in_drift)``: additive SRNNs kick the state, ``eps * C^T`` (m, n); with the
    input inside the activation the kick is one Euler-Maruyama step with ``u = eps e_a``,
    ``eps * I`` (m, m) (docs/theory.md section 11)."""
    if model.input_mode == "activation" and not model.is_linear:
        return eps * np.eye(model.n_inputs), True
    return eps * model.C.T, False


@_engine
def perturbation_first(model: Any, dt: float, n_lags: int, n_paths: int, eps: float,
                       seed: SeedLike, burn_in: int | None, par: Runner = SERIAL
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference impulse response with common random numbers (docs/theory.md §7a).

    Additive SRNNs: kicks ``h_0 ± eps c_a``, ``r1(k) = [f(h_k^+) - f(h_k^-)] / (2 eps)``. Input
    inside the activation: the first step is taken with ``u_0 = ±eps e_a`` (the drift itself
    kicks), ``r1(k) = [f(h_{k+1}^+) - f(h_{k+1}^-)] / (2 eps dt)``.
    """
    m, p = model.n_inputs, model.n_outputs
    kick, in_drift = _kicks(model, eps)
    scale = 2.0 * eps * dt if in_drift else 2.0 * eps
    acc = Moments((n_lags, m, p))
    if not exact_draws(model, burn_in):             # burnt-in starts: kicked chains
        block = KickedChains(model, dt, n_lags, kick, in_drift, scale,
                             stationary_burn(model, dt, burn_in), _kick_size(model, eps), n_paths)
        for mom in map_blocks(par, block, n_paths, seed):
            acc.merge(*mom)
        mean, se = _result(acc)
        return mean.transpose(0, 2, 1), se.transpose(0, 2, 1)
    draw = stationary_sampler(model, dt, burn_in)
    step = EulerStep(model, dt)
    signs = np.array([1.0, -1.0])[:, None, None, None]
    guard = make_guard(model, dt, "a kicked ensemble", n_steps=n_lags,
                       kick=_kick_size(model, eps), burn_in=stationary_burn(model, dt, burn_in))

    def block(size: int, rng: np.random.Generator, lo: int) -> tuple:
        h0 = draw(rng, size, lo)
        if in_drift:   # one step with u = ±eps e_a from the common start
            H = step(h0[None, None], rng.standard_normal((size, step.r)),
                     u=signs * kick[None, :, None, :])
        else:
            H = h0[None, None] + signs * kick[None, :, None, :]   # (2, m, B, n)
        vals = np.empty((n_lags, m, size, p))
        for k in range(n_lags):
            guard.check(H, k + in_drift, lo)
            f = model.output(H)                               # (2, m, B, p)
            vals[k] = (f[0] - f[1]) / scale
            if k + 1 < n_lags:
                H = step(H, rng.standard_normal((size, step.r)))
        return batch_moments(vals, axis=2)

    for mom in map_blocks(par, block, n_paths, seed):
        acc.merge(*mom)
    mean, se = _result(acc)                                   # (n_lags, m, p)
    return mean.transpose(0, 2, 1), se.transpose(0, 2, 1)


def first_order_starts(model: Any, dt: float, n_lags: int, burn_in: int | None,
                       n_paths: int | None = None) -> int:
    """Starts per chain of :func:`perturbation_first` (1: independent exact draws)."""
    if exact_draws(model, burn_in):
        return 1
    return starts_per_chain(stationary_burn(model, dt, burn_in), kicked_window(model, n_lags),
                            n_paths)


def terms_starts(model: Any, dt: float, n_steps: int, n_paths: int, burn_in: int | None
                 ) -> int:
    """Starts per chain of :func:`hermite_terms`, windows of the input's ``n_steps`` (1:
    independent exact draws)."""
    if exact_draws(model, burn_in):
        return 1
    return starts_per_chain(stationary_burn(model, dt, burn_in), n_steps, n_paths)


def _kick_size(model: Any, eps: float) -> float:
    return 2.0 * eps * float(np.abs(model.C).sum(axis=0).max())


@_engine
def perturbation_second(model: Any, dt: float, n_lags: int, n_paths: int, eps: float,
                        seed: SeedLike, burn_in: int | None, par: Runner = SERIAL
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Mixed double-kick differences ``[Y++ - Y+- - Y-+ + Y--]/(4 eps^2)`` with CRN.

    A kick ``±eps c_b`` at step 0 and ``±eps c_a`` at step ``k2`` (coincident for ``k2 = 0``),
    read ``k1`` steps after the second kick, gives ``values[k1, k2, :, a, b]``. With the input
    inside the activation the kicks are the steps with ``u = ±eps e_b`` at step 0 and
    ``±eps e_a`` at step ``k2`` (their sum when coincident), and the difference is divided by
    ``4 eps^2 dt^2``. The copies run in the compiled loops (:class:`._double.DoubleKicks`).
    """
    draw = stationary_sampler(model, dt, burn_in)
    m, p = model.n_inputs, model.n_outputs
    kick, in_drift = _kicks(model, eps)
    guard = make_guard(model, dt, "a doubly kicked ensemble", n_steps=2 * n_lags,
                       kick=2 * _kick_size(model, eps), burn_in=stationary_burn(model, dt, burn_in))
    kicks = DoubleKicks(model, dt, n_lags, kick, in_drift, eps, guard)
    acc = Moments((n_lags, n_lags, m, m, p))
    for mom in map_blocks(par, lambda size, rng, lo: kicks(draw(rng, size, lo), rng, lo),
                          n_paths, seed):
        acc.merge(*mom)
    mean, se = _result(acc)                                  # (k1, k2, a, b, p)
    return mean.transpose(0, 1, 4, 2, 3), se.transpose(0, 1, 4, 2, 3)


def centring_constant(model: Any, dt: float, seed: SeedLike, burn_in: int | None,
                      n_steps: int) -> np.ndarray:
    """A noise-independent estimate of ``<f>`` to centre f in correlation estimators.

    Centring each run by its own mean would bias the estimates by ``O(sum_k r1(k) / n_steps)``
    (the run mean correlates with the weights); an independent constant costs no bias, and its
    own error only adds a negligible variance.  Exact for linear SRNNs with a linear or
    quadratic readout, else the time average of one independent stationary run of ``n_steps``.
    """
    if model.is_linear and getattr(model.readout, "kind", "") in ("linear", "identity",
                                                                   "quadratic"):
        return analytic_output_mean(model, dt)
    return model.output(stationary_run(model, dt, n_steps, seed, burn_in)).mean(axis=0)


def _xcorr(x: np.ndarray, y: np.ndarray, n_lags: int) -> np.ndarray:
    """``out[b, k, i, a] = sum_{j=0}^{L-1-k} x[b, j, a] y[b, j+k, i]``, by FFT."""
    L = x.shape[1]
    nfft = 1 << int(np.ceil(np.log2(L + n_lags)))
    X = np.fft.rfft(x, nfft, axis=1)
    Y = np.fft.rfft(y, nfft, axis=1)
    prod = np.conj(X)[:, :, None, :] * Y[:, :, :, None]          # (B, F, p, m)
    return np.fft.irfft(prod, nfft, axis=1)[:, :n_lags]


@_engine
def girsanov_first(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int,
                   seed: SeedLike, burn_in: int | None, par: Runner = SERIAL,
                   watch: RunWatch | None = None, info: dict | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``r1(k) = E_0[(f(h_{j+1+k}) - f̄) omega_j]``, ``omega_j = (sigma^+ G(h_j))^T xi_j /
    sqrt(dt)`` (:class:`GirsanovWeights`; ``G = C`` for the additive input).

    ``f̄`` is a noise-independent constant (:func:`centring_constant`): a free control
    variate, since ``E[omega_j | h_j] = 0``. ``watch`` (:class:`RunWatch`) keeps the runs'
    batch means of the outputs, for the check that they sample one law. The standard error
    is the spread of the runs' estimates, or with few runs batch means within them
    (:class:`._batches.RunBatches`); ``info["stderr_rule"]`` says which.
    """
    watch = watching(watch)
    weights = GirsanovWeights(model, dt, "linear_response")
    runs, pilot = child_sequences(seed, 2)
    fbar = centring_constant(model, dt, pilot, burn_in, n_steps)
    acc = Moments((n_lags, model.n_outputs, model.n_inputs))
    counts = (n_steps - np.arange(n_lags))[None, :, None, None]
    batches = RunBatches(n_chains, n_steps, n_lags)

    def body(states: np.ndarray, xi: np.ndarray) -> tuple:
        f = model.output(states[:, 1:]) - fbar
        w = weights.first(states, xi)
        return _xcorr(w, f, n_lags) / counts, batches.of(w, f)

    for est, sums in watch.results(map_chains(par, watch.body(body), model, dt, n_chains,
                                              n_steps, runs, burn_in)):
        acc.add(est, axis=0)
        batches.keep(sums)
    mean, se = _result(acc)
    se, rule = batches.stderr(se)
    if info is not None:
        info["stderr_rule"] = rule
    return mean, se


@_engine
def girsanov_second(model: Any, dt: float, n_lags: int, n_chains: int, n_steps: int,
                    seed: SeedLike, burn_in: int | None, par: Runner = SERIAL,
                    watch: RunWatch | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``values[k1, g] = E_0[f(h_N) omega_{j,a} omega_{j-g,b}]``, plus the same-step term
    ``c_{j,ab}`` at ``g = 0`` (:class:`GirsanovWeights`: ``-(G^T G)/dt`` for the additive
    input; with the input inside the activation it carries the ``H`` part). ``watch``: as
    in :func:`girsanov_first`."""
    watch = watching(watch)
    weights = GirsanovWeights(model, dt, "second_order_response")
    m, p = model.n_inputs, model.n_outputs
    runs, pilot = child_sequences(seed, 2)
    fbar = centring_constant(model, dt, pilot, burn_in, n_steps)
    acc = Moments((n_lags, n_lags, p, m, m))
    L = n_steps

    def body(states: np.ndarray, xi: np.ndarray) -> np.ndarray:
        f = model.output(states[:, 1:]) - fbar
        omega = weights.first(states, xi)                         # (B, L, m)
        B = omega.shape[0]
        est = np.empty((B, n_lags, n_lags, p, m, m))
        for g in range(n_lags):
            z = np.zeros((B, L, m, m))
            z[:, g:] = omega[:, g:, :, None] * omega[:, :L - g, None, :]
            if g == 0:
                z += weights.same_step(states, xi)
            counts = (L - g - np.arange(n_lags))[None, :, None, None]
            est[:, :, g] = (_xcorr(z.reshape(B, L, m * m), f, n_lags) / counts
                            ).reshape(B, n_lags, p, m, m)
        return est

    for est in watch.results(map_chains(par, watch.body(body), model, dt, n_chains, n_steps,
                                        runs, burn_in)):
        acc.add(est, axis=0)
    return _result(acc)


# --------------------------------------------------------------- inputs and Volterra terms
@_engine
def crn_input_response(model: Any, inputs: np.ndarray, dt: float, amplitudes: np.ndarray,
                       n_paths: int, seed: SeedLike, burn_in: int | None,
                       par: Runner = SERIAL
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``E f^{eps w}(h_t) - E f^{0}(h_t)`` for each amplitude, common random numbers.

    Returns ``(diff, diff_se, base, base_se)``: shapes (n_amp, n_steps+1, p) and
    (n_steps+1, p).
    """
    draw = stationary_sampler(model, dt, burn_in)
    step = EulerStep(model, dt)
    N = inputs.shape[0]
    cu = inputs @ model.C.T                                    # (N, n)
    amps = np.concatenate([[0.0], amplitudes])[:, None, None]  # (A+1, 1, 1)
    in_drift = model.input_mode == "activation" and not model.is_linear
    guard = make_guard(model, dt, "an ensemble driven by the input", n_steps=N,
                       inputs=float(np.abs(amps).max()) * inputs,
                       burn_in=stationary_burn(model, dt, burn_in))
    acc_d = Moments((N + 1, amps.shape[0] - 1, model.n_outputs))
    acc_b = Moments((N + 1, model.n_outputs))

    def block(size: int, rng: np.random.Generator, lo: int) -> tuple:
        H = np.broadcast_to(draw(rng, size, lo), (amps.shape[0], size, model.n_hidden)).copy()
        d = np.empty((N + 1, amps.shape[0] - 1, size, model.n_outputs))
        b = np.empty((N + 1, size, model.n_outputs))
        for j in range(N + 1):
            f = model.output(H)
            d[j] = f[1:] - f[0]
            b[j] = f[0]
            if j < N:
                xi = rng.standard_normal((size, step.r))
                if in_drift:
                    H = step(H, xi, u=amps * inputs[j])
                else:
                    H = step(H, xi, shift=dt * amps * cu[j])
                guard.check(H, j + 1, lo)
        return batch_moments(d, axis=2), batch_moments(b, axis=1)

    for mom_d, mom_b in map_blocks(par, block, n_paths, seed):
        acc_d.merge(*mom_d)
        acc_b.merge(*mom_b)
    dm, ds = _result(acc_d)
    bm, bs = _result(acc_b)
    return dm.transpose(1, 0, 2), ds.transpose(1, 0, 2), bm, bs


@_engine
def hermite_terms(model: Any, inputs: np.ndarray, dt: float, order: int, n_paths: int,
                  seed: SeedLike, burn_in: int | None, par: Runner = SERIAL
                  ) -> tuple[np.ndarray, np.ndarray]:
    r"""Contracted Volterra terms by Girsanov weights (docs/theory.md §7(c), Hermite form).

    ``terms[n-1, t] = E_0[(f(h_t) - f̄) Q_t^{n/2} He_n(M_t / sqrt(Q_t)) / n!]`` with
    :math:`M_t = \sum_{i<t} \sqrt\Delta (G w_i)\cdot\xi_i`, :math:`Q_t = \sum_{i<t}\Delta|Gw_i|^2`.
    With the input inside the activation the log-likelihood ratio is no longer linear in the
    amplitude: its Taylor coefficients (:class:`LikelihoodSeries`) are summed over the steps
    and the weights are those of :math:`\exp\sum_k L_k\varepsilon^k` (:func:`exp_series`).
    Returns ``(terms, stderr)`` of shape (order, n_steps+1, p).
    """
    G = girsanov_matrix(model, "volterra_terms")
    draw = stationary_sampler(model, dt, burn_in)
    step = EulerStep(model, dt)
    N = inputs.shape[0]
    a = inputs @ G.T                                          # (N, r)
    Qt = np.concatenate([[0.0], np.cumsum(dt * (a * a).sum(1))])
    fact = np.cumprod(np.arange(1, order + 1, dtype=float))
    acc = Moments((N + 1, order, model.n_outputs))
    series = LikelihoodSeries(model, dt, order) if in_drift(model) else None

    # stationary starts along chains (docs/theory.md §7a): each chain is burnt in once and
    # its successive windows of N steps are the starts (found by profiling: a burn-in per
    # path was 97 % of a call); one start per chain when the law is drawn exactly
    S_max = terms_starts(model, dt, N, n_paths, burn_in)
    guard = make_guard(model, dt, "a Girsanov ensemble", n_steps=N * S_max,
                       burn_in=stationary_burn(model, dt, burn_in))

    def window(h: np.ndarray, rng: np.random.Generator, vals: np.ndarray, t0: int,
               lo: int) -> np.ndarray:
        """One window of N steps from the starts ``h`` (K,); its terms into ``vals``."""
        K = h.shape[0]
        M = np.zeros(K)
        L = np.zeros((K, order))                              # sum_j of l_{j,k} (in drift)
        for j in range(N + 1):
            f = model.output(h)
            # centring by the window's chains is unbiased after the factor K/(K-1) (E H = 0,
            # chains independent); one chain is left uncentred (also unbiased)
            fc = (f - f.mean(0)) * (K / (K - 1.0)) if K > 1 else f
            if series is not None:                           # exp(sum_k L_k eps^k)
                vals[j] = fc[None] * exp_series(L).T[:, :, None]
            else:
                P_prev, P = np.ones(K), M.copy()              # Q^{n/2} He_n(M / sqrt Q)
                for n in range(1, order + 1):
                    vals[j, n - 1] = fc * (P / fact[n - 1])[:, None]
                    P_prev, P = P, M * P - n * Qt[j] * P_prev
            if j < N:
                xi = rng.standard_normal((K, step.r))
                if series is not None:
                    L += series(h, xi, inputs[j])
                else:
                    M += np.sqrt(dt) * (xi @ a[j])
                h = step(h, xi)
                guard.check(h, t0 + j + 1, lo)
        return h

    def block(size: int, rng: np.random.Generator, lo: int) -> tuple:
        K, S = chain_layout(size, S_max)
        h = draw(rng, K, lo)
        vals = np.empty((S, N + 1, order, K, model.n_outputs))
        for s_ in range(S):
            h = window(h, rng, vals[s_], s_ * N, lo)
        if S == 1:
            return batch_moments(vals[0], axis=2)
        return chain_moments(np.moveaxis(vals, 3, 0), size)  # (K, S, N+1, order, p)

    for mom in map_blocks(par, block, n_paths, seed):
        acc.merge(*mom)
    mean, se = _result(acc)
    return mean.transpose(1, 0, 2), se.transpose(1, 0, 2)


@_engine
def stationary_output_mean(model: Any, dt: float, n_paths: int, seed: SeedLike,
                           burn_in: int | None, par: Runner = SERIAL
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo ``<f>_inf`` of the EM chain from stationary draws."""
    draw = stationary_sampler(model, dt, burn_in)
    acc = Moments((model.n_outputs,))
    for mom in map_blocks(par, lambda size, rng, lo: batch_moments(
            model.output(draw(rng, size, lo)), 0), n_paths, seed):
        acc.merge(*mom)
    return _result(acc)
