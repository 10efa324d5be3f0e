"""W-TSC and W-FORECAST (BENCHMARKS.md): srnnkit.learning beside aeon MiniRocket and ReservoirPy.

Run (one thread per method, peers in the same process, interleaved over seeds)::

    python benchmarks/bench_learning.py tsc --seeds 5
    python benchmarks/bench_learning.py forecast --seeds 5

Peers: ``pip install aeon reservoirpy roughpy`` (aeon bundles the four UCR/UEA data sets
offline; roughpy is what aeon's SignatureClassifier needs).
Accuracy is reported as mean and standard deviation over seeds (MiniRocket, the reservoirs and
SRNNReservoir are random; the response-feature methods are deterministic), time as the median
fit + predict seconds.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
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
    SignatureTransformer,
    SRNNReservoir,
    sliding_windows,
)

ALPHAS = np.logspace(-3, 3, 13)
DATASETS = ["JapaneseVowels", "BasicMotions", "GunPoint", "ItalyPowerDemand"]


def load(name: str, split: str, pad_to: int = 0):
    """Ours: (n, L, m) or a list of (L_i, m); aeon: (n, m, L), edge-padded to ``pad_to``."""
    from aeon.datasets import load_classification

    X, y = load_classification(name, split=split)
    if isinstance(X, list):                                   # unequal lengths: (m, L_i)
        padded = np.stack([np.pad(np.asarray(x, float), ((0, 0), (0, pad_to - x.shape[1])),
                                  mode="edge") for x in X])
        return [np.asarray(x, float).T for x in X], padded, y
    return np.transpose(X, (0, 2, 1)).astype(float), X, y


def max_length(name: str) -> int:
    from aeon.datasets import load_classification

    return max(max(np.shape(x)[-1] for x in load_classification(name, split=s)[0])
               for s in ("train", "test"))


# ------------------------------------------------------------------ TSC methods
class ESNFeatures:
    """ReservoirPy reservoir run on each series from a reset state; last and mean state."""

    def __init__(self, units=200, pooling="both", seed=0):
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
    from aeon.classification.convolution_based import MiniRocketClassifier
    from aeon.classification.feature_based import SignatureClassifier

    def ridge():
        return RidgeClassifierCV(alphas=ALPHAS)

    return {
        "aeon MiniRocket": ("aeon", lambda: MiniRocketClassifier(random_state=seed)),
        "aeon SignatureClassifier": ("aeon", lambda: SignatureClassifier(random_state=seed)),
        "ReservoirPy ESN-200 last": ("ours", lambda: make_pipeline(
            ESNFeatures(200, "last", seed), StandardScaler(), ridge())),
        "ReservoirPy ESN-200 mean": ("ours", lambda: make_pipeline(
            ESNFeatures(200, "mean", seed), StandardScaler(), ridge())),
        "SRNNReservoir-200 both": ("ours", lambda: make_pipeline(
            SRNNReservoir(n_hidden=200, n_paths=4, pooling="both", random_state=seed),
            StandardScaler(), ridge())),
        "LinearSRNNClassifier": ("ours", lambda: LinearSRNNClassifier(random_state=seed)),
        "LinearSRNNClassifier noise=0.1": ("ours", lambda: LinearSRNNClassifier(
            noise=0.1, random_state=seed)),
        "ResponseFeatures d3 + ridge": ("ours", lambda: make_pipeline(
            ResponseFeatures(depth=3), StandardScaler(), ridge())),
        "SignatureTransformer d3 + ridge": ("ours", lambda: make_pipeline(
            SignatureTransformer(depth=3), StandardScaler(), ridge())),
        "ResponseKernelClassifier": ("ours", lambda: ResponseKernelClassifier(
            alphas=np.logspace(-6, 2, 9))),
    }


DETERMINISTIC = {"ResponseFeatures d3 + ridge", "SignatureTransformer d3 + ridge",
                 "ResponseKernelClassifier"}


def run_tsc(seeds: int, names: list[str], only: list[str] | None = None) -> None:
    print("\n## W-TSC: test accuracy (mean ± std over seeds), median fit+predict seconds\n")
    header = "| dataset | method | accuracy | seconds |"
    print(header + "\n|---|---|---|---|")
    for name in names:
        L = max_length(name)
        X, Xa, y = load(name, "train", L)
        Xt, Xta, yt = load(name, "test", L)
        acc, secs = defaultdict(list), defaultdict(list)
        for seed in range(seeds):                             # interleaved rounds
            for label, (layout, make) in tsc_methods(seed).items():
                if only and not any(o.lower() in label.lower() for o in only):
                    continue
                if label in DETERMINISTIC and seed >= 3:
                    continue                                  # deterministic: 3 timing rounds
                est = make()
                tr, te = (Xa, Xta) if layout == "aeon" else (X, Xt)
                t0 = time.perf_counter()
                est.fit(tr, y)
                a = float(np.mean(est.predict(te) == yt))
                secs[label].append(time.perf_counter() - t0)
                acc[label].append(a)
        for label in acc:
            a = np.array(acc[label])
            spread = "" if label in DETERMINISTIC else f" ± {a.std():.3f}"
            print(f"| {name} | {label} | {a.mean():.3f}{spread} | "
                  f"{np.median(secs[label]):.2f} |", flush=True)


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
    ap.add_argument("workload", choices=["tsc", "forecast", "all"])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--methods", default="",
                    help="comma-separated substrings of the method labels to run (default all)")
    args = ap.parse_args(argv)
    import aeon
    import reservoirpy
    import sklearn

    print(f"python {platform.python_version()}, numpy {np.__version__}, sklearn "
          f"{sklearn.__version__}, aeon {aeon.__version__}, reservoirpy "
          f"{reservoirpy.__version__}, srnnkit {sk.__version__}; {platform.machine()} "
          f"{os.cpu_count()} cores; one thread per method")
    print("command: python " + " ".join(sys.argv))
    with threadpool_limits(1):
        if args.workload in ("tsc", "all"):
            run_tsc(args.seeds, args.datasets.split(","),
                    [m for m in args.methods.split(",") if m])
        if args.workload in ("forecast", "all"):
            run_forecast(args.seeds)
            run_narma(args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
