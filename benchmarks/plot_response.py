"""Figure and table for docs/response.md: kernels with error bands next to exact references.

Usage:  python benchmarks/plot_response.py   (writes docs/figures/response_kernels.png and
prints a markdown table of R(tau) +- SE at a few lags)
"""

from __future__ import annotations

import pathlib

import srnnkit as sk

R = sk.response
OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "figures"


def main():
    lin = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
                  gamma=[1, .8], activation="identity", readout=[[1, .5]])
    tanh = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    chain = R.GridChain(tanh, dt=0.02)
    panels = {
        "linear SRNN (theory §9.1), dt = 0.01": (lin, 0.01, 301, {
            "closed form (continuous)": R.linear_response(lin, dt=0.01, n_lags=301),
            "closed form (EM chain)": R.linear_response(lin, dt=0.01, n_lags=301,
                                                        discrete=True)}),
        "tanh SRNN (V2), dt = 0.02": (tanh, 0.02, 151, {
            "grid-exact (EM chain)": chain.linear_response(151)}),
    }
    kw = dict(n_chains=8, n_steps=50_000, seed=7)
    rows = []
    for title, (model, dt, nl, refs) in panels.items():
        ests = {
            "perturbation (CRN)": R.linear_response(model, dt=dt, n_lags=nl,
                                                    method="perturbation", n_paths=4000, seed=7),
            "girsanov": R.linear_response(model, dt=dt, n_lags=nl, method="girsanov", **kw),
            "fdt": R.linear_response(model, dt=dt, n_lags=nl, method="fdt", **kw),
        }
        panels[title] = (model, dt, nl, refs, ests)
        ref = list(refs.values())[-1]
        for k in (0, nl // 6, nl // 3, nl // 2, nl - 1):
            cells = [f"{ref.values[k, 0, 0]:.4f}"] + [
                f"{e.values[k, 0, 0]:.4f} ± {e.stderr[k, 0, 0]:.1e}" for e in ests.values()]
            rows.append(f"| {title.split(',')[0]} | {k * dt:.2f} | " + " | ".join(cells) + " |")
    print("| SRNN | tau | exact (EM) | perturbation ± SE | girsanov ± SE | fdt ± SE |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        return
    OUT.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (title, (_, _, _, refs, ests)) in zip(axes, panels.items(), strict=True):
        for name, rf in refs.items():
            ax.plot(rf.lags, rf.values[:, 0, 0], "k-" if "EM" in name else "k:", label=name)
        for (name, rf), col in zip(ests.items(), ["C0", "C1", "C2"], strict=True):
            v, s = rf.values[:, 0, 0], 2 * rf.stderr[:, 0, 0]
            ax.plot(rf.lags, v, color=col, lw=1, label=f"{name} (±2 SE)")
            ax.fill_between(rf.lags, v - s, v + s, color=col, alpha=0.25)
        ax.set_title(title)
        ax.set_xlabel("lag tau")
        ax.set_ylabel("R(tau)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "response_kernels.png", dpi=110)


if __name__ == "__main__":
    main()
