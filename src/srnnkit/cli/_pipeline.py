"""The stages of ``srnnkit run``; each returns a record for the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["default_input", "default_model", "run_pipeline"]


def default_model(cfg: dict) -> Any:
    """The built-in network: a random tanh SRNN (``[model]`` keys, seeded by ``run.seed``)."""
    import srnnkit as sk

    m = cfg["model"]
    return sk.SRNN.random(m["n_hidden"], m["n_inputs"], spectral_radius=m["spectral_radius"],
                          input_scale=m["input_scale"], noise=m["noise"], gamma=m["gamma"],
                          bias_scale=m["bias_scale"], activation=m["activation"],
                          seed=cfg["run"]["seed"])


def default_input(n_steps: int, n_inputs: int, dt: float, amplitude: float) -> np.ndarray:
    """A smooth multichannel input: channel k is ``amplitude * sin((1 + 0.7k) t + k)``."""
    t = np.arange(n_steps) * dt
    k = np.arange(n_inputs)
    return amplitude * np.sin(t[:, None] * (1.0 + 0.7 * k) + k)


def _savefig(fig, out: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


def stage_simulate(cfg: dict, ctx: dict, out: Path) -> dict:
    import srnnkit as sk
    from srnnkit.plotting import TrajectoryDisplay

    s = cfg["simulation"]
    model = ctx["model"]
    u = default_input(s["n_steps"], model.n_inputs, s["dt"], s["input_amplitude"])
    traj = sk.simulate(model, u, dt=s["dt"], n_paths=s["n_paths"], seed=cfg["run"]["seed"],
                       n_jobs=cfg["run"]["n_jobs"])
    ctx["trajectory"] = traj
    disp = TrajectoryDisplay.from_trajectory(traj).plot()
    disp.ax_.set_title(f"{model.n_hidden}-unit {model.activation} SRNN, {s['n_paths']} paths",
                       fontsize=10)
    fig = _savefig(disp.figure_, out, "simulation.png")
    return {
        "text": "Monte Carlo ensemble of the default network driven by a smooth input: the "
                "ensemble mean of the readout with a ±2 standard-error band.",
        "metrics": {"n_paths": s["n_paths"], "n_steps": s["n_steps"], "dt": s["dt"],
                    "max_stderr": float(traj.stderr.max()),
                    "final_mean": float(traj.mean[-1, 0])},
        "figures": [fig],
    }


STAGE_FUNCS: dict[str, Callable[[dict, dict, Path], dict]] = {
    "simulate": stage_simulate,
}


def run_pipeline(cfg: dict, out: Path, stages: tuple[str, ...], *, progress: bool = False,
                 verbose: bool = True) -> list[dict]:
    import matplotlib

    matplotlib.use("Agg")
    from ._config import dump_toml
    from ._report import atomic_write, write_metrics, write_report

    report = out / "report.html"
    if report.exists():          # never leave an old report that looks like this run's
        report.unlink()
    config_toml = dump_toml(cfg)
    atomic_write(out / "config.toml", config_toml)
    ctx: dict[str, Any] = {"model": default_model(cfg), "progress": progress}
    records = []
    for name in stages:
        func = STAGE_FUNCS.get(name)
        if func is None:
            continue
        t0 = time.perf_counter()
        rec = func(cfg, ctx, out)
        rec["name"] = name
        rec["seconds"] = time.perf_counter() - t0
        records.append(rec)
        if verbose:
            print(f"[{name}] {rec['seconds']:.1f} s")
    write_metrics(out, records)
    write_report(out, "srnnkit report", records, config_toml)
    return records
