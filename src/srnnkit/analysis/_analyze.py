"""``analyze_network``: read a trained network through its response kernels."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._random import SeedLike, child_sequences
from .._validation import check_positive, fail

__all__ = ["analyze_network"]

#: stationary draws for the state the plan linearises at
MEAN_POOL = 1024
#: the burn-in of the stationary pool may cost this many times the budget, and at least
#: SLOW_SECONDS reference seconds, before `analyze_network` warns
SLOW_FACTOR, SLOW_SECONDS = 10.0, 2.0


@dataclass
class _Subject:
    """What is analysed, in the network's own units."""

    model: Any
    dt: float
    source: str
    series: list[np.ndarray] | None
    scale: np.ndarray
    deployed: Any = None
    targets: Any = None
    metric: str | None = None
    from_data: bool = True


def _is_estimator(obj: Any) -> bool:
    from ..learning import NoisyRNNClassifier, NoisyRNNRegressor

    return isinstance(obj, (NoisyRNNClassifier, NoisyRNNRegressor))


def _subject(model: Any, dt: Any, inputs: Any, targets: Any) -> _Subject:
    """Unpack an SRNN or a fitted NoisyRNN estimator; inputs to the network's units."""
    from ..learning._input import as_series_list
    from ..model import SRNN

    if isinstance(model, SRNN):
        dt = model.dt if dt is None else dt
        if dt is None:
            fail("dt", "the network's Euler-Maruyama step (a number > 0) for an SRNN", dt)
        if targets is not None:
            fail("targets", "None for an SRNN (scores need a NoisyRNNClassifier or "
                 "NoisyRNNRegressor, whose outputs have a meaning)", targets, TypeError)
        series = None if inputs is None else as_series_list(inputs, "inputs")
        if series is not None:
            _check_channels(series, model.n_inputs, "the network's")
        scale = (np.ones(model.n_inputs) if series is None else
                 np.maximum(np.concatenate(series).std(axis=0), 1e-12))
        dt = check_positive("dt", dt)
        _check_stable_step(model, dt, "use a smaller dt (for a trained network, dt is its "
                           "own step: another dt reads another network; srnnkit.nn.NoisyRNN "
                           "with parameterization='dissipative' trains one whose step "
                           "contracts for any weights)")
        return _Subject(model, dt, "SRNN", series, scale, from_data=series is not None)
    if not _is_estimator(model):
        fail("model", "an srnnkit.SRNN or a fitted NoisyRNNClassifier / NoisyRNNRegressor",
             type(model).__name__, TypeError)
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "srnn_")
    est = model
    if dt is not None and not math.isclose(float(dt), est.dt_):
        fail("dt", f"None or the estimator's own step dt_ = {est.dt_:g}", dt)
    _check_stable_step(est.srnn_, est.dt_, "train it with parameterization='dissipative' "
                       "(the default), whose step is a contraction for any weights")
    series = None
    if inputs is not None:
        series = as_series_list(inputs, "inputs")
        _check_channels(series, est.n_features_in_, "the estimator's")
        series = [(s - est.shift_) / est.scale_ for s in series]

    def deployed(batch: list[np.ndarray]) -> np.ndarray:
        return est._outputs([s * est.scale_ + est.shift_ for s in batch])

    subj = _Subject(est.srnn_, float(est.dt_), type(est).__name__, series,
                    np.ones(est.n_features_in_), deployed, from_data=series is not None)
    if targets is not None:
        subj.targets, subj.metric = _targets(est, targets, len(series or []))
    return subj


#: the far field of an unbounded activation is followed from FAR_STARTS directions for
#: FAR_STEPS Euler steps (down to a fifth of them for a large network, about FAR_FLOPS
#: multiply-adds in all: 0.1 s for 64 units)
FAR_STARTS, FAR_STEPS, FAR_FLOPS = 16, 1000, 2e8


