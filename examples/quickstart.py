"""srnnkit quick start: the main job on its built-in default (stand-in until `srnnkit run`).

Simulates the two-unit linear SRNN of THEORY.md section 9.1 and a random 64-unit tanh SRNN
driven by a smooth two-channel input, checks the stationary law against the Lyapunov
closed form, and writes a small report (numbers + a plot) to ``srnnkit-report/``.

Run:  python examples/quickstart.py [--out DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import srnnkit as sk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="srnnkit-report")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, object] = {}

    # 1. linear SRNN: stationary law vs the Lyapunov closed form
    ou = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]], sigma=[[0.6, 0.0], [0.2, 0.5]],
                 gamma=[1.0, 0.8], activation="identity")
    dt = 0.01
    t0 = time.perf_counter()
    tr = sk.simulate(ou, None, n_steps=500, dt=dt, n_paths=20_000, seed=args.seed,
                     save="states", save_every=500)
    X = tr.states[:, -1]
    S = sk.response.stationary_covariance(ou, dt=dt)
    metrics["linear_cov_max_abs_error"] = float(np.abs(np.cov(X.T) - S).max())
    metrics["linear_seconds"] = time.perf_counter() - t0
    print(f"linear SRNN: max |cov - Sigma_dt| = {metrics['linear_cov_max_abs_error']:.2e}")

    # 2. a random tanh SRNN driven by u = (sin t, cos 2t)
    model = sk.SRNN.random(64, 2, spectral_radius=0.9, noise=0.3, seed=args.seed)
    ts = np.arange(2000) * dt
    u = np.stack([np.sin(ts), np.cos(2 * ts)], axis=1)
    t0 = time.perf_counter()
    traj = sk.simulate(model, u, dt=dt, n_paths=2048, seed=args.seed + 1, n_jobs=-1)
    metrics["tanh_seconds"] = time.perf_counter() - t0
    metrics["tanh_max_stderr"] = float(traj.stderr.max())
    print(f"tanh SRNN: 2048 paths x 2000 steps in {metrics['tanh_seconds']:.2f} s, "
          f"max standard error {metrics['tanh_max_stderr']:.3g}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        m, s = traj.mean[:, 0], traj.stderr[:, 0]
        ax.plot(traj.ts, m, label="ensemble mean of f(h_t)")
        ax.fill_between(traj.ts, m - 2 * s, m + 2 * s, alpha=0.3, label="±2 standard errors")
        ax.set_xlabel("t")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "mean_output.png", dpi=110)
        plt.close(fig)
    except ImportError:  # matplotlib is a dependency; keep the script usable without it
        pass
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(f"wrote {out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
