"""The ``device`` argument: validation and the error when CUDA is absent."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.features import MonomialBasis
from srnnkit.kernels import response_kernel, signature_kernel

pytestmark = pytest.mark.gpu

PATH = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]])
CALLS = {
    "signature": lambda dev: sk.signature(PATH, 2, device=dev),
    "response_features": lambda dev: sk.response_features(
        PATH, dt=0.1, basis=MonomialBasis(1), depth=2, device=dev),
    "signature_kernel": lambda dev: signature_kernel(PATH[None], device=dev),
    "response_kernel": lambda dev: response_kernel(PATH[None], dt=0.1, basis=MonomialBasis(1),
                                                   device=dev),
    "simulate": lambda dev: sk.simulate(sk.SRNN.random(2, 1, seed=0), n_steps=3, dt=0.1,
                                        device=dev),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_unknown_device_is_a_value_error(name):
    with pytest.raises(ValueError, match=r"device must be one of \('cpu', 'cuda'\); got 'tpu'"):
        CALLS[name]("tpu")


@pytest.mark.parametrize("name", ["signature", "simulate"])
def test_non_string_device_is_a_type_error(name):
    with pytest.raises(TypeError, match="device must be one of"):
        CALLS[name](0)


def test_cpu_is_the_default_and_accepted_in_any_case():
    np.testing.assert_array_equal(sk.signature(PATH, 2, device="CPU"), sk.signature(PATH, 2))


def test_missing_cuda_is_a_clear_runtime_error():
    """Without a GPU and without the simulator, device='cuda' names the way out."""
    code = textwrap.dedent("""
        import numpy as np, srnnkit as sk
        from numba import cuda
        if cuda.is_available():
            print("HAS-GPU")
        else:
            try:
                sk.signature(np.zeros((3, 2)), 2, device="cuda")
            except RuntimeError as e:
                print("RuntimeError:", e)
    """)
    src = os.path.dirname(os.path.dirname(sk.__file__))
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0",
           "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    if "HAS-GPU" in res.stdout:
        pytest.skip("a real GPU is present")
    assert "RuntimeError:" in res.stdout, res.stderr
    assert "device='cuda'" in res.stdout and "device='cpu'" in res.stdout
    assert "NUMBA_ENABLE_CUDASIM" in res.stdout


def test_truncated_response_kernel_is_cpu_only():
    with pytest.raises(ValueError, match=r"device='cuda'.*depth"):
        response_kernel(PATH[None], dt=0.1, basis=MonomialBasis(1), depth=2, device="cuda")


def test_cpu_path_never_imports_numba_cuda():
    code = textwrap.dedent("""
        import sys
        import numpy as np, srnnkit as sk
        from srnnkit.features import MonomialBasis
        from srnnkit.kernels import response_kernel, signature_kernel
        x = np.random.default_rng(0).normal(size=(2, 5, 2))
        sk.signature(x, 2, device="cpu")
        sk.response_features(x, dt=0.1, basis=MonomialBasis(1), depth=2)
        signature_kernel(x)
        response_kernel(x, dt=0.1, basis=MonomialBasis(1))
        sk.simulate(sk.SRNN.random(2, 2, seed=0), x[0], dt=0.1, n_paths=4, seed=0)
        print("LOADED" if "numba.cuda" in sys.modules else "CLEAN")
    """)
    src = os.path.dirname(os.path.dirname(sk.__file__))
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.stdout.strip().endswith("CLEAN"), res.stdout + res.stderr
