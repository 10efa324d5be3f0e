"""NoisyRNN parameters beyond the dtype's range (found by the held-out audit): every output
was NaN, silently."""

import pytest

torch = pytest.importorskip("torch")

from srnnkit.nn import NoisyRNN  # noqa: E402


@pytest.mark.parametrize("kw, name", [(dict(init_scale=1e300), "init_scale"),
                                      (dict(sigma=1e39), "sigma")])
def test_weights_beyond_float32_are_refused(kw, name):
    with pytest.raises(ValueError, match=f"^{name} must be a value whose .* in torch.float32"):
        NoisyRNN(2, 3, 1, dt=0.1, seed=0, **kw)


def test_the_same_scale_in_float64_runs():
    net = NoisyRNN(2, 3, 1, dt=0.1, seed=0, init_scale=1e300, dtype=torch.float64)
    assert bool(torch.isfinite(net(torch.ones(2, 5, 2, dtype=torch.float64))).all())
