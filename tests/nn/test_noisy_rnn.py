"""srnnkit.nn.NoisyRNN: the Euler-Maruyama SRNN with the input inside the activation.

Checked against independent references: a plain NumPy Euler-Maruyama loop of the model's own
``SRNN.drift`` (and ``sk.simulate``), autograd through a plain torch loop for the hand-written
backward, and the closed-form moments of the noisy linear chain.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import srnnkit as sk  # noqa: E402
from srnnkit.nn import PARAMETERIZATIONS, NoisyRNN  # noqa: E402

ACTIVATIONS = ("tanh", "identity", "relu", "sigmoid")
# relu is unbounded: these small random networks may not satisfy the dissipativity check
pytestmark = pytest.mark.filterwarnings("ignore::srnnkit.model.DissipativityWarning")


def _net(activation="tanh", parameterization="free", sigma=0.0, **kw):
    net = NoisyRNN(3, 6, 2, dt=0.1, sigma=sigma, activation=activation,
                   parameterization=parameterization, seed=1, dtype=torch.float64, **kw)
    with torch.no_grad():                       # a non-zero bias and a non-trivial Γ
        net.b.copy_(torch.linspace(-0.5, 0.5, 6, dtype=torch.float64))
        if parameterization == "free":
            net.Gamma.add_(0.2 * torch.randn(6, 6, dtype=torch.float64,
                                             generator=torch.Generator().manual_seed(0)))
    return net


def _em_numpy(model, u, dt):
    """Plain Euler-Maruyama of ``SRNN.drift`` with no noise: states h_0..h_T, (B, T+1, n)."""
    B, T, _ = u.shape
    h = np.zeros((B, model.n_hidden))
    out = [h]
    for k in range(T):
        h = h + dt * model.drift(h, u[:, k])
        out.append(h)
    return np.stack(out, axis=1)


@pytest.mark.parametrize("parameterization", PARAMETERIZATIONS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_is_the_euler_maruyama_chain_of_its_srnn(activation, parameterization):
    net = _net(activation, parameterization).eval()
    model = net.to_srnn()
    u = np.random.default_rng(0).standard_normal((4, 12, 3))
    ref = _em_numpy(model, u, net.dt)                                   # (4, 13, 6)
    states = net.states(torch.from_numpy(u)).detach().numpy()
    np.testing.assert_allclose(states, ref, rtol=0, atol=1e-12)
    last = net(torch.from_numpy(u)).detach().numpy()
    np.testing.assert_allclose(last, model.output(ref[:, -1]), rtol=0, atol=1e-12)
    lengths = np.array([12, 3, 7, 1])
    own = net(torch.from_numpy(u), lengths).detach().numpy()
    np.testing.assert_allclose(own, model.output(ref[np.arange(4), lengths]), atol=1e-12)
    net.readout = "all"
    every = net(torch.from_numpy(u)).detach().numpy()                   # (4, 12, 2)
    np.testing.assert_allclose(every, model.output(ref[:, 1:]), rtol=0, atol=1e-12)


def _simulate_check(activation):
    net = _net(activation).eval()
    model = net.to_srnn()
    u = np.random.default_rng(1).standard_normal((3, 15, 3))
    traj = sk.simulate(model, u, dt=net.dt, h0="zeros", burn_in=0)
    every = NoisyRNN.from_srnn(model, dt=net.dt, readout="all")(torch.from_numpy(u))
    np.testing.assert_allclose(every.detach().numpy(), traj.mean[:, 1:], rtol=0, atol=1e-10)
    np.testing.assert_allclose(traj.mean[:, 0], model.output(np.zeros(6))[None].repeat(3, 0),
                               atol=1e-12)


def test_forward_equals_simulate_identity():
    # with the identity activation both input modes are one model: simulate supports it today
    _simulate_check("identity")


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_forward_equals_simulate(activation):
    _simulate_check(activation)


@pytest.mark.parametrize("parameterization", PARAMETERIZATIONS)
def test_to_srnn_and_from_srnn_are_inverses(parameterization):
    net = _net("tanh", parameterization, sigma=[[0.3, 0.0], [0.1, 0.2], [0.0, 0.1],
                                                 [0.2, 0.2], [0.0, 0.0], [0.5, 0.1]])
    model = net.to_srnn()
    assert model.input_mode == "activation" and model.gamma_kind == "full"
    assert model.readout.kind == "linear" and model.n_noise == 2
    assert model.dt == net.dt                     # the step travels with the SRNN
    back = NoisyRNN.from_srnn(model, dt=net.dt, parameterization=parameterization)
    tol = 0.0 if parameterization == "free" else 1e-14
    for name, value in net.state_dict().items():
        np.testing.assert_allclose(back.state_dict()[name].numpy(), value.numpy(), rtol=0,
                                   atol=tol, err_msg=name)
    again = back.to_srnn()
    for attr in ("W", "C", "b", "sigma", "gamma_matrix"):
        np.testing.assert_allclose(getattr(again, attr), getattr(model, attr), rtol=0,
                                   atol=tol * 10, err_msg=attr)
    np.testing.assert_array_equal(again.readout.Q, model.readout.Q)


def test_from_srnn_of_a_drawn_model_round_trips_exactly():
    model = sk.SRNN(W=[[0.1, -0.4], [0.3, 0.2]], C=[[1.0, 0.5], [-0.2, 0.3]], sigma=0.4,
                    gamma=[1.5, 0.7], b=[0.1, -0.3], activation="sigmoid",
                    readout=[[1.0, -1.0]], input_mode="activation")
    net = NoisyRNN.from_srnn(model, dt=0.05)
    back = net.to_srnn()
    for attr in ("W", "C", "b", "sigma", "gamma_matrix"):
        np.testing.assert_array_equal(getattr(back, attr), getattr(model, attr))
    np.testing.assert_array_equal(back.readout.Q, model.readout.Q)
    np.testing.assert_array_equal(back.readout.q, model.readout.q)
    ident = NoisyRNN.from_srnn(sk.SRNN(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.1,
                                       activation="identity"), dt=0.1)
    np.testing.assert_array_equal(ident.Q.detach().numpy(), np.eye(2))


def test_from_srnn_rejects_what_it_cannot_represent():
    additive = sk.SRNN.random(3, 1, seed=0)                               # tanh, additive
    with pytest.raises(ValueError, match="input_mode"):
        NoisyRNN.from_srnn(additive, dt=0.1)
    quad = sk.SRNN(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.1,
                   readout=sk.readouts.Quadratic(np.eye(2)), input_mode="activation")
    with pytest.raises(ValueError, match="Linear readout"):
        NoisyRNN.from_srnn(quad, dt=0.1)
    full = sk.SRNN(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.1,
                   gamma=[[1.0, 0.3], [0.3, 1.0]], input_mode="activation")
    with pytest.raises(ValueError, match="dissipative"):
        NoisyRNN.from_srnn(full, dt=0.1, parameterization="dissipative")
    with pytest.raises(TypeError, match="model"):
        NoisyRNN.from_srnn("model", dt=0.1)


def test_dissipative_gamma_has_a_positive_definite_symmetric_part():
    net = NoisyRNN(2, 8, 1, dt=0.1, parameterization="dissipative", gamma=0.05, seed=0)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(3.0 * torch.randn(p.shape, generator=torch.Generator().manual_seed(2)))
    G = net.gamma_matrix().detach().double().numpy()
    assert np.linalg.eigvalsh(0.5 * (G + G.T)).min() > 0


@pytest.mark.parametrize("dt", [0.1, 0.5, 3.0])
def test_dissipative_euler_step_contracts_whatever_the_weights(dt):
    # large skew weights: Gamma's eigenvalues have imaginary parts far beyond 1/dt, where the
    # unconstrained form diag + K - K^T gives |1 - dt*lambda| > 1 (an expanding Euler step)
    net = NoisyRNN(2, 8, 1, dt=dt, parameterization="dissipative", gamma=0.5 / dt, seed=0,
                   dtype=torch.float64)
    with torch.no_grad():
        net.K.add_(5.0 / dt * torch.randn(8, 8, generator=torch.Generator().manual_seed(1)))
    G = net.gamma_matrix().detach().numpy()
    step = np.eye(8) - dt * G
    assert np.linalg.norm(step, 2) < 1.0
    assert np.linalg.eigvalsh(0.5 * (G + G.T)).min() > 0       # the SRNN is dissipative too
    Gc = np.diag(np.logaddexp(0.0, net.leak_raw.detach().numpy()))
    Gc = Gc + (net.K - net.K.T).detach().numpy()
    assert np.abs(np.linalg.eigvals(np.eye(8) - dt * Gc)).max() > 1.0   # the raw form expands
    # the step is the trapezoidal propagator of dh/dt = -Gc h
    np.testing.assert_allclose(step, np.linalg.solve(np.eye(8) + 0.5 * dt * Gc,
                                                     np.eye(8) - 0.5 * dt * Gc), atol=1e-13)


def test_dissipative_initial_gamma_and_round_trip():
    leak = np.array([0.2, 1.0, 5.0, 19.0])
    net = NoisyRNN(1, 4, 2, dt=0.1, parameterization="dissipative", gamma=leak, seed=0,
                   dtype=torch.float64)
    np.testing.assert_allclose(net.gamma_matrix().detach().numpy(), np.diag(leak), rtol=1e-13)
    with torch.no_grad():
        net.K.add_(torch.randn(4, 4, generator=torch.Generator().manual_seed(3)))
    model = net.to_srnn()
    back = NoisyRNN.from_srnn(model, dt=0.1, parameterization="dissipative").to_srnn()
    np.testing.assert_allclose(back.gamma_matrix, model.gamma_matrix, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"gamma.*\(0, 20\)"):
        NoisyRNN(1, 4, 2, dt=0.1, parameterization="dissipative", gamma=20.0)
    fast = sk.SRNN(W=np.zeros((2, 2)), C=np.ones((2, 1)), sigma=0.1, gamma=[25.0, 1.0],
                   input_mode="activation")
    with pytest.raises(ValueError, match="0 < dt gamma < 2"):
        NoisyRNN.from_srnn(fast, dt=0.1, parameterization="dissipative")
    edge = sk.SRNN(W=np.zeros((2, 2)), C=np.eye(2), sigma=0.1, gamma=[1.0, 20.0],
                   input_mode="activation")                  # dt gamma = 2 exactly
    with pytest.raises(ValueError, match=r"I - dt gamma / 2 singular at dt=0.1") as err:
        NoisyRNN.from_srnn(edge, dt=0.1, parameterization="dissipative")
    assert "nan" not in str(err.value)            # found by fuzzing: "smallest entry nan"


def test_lipschitz_form():
    net = NoisyRNN(2, 5, 1, dt=0.1, parameterization="lipschitz", beta=0.8, gamma=0.3,
                   gamma_w=0.1, seed=0, dtype=torch.float64)
    M_A, M_W = net.M_A.detach().numpy(), net.M_W.detach().numpy()
    A = 0.2 * (M_A + M_A.T) + 0.8 * (M_A - M_A.T) - 0.3 * np.eye(5)
    W = 0.2 * (M_W + M_W.T) + 0.8 * (M_W - M_W.T) - 0.1 * np.eye(5)
    np.testing.assert_allclose(net.gamma_matrix().detach().numpy(), -A, atol=1e-15)
    np.testing.assert_allclose(net.recurrent_weights().detach().numpy(), W, atol=1e-15)


def _autograd_states(net, u, add, mult):
    """The recurrence through plain autograd (no custom backward): (T+1, B, n)."""
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
           "identity": lambda z: z}[net.activation]
    G, W = net.gamma_matrix(), net.recurrent_weights()
    h = torch.zeros(u.shape[0], net.n_hidden, dtype=u.dtype)
    out = [h]
    for k in range(u.shape[1]):
        h_next = h + net.dt * (-h @ G.T + act(h @ W.T + u[:, k] @ net.C.T + net.b))
        if add is not None:
            h_next = h_next + add[k]
        if mult is not None:
            h_next = h_next + mult[k] * h
        h = h_next
        out.append(h)
    return torch.stack(out)


@pytest.mark.parametrize("parameterization", PARAMETERIZATIONS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_hand_written_backward_equals_autograd(activation, parameterization):
    net = _net(activation, parameterization, sigma=0.3, sigma_mult=0.2)
    u = torch.randn(4, 9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5),
                    requires_grad=True)
    weights = torch.randn(10, 4, 6, dtype=torch.float64,
                          generator=torch.Generator().manual_seed(6))
    add, mult = net._noise(9, 4, True, torch.Generator().manual_seed(3), u)
    (_autograd_states(net, u, add, mult) * weights).sum().backward()
    ref = {k: p.grad.clone() for k, p in net.named_parameters() if p.grad is not None}
    ref_u = u.grad.clone()
    net.zero_grad()
    u.grad = None
    H = net._run(u, True, torch.Generator().manual_seed(3))
    (H * weights).sum().backward()
    grads = {k: p.grad for k, p in net.named_parameters() if p.grad is not None}
    assert sorted(grads) == sorted(ref) and len(ref) >= 4
    for name, grad in grads.items():
        np.testing.assert_allclose(grad.numpy(), ref[name].numpy(), rtol=1e-12, atol=1e-13,
                                   err_msg=name)
    np.testing.assert_allclose(u.grad.numpy(), ref_u.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradcheck_finite_differences(activation):
    """The hand-written backward against torch's finite differences (with multiplicative noise)."""
    from srnnkit.nn._noisy_rnn import _EulerMaruyama

    g = torch.Generator().manual_seed(0)
    D = torch.randn(5, 2, 12, dtype=torch.float64, generator=g).requires_grad_()
    K = (0.3 * torch.randn(6, 12, dtype=torch.float64, generator=g)).requires_grad_()
    mult = 0.1 * torch.randn(5, 2, 6, dtype=torch.float64, generator=g)
    assert torch.autograd.gradcheck(
        lambda d, k: _EulerMaruyama.apply(d, k, mult, 0.1, activation), (D, K))


