"""Cost said up front: the issue's cases before/after, and the estimates against the clock.

1. ``VolterraSeries.from_model`` of a 32-unit tanh network (order 1, Girsanov): the default
   mean now (stationary runs sized like the call) against ``mean_paths=2000`` draws, and the
   estimate of the old default ``mean_paths=100_000`` (not run: minutes).
2. The README's ``simulate`` example (64 units, 2048 paths, 2000 steps): with its default
   burn-in and with ``burn_in=0``.
3. Estimates (rates measured on this machine) against measured times: median over rounds of
   estimate / measured for a panel of heavy calls, and the time the first estimate of each
   engine takes (its measurement).

Run under the shared lock: ``flock /tmp/srnnkit-bench.lock python benchmarks/bench_cost.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

import srnnkit as sk
from srnnkit import _cost
from srnnkit.features import LegendreBasis


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def issue_cases(rounds: int) -> None:
    R = sk.response
    net = sk.SRNN.random(32, 2, noise=0.3, seed=0)
    kw = dict(order=1, dt=0.01, n_lags=100, method="girsanov", seed=0)
    R.linear_response(net, dt=0.01, n_lags=10, method="girsanov", n_chains=2, n_steps=100)
    print("## 1. VolterraSeries.from_model(32-unit tanh, order=1, method='girsanov')")
    for label, extra in (("default (runs)", {}), ("mean_paths=2000", {"mean_paths": 2000})):
        t = timed(lambda e=extra: R.VolterraSeries.from_model(net, **kw, **e), rounds)
        est = sk.estimate_cost(R.VolterraSeries.from_model, net, **kw, **extra)
        print(f"| {label} | {t:.2f} s | estimate {est.seconds:.2f} s |")
    old = sk.estimate_cost(R.VolterraSeries.from_model, net, **kw, mean_paths=100_000)
    print(f"| mean_paths=100_000 (old default) | not run | estimate {old.seconds:.0f} s |")
    vs = R.VolterraSeries.from_model(net, **kw)
    print(f"default mean {vs.mean} +- {vs.mean_stderr}")

    print("## 2. README simulate example (64 units, 2048 paths, 2000 steps, n_jobs=-1)")
    model = sk.SRNN.random(64, 2, spectral_radius=0.9, noise=0.3, seed=0)
    t_ = np.arange(2000) * 0.01
    u = np.stack([np.sin(t_), np.cos(2 * t_)], axis=1)
    for label, extra in (("default burn-in", {}), ("burn_in=0", {"burn_in": 0}),
                         ("512 paths, default burn-in", {"n_paths": 512})):
        args = dict(dt=0.01, n_paths=2048, seed=1, n_jobs=-1)
        args.update(extra)
        t = timed(lambda a=args: sk.simulate(model, u, **a), rounds)
        est = sk.estimate_cost(sk.simulate, model, u, **args)
        print(f"| {label} | {t:.2f} s | estimate {est.seconds:.2f} s |")


def accuracy(rounds: int) -> None:
    R = sk.response
    rng = np.random.default_rng(0)
    X = 0.1 * rng.standard_normal((64, 150, 3))
    net8, net32 = (sk.SRNN.random(n, 2, noise=0.3, seed=0) for n in (8, 32))
    panel = {
        "simulate 16 units": (sk.simulate, (sk.SRNN.random(16, 2, seed=0), np.zeros((500, 2))),
                              dict(dt=0.01, n_paths=2048, seed=0, burn_in=500)),
        "simulate 64 units, 2 threads": (sk.simulate, (sk.SRNN.random(64, 2, seed=0),
                                                       np.zeros((500, 2))),
                                         dict(dt=0.01, n_paths=2048, seed=0, burn_in=500,
                                              n_jobs=2)),
        "perturbation 8 units": (R.linear_response, (net8,),
                                 dict(dt=0.01, n_lags=50, method="perturbation", n_paths=4096,
                                      seed=0, burn_in=1000)),
        "perturbation order 2": (R.second_order_response, (net8,),
                                 dict(dt=0.01, n_lags=8, method="perturbation", n_paths=2048,
                                      seed=0, burn_in=500)),
        "girsanov 32 units": (R.linear_response, (net32,),
                              dict(dt=0.01, n_lags=100, method="girsanov", seed=0)),
        "fdt 32 units": (R.linear_response, (net32,),
                         dict(dt=0.01, n_lags=100, method="fdt", n_chains=8, seed=0)),
        "girsanov order 2": (R.second_order_response, (net8,),
                             dict(dt=0.01, n_lags=20, method="girsanov", n_chains=8,
                                  n_steps=10_000, seed=0)),
        "from_model order 2, girsanov": (R.VolterraSeries.from_model, (net8,),
                                         dict(order=2, dt=0.01, n_lags=20, method="girsanov",
                                              n_chains=8, n_steps=10_000, seed=0)),
        "volterra_terms": (R.volterra_terms, (net8, np.ones((200, 2))),
                           dict(dt=0.01, n_paths=8192, seed=0, burn_in=500)),
        "signature_kernel": (sk.kernels.signature_kernel, (X,), {}),
        "signature_kernel dyadic 1": (sk.kernels.signature_kernel, (X[:32],),
                                      dict(dyadic_order=1)),
        "response_kernel": (sk.kernels.response_kernel, (X,),
                            dict(dt=0.01, basis=LegendreBasis(2, 1.5))),
        "signature depth 5": (sk.signature, (0.1 * rng.standard_normal((5000, 200, 3)), 5), {}),
        "response_features": (sk.response_features, (0.1 * rng.standard_normal((2000, 200, 2)),),
                              dict(dt=0.01, basis=LegendreBasis(2, 2.0), depth=3)),
    }
    print("## 3. estimate / measured (median of rounds; first estimate includes its measurement)")
    print("| call | measured s | estimate s | ratio | first estimate s |")
    for name, (fn, args, kwargs) in panel.items():
        fn(*args, **kwargs)                     # compiles what it needs
        t0 = time.perf_counter()
        est = sk.estimate_cost(fn, *args, **kwargs)
        t_first = time.perf_counter() - t0
        ratios, meas = [], []
        for _ in range(rounds):
            _cost._MEASURED.clear()             # a fresh measurement every round
            e = sk.estimate_cost(fn, *args, **kwargs).seconds
            t0 = time.perf_counter()
            fn(*args, **kwargs)
            m = time.perf_counter() - t0
            ratios.append(e / m)
            meas.append(m)
        print(f"| {name} | {statistics.median(meas):.3f} | {est.seconds:.3f} | "
              f"{statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}) | "
              f"{t_first:.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-issue", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore", sk.CostWarning)
    print(f"load average {os.getloadavg()}, cpus {os.cpu_count()}")
    if not args.skip_issue:
        issue_cases(args.rounds)
    accuracy(args.rounds)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
