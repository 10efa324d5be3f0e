"""Compile every srnnkit CUDA kernel to PTX, with the argument types the front ends pass.

A build check for machines without a GPU: Numba's CUDA simulator runs kernels as Python and
so cannot catch typing or lowering errors of the real CUDA target (a builtin the target does
not support, say); this script does, when libNVVM is installed (no driver needed).

Run:  NUMBA_ENABLE_CUDASIM=0 python benchmarks/check_cuda_ptx.py [--cc 8.0]
"""

from __future__ import annotations

import argparse
import os
import sys
import types

if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
    sys.exit("unset NUMBA_ENABLE_CUDASIM: the simulator does not compile to PTX")

import numba.cuda.dispatcher as _disp
import numpy as np
from numba import cuda, typeof

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--cc", default="8.0", help="compute capability, e.g. 8.0 or 9.0")
args = parser.parse_args()
CC = tuple(int(v) for v in args.cc.split("."))

# device functions ask the current device for its compute capability; there may be none
_disp.get_current_device = lambda: types.SimpleNamespace(compute_capability=CC)

from srnnkit.kernels import _cuda as kc  # noqa: E402
from srnnkit.signatures import _cuda as sc  # noqa: E402
from srnnkit.simulate import _cuda as mc  # noqa: E402

f1, f2, f3 = np.zeros(3), np.zeros((2, 2)), np.zeros((2, 2, 2))
i1, u2, key = np.zeros(3, np.int64), np.zeros((2, 4), np.uint64), np.uint64(1)
KERNELS = {
    "signatures.sig_kernel": (sc.sig_kernel, (f3, f2, f3, True, 1, 3, i1, i1, f1, f3, 0, False,
                                              f2, True)),
    "kernels._gram_kernel": (kc._gram_kernel, (0, f3, i1, f3, i1, f2, 1, 1, 0.5, 0.5, i1, i1,
                                               f1, f2, True)),
    "simulate._philox_kernel": (mc._philox_kernel, (u2, np.zeros(2, np.uint64), u2)),
    "simulate._normals_kernel": (mc._normals_kernel, (np.zeros((2, 4), np.int64),
                                                      np.zeros(2, np.uint64), f1)),
    "simulate._init_stationary": (mc._init_stationary, (f2, f1, f2, key, key, 0)),
    "simulate._sim_window": (mc._sim_window, (f2, (0, 5, 1, 0, 1e3),
                                              (f2, f2, f1, f1, f2, True, 0, False, False, 0.1),
                                              (f2, f1, True, key, key), (0, f2, f1, f2),
                                              (f3, f3, i1), i1)),
    "simulate._tile_stats": (mc._tile_stats, (f3, 5, f3, f3)),
}


def main() -> int:
    bad = 0
    for name, (kern, example) in KERNELS.items():
        try:
            ptx, _ = cuda.compile_ptx(kern.py_func, tuple(typeof(a) for a in example), cc=CC)
            print(f"ok    {name}: {len(ptx)} bytes of PTX, {ptx.count('bar.sync')} barriers")
        except Exception as exc:  # report every kernel, then fail
            bad += 1
            print(f"FAIL  {name}: {type(exc).__name__}: {str(exc)[:600]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
