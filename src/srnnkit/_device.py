"""The ``device`` argument: ``"cpu"`` (default) or ``"cuda"``.

Nothing here imports ``numba.cuda`` unless CUDA is asked for, so the default CPU path never
pays for (or depends on) the CUDA toolkit.  ``device="cuda"`` runs the kernels in the
``_cuda.py`` modules beside each front end through Numba's CUDA target; with the environment
variable ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run on Numba's CUDA *simulator* (slow,
for tests without a GPU).

Launch configuration can be tuned with environment variables (read at every call, never
needed for correctness: results do not depend on them):

``SRNNKIT_CUDA_THREADS``
    Threads per block for the signature and kernel sweeps (default 256).
``SRNNKIT_CUDA_PATHS_PER_BLOCK``
    Monte Carlo paths per thread block in ``simulate`` (default: 256 threads' worth).
``SRNNKIT_CUDA_MAX_BLOCKS``
    Cap on the grid size; blocks loop over the remaining work (grid-stride).
``SRNNKIT_CUDA_WINDOW``
    Steps per ``simulate`` kernel launch (the state stays on chip within a launch).
``SRNNKIT_CUDA_SHARED_BYTES``
    Shared memory a block may use for a signature or three PDE diagonals (default 48 KiB;
    larger ones live in global scratch).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["DEVICES", "check_device", "cuda_module", "launch_setting"]

DEVICES = ("cpu", "cuda")


def check_device(device: Any, where: str = "") -> str:
    """Validate ``device``; for ``"cuda"`` make sure a CUDA device (or the simulator) exists.

    Raises
    ------
    TypeError
        ``device`` is not a string.
    ValueError
        An unknown device string.
    RuntimeError
        ``device="cuda"`` but Numba finds no usable CUDA device.
    """
    if not isinstance(device, str):
        raise TypeError(f"device must be one of {DEVICES}; got {device!r} "
                        f"({type(device).__name__}).")
    dev = device.lower()
    if dev not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}; got {device!r}.")
    if dev == "cuda":
        cuda_module(where)
    return dev


def cuda_module(where: str = ""):
    """Return ``numba.cuda`` after checking that a device (or the simulator) is usable."""
    ctx = f" for {where}" if where else ""
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            f"device='cuda' was requested{ctx} but numba.cuda cannot be imported ({exc}). "
            "Install the CUDA extra (pip install 'srnnkit[gpu]'), or use device='cpu'.") from exc
    try:
        ok = bool(cuda.is_available())
    except Exception:  # pragma: no cover - driver errors
        ok = False
    if not ok:
        raise RuntimeError(
            f"device='cuda' was requested{ctx} but numba.cuda.is_available() is False: no "
            "usable CUDA GPU/driver was found. Use device='cpu' (the default), install a CUDA "
            "driver and numba-cuda, or set NUMBA_ENABLE_CUDASIM=1 before importing numba.cuda "
            "to run the kernels on Numba's (slow) CUDA simulator.")
    return cuda


def launch_setting(name: str, default: int, low: int = 1, high: int | None = None) -> int:
    """An integer launch knob from the environment (``SRNNKIT_CUDA_<name>``), else ``default``."""
    key = f"SRNNKIT_CUDA_{name}"
    raw = os.environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        val = int(raw)
    except ValueError:
        raise ValueError(f"the environment variable {key} must be an integer; got {raw!r}.") \
            from None
    if val < low or (high is not None and val > high):
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"the environment variable {key} must be an integer {rng}; got {val}.")
    return val
