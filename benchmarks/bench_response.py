"""W-RESP: statistical efficiency of the response-kernel estimators (BENCHMARKS.md).

For the linear SRNN of THEORY.md 9.1 (dt = 0.01) and the tanh SRNN of V2 (dt = 0.02), and
each estimator (perturbation with common random numbers, FDT, Girsanov), measure the standard
error reached on R(tau), tau in [0, 3], per second of compute, and the same for the contracted
second-order term of a step input (w = 1 on [0, 1), T = 2).

Protocol: one thread; ROUNDS interleaved rounds (A B C A B C ...), each estimator run once per
round with its own seed; wall time = median over rounds; the standard error is measured as the
spread of the estimates across rounds (RMS over lags of the per-lag standard deviation) and
compared with the estimator's own reported standard error.  Efficiency = 1 / (SE^2 * seconds):
the time to reach SE = 0.01 is seconds * (SE / 0.01)^2.  Exact references: the closed forms
(linear SRNN) and the grid transfer operator (tanh SRNN).

Usage:  python benchmarks/bench_response.py [--rounds 5] [--quick]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402

import srnnkit as sk  # noqa: E402

R = sk.response


def models():
    lin = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
                  gamma=[1, .8], activation="identity", readout=[[1, .5]])
    quad = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
                   gamma=[1, .8], activation="identity",
                   readout=sk.readouts.Quadratic([[1, .3], [.3, .5]]))
    tanh = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    return lin, quad, tanh


def first_order_cases(quick):
    lin, _, tanh = models()
    s = 0.5 if quick else 1.0
    cases = []
    ex_lin = R.linear_response(lin, dt=0.01, n_lags=301, discrete=True).values
    chain = R.GridChain(tanh, dt=0.02)
    ex_tanh = chain.linear_response(151).values
    for name, model, dt, nl, ex in [("linear (9.1)", lin, 0.01, 301, ex_lin),
                                    ("tanh (V2)", tanh, 0.02, 151, ex_tanh)]:
        cases.append((name, "perturbation", ex, dict(model=model, dt=dt, n_lags=nl,
                      method="perturbation", n_paths=int(4000 * s))))
        cases.append((name, "fdt", ex, dict(model=model, dt=dt, n_lags=nl, method="fdt",
                      n_chains=4, n_steps=int(50_000 * s))))
        if model is tanh:
            cases.append((name, "fdt (grid score)", ex, dict(
                model=model, dt=dt, n_lags=nl, method="fdt", n_chains=4,
                n_steps=int(50_000 * s), score=chain.conjugate_variable)))
        cases.append((name, "girsanov", ex, dict(model=model, dt=dt, n_lags=nl,
                      method="girsanov", n_chains=4, n_steps=int(50_000 * s))))
    return cases


def run_first(cases, rounds):
    times = {i: [] for i in range(len(cases))}
    ests = {i: [] for i in range(len(cases))}
    ses = {i: [] for i in range(len(cases))}
    for r in range(rounds):
        for i, (_, _, _, kw) in enumerate(cases):
            kw = dict(kw)
            model = kw.pop("model")
            t0 = time.perf_counter()
            rf = R.linear_response(model, seed=1000 + r, **kw)
            times[i].append(time.perf_counter() - t0)
            ests[i].append(rf.values[:, 0, 0])
            ses[i].append(rf.stderr[:, 0, 0])
    rows = []
    for i, (name, meth, ex, kw) in enumerate(cases):
        E = np.array(ests[i])
        t = float(np.median(times[i]))
        se_emp = float(np.sqrt(np.mean(E.std(axis=0, ddof=1) ** 2)))
        se_rep = float(np.sqrt(np.mean(np.array(ses[i]) ** 2)))
        bias = float(np.abs(E.mean(0) - ex[:, 0, 0]).max())
        samples = (kw.get("n_paths") or kw.get("n_chains", 0)) * (kw.get("n_steps")
                                                                   or kw["n_lags"])
        rows.append((name, meth, samples, t, se_emp, se_rep, bias))
    return rows


def second_order_rows(rounds, quick):
    """Contracted order-2 term V2 of the step input at T=2."""
    _, quad, tanh = models()
    s = 0.5 if quick else 1.0
    out = []
    # exact V2
    for name, model, dt, N in [("linear+quadratic (V1b)", quad, 0.05, 40),
                               ("tanh (V2)", tanh, 0.02, 100)]:
        w = np.zeros((N, 1))
        w[: N // 2] = 1.0
        if model is quad:
            exact = R.VolterraSeries.from_model(model, 2, dt=dt, n_lags=N,
                                                discrete=True).terms(w)[1, -1, 0]
        else:
            ch = R.GridChain(model, dt=dt)
            exact = R.VolterraSeries(ch.linear_response(N), ch.second_order_response(N),
                                     mean=ch.mean_output).terms(w)[1, -1, 0]
        runs = {
            "girsanov (Hermite, contracted)": partial(_hermite, model, w, dt,
                                                      int(40_000 * s)),
            "girsanov kernels, then contracted": partial(_kernel_route, model, w, dt, N,
                                                         int(25_000 * s)),
            "CRN direct, even part (eps=0.2)": partial(_even_part, model, w, dt, 0.2,
                                                       int(20_000 * s)),
        }
        res = {k: ([], [], []) for k in runs}
        for r in range(rounds):
            for k, fn in runs.items():
                t0 = time.perf_counter()
                v, se = fn(2000 + r)
                res[k][0].append(time.perf_counter() - t0)
                res[k][1].append(v)
                res[k][2].append(se)
        for k, (ts, vs, ses) in res.items():
            vs = np.array(vs)
            out.append((name, k, float(np.median(ts)), float(vs.std(ddof=1)),
                        float(np.nanmean(ses)) if not np.all(np.isnan(ses)) else np.nan,
                        float(abs(vs.mean() - exact)), float(exact)))
    return out


def _hermite(model, w, dt, n_paths, seed):
    res = R.volterra_terms(model, w, dt=dt, n_paths=n_paths, seed=seed)
    return res.terms[1, -1, 0], res.stderr[1, -1, 0]


def _kernel_route(model, w, dt, N, n_steps, seed):
    """Girsanov second-order kernel (long runs), contracted with w by VolterraSeries.terms."""
    r2 = R.second_order_response(model, dt=dt, n_lags=N, method="girsanov", n_chains=4,
                                 n_steps=n_steps, seed=seed)
    r1 = R.ResponseFunction(np.zeros((N, 1, 1)), dt=dt)
    return R.VolterraSeries(r1, r2, mean=[0.0]).terms(w)[1, -1, 0], np.nan


def _even_part(model, w, dt, eps, n_paths, seed):
    """[Y(eps) + Y(-eps)] / (2 eps^2) with common random numbers (bias O(eps^2))."""
    from srnnkit.response._montecarlo import crn_input_response

    d, _, _, _ = crn_input_response(model, w, dt, np.array([eps, -eps]), n_paths, seed, None)
    return (d[0, -1, 0] + d[1, -1, 0]) / (2 * eps * eps), np.nan


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"# W-RESP  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy "
          f"{scipy.__version__}, srnnkit {sk.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cores, one thread, rounds={args.rounds}")
    print("\n## First order, R(tau) on tau in [0, 3]\n")
    print("| SRNN | estimator | samples | time [s] | SE (measured, RMS over lags) | SE "
          "(reported) | max bias of mean | 1/(SE^2 s) | s to SE=0.01 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, meth, n, t, se, ser, bias in run_first(first_order_cases(args.quick), args.rounds):
        eff = 1 / (se * se * t) if se > 0 else float("inf")
        print(f"| {name} | {meth} | {n:.2g} | {t:.2f} | {se:.2e} | {ser:.2e} | {bias:.2e} | "
              f"{eff:.3g} | {t * (se / 0.01) ** 2:.3g} |")
    print("\n## Second order: contracted term V2 of the step input (w = 1 on [0, T/2), T = 2)\n")
    print("| SRNN | estimator | time [s] | SE (measured) | SE (reported) | |mean - exact| | "
          "exact V2 | s to SE=0.01 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, k, t, se, ser, bias, ex in second_order_rows(args.rounds, args.quick):
        print(f"| {name} | {k} | {t:.2f} | {se:.2e} | {ser:.2e} | {bias:.2e} | {ex:.5f} | "
              f"{t * (se / 0.01) ** 2:.3g} |")


if __name__ == "__main__":
    main()
