"""W-SIG benchmark: truncated signatures, srnnkit vs pysiglib / iisignature / NumPy.

Workloads (BENCHMARKS.md, float64, one thread):
  (1) 256 paths, length 500, 4 channels, depth 5
  (2) 64 paths, length 200, 8 channels, depth 4
the same shapes with stream=True (every prefix signature; fewer paths, since the output
is (length - 1) times larger), response features vs signature() of an explicitly built
tensor path, and two threads against one.

Peers run side by side in one process, interleaved (A B C A B C ...), median of the
rounds, after one warm-up call each (compilation, caches); results are checked to agree
before timing. Both wall-clock and process CPU time are recorded: on a shared machine
the CPU time is the steadier of the two. pysiglib has no stream mode: its stream is the
fastest way to get every prefix with it, one ``sig_join`` per point on the whole batch.
Run (under the shared benchmark lock):

    flock /tmp/srnnkit-bench.lock python benchmarks/bench_signatures.py [--rounds 11]
        [--output benchmarks/signatures.md]
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import datetime
import platform
import time
from collections.abc import Callable

import numba
import numpy as np

import srnnkit as sk
from srnnkit.features import MonomialBasis, response_features, tensor_path
from srnnkit.signatures import _signature

WORKLOADS = [(256, 500, 4, 5), (64, 200, 8, 4)]
STREAM_WORKLOADS = [(32, 500, 4, 5), (16, 200, 8, 4)]
GOAL = 0.77  # W-SIG: srnnkit <= 0.77x pysiglib's time


NOTES = """
## Notes (development measurements, 2026-11-30, this machine, CPU time / pysiglib's)

- Before this round (commit a8f0d70, general loops only; same script, 11 rounds, load 6):
  workload (1) 1.20, workload (2) 1.36, stream=True 0.69 and 0.70. The older script at the
  start of the session (load 0.4): 1.26 and 1.08.
- What paid, in order: (i) the update generated as LLVM IR per (channels, depth)
  (`signatures/_codegen.py`, through a Numba intrinsic): constant trip counts and offsets,
  no alias checks, Horner intermediates of up to 8 vectors kept in registers, short steps
  unrolled; (ii) a 64-byte aligned workspace with every level padded to a vector boundary
  (unaligned, the same code swung between 0.35 and 0.58 from run to run); (iii) 64-byte
  vectors where the CPU has AVX-512 (32-byte ones: 14.0 ms and 4.6 ms instead of about
  12.5 and 3.8 ms); (iv) one `llvm.fmuladd` per entry (the general loops alone: 1.17 ->
  1.06 and 1.20 -> 1.05); (v) for stream=True, the overflow check on the last prefix only
  (an overflowed entry stays non-finite in every later prefix): it was a second pass over
  the whole output, 24 of 67 ms on the first stream workload.
- What did not pay: lexicographic layout with the channel count a compile-time constant
  (LLVM vectorised across words with shuffles: 1.6x and 2.1x pysiglib's time); the general
  loops with (channels, depth) as closure constants (0.88, 0.66: the level loops stay
  run-time loops); Numba source generated per (channels, depth) (0.49-0.51 and 0.55-0.71,
  but 2-13 s to compile each pair, mostly in Numba's front end; the IR route compiles in
  0.4-2.7 s) and the same with the letter loop not unrolled (0.83, 1.05); blocks of 8
  segments instead of 4 for the top level, and reusing each loaded bracket vector for 2-8
  letters (both within noise: the top level runs from L1/L2 at about one 64-byte FMA per
  cycle); the generated update without registers or alignment (0.86, 0.74).
- Profile of the generated update (CPU ms, one thread, by leaving parts out): workload (1)
  10.7 in all, 3.7 of it the top level (1024 entries per segment, blocked), 5.6 the lower
  levels, 0.5 neither; workload (2) 3.35, 2.2 the top level (4096 entries), 1.2 the lower
  levels, 0.3 neither.
- pysiglib's own time on workload (2) is bimodal from process to process (5.6-6.3 ms or
  6.8-8.9 ms), so its ratio ranges 0.51-0.64 over runs; srnnkit's time is steady
  (3.2-4.0 ms). Over the development runs: workload (1) 0.34-0.38, streams 0.41-0.55.
