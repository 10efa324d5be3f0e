"""The second-order kernel as a map over (τ1, τ2), with its signal-to-noise ratio."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_array, check_positive, fail
from ._common import AxesArg, axes_or_new, pick_index, pick_pair

if TYPE_CHECKING:
    from ..response import ResponseFunction

__all__ = ["SecondOrderDisplay"]


class SecondOrderDisplay:
    r"""Heat map of :math:`R^{(2)}_{i;ab}(\tau_1, \tau_2)` and, for an estimate, of its
    signal-to-noise ratio :math:`|R^{(2)}|/\mathrm{SE}`.

    The first panel shows the kernel on its lag grid (:math:`\tau_1 = t - s_1` up,
    :math:`\tau_2 = s_1 - s_2` across, a diverging colour map centred on 0). When the kernel
    has standard errors (a Monte Carlo estimate), a second panel shows
    :math:`|R^{(2)}| / \mathrm{SE}` and both panels outline the region where it exceeds
    ``threshold`` (3 by default): entries outside are not distinguishable from zero. The
    largest ratio is ``max_snr_``; ``resolved_`` says whether it reaches ``threshold``.

    Parameters
    ----------
    lags : array-like of shape (n_lags,)
        The lag grid (equally spaced).
    values : array-like of shape (n_lags, n_lags)
        ``values[k1, k2]`` = :math:`R^{(2)}(\text{lags}[k_1], \text{lags}[k_2])`.
    stderr : array-like of shape (n_lags, n_lags), optional
        Standard errors of ``values`` (None for an exact kernel: one panel).
    title : str, default=""
        Title of the first panel (a default one when empty).

    Attributes
    ----------
    figure_ : matplotlib Figure
        Set by `plot`.
    ax_ : ndarray of matplotlib Axes
        One or two panels, set by `plot`.
    image_ : matplotlib AxesImage
        The kernel's image, set by `plot`.
    max_snr_ : float or None
        Largest ``|R2|/SE`` (None for an exact kernel), set by `plot`.
    resolved_ : bool or None
        Whether ``max_snr_`` reaches the threshold, set by `plot`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import srnnkit as sk
    >>> from srnnkit.plotting import SecondOrderDisplay
    >>> model = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])   # 1-D tanh SRNN
    >>> exact = sk.response.second_order_response(model, dt=0.05, n_lags=30, method="grid")
    >>> disp = SecondOrderDisplay.from_response(exact).plot()
    >>> len(disp.ax_), disp.max_snr_                    # exact: one panel, no noise
    (1, None)
    >>> plt.close(disp.figure_)
    >>> est = sk.response.second_order_response(model, dt=0.05, n_lags=10, method="girsanov",
    ...                                         n_paths=4, n_steps=4000, seed=0)
    >>> disp = SecondOrderDisplay.from_response(est).plot()
    >>> len(disp.ax_), disp.max_snr_ > 0
    (2, True)
    >>> plt.close(disp.figure_)
    """

    def __init__(self, lags: ArrayLike, values: ArrayLike, stderr: ArrayLike | None = None, *,
                 title: str = "") -> None:
        self.lags = check_array("lags", lags, ndim=1, shape_text="(n_lags,)")
        L = len(self.lags)
        self.values = check_array("values", values, shape=(L, L),
                                  shape_text=f"({L}, {L})", finite=False)
        self.stderr = None if stderr is None else check_array(
            "stderr", stderr, shape=(L, L), shape_text=f"({L}, {L})", finite=False)
        self.title = title

    @classmethod
    def from_response(cls, response: ResponseFunction, *, output: int = 0,
                      channels: int | tuple[int, int] = (0, 0),
                      title: str | None = None) -> SecondOrderDisplay:
        """From an order-2 ``ResponseFunction`` (``second_order_response``'s result).

        Parameters
        ----------
        response : ResponseFunction
            An order-2 kernel.
        output : int, default=0
            Output index ``i``.
        channels : int or (int, int), default=(0, 0)
            The pair ``(a, b)`` of input channels (``a`` that of the most recent input), or
            one int for ``a = b``.
        title : str, optional
            Title of the first panel (default: output, channels and estimator).

        Returns
        -------
        display : SecondOrderDisplay
            The display, not yet drawn (call `plot`).
        """
        from ..response import ResponseFunction

        if not isinstance(response, ResponseFunction):
            fail("response", "an order-2 ResponseFunction (the result of "
                 "second_order_response)", type(response).__name__, TypeError)
        if response.order != 2:
            fail("response", "an order-2 ResponseFunction (use ResponseDisplay for order 1)",
                 f"an order-{response.order} ResponseFunction")
        i = pick_index("output", output, response.n_outputs, "outputs")
        a, b = pick_pair("channels", channels, response.n_inputs)
        sel = (slice(None), slice(None), i, a, b)
        se = None if response.stderr is None else response.stderr[sel]
        if title is None:
            title = f"R2(τ1, τ2), output {i}, channels ({a}, {b}), {response.method}"
        return cls(response.lags, response.values[sel], se, title=title)

    @property
    def snr(self) -> np.ndarray | None:
        """``abs(values) / stderr`` (NaN where the standard error is 0), or None when exact."""
        if self.stderr is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.stderr > 0, np.abs(self.values) / self.stderr, np.nan)

    def plot(self, ax: AxesArg = None, *, threshold: float = 3.0) -> SecondOrderDisplay:
        """Draw the kernel map and, for an estimate, its signal-to-noise map.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of 2 Axes, optional
            Where to draw (two Axes for an estimate); None makes a new figure.
        threshold : float, default=3.0
            Signal-to-noise ratio above which an entry counts as resolved (> 0).

        Returns
        -------
        self : SecondOrderDisplay
            With ``figure_``, ``ax_``, ``image_``, ``max_snr_`` and ``resolved_`` set.
        """
        threshold = check_positive("threshold", threshold)
        snr = self.snr
        axs, self.figure_ = axes_or_new(ax, 1 if snr is None else 2, width=4.6, height=3.8)
        self.ax_ = axs
        lags = self.lags
        half = 0.5 * (lags[1] - lags[0]) if len(lags) > 1 else 0.5
        extent = (lags[0] - half, lags[-1] + half, lags[0] - half, lags[-1] + half)
        vmax = float(np.nanmax(np.abs(self.values))) or 1.0
        a = axs[0]
        self.image_ = a.imshow(self.values, origin="lower", cmap="RdBu_r", vmin=-vmax,
                               vmax=vmax, extent=extent, aspect="auto")
        self.figure_.colorbar(self.image_, ax=a, label="R2")
        a.set_xlabel("τ2 = s1 - s2")
        a.set_ylabel("τ1 = t - s1")
        a.set_title(self.title or "R2(τ1, τ2)", fontsize=9)
        self.max_snr_ = self.resolved_ = None
        if snr is not None:
            finite = np.isfinite(snr)
            self.max_snr_ = float(snr[finite].max()) if finite.any() else 0.0
            self.resolved_ = self.max_snr_ >= threshold
            b = axs[1]
            im = b.imshow(np.ma.masked_invalid(snr), origin="lower", cmap="magma",
                          extent=extent, aspect="auto", vmin=0)
            self.figure_.colorbar(im, ax=b, label="|R2| / SE")
            verdict = "resolved" if self.resolved_ else "NOT resolved"
            b.set_title(f"|R2|/SE: max {self.max_snr_:.2g} ({verdict} at {threshold:g})",
                        fontsize=9)
            b.set_xlabel("τ2 = s1 - s2")
            b.set_ylabel("τ1 = t - s1")
            if self.resolved_ and len(lags) > 1:
                for axis in axs:
                    axis.contour(lags, lags, np.nan_to_num(snr), levels=[threshold],
                                 colors="k", linewidths=0.8)
        return self