def test_noise_moments_of_the_linear_chain():
    """Identity activation, W = 0, Γ = γ: h_{k+1} = (1-Δγ) h_k + Δ(c u + b) + √Δ(σ ξ + μ h ξ').

    Mean m_{k+1} = a m_k + Δ(c u + b), second moment s_{k+1} = a² s_k + 2 a m_k Δ(cu+b) +
    Δ²(cu+b)² + Δ σ² + Δ μ² s_k (a = 1 - Δγ): checked over 20000 paths at 4 standard errors.
    """
    dt, gamma, sigma, mu, c, b = 0.1, 0.8, 0.5, 0.3, 1.2, 0.2
    net = NoisyRNN(1, 1, 1, dt=dt, sigma=sigma, sigma_mult=mu, activation="identity",
                   gamma=gamma, seed=0, dtype=torch.float64)
    with torch.no_grad():
        net.W.zero_()
        net.C.fill_(c)
        net.b.fill_(b)
    u = np.sin(np.arange(30) * 0.3)
    n_paths = 20000
    U = torch.from_numpy(np.tile(u[None, :, None], (n_paths, 1, 1)))
    h = net.states(U, noise=True, generator=torch.Generator().manual_seed(0))[:, -1, 0]
    h = h.detach().numpy()
    a = 1 - dt * gamma
    m = s = 0.0
    for uk in u:
        d = dt * (c * uk + b)
        m, s = a * m + d, a * a * s + 2 * a * m * d + d * d + dt * sigma**2 + dt * mu**2 * s
    se_mean = h.std() / math.sqrt(n_paths)
    se_sq = (h**2).std() / math.sqrt(n_paths)
    assert abs(h.mean() - m) < 4 * se_mean
    assert abs((h**2).mean() - s) < 4 * se_sq


