"""from_torch_rnn: a PyTorch Elman RNN is the SRNN with leak I, step 1 and the input inside
the activation. Its forward pass (torch's own kernels) is the independent reference."""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk

torch = pytest.importorskip("torch")

from srnnkit.analysis import analyze_network  # noqa: E402
from srnnkit.nn import from_torch_rnn  # noqa: E402


def _torch_states(rnn, u):
    """Every hidden state h_1..h_T of ``rnn`` (RNN or RNNCell) from h_0 = 0: (B, T, n)."""
    x = torch.from_numpy(u)
    if isinstance(rnn, torch.nn.RNNCell):
        h = torch.zeros(u.shape[0], rnn.hidden_size, dtype=torch.float64)
        out = []
        for k in range(u.shape[1]):
            h = rnn(x[:, k], h)
            out.append(h)
        return torch.stack(out, 1).detach().numpy()
    if rnn.batch_first:
        return rnn(x)[0].detach().numpy()
    return rnn(x.transpose(0, 1))[0].transpose(0, 1).detach().numpy()


@pytest.mark.parametrize("kind, nonlinearity, bias, batch_first, head", [
    ("rnn", "tanh", True, True, True),
    ("rnn", "relu", True, False, True),
    ("rnn", "tanh", False, True, False),
    ("cell", "tanh", True, None, True),
    ("cell", "relu", False, None, False),
])
def test_simulate_equals_the_torch_forward_pass(kind, nonlinearity, bias, batch_first, head):
    torch.manual_seed(0)
    if kind == "rnn":
        rnn = torch.nn.RNN(3, 6, nonlinearity=nonlinearity, bias=bias, batch_first=batch_first)
    else:
        rnn = torch.nn.RNNCell(3, 6, nonlinearity=nonlinearity, bias=bias)
    rnn = rnn.double()
    lin = torch.nn.Linear(6, 2).double() if head else None
    model = from_torch_rnn(rnn, lin)
    assert model.input_mode == "activation" and model.activation == nonlinearity
    np.testing.assert_array_equal(model.gamma_matrix, np.eye(6))
    u = np.random.default_rng(1).standard_normal((4, 12, 3))
    H = _torch_states(rnn, u)
    expected = lin(torch.from_numpy(H)).detach().numpy() if head else H
    traj = sk.simulate(model, u, dt=1.0, h0="zeros", burn_in=0)
    np.testing.assert_allclose(traj.mean[:, 1:], expected, rtol=0, atol=1e-12)


def test_noise_is_added_once_per_step():
    rnn = torch.nn.RNN(1, 3).double()
    model = from_torch_rnn(rnn, sigma=[0.1, 0.2, 0.3])
    np.testing.assert_array_equal(model.sigma, np.diag([0.1, 0.2, 0.3]))
    assert model.n_outputs == 3                       # no head: the hidden state is read


@pytest.mark.parametrize("make, readout, exc, match", [
    (lambda: torch.nn.RNN(2, 4, num_layers=2), None, ValueError, "num_layers=1"),
    (lambda: torch.nn.RNN(2, 4, bidirectional=True), None, ValueError, "bidirectional"),
    (lambda: torch.nn.LSTM(2, 4), None, TypeError, "LSTM"),
    (lambda: torch.nn.GRUCell(2, 4), None, TypeError, "GRUCell"),
    (lambda: torch.nn.RNN(2, 4), torch.nn.Linear(5, 1), ValueError, "in_features = 4"),
    (lambda: torch.nn.RNN(2, 4), torch.nn.ReLU(), TypeError, "readout"),
])
def test_what_is_not_an_elman_rnn_is_refused(make, readout, exc, match):
    with pytest.raises(exc, match=match):
        from_torch_rnn(make(), readout)


def test_a_trained_elman_rnn_can_be_analysed():
    """Train a small tanh RNN on a two-class task in plain PyTorch, then read it."""
    from srnnkit.cli._trained import builtin_task

    X, y = builtin_task(60, seed=0)
    keep = y < 2
    X, y = X[keep], y[keep]
    torch.manual_seed(0)
    rnn, head = torch.nn.RNN(2, 8, batch_first=True), torch.nn.Linear(8, 2)
    opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=0.02)
    x, t = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(rnn(x)[0][:, -1]), t)
        loss.backward()
        opt.step()
    scores = sk.simulate(from_torch_rnn(rnn, head), X, dt=1.0, h0="zeros",
                         burn_in=0).mean[:, -1]
    with torch.no_grad():
        ref = head(rnn(x)[0][:, -1]).double().numpy()
    np.testing.assert_allclose(scores, ref, atol=1e-5)       # float32 training, float64 here
    model = from_torch_rnn(rnn, head, sigma=0.1)
    res = analyze_network(model, dt=1.0, inputs=X[:8], budget=0.001, seed=0)
    assert res.first["perturbation"].values.shape[1:] == (2, 2)
    assert res.agreement[1].within >= 0.95