def _check_stable_step(net: Any, dt: float, advice: str) -> None:
    r"""ValueError when the Euler step expands far from the origin.

    With a bounded activation the drift far from the origin is :math:`-\Gamma h` plus a
    bounded term, so a spectral radius of :math:`I - \Delta\Gamma` above 1 makes every
    long run grow without bound: there is no stationary law, and no kernel to estimate.
    With the identity or ReLU the far field is :math:`h + \Delta[-\Gamma h + a(Wh)]`
    (`far_step_growth`); a growth of 1 or more per step is refused the same way (it was
    left to the divergence guard, which stopped the analysis part-way, after its work).
    """
    from ..dynamics._activations import ACTIVATIONS
    from ..dynamics._divergence import far_jacobian

    if not np.any(net.diffusion):
        fail("model", "a network with noise (sigma != 0): its response kernels are "
             "correlations of its stationary fluctuations", "sigma = 0",
             hint="Read it at a noise level: e.g. from_torch_rnn(..., sigma=0.1), or the "
                  "sigma= of from_lipschitz_rnn or of the SRNN.")
    if not ACTIVATIONS[net.activation].bounded:
        _check_unbounded_step(net, dt)
        return
    lam = np.linalg.eigvals(far_jacobian(net))
    radius = float(np.abs(1.0 + dt * lam).max())
    if radius >= 1.0:        # 1: a random walk far out (gamma = 0), no stationary law either
        growth = float(lam.real.max())
        if growth >= 0.0:     # the SRNN itself grows: no step can help
            advice = (f"-gamma has an eigenvalue with real part {growth:.3g} >= 0, so the "
                      "network does not settle at any step, not only at this dt (a trained "
                      "network that runs a few steps from h = 0 can work without a stationary "
                      "law, but its response kernels around one do not exist)")
        fail("model", "a network whose Euler-Maruyama step contracts far from the origin "
             "(spectral radius of I - dt*gamma below 1: with a bounded activation only that "
             "linear part is left at large |h|, so a larger one has no stationary law and "
             f"no response kernels); {advice}",
             f"spectral radius {radius:.4g} with dt = {dt:g}")


def _check_unbounded_step(net: Any, dt: float) -> None:
    """ValueError when the far field of an identity or ReLU network grows per Euler step."""
    growth = far_step_growth(net, dt)
    if growth < 1.0:
        return
    fail("model", f"a network whose Euler-Maruyama step contracts far from the origin (at "
         f"large |h| the input, bias and noise are negligible and the {net.activation} "
         "network steps h + dt [-gamma h + a(W h)]: if that grows along some direction, "
         "the noise reaches it from h = 0 and the network has no stationary law and no "
         "response kernels; a smaller dt helps only a network whose step, not whose "
         "weights, expands, and a trained network is read at its own step)",
         f"a far-field growth of {growth:.4g} per step with dt = {dt:g}",
         hint="Bound the recurrent weights: ||I - dt gamma|| + dt ||W|| < 1 makes the step "
              "contract for any state (a torch.nn.RNN has dt = 1 and gamma = I, so "
              "||W_hh|| < 1, which torch.nn.utils.parametrizations.spectral_norm on "
              "weight_hh_l0 keeps), or train with tanh, whose far field is the leak alone.")