def test_noise_switches_and_generators():
    net = _net("tanh", sigma=0.3)
    u = torch.randn(3, 10, 3, dtype=torch.float64)
    net.train()
    a = net(u, generator=torch.Generator().manual_seed(1))
    b = net(u, generator=torch.Generator().manual_seed(1))
    c = net(u, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    clean = net(u, noise=False)
    net.eval()
    assert torch.equal(net(u), clean)
    assert not torch.equal(net(u, noise=True), clean)
    with pytest.raises(TypeError, match="noise"):
        net(u, noise="yes")


def test_to_srnn_warns_about_multiplicative_noise():
    net = NoisyRNN(1, 3, 1, dt=0.1, sigma=0.1, sigma_mult=0.2, seed=0)
    with pytest.warns(UserWarning, match="multiplicative"):
        model = net.to_srnn()
    np.testing.assert_allclose(model.sigma, 0.1 * np.eye(3), rtol=1e-7)


def test_seed_fixes_the_initial_weights():
    a = NoisyRNN(2, 4, 1, dt=0.1, seed=3)
    b = NoisyRNN(2, 4, 1, dt=0.1, seed=3)
    c = NoisyRNN(2, 4, 1, dt=0.1, seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.W, c.W)


@pytest.mark.parametrize("cosine", [False, True])
def test_adam_equals_torch_optim(cosine):
    from srnnkit.learning._noisy_rnn import _Adam

    g = torch.Generator().manual_seed(0)
    a = [torch.randn(5, 3, dtype=torch.float64, generator=g).requires_grad_(),
         torch.randn(4, dtype=torch.float64, generator=g).requires_grad_()]
    b = [x.detach().clone().requires_grad_() for x in a]
    ours = _Adam(torch, b, lr=1e-2, total=30 if cosine else None)
    theirs = torch.optim.Adam(a, lr=1e-2)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=30) if cosine else None
    for _ in range(30):
        for params, opt in ((a, theirs), (b, ours)):
            opt.zero_grad()
            ((params[0] ** 2).sum().sin() + (params[1] ** 3).sum()).backward()
            opt.step()
        if schedule is not None:
            schedule.step()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy(), rtol=1e-12)