- stream=True writes (length - 1) x dim entries: the memory floor row (allocate and fill
  an array of the output's size) is most of the time; srnnkit is within 1.3-1.4x of it.
- Threads: a second thread costs 11-22 % more CPU time in total (4-15 % with 32-byte
  vectors: the AVX-512 clock drops when both cores run it; thread start-up), so two free
  cores give at best about 1.7x; measured 1.3-1.65x on workload (1) and 1.65x on 1024 such
  paths when the other core was free (it often was not), 1.33x at best on workload (2)
  (3.4 ms in all). The loops before this round scaled better (1.8x) but were 3.6x
  slower on one thread.
- signax and signatory were not installed (signatory needs a matching torch build, signax
  needs JAX): skipped as the brief allows.
"""


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or "?"


def load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def horner_flops(d: int, depth: int, n_segments: int) -> float:
    """Floating-point operations of the per-segment Horner scheme (one mul + one add per
    entry written): 2 * (d + sum_{n=2}^{N} sum_{j=1}^{n-1} d^(j+1)) per segment."""
    per = d + sum(d ** (j + 1) for n in range(2, depth + 1) for j in range(1, n))
    return 2.0 * per * n_segments


def numpy_horner(paths: np.ndarray, depth: int) -> np.ndarray:
    """Batch-vectorised NumPy Horner reference (the BENCHMARKS.md baseline)."""
    B, L, d = paths.shape
    levels = [np.zeros((B, d**k)) for k in range(1, depth + 1)]
    for t in range(L - 1):
        x = paths[:, t + 1] - paths[:, t]
        for n in range(depth, 1, -1):
            acc = x / n
            for j in range(1, n - 1):
                acc = ((acc + levels[j - 1])[:, :, None] * (x / (n - j))[:, None, :]).reshape(B, -1)
            levels[n - 1] += ((acc + levels[n - 2])[:, :, None] * x[:, None, :]).reshape(B, -1)
        levels[0] += x
    return np.concatenate(levels, axis=1)


def general_loops(x: np.ndarray, depth: int, **kw: object) -> np.ndarray:
    """srnnkit with its general loops only (the update generated per (d, depth) switched off;
    versions before it have only the general loops)."""
    old = getattr(_signature, "FIXED_MIN_WORK", None)
    if old is None:
        return sk.signature(x, depth, **kw)
    _signature.FIXED_MIN_WORK = 10**30
    try:
        return sk.signature(x, depth, **kw)
    finally:
        _signature.FIXED_MIN_WORK = old


def pysiglib_stream(x: np.ndarray, depth: int) -> np.ndarray:
    """Every prefix signature with pysiglib: sig of the first segment, then sig_join per point
    (its output carries the scalar term in column 0)."""
    import pysiglib

    B, L, d = x.shape
    out = np.empty((B, L - 1, pysiglib.sig_length(d, depth, scalar_term=True)))
    steps = np.diff(x, axis=1)
    incs = [np.ascontiguousarray(steps[:, t]) for t in range(L - 1)]
    s = pysiglib.sig(np.ascontiguousarray(x[:, :2]), depth, scalar_term=True, n_jobs=1)
    out[:, 0] = s
    for t in range(1, L - 1):
        s = pysiglib.sig_join(s, incs[t], d, depth, n_jobs=1)
        out[:, t] = s
    return out


def peers() -> dict[str, Callable | None]:
    out: dict[str, Callable | None] = {}
    try:
        import torch

        torch.set_num_threads(1)
        import pysiglib

        out["pysiglib " + getattr(pysiglib, "__version__", "?")] = (
            lambda x, n: pysiglib.sig(x, n, n_jobs=1))
    except Exception:  # pragma: no cover - optional peer
        out["pysiglib (not installed)"] = None
    try:
        import iisignature

        out["iisignature " + iisignature.version()] = lambda x, n: iisignature.sig(x, n)
    except Exception:  # pragma: no cover
        out["iisignature (not installed)"] = None
    for name in ("signax", "signatory"):
        try:
            __import__(name)
        except Exception:
            out[f"{name} (not installed: skipped)"] = None
    return out


def bench(funcs: dict[str, Callable[[], object]], rounds: int) -> dict[str, dict[str, float]]:
    for f in funcs.values():  # warm-up (compilation, caches)
        f()
    wall: dict[str, list[float]] = {k: [] for k in funcs}
    cpu: dict[str, list[float]] = {k: [] for k in funcs}
    for _ in range(rounds):
        for k, f in funcs.items():
            w0, c0 = time.perf_counter(), time.process_time()
            f()
            cpu[k].append(time.process_time() - c0)
            wall[k].append(time.perf_counter() - w0)
    return {k: {"wall": float(np.median(wall[k])), "wall_min": float(np.min(wall[k])),
                "cpu": float(np.median(cpu[k])), "cpu_min": float(np.min(cpu[k]))}
            for k in funcs}


def agree(name: str, other: np.ndarray, ref: np.ndarray) -> None:
    err = np.abs(other - ref).max() / np.abs(ref).max()
    assert err < 1e-12, (name, err)


def table(emit: Callable[[str], None], res: dict[str, dict[str, float]], base: str,
          flops: float | None, missing: list[str]) -> None:
    b = res[base]
    emit("| implementation | wall median [ms] | CPU median [ms] | CPU min [ms] "
         f"| time / {base.split()[0].rstrip(',')} (CPU median) | (CPU min) |"
         + (" GFlop/s per core |" if flops else ""))
    emit("|---|---:|---:|---:|---:|---:|" + ("---:|" if flops else ""))
    for k, r in res.items():
        emit(f"| {k} | {1e3 * r['wall']:.1f} | {1e3 * r['cpu']:.1f} | {1e3 * r['cpu_min']:.1f} "
             f"| {r['cpu'] / b['cpu']:.2f} | {r['cpu_min'] / b['cpu_min']:.2f} |"
             + (f" {flops / r['cpu'] / 1e9:.1f} |" if flops else ""))
    for name in missing:
        emit(f"| {name} | - | - | - | - | - |" + (" - |" if flops else ""))
    emit()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--output", default=None, help="write the markdown report here")
    ap.add_argument("--no-numpy", action="store_true", help="skip the slow NumPy reference")
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass

    lines: list[str] = []

    def emit(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    ps = peers()
    versions = ", ".join(k for k, f in ps.items() if f is not None)
    try:
        import torch

        versions += f", torch {torch.__version__}"
    except ImportError:  # pragma: no cover
        pass
    emit("# Signature benchmarks (W-SIG)")
    emit()
    emit(f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    emit(f"- command: `flock /tmp/srnnkit-bench.lock python benchmarks/bench_signatures.py "
         f"--rounds {args.rounds}" + (" --no-numpy" if args.no_numpy else "") + "`")
    emit(f"- machine: {platform.machine()}, {os.cpu_count()} cores ({cpu_model()})"
         f", Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}"
         f"; peers: {versions}")
    emit(f"- load average at the start (1, 5, 15 min): {load()}")
    emit("- threads: one (NUMBA_NUM_THREADS=1, threadpoolctl limit 1, torch.set_num_threads(1), "
         "pysiglib n_jobs=1, srnnkit n_jobs=None)")
    emit(f"- timing: interleaved rounds, median of {args.rounds}; wall clock and process CPU "
         "time (the machine is shared, CPU time is the steadier number)")
    emit(f"- ratio column: CPU time / pysiglib's; the W-SIG goal is srnnkit <= {GOAL}")
    emit("- `srnnkit` is the default call; `srnnkit, general loops` the same with the update "
         "generated per (channels, depth) switched off (what small batches use)")
    emit("- GFlop/s per core: Horner operation count 2*(d + sum_{n=2..N} sum_{j=1..n-1} "
         "d^(j+1)) per segment, the same count for every library (so it is proportional "
         "to speed), divided by the CPU time")
    emit()

    rng = np.random.default_rng(0)
    pname = next((k for k, f in ps.items() if f is not None and k.startswith("pysiglib")), None)
    missing = [k for k, f in ps.items() if f is None]
    for B, L, d, N in WORKLOADS:
        x = rng.standard_normal((B, L, d))
        funcs: dict[str, Callable[[], object]] = {
            "srnnkit": lambda x=x, N=N: sk.signature(x, N),
            "srnnkit, general loops": lambda x=x, N=N: general_loops(x, N)}
        for name, f in ps.items():
            if f is not None:
                funcs[name] = (lambda f=f, x=x, N=N: f(x, N))
        if not args.no_numpy:
            funcs["NumPy Horner (batch-vectorised)"] = lambda x=x, N=N: numpy_horner(x, N)
        ref = sk.signature(x, N)
        assert np.array_equal(general_loops(x, N), ref)
        for name, f in ps.items():
            if f is not None:
                agree(name, np.asarray(f(x, N)), ref)
        res = bench(funcs, args.rounds)
        emit(f"## ({B} paths, length {L}, {d} channels, depth {N})")
        emit()
        table(emit, res, pname or "srnnkit", horner_flops(d, N, L - 1) * B, missing)

    stream_section(emit, rng, ps, args.rounds)
    prefix_section(emit, rng, args.rounds)
    features_section(emit, rng, args.rounds)
    threads_section(emit, rng, args.rounds)
    emit(f"- load average at the end (1, 5, 15 min): {load()}")
    emit()
    for line in NOTES.strip().splitlines():
        emit(line)
    emit()
    if args.output:
        with open(args.output, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


def stream_section(emit: Callable[[str], None], rng: np.random.Generator,
                   ps: dict[str, Callable | None], rounds: int) -> None:
    for B, L, d, N in STREAM_WORKLOADS:
        x = rng.standard_normal((B, L, d))
        ref = sk.signature(x, N, stream=True)
        assert np.array_equal(general_loops(x, N, stream=True), ref)
        funcs: dict[str, Callable[[], object]] = {
            "srnnkit stream=True": lambda x=x, N=N: sk.signature(x, N, stream=True),
            "srnnkit stream=True, general loops":
                lambda x=x, N=N: general_loops(x, N, stream=True)}
        base = "srnnkit stream=True"
        if any(k.startswith("pysiglib") and f is not None for k, f in ps.items()):
            agree("pysiglib", pysiglib_stream(x, N)[..., 1:], ref)
            base = "pysiglib, sig_join per point"
            funcs[base] = lambda x=x, N=N: pysiglib_stream(x, N)
        if any(k.startswith("iisignature") and f is not None for k, f in ps.items()):
            import iisignature

            agree("iisignature", iisignature.sig(x, N, 2), ref)
            funcs[f"iisignature {iisignature.version()} format 2"] = (
                lambda x=x, N=N: iisignature.sig(x, N, 2))
        funcs["memory floor: allocate and fill the output"] = (
            lambda s=ref.shape: np.ones(s))
        res = bench(funcs, max(5, rounds // 2))
        emit(f"## stream=True ({B} paths, length {L}, {d} channels, depth {N}: {L - 1} "
             f"prefixes, {ref.nbytes / 2**20:.0f} MiB of output)")
        emit()
        table(emit, res, base, None, [])


def prefix_section(emit: Callable[[str], None], rng: np.random.Generator, rounds: int) -> None:
    x = rng.standard_normal((32, 200, 4))
    funcs = {
        "stream=True (one pass)": lambda: sk.signature(x, 4, stream=True),
        "one signature() call per prefix": lambda: [sk.signature(x[:, : i + 1], 4)
                                                    for i in range(1, x.shape[1])],
    }
    res = bench(funcs, max(5, rounds // 2))
    emit("## stream=True vs one call per prefix (32 paths, length 200, 4 channels, depth 4)")
    emit()
    emit("| method | wall median [ms] | CPU median [ms] | ratio to stream=True (CPU) |")
    emit("|---|---:|---:|---:|")
    b = res["stream=True (one pass)"]["cpu"]
    for k, r in res.items():
        emit(f"| {k} | {1e3 * r['wall']:.1f} | {1e3 * r['cpu']:.1f} | {r['cpu'] / b:.1f} |")
    emit()


def features_section(emit: Callable[[str], None], rng: np.random.Generator,
                     rounds: int) -> None:
    u = rng.standard_normal((64, 200, 2))
    basis = MonomialBasis(1)  # P*m = 4 channels
    emit("## response_features vs signature(tensor_path(...)) (64 series, 200 steps, m=2, "
         "MonomialBasis(1): 4 channels, depth 4)")
    emit()
    emit("| refine | response_features CPU [ms] | tensor_path + signature CPU [ms] | ratio |")
    emit("|---:|---:|---:|---:|")
    for refine in (1, 4):
        funcs = {
            "rf": lambda refine=refine: response_features(u, dt=0.01, basis=basis, depth=4,
                                                          refine=refine),
            "explicit": lambda refine=refine: sk.signature(
                tensor_path(u, dt=0.01, basis=basis, refine=refine), 4),
        }
        res = bench(funcs, max(5, rounds // 2))
        emit(f"| {refine} | {1e3 * res['rf']['cpu']:.1f} | {1e3 * res['explicit']['cpu']:.1f} "
             f"| {res['explicit']['cpu'] / res['rf']['cpu']:.2f} |")
    emit()


def threads_section(emit: Callable[[str], None], rng: np.random.Generator, rounds: int) -> None:
    emit("## threads over the batch (wall clock; on a shared "
         f"{os.cpu_count()}-core machine the fastest round is the better estimate)")
    emit()
    emit("| workload | n_jobs=None wall median / min [ms] | n_jobs=2 wall median / min [ms] "
         "| speed-up (median) | speed-up (min) |")
    emit("|---|---:|---:|---:|---:|")
    for B, L, d, N in WORKLOADS:
        x = rng.standard_normal((B, L, d))
        funcs = {f"{j}": (lambda j=j, x=x, N=N: sk.signature(x, N, n_jobs=j)) for j in (None, 2)}
        res = bench(funcs, rounds)
        one, two = res["None"], res["2"]
        emit(f"| ({B}, {L}, {d}, depth {N}) | {1e3 * one['wall']:.1f} / "
             f"{1e3 * one['wall_min']:.1f} | {1e3 * two['wall']:.1f} / {1e3 * two['wall_min']:.1f}"
             f" | {one['wall'] / two['wall']:.2f} | {one['wall_min'] / two['wall_min']:.2f} |")
    emit()


if __name__ == "__main__":
    raise SystemExit(main())
