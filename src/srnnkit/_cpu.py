"""What numba's target CPU offers, for the code generators that size their vectors by it."""

from __future__ import annotations

__all__ = ["has_avx512"]


def has_avx512() -> bool:
    """Whether numba's target CPU has AVX-512 (``+avx512f``).

    The target is the one numba compiles for: ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES``
    where set, else the host as LLVM sees it (no AVX-512 where LLVM cannot tell).

    Returns
    -------
    bool
    """
    from llvmlite import binding
    from numba.core import config

    if config.CPU_NAME or config.CPU_FEATURES:
        features = config.CPU_FEATURES or ""
    else:
        try:
            features = binding.get_host_cpu_features().flatten()
        except RuntimeError:  # pragma: no cover - LLVM cannot tell on this host
            features = ""
    return "+avx512f" in features.split(",")
