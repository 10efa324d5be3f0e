"""``srnnkit analyze MODEL.npz``: read a saved trained network through its kernels.

Loads a saved ``NoisyRNNClassifier`` / ``NoisyRNNRegressor`` (or an ``SRNN``, with its
saved ``dt`` or ``--dt``), runs :func:`srnnkit.analysis.analyze_network` on the ``--data``
series (or on white-noise inputs) and writes the same kind of self-contained report as
``srnnkit run``: ``report.html`` with the figures embedded, the PNGs, ``metrics.json`` and the
"Problems found" box. Everything that can be checked before the work (the model file, the data file,
the output directory, the step) is checked first; errors are one line.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import _error, _one_line, _output_dir, _printable
from ._pipeline import cli_missing_hint

__all__ = ["add_parser", "analysis_records", "run_analyze"]

#: ``--quick`` budget (about a quarter of the default)
QUICK_BUDGET = 0.25

_TEXT = """Analyse a saved trained network: its first- and second-order response kernels
by two independent estimators (perturbation and Girsanov) and their agreement, how much of
its mean output on test inputs the Volterra series captures, its memory (kernel decay,
time constants) and its robustness to input noise (predicted from the kernels, measured).
MODEL.npz is a NoisyRNNClassifier or NoisyRNNRegressor saved with srnnkit.save (or an SRNN:
its saved step dt, or --dt). Writes report.html, the figures, metrics.json and analysis.toml
to --out.

