"""The ``trained`` stage of ``srnnkit run``: train a small noisy RNN, then analyse it.

Trains a ``NoisyRNNClassifier`` on a built-in task (three classes of noisy two-channel
oscillations that differ in frequency) in a few seconds and runs
:func:`srnnkit.analysis.analyze_network` on its test series. Needs the optional extra
``srnnkit[torch]``; without it the section says how to enable it and the other stages run
as before.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

__all__ = ["builtin_task", "stage_trained", "torch_available"]

#: steps of the built-in task's series and its input noise
TASK_STEPS, TASK_NOISE = 20, 0.3


def torch_available() -> bool:
    """Whether PyTorch can be imported (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def builtin_task(n_series: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of two-channel series (sin, cos) of 1, 2 or 3 cycles per series, with
    a random phase and white noise of SD 0.3: ``X`` (n_series, 20, 2), ``y`` (n_series,)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_series) % 3
    t = np.arange(TASK_STEPS) / TASK_STEPS
    arg = 2 * np.pi * (1.0 + y)[:, None] * t + rng.uniform(0, 2 * np.pi, (n_series, 1))
    X = np.stack([np.sin(arg), np.cos(arg)], axis=-1)
    return X + TASK_NOISE * rng.standard_normal(X.shape), y


def stage_trained(cfg: dict, ctx: dict, out: Path) -> dict:
    """A small noise-injected RNN trained on a built-in task, read through its kernels."""
    if not torch_available():
        return {"text": "This section trains a small noise-injected RNN (srnnkit.nn) on a "
                        "built-in task and reads it through its response kernels. PyTorch is "
                        "not installed, so it was skipped; enable it with "
                        "pip install \"srnnkit[torch]\" (the other sections do not need it).",
                "metrics": {"enabled": "no: PyTorch is not installed"}, "figures": [],
                "problems": []}
    from srnnkit.analysis import analyze_network
    from srnnkit.learning import NoisyRNNClassifier

    from ._analyze import analysis_records

    c, seed = cfg["trained"], cfg["run"]["seed"]
    X, y = builtin_task(c["n_train"] + c["n_test"], seed)
    k = c["n_train"]
    clf = NoisyRNNClassifier(n_hidden=c["n_hidden"], max_updates=c["max_updates"],
                             random_state=seed).fit(X[:k], y[:k])
    accuracy = float(clf.score(X[k:], y[k:]))
    res = analyze_network(clf, inputs=X[k:], targets=y[k:], budget=c["budget"], seed=seed)
    records = analysis_records(res, out, prefix="trained_")
    metrics: dict[str, object] = {"task": "3 classes of noisy 2-channel oscillations, 20 steps",
                                  "n_hidden": c["n_hidden"], "test accuracy": accuracy}
    for rec in records:
        metrics.update(rec["metrics"])
    text = (f"A NoisyRNNClassifier with {c['n_hidden']} hidden units trained on a built-in "
            f"task (three classes of noisy two-channel oscillations of 1, 2 or 3 cycles, "
            f"{TASK_STEPS} steps; test accuracy {accuracy:.3f}), then read through its "
            "response kernels (srnnkit.analysis.analyze_network; `srnnkit analyze MODEL.npz` "
            "does the same for a saved network): first- and second-order kernels by "
            "perturbation and Girsanov with their z-scores, how much of its mean output the "
            "Volterra series captures, its memory, and its robustness to input noise "
            "predicted from the kernel against Monte Carlo.")
    _, counts = np.unique(y[k:], return_counts=True)
    chance = float(counts.max() / counts.sum())
    metrics["majority-class rate"] = chance
    learned = [] if accuracy > chance else [
        f"the trained network is no better than always predicting the majority class (test "
        f"accuracy {accuracy:.3g} <= {chance:.3g}): it learned nothing, so its kernels "
        "describe an untrained network; raise trained.max_updates or trained.n_train."]
    return {"text": text, "metrics": metrics,
            "figures": [f for rec in records for f in rec["figures"]],
            "problems": learned + list(res.problems)}
