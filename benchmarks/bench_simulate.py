"""W-SIM: SRNN ensemble simulation, srnnkit vs a plain NumPy loop, JAX lax.scan and torchsde.

Workload (BENCHMARKS.md): n=64 hidden units, m=2 inputs, tanh, spectral radius 0.9,
sigma=0.3, u = (sin t, cos 2t), Euler-Maruyama dt=0.01, 2000 steps, 2048 paths, keep the
ensemble mean of the (linear, 1-output) readout at every step. Every implementation starts
from h=0 (no burn-in) and runs in this one process, interleaved (A B C A B C ...), median of
the rounds. ``--threads 1`` pins every library to one thread; ``--threads 2`` lets each use two.

Run:  python benchmarks/bench_simulate.py --threads 1 [--rounds 5] [--skip-torchsde]
      python benchmarks/bench_simulate.py --threads 2 --scaling   (n_jobs speed-up only)
      python benchmarks/bench_simulate.py --profile   (per-stage profile of the compiled loop)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--skip-torchsde", action="store_true")
parser.add_argument("--skip-jax", action="store_true")
parser.add_argument("--scaling", action="store_true",
                    help="only srnnkit at n_jobs=1, --threads and -1 (the thread speed-up)")
parser.add_argument("--memory", action="store_true", help="peak memory of save='mean' only")
parser.add_argument("--profile", action="store_true",
                    help="per-block profile of the compiled loop only (thread CPU time)")
args = parser.parse_args()

T = str(args.threads)
os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
                           if args.threads == 1 else "")
os.environ["NUMBA_NUM_THREADS"] = T

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import srnnkit as sk  # noqa: E402

N_HIDDEN, N_PATHS, N_STEPS, DT, SIGMA = 64, 2048, 2000, 0.01, 0.3
model = sk.SRNN.random(N_HIDDEN, 2, spectral_radius=0.9, noise=SIGMA, seed=0)
t = np.arange(N_STEPS) * DT
U = np.stack([np.sin(t), np.cos(2 * t)], axis=1)
W, C, Q, BIAS = model.W, model.C, model.readout.Q[0], model.b   # SRNN.random has a bias
CU = U @ C.T


def run_srnnkit(n_jobs=args.threads):
    tr = sk.simulate(model, U, dt=DT, n_paths=N_PATHS, seed=1, h0="zeros", n_jobs=n_jobs)
    return tr.mean[:, 0], tr.stderr[-1, 0]


def run_numpy():
    rng = np.random.default_rng(1)
    h = np.zeros((N_PATHS, N_HIDDEN))
    out = np.empty(N_STEPS + 1)
    out[0] = 0.0
    s = SIGMA * np.sqrt(DT)
    WT = W.T.copy()
    for j in range(N_STEPS):
        h = h + DT * (-h + np.tanh(h @ WT + BIAS) + CU[j]) + s * rng.standard_normal(
            (N_PATHS, N_HIDDEN))
        out[j + 1] = (h @ Q).mean()
    return out, (h @ Q).std(ddof=1) / np.sqrt(N_PATHS)


impls = {"srnnkit": run_srnnkit} if args.scaling else {"srnnkit": run_srnnkit,
                                                       "numpy loop": run_numpy}
if args.threads > 1:   # the speed-up over one thread, measured side by side
    impls["srnnkit n_jobs=1"] = lambda: run_srnnkit(1)
    impls["srnnkit n_jobs=-1"] = lambda: run_srnnkit(-1)

if not (args.skip_jax or args.scaling):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    jW, jCU, jQ, jb = jnp.asarray(W.T), jnp.asarray(CU), jnp.asarray(Q), jnp.asarray(BIAS)

    @jax.jit
    def _jax_sim(key):
        s = SIGMA * np.sqrt(DT)

        def step(carry, cu):
            h, key = carry
            key, sub = jax.random.split(key)
            h = h + DT * (-h + jnp.tanh(h @ jW + jb) + cu) + s * jax.random.normal(
                sub, h.shape, dtype=jnp.float64)
            return (h, key), (h @ jQ).mean()

        (_, _), means = jax.lax.scan(step, (jnp.zeros((N_PATHS, N_HIDDEN)), key), jCU)
        return means

    def run_jax():
        return np.asarray(_jax_sim(jax.random.PRNGKey(1)).block_until_ready()), np.nan

    run_jax()  # compile outside the timing
    impls["JAX lax.scan"] = run_jax

if not (args.skip_torchsde or args.scaling):
    import torch
    import torchsde

    torch.set_num_threads(args.threads)
    tW, tCU, tb = torch.tensor(W.T), torch.tensor(CU), torch.tensor(BIAS)
    tQ = torch.tensor(Q)

    class _SDE(torch.nn.Module):
        noise_type, sde_type = "diagonal", "ito"

        def f(self, s, h):
            j = min(int(float(s) / DT + 1e-6), N_STEPS - 1)
            return -h + torch.tanh(h @ tW + tb) + tCU[j]

        def g(self, s, h):
            return torch.full_like(h, SIGMA)

    def run_torchsde():
        torch.manual_seed(1)
        ts = torch.arange(N_STEPS + 1, dtype=torch.float64) * DT
        with torch.no_grad():
            ys = torchsde.sdeint(_SDE(), torch.zeros(N_PATHS, N_HIDDEN, dtype=torch.float64),
                                 ts, method="euler", dt=DT)
        return (ys @ tQ).mean(dim=1).numpy(), np.nan

    impls["torchsde"] = run_torchsde


def peak_memory(n_steps: int) -> float:
    u = np.stack([np.sin(np.arange(n_steps) * DT), np.cos(2 * np.arange(n_steps) * DT)], 1)
    tracemalloc.start()
    sk.simulate(model, u, dt=DT, n_paths=N_PATHS, seed=1, h0="zeros", n_jobs=args.threads)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def profile_block(reps: int = 1000) -> None:
    """Thread CPU microseconds per 256-path block and step of each stage of the compiled loop
    (the internal functions of ``dynamics/_em_loops.py``, each timed in its own loop)."""
    from numba import njit

    from srnnkit.dynamics import _em_loops as L
    from srnnkit.dynamics._rng import make_states
    from srnnkit.dynamics._spec import step_arrays

    st = step_arrays(model, DT)
    drift, noise, B, n = st.block_drift, st.noise, 256, N_HIDDEN
    nz = drift[0].shape[1]
    # states of a running ensemble (after 300 steps), so that the tanh sees its real arguments
    H0 = sk.simulate(model, U[:300], dt=DT, n_paths=B, seed=2, h0="zeros", save="states",
                     save_every=300).states[:, -1]
    H = H0.copy()
    scratch = (np.empty((B, nz)), np.zeros((B, nz)), np.empty((B, n)), np.empty((B, 1)),
               np.empty((B, n)), np.empty(n), np.zeros(3 * (n + 8)))
    cu, ones, QT = CU[0].copy(), np.ones(n), np.ascontiguousarray(model.readout.Q.T)
    state = make_states([np.random.SeedSequence(1)])[0]

    @njit(nogil=True, error_model="numpy")
    def stage(which, H, drift, noise, state, scratch, cu, ones, QT, reps):
        c = 0
        for _ in range(reps):
            if which == 0:
                L._step(H, drift, noise, state, scratch, cu, ones)
            elif which == 1:
                L._draw_normals(scratch[2], state)
            elif which == 2:
                L._product(H, drift[0], scratch[0])
            elif which == 3:
                L._em_update(H, scratch[0], scratch[1], scratch[2], noise[0], drift, cu,
                             scratch[6])
            elif which == 4:
                c += L.n_outside(H, 1e9)
            else:
                np.dot(H, QT, scratch[3])
        return c

    @njit
    def L_product(H, MT, Z):
        L._product(H, MT, Z)

    names = ["whole step (draws + product + update)", "normals (ziggurat, 16384 draws)",
             "product H W^T", "update (drift, tanh, noise)", "divergence check",
             "readout (BLAS)"]
    for which, name in enumerate(names):
        stage(which, H, drift, noise, state, scratch, cu, ones, QT, 1)
        ts = []
        for _ in range(5):
            H[:] = H0
            L_product(H, drift[0], scratch[0])
            t0 = time.thread_time()
            stage(which, H, drift, noise, state, scratch, cu, ones, QT, reps)
            ts.append(time.thread_time() - t0)
        print(f"| {name} | {min(ts) / reps * 1e6:.1f} |")


def main() -> None:
    print(f"# W-SIM  {platform.processor() or platform.machine()}  python {sys.version.split()[0]}"
          f"  numpy {np.__version__}  srnnkit {sk.__version__}  threads={args.threads}")
    with threadpool_limits(limits=args.threads):
        if args.profile:
            print("| stage (per 256-path block and step) | us |")
            print("|---|---|")
            profile_block()
            return
        if args.memory:
            peak_memory(50)  # warm up (compilation, caches)
            for n_steps in (2000, 20000):
                print(f"peak traced memory, save='mean', {n_steps} steps: "
                      f"{peak_memory(n_steps):.1f} MiB")
            return
        run_srnnkit()  # compile
        wall = {k: [] for k in impls}
        cpu = {k: [] for k in impls}
        results = {}
        for r in range(args.rounds):
            for name, fn in impls.items():
                if name == "torchsde" and r >= 3:
                    continue  # slow; three rounds suffice
                t0, c0 = time.perf_counter(), time.process_time()
                results[name] = fn()
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
        base = statistics.median(wall.get("numpy loop", wall["srnnkit"]))
        ref_name = "srnnkit" if args.scaling else "NumPy loop"
        print(f"| implementation | median s | ratio to {ref_name} | per-round ratios | "
              "CPU s (all threads) |")
        print("|---|---|---|---|---|")
        for name, ts in wall.items():
            med = statistics.median(ts)
            per = [t / b for t, b in zip(ts, wall.get("numpy loop", wall["srnnkit"]),
                                         strict=False)]
            print(f"| {name} | {med:.3f} | {med / base:.3f} | {min(per):.3f}-{max(per):.3f} "
                  f"| {statistics.median(cpu[name]):.3f} |")
        if "srnnkit n_jobs=1" in wall:
            one = wall["srnnkit n_jobs=1"]
            for name in ("srnnkit", "srnnkit n_jobs=-1"):
                two = wall[name]
                per = [a / b for a, b in zip(one, two, strict=True)]
                jobs = args.threads if name == "srnnkit" else -1
                print(f"# speed-up of n_jobs={jobs} over n_jobs=1: "
                      f"{statistics.median(one) / statistics.median(two):.2f}x "
                      f"(per round {min(per):.2f}-{max(per):.2f}x)")
        if args.scaling:    # the same seed: the same bits for every n_jobs
            same = all(np.array_equal(r[0], results["srnnkit"][0]) for r in results.values())
            print(f"# bit-identical means across n_jobs: {same}")
            return
        ref, ref_se = results["numpy loop"]
        for name, (res, se) in results.items():
            # different noise streams: the ensemble means agree statistically
            z = (res[-1] - ref[-1]) / np.hypot(se, ref_se) if np.isfinite(se) else np.nan
            print(f"# {name}: mean output at T = {res[-1]:+.4f} +- {se:.4f} "
                  f"(NumPy loop {ref[-1]:+.4f} +- {ref_se:.4f}; z = {z:+.2f})")

if __name__ == "__main__":
    main()
