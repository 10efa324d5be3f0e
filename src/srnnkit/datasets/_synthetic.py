"""Synthetic tasks generated offline: NARMA10, Mackey-Glass and an SRNN teacher."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._random import SeedLike, as_generator, child_sequences
from .._validation import check_int, check_memory, check_positive, fail

__all__ = ["mackey_glass", "narma10", "srnn_teacher"]


def narma10(n_steps: int, seed: SeedLike = None, *, low: float = 0.0,
            high: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    r"""The NARMA10 task: an i.i.d. input and the 10th-order nonlinear autoregression it drives.

    .. math::

        u_t \sim U[\text{low}, \text{high}], \qquad
        y_{t+1} = 0.3\,y_t + 0.05\,y_t \sum_{i=0}^{9} y_{t-i} + 1.5\,u_{t-9}\,u_t + 0.1,

    with :math:`y_t = 0` for :math:`t < 10` (the first ten values start the recursion). The
    target :math:`y_{t+1}` depends on :math:`u_0..u_t`, which matches the library's lag
    convention: a reservoir state after input ``u[t]`` predicts ``y[t + 1]``.

    Parameters
    ----------
    n_steps : int
        Length of both series (>= 11).
    seed : int, numpy Generator or None, default=None
        Seed of the input.
    low, high : float, default=0, 0.5
        Input range (the standard task uses [0, 0.5]; wider ranges can diverge).

    Returns
    -------
    u : ndarray of shape (n_steps,)
        The input.
    y : ndarray of shape (n_steps,)
        The target (``y[t + 1]`` from ``u[:t + 1]``).

    Raises
    ------
    ValueError
        If the recursion diverges (non-finite or ``|y| > 1e6``), naming the step.

    Examples
    --------
    >>> from srnnkit.datasets import narma10
    >>> u, y = narma10(500, seed=0)
    >>> u.shape, y.shape
    ((500,), (500,))
    """
    n_steps = check_int("n_steps", n_steps, low=11)
    check_memory("n_steps", n_steps, "the input and target series", (2, n_steps))
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        fail("low, high", "finite numbers with low < high", (low, high))
    u = as_generator(seed).uniform(low, high, n_steps)
    y = np.zeros(n_steps)
    for t in range(9, n_steps - 1):
        y[t + 1] = (0.3 * y[t] + 0.05 * y[t] * y[t - 9:t + 1].sum()
                    + 1.5 * u[t - 9] * u[t] + 0.1)
        if not abs(y[t + 1]) < 1e6:
            raise ValueError(f"NARMA10 diverged at step {t + 1} (y = {y[t + 1]:.3g}); use a "
                             "narrower input range (the standard one is [0, 0.5]) or another "
                             "seed.")
    return u, y


def _mg_rhs(x: float, x_delay: float, a: float, b: float, n: float) -> float:
    return a * x_delay / (1.0 + x_delay ** n) - b * x


def mackey_glass(n_steps: int, tau: float = 17.0, *, a: float = 0.2, b: float = 0.1,
                 n: float = 10.0, x0: float = 1.2, dt: float = 1.0, substeps: int = 10,
                 seed: SeedLike = None) -> np.ndarray:
    r"""The Mackey–Glass delay differential equation, sampled every ``dt``.

    .. math:: \dot x(t) = \frac{a\,x(t-\tau)}{1 + x(t-\tau)^n} - b\,x(t),

    with the history :math:`x(t) = x_0` on :math:`[-\tau, 0]` (or, with ``seed``, i.i.d.
    uniform values in :math:`[x_0 - 0.1, x_0 + 0.1]` on the history grid). ``tau=17`` gives
    the standard mildly chaotic benchmark.

    Integration scheme: classical RK4 with step :math:`h = dt/\text{substeps}` on a grid
    where :math:`\tau/h = d` is an integer; the delayed argument is the stored grid value
    :math:`x_{k-d}` at the start of a step, :math:`x_{k-d+1}` at its end and their average
    :math:`\tfrac12(x_{k-d} + x_{k-d+1})` at the midpoint stages:

    .. math::

        k_1 = F(x_k, x_{k-d}),\ k_2 = F(x_k + \tfrac h2 k_1, \bar x),\
        k_3 = F(x_k + \tfrac h2 k_2, \bar x),\ k_4 = F(x_k + h k_3, x_{k-d+1}),\\
        x_{k+1} = x_k + \tfrac h6 (k_1 + 2k_2 + 2k_3 + k_4).

    Every ``substeps``-th grid value is returned, starting at :math:`t = 0`.

    Parameters
    ----------
    n_steps : int
        Number of returned samples.
    tau : float, default=17
        Delay; ``tau / (dt / substeps)`` must be an integer.
    a, b, n : float, default=0.2, 0.1, 10
        Production rate, decay rate and Hill exponent of the equation.
    x0 : float, default=1.2
        Initial history value.
    dt : float, default=1.0
        Sampling step of the returned series.
    substeps : int, default=10
        Integration steps per sample.
    seed : int, numpy Generator or None, default=None
        ``None``: constant history ``x0``; otherwise a random history.

    Returns
    -------
    ndarray of shape (n_steps,)
        The series :math:`x(k\,dt)`, ``k = 0..n_steps-1``.

    Examples
    --------
    >>> from srnnkit.datasets import mackey_glass
    >>> x = mackey_glass(1000)
    >>> bool(0.2 < x.min() < x.max() < 1.5)
    True
    """
    n_steps = check_int("n_steps", n_steps, low=1)
    check_memory("n_steps", n_steps, "the series", (2, n_steps))
    tau = check_positive("tau", tau)
    dt = check_positive("dt", dt)
    substeps = check_int("substeps", substeps, low=1)
    a, b, n = (check_positive(k, v, allow_zero=True) for k, v in (("a", a), ("b", b), ("n", n)))
    h = dt / substeps
    d = tau / h
    if abs(d - round(d)) > 1e-9 * max(1.0, d):
        fail("tau", f"a multiple of the integration step dt/substeps = {h:g}", tau)
    d = round(d)
    total = (n_steps - 1) * substeps + 1
    x = np.empty(d + total)
    if seed is None:
        x[: d + 1] = x0
    else:
        x[: d + 1] = as_generator(seed).uniform(x0 - 0.1, x0 + 0.1, d + 1)
    for k in range(d, d + total - 1):
        xk, xd0, xd1 = x[k], x[k - d], x[k - d + 1]
        xm = 0.5 * (xd0 + xd1)
        k1 = _mg_rhs(xk, xd0, a, b, n)
        k2 = _mg_rhs(xk + 0.5 * h * k1, xm, a, b, n)
        k3 = _mg_rhs(xk + 0.5 * h * k2, xm, a, b, n)
        k4 = _mg_rhs(xk + h * k3, xd1, a, b, n)
        x[k + 1] = xk + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        if not math.isfinite(x[k + 1]):
            raise ValueError(f"Mackey-Glass integration diverged at t = {(k + 1 - d) * h:g}; "
                             "use more substeps.")
    return x[d::substeps].copy()


def srnn_teacher(n_series: int, n_steps: int, *, n_inputs: int = 1, n_hidden: int = 8,
                 dt: float = 0.1, noise: float = 0.3, spectral_radius: float = 0.9,
                 input_scale: float = 1.0, input_corr: float = 0.5, n_paths: int = 256,
                 seed: SeedLike = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    r"""Regression task whose target is a known SRNN's mean output (a "teacher").

    Inputs are independent Ornstein–Uhlenbeck-like series (AR(1) with coefficient
    :math:`\rho = e^{-dt/\text{input\_corr}}` and unit stationary variance). The teacher is
    ``srnnkit.SRNN.random(n_hidden, n_inputs, ..., bias_scale=0)`` with a random linear
    readout, and the target of series ``i`` is :math:`\mathbb{E} f(h_T)` at the final time,
    estimated by
    ``srnnkit.simulate(teacher, X, dt=dt, n_paths=n_paths)``; its Monte Carlo standard error
    is returned with the teacher.
    By docs/theory.md §4 the target is a linear functional of the response features.

    Parameters
    ----------
    n_series : int
        Number of series (>= 1).
    n_steps : int
        Length of each series (>= 1).
    n_inputs : int, default=1
        Input channels.
    n_hidden : int, default=8
        Hidden units of the teacher.
    dt : float, default=0.1
        Time step of the series and of the simulation.
    noise, spectral_radius, input_scale : float, default=0.3, 0.9, 1.0
        Passed to ``SRNN.random``.
    input_corr : float, default=0.5
        Correlation time of the inputs.
    n_paths : int, default=256
        Monte Carlo paths per series for the target.
    seed : int, numpy Generator or None
        Children 0, 1, 2 seed the teacher, the inputs and the noise.

    Returns
    -------
    X : ndarray of shape (n_series, n_steps, n_inputs)
        The input series.
    y : ndarray of shape (n_series,)
        The teacher's mean output at the final time.
    teacher : dict
        ``{"model": SRNN, "stderr": ndarray (n_series,), "dt": dt}``.

    Examples
    --------
    >>> from srnnkit.datasets import srnn_teacher
    >>> X, y, teacher = srnn_teacher(4, 50, n_paths=64, seed=0)
    >>> X.shape, y.shape, teacher["model"].n_hidden
    ((4, 50, 1), (4,), 8)
    """
    from ..model import SRNN
    from ..simulate import simulate

    n_series = check_int("n_series", n_series, low=1)
    n_steps = check_int("n_steps", n_steps, low=1)
    check_memory("n_steps", n_steps, "the series", (2, n_steps))
    dt = check_positive("dt", dt)
    input_corr = check_positive("input_corr", input_corr)
    kid_model, kid_input, kid_noise = child_sequences(seed, 3)
    # the task is defined with an unbiased teacher (bias_scale=0, SRNN.random's default
    # before it became 0.5), so its data stay the same across versions
    model = SRNN.random(n_hidden, n_inputs, spectral_radius=spectral_radius,
                        input_scale=input_scale, noise=noise, bias_scale=0.0, seed=kid_model)
    rng = np.random.default_rng(kid_input)
    rho = math.exp(-dt / input_corr)
    eps = rng.standard_normal((n_series, n_steps, n_inputs))
    X = np.empty_like(eps)
    X[:, 0] = eps[:, 0]
    c = math.sqrt(1.0 - rho * rho)
    for t in range(1, n_steps):
        X[:, t] = rho * X[:, t - 1] + c * eps[:, t]
    traj = simulate(model, X, dt=dt, n_paths=n_paths, seed=kid_noise)
    y = traj.mean[:, -1, 0].copy()
    stderr = traj.stderr[:, -1, 0].copy() if traj.stderr is not None else np.zeros(n_series)
    return X, y, {"model": model, "stderr": stderr, "dt": dt}
