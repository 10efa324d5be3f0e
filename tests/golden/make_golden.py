"""Record the golden outputs of ``cases.py`` into ``golden.npz`` (compressed).

Run from the repository root, before a refactor that must not change results:

    NUMBA_ENABLE_CUDASIM=1 PYTHONPATH=src python tests/golden/make_golden.py [CASE ...]

With case names (or prefixes) only those entries are re-recorded and the rest of the file
is kept; every regenerated entry must be explained in CHANGELOG.md. Each case also records
the machine it ran on (``CASE/__machine__``, see :func:`machine`): the test demands
bit-identical arrays there, and agreement to rounding (:data:`ROUNDING`) on other CPUs, whose
BLAS and SIMD kernels round differently.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")   # the CUDA cases run on the simulator

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.golden import cases

GOLDEN = Path(__file__).with_name("golden.npz")
#: largest difference, relative to an entry's largest magnitude (at least 1e-3 of its case's),
#: taken as rounding on a CPU other than the recording one (measured across an Intel Xeon and
#: an AMD EPYC: 3e-13)
ROUNDING = 1e-9


def machine() -> str:
    """The CPU model, its vector extensions and the numerical stack (NumPy, Numba, the BLAS
    library with its version and kernel architecture): a run on another machine rounds
    differently."""
    model, flags = platform.processor() or platform.machine(), ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model == platform.machine():
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = " ".join(x for x in value.split() if x.startswith(("avx", "fma")))
                    break
    except OSError:
        pass
    import numba
    import scipy.linalg  # noqa: F401  (its BLAS is loaded, whichever case runs first)
    from threadpoolctl import threadpool_info

    blas = ", ".join(sorted(f"{d.get('internal_api')} {d.get('version')} "
                            f"{d.get('architecture')}"
                            for d in threadpool_info() if d.get("user_api") == "blas"))
    return (f"{platform.machine()} {model} [{flags}] numpy {np.__version__} "
            f"numba {numba.__version__} blas {blas}")


def main(argv: list[str]) -> int:
    names = [n for n in cases.CASES if not argv or any(n.startswith(a) for a in argv)]
    if not names:
        print(f"no case matches {argv}")
        return 1
    data: dict[str, np.ndarray] = {}
    if argv and GOLDEN.exists():
        with np.load(GOLDEN) as old:
            data = {k: old[k] for k in old.files
                    if not any(k.startswith(n + "/") for n in names)}
    for name in names:
        t0 = time.perf_counter()
        if cases.CASES[name][1] == "cuda" and not cases.cuda_ready():
            print(f"skip {name}: no CUDA simulator or GPU")
            continue
        data.update(cases.run(name))
        data[name + "/__machine__"] = np.array(machine())
        print(f"{time.perf_counter() - t0:7.2f} s  {name}")
    np.savez_compressed(GOLDEN, **data)
    print(f"{len(data)} arrays, {GOLDEN.stat().st_size / 1e6:.2f} MB -> {GOLDEN}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