def test_input_checks():
    net = NoisyRNN(2, 3, 1, dt=0.1, seed=0)
    with pytest.raises(ValueError, match="u must be"):
        net(torch.zeros(4, 5, 3))
    with pytest.raises(ValueError, match="lengths"):
        net(torch.zeros(2, 5, 2), [1, 6])
    one = net(torch.zeros(5, 2))                                   # a single series
    assert one.shape == (1,)


@pytest.mark.parametrize("pad", [0.0, float("nan")])
def test_padded_batches_give_each_series_its_own_gradients(pad):
    """Found by fuzzing: the padded tail of a short series ran on; where it overflowed (a
    ReLU network) or held NaN padding, the hand-written backward made every gradient NaN
    through inf * 0. Each series' state is now held after its end: the batch's gradients
    are the sum of the series' own, and its outputs unchanged."""
    torch.manual_seed(0)
    net = NoisyRNN(1, 4, 1, dt=0.5, activation="relu", parameterization="free",
                   seed=1).double().eval()
    with torch.no_grad():
        net.Gamma.copy_(0.1 * torch.eye(4, dtype=torch.float64))
        net.W.copy_(torch.eye(4, dtype=torch.float64))
        net.C.fill_(1.0)
        net.b.fill_(0.1)
    T = 300
    u = torch.zeros(2, T, 1, dtype=torch.float64)
    u[0, :5], u[0, 5:], u[1] = 1.0, pad, -0.5      # a short series (its tail grows), a long one
    out = net(u, lengths=[5, T])
    out.pow(2).sum().backward()
    batch = {k: p.grad.clone() for k, p in net.named_parameters()}
    net.zero_grad()
    alone = torch.cat([net(u[0, :5]), net(u[1])])
    alone.pow(2).sum().backward()
    np.testing.assert_allclose(out.detach().numpy().ravel(), alone.detach().numpy().ravel(),
                               rtol=1e-13)
    for k, p in net.named_parameters():
        assert torch.isfinite(batch[k]).all(), k
        np.testing.assert_allclose(batch[k].numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_float32_dissipative_network_converts_back():
    """Found by fuzzing: after training in float32 the symmetric off-diagonal part of G is
    rounding (6e-8), which the 1e-10 tolerance refused, with a message that showed an
    array's shape instead of the sizes."""
    torch.manual_seed(0)
    net = NoisyRNN(2, 6, 3, dt=0.2, parameterization="dissipative", seed=0)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    u, t = torch.randn(16, 12, 2), torch.randn(16, 3)
    for _ in range(30):
        loss = ((net(u) - t) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    model = net.to_srnn()
    back = NoisyRNN.from_srnn(model, dt=net.dt, parameterization="dissipative").to_srnn()
    np.testing.assert_allclose(back.gamma_matrix, model.gamma_matrix, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back.W, model.W, rtol=1e-12)
    bad = sk.SRNN(model.W, model.C, model.sigma, gamma=model.gamma_matrix + 1e-3 * np.ones(
        (6, 6)), b=model.b, readout=model.readout.Q, input_mode="activation")
    with pytest.raises(ValueError, match=r"smallest diagonal entry .* of its largest entry, "
                                         r"1e-06 allowed"):
        NoisyRNN.from_srnn(bad, dt=net.dt, parameterization="dissipative")


@pytest.mark.parametrize("parameterization", PARAMETERIZATIONS)
def test_unit_scale_is_part_of_the_network_and_of_its_srnn(parameterization):
    """``unit_scale`` s: the network's W and Q are the parameters times diag(s); its forward
    pass is still the Euler-Maruyama chain of `to_srnn()`, and `from_srnn` rebuilds it (with
    s folded into the weights) exactly."""
    s = np.array([0.3, 1.0, 2.5, 7.0, 0.05, 1.5])
    net = _net("tanh", parameterization, unit_scale=s).eval()
    plain = _net("tanh", parameterization).eval()            # same seed, s = 1
    assert torch.equal(plain.unit_scale, torch.ones(6, dtype=torch.float64))
    model = net.to_srnn()
    W = plain.recurrent_weights().detach().numpy()
    np.testing.assert_array_equal(model.W, W * s)
    np.testing.assert_array_equal(model.readout.Q, plain.Q.detach().numpy() * s)
    u = np.random.default_rng(0).standard_normal((4, 12, 3))
    ref = _em_numpy(model, u, net.dt)
    np.testing.assert_allclose(net.states(torch.from_numpy(u)).detach().numpy(), ref,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(net(torch.from_numpy(u)).detach().numpy(),
                               model.output(ref[:, -1]), rtol=0, atol=1e-12)
    back = NoisyRNN.from_srnn(model, dt=net.dt)
    np.testing.assert_allclose(back(torch.from_numpy(u)).detach().numpy(),
                               model.output(ref[:, -1]), rtol=0, atol=1e-12)
    for bad, match in ((np.ones(5), r"shape \(6,\)"), (-1.0, "positive")):
        with pytest.raises(ValueError, match=match):
            NoisyRNN(3, 6, 2, dt=0.1, unit_scale=bad)
