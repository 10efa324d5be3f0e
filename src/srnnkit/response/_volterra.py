"""Volterra series of the expected output, Girsanov contracted terms, convergence checks."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._cost import costed
from .._random import SeedLike, child_sequences
from .._series import as_series
from .._validation import (
    check_array,
    check_choice,
    check_finite_result,
    check_int,
    check_positive,
    fail,
    same_step,
)
from ..model._linear import analytic_output_mean
from ._api import (
    FIRST_METHODS,
    SECOND_METHODS,
    check_burn_in,
    check_model,
    linear_response,
    make_parallel,
    second_order_response,
)
from ._cost import from_model_cost, volterra_convergence_cost, volterra_terms_cost
from ._mean import from_model_mean
from ._montecarlo import (
    crn_input_response,
    girsanov_matrix,
    hermite_terms,
)
from ._result import ResponseFunction
from ._weights import refuse_kinked, warn_conditioning

__all__ = ["VolterraConvergence", "VolterraSeries", "VolterraTerms", "volterra_convergence",
           "volterra_terms"]


def _as_inputs(inputs: Any, m: int, name: str = "inputs") -> tuple[np.ndarray, bool]:
    """(n_series, n_steps, m) array and whether a single series was given (the series rule
    of docs/conventions.md: 1-D one univariate series, 2-D one series, 3-D a batch)."""
    series = as_series(inputs, name, n_channels=m, kind="input ",
                       what=f"to match the kernels' n_inputs={m}")
    return series.values, series.single


#: the estimators that run along stationary runs (their sample size is ``n_chains``)
RUN_METHODS = ("fdt", "girsanov", "pathwise", "mixed")


def _sizes(method: str, n_paths: Any, n_chains: Any) -> dict[str, Any]:
    """The sample sizes that apply to ``method``: ``n_paths`` for an ensemble, ``n_chains``
    for stationary runs (``n_paths`` there only when no ``n_chains`` is given: deprecated)."""
    if method in RUN_METHODS:
        return {"n_chains": n_chains} if n_chains is not None else {"n_paths": n_paths}
    return {"n_paths": n_paths}


class VolterraSeries:
    r"""Truncated Volterra series of :math:`E f(h_t)` (docs/theory.md (2.1) and its EM form (2.4)).

    .. math::

        E f(h_N) \approx \langle f\rangle_\infty + \sum_j \Delta\, r_1(N-1-j)\,u_j
        + \sum_{j_1>j_2} \Delta^2 r_2(N-1-j_1, j_1-j_2-1)[u_{j_1}, u_{j_2}]
        + \tfrac12\sum_j d_2(N-1-j)[u_j, u_j],

    with ``inputs[j]`` acting on :math:`[t_j, t_{j+1})` (it first changes :math:`h_{j+1}`).
    Kernel values beyond the lag window are taken as zero.

    Parameters
    ----------
    first : ResponseFunction
        Order-1 kernel (its ``dt`` is the series' step).
    second : ResponseFunction, optional
        Order-2 kernel on the same ``dt``; its ``values[:, 0]`` supply the diagonal
        ``d2 = dt**2 values[:, 0]``.
    mean : array-like of shape (p,)
        :math:`\langle f\rangle_\infty`.
    model : SRNN, optional
        The network (set by :meth:`from_model`), used by :meth:`girsanov_terms`.
    mean_stderr : array-like of shape (p,), optional
        Standard error of a Monte Carlo ``mean`` (None when it is exact).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    >>> vs = sk.response.VolterraSeries.from_model(model, order=2, dt=0.02, n_lags=50,
    ...                                            method="grid")
    >>> u = 0.1 * np.ones((50, 1))
    >>> chain = sk.response.GridChain(model, dt=0.02)
    >>> exact = chain.expectation(u)[-1, 0]
    >>> bool(abs(vs.predict(u)[-1, 0] - exact) < 2e-4)
    True
    """

    def __init__(self, first: ResponseFunction, second: ResponseFunction | None = None, *,
                 mean: Any, model: Any = None, mean_stderr: Any = None) -> None:
        if not isinstance(first, ResponseFunction) or first.order != 1:
            fail("first", "an order-1 ResponseFunction", first, TypeError)
        for name, k in (("first", first), ("second", second)):
            if isinstance(k, ResponseFunction) and not np.all(np.isfinite(k.values)):
                fail(name, "a kernel with finite values (the series would predict NaN)",
                     f"{int(np.sum(~np.isfinite(k.values)))} NaN or infinite entries")
        if second is not None:
            if not isinstance(second, ResponseFunction) or second.order != 2:
                fail("second", "an order-2 ResponseFunction or None", second, TypeError)
            if not same_step(second.dt, first.dt):
                fail("second", f"a kernel with dt = {first.dt} (that of first)",
                     f"dt = {second.dt}")
            if second.n_inputs != first.n_inputs or second.n_outputs != first.n_outputs:
                fail("second", f"a kernel with (p, m) = ({first.n_outputs}, {first.n_inputs})",
                     f"(p, m) = ({second.n_outputs}, {second.n_inputs})")
        self.first = first
        self.second = second
        self.mean = check_array("mean", np.atleast_1d(mean), shape=(first.n_outputs,),
                                shape_text=f"({first.n_outputs},)")
        self.dt = first.dt
        self.model = None if model is None else check_model(model)
        self.mean_stderr = None if mean_stderr is None else check_array(
            "mean_stderr", np.atleast_1d(mean_stderr), shape=(first.n_outputs,),
            shape_text=f"({first.n_outputs},)")

    @property
    def order(self) -> int:
        """The series' order: 1, or 2 when it has a second-order kernel."""
        return 1 if self.second is None else 2

    @classmethod
    @costed(from_model_cost, "VolterraSeries.from_model")
    def from_model(cls, model: Any, order: int = 2, *, dt: float, n_lags: int,
                   method: str = "analytic", second_method: str | None = None,
                   discrete: bool = False, n_paths: int | None = None, seed: SeedLike = None,
                   mean_paths: int | None = None, n_chains: int | None = None,
                   **kwargs: Any) -> VolterraSeries:
        r"""Estimate the kernels (and :math:`\langle f\rangle_\infty`) of ``model``.

        The mean is exact for ``"analytic"`` and ``"grid"`` and for a linear SRNN with a linear
        or quadratic readout; otherwise the time average of ``f`` along independent stationary
        runs sized like the call's (``n_chains`` runs of ``n_steps`` steps; for ensemble
        methods the defaults of those estimators), with its standard error across runs in
        ``mean_stderr``.  The call estimates its cost first and warns
        (:class:`srnnkit.CostWarning`) when it is long.

        Parameters
        ----------
        model : SRNN
            The network.
        order : {1, 2}, default=2
            The series' order.
        dt : float
            Lag spacing and Euler–Maruyama step.
        n_lags : int
            Number of lags of the kernels.
        method : str, default="analytic"
            The estimator of :func:`linear_response`.
        second_method : str, optional
            The estimator of :func:`second_order_response` (default: ``method``; ``"fdt"``
            has no second-order form).
        discrete : bool, default=False
            ``"analytic"`` only: the EM chain's kernels instead of the continuous ones.
        n_paths, n_chains : int, optional
            Ensemble size and number of stationary runs, each passed to the estimator it
            applies to.
        seed : int, Generator, SeedSequence or None
            Its children 0, 1, 2 feed the order-1 kernel, the order-2 kernel and the mean.
        mean_paths : int, optional
            Estimate the mean over that many independent stationary draws instead (each pays
            a whole burn-in: slow for large networks).
        **kwargs
            Passed to both estimators (``n_steps``, ``eps``, ``burn_in``, ``spacing``,
            ``n_jobs``, ``executor``, ``device``, ...).

        Returns
        -------
        VolterraSeries
            The series, with ``model`` set.
        """
        model = check_model(model)
        order = check_int("order", order, low=1, high=2)
        check_choice("method", method, FIRST_METHODS)
        if second_method is not None:
            check_choice("second_method", second_method, SECOND_METHODS)
        second_method = method if second_method is None else second_method
        if order == 2 and second_method not in SECOND_METHODS:
            # found by fuzzing: method='pathwise' was told "method must be one of ..."
            raise ValueError(f"method={second_method!r} has no second-order estimator; pass "
                             "second_method= one of 'girsanov', 'perturbation', 'mixed', "
                             "'analytic' or 'grid' (the order-2 kernel's method).")
        s1, s2, s3 = child_sequences(seed, 3)
        if method == "grid" and (order == 1 or second_method == "grid"):
            from ._grid import GridChain

            unused = [k for k, v in (("n_paths", n_paths), ("n_chains", n_chains),
                                     ("mean_paths", mean_paths)) if v is not None]
            unused += sorted(set(kwargs) - {"spacing", "n_jobs", "executor", "device"})
            if unused:                # exact kernels and mean: a Monte Carlo size is a slip
                raise TypeError(f"VolterraSeries.from_model(method='grid') computes the "
                                f"kernels and the mean exactly on a grid; it takes no "
                                f"{', '.join(unused)} (only spacing=).")

            chain = GridChain(check_model(model), check_positive("dt", dt),
                              spacing=kwargs.get("spacing", 0.01))
            n_lags = check_int("n_lags", n_lags, low=1)
            return cls(chain.linear_response(n_lags),
                       chain.second_order_response(n_lags) if order == 2 else None,
                       mean=chain.mean_output, model=model)
        first = linear_response(model, dt=dt, n_lags=n_lags, method=method, discrete=discrete,
                                seed=s1, **_sizes(method, n_paths, n_chains), **kwargs)
        second = None
        if order == 2:
            second = second_order_response(model, dt=dt, n_lags=n_lags, method=second_method,
                                           discrete=discrete, seed=s2,
                                           **_sizes(second_method, n_paths, n_chains), **kwargs)
        if method == "grid":
            from ._grid import GridChain

            mean = GridChain(model, dt, spacing=kwargs.get("spacing", 0.01)).mean_output
        elif method == "analytic":
            mean = analytic_output_mean(model, dt if discrete else None)
        else:
            par = make_parallel(kwargs.get("n_jobs"), kwargs.get("executor"),
                                kwargs.get("device", "cpu"))
            mean, mean_se = from_model_mean(model, dt, n_lags, method, dict(
                kwargs, mean_paths=mean_paths, n_paths=n_paths, n_chains=n_chains), s3, par)
            return cls(first, second, mean=mean, model=model, mean_stderr=mean_se)
        return cls(first, second, mean=mean, model=model)

    # ---------------------------------------------------------------- evaluation
    def terms(self, inputs: Any, *, dt: float | None = None) -> np.ndarray:
        """Order-n contributions of ``inputs`` to :math:`E f(h_t)`, contracted with the kernels.

        Parameters
        ----------
        inputs : array_like, shape (n_steps, m), (n_steps,) or (n_series, n_steps, m)
            One input series or a batch; ``inputs[j]`` first changes ``h_{j+1}``. Its steps
            are the kernels' lags, ``self.dt`` apart.
        dt : float, optional
            The step of ``inputs``; given, it must be the series' own ``dt`` (an input
            sampled at another step would be read at the kernels' step without a word).

        Returns
        -------
        ndarray, shape (order, n_steps+1, p)
            ``[n - 1, t]``: the order-n term at step t (a batch has a leading n_series axis).

        Raises
        ------
        ValueError
            When a term overflows (``srnnkit._validation.NonFiniteResultError``; inputs of
            about 1e150 and beyond), instead of returning NaN or infinity.
        """
        if dt is not None:
            dt = check_positive("dt", dt)
            if not same_step(dt, self.dt):
                fail("dt", f"the series' own step {self.dt:g} (inputs are read at the "
                     "kernels' lags; resample them, or build the series at this dt)", dt)
        u, single = _as_inputs(inputs, self.first.n_inputs)
        N = u.shape[1]
        _warn_short_window(self.first, N, "n_lags")
        if self.second is not None:
            _warn_short_window(self.second, N, "the second-order kernel's n_lags")
        out = np.zeros((u.shape[0], self.order, N + 1, self.first.n_outputs))
        dt = self.dt
        L1 = self.first.n_lags
        nfft = 1 << int(np.ceil(np.log2(L1 + N)))
        with np.errstate(over="ignore", invalid="ignore"):   # overflow: the check below
            R1 = np.fft.rfft(self.first.values, nfft, axis=0)        # (F, p, m)
            for s in range(u.shape[0]):
                U = np.fft.rfft(u[s], nfft, axis=0)                   # (F, m)
                conv = np.fft.irfft(np.einsum("fpm,fm->fp", R1, U), nfft, axis=0)[:N]
                out[s, 0, 1:] = dt * conv
            if self.second is not None:
                out[:, 1, 1:] = dt * dt * _second_order_sums(self.second.values, u)
        check_finite_result("VolterraSeries.terms", out, _OVERFLOW_REMEDY)
        return out[0] if single else out

    def girsanov_terms(self, inputs: Any, *, model: Any = None, n_paths: int = 100_000,
                       seed: SeedLike = None, burn_in: int | None = None,
                       n_jobs: int | None = None, executor: Any = None) -> VolterraTerms:
        """Contracted terms of ``inputs`` by Girsanov weights, without kernels.

        :func:`volterra_terms` up to this series' order.  Compare with :meth:`terms`, which
        contracts the kernels.

        Parameters
        ----------
        inputs : array_like, shape (n_steps, m)
            One input series.
        model : SRNN, optional
            The network (default: the model the series was built from).
        n_paths, seed, burn_in, n_jobs, executor
            As in :func:`volterra_terms`.

        Returns
        -------
        VolterraTerms
            The terms of orders 1..order with their standard errors.
        """
        model = self.model if model is None else model
        if model is None:
            fail("model", "an SRNN (this series was not built by from_model)", model)
        return volterra_terms(model, inputs, dt=self.dt, order=self.order, n_paths=n_paths,
                              seed=seed, burn_in=burn_in, n_jobs=n_jobs, executor=executor)

    def predict(self, inputs: Any, *, dt: float | None = None) -> np.ndarray:
        """Predicted :math:`E f(h_t)`, t = 0..n_steps: the mean plus :meth:`terms`.

        Parameters
        ----------
        inputs : array_like, shape (n_steps, m), (n_steps,) or (n_series, n_steps, m)
            One input series or a batch, at the series' step ``self.dt``.
        dt : float, optional
            The step of ``inputs``, checked against ``self.dt`` (see :meth:`terms`).

        Returns
        -------
        ndarray, shape (n_steps+1, p)
            The prediction (a batch has a leading n_series axis).

        Raises
        ------
        ValueError
            When the prediction overflows (see :meth:`terms`), instead of returning NaN.
        """
        terms = self.terms(inputs, dt=dt)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.mean + terms.sum(axis=-3)
        return check_finite_result("VolterraSeries.predict", out, _OVERFLOW_REMEDY)

    def __repr__(self) -> str:
        return (f"VolterraSeries(order={self.order}, dt={self.dt:g}, "
                f"n_lags={self.first.n_lags}, method={self.first.method!r})")


#: what to do when a contraction overflows (finite kernels and inputs: the inputs are huge)
_OVERFLOW_REMEDY = ("The order-n term grows like |inputs|^n times the kernels' mass: rescale "
                    "the inputs (a Volterra series is an expansion in small inputs).")


#: the share of a kernel's mass beyond its lag window that :meth:`VolterraSeries.terms` lets
#: pass without a warning when an input is longer than the window
TAIL_SHARE = 1e-3


def _tail_share(kernel: ResponseFunction) -> float:
    """The estimated share of ``kernel``'s absolute mass beyond its lag window.

    The envelope of the kernel along its (first) lag, per output and input (an order-2
    kernel: the largest entry of the lag's row and column), is extended geometrically from
    its decay over the window's last quarter: ``|r(L-1)| rho / (1 - rho)`` against the
    window's sum, ``rho`` the per-lag decay.  An envelope that does not decay there gives
    ``inf``.  Of a sampled kernel only the entries beyond five standard errors count (one
    that has decayed into its noise gives 0; five, not two or three, because an order-2
    envelope is the largest of ``2 n_lags`` entries).

    Parameters
    ----------
    kernel : ResponseFunction
        An order-1 or order-2 kernel.

    Returns
    -------
    float
        The largest share over outputs and inputs.
    """
    a = np.abs(kernel.values)
    mass = a
    if kernel.stderr is not None:              # a sampled kernel: only its resolved entries
        a = np.where(a > 5.0 * np.abs(kernel.stderr), a, 0.0)
    if kernel.order == 2:                      # (L, L, p, m, m): rows and columns of a lag
        a = np.maximum(a.max(axis=1), a.max(axis=0))
        mass = np.maximum(mass.max(axis=1), mass.max(axis=0))
    L = a.shape[0]
    if L < 4:
        return float("inf") if np.any(a[-1] > 0) else 0.0
    q = max(1, L // 4)
    edge, before, mass = a[-1], a[-1 - q], mass.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(before > 0, (edge / before) ** (1.0 / q), 1.0)
        tail = np.where(rho < 1, edge * rho / (1 - rho), np.inf)
        share = np.where(edge > 0, tail / mass, 0.0)
    return float(share.max())


def _warn_short_window(kernel: ResponseFunction, N: int, what: str) -> None:
    """Warn when an input of ``N`` steps outlasts ``kernel``'s window and the kernel has not
    decayed within it (:data:`TAIL_SHARE`), so that the series drops memory it needs.

    Parameters
    ----------
    kernel : ResponseFunction
        The kernel.
    N : int
        The input's number of steps.
    what : str
        The name of the kernel's window in the warning.
    """
    L = kernel.n_lags
    if N <= L:
        return
    share = _tail_share(kernel)
    if share <= TAIL_SHARE:
        return
    from ..kernels._common import user_stacklevel

    size = ("it does not decay over the window's last quarter" if not np.isfinite(share)
            else f"its mass beyond the window is about {share:.2g} times that within it, "
            "extrapolated from its decay over the window's last quarter")
    warnings.warn(f"inputs has n_steps={N} > {what}={L} and the kernel has not "
                  f"decayed within its window ({size}): its values beyond the window are "
                  f"taken as zero, so the series misses input older than {L} steps. Build "
                  "the series with more lags (n_lags >= n_steps covers the whole input).",
                  UserWarning, stacklevel=user_stacklevel())


#: bytes of the complex spectra one block of second lags may hold in
#: :func:`_second_order_sums` (the kernel's and the input products')
_BLOCK_BYTES = 64 * 2 ** 20


def _second_order_sums(V: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The order-2 sums of :meth:`VolterraSeries.terms` without the ``dt**2``, by FFT.

    For each second lag ``g`` (``g = 0`` the halved diagonal) the products
    ``u[j] u[j - g]`` are convolved over the first lag with ``V[:, g]``.  The second lags go
    in blocks whose spectra stay within ``_BLOCK_BYTES``, so the memory does not grow like
    ``n_steps * n_lags * p * m**2`` (a 10**4-step input of 3 channels and 2 outputs with 100
    lags held 428 MB at once, one of 16 outputs and 400 lags about 8 GB).

    Parameters
    ----------
    V : ndarray, shape (L, L, p, m, m)
        The order-2 kernel's values.
    u : ndarray, shape (n_series, N, m)
        The inputs.

    Returns
    -------
    ndarray, shape (n_series, N, p)
        The sums at steps 1..N.
    """
    S, N, m = u.shape
    L2, p = V.shape[0], V.shape[2]
    G = min(L2, N)
    nfft = 1 << int(np.ceil(np.log2(L2 + N)))
    per_lag = (nfft // 2 + 1) * m * m * (2 * p + 3) * 16  # spectra, padded copies, one lag
    block = max(1, min(G, _BLOCK_BYTES // per_lag))
    acc = np.zeros((S, N, p))
    for g0 in range(0, G, block):
        g1 = min(G, g0 + block)
        RV = np.fft.rfft(V[:, g0:g1], nfft, axis=0)              # (F, B, p, m, m)
        for s in range(S):
            Z = np.zeros((N, g1 - g0, m, m))
            for g in range(g0, g1):
                Z[g:, g - g0] = u[s, g:, :, None] * u[s, :N - g, None, :]
            if g0 == 0:
                Z[:, 0] *= 0.5
            ZF = np.fft.rfft(Z, nfft, axis=0)                    # (F, B, m, m)
            acc[s] += np.fft.irfft(np.einsum("fgpab,fgab->fp", RV, ZF), nfft, axis=0)[:N]
    return acc


# ------------------------------------------------------------ Girsanov contracted terms
@dataclass
class VolterraTerms:
    r"""Contracted Volterra terms ``terms[n-1, t]`` of one input, with standard errors.

    Returned by :func:`volterra_terms`: ``terms[n - 1]`` is :math:`V_n(t)`, the order-n
    contribution of the input to :math:`E f(h_t) - \langle f\rangle_\infty`.

    Parameters
    ----------
    ts : ndarray, shape (n_steps+1,)
        The times ``dt * arange(n_steps + 1)``.
    terms : ndarray, shape (order, n_steps+1, p)
        The contracted terms.
    stderr : ndarray, shape (order, n_steps+1, p)
        Their Monte Carlo standard errors.
    n_paths : int
        The ensemble size.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    >>> res = sk.response.volterra_terms(model, np.ones((10, 1)), dt=0.02, n_paths=2000, seed=0)
    >>> res.ts.shape, res.terms.shape, res.stderr.shape, res.n_paths
    ((11,), (2, 11, 1), (2, 11, 1), 2000)
    """

    ts: np.ndarray
    terms: np.ndarray
    stderr: np.ndarray
    n_paths: int


@costed(volterra_terms_cost)
def volterra_terms(model: Any, inputs: Any, *, dt: float, order: int = 2,
                   n_paths: int = 100_000, seed: SeedLike = None,
                   burn_in: int | None = None, n_jobs: int | None = None, executor: Any = None,
                   device: str = "cpu") -> VolterraTerms:
    r"""Order-n Volterra terms of :math:`E f(h_t)` for one input, by Girsanov weights.

    For the EM chain (exact at any ``dt``), with :math:`G = \sigma^+ C`,
    :math:`M_t = \sum_{i<t}\sqrt\Delta\,(G u_i)\cdot\xi_i` and
    :math:`Q_t = \sum_{i<t}\Delta|G u_i|^2`, the likelihood ratio is
    :math:`Z = e^{M - Q/2} = \sum_n Q^{n/2} He_n(M/\sqrt Q)/n!`, so the n-th term is

    .. math:: V_n(t) = E_0\bigl[(f(h_t)-\bar f)\, Q_t^{n/2}\, He_n(M_t/\sqrt{Q_t})/n!\bigr]

    (n = 1: :math:`E[fM]`; n = 2: :math:`\tfrac12E[f(M^2-Q)]`).  These contract the kernels
    with the input inside the expectation, so they stay accurate where single second-order
    kernel entries are very noisy.  ``inputs`` carries its amplitude: the term of ``eps * w``
    is ``eps**n`` times that of ``w``.  Its variance grows like :math:`Q^n`.

    Parameters
    ----------
    model : SRNN
        The network.
    inputs : array_like, shape (n_steps, m)
        One input series, with its amplitude.
    dt : float
        Euler–Maruyama step.
    order : int, default=2
        Highest order (1 to 8).
    n_paths : int, default=100_000
        Ensemble size (at least 2).
    seed, burn_in, n_jobs, executor, device
        As in :func:`linear_response`.

    Returns
    -------
    VolterraTerms
        ``terms`` and ``stderr`` of shape (order, n_steps+1, p); ``ts`` (n_steps+1,).

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    >>> res = sk.response.volterra_terms(model, np.ones((10, 1)), dt=0.02, n_paths=2000, seed=0)
    >>> res.terms.shape
    (2, 11, 1)
    """
    model = check_model(model)
    dt = check_positive("dt", dt)
    order = check_int("order", order, low=1, high=8)
    n_paths = check_int("n_paths", n_paths, low=2)
    u, single = _as_inputs(inputs, model.n_inputs)
    if not single:
        fail("inputs", "a single series of shape (n_steps, m)", u)
    girsanov_matrix(model, "volterra_terms")
    warn_conditioning(model, "volterra_terms (Girsanov weights)",
                      "a VolterraSeries of method='perturbation' kernels")
    if order >= 2:
        refuse_kinked(model, f"volterra_terms with order={order}",
                      "the kernels of second_order_response(method='perturbation') in "
                      "VolterraSeries, or order=1")
    burn_in = check_burn_in(burn_in)
    par = make_parallel(n_jobs, executor, device)
    terms, se = hermite_terms(model, u[0], dt, order, n_paths, seed, burn_in, par)
    return VolterraTerms(ts=dt * np.arange(u.shape[1] + 1), terms=terms, stderr=se,
                         n_paths=n_paths)


# -------------------------------------------------------------------- convergence check
@dataclass
class VolterraConvergence:
    r"""Truncation errors of a Volterra series against the exact response, per amplitude.

    Returned by :func:`volterra_convergence`. The truncations are :math:`\varepsilon v_1` and
    :math:`\varepsilon v_1 + \varepsilon^2 v_2`.

    Parameters
    ----------
    amplitudes : ndarray, shape (k,)
        The amplitudes :math:`\varepsilon_i`.
    exact : ndarray, shape (k,)
        The exact response :math:`E f^{\varepsilon_i w}(h_T) - E f^0(h_T)`.
    exact_stderr : ndarray, shape (k,)
        Its standard errors (zero with the grid reference).
    v1, v2 : float
        The order-1 and order-2 terms of ``w`` at ``T``.
    v_stderr : ndarray, shape (2,)
        Their standard errors (zero for grid or series terms).
    error1, error2 : ndarray, shape (k,)
        The errors of the order-1 and order-2 truncations.
    error_stderr : ndarray, shape (k,)
        Their standard errors (zero with the grid reference and grid terms).
    slope1, slope2 : float
        The log-log slopes of ``|error|`` against ``eps`` (expected 2 and 3).
    reference : str
        The exact response's source, "grid" or "montecarlo".
    terms_method : str
        Where ``v1`` and ``v2`` came from: "grid", "girsanov" or "series (<its method>)".

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    >>> step = np.r_[np.ones(50), np.zeros(50)][:, None]
    >>> res = sk.response.volterra_convergence(model, step, dt=0.02)
    >>> res.reference, res.amplitudes.shape, res.error1.shape
    ('grid', (5,), (5,))
    >>> round(res.slope1), round(res.slope2)
    (2, 3)
    """

    amplitudes: np.ndarray
    exact: np.ndarray
    exact_stderr: np.ndarray
    v1: np.ndarray
    v2: np.ndarray
    v_stderr: np.ndarray
    error1: np.ndarray
    error2: np.ndarray
    error_stderr: np.ndarray
    slope1: float
    slope2: float
    reference: str
    terms_method: str


@costed(volterra_convergence_cost)
def volterra_convergence(model: Any, inputs: Any, *, dt: float,
                         amplitudes: Any = (0.4, 0.2, 0.1, 0.05, 0.025),
                         series: VolterraSeries | None = None, reference: str = "auto",
                         output: int = 0, n_paths: int = 100_000, seed: SeedLike = None,
                         burn_in: int | None = None, spacing: float = 0.01,
                         n_jobs: int | None = None, executor: Any = None, device: str = "cpu"
                         ) -> VolterraConvergence:
    r"""Check the Volterra series of ``model`` against the exact response at the final time.

    For each amplitude :math:`\varepsilon`, the exact change :math:`Y(\varepsilon) =
    E f^{\varepsilon w}(h_T) - E f^0(h_T)` is compared with the order-1 and order-2
    truncations :math:`\varepsilon V_1` and :math:`\varepsilon V_1 + \varepsilon^2 V_2`; the
    errors should scale like :math:`\varepsilon^2` and :math:`\varepsilon^3`.

    Parameters
    ----------
    model : SRNN
    inputs : array-like of shape (n_steps, m)
        The input shape ``w`` (amplitude 1); ``T = n_steps * dt``.
    dt : float
    amplitudes : sequence of float
    series : VolterraSeries, optional
        Supplies :math:`V_1, V_2` (its :meth:`~VolterraSeries.terms`).  By default the exact
        grid kernels for a one-dimensional SRNN, otherwise Girsanov contracted terms
        (:func:`volterra_terms`).
    reference : {"auto", "grid", "montecarlo"}, default="auto"
        The exact response: the grid transfer operator (1-D SRNNs; no noise) or a
        common-random-numbers ensemble of ``n_paths`` paths (perturbed and unperturbed runs
        share initial states and noise).  "auto" picks "grid" for 1-D SRNNs.
    output : int, default=0
        Which output to check.
    n_paths, seed, burn_in, n_jobs, executor, device
        Monte Carlo settings as in :func:`linear_response` (children 0 and 1 of ``seed`` feed
        the reference and the terms).
    spacing : float, default=0.01
        Grid spacing.

    Returns
    -------
    VolterraConvergence

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    >>> step = np.r_[np.ones(50), np.zeros(50)][:, None]      # w = 1 on [0, 1), T = 2
    >>> res = sk.response.volterra_convergence(model, step, dt=0.02)
    >>> bool(abs(res.slope1 - 2) < 0.15 and abs(res.slope2 - 3) < 0.2)
    True
    """
    model = check_model(model)
    dt = check_positive("dt", dt)
    u, single = _as_inputs(inputs, model.n_inputs)
    if not single:
        fail("inputs", "a single series of shape (n_steps, m)", u)
    w = u[0]
    eps = check_array("amplitudes", np.atleast_1d(amplitudes), ndim=1)
    if eps.size < 2 or np.any(eps <= 0) or np.unique(eps).size < 2:
        # the slopes are fitted in log(amplitude): two distinct positive ones at least
        fail("amplitudes", "at least two distinct positive amplitudes", eps)
    if not np.any(w):
        fail("inputs", "an input that is not zero everywhere (the series' errors vanish "
             "and their slopes mean nothing)", "all zeros")
    reference = check_choice("reference", reference, ("auto", "grid", "montecarlo"))
    burn_in = check_burn_in(burn_in)
    par = make_parallel(n_jobs, executor, device)
    _check_series(series, dt, model)
    output = check_int("output", output, low=0, high=model.n_outputs - 1)
    if reference == "auto":
        reference = "grid" if model.n_hidden == 1 else "montecarlo"
    s_ref, s_terms = child_sequences(seed, 2)
    chain = None
    if reference == "grid" or (series is None and model.n_hidden == 1):
        from ._grid import GridChain

        if model.n_hidden != 1:
            raise ValueError("reference='grid' needs a one-dimensional SRNN; use "
                             "reference='montecarlo'.")
        chain = GridChain(model, dt, spacing=spacing)
    if reference == "grid":
        exact, exact_se, level = _grid_reference(chain, w, eps, output)
    else:
        d, dse, base, _ = crn_input_response(model, w, dt, eps,
                                             check_int("n_paths", n_paths, low=2),
                                             s_ref, burn_in, par)
        exact, exact_se = d[:, -1, output], dse[:, -1, output]
        level = abs(float(base[-1, output]))
    v, v_se, how = _order_terms(model, w, dt, output, series, chain, n_paths, s_terms, burn_in,
                                n_jobs, executor)
    e1, e2, err_se, slope1, slope2 = _truncation_errors(eps, exact, exact_se, v, v_se)
    _warn_unresolved(e1, e2, err_se, _rounding_floor(eps, exact, v, level))
    return VolterraConvergence(amplitudes=eps, exact=exact, exact_stderr=exact_se, v1=v[0],
                               v2=v[1], v_stderr=v_se, error1=e1, error2=e2,
                               error_stderr=err_se, slope1=slope1,
                               slope2=slope2, reference=reference, terms_method=how)


def _grid_reference(chain: Any, w: np.ndarray, eps: np.ndarray, output: int
                    ) -> tuple[np.ndarray, np.ndarray, float]:
    """`volterra_convergence`'s exact changes :math:`Y(\\varepsilon)` on the grid, their
    standard errors (zero) and the output's level (for the rounding floor)."""
    try:
        # E f^0(h_T) from the same propagation, not <f>: the stationary vector is exact
        # only to ~1e-14, an offset that the errors of tiny amplitudes kept (slope 0.00)
        exact = np.array([chain.expectation(e * w)[-1, output] for e in eps]) \
            - chain.expectation(0.0 * w)[-1, output]
    except ValueError as err:      # the inputs push the law off the grid
        raise ValueError(f"{err} Here: use reference='montecarlo' or smaller "
                         "amplitudes.") from err
    return exact, np.zeros_like(exact), abs(float(chain.mean_output[output]))


def _check_series(series: Any, dt: float, model: Any = None) -> None:
    if series is not None:
        if not isinstance(series, VolterraSeries) or series.order < 2:
            fail("series", "an order-2 VolterraSeries", series, TypeError)
        if not same_step(series.dt, dt):
            fail("series", f"a VolterraSeries with dt = {dt}", f"dt = {series.dt}")
        if model is None:
            return
        shape = (series.first.n_outputs, series.first.n_inputs)
        if shape != (model.n_outputs, model.n_inputs):
            fail("series", f"a VolterraSeries of this model's (p, m) = "
                 f"({model.n_outputs}, {model.n_inputs})", f"(p, m) = {shape}")
        own = series.model
        if own is None:
            return
        if not all(np.array_equal(getattr(own, k), getattr(model, k))
                   for k in ("W", "C", "sigma", "gamma_matrix", "b")):
            fail("series", "a VolterraSeries of this model (built from it)",
                 "a series whose own model has other weights")
        for what in ("activation", "input_mode"):
            if getattr(own, what) != getattr(model, what):
                fail("series", "a VolterraSeries of this model (built from it)",
                     f"a series whose own model has {what}={getattr(own, what)!r}, not "
                     f"{getattr(model, what)!r}")
        if not _same_readout(own.readout, model.readout):
            fail("series", "a VolterraSeries of this model (built from it)",
                 "a series whose own model has another readout")


def _same_readout(a: Any, b: Any) -> bool:
    """Whether two readouts are the same map (a callable only as the same object)."""
    if a is b:
        return True
    kind = getattr(a, "kind", None)
    if kind != getattr(b, "kind", None) or kind == "callable":
        return False
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("Q", "q", "M")
               if hasattr(a, k))


def _order_terms(model: Any, w: np.ndarray, dt: float, output: int, series: Any, chain: Any,
                 n_paths: int, seed: Any, burn_in: int | None, n_jobs: Any, executor: Any
                 ) -> tuple[np.ndarray, np.ndarray, str]:
    """``(v, v_stderr, how)``: the order-1 and -2 terms of ``w`` at the final time, from the
    given series, the grid kernels (1-D) or Girsanov weights."""
    if series is not None:
        return series.terms(w)[:, -1, output], np.zeros(2), f"series ({series.first.method})"
    if chain is not None:
        N = w.shape[0]
        t = VolterraSeries(chain.linear_response(N), chain.second_order_response(N),
                           mean=chain.mean_output).terms(w)[:, -1, output]
        return t, np.zeros(2), "grid"
    res = volterra_terms(model, w, dt=dt, order=2, n_paths=n_paths, seed=seed,
                         burn_in=burn_in, n_jobs=n_jobs, executor=executor)
    return res.terms[:, -1, output], res.stderr[:, -1, output], "girsanov"


class UnresolvedSlopeWarning(UserWarning):
    """The truncation errors of :func:`volterra_convergence` are mostly within two standard
    errors of zero, so a slope fitted to them is noise (found by fuzzing: slopes of 1.1
    where theory says 2 and 3, every error within 0.2 standard errors, no word).

    Examples
    --------
    >>> import warnings
    >>> from srnnkit.response import UnresolvedSlopeWarning
    >>> warnings.simplefilter("error", UnresolvedSlopeWarning)   # make it an error
    """


def _rounding_floor(eps: np.ndarray, exact: np.ndarray, v: np.ndarray,
                    level: float) -> np.ndarray:
    """The size below which a truncation error is floating-point rounding, per amplitude:
    16 units in the last place of the output's level ``<f>`` plus 1e-12 of the response
    and its terms, the numbers the errors are differences of (found by fuzzing: an exact
    order-1 series of a linear SRNN left errors of 1e-15, 48 ulps of the response, that
    counted as resolved against a reference standard error of 1e-17, and slopes of 1.02 and
    1.02 came back without a word; the grid at amplitudes 1e-7 the same, slopes 0.34 and
    -0.19)."""
    ulp = np.finfo(float).eps
    size = np.abs(exact) + eps * abs(float(v[0])) + eps ** 2 * abs(float(v[1]))
    return 1e-12 * size + 16.0 * ulp * level


def _warn_unresolved(e1: np.ndarray, e2: np.ndarray, err_se: np.ndarray,
                     floor: np.ndarray | float = 0.0) -> None:
    """`UnresolvedSlopeWarning` for each order whose errors are resolved (beyond two standard
    errors, and beyond the rounding ``floor``) at fewer than two amplitudes."""
    from ..kernels._common import user_stacklevel

    for order, e, se in ((1, e1, err_se[0]), (2, e2, err_se[1])):
        resolved = int(np.sum((np.abs(e) > 2.0 * se) & (np.abs(e) > floor)))
        if resolved < 2:
            top = float(np.max(np.abs(e) / np.where(se > 0, se, np.inf)))
            low = np.abs(e) <= floor
            why = (f"; at {int(low.sum())} of them it is at rounding level, "
                   f"{np.max(np.abs(e[low])):.1e} at most: that truncation is exact to "
                   "rounding, as order 1 of a linear SRNN is, or the amplitudes are too small"
                   if low.any() else "")
            warnings.warn(
                f"volterra_convergence: the order-{order} truncation error is beyond two "
                f"standard errors at {resolved} of {e.size} amplitudes, so slope{order} is "
                f"fitted to noise (|error| / SE at most {top:.2g}{why}). "
                "Raise n_paths, or use larger amplitudes (the error grows like "
                f"amplitude^{order + 1}).", UnresolvedSlopeWarning,
                stacklevel=user_stacklevel())


def _truncation_errors(eps: np.ndarray, exact: np.ndarray, exact_se: np.ndarray,
                       v: np.ndarray, v_se: np.ndarray) -> tuple:
    """Errors of the order-1 and -2 truncations, their standard errors and log-log slopes."""
    e1 = exact - eps * v[0]
    e2 = e1 - eps ** 2 * v[1]
    err_se = np.sqrt(exact_se ** 2 + (eps * v_se[0]) ** 2)
    err_se2 = np.sqrt(err_se ** 2 + (eps ** 2 * v_se[1]) ** 2)
    with np.errstate(divide="ignore"):
        le = np.log(eps)
        slope1 = float(np.polyfit(le, np.log(np.abs(e1)), 1)[0])
        slope2 = float(np.polyfit(le, np.log(np.abs(e2)), 1)[0])
    return e1, e2, np.stack([err_se, err_se2]), slope1, slope2
