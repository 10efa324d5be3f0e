"""Make the user guide's figures (small PNGs committed in docs/figures/).

Usage::

    python docs/make_figures.py            # every figure (a few minutes on 2 cores)
    python docs/make_figures.py volterra   # only some: simulation, response, volterra, kernel,
                                           # displays (the display_*.png of docs/plotting.md),
                                           # trained (docs/trained.md; torch extra)

The Sphinx build does not run this script; it only shows the committed PNGs. Each figure is
drawn from the same calls as the code on its guide page, with fixed seeds.
"""

from __future__ import annotations

import pathlib
import runpy
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import srnnkit as sk

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures"
DPI = 90


def simulation() -> None:
    """guide_simulation.png: ensemble mean ± 2 SE of a tanh reservoir, and a few paths."""
    model = sk.SRNN.random(64, 2, spectral_radius=0.9, noise=0.3, seed=0)
    t = np.arange(1000) * 0.01
    u = np.stack([np.sin(t), np.cos(2 * t)], axis=1)
    traj = sk.simulate(model, u, dt=0.01, n_paths=1024, seed=1, save="paths")
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for path in traj.outputs[:5, :, 0]:
        ax.plot(traj.ts, path, lw=0.6, color="0.6")
    sk.plotting.TrajectoryDisplay.from_trajectory(traj).plot(ax=ax)
    ax.set_xlabel("t")
    ax.set_title("64-unit tanh SRNN: 5 paths (grey) and E f(h_t) ± 2 SE (1024 paths)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / "guide_simulation.png", dpi=DPI)
    plt.close(fig)


def response() -> None:
    """response_kernels.png: the estimators against the closed form (benchmarks script)."""
    runpy.run_path(str(ROOT / "benchmarks" / "plot_response.py"), run_name="__main__")


def volterra() -> None:
    """guide_volterra.png: orders 1 and 2 against the exact mean and Monte Carlo; slopes."""
    v2 = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    dt, n = 0.02, 200
    series = sk.response.VolterraSeries.from_model(v2, order=2, dt=dt, n_lags=n,
                                                   method="grid")
    ts = dt * np.arange(n + 1)
    u = 0.5 * np.sin(np.pi * ts[:-1])[:, None]
    terms = series.terms(u)
    order1 = series.mean + terms[0]
    order2 = order1 + terms[1]
    exact = sk.response.GridChain(v2, dt).expectation(u)
    mc = sk.simulate(v2, u, dt=dt, n_paths=20_000, seed=0)
    w = np.r_[np.ones(50), np.zeros(50)][:, None]
    res = sk.response.volterra_convergence(v2, w, dt=dt)
    fig, axs = plt.subplots(1, 3, figsize=(12, 3.4))
    a = axs[0]
    a.plot(ts, mc.mean[:, 0], color="k", lw=1, label="Monte Carlo (20k paths)")
    a.fill_between(ts, mc.mean[:, 0] - 2 * mc.stderr[:, 0], mc.mean[:, 0] + 2 * mc.stderr[:, 0],
                   color="k", alpha=0.2, lw=0)
    a.plot(ts, order1[:, 0], "C0--", label="order 1")
    a.plot(ts, order2[:, 0], "C1-", lw=1.2, label="order 2")
    a.set_title("E f(h_t), input 0.5 sin(πt)", fontsize=9)
    a.set_xlabel("t")
    a.legend(fontsize=7)
    a = axs[1]
    a.plot(ts, order1[:, 0] - exact[:, 0], "C0--", label="order 1 - exact")
    a.plot(ts, order2[:, 0] - exact[:, 0], "C1-", label="order 2 - exact")
    a.fill_between(ts, -2 * mc.stderr[:, 0], 2 * mc.stderr[:, 0], color="k", alpha=0.15, lw=0,
                   label="±2 SE of Monte Carlo")
    a.set_title("errors against the exact grid mean", fontsize=9)
    a.set_xlabel("t")
    a.legend(fontsize=7)
    a = axs[2]
    eps = res.amplitudes
    a.loglog(eps, np.abs(res.error1), "C0o-", label=f"order 1 (slope {res.slope1:.2f})")
    a.loglog(eps, np.abs(res.error2), "C1s-", label=f"order 2 (slope {res.slope2:.2f})")
    a.loglog(eps, np.abs(res.error1[0]) * (eps / eps[0]) ** 2, "k:", lw=0.8, label="ε², ε³")
    a.loglog(eps, np.abs(res.error2[0]) * (eps / eps[0]) ** 3, "k:", lw=0.8)
    a.set_xticks(eps, [f"{e:g}" for e in eps])
    a.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    a.set_xlabel("amplitude ε")
    a.set_title("truncation error at T = 2 (step input)", fontsize=9)
    a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "guide_volterra.png", dpi=DPI)
    plt.close(fig)