def _train_briefly(rnn, head, steps=20):
    torch.manual_seed(1)
    x = torch.randn(16, 8, rnn.input_size, dtype=torch.float64)
    target = x[:, :, 0].sum(1, keepdim=True)
    opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=0.03)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(head(rnn(x)[0][:, -1]), target).backward()
        opt.step()


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")
@pytest.mark.parametrize("wrap", ["old weight_norm", "old spectral_norm", "spectral_norm"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_weights_recomputed_in_the_forward_pass_are_the_ones_it_uses(wrap, mode):
    """Found by held-out checks: torch.nn.utils.weight_norm / spectral_norm recompute the
    weight attribute in a forward pre-hook, so right after training it held the weight
    before the last optimiser step (a wrong SRNN, readout off by 0.06 to 0.8); a
    parametrised spectral norm read in training mode ran a power iteration, changing the
    module. The conversion is the module's forward pass in evaluation mode, and leaves it
    as it was."""
    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 6, batch_first=True, dtype=torch.float64)
    if wrap == "old weight_norm":
        torch.nn.utils.weight_norm(rnn, "weight_hh_l0")
    elif wrap == "old spectral_norm":
        torch.nn.utils.spectral_norm(rnn, "weight_hh_l0")
    else:
        torch.nn.utils.parametrizations.spectral_norm(rnn, "weight_hh_l0")
    head = torch.nn.Linear(6, 1, dtype=torch.float64)
    _train_briefly(rnn, head)
    getattr(rnn, mode)()
    state = {k: v.clone() for k, v in rnn.state_dict().items()}
    model = from_torch_rnn(rnn, head)
    assert rnn.training == (mode == "train")
    assert all(torch.equal(v, state[k]) for k, v in rnn.state_dict().items())
    u = np.random.default_rng(1).standard_normal((3, 10, 2))
    with torch.no_grad():
        expected = head(rnn.eval()(torch.from_numpy(u))[0]).numpy()
    traj = sk.simulate(model, u, dt=1.0, h0="zeros", burn_in=0)
    np.testing.assert_allclose(traj.mean[:, 1:], expected, rtol=0, atol=1e-12)


class _HalvedCell(torch.nn.RNNCell):
    """A user's cell whose forward pass is not the Elman recurrence of its weights."""

    def forward(self, x, h=None):
        return 0.5 * super().forward(x, h)


def test_a_module_whose_forward_pass_is_another_recurrence_is_refused():
    with pytest.raises(ValueError, match="forward pass is the Elman recurrence"):
        from_torch_rnn(_HalvedCell(2, 4))
    cell = torch.nn.RNNCell(2, 4)
    cell.nonlinearity = "gelu"                                     # was a KeyError
    with pytest.raises(ValueError, match=r"nonlinearity 'tanh' or 'relu'; got .*gelu"):
        from_torch_rnn(cell)


def test_a_wrapping_module_or_a_state_dict_is_refused_with_what_to_pass():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.RNN(2, 4, batch_first=True)
            self.fc = torch.nn.Linear(4, 3)

    with pytest.raises(TypeError, match=r"got 'Net'\. It holds encoder \(RNN\): pass the "):
        from_torch_rnn(Net())
    with pytest.raises(TypeError, match="A state dict is not a module"):
        from_torch_rnn(Net().encoder.state_dict())


class _LastStateRNN(torch.nn.RNN):
    """A user's subclass that returns only the last output: still the Elman recurrence."""

    def forward(self, x, hx=None):
        return super().forward(x, hx)[0][:, -1]


def test_a_subclass_that_only_reshapes_the_output_is_converted():
    torch.manual_seed(0)
    rnn = _LastStateRNN(2, 5, batch_first=True, dtype=torch.float64)
    model = from_torch_rnn(rnn)
    u = np.random.default_rng(2).standard_normal((3, 7, 2))
    with torch.no_grad():
        expected = rnn(torch.from_numpy(u)).numpy()
    traj = sk.simulate(model, u, dt=1.0, h0="zeros", burn_in=0)
    np.testing.assert_allclose(traj.mean[:, -1], expected, rtol=0, atol=1e-12)


def test_a_learned_noise_level_can_be_passed_as_a_tensor():
    """Found by held-out checks: sigma as a tensor that requires grad (a learned level) was
    refused ("Can't call numpy() on Tensor that requires grad")."""
    level = torch.nn.Parameter(torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64))
    model = from_torch_rnn(torch.nn.RNN(2, 3), sigma=level)
    np.testing.assert_array_equal(model.sigma, np.diag([0.1, 0.2, 0.3]))
