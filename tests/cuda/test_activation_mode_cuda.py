"""device='cuda' with the input inside the activation: the kernel's states equal a plain
NumPy Euler-Maruyama loop fed the documented Philox normals."""

import numpy as np
import pytest

import srnnkit as sk
from tests.cuda.philox_ref import device_normals
from tests.simulate.test_activation_mode import _net, reference_em

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_cuda_states_equal_numpy_loop(activation):
    model = _net(activation)                          # diagonal noise: normal k of unit k
    dt, n_steps, B, seed = 0.05, 6, 3, 11
    u = 0.8 * np.random.default_rng(1).standard_normal((n_steps, 2))
    tr = sk.simulate(model, u, dt=dt, n_paths=B, seed=seed, h0="zeros", burn_in=0,
                     save="states", device="cuda")
    path, t, i = np.meshgrid(np.arange(B), np.arange(n_steps), np.arange(3), indexing="ij")
    xi = device_normals(seed, i, 1 + t, path, 0).transpose(1, 0, 2)   # (steps, paths, n)
    ref = reference_em(model, u, dt, np.zeros((B, 3)), xi)
    np.testing.assert_allclose(tr.states, ref, rtol=1e-11, atol=1e-12)
