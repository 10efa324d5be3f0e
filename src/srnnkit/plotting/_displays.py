"""Display objects (scikit-learn style): ``Display.from_*(...).plot(ax=None)``.

Each ``from_*`` takes the library's own results as they are returned (a ``Trajectory``,
``ResponseFunction`` objects of order 1 or 2, ``VolterraSeries`` predictions of shape
``(n_steps + 1, p)``, a ``VolterraConvergence``, a Gram matrix) and checks them with named
errors; matplotlib is imported only inside ``plot``. New figures use matplotlib's
constrained layout, so saved PNGs are not clipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_array, fail, same_step
from ._common import AxesArg, as_curve, axes_or_new, pick_index, pick_pair

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..response import ResponseFunction, VolterraConvergence, VolterraSeries
    from ..simulate import Trajectory

__all__ = ["GramDisplay", "ResponseDisplay", "TrajectoryDisplay", "VolterraDisplay"]


class TrajectoryDisplay:
    """Ensemble mean of an SRNN output with a ±2 standard-error band.

    Parameters
    ----------
    ts : ndarray of shape (n_times,)
        Times.
    mean : ndarray of shape (n_times, p)
        Ensemble mean of the ``p`` outputs.
    stderr : ndarray of shape (n_times, p) or None
        Its standard error (no band when None).
    label : str, default="E f(h_t)"
        Legend label and y-axis label.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Set by `plot`.
    lines_ : list of matplotlib Line2D
        One line per drawn output, set by `plot`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np, srnnkit as sk
    >>> from srnnkit.plotting import TrajectoryDisplay
    >>> model = sk.SRNN.random(4, 1, seed=0)
    >>> traj = sk.simulate(model, np.ones((50, 1)), dt=0.05, n_paths=64, seed=0)
    >>> disp = TrajectoryDisplay.from_trajectory(traj).plot()
    >>> disp.mean.shape, disp.ax_.get_xlabel()
    ((51, 1), 't')
    >>> plt.close(disp.figure_)
    """

    def __init__(self, ts: np.ndarray, mean: np.ndarray, stderr: np.ndarray | None,
                 label: str = "E f(h_t)") -> None:
        self.ts, self.mean, self.stderr, self.label = ts, mean, stderr, label

    @classmethod
    def from_trajectory(cls, traj: Trajectory, label: str = "E f(h_t)", *,
                        series: int = 0) -> TrajectoryDisplay:
        """The display of ``sk.simulate``'s result.

        Parameters
        ----------
        traj : Trajectory
            The result of `srnnkit.simulate` (its ``mean`` and ``stderr``).
        label : str, default="E f(h_t)"
            Legend label and y-axis label.
        series : int, default=0
            Which series of a batch to draw (negative counts from the end).

        Returns
        -------
        display : TrajectoryDisplay
            The display, not yet drawn (call `plot`).
        """
        from ..simulate import Trajectory

        if not isinstance(traj, Trajectory):
            fail("traj", "an srnnkit.Trajectory (the result of sk.simulate)",
                 type(traj).__name__, TypeError)
        mean, se = traj.mean, traj.stderr
        if mean.ndim == 3:
            s = pick_index("series", series, mean.shape[0], "the batch")
            mean, se = mean[s], None if se is None else se[s]
        return cls(traj.ts, mean, se, label)

    def plot(self, ax: AxesArg = None, *, output: int | None = None) -> TrajectoryDisplay:
        """Draw the mean of each output with a ±2 standard-error band.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; None makes a new figure.
        output : int, optional
            Draw only this output column (default: all).

        Returns
        -------
        self : TrajectoryDisplay
            With ``figure_``, ``ax_`` and ``lines_`` set.
        """
        axs, self.figure_ = axes_or_new(ax)
        ax = self.ax_ = axs[0]
        self.lines_ = []
        p = self.mean.shape[1]
        cols = range(p) if output is None else [pick_index("output", output, p, "outputs")]
        for c in cols:
            (line,) = ax.plot(self.ts, self.mean[:, c], lw=1.2,
                              label=f"{self.label}[{c}]" if len(cols) > 1 else self.label)
            self.lines_.append(line)
            if self.stderr is not None:
                ax.fill_between(self.ts, self.mean[:, c] - 2 * self.stderr[:, c],
                                self.mean[:, c] + 2 * self.stderr[:, c],
                                color=line.get_color(), alpha=0.25, lw=0)
        ax.set_xlabel("t")
        ax.set_ylabel(self.label)
        ax.legend(fontsize=8)
        return self


def _responses(responses: object) -> list[tuple[str, ResponseFunction]]:
    from ..response import ResponseFunction

    if isinstance(responses, ResponseFunction):
        items = [(responses.method, responses)]
    elif isinstance(responses, dict):
        items = list(responses.items())
    elif isinstance(responses, (list, tuple)):
        items = [(getattr(r, "method", str(i)), r) for i, r in enumerate(responses)]
    else:
        fail("responses", "a ResponseFunction, a list of them or a dict label -> "
             "ResponseFunction", type(responses).__name__, TypeError)
    if not items:
        fail("responses", "at least one ResponseFunction", responses)
    for _label, r in items:
        if not isinstance(r, ResponseFunction):
            fail("responses", "ResponseFunction objects (the results of linear_response or "
                 "second_order_response)", type(r).__name__, TypeError)
    if len({r.order for _, r in items}) > 1:
        fail("responses", "kernels of one order (order-1 and order-2 kernels have different "
             "axes; plot them in two displays)", sorted({r.order for _, r in items}))
    return items


class ResponseDisplay:
    """Response kernels from several estimators, each with a ±2 standard-error band.

    ``curves`` maps a label to ``(lags, values, stderr_or_None)`` for one output/input pair.
    A curve without standard errors (a closed form) is drawn as a dashed black line.
    Order-2 kernels are drawn as the slice :math:`\\tau_1 \\mapsto R^{(2)}(\\tau_1, \\tau_2)`
    at a fixed :math:`\\tau_2` (see :class:`SecondOrderDisplay` for the whole map).

    Parameters
    ----------
    curves : dict of str -> (lags, values, stderr or None)
        One curve per label: arrays of shape (n_lags,).
    title : str, default=""
        Axes title (none when empty).
    xlabel : str, default="lag τ"
        Label of the lag axis.
    ylabel : str, default="R(τ)"
        Label of the value axis.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Set by `plot`.
    lines_ : list of matplotlib Line2D
        One line per curve, set by `plot`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import srnnkit as sk
    >>> from srnnkit.plotting import ResponseDisplay
    >>> ou = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
    ...              gamma=[1, .8], activation="identity", readout=[[1, .5]])
    >>> exact = sk.response.linear_response(ou, dt=0.02, n_lags=50, method="analytic")
    >>> kicks = sk.response.linear_response(ou, dt=0.02, n_lags=50, method="perturbation",
    ...                                     n_paths=256, seed=0)
    >>> disp = ResponseDisplay.from_responses({"closed form": exact, "kicks": kicks}).plot()
    >>> len(disp.lines_), disp.ax_.get_ylabel()
    (2, 'R(τ)')
    >>> plt.close(disp.figure_)

    A second-order kernel (here the closed form of a linear SRNN with a quadratic readout)
    is drawn along :math:`\\tau_1` at the lag index ``lag2`` of :math:`\\tau_2`:

    >>> quad = sk.SRNN(W=ou.W, C=ou.C, sigma=ou.sigma, gamma=[1, .8], activation="identity",
    ...                readout=sk.readouts.Quadratic([[1, .3], [.3, .5]]))
    >>> r2 = sk.response.second_order_response(quad, dt=0.05, n_lags=20)
    >>> disp = ResponseDisplay.from_responses(r2, lag2=4).plot()
    >>> disp.ax_.get_ylabel()
    'R2(τ1, τ2 = 0.2)'
    >>> plt.close(disp.figure_)
    """

    def __init__(self, curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]],
                 title: str = "", *, xlabel: str = "lag τ", ylabel: str = "R(τ)") -> None:
        self.curves, self.title = curves, title
        self.xlabel, self.ylabel = xlabel, ylabel

    @classmethod
    def from_responses(cls, responses: ResponseFunction | Sequence[ResponseFunction]
                       | Mapping[str, ResponseFunction], *, output: int = 0,
                       channel: int | tuple[int, int] = 0, lag2: int = 0,
                       title: str = "") -> ResponseDisplay:
        """From ``ResponseFunction`` objects: one, a list (labelled by method) or a dict.

        Parameters
        ----------
        responses : ResponseFunction, list or dict of label -> ResponseFunction
            All of order 1 or all of order 2.
        output : int, default=0
            Output index ``i``.
        channel : int or (int, int), default=0
            Input channel ``a`` (order 1); for order 2 the pair ``(a, b)`` (``a`` the channel
            of the most recent input) or one int for ``a = b``.
        lag2 : int, default=0
            Order 2: the lag index of :math:`\\tau_2` (:math:`\\tau_2 = \\text{lag2}\\,dt`).
        title : str, default=""
            Axes title (none when empty).

        Returns
        -------
        display : ResponseDisplay
            The display, not yet drawn (call `plot`).
        """
        items = _responses(responses)
        order = items[0][1].order
        curves = {}
        for label, r in items:
            i = pick_index("output", output, r.n_outputs, "outputs")
            if order == 1:
                a = pick_index("channel", channel, r.n_inputs, "input channels")
                sel: tuple = (slice(None), i, a)
            else:
                a, b = pick_pair("channel", channel, r.n_inputs)
                k2 = pick_index("lag2", lag2, r.n_lags, "lags")
                sel = (slice(None), k2, i, a, b)
            se = None if r.stderr is None else np.asarray(r.stderr)[sel]
            curves[str(label)] = (np.asarray(r.lags), np.asarray(r.values)[sel], se)
        if order == 1:
            return cls(curves, title)
        dt = items[0][1].dt
        return cls(curves, title, xlabel="lag τ1",
                   ylabel=f"R2(τ1, τ2 = {lag2 % items[0][1].n_lags * dt:g})")

    def plot(self, ax: AxesArg = None) -> ResponseDisplay:
        """Draw each curve with its ±2 standard-error band (a closed form dashed black).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; None makes a new figure.

        Returns
        -------
        self : ResponseDisplay
            With ``figure_``, ``ax_`` and ``lines_`` set.
        """
        axs, self.figure_ = axes_or_new(ax)
        ax = self.ax_ = axs[0]
        self.lines_ = []
        for label, (lags, vals, se) in self.curves.items():
            style = dict(lw=2.0, color="k", ls="--") if se is None else dict(lw=1.2)
            (line,) = ax.plot(lags, vals, label=label, **style)
            self.lines_.append(line)
            if se is not None:
                ax.fill_between(lags, vals - 2 * se, vals + 2 * se, color=line.get_color(),
                                alpha=0.25, lw=0)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        if self.title:
            ax.set_title(self.title, fontsize=10)
        ax.legend(fontsize=8)
        return self


class VolterraDisplay:
    """Volterra predictions against Monte Carlo, and truncation errors against amplitude.

    ``predictions`` maps a label (e.g. ``"order 1"``) to a predicted mean; ``errors``, when
    given, maps a label to truncation errors at ``amplitudes`` (drawn on log-log axes with
    the :math:`\\varepsilon^2` and :math:`\\varepsilon^3` guide lines of the theory).

    Parameters
    ----------
    ts : ndarray of shape (n_times,)
        Times.
    mc_mean : ndarray of shape (n_times,) or None
        Monte Carlo mean (not drawn when None).
    mc_stderr : ndarray of shape (n_times,) or None
        Its standard error (no band when None).
    predictions : dict of str -> ndarray of shape (n_times,)
        Predicted means by label.
    amplitudes : ndarray of shape (k,), optional
        Input amplitudes at which ``errors`` were measured.
    errors : dict of str -> ndarray of shape (k,), optional
        Truncation errors by label; a second panel when given.
    ylabel : str, default="E f(h_t)"
        What the curves are.
    error_stderr : dict of str -> ndarray of shape (k,), optional
        Standard errors of ``errors`` (±2 SE bars).

    Attributes
    ----------
    figure_ : matplotlib Figure
        Set by `plot`.
    ax_ : ndarray of matplotlib Axes
        One or two panels, set by `plot`.

    Examples
    --------
    The series of a one-dimensional tanh SRNN (exact grid kernels) against a simulation, as
    ``predict`` and ``simulate`` return them:

    >>> import matplotlib.pyplot as plt
    >>> import numpy as np, srnnkit as sk
    >>> from srnnkit.plotting import VolterraDisplay
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    >>> series = sk.response.VolterraSeries.from_model(model, order=2, dt=0.02, n_lags=60,
    ...                                                method="grid")
    >>> u = 0.3 * np.ones((60, 1))
    >>> traj = sk.simulate(model, u, dt=0.02, n_paths=500, seed=0)
    >>> series.predict(u).shape, traj.mean.shape
    ((61, 1), (61, 1))
    >>> disp = VolterraDisplay.from_series(series, u, traj).plot()
    >>> sorted(disp.predictions), disp.ax_[0].get_ylabel()
    (['order 1', 'order 1 + 2'], 'E f(h_t)')
    >>> plt.close(disp.figure_)

    The same from arrays, with truncation errors (a ``VolterraConvergence`` also works):

    >>> disp = VolterraDisplay.from_predictions(
    ...     traj.ts, traj.mean, traj.stderr, {"order 2": series.predict(u)},
    ...     amplitudes=[0.1, 0.2, 0.4], errors={"order 1": [1e-3, 4e-3, 1.6e-2]}).plot()
    >>> len(disp.ax_)
    2
    >>> plt.close(disp.figure_)
    """

    def __init__(self, ts: np.ndarray, mc_mean: np.ndarray | None, mc_stderr: np.ndarray | None,
                 predictions: dict[str, np.ndarray], amplitudes: np.ndarray | None = None,
                 errors: dict[str, np.ndarray] | None = None, *, ylabel: str = "E f(h_t)",
                 error_stderr: dict[str, np.ndarray] | None = None) -> None:
        self.ts, self.mc_mean, self.mc_stderr = ts, mc_mean, mc_stderr
        self.predictions, self.amplitudes, self.errors = predictions, amplitudes, errors
        self.ylabel, self.error_stderr = ylabel, error_stderr or {}

    @classmethod
    def from_predictions(cls, ts: ArrayLike, mc_mean: ArrayLike, mc_stderr: ArrayLike | None,
                         predictions: Mapping[str, ArrayLike],
                         amplitudes: ArrayLike | None = None,
                         errors: Mapping[str, ArrayLike] | VolterraConvergence | None = None,
                         *, output: int = 0, ylabel: str = "E f(h_t)") -> VolterraDisplay:
        """From arrays as the library returns them.

        Parameters
        ----------
        ts : array-like of shape (n_times,)
            Times (``traj.ts``).
        mc_mean, mc_stderr : array-like of shape (n_times,) or (n_times, p)
            The Monte Carlo mean and its standard error (``traj.mean``, ``traj.stderr``);
            ``mc_stderr`` may be None.
        predictions : dict of label -> array-like of shape (n_times,) or (n_times, p)
            E.g. ``{"order 2": series.predict(u)}``.
        amplitudes : array-like of shape (k,), optional
            Input amplitudes at which ``errors`` were measured (> 0).
        errors : dict of label -> array-like of shape (k,), or a VolterraConvergence
            Truncation errors at ``amplitudes`` (a ``VolterraConvergence`` brings both).
        output : int, default=0
            Which output column of 2-D arrays to draw.
        ylabel : str, default="E f(h_t)"
            What the curves are (e.g. ``"E f(h_t) - E f⁰(h_t)"`` for differences).

        Returns
        -------
        display : VolterraDisplay
            The display, not yet drawn (call `plot`).
        """
        ts = check_array("ts", ts, ndim=1, shape_text="(n_times,)")
        mean = as_curve("mc_mean", mc_mean, len(ts), output)
        se = None if mc_stderr is None else as_curve("mc_stderr", mc_stderr, len(ts), output)
        if not isinstance(predictions, dict):
            fail("predictions", "a dict of label -> predicted mean", type(predictions).__name__,
                 TypeError)
        preds = {str(k): as_curve(f"predictions[{k!r}]", v, len(ts), output)
                 for k, v in predictions.items()}
        amps, errs, err_se = _errors(amplitudes, errors)
        return cls(ts, mean, se, preds, amps, errs, ylabel=ylabel, error_stderr=err_se)

    @classmethod
    def from_series(cls, series: VolterraSeries, inputs: ArrayLike,
                    trajectory: Trajectory | None = None, *,
                    convergence: VolterraConvergence | None = None,
                    output: int = 0) -> VolterraDisplay:
        """From a ``VolterraSeries``, the input, and a ``Trajectory`` of the same input.

        The predictions are the series truncated at each order (``"order 1"``,
        ``"order 1 + 2"``).

        Parameters
        ----------
        series : VolterraSeries
            The series (``sk.response.VolterraSeries.from_model(...)``).
        inputs : array-like of shape (n_steps, m)
            One input series.
        trajectory : Trajectory, optional
            ``sk.simulate(model, inputs, ...)``: the Monte Carlo mean and its standard error.
        convergence : VolterraConvergence, optional
            ``sk.response.volterra_convergence(...)``: truncation errors for a second panel.
        output : int, default=0
            Which output to draw.

        Returns
        -------
        display : VolterraDisplay
            The display, not yet drawn (call `plot`).
        """
        from ..response import VolterraSeries
        from ..simulate import Trajectory

        if not isinstance(series, VolterraSeries):
            fail("series", "a VolterraSeries", type(series).__name__, TypeError)
        terms = series.terms(inputs)
        if terms.ndim != 3:
            fail("inputs", "one input series of shape (n_steps, m) (not a batch)",
                 np.shape(inputs))
        cum = series.mean + np.cumsum(terms, axis=0)              # (order, n+1, p)
        names = ["order 1", "order 1 + 2"][:terms.shape[0]]
        ts = series.dt * np.arange(terms.shape[1])
        preds = {name: as_curve("series", c, len(ts), output) for name, c in zip(names, cum,
                                                                                 strict=True)}
        mean = se = None
        if trajectory is not None:
            if not isinstance(trajectory, Trajectory):
                fail("trajectory", "an srnnkit.Trajectory (sk.simulate of the same inputs)",
                     type(trajectory).__name__, TypeError)
            if trajectory.mean.ndim != 2 or trajectory.mean.shape[0] != len(ts):
                fail("trajectory", f"a simulation of the same input ({len(ts)} times)",
                     f"mean of shape {trajectory.mean.shape}")
            if not same_step(trajectory.dt, series.dt):
                fail("trajectory", f"a simulation at the series' step dt = {series.dt:g}",
                     f"one at dt = {trajectory.dt:g}")
            mean = as_curve("trajectory", trajectory.mean, len(ts), output)
            se = None if trajectory.stderr is None else as_curve(
                "trajectory", trajectory.stderr, len(ts), output)
        amps, errs, err_se = _errors(None, convergence) if convergence is not None \
            else (None, None, None)
        return cls(ts, mean, se, preds, amps, errs, error_stderr=err_se)

    def plot(self, ax: AxesArg = None) -> VolterraDisplay:
        """Draw the predictions against Monte Carlo, and the errors in a second panel.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of 2 Axes, optional
            Where to draw (two Axes when there are errors); None makes a new figure.

        Returns
        -------
        self : VolterraDisplay
            With ``figure_`` and ``ax_`` set.
        """
        n = 2 if self.errors else 1
        axs, self.figure_ = axes_or_new(ax, n)
        self.ax_ = axs
        a = axs[0]
        if self.mc_mean is not None:
            a.plot(self.ts, self.mc_mean, color="k", lw=1.5, label="Monte Carlo")
            if self.mc_stderr is not None:
                a.fill_between(self.ts, self.mc_mean - 2 * self.mc_stderr,
                               self.mc_mean + 2 * self.mc_stderr, color="k", alpha=0.2, lw=0,
                               label="±2 SE")
        for label, pred in self.predictions.items():
            a.plot(self.ts, pred, lw=1.2, ls="--", label=label)
        a.set_xlabel("t")
        a.set_ylabel(self.ylabel)
        a.legend(fontsize=8)
        if self.errors and len(axs) > 1:
            _plot_errors(axs[1], self.amplitudes, self.errors, self.error_stderr)
        return self


_Errors = tuple[np.ndarray | None, dict[str, np.ndarray] | None, dict[str, np.ndarray] | None]


def _errors(amplitudes: ArrayLike | None, errors: object) -> _Errors:
    """(amplitudes, {label: |error|}, {label: stderr}) from a dict or a VolterraConvergence."""
    from ..response import VolterraConvergence

    if errors is None:
        return None, None, None
    if isinstance(errors, VolterraConvergence):
        se = np.asarray(errors.error_stderr, dtype=float)
        return (np.asarray(errors.amplitudes, dtype=float),
                {"order 1": np.abs(errors.error1), "order 2": np.abs(errors.error2)},
                {"order 1": se, "order 2": se} if np.any(se > 0) else {})
    if not isinstance(errors, dict):
        fail("errors", "a dict of label -> errors at amplitudes, or a VolterraConvergence",
             type(errors).__name__, TypeError)
    if amplitudes is None:
        fail("amplitudes", "the amplitudes at which the errors were measured (with errors=)",
             None)
    amps = check_array("amplitudes", amplitudes, ndim=1, shape_text="(k,)")
    if np.any(amps <= 0):
        fail("amplitudes", "positive amplitudes (drawn on a log axis)", amps)
    errs = {}
    for k, v in errors.items():
        e = check_array(f"errors[{k!r}]", v, ndim=1, shape_text=f"({len(amps)},)")
        if e.shape != amps.shape:
            fail(f"errors[{k!r}]", f"one error per entry of amplitudes ({len(amps)} values)", e)
        errs[str(k)] = np.abs(e)
    return amps, errs, {}


def _plot_errors(b: Axes, amps: np.ndarray, errors: dict, stderr: dict) -> None:
    """Truncation errors on log-log axes with the slopes 2 and 3 of the theory as guides."""
    from matplotlib.ticker import NullFormatter

    order = np.argsort(amps)
    x = amps[order]
    for label, err in errors.items():
        se = stderr.get(label)
        b.loglog(x, err[order], "o-", label=label)
        if se is not None:
            b.errorbar(x, err[order], yerr=2 * se[order], fmt="none", ecolor="0.5")
    # guides: slope 2 under the first curve, slope 3 under the second (a third of their value
    # at the largest amplitude, so that they do not hide the data)
    curves = list(errors.values())
    for power, ls, err in ((2, ":", curves[0]), (3, "-.", curves[min(1, len(curves) - 1)])):
        top = err[order][-1]
        if top > 0:
            b.loglog(x, top / 3 * (x / x[-1]) ** power, color="0.35", ls=ls, lw=1.0,
                     label=f"slope {power} (ε{'²' if power == 2 else '³'})")
    b.set_xticks(x, [f"{a:g}" for a in x])
    b.xaxis.set_minor_formatter(NullFormatter())
    b.set_xlabel("amplitude ε")
    b.set_ylabel("max truncation error")
    b.legend(fontsize=7)


class GramDisplay:
    """A Gram matrix as an image (``log10 |K|`` by default).

    Takes what the kernels return: ``K(X)`` of shape (n, n) or a cross-Gram ``K(X, Y)`` of
    shape (n, n_Y).

    Parameters
    ----------
    gram : array-like of shape (n, n) or (n, n_Y)
        The Gram matrix.
    title : str, default="Gram matrix"
        Axes title.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Set by `plot`.
    image_ : matplotlib AxesImage
        The image, set by `plot`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from srnnkit.plotting import GramDisplay
    >>> disp = GramDisplay.from_gram(np.exp(-np.subtract.outer(np.arange(5), np.arange(5))**2))
    >>> disp = disp.plot()
    >>> disp.image_.get_array().shape
    (5, 5)
    >>> plt.close(disp.figure_)
    """

    def __init__(self, gram: ArrayLike, title: str = "Gram matrix") -> None:
        self.gram = check_array("gram", gram, ndim=2, shape_text="(n, n) or (n, n_Y)",
                                finite=False)
        self.title = title

    @classmethod
    def from_gram(cls, gram: ArrayLike, title: str = "Gram matrix") -> GramDisplay:
        """The display of a Gram matrix as the kernels return it.

        Parameters
        ----------
        gram : array-like of shape (n, n) or (n, n_Y)
            The Gram matrix.
        title : str, default="Gram matrix"
            Axes title.

        Returns
        -------
        display : GramDisplay
            The display, not yet drawn (call `plot`).
        """
        return cls(gram, title)

    def plot(self, ax: AxesArg = None, *, log: bool = True) -> GramDisplay:
        """Draw the matrix as an image with a colour bar.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; None makes a new figure.
        log : bool, default=True
            Draw ``log10 |K|`` (True) or ``K`` itself.

        Returns
        -------
        self : GramDisplay
            With ``figure_``, ``ax_`` and ``image_`` set.
        """
        axs, self.figure_ = axes_or_new(ax, width=5.0, height=4.0)
        ax = self.ax_ = axs[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            data = np.ma.masked_invalid(np.log10(np.abs(self.gram)) if log else self.gram)
        self.image_ = ax.imshow(data, cmap="viridis")
        self.figure_.colorbar(self.image_, ax=ax, label="log10 |K|" if log else "K")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("series j")
        ax.set_ylabel("series i")
        ax.set_title(self.title, fontsize=10)
        return self
