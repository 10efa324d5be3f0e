"""Figures of a :class:`NetworkAnalysis` (matplotlib, imported when called)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_analysis"]

#: channel panels drawn at most (the channels with the largest kernels)
MAX_CHANNELS = 8
#: outputs drawn per channel panel at most (the largest)
MAX_OUTPUTS = 10


def plot_analysis(res: Any) -> dict[str, Any]:
    """The figures of an analysis, by name.

    Parameters
    ----------
    res : NetworkAnalysis
        The result of :func:`analyze_network`.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        ``kernels``, ``agreement``, ``second_order``, ``volterra``, ``memory`` and
        ``robustness``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import srnnkit as sk
    >>> from srnnkit.analysis import analyze_network, plot_analysis
    >>> model = sk.SRNN.random(4, 1, n_outputs=2, noise=0.5, seed=0, input_mode="activation")
    >>> figs = plot_analysis(analyze_network(model, dt=0.1, budget=0.001, seed=0))
    >>> sorted(figs)
    ['agreement', 'kernels', 'memory', 'robustness', 'second_order', 'volterra']
    >>> for fig in figs.values():
    ...     plt.close(fig)
    """
    return {"kernels": kernels_figure(res), "agreement": agreement_figure(res),
            "second_order": second_order_figure(res), "volterra": volterra_figure(res),
            "memory": memory_figure(res), "robustness": robustness_figure(res)}


def _top(weights: np.ndarray, k: int) -> np.ndarray:
    return np.sort(np.argsort(-weights, kind="stable")[:k])


def kernels_figure(res: Any) -> Any:
    """First-order kernels per input channel: each output's perturbation estimate with a
    ±2 SE band, Girsanov's as a thin dashed line."""
    import matplotlib.pyplot as plt

    pert, gir = res.first["perturbation"], res.first.get("girsanov")
    energy = (pert.values ** 2).sum(axis=(0, 1))
    chans = _top(energy, MAX_CHANNELS)
    outs = _top((pert.values ** 2).sum(axis=(0, 2)), MAX_OUTPUTS)
    cols = min(4, len(chans))
    rows = -(-len(chans) // cols)
    fig, axs = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False,
                            layout="constrained", sharex=True)
    for ax, a in zip(axs.flat, chans, strict=False):
        for c, i in enumerate(outs):
            color = f"C{c % 10}"
            v, se = pert.values[:, i, a], pert.stderr[:, i, a]
            ax.plot(pert.lags, v, color=color, lw=1.1, label=f"output {i}")
            ax.fill_between(pert.lags, v - 2 * se, v + 2 * se, color=color, alpha=0.2, lw=0)
            if gir is not None:
                ax.plot(gir.lags, gir.values[:, i, a], color=color, lw=0.6, ls="--")
        ax.axhline(0, color="0.6", lw=0.5)
        ax.set_title(f"input channel {a}", fontsize=9)
    for ax in axs.flat[len(chans):]:
        ax.set_visible(False)
    for ax in axs[-1]:
        ax.set_xlabel("lag τ")
    axs[0, 0].set_ylabel("r1(τ)")
    axs[0, 0].legend(fontsize=6, ncol=2)
    fig.suptitle("first-order kernels: perturbation (±2 SE) and Girsanov (dashed)",
                 fontsize=10)
    return fig


