"""One reading of numba's target CPU for both code generators (simulate's and signatures')."""

from numba.core import config

from srnnkit._cpu import has_avx512
from srnnkit.dynamics._simd import LANES
from srnnkit.signatures._codegen import VEC_BYTES


def test_both_generators_size_their_vectors_by_one_answer():
    wide = has_avx512()
    assert LANES == (8 if wide else 4)
    assert VEC_BYTES == 8 * LANES                 # bytes of one vector of doubles


def test_has_avx512_follows_numba_target_settings(monkeypatch):
    monkeypatch.setattr(config, "CPU_NAME", "skylake-avx512")
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx2,+avx512f,+fma")
    assert has_avx512()
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx2,+fma,+avx512vl")
    assert not has_avx512()
    monkeypatch.setattr(config, "CPU_NAME", "generic")
    monkeypatch.setattr(config, "CPU_FEATURES", None)
    assert not has_avx512()
