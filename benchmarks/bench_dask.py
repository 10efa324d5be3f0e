"""Dask overhead and speed-up: W-SIM and W-KER on a 2-worker LocalCluster vs one process.

One process uses one thread; the cluster has two worker processes with one thread each. Same
seed, same numbers (asserted). Run:  python benchmarks/bench_dask.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

import srnnkit as sk


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    client = Client(cluster)
    model = sk.SRNN.random(64, 2, spectral_radius=0.9, noise=0.3, seed=0)
    t = np.arange(2000) * 0.01
    u = np.stack([np.sin(t), np.cos(2 * t)], axis=1)
    X = np.random.default_rng(0).standard_normal((64, 100, 3)) / np.sqrt(100)
    work = {
        "W-SIM simulate (2048 paths, 2000 steps)": lambda ex: sk.simulate(
            model, u, dt=0.01, n_paths=2048, seed=1, h0="zeros", executor=ex).mean,
        "W-KER signature_kernel 64x64 (dyadic 1)": lambda ex: sk.kernels.signature_kernel(
            X, dyadic_order=1, executor=ex, tile=16),
    }
    for fn in work.values():  # compile on the client and on the workers
        fn(None)
        fn(client)
    print("| workload | one process (s) | 2-worker LocalCluster (s) | speed-up |")
    print("|---|---|---|---|")
    for name, fn in work.items():
        t1, t2 = [], []
        for _ in range(args.rounds):
            a = time.perf_counter()
            r1 = fn(None)
            t1.append(time.perf_counter() - a)
            a = time.perf_counter()
            r2 = fn(client)
            t2.append(time.perf_counter() - a)
            assert np.array_equal(r1, r2)
        m1, m2 = statistics.median(t1), statistics.median(t2)
        print(f"| {name} | {m1:.3f} | {m2:.3f} | {m1 / m2:.2f} |")
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
