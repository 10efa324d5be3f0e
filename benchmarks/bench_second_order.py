"""Second-order perturbation (double kicks with common random numbers): srnnkit against a
plain NumPy double-kick loop, side by side in one process.

Both compute the same estimator from the same starts and the same normals: the anchor
(``numpy_double_kicks`` below) steps every doubly kicked copy with NumPy, one step of all
copies at a time (the form srnnkit used before its copies moved to the compiled loops);
srnnkit runs the copies' unkicked steps in its compiled loop. Equal sizes, so the time ratio
is also the ratio of times to any accuracy; the estimates must agree to rounding (the
largest difference is printed in units of the standard error).

Cases: a 1-D tanh SRNN (V2 of the theory page, additive); a random 16-unit network with the
input inside the activation, 2 inputs and 3 outputs (the size of the network `srnnkit run`
trains); a random 64-unit network with the input inside the activation, 8 inputs and 10
outputs and a full leak (the size of the digits network of docs/trained.md), 8 lags.

Usage:  flock /tmp/srnnkit-bench.lock python benchmarks/bench_second_order.py [--rounds 5]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import srnnkit as sk  # noqa: E402
from srnnkit.dynamics import EulerStep, batch_moments, stationary_sampler  # noqa: E402

EPS = 1e-2


def numpy_double_kicks(model, dt, n_lags, n_paths, seed, burn_in, eps=EPS):
    """Plain NumPy: the library's stationary starts (child 0 of ``seed``, as its first
    block), then every step of every doubly kicked copy in NumPy, the normals drawn step by
    step. Returns (mean, stderr) of shape (n_lags, n_lags, m, m, p)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    h0 = stationary_sampler(model, dt, burn_in)(rng, n_paths, 0)
    step = EulerStep(model, dt)
    m, L = model.n_inputs, n_lags
    inside = model.input_mode == "activation" and not model.is_linear
    kick = eps * np.eye(m) if inside else eps * model.C.T
    sgn = np.array([1.0, -1.0])
    kb = sgn[:, None, None, None] * kick[None, :, None, :]
    ka = sgn[None, None, :, None, None, None] * kick[None, None, None, :, None, :]
    w = (sgn[:, None, None, None] * sgn[None, None, :, None]) / (4 * eps * eps)
    w = w * np.ones((2, m, 2, m)) / (dt * dt if inside else 1.0)
    S = np.empty((L, 2, m, 2, m, n_paths, model.n_hidden))
    vals = np.zeros((L, L, m, m, n_paths, model.n_outputs))
    base = h0[None, None] if inside else h0[None, None] + kb
    for t in range(2 * L - 1):
        g0, g1 = max(0, t - L + 1), min(t, L - 1) + 1
        if inside:
            xi = rng.standard_normal((n_paths, step.r))
            if min(t, L) > g0:
                S[g0:min(t, L)] = step(S[g0:min(t, L)], xi)
            if t < L:
                if t == 0:
                    S[0] = step(base[:, :, None, None], xi, u=kb[:, :, None, None] + ka)
                    base = step(base, xi, u=kb)
                else:
                    S[t] = step(base[:, :, None, None], xi, u=ka)
                    if t + 1 < L:
                        base = step(base, xi)
        elif t < L:
            S[t] = base[:, :, None, None] + ka
        f = model.output(S[g0:g1])
        gaps = np.arange(g0, g1)
        vals[t - gaps, gaps] = np.einsum("gsbtaBp,sbta->gabBp", f, w)
        if not inside and t + 1 < 2 * L - 1:
            xi = rng.standard_normal((n_paths, step.r))
            S[g0:g1] = step(S[g0:g1], xi)
            if t + 1 < L:
                base = step(base, xi)
    _, mean, m2 = batch_moments(vals, axis=4)
    return mean, np.sqrt(m2 / ((n_paths - 1) * n_paths))


def cases():
    v2 = sk.SRNN(W=[[0.8]], C=[[1.0]], sigma=0.5, gamma=1.0, b=[0.3])
    net16 = sk.SRNN.random(16, 2, n_outputs=3, seed=0, input_mode="activation",
                           bias_scale=0.3)
    rng = np.random.default_rng(1)
    net64 = sk.SRNN.random(64, 8, n_outputs=10, seed=1, input_mode="activation",
                           bias_scale=0.3)
    net64 = sk.SRNN(W=net64.W, C=net64.C, b=net64.b, sigma=net64.sigma,
                    gamma=np.eye(64) + 0.05 * rng.standard_normal((64, 64)),
                    readout=net64.readout.Q, input_mode="activation")
    return [("V2 (1-D, additive)", v2, 0.02, 30, 2000, 500),
            ("16 units, 2 inputs, 3 outputs, in the activation", net16, 0.1, 20, 256, 300),
            ("64 units, 8 inputs, 10 outputs, in the activation, full leak", net64, 0.5, 8,
             120, 300)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"# second-order perturbation  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, srnnkit "
          f"{sk.__version__}, {platform.machine()}, {os.cpu_count()} cores, one thread, "
          f"rounds={args.rounds}, load average {os.getloadavg()[0]:.2f} at start\n")
    print("| network | lags | paths | NumPy double kicks [s] | srnnkit [s] | speed-up | "
          "max difference, in SE |")
    print("|---|---|---|---|---|---|---|")
    for name, model, dt, L, N, burn in cases():
        kw = dict(dt=dt, n_lags=L, method="perturbation", n_paths=N, seed=3, eps=EPS,
                  burn_in=burn)
        sk.response.second_order_response(model, **dict(kw, n_paths=4))    # compile
        times = {"anchor": [], "srnnkit": []}
        for _ in range(args.rounds):                                      # interleaved
            t = time.perf_counter()
            mean, se = numpy_double_kicks(model, dt, L, N, 3, burn)
            times["anchor"].append(time.perf_counter() - t)
            t = time.perf_counter()
            est = sk.response.second_order_response(model, **kw)
            times["srnnkit"].append(time.perf_counter() - t)
        ta, ts = np.median(times["anchor"]), np.median(times["srnnkit"])
        ref = mean.transpose(0, 1, 4, 2, 3)
        scale = np.maximum(se.transpose(0, 1, 4, 2, 3), 1e-300)
        diff = np.abs(est.values - ref)[scale > 0] / scale[scale > 0]
        print(f"| {name} | {L} | {N} | {ta:.3f} | {ts:.3f} | {ta / ts:.2f}x | "
              f"{diff.max():.1e} |")


if __name__ == "__main__":
    main()
