"""GPU (device="cuda") check and benchmarks: correctness against the CPU, then W-SIM, W-SIG, W-KER.

Prepared for a session with a GPU; runs unchanged there (it never sets NUMBA_ENABLE_CUDASIM;
under the simulator it still runs with ``--quick``, for a smoke test only).

1. Correctness (always first; the script exits non-zero on a failure):
   signatures, response features, signature / response kernel Grams against the CPU
   (rtol 1e-12), the OU ensemble mean against its closed form (4 standard errors), and the
   launch-configuration independence of the simulation.
2. W-SIM (BENCHMARKS.md): n=64, m=2, tanh, spectral radius 0.9, sigma=0.3,
   u=(sin t, cos 2t), dt=0.01, 2000 steps, 65,536 paths on the GPU (save="mean"); the CPU
   row runs 2048 paths (one thread and all threads) and the table compares path-steps/s.
3. W-SIG: (1) 256 paths x 500 points x 4 channels, depth 5; (2) 64 x 200 x 8, depth 4:
   srnnkit GPU vs srnnkit CPU (1 thread) vs pysiglib on CUDA tensors (if torch with CUDA and
   pysiglib built with CUDA are installed).
4. W-KER: 64 x 64 Gram, length 100, 3 channels, linear static kernel, dyadic order 0 and 1:
   srnnkit GPU vs CPU (all threads) vs pysiglib CUDA.

Timings are wall-clock medians of ``--rounds`` runs after one warm-up (compilation) run,
interleaved; GPU times include the host<->device transfers (the functions take and return
NumPy arrays).  Prints a markdown table.

Run:  python benchmarks/bench_cuda.py [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

import srnnkit as sk
from srnnkit.features import MonomialBasis
from srnnkit.kernels import response_kernel, signature_kernel

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
parser.add_argument("--skip", default="", help="comma list of: sim,sig,ker")
args = parser.parse_args()
QUICK = args.quick
SKIP = set(filter(None, args.skip.split(",")))


def timeit(cases: dict, rounds: int) -> dict:
    """Warm up each case once, then ``rounds`` interleaved timings; medians."""
    out = {}
    for name, f in cases.items():
        out[name] = [f()]
    times = {k: [] for k in cases}
    for _ in range(rounds):
        for name, f in cases.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return {k: (statistics.median(v), out[k][0]) for k, v in times.items()}


def check(name: str, ok: bool, detail: str) -> bool:
    print(f"- [{'ok' if ok else 'FAIL'}] {name}: {detail}", flush=True)
    return ok


def correctness() -> bool:
    rng = np.random.default_rng(0)
    ok = True
    X = rng.normal(size=(16, 50, 3) if not QUICK else (2, 5, 3)) * 0.3
    for depth, stream in ((4, False), (3, True)):
        g = sk.signature(X, depth, stream=stream, device="cuda")
        c = sk.signature(X, depth, stream=stream)
        err = np.abs(g - c).max() / np.abs(c).max()
        ok &= check(f"signature depth {depth} stream={stream}", err < 1e-12, f"rel err {err:.1e}")
    u = rng.normal(size=(8, 40, 2) if not QUICK else (2, 4, 2))
    g = sk.response_features(u, dt=0.05, basis=MonomialBasis(2), depth=3, refine=2,
                             device="cuda")
    c = sk.response_features(u, dt=0.05, basis=MonomialBasis(2), depth=3, refine=2)
    err = np.abs(g - c).max() / np.abs(c).max()
    ok &= check("response_features", err < 1e-12, f"rel err {err:.1e}")
    for static, lev in (("linear", 0), ("linear", 2), ("rbf", 1)):
        Xk = np.cumsum(rng.normal(size=(12, 60, 3) if not QUICK else (2, 5, 3)) * 0.1,
                       axis=1)
        g = signature_kernel(Xk, static=static, dyadic_order=lev, device="cuda")
        c = signature_kernel(Xk, static=static, dyadic_order=lev, n_jobs=-1)
        err = np.abs(g / c - 1).max()
        ok &= check(f"signature_kernel {static} dyadic {lev}", err < 1e-12, f"rel err {err:.1e}")
    Xl = np.cumsum(rng.normal(size=(3, 1500 if not QUICK else 40, 2)) * 0.02,
                   axis=1)     # > 1024: tiled diagonals
    g = signature_kernel(Xl, device="cuda")
    c = signature_kernel(Xl)
    err = np.abs(g / c - 1).max()
    ok &= check("signature_kernel length 1500", err < 1e-12, f"rel err {err:.1e}")
    U = rng.normal(size=(10, 30, 2) if not QUICK else (2, 4, 2))
    for kw in (dict(dyadic_order=1), dict(refine=2, dyadic_order=1)):
        g = response_kernel(U, dt=0.05, basis=MonomialBasis(2), device="cuda", **kw)
        c = response_kernel(U, dt=0.05, basis=MonomialBasis(2), n_jobs=-1, **kw)
        err = np.abs(g / c - 1).max()
        ok &= check(f"response_kernel {kw}", err < 1e-12, f"rel err {err:.1e}")
    # OU ensemble mean vs the Euler-Maruyama closed form (docs/theory.md §9.1 model)
    model = sk.SRNN(W=[[0.0, 0.5], [-0.3, 0.0]], C=[[1.0], [0.5]],
                    sigma=[[0.6, 0.0], [0.2, 0.5]], gamma=[1.0, 0.8], activation="identity")
    dt, L = 0.01, (300 if not QUICK else 10)
    uu = np.sin(0.05 * np.arange(L))[:, None]
    tr = sk.simulate(model, uu, dt=dt, n_paths=65536 if not QUICK else 64, seed=1,
                     device="cuda")
    m = np.zeros((L + 1, 2))
    P = np.eye(2) - dt * model.A
    for t in range(L):
        m[t + 1] = P @ m[t] + dt * (model.C @ uu[t])
    z = np.abs(tr.mean - m) / tr.stderr
    ok &= check("simulate OU mean vs closed form", bool(z.max() < 4.5),
                f"max |z| = {z.max():.2f} over {z.size} values (4 SE expected max ~3.5)")
    cpu = sk.simulate(model, uu, dt=dt, n_paths=8192, seed=1, n_jobs=-1)
    z = np.abs(tr.mean - cpu.mean) / np.hypot(tr.stderr, cpu.stderr)
    ok &= check("simulate OU mean GPU vs CPU", bool(z.max() < 4.5), f"max |z| = {z.max():.2f}")
    tanh = sk.SRNN.random(16, 2, noise=0.3, seed=0)
    u2 = rng.normal(size=(100 if not QUICK else 10, 2))
    kw = dict(dt=0.01, n_paths=1000 if not QUICK else 20, seed=3, burn_in=50 if not QUICK
              else 3, save="paths", device="cuda")
    a = sk.simulate(tanh, u2, **kw)
    os.environ.update(SRNNKIT_CUDA_PATHS_PER_BLOCK="3", SRNNKIT_CUDA_WINDOW="17",
                      SRNNKIT_CUDA_MAX_BLOCKS="5", SRNNKIT_CUDA_UNIT_THREADS="5")
    try:
        b = sk.simulate(tanh, u2, **kw)
    finally:
        for k in ("PATHS_PER_BLOCK", "WINDOW", "MAX_BLOCKS", "UNIT_THREADS"):
            os.environ.pop(f"SRNNKIT_CUDA_{k}", None)
    same = np.array_equal(a.outputs, b.outputs)
    ok &= check("simulate independent of launch configuration", same,
                "bit-identical outputs" if same else "outputs differ")
    return ok



def w_sim(rounds: int) -> list[str]:
    n_paths_gpu = 64 if QUICK else 65536
    n_steps = 5 if QUICK else 2000
    model = sk.SRNN.random(8 if QUICK else 64, 2, spectral_radius=0.9, noise=0.3, seed=0)
    t = np.arange(n_steps) * 0.01
    U = np.stack([np.sin(t), np.cos(2 * t)], axis=1)
    cases = {
        "gpu": lambda: sk.simulate(model, U, dt=0.01, n_paths=n_paths_gpu, seed=1,
                                   h0="zeros", device="cuda"),
        "cpu1": lambda: sk.simulate(model, U, dt=0.01, n_paths=2048, seed=1, h0="zeros"),
        "cpuN": lambda: sk.simulate(model, U, dt=0.01, n_paths=2048, seed=1, h0="zeros",
                                    n_jobs=-1),
    }
    res = timeit(cases, rounds)
    g, c1, cn = res["gpu"][0], res["cpu1"][0], res["cpuN"][0]
    ps = lambda sec, n: n * n_steps / sec  # noqa: E731
    return ["| W-SIM | GPU paths | GPU (s) | CPU 1 thread, 2048 paths (s) | CPU all threads (s) "
            "| path-steps/s GPU | GPU / CPU-1 throughput | GPU / CPU-all throughput |",
            "|---|---|---|---|---|---|---|---|",
            f"| n={model.n_hidden}, {n_steps} steps | {n_paths_gpu} | {g:.3f} | {c1:.3f} "
            f"| {cn:.3f} "
            f"| {ps(g, n_paths_gpu):.3g} | {ps(g, n_paths_gpu) / ps(c1, 2048):.1f}x "
            f"| {ps(g, n_paths_gpu) / ps(cn, 2048):.1f}x |"]


def _pysiglib_cuda():
    try:
        import pysiglib
        import torch
    except ImportError:
        return None, None
    if not (torch.cuda.is_available() and getattr(pysiglib, "BUILT_WITH_CUDA", False)):
        return None, None
    return pysiglib, torch


def w_sig(rounds: int) -> list[str]:
    pysiglib, torch = _pysiglib_cuda()
    rng = np.random.default_rng(0)
    lines = ["| W-SIG | srnnkit GPU (s) | srnnkit CPU 1 thread (s) | pysiglib CUDA (s) "
             "| CPU / GPU | pysiglib / srnnkit GPU |", "|---|---|---|---|---|---|"]
    shapes = [((256, 500, 4), 5), ((64, 200, 8), 4)]
    if QUICK:
        shapes = [((2, 5, 4), 3)]
    for shape, depth in shapes:
        X = rng.normal(size=shape) * 0.1
        cases = {"gpu": lambda X=X, depth=depth: sk.signature(X, depth, device="cuda"),
                 "cpu": lambda X=X, depth=depth: sk.signature(X, depth)}
        if pysiglib is not None:
            Xt = torch.tensor(X, device="cuda")

            def ps(Xt=Xt, depth=depth):
                out = pysiglib.sig(Xt, depth)
                torch.cuda.synchronize()
                return out
            cases["pysiglib"] = ps
        res = timeit(cases, rounds)
        tp = res["pysiglib"][0] if "pysiglib" in res else float("nan")
        tg, tc = res["gpu"][0], res["cpu"][0]
        lines.append(f"| {shape}, depth {depth} | {tg:.4f} | {tc:.4f} | {tp:.4f} "
                     f"| {tc / tg:.1f} | {tp / tg:.2f} |")
        print(lines[-1], flush=True)
    return lines


def w_ker(rounds: int) -> list[str]:
    pysiglib, torch = _pysiglib_cuda()
    rng = np.random.default_rng(0)
    n, L = (2, 6) if QUICK else (64, 100)
    X = np.ascontiguousarray(np.cumsum(rng.normal(size=(n, L, 3)) * 0.1, axis=1))
    lines = ["| W-KER dyadic order | srnnkit GPU full (s) | srnnkit GPU symmetric (s) "
             "| srnnkit CPU all threads (s) | pysiglib CUDA (s) | CPU / GPU | pysiglib / GPU |",
             "|---|---|---|---|---|---|---|"]
    for lev in (0, 1):
        cases = {"gpu": lambda lev=lev: signature_kernel(X, X, dyadic_order=lev, device="cuda"),
                 "gpu_sym": lambda lev=lev: signature_kernel(X, dyadic_order=lev,
                                                             device="cuda"),
                 "cpu": lambda lev=lev: signature_kernel(X, X, dyadic_order=lev, n_jobs=-1)}
        if pysiglib is not None:
            Xt = torch.tensor(X, device="cuda")

            def ps(Xt=Xt, lev=lev):
                out = pysiglib.sig_kernel_gram(Xt, Xt, dyadic_order=lev)
                torch.cuda.synchronize()
                return out
            cases["pysiglib"] = ps
        res = timeit(cases, rounds)
        tp = res["pysiglib"][0] if "pysiglib" in res else float("nan")
        tg, ts, tc = res["gpu"][0], res["gpu_sym"][0], res["cpu"][0]
        lines.append(f"| {lev} | {tg:.4f} | {ts:.4f} | {tc:.4f} | {tp:.4f} | {tc / tg:.1f} "
                     f"| {tp / tg:.2f} |")
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    from numba import cuda

    if not cuda.is_available():
        print("numba.cuda.is_available() is False: no GPU (set NUMBA_ENABLE_CUDASIM=1 and "
              "pass --quick for a simulator smoke test).")
        return 2
    sim = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    dev = "CUDA simulator" if sim else cuda.get_current_device().name
    dev = dev.decode() if isinstance(dev, bytes) else dev
    print(f"# srnnkit device='cuda' benchmark\n\ndevice: {dev}; host: {platform.processor()} "
          f"({os.cpu_count()} cores); python {sys.version.split()[0]}; numpy {np.__version__}; "
          f"numba {__import__('numba').__version__}; command: {' '.join(sys.argv)}\n")
    print("## correctness\n")
    if not correctness():
        print("\ncorrectness FAILED: timings skipped")
        return 1
    rounds = 1 if sim else args.rounds
    print("\n## timings (median of", rounds, "rounds, after a warm-up run)\n")
    lines = []
    if "sim" not in SKIP:
        lines += [*w_sim(rounds), ""]
    if "sig" not in SKIP:
        lines += [*w_sig(rounds), ""]
    if "ker" not in SKIP:
        lines += w_ker(rounds)
    print("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