def far_step_growth(net: Any, dt: float) -> float:
    r"""Growth factor per Euler step of an identity or ReLU network far from the origin.

    There the input, bias and noise are negligible and the step is the positively
    homogeneous map :math:`h \mapsto (I - \Delta\Gamma) h + \Delta\, a(Wh)`. For the
    identity its growth is the spectral radius of :math:`I + \Delta(W - \Gamma)`; for ReLU
    it is followed from ``FAR_STARTS`` directions (half of them in the positive orthant,
    where ReLU units are active) for up to ``FAR_STEPS`` steps, and the largest geometric
    mean growth over the second half is returned (0 for a direction that reaches 0).

    Parameters
    ----------
    net : SRNN
        With an unbounded activation.
    dt : float
        The Euler-Maruyama step.

    Returns
    -------
    growth : float
        1 or more: states far out do not shrink, so the network has no stationary law.
    """
    from ..dynamics._activations import ACTIVATIONS

    n = net.n_hidden
    M = np.eye(n) - dt * net.gamma_matrix
    if net.activation == "identity":
        return float(np.abs(np.linalg.eigvals(M + dt * net.W)).max())
    act = ACTIVATIONS[net.activation].fn
    steps = int(np.clip(FAR_FLOPS / (2 * FAR_STARTS * n * n), FAR_STEPS // 5, FAR_STEPS))
    H = np.random.default_rng(0).standard_normal((n, FAR_STARTS))
    H[:, ::2] = np.abs(H[:, ::2])
    H /= np.linalg.norm(H, axis=0)
    logs = np.zeros(FAR_STARTS)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(steps):
            H = M @ H + dt * act(net.W @ H)
            norm = np.linalg.norm(H, axis=0)
            if k >= steps // 2:
                logs += np.log(norm)
            H = np.where(norm > 0, H / norm, 0.0)
    return float(np.exp(np.max(logs) / (steps - steps // 2)))


def _check_channels(series: list[np.ndarray], m: int, whose: str) -> None:
    """ValueError naming ``inputs`` when a series does not have the model's ``m`` channels."""
    for i, s in enumerate(series):
        if s.shape[1] != m:
            where = f" (series {i})" if len(series) > 1 else ""
            fail("inputs", f"series with {whose} {m} input channel(s)",
                 f"{s.shape[1]} channel(s){where}")


def _targets(est: Any, targets: Any, n: int) -> tuple[np.ndarray, str]:
    y = np.asarray(targets)
    if y.shape[:1] != (n,):
        fail("targets", f"one target per test series ({n}; inputs are required with targets)",
             y)
    if hasattr(est, "classes_"):
        if y.ndim != 1:
            fail("targets", f"a 1-D array of {n} class labels", y)
        codes = np.searchsorted(est.classes_, y)
        codes = np.clip(codes, 0, len(est.classes_) - 1)
        if not np.all(est.classes_[codes] == y):
            fail("targets", f"class labels among the estimator's classes_ {est.classes_!r}",
                 y)
        return codes, "accuracy"
    p = int(est.srnn_.n_outputs)
    if not (y.shape == (n, p) or (p == 1 and y.shape in ((n,), (n, 1)))):
        fail("targets", f"regression targets of shape ({n}, {p})" + (f" or ({n},)" if p == 1
             else "") + " (one row per test series, one column per output)", y)
    y = y.astype(float)
    if not np.all(np.isfinite(y)):
        fail("targets", "finite regression targets", f"{int(np.sum(~np.isfinite(y)))} NaN or "
             "infinite value(s)")
    return y, "rmse"


def analyze_network(model: Any, dt: float | None = None, *, inputs: Any = None,
                    targets: Any = None, budget: float = 1.0, seed: SeedLike = None,
                    burn_in: int | None = None, n_jobs: int | None = None,
                    shrink: bool = True, odd_even: bool = True) -> Any:
    r"""Read a trained network through its response kernels.

    For an SRNN (or a fitted ``NoisyRNNClassifier`` / ``NoisyRNNRegressor``, whose
    ``srnn_`` is analysed on its standardised inputs):

    - its first- and second-order kernels per input channel and output, with standard
      errors, by two independent estimators, perturbation with common random numbers and
      Girsanov weights (docs/theory.md §7, §11), and their entry-by-entry agreement
      (:func:`compare_kernels`);
    - how much of its mean output on the test inputs the order-1 and order-2 Volterra series
      capture, against common-random-numbers Monte Carlo, at the data's amplitude and
      smaller ones (:func:`volterra_capture`);
    - its memory: the decay of :math:`\|r_1(k)\|` and the time constants of the drift
      linearised at the stationary mean (:func:`network_memory`);
    - its robustness: the output variance under white input noise predicted from the
      kernel, :math:`\nu^2\Delta^2\sum_k\sum_a r_{1,ia}(k)^2 s_a^2`, against Monte Carlo and,
      for an estimator, the measured change of its own outputs and score
      (:func:`robustness`).

    The network is analysed in the setting of the theory: started in its stationary law
    (docs/theory.md §1, A3). Sample sizes follow from ``budget`` by rule
    (:func:`make_plan`), so the :class:`~srnnkit.CostWarning` of the simulations and
    estimators it calls are not passed on (the budget is the knob). The burn-in of each
    stationary run is not the budget's, though (ten relaxation times): a network that relaxes
    so slowly that the burn-ins alone cost ten times the budget gets one ``CostWarning``
    before any work.

    Parameters
    ----------
    model : SRNN or fitted NoisyRNNClassifier / NoisyRNNRegressor
    dt : float, optional
        The Euler-Maruyama step: by default an SRNN's ``model.dt``, an estimator's ``dt_``.
    inputs : array-like of shape (n_series, n_steps, m) or (n_series, n_steps), or list
        Test series (an estimator's raw units; an SRNN's own units); unequal lengths as a
        list. Default: standard normal white-noise series (the standardised scale of an
        estimator's training data) as long as the first-order kernel's window.
    targets : array-like of shape (n_series,), optional
        Labels (classifier) or targets (regressor) of ``inputs``: adds the accuracy (or
        RMSE) under input noise.
    budget : float, default=1.0
        Work budget; 1 took 109 s for a 64-unit, 8-input, 10-class network on two cores at
        load 5 to 8, 0.25 (``srnnkit analyze --quick``) 22 s.
    seed : int, Generator, SeedSequence or None
    burn_in : int, optional
        Burn-in steps of every stationary draw (default: the library's rule).
    n_jobs : int, optional
        Threads of the kernel estimators.
    shrink : bool, default=True
        Shrink each kernel entry toward zero by its own standard error
        (:func:`shrink_weights`) before the Volterra series contracts it; the kernels
        reported and compared stay the raw estimates.
    odd_even : bool, default=True
        Split what order 1 misses into odd (orders 3+, which no order-2 term lowers) and even
        parts by runs at minus each amplitude (:func:`volterra_capture`); False skips them.

    Returns
    -------
    NetworkAnalysis

    Examples
    --------
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import analyze_network
    >>> model = sk.SRNN.random(4, 1, n_outputs=2, noise=0.5, seed=0,
    ...                        input_mode="activation")
    >>> res = analyze_network(model, dt=0.1, budget=0.01, seed=0)
    >>> res.first["perturbation"].values.shape == (res.plan.n_lags, 2, 1)
    True
    >>> res.agreement[1].within >= 0.99
    True
    """
    from .._cost import CostWarning
    from ..dynamics._divergence import DivergenceError

    t0 = time.perf_counter()
    budget = check_positive("budget", budget)
    subj = _subject(model, dt, inputs, targets)
    _warn_slow_relaxation(subj, budget, burn_in)
    seconds: dict[str, float] = {}
    s_mean, s_pool, s_kern, s_vol, s_rob, s_sel, s_mix = child_sequences(seed, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CostWarning)
        try:
            mixing, burn_in = _check_mixing(subj, burn_in, s_mix)
            seconds["mixing"] = time.perf_counter() - t0
            plan, hbar = _plan(subj, budget, burn_in, s_mean, s_sel, mixing)
            seconds["plan"] = time.perf_counter() - t0 - seconds["mixing"]
            return _run(subj, plan, hbar, (s_pool, s_kern, s_vol, s_rob), burn_in,
                        n_jobs, seconds, shrink, mixing, odd_even)
        except DivergenceError as err:
            raise DivergenceError(
                f"{err} The analysis reads the network in its stationary law (runs from h = 0 "
                "left to the noise for many relaxation times), and this network, stepped at "
                "its dt, has none: its state grows without bound, although it can still work "
                "on series of finite length from h = 0. With a bounded activation (tanh, "
                "sigmoid) and a stable step there always is one.") from None


def spread_chains(plan: Any, mixing: Any) -> Any:
    """``plan`` with Girsanov's steps spread over at least as many runs as the mixing check
    used, when that check found the runs do not sample one law.

    A network with several stable states gives each stationary run the state it settles in,
    so a stationary-run estimator averages a mixture over its runs. Girsanov's few long runs
    (20 at ``budget=0.1`` on the `srnnkit run` network) sample that mixture poorly: their
    per-run estimates are bimodal and the standard error from their spread is heavy-tailed
    (97.1 % of the order-1 entries within 4 SE of perturbation, mean z^2 2.75). The same
    steps in 80 runs of a quarter the length gave 100 % and mean z^2 0.99 at the same kernel
    time. Each run keeps at least ``2 n_lags`` steps (the estimators' minimum).
    """
    import dataclasses

    from ._mixing import N_RUNS

    if mixing is None or mixing.agree:
        return plan
    sizes = {}
    for chains, steps, lags in (("girsanov_chains", "girsanov_steps", plan.n_lags),
                                ("girsanov2_chains", "girsanov2_steps", plan.second_lags)):
        g, s = getattr(plan, chains), getattr(plan, steps)
        k = min(-(-N_RUNS // g), s // (2 * lags))         # runs x k, each s // k steps
        if k > 1:
            sizes[chains], sizes[steps] = g * k, s // k
    return dataclasses.replace(plan, **sizes) if sizes else plan


def _check_mixing(subj: _Subject, burn_in: int | None, seed: Any) -> tuple[Any, int | None]:
    """The stationary runs' check (`check_mixing`), first; the library's default burn-in is
    raised to `BURN_TAUS` autocorrelation times of the output when it is under
    `MIN_BURN_TAUS` of them and the runs sample one law (found by fuzzing: a trained 1-unit
    network relaxing in 88 steps, burnt in for 50, had a perturbation kernel 7.6 SE off the
    exact one while both checks passed). A burn-in given by the caller is kept (a problem
    line says it is short)."""
    from ._mixing import check_mixing

    net, dt = subj.model, subj.dt
    if net.is_linear:
        return None, burn_in
    mixing = check_mixing(net, dt, seed, burn_in)
    if burn_in is None and mixing.agree and mixing.burn_in_short:
        mixing.raised_from = mixing.burn_in
        return mixing, mixing.burn_in_used
    return mixing, burn_in


def _warn_slow_relaxation(subj: _Subject, budget: float, burn_in: int | None) -> None:
    """`CostWarning` when the burn-in alone of the stationary pool (the analysis's first
    step, whatever the budget) costs far more than the budget: a network that relaxes slowly
    (found by fuzzing: gamma = 1e-4 needs 5e6 burn-in steps, and budget=0.001 ran for
    minutes without a word)."""
    from .._cost import CostWarning
    from ._plan import SPEED, UNIT_SECONDS, step_cost

    net, dt = subj.model, subj.dt
    burn = _burn_steps(net, dt, burn_in)
    pool = MEAN_POOL * burn * step_cost(net) / SPEED["burn_in"]
    if pool > max(SLOW_FACTOR * UNIT_SECONDS * budget, SLOW_SECONDS):
        warnings.warn(
            f"analyze_network: this network relaxes slowly: its burn-in is {burn} steps of "
            f"dt = {dt:g} per stationary run, and that alone costs about {pool:.3g} reference "
            f"seconds, far beyond budget={budget:g} ({UNIT_SECONDS * budget:.3g} s); the "
            "analysis will take much longer than its budget. A shorter burn_in= (at a bias "
            "from the unsettled start) or a network with a faster leak shortens it.",
            CostWarning, stacklevel=3)


def _burn_steps(net: Any, dt: float, burn_in: int | None) -> int:
    """The burn-in of each stationary run: ``burn_in``, or none for a linear SRNN (drawn
    exactly) and the simulator's default for a nonlinear one."""
    from ..dynamics._ensembles import stationary_burn
    from ..simulate import default_burn_in

    return stationary_burn(net, dt, burn_in, default_burn_in)


def _plan(subj: _Subject, budget: float, burn_in: int | None, s_mean: Any, s_sel: Any,
          mixing: Any = None) -> tuple[Any, np.ndarray]:
    """The sample sizes, after a small stationary pool locates the state to linearise at
    (Girsanov's runs spread by `spread_chains` when ``mixing`` failed); picks the test
    series (at most ``plan.n_series``, a seeded choice) in place."""
    from ._ensemble import stationary_states
    from ._memory import linearized_drift
    from ._plan import make_plan

    net, dt = subj.model, subj.dt
    burn = _burn_steps(net, dt, burn_in)
    hbar = (net.stationary_mean() if net.is_linear and burn_in is None else
            stationary_states(net, dt, MEAN_POOL, s_mean, burn_in).mean(axis=0))
    factor = np.abs(1.0 + dt * np.linalg.eigvals(linearized_drift(net, hbar))).max()
    slow = -1.0 / math.log(factor) if 0 < factor < 1 else math.inf
    series = subj.series
    N = None if series is None else max(s.shape[0] for s in series)
    plan = spread_chains(make_plan(net, dt, n_steps=N,
                                   n_available=0 if series is None else len(series),
                                   slow_steps=slow, budget=budget, burn_in=burn), mixing)
    _check_plan_memory(plan, net, N)
    rng = np.random.default_rng(s_sel)
    if series is None:
        subj.series = list(rng.standard_normal((plan.n_series, plan.n_lags, net.n_inputs))
                           * subj.scale)
    elif len(series) > plan.n_series:
        keep = np.sort(rng.choice(len(series), plan.n_series, replace=False))
        subj.series = [series[i] for i in keep]
        if subj.targets is not None:
            subj.targets = subj.targets[keep]
    return plan, hbar


def _check_plan_memory(plan: Any, net: Any, n_steps: int | None) -> None:
    """ValueError naming ``budget`` when the largest arrays of ``plan`` cannot fit in memory,
    before any is built (found by fuzzing: without data the number of white-noise test series
    grows like the square root of the budget, and budget=1e300 stopped inside NumPy with
    "Maximum allowed dimension exceeded")."""
    from .._validation import check_memory

    S, m = plan.n_series, net.n_inputs
    N = n_steps or plan.n_lags
    P = max(plan.volterra_paths, plan.robustness_paths)
    hint = "Lower the budget (1 is the default)."
    if n_steps is None:
        check_memory("budget", plan.budget, "the white-noise test series",
                     (S, plan.n_lags, m), hint=hint)
    check_memory("budget", plan.budget, "the stationary starts of the test series",
                 (S * P, net.n_hidden), hint=hint)
    # the checks hold their work arrays a block of series at a time (one series at least)
    check_memory("budget", plan.budget, "the noisy copies of one test series",
                 (3, len(plan.noise_levels) * plan.noise_draws + 1, N, m), hint=hint)


def _run(subj: _Subject, plan: Any, hbar: np.ndarray, seeds: tuple, burn_in: int | None,
         n_jobs: int | None, seconds: dict, shrink: bool = True, mixing: Any = None,
         odd_even: bool = True) -> Any:
    """Kernels, agreement, memory, Volterra capture and robustness, in that order."""
    from ._agreement import compare_kernels
    from ._capture import volterra_capture
    from ._ensemble import stationary_states
    from ._kernels import estimate_kernels
    from ._memory import network_memory
    from ._result import NetworkAnalysis, find_problems
    from ._robustness import robustness

    s_pool, s_kern, s_vol, s_rob = seeds
    net, dt = subj.model, subj.dt
    S = len(subj.series)
    tick = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal tick
        now = time.perf_counter()
        seconds[name] = now - tick
        tick = now

    est = estimate_kernels(net, dt, plan, s_kern, burn_in=burn_in, n_jobs=n_jobs)
    lap("kernels")
    agreement = {o: compare_kernels(k["perturbation"], k["girsanov"])
                 for o, k in ((1, est.first), (2, est.second)) if "girsanov" in k}
    Pv, Pr = plan.volterra_paths, plan.robustness_paths
    pool = stationary_states(net, dt, S * max(Pv, Pr), s_pool, burn_in)
    lap("stationary pool")
    if not (net.is_linear and burn_in is None):
        hbar = pool.mean(axis=0)
    memory = network_memory(net, dt, est.first["perturbation"], stationary_mean=hbar)
    capture = volterra_capture(net, dt, subj.series, est.batches,
                               pool[:S * Pv].reshape(S, Pv, -1), amplitudes=plan.amplitudes,
                               seed=s_vol, shrink=shrink, odd_even=odd_even)
    lap("volterra")
    rob = robustness(net, dt, subj.series, est.first["perturbation"],
                     pool[:S * Pr].reshape(S, Pr, -1), noise_levels=plan.noise_levels,
                     n_draws=plan.noise_draws, scale=subj.scale, deployed=subj.deployed,
                     targets=subj.targets, metric=subj.metric, seed=s_rob)
    if subj.metric == "accuracy":
        rob.stationary_score = float(np.mean(
            capture.stationary_mean_outputs.argmax(axis=1) == subj.targets))
    lap("robustness")
    res = NetworkAnalysis(model=net, dt=dt, source=subj.source,
                          inputs="data" if subj.from_data else "white noise",
                          plan=plan, first=est.first, second=est.second, agreement=agreement,
                          memory=memory, volterra=capture, robustness=rob, mixing=mixing,
                          seconds=seconds,
                          notes=list(est.notes))
    res.problems_by_part = find_problems(res)
    res.problems = [p for part in res.problems_by_part.values() for p in part]
    return res