Time on 2 busy cores, 64 units, 8 inputs, 10 classes: about 2 minutes, 20 to 30 s with
--quick."""


def add_parser(sub: Any, formatter: Any, epilog: str) -> None:
    """Register the ``analyze`` subcommand."""
    sp = sub.add_parser("analyze", help="analyse a saved trained network (kernels, Volterra, "
                        "memory, robustness)", description=_TEXT, epilog=epilog,
                        formatter_class=formatter)
    sp.add_argument("model", metavar="MODEL.npz",
                    help="a NoisyRNNClassifier/Regressor or SRNN saved with srnnkit.save")
    sp.add_argument("--data", metavar="FILE.ts",
                    help="test series (UCR/UEA .ts file); labels add accuracy under noise")
    sp.add_argument("--missing", choices=("raise", "interpolate"), default="raise",
                    help="missing values ('?') in --data: an error (the default) or filled "
                         "linearly")
    sp.add_argument("--out", default="srnnkit-analysis", metavar="DIR",
                    help="output directory, created if missing")
    sp.add_argument("--dt", type=float, metavar="DT",
                    help="the Euler-Maruyama step of a saved SRNN (default: its saved dt, "
                         "when it has one; estimators know theirs)")
    sp.add_argument("--quick", action="store_true",
                    help=f"smaller sample sizes (budget {QUICK_BUDGET:g})")
    sp.add_argument("--budget", type=float, metavar="B",
                    help="work budget (1 = the default, about 2 minutes for a 64-unit network)")
    sp.add_argument("--seed", type=int, default=0, help="root seed")
    sp.add_argument("--quiet", action="store_true", help="no progress lines")
    sp.add_argument("--traceback", action="store_true",
                    help="on an error, show the Python traceback (for bug reports)")


def _load_model(path: str, dt: float | None) -> tuple[Any, float | None]:
    """The saved object and the step; ValueError with one line when unusable."""
    import srnnkit as sk
    from srnnkit.analysis._analyze import _is_estimator

    try:
        obj = sk.load(path)
    except FileNotFoundError:
        raise ValueError(f"cannot read the model {path!r}: no such file.") from None
    except IsADirectoryError:
        raise ValueError(f"cannot read the model {path!r}: it is a directory.") from None
    except OSError as err:
        raise ValueError(f"cannot read the model {path!r}: {err.strerror or err}.") from None
    except (ValueError, TypeError) as err:
        raise ValueError(f"cannot read the model {path!r}: {_one_line(err)}") from None
    if isinstance(obj, sk.SRNN):
        if dt is not None and not 0 < dt < float("inf"):
            raise ValueError(f"--dt must be a finite number > 0; got {dt}.")
        dt = obj.dt if dt is None else dt          # --dt overrides the saved step
        if dt is None:
            raise ValueError(f"{path!r} holds an SRNN saved without its step (built without "
                             "dt=, or saved by srnnkit before SRNN.dt): pass --dt (the "
                             "Euler-Maruyama step it runs with).")
        _check_analysable(path, obj, dt)
        return obj, dt
    if not _is_estimator(obj):
        raise ValueError(f"{path!r} holds a {type(obj).__name__}; `srnnkit analyze` needs a "
                         "NoisyRNNClassifier, a NoisyRNNRegressor or an SRNN.")
    if not hasattr(obj, "srnn_"):
        raise ValueError(f"{path!r} holds an unfitted {type(obj).__name__}; fit it first.")
    if dt is not None and not np.isclose(dt, obj.dt_):
        raise ValueError(f"--dt {dt:g} differs from the estimator's own step dt_ = "
                         f"{obj.dt_:g}; leave --dt out.")
    _check_analysable(path, obj, None)
    return obj, None


def _check_analysable(path: str, obj: Any, dt: float | None) -> None:
    """ValueError (exit 2) for a network the analysis refuses before any work: no noise, or
    a step that expands (no stationary law). It was exit 1, "the analysis failed", although
    nothing had been computed (found by held-out checks)."""
    from srnnkit.analysis._analyze import _subject

    try:
        _subject(obj, dt, None, None)
    except ValueError as err:
        raise ValueError(f"{path!r} cannot be analysed: {_one_line(err)}") from None


def _load_data(path: str, model: Any, missing: str = "raise") -> tuple[Any, Any, str]:
    """Series and targets (or None) of a .ts file, checked against the model."""
    from srnnkit import datasets
    from srnnkit.learning import NoisyRNNClassifier, NoisyRNNRegressor

    try:
        X, y = datasets.load_ts(path, missing=missing)
    except FileNotFoundError:
        raise ValueError(f"cannot read the data {path!r}: no such file.") from None
    except OSError as err:
        raise ValueError(f"cannot read the data {path!r}: {err.strerror or err}.") from None
    except ValueError as err:
        text = cli_missing_hint(err, config=False).replace(f".ts file {path!r}", ".ts file", 1)
        raise ValueError(f"cannot read the data {path!r}: {_one_line(text)}") from None
    m = model.n_features_in_ if hasattr(model, "n_features_in_") else model.n_inputs
    got = X[0].shape[-1] if isinstance(X, list) else X.shape[-1]
    if got != m:
        raise ValueError(f"the data {path!r} has {got} channel(s); the model takes {m}.")
    note, unseen = "", {}
    if isinstance(model, NoisyRNNClassifier) and y is not None:
        X, y, note, unseen = _known_labels(X, y, model.classes_)
    elif isinstance(model, NoisyRNNRegressor) and y is not None:
        outputs = int(getattr(model, "n_outputs_", 1))
        if np.asarray(y).dtype.kind not in "fiu":
            # class labels read as numbers gave an RMSE against class indices (fuzzing)
            y, note = None, (" (it holds class labels, not regression targets, so no error "
                             "is measured)")
        elif outputs != 1:
            # a .ts file holds one target per series (found by fuzzing: exit 1 mid-analysis)
            y, note = None, (f" (it holds one target per series and the regressor has "
                             f"{outputs} outputs, so no error is measured)")
        else:
            y = np.asarray(y, dtype=float)
    elif y is not None:
        # a bare SRNN (a converted torch classifier, say) has no classes to score: the
        # labels went unused and the report did not say so (found by held-out checks)
        y, note = None, (" (its labels are not used: a bare SRNN has no classes or "
                         "predictions, so no accuracy under noise is measured)")
    return X, y, note, unseen


def _known_labels(X: Any, y: Any, classes: np.ndarray) -> tuple[Any, Any, str, dict]:
    """The series whose labels are the classifier's classes, their labels, a note for the
    report and the flags of the others (``srnnkit fit``'s metrics keys, empty when none).

    The unknown labels are named and counted (found by a held-out check: one unknown class
    of three said nothing); when some labels are known, their series are analysed and
    scored and the others left out (one unknown label used to drop the accuracy of the
    whole file). With no known label the series are all kept and nothing is scored.
    """
    names = {str(c): c for c in classes}                   # .ts labels are read as text
    known = np.array([str(label) in names for label in y], dtype=bool)
    if known.all():
        return X, np.array([names[str(label)] for label in y]), "", {}
    unknown = sorted({str(v) for v, k in zip(y, known, strict=True) if not k})
    shown = ", ".join(repr(v) for v in unknown[:5])
    n_out, n = int((~known).sum()), len(y)
    head = f" ({n_out} of its {n} labels, {shown}, are not the classifier's classes"
    if not known.any():
        return X, None, head + ", so no accuracy is measured)", {}
    keep = np.flatnonzero(known)
    X = [X[i] for i in keep] if isinstance(X, list) else X[keep]
    y = np.array([names[str(y[i])] for i in keep])
    flags = {"test series of classes absent from training": n_out,
             "classes absent from training": unknown}
    return X, y, (f"{head}: those series are left out, and the accuracy is measured on the "
                  f"other {len(keep)})"), flags


def run_analyze(args: argparse.Namespace) -> int:
    """The ``analyze`` subcommand: exit 0, 1 (the analysis failed), 2 (bad input) or 130."""
    budget = QUICK_BUDGET if args.quick else 1.0
    if args.budget is not None:
        if not 0 < args.budget < float("inf"):
            return _error(f"--budget must be a finite number > 0; got {args.budget}.", 2)
        budget = args.budget
    if args.seed < 0:         # found by fuzzing: inf and -1 ran, then exit 1 (report wiped)
        return _error(f"--seed must be an integer >= 0; got {args.seed}.", 2)
    try:
        model, dt = _load_model(args.model, args.dt)
        X, y, note, unseen = ((None, None, "", {}) if args.data is None
                              else _load_data(args.data, model, args.missing))
    except ValueError as err:
        return _error(str(err), 2)
    try:
        out = _output_dir(args.out, ("report.html", "metrics.json", "analysis.toml"))
    except ValueError as err:
        return _error(str(err), 2)
    from ._report import clear_outputs

    clear_outputs(out)       # a failed analysis leaves no earlier report that looks like its own
    t0 = time.perf_counter()
    try:
        res = _analyze(model, dt, X, y, budget, args.seed)
    except KeyboardInterrupt:
        print("srnnkit: interrupted; no report was written.", file=sys.stderr)
        return 130
    except (ValueError, TypeError, ArithmeticError, MemoryError) as err:
        if args.traceback:
            raise
        return _error(f"the analysis failed: {type(err).__name__}: {_one_line(err)}", 1)
    write_analysis_report(res, out, args.model, args.data, note, unseen)
    if not args.quiet:
        n = len(res.problems) + bool(unseen)
        found = f"; {n} problem(s) found, see its Problems box" if n else ""
        print(_printable(f"done in {time.perf_counter() - t0:.1f} s: {out / 'report.html'}"
                         f"{found}"))
    return 0


def _analyze(model: Any, dt: float | None, X: Any, y: Any, budget: float, seed: int) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from srnnkit.analysis import analyze_network

    return analyze_network(model, dt, inputs=X, targets=y, budget=budget, seed=seed)


def _savefig(fig: Any, out: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    return name


def analysis_records(res: Any, out: Path, prefix: str = "") -> list[dict]:
    """Report records (the ``srnnkit run`` stage format) of an analysis, figures written to
    ``out`` as ``{prefix}{name}.png``."""
    from srnnkit.analysis import plot_analysis

    figs = {k: _savefig(f, out, f"{prefix}{k}.png") for k, f in plot_analysis(res).items()}
    metrics = res.metrics()
    groups = {
        "kernels": ("First-order kernels per input channel and output (perturbation with a "
                    "±2 SE band, Girsanov dashed), the two estimators entry by entry with "
                    "their z-scores (they agree when ~N(0, 1)), and the second-order kernel "
                    "of the most resolved output and channel pair.",
                    ("order ", "source", "dt", "n_lags", "second_lags", "stationary runs"),
                    ["kernels", "agreement", "second_order"]),
        "volterra": ("Volterra series against common-random-numbers Monte Carlo of the mean "
                     "output, started in the stationary law: median relative errors over the "
                     "test series at the data's amplitude and below.",
                     ("Volterra", "series where", "test inputs"), ["volterra"]),
        "memory": ("Memory: the decay of the first-order kernel and the time constants of "
                   "the drift linearised at the stationary mean.",
                   ("slowest", "linearised", "fitted", "memory"), ["memory"]),
        "robustness": ("Robustness to white input noise (in units of each channel's SD): the "
                       "output variance predicted from the kernel, s² Δ Σ|r1|², against "
                       "Monte Carlo of the mean output and the estimator's own outputs.",
                       ("noise", "clean", "test series"), ["robustness"])}
    # every number reaches metrics.json and the report: one no group names goes with the
    # kernels (the stationary-runs ratio was dropped, found by fuzzing)
    placed = tuple(k for _, keys, _ in groups.values() for k in keys)
    left = tuple(k for k in metrics if not k.startswith(placed))
    records = []
    for name, (text, keys, fig_names) in groups.items():
        keys = keys + left if name == "kernels" else keys
        records.append({"name": f"{prefix}{name}", "text": text,
                        "seconds": _seconds(res, name),
                        "metrics": {k: v for k, v in metrics.items() if k.startswith(keys)},
                        "figures": [figs[f] for f in fig_names],
                        "problems": list(res.problems_by_part.get(name, []))})
    return records


def _seconds(res: Any, name: str) -> float:
    s = res.seconds
    if name == "kernels":
        return s.get("plan", 0.0) + s.get("kernels", 0.0)
    if name == "volterra":
        return s.get("stationary pool", 0.0) + s.get("volterra", 0.0)
    return s.get(name, 0.0)


_OK_BOX = ("<div class='ok' id='problems'><strong>No problems found</strong> by the checks "
           "(the two estimators agree and resolve their kernels, the Volterra series converges "
           "at the data's amplitude, the kernel decays within its window, the robustness "
           "prediction is within a factor 2 of Monte Carlo).</div>")


def _flag_unseen(records: list[dict], unseen: dict) -> None:
    """The test series of classes absent from training, in the robustness record."""
    rec = next(r for r in records if r["name"] == "robustness")
    rec["metrics"].update(unseen)
    n = unseen["test series of classes absent from training"]
    names = ", ".join(repr(c) for c in unseen["classes absent from training"][:5])
    rec["problems"].append(f"{n} test series are of classes absent from the classifier's "
                           f"training ({names}): they are left out of the analysis and its "
                           "accuracies, which are on the other series.")


def _toml_value(value: Any) -> str:
    """A TOML literal for a plan value (numbers, strings, tuples of them): the tuples were
    written with repr, which TOML does not read (found by fuzzing)."""
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(float(value)) if isinstance(value, float) else str(value)


def write_analysis_report(res: Any, out: Path, model_path: str, data_path: str | None,
                          note: str = "", unseen: dict | None = None) -> Path:
    """``report.html``, ``metrics.json`` and ``analysis.toml`` (the sizes used) in ``out``;
    ``unseen``: the flags of test series whose classes the classifier never saw (metrics
    of the robustness stage and a line in its problems, as ``srnnkit fit`` flags them)."""
    from ._report import (
        _STYLE,
        atomic_write,
        problems,
        problems_section,
        stages_section,
        write_metrics,
    )

    records = analysis_records(res, out)
    if unseen:
        _flag_unseen(records, unseen)
    write_metrics(out, records)
    plan = res.plan
    settings = "\n".join(f"{k} = {_toml_value(v)}" for k, v in vars(plan).items()
                         if k != "work")
    atomic_write(out / "analysis.toml", settings + "\n")
    data = (f"test series from <code>{html.escape(data_path)}</code>{html.escape(note)}"
            if data_path else "white-noise test inputs (no --data)")
    head = (f"<h1>srnnkit analysis</h1><p>Generated by <code>srnnkit analyze</code> for "
            f"<code>{html.escape(model_path)}</code> ({html.escape(res.source)}, "
            f"{res.model.n_hidden} hidden units, {res.model.n_inputs} inputs, "
            f"{res.model.n_outputs} outputs, dt = {res.dt:g}); {data}. The network is "
            "analysed as the theory describes it: started in its stationary law. All "
            "numbers are also in <code>metrics.json</code>.</p>")
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>srnnkit analysis</title><style>{_STYLE}</style></head><body>", head,
             problems_section(records, out, "") if problems(records) else _OK_BOX,
             stages_section(records, out, ""),
             "<h2>Sample sizes</h2><pre>" + html.escape(settings) + "</pre>",
             "</body></html>"]
    path = out / "report.html"
    atomic_write(path, "\n".join(parts))
    return path
