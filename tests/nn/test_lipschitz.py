"""from_lipschitz_rnn: a Lipschitz RNN (Erichson et al. 2021) or noisy RNN (Lim et al. 2021) in
the form of the authors' code is an SRNN stepped at dt = eps. The independent reference is the
papers' recurrence written out here, row-vector state and all."""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk

torch = pytest.importorskip("torch")

from srnnkit.analysis import analyze_network  # noqa: E402
from srnnkit.nn import from_lipschitz_rnn  # noqa: E402

# the papers' A has an indefinite symmetric part: such networks are not dissipative (A1)
pytestmark = pytest.mark.filterwarnings("ignore::srnnkit.model.DissipativityWarning")


def _skew_sym(M, beta, shift):
    eye = torch.eye(M.shape[0], dtype=M.dtype)
    return beta * (M - M.T) + (1 - beta) * (M + M.T) - shift * eye


class _Reference(torch.nn.Module):
    """The papers' step with the attributes their code keeps (float64).

    ``kind="lipschitz"``: h <- h + eps [alpha h A + tanh(h W + E x)] (one shift gamma).
    ``kind="noisy"``: h <- h + s [alpha h A + tanh(h W + E x)] + add_noise xi in training, with
    s = eps (solver "base") or the trained vector d (solver "noisy").
    """

    def __init__(self, m, n, p, *, kind="lipschitz", solver="base", beta=0.75, alpha=1.0,
                 eps=0.1, gamma=0.01, gamma_W=0.02, add_noise=0.0, seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.E, self.D = torch.nn.Linear(m, n).double(), torch.nn.Linear(n, p).double()
        self.B = torch.nn.Parameter(torch.randn(n, n, generator=gen, dtype=torch.float64) / n)
        self.C = torch.nn.Parameter(torch.randn(n, n, generator=gen, dtype=torch.float64) / n)
        self.beta, self.alpha, self.eps, self.n_units = beta, alpha, eps, n
        if kind == "lipschitz":
            self.model, self.gamma = "LipschitzRNN", gamma
        else:
            self.solver, self.gamma_A, self.gamma_W = solver, gamma, gamma_W
            self.add_noise, self.mult_noise = add_noise, 0.0
            d = eps * torch.linspace(-0.35, 1.2, n, dtype=torch.float64)     # one < 0
            self.d = torch.nn.Parameter(d)

    def step(self):
        if getattr(self, "solver", "base") == "noisy":
            return self.d
        return self.eps

    def forward(self, x, train=False):
        """Every output D h_k + delta, k = 1..T, from h_0 = 0: (batch, T, p)."""
        gamma_w = getattr(self, "gamma_W", getattr(self, "gamma", None))
        gamma_a = getattr(self, "gamma_A", getattr(self, "gamma", None))
        A, W = _skew_sym(self.B, self.beta, gamma_a), _skew_sym(self.C, self.beta, gamma_w)
        h = torch.zeros(x.shape[0], self.n_units, dtype=torch.float64)
        out = []
        for k in range(x.shape[1]):
            h = h + self.step() * (self.alpha * h @ A + torch.tanh(h @ W + self.E(x[:, k])))
            if train and getattr(self, "add_noise", 0.0):
                h = h + self.add_noise * torch.randn_like(h)
            out.append(self.D(h))
        return torch.stack(out, 1)


@pytest.mark.parametrize("kind, solver, alpha", [
    ("lipschitz", None, 1.0), ("lipschitz", None, 0.7),
    ("noisy", "base", 1.0), ("noisy", "noisy", 1.0), ("noisy", "noisy", 1.3),
])
def test_simulate_equals_the_reference_recurrence(kind, solver, alpha):
    net = _Reference(3, 7, 2, kind=kind, solver=solver or "base", alpha=alpha, eps=0.2,
                     add_noise=0.05)
    model = from_lipschitz_rnn(net, sigma=0.0)
    assert model.input_mode == "activation" and model.activation == "tanh"
    u = np.random.default_rng(1).standard_normal((4, 15, 3))
    with torch.no_grad():
        expected = net(torch.from_numpy(u)).numpy()
    traj = sk.simulate(model, u, dt=net.eps, h0="zeros", burn_in=0)
    np.testing.assert_allclose(traj.mean[:, 1:], expected, rtol=0, atol=1e-12)


def test_the_state_is_the_networks_own_unless_the_steps_were_trained():
    net = _Reference(2, 5, 1, kind="noisy", solver="base", gamma=0.1, gamma_W=0.3)
    model = from_lipschitz_rnn(net)
    with torch.no_grad():
        A = _skew_sym(net.B, net.beta, net.gamma_A).numpy()
        W = _skew_sym(net.C, net.beta, net.gamma_W).numpy()
    np.testing.assert_allclose(model.gamma_matrix, -A.T, rtol=0, atol=1e-15)
    np.testing.assert_allclose(model.W, W.T, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(model.sigma, np.zeros((5, 5)))   # trained without noise


@pytest.mark.parametrize("sigma", [None, 0.03, [0.01, 0.02, 0.03, 0.04, 0.05]])
def test_the_noise_per_step_on_h_is_the_trained_or_given_level(sigma):
    """x = G^-1 h, so the per-step noise on h is G sigma sqrt(eps): add_noise I by default."""
    net = _Reference(2, 5, 1, kind="noisy", solver="noisy", eps=0.1, add_noise=0.04)
    model = from_lipschitz_rnn(net, sigma=sigma)
    g = net.d.detach().numpy() / net.eps
    per_step = g[:, None] * model.sigma * np.sqrt(net.eps)
    nu = 0.04 if sigma is None else sigma
    np.testing.assert_allclose(per_step, np.diag(np.broadcast_to(nu, 5)), rtol=1e-14, atol=0)


def test_one_noisy_step_has_the_reference_covariance():
    """Statistical: one step from h = 0 with zero input. Output covariance nu^2 D D^T; 40000
    paths; the entries' standard errors are estimated from the same paths; fixed seed."""
    net = _Reference(1, 4, 2, kind="noisy", solver="noisy", eps=0.1, add_noise=0.2, seed=3)
    model = from_lipschitz_rnn(net)
    traj = sk.simulate(model, np.zeros((1, 1)), dt=net.eps, h0="zeros", burn_in=0,
                       n_paths=40000, seed=0, save="paths")
    y = traj.outputs[:, 1] - traj.mean[1]
    D = net.D.weight.detach().numpy()
    cov = 0.04 * D @ D.T
    prod = y[:, :, None] * y[:, None, :]
    se = prod.std(axis=0) / np.sqrt(len(y))
    assert np.all(np.abs(prod.mean(axis=0) - cov) < 4 * se)


@pytest.mark.parametrize("make, exc, match", [
    (lambda: torch.nn.RNN(2, 4), TypeError, "LipschitzRNN"),
    (lambda: _with(_Reference(2, 4, 1), model="resRNN"), ValueError, "no leak"),
    (lambda: _with(_Reference(2, 4, 1), model="LipschitzRNN_ODE"), ValueError, "ODE solver"),
    (lambda: _with(_Reference(2, 4, 1), eps=0.0), ValueError, "'eps' is a finite number > 0"),
    (lambda: _with(_Reference(2, 4, 1), beta=float("nan")), ValueError, "'beta'"),
    (lambda: _with(_Reference(2, 4, 1, kind="noisy", solver="noisy"),
                   d=torch.nn.Parameter(torch.tensor([0.1, 0.0, 0.1, 0.1]))),
     ValueError, "trained steps d"),
    (lambda: _with(_Reference(2, 4, 1), B=torch.nn.Parameter(torch.zeros(3, 3))),
     ValueError, "with one n"),
    (lambda: _with(_Reference(2, 4, 1), D=torch.zeros(1, 4)), TypeError, "'D' is a torch.nn"),
    (lambda: _with(_Reference(2, 4, 1), C=None), TypeError, "a tensor 'C'"),
])
def test_what_is_not_such_a_network_is_refused(make, exc, match):
    with pytest.raises(exc, match=match):
        from_lipschitz_rnn(make())


def _with(net, **attrs):
    for k, v in attrs.items():
        if hasattr(net, k):
            delattr(net, k)             # a module, parameter or plain attribute alike
        setattr(net, k, v)
    return net


def test_a_noisy_rnn_trained_in_the_reference_form_can_be_analysed():
    """Train a small noisy RNN (solver 'noisy': trained steps, additive noise) on a two-class
    task in plain PyTorch, then read it at its training noise. The shifts are 1 so that it has
    a stationary law (with the papers' small shifts, A's symmetric part is indefinite)."""
    from srnnkit.cli._trained import builtin_task

    X, y = builtin_task(60, seed=0)
    keep = y < 2
    X, y = X[keep], y[keep]
    torch.manual_seed(0)
    net = _Reference(2, 8, 2, kind="noisy", solver="noisy", eps=0.2, gamma=1.0, gamma_W=1.0,
                     add_noise=0.05)
    net.d.data.fill_(net.eps)                                # the reference code's start
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    x, t = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(40):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x, train=True)[:, -1], t)
        loss.backward()
        opt.step()
    model = from_lipschitz_rnn(net)
    with torch.no_grad():
        ref = net(x)[:, -1].numpy()
    noise_free = sk.simulate(from_lipschitz_rnn(net, sigma=0.0), X, dt=net.eps, h0="zeros",
                             burn_in=0).mean[:, -1]
    np.testing.assert_allclose(noise_free, ref, rtol=0, atol=1e-10)
    res = analyze_network(model, dt=net.eps, inputs=X[:8], budget=0.001, seed=0)
    assert res.first["perturbation"].values.shape[1:] == (2, 2)
    assert res.agreement[1].within >= 0.95


def test_a_reimplementation_is_told_what_it_lacks_and_may_keep_eps_in_a_tensor():
    """Found by held-out checks: a user's copy of the Lipschitz step without the reference
    code's ``model`` attribute, or an Elman RNN, got the generic refusal without saying what
    was missing; ``eps`` kept as a 0-d tensor (a buffer) was refused as not a number."""
    net = _Reference(2, 4, 1)
    del net.model
    with pytest.raises(TypeError, match="neither model='LipschitzRNN' nor gamma_A"):
        from_lipschitz_rnn(net)
    with pytest.raises(TypeError, match=r"converted by srnnkit\.nn\.from_torch_rnn"):
        from_lipschitz_rnn(torch.nn.RNN(2, 4))
    with pytest.raises(TypeError, match=r"It has gamma_A .* and solver='euler'"):
        from_lipschitz_rnn(_Reference(2, 4, 1, kind="noisy", solver="euler"))
    ref = _Reference(2, 4, 1)
    buffered = _with(_Reference(2, 4, 1), eps=torch.tensor(0.1, dtype=torch.float64))
    np.testing.assert_array_equal(from_lipschitz_rnn(buffered).gamma_matrix,
                                  from_lipschitz_rnn(ref).gamma_matrix)