def agreement_figure(res: Any) -> Any:
    """Girsanov against perturbation, entry by entry, and the z-scores against N(0, 1)."""
    import matplotlib.pyplot as plt

    orders = sorted(res.agreement)
    fig, axs = plt.subplots(max(1, len(orders)), 2, figsize=(8, 3.2 * max(1, len(orders))),
                            squeeze=False, layout="constrained")
    if not orders:
        axs[0, 0].text(0.5, 0.5, "no Girsanov estimate (see the problems)", ha="center")
    for row, order in zip(axs, orders, strict=False):
        agr = res.agreement[order]
        kern = res.first if order == 1 else res.second
        p, g = kern["perturbation"], kern["girsanov"]
        a = row[0]
        a.errorbar(p.values.ravel(), g.values.ravel(), yerr=2 * g.stderr.ravel(), fmt=".",
                   ms=2, lw=0.3, alpha=0.4, color="C0")
        lim = np.nanmax(np.abs(p.values)) * 1.1 or 1.0
        a.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
        a.set_xlim(-lim, lim)
        a.set_xlabel(f"perturbation, order {order}")
        a.set_ylabel("Girsanov (±2 SE)")
        a.set_title(f"order {order}: {100 * agr.within:.2f}% of {agr.n_entries} entries "
                    f"within {agr.threshold:g} SE", fontsize=9)
        b = row[1]
        z = agr.z[np.isfinite(agr.z)].ravel()
        b.hist(np.clip(z, -6, 6), bins=60, range=(-6, 6), density=True, color="C1",
               alpha=0.7)
        x = np.linspace(-6, 6, 200)
        b.plot(x, np.exp(-x * x / 2) / np.sqrt(2 * np.pi), "k", lw=1, label="N(0, 1)")
        b.set_xlabel("z = (perturbation - Girsanov) / SE")
        b.set_title(f"mean z² = {agr.mean_z2:.3g}, {agr.n_resolved} entries resolved",
                    fontsize=9)
        b.legend(fontsize=7)
    return fig


def second_order_figure(res: Any) -> Any:
    """The second-order kernel map of the (output, channel pair) with the largest
    |entry|/SE (perturbation), with its signal-to-noise map."""
    from ..plotting import SecondOrderDisplay

    r2 = res.second["perturbation"]
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(r2.stderr > 0, np.abs(r2.values) / r2.stderr, 0.0)
    _k1, _k2, i, a, b = np.unravel_index(int(np.argmax(snr)), snr.shape)
    from ._result import resolution_threshold

    disp = SecondOrderDisplay.from_response(
        r2, output=int(i), channels=(int(a), int(b)),
        title=f"R2, output {i}, channels ({a}, {b}), perturbation").plot(
        threshold=resolution_threshold(r2.n_lags ** 2))
    return disp.figure_


def volterra_figure(res: Any) -> Any:
    """Left: one test series' mean-output change against the order-1 and order-1+2 series;
    right: median relative errors against the input amplitude, with the noise floor and
    (when measured) the odd remainder of order 1 that no order-2 term lowers."""
    import matplotlib.pyplot as plt

    v = res.volterra
    ex = v.example
    L = ex["length"]
    ts = v.ts[:L + 1]
    i0 = int(np.argmin(np.abs(v.amplitudes - 1.0)))
    a0 = float(v.amplitudes[i0])
    out = int(np.argmax(np.abs(ex["Y"][i0, :L + 1]).max(axis=0)))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    y, se = ex["Y"][i0, :L + 1, out], ex["Y_stderr"][i0, :L + 1, out]
    ax.plot(ts, y, "k", lw=1.2, label="Monte Carlo (±2 SE)")
    ax.fill_between(ts, y - 2 * se, y + 2 * se, color="k", alpha=0.2, lw=0)
    o1 = a0 * ex["V1"][:L + 1, out]
    ax.plot(ts, o1, "C0--", label="order 1")
    ax.plot(ts, o1 + a0 * a0 * ex["V2"][:L + 1, out], "C1-", lw=1, label="order 1 + 2")
    ax.set_xlabel("t")
    ax.set_ylabel("E f(h_t) - E f⁰(h_t)")
    ax.set_title(f"one test series ({a0:g} x data), output {out}", fontsize=9)
    ax.legend(fontsize=7)
    amps = v.amplitudes
    bx.errorbar(amps, v.error1, yerr=2 * v.error1_stderr, fmt="o-", color="C0",
                label="order 1", capsize=2)
    bx.errorbar(amps, v.error2, yerr=2 * v.error2_stderr, fmt="s-", color="C1",
                label="order 1 + 2", capsize=2)
    if getattr(v, "odd_even", False):     # what no order-2 term lowers (runs at -eps)
        bx.plot(amps, v.odd_error1, "^--", color="C2", ms=4,
                label="odd remainder (orders 3+)")
    bx.plot(amps, v.floor, "k:", label="noise floor")
    bx.set_xscale("log")
    errors = np.concatenate([v.error1, v.error2, v.floor])
    if np.any(np.isfinite(errors) & (errors > 0)):
        bx.set_yscale("log")
    else:       # found by fuzzing: all NaN (inputs that do not move the output) failed to draw
        bx.text(0.5, 0.5, "no relative error: the test inputs do not\nmove the mean output",
                ha="center", va="center", transform=bx.transAxes, fontsize=8)
    bx.set_xticks(amps, [f"{a:g}" for a in amps], minor=False)
    bx.set_xticks([], minor=True)
    bx.set_xlabel("input amplitude (x data)")
    bx.set_ylabel("median relative error")
    bx.set_title(f"{v.n_series} test series, {v.n_paths} paths each", fontsize=9)
    bx.legend(fontsize=7)
    return fig


