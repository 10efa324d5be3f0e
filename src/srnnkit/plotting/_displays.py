"""Display objects (scikit-learn style): ``Display.from_*(...).plot(ax=None)``.

matplotlib is imported only inside ``plot``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_array, fail

__all__ = ["GramDisplay", "ResponseDisplay", "TrajectoryDisplay", "VolterraDisplay"]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=(6.4, 3.6))
    return ax, ax.figure


class TrajectoryDisplay:
    """Ensemble mean of an SRNN output with a ±2 standard-error band.

    Examples
    --------
    >>> import numpy as np, srnnkit as sk
    >>> from srnnkit.plotting import TrajectoryDisplay
    >>> model = sk.SRNN.random(4, 1, seed=0)
    >>> traj = sk.simulate(model, np.ones((50, 1)), dt=0.05, n_paths=64, seed=0)
    >>> disp = TrajectoryDisplay.from_trajectory(traj)
    >>> disp.mean.shape
    (51, 1)
    """

    def __init__(self, ts: np.ndarray, mean: np.ndarray, stderr: np.ndarray | None,
                 label: str = "E f(h_t)") -> None:
        self.ts, self.mean, self.stderr, self.label = ts, mean, stderr, label

    @classmethod
    def from_trajectory(cls, traj: Any, label: str = "E f(h_t)") -> TrajectoryDisplay:
        from ..simulate import Trajectory

        if not isinstance(traj, Trajectory):
            fail("traj", "an srnnkit.Trajectory (the result of sk.simulate)",
                 type(traj).__name__, TypeError)
        mean = traj.mean if traj.mean.ndim == 2 else traj.mean[0]
        se = None if traj.stderr is None else (traj.stderr if traj.stderr.ndim == 2
                                               else traj.stderr[0])
        return cls(traj.ts, mean, se, label)

    def plot(self, ax=None, *, output: int | None = None) -> TrajectoryDisplay:
        ax, self.figure_ = _axes(ax)
        self.ax_ = ax
        self.lines_ = []
        cols = range(self.mean.shape[1]) if output is None else [output]
        for c in cols:
            (line,) = ax.plot(self.ts, self.mean[:, c], lw=1.2,
                              label=f"{self.label}[{c}]" if len(cols) > 1 else self.label)
            self.lines_.append(line)
            if self.stderr is not None:
                ax.fill_between(self.ts, self.mean[:, c] - 2 * self.stderr[:, c],
                                self.mean[:, c] + 2 * self.stderr[:, c],
                                color=line.get_color(), alpha=0.25, lw=0)
        ax.set_xlabel("t")
        ax.legend(fontsize=8)
        return self


class ResponseDisplay:
    """Response kernels R(τ) from several estimators, each with a ±2 SE band.

    ``curves`` maps a label to ``(lags, values, stderr_or_None)`` for one output/input pair.
    A curve without standard errors (a closed form) is drawn as a dashed black line.

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
    >>> len(disp.lines_)
    2
    >>> plt.close(disp.figure_)
    """

    def __init__(self, curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]],
                 title: str = "") -> None:
        self.curves, self.title = curves, title

    @classmethod
    def from_responses(cls, responses: dict[str, Any] | list[Any], *, output: int = 0,
                       channel: int = 0, title: str = "") -> ResponseDisplay:
        """From ``ResponseFunction`` objects (attributes lags, values, stderr, method)."""
        items = responses.items() if isinstance(responses, dict) else \
            [(r.method, r) for r in responses]
        curves = {}
        for label, r in items:
            se = None if r.stderr is None else np.asarray(r.stderr)[:, output, channel]
            curves[label] = (np.asarray(r.lags), np.asarray(r.values)[:, output, channel], se)
        return cls(curves, title)

    def plot(self, ax=None) -> ResponseDisplay:
        ax, self.figure_ = _axes(ax)
        self.ax_ = ax
        self.lines_ = []
        for label, (lags, vals, se) in self.curves.items():
            style = dict(lw=2.0, color="k", ls="--") if se is None else dict(lw=1.2)
            (line,) = ax.plot(lags, vals, label=label, **style)
            self.lines_.append(line)
            if se is not None:
                ax.fill_between(lags, vals - 2 * se, vals + 2 * se, color=line.get_color(),
                                alpha=0.25, lw=0)
        ax.set_xlabel("lag τ")
        ax.set_ylabel("R(τ)")
        if self.title:
            ax.set_title(self.title, fontsize=10)
        ax.legend(fontsize=8)
        return self


class VolterraDisplay:
    """Volterra predictions against Monte Carlo, and truncation errors against amplitude.

    ``predictions`` maps a label (e.g. ``"order 1"``) to a predicted mean; ``errors``, when
    given, maps a label to truncation errors at ``amplitudes`` (drawn on log-log axes).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from srnnkit.plotting import VolterraDisplay
    >>> ts = np.linspace(0, 1, 11)
    >>> disp = VolterraDisplay.from_predictions(
    ...     ts, np.sin(ts), 0.01 * np.ones(11), {"order 1": 0.9 * ts, "order 2": np.sin(ts)},
    ...     amplitudes=[0.1, 0.2, 0.4], errors={"order 1": [1e-3, 4e-3, 1.6e-2]}).plot()
    >>> len(disp.ax_)
    2
    >>> plt.close(disp.figure_)
    """

    def __init__(self, ts: np.ndarray, mc_mean: np.ndarray, mc_stderr: np.ndarray | None,
                 predictions: dict[str, np.ndarray], amplitudes: np.ndarray | None = None,
                 errors: dict[str, np.ndarray] | None = None) -> None:
        self.ts, self.mc_mean, self.mc_stderr = ts, mc_mean, mc_stderr
        self.predictions, self.amplitudes, self.errors = predictions, amplitudes, errors

    @classmethod
    def from_predictions(cls, ts, mc_mean, mc_stderr, predictions, amplitudes=None,
                         errors=None) -> VolterraDisplay:
        return cls(np.asarray(ts), np.asarray(mc_mean), mc_stderr, dict(predictions),
                   None if amplitudes is None else np.asarray(amplitudes), errors)

    def plot(self, ax=None) -> VolterraDisplay:
        import matplotlib.pyplot as plt

        if ax is None:
            n = 2 if self.errors else 1
            _fig, axs = plt.subplots(1, n, figsize=(6.4 * n, 3.6))
            axs = np.atleast_1d(axs)
        else:
            axs = np.atleast_1d(ax)
        self.ax_ = axs
        self.figure_ = axs[0].figure
        a = axs[0]
        a.plot(self.ts, self.mc_mean, color="k", lw=1.5, label="Monte Carlo")
        if self.mc_stderr is not None:
            a.fill_between(self.ts, self.mc_mean - 2 * self.mc_stderr,
                           self.mc_mean + 2 * self.mc_stderr, color="k", alpha=0.2, lw=0)
        for label, pred in self.predictions.items():
            a.plot(self.ts, pred, lw=1.2, ls="--", label=label)
        a.set_xlabel("t")
        a.set_ylabel("E f(h_t) - <f>")
        a.legend(fontsize=8)
        if self.errors and len(axs) > 1:
            b = axs[1]
            for label, err in self.errors.items():
                b.loglog(self.amplitudes, err, "o-", label=label)
            b.set_xlabel("amplitude ε")
            b.set_ylabel("max truncation error")
            b.legend(fontsize=8)
        return self


class GramDisplay:
    """A Gram matrix as an image (``log10 |K|`` by default).

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

    def __init__(self, gram: np.ndarray, title: str = "Gram matrix") -> None:
        gram = check_array("gram", gram, ndim=2, shape_text="(n, n)", finite=False)
        if gram.shape[0] != gram.shape[1]:
            fail("gram", "a square array of shape (n, n)", gram)
        self.gram, self.title = gram, title

    @classmethod
    def from_gram(cls, gram, title: str = "Gram matrix") -> GramDisplay:
        return cls(gram, title)

    def plot(self, ax=None, *, log: bool = True) -> GramDisplay:
        ax, self.figure_ = _axes(ax)
        self.ax_ = ax
        data = np.log10(np.abs(self.gram) + 1e-300) if log else self.gram
        self.image_ = ax.imshow(data, cmap="viridis")
        self.figure_.colorbar(self.image_, ax=ax, label="log10 K" if log else "K")
        ax.set_title(self.title, fontsize=10)
        return self