def kernel() -> None:
    """guide_kernel.png: truncated response kernels converge to the PDE value with depth."""
    rng = np.random.default_rng(0)
    U = rng.normal(size=(6, 20, 2))
    basis = sk.features.MonomialBasis(2)
    full = sk.kernels.response_kernel(U, dt=0.05, basis=basis, refine=2, dyadic_order=4,
                                      richardson=True)
    depths = range(1, 9)
    errs = [np.abs(sk.kernels.response_kernel(U, dt=0.05, basis=basis, refine=2, depth=N)
                   - full).max() / np.abs(full).max() for N in depths]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogy(list(depths), errs, "o-")
    ax.set_xlabel("truncation depth N")
    ax.set_ylabel("max |K_N - K| / max K")
    ax.set_title("truncated response kernel → PDE kernel", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / "guide_kernel.png", dpi=DPI)
    plt.close(fig)


def _save(disp, name: str) -> None:
    disp.figure_.savefig(OUT / name, dpi=DPI)
    plt.close(disp.figure_)


def displays() -> None:
    """display_*.png: the calls of docs/plotting.md with larger sample sizes."""
    from srnnkit.plotting import (
        GramDisplay,
        ResponseDisplay,
        SecondOrderDisplay,
        TrajectoryDisplay,
        VolterraDisplay,
    )

    model = sk.SRNN.random(32, 2, noise=0.3, seed=0)
    t = np.arange(500) * 0.02
    u = np.stack([np.sin(t), np.cos(2 * t)], axis=1)
    traj = sk.simulate(model, u, dt=0.02, n_paths=2048, seed=1)
    _save(TrajectoryDisplay.from_trajectory(traj).plot(), "display_trajectory.png")

    ou = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
                 gamma=[1, .8], activation="identity", readout=[[1, .5]])
    kw = dict(dt=0.02, n_lags=150)
    kernels = {
        "closed form (EM chain)": sk.response.linear_response(ou, discrete=True, **kw),
        "Girsanov": sk.response.linear_response(ou, method="girsanov", n_paths=16,
                                                n_steps=25_000, seed=0, **kw),
        "FDT": sk.response.linear_response(ou, method="fdt", n_paths=16, n_steps=25_000,
                                           seed=0, **kw),
    }
    _save(ResponseDisplay.from_responses(kernels, title="linear SRNN, R(τ)").plot(),
          "display_response.png")

    v2 = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, b=[0.3])
    exact = sk.response.second_order_response(v2, dt=0.05, n_lags=30, method="grid")
    est = sk.response.second_order_response(v2, dt=0.05, n_lags=30, method="girsanov",
                                            n_paths=32, n_steps=20_000, seed=0)
    _fig, axs = plt.subplots(1, 3, figsize=(13.5, 3.8), layout="constrained")
    SecondOrderDisplay.from_response(exact, title="exact (grid)").plot(ax=axs[0])
    disp = SecondOrderDisplay.from_response(est, title="Girsanov, 32 runs x 20000 steps")
    disp.plot(ax=axs[1:], threshold=3.0)
    for im in (axs[0].images[0], axs[1].images[0]):        # one colour scale for both maps
        im.set_clim(axs[0].images[0].get_clim())
    _save(disp, "display_second_order.png")

    series = sk.response.VolterraSeries.from_model(v2, order=2, dt=0.02, n_lags=100,
                                                   method="grid")
    w = np.r_[np.ones(50), np.zeros(50)][:, None]
    traj = sk.simulate(v2, 0.4 * w, dt=0.02, n_paths=20_000, seed=0)
    conv = sk.response.volterra_convergence(v2, w, dt=0.02)
    _save(VolterraDisplay.from_series(series, 0.4 * w, traj, convergence=conv).plot(),
          "display_volterra.png")

    U = 0.5 * np.random.default_rng(0).standard_normal((20, 40, 2)).cumsum(axis=1) / 3
    K = sk.kernels.response_kernel(U, dt=0.025, basis=sk.features.LegendreBasis(2, 1.0))
    _save(GramDisplay.from_gram(K, title="response kernel, log10 |K|").plot(),
          "display_gram.png")


FIGURES = {"simulation": simulation, "response": response, "volterra": volterra,
           "kernel": kernel, "displays": displays}


def trained() -> None:
    """trained_*.png of docs/trained.md: the digits network of the page, analysed at
    budget 1 (needs the torch extra; about three minutes on 2 busy cores)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from srnnkit.analysis import analyze_network, plot_analysis
    from srnnkit.learning import NoisyRNNClassifier

    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.images, digits.target, test_size=0.3, stratify=digits.target, random_state=0)
    clf = NoisyRNNClassifier(random_state=0).fit(X_train, y_train)
    res = analyze_network(clf, inputs=X_test, targets=y_test, budget=1.0, seed=0)
    for key, value in res.metrics().items():          # the numbers of the page's tables
        if key.startswith(("order ", "Volterra", "series where", "noise", "clean")):
            print(f"  {key}: {value}")
    for name, fig in plot_analysis(res).items():
        if name in ("agreement", "volterra"):
            fig.savefig(OUT / f"trained_{name}.png", dpi=DPI)
        plt.close(fig)


FIGURES["trained"] = trained


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names or list(FIGURES):
        FIGURES[name]()
        print("made", name)


if __name__ == "__main__":
    main(sys.argv[1:])