def memory_figure(res: Any) -> Any:
    """Left: the decay of ‖r1(τ)‖ with the fitted and linearised rates; right: the
    eigenvalues of the linearised drift."""
    import matplotlib.pyplot as plt

    m = res.memory
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    ax.semilogy(m.lags, m.norm, "k", lw=1.3, label="‖r1(τ)‖ (all outputs, channels)")
    lo = np.clip(m.norm - 2 * m.norm_stderr, m.norm.max() * 1e-6, None)
    ax.fill_between(m.lags, lo, m.norm + 2 * m.norm_stderr, color="k", alpha=0.2, lw=0)
    k0, k1 = m.fit_lags
    if m.fitted_rate is not None:
        t = m.lags[k0:k1 + 1]
        ax.semilogy(t, m.norm[k0] * np.exp(-m.fitted_rate * (t - t[0])), "C1--",
                    label=f"fit: decay time {m.fitted_time_constant:.3g}")
    if m.linear_rate > 0:
        t = m.lags[k0:]
        ax.semilogy(t, m.norm[k0] * np.exp(-m.linear_rate * (t - t[0])), "C2:",
                    label=f"linearised: {m.linear_time_constant:.3g}")
    ax.set_xlabel("lag τ")
    ax.set_title("memory: decay of the first-order kernel", fontsize=9)
    ax.legend(fontsize=7)
    ev = m.eigenvalues
    bx.scatter(ev.real, ev.imag, s=12, color="C0")
    bx.axvline(0, color="k", lw=0.8)
    bx.set_xlabel("Re λ")
    bx.set_ylabel("Im λ")
    bx.set_title("eigenvalues of the drift linearised at the stationary mean", fontsize=9)
    return fig


def robustness_figure(res: Any) -> Any:
    """Left: output standard deviation under input noise, predicted and measured; right:
    the score under noise, measured and predicted."""
    import matplotlib.pyplot as plt

    r = res.robustness
    has_score = r.noisy_score is not None
    fig, axs = plt.subplots(1, 2 if has_score else 1, figsize=(9 if has_score else 4.8, 3.4),
                            squeeze=False, layout="constrained")
    ax = axs[0, 0]
    lv = r.noise_levels
    ax.plot(lv, np.sqrt(r.predicted_variance), "k--", label="kernel prediction")
    ax.errorbar(lv, np.sqrt(r.measured_variance), fmt="o", color="C0", capsize=2,
                yerr=r.measured_variance_stderr / np.maximum(
                    np.sqrt(r.measured_variance), 1e-300),
                label="measured: E f(h_L), stationary start")
    if r.deployed_variance is not None:
        ax.errorbar(lv, np.sqrt(r.deployed_variance), fmt="s", color="C3", capsize=2,
                    yerr=r.deployed_variance_stderr / np.maximum(
                        np.sqrt(r.deployed_variance), 1e-300),
                    label="measured: the estimator's outputs")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input noise (x each channel's SD)")
    ax.set_ylabel("output SD")
    ax.legend(fontsize=7)
    ax.set_title("output change under white input noise", fontsize=9)
    if has_score:
        bx = axs[0, 1]
        bx.errorbar(lv, r.noisy_score, yerr=2 * r.noisy_score_stderr, fmt="o-", color="C3",
                    capsize=2, label="measured")
        bx.plot(lv, r.predicted_score, "k--", label="kernel prediction")
        bx.axhline(r.clean_score, color="0.5", lw=0.8, label="clean")
        bx.set_xscale("log")
        bx.set_xlabel("input noise (x each channel's SD)")
        bx.set_ylabel(r.metric)
        bx.legend(fontsize=7)
        bx.set_title(f"{r.metric} on {r.n_series} test series x {r.n_draws} noisy copies",
                     fontsize=9)
    return fig
