r"""``from_lipschitz_rnn``: a Lipschitz or noisy RNN trained with the authors' code as an SRNN.

The reference implementations of Erichson et al., "Lipschitz Recurrent Neural Networks" (ICLR
2021), and Lim, Erichson, Hodgkinson and Mahoney, "Noisy Recurrent Neural Networks" (NeurIPS
2021), keep the hidden state as a row vector and step

.. math::

    h_{k+1} = h_k + s \odot \bigl[\alpha\, h_k A + \tanh(h_k W + E x_k + e)\bigr]
              + \nu\,\xi_k,
    \qquad A = \beta (B - B^\top) + (1 - \beta)(B + B^\top) - \gamma_A I

(:math:`W` likewise from :math:`C` and :math:`\gamma_W`), with a step :math:`s` that is the
scalar :math:`\varepsilon` or, for the noisy RNN's ``solver="noisy"``, a trained vector
:math:`d`, and additive noise :math:`\nu` in training only. In column form and with
:math:`x = G^{-1} h`, :math:`G = \mathrm{diag}(s) / \varepsilon`, this is the Euler-Maruyama step
:math:`\Delta = \varepsilon` of the SRNN with the input inside the activation (docs/theory.md
§11).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import fail
from ._noisy_rnn import _sigma_matrix, float64_copy

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..model import SRNN

__all__ = ["from_lipschitz_rnn"]

#: model names of the Lipschitz RNN code that are not of the SRNN form, and why
_NOT_SRNN = {
    "simpleRNN": "an Elman network: use srnnkit.nn.from_torch_rnn on a torch.nn.RNN",
    "resRNN": "no leak (Gamma = 0): no stationary law to read it around",
    "asymRNN": "no leak (Gamma = 0): no stationary law to read it around",
    "calRNN": "a Cayley-map network, not an Euler step of an SRNN",
    "LipschitzRNN_gated": "a gated network, not an SRNN",
    "LipschitzRNN_ODE": "integrated by an ODE solver, not by the Euler step",
}


def _number(net: Any, name: str, *, positive: bool = False) -> float:
    """The hyperparameter ``net.<name>`` as a finite float (a 0-d tensor is read as its
    value: a reimplementation may keep ``eps`` in a buffer)."""
    value = getattr(net, name, None)
    if hasattr(value, "ndim") and getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or (positive and value <= 0):
        what = "a finite number > 0" if positive else "a finite number"
        fail("net", f"a network whose attribute {name!r} is {what}", repr(value))
    return float(value)


def _matrix(net: Any, name: str) -> np.ndarray:
    """The tensor ``net.<name>`` as float64."""
    import torch

    value = getattr(net, name, None)
    if not isinstance(value, torch.Tensor):
        fail("net", f"a network with a tensor {name!r}",
             type(value).__name__, TypeError)
    return float64_copy(value)


def _variant(net: Any) -> tuple[float, float, np.ndarray | None, float]:
    """(gamma_A, gamma_W, trained step vector or None, training noise) of ``net``."""
    solver = getattr(net, "solver", None)
    if hasattr(net, "gamma_A") and solver in ("base", "noisy"):          # NoisyRNN
        noisy = solver == "noisy"
        step = _matrix(net, "d") if noisy else None
        noise = _number(net, "add_noise") if noisy else 0.0
        return _number(net, "gamma_A"), _number(net, "gamma_W"), step, noise
    kind = getattr(net, "model", None)
    if kind == "LipschitzRNN":
        gamma = _number(net, "gamma")
        return gamma, gamma, None, 0.0
    if isinstance(kind, str) and kind in _NOT_SRNN:
        fail("net", "a Lipschitz RNN with model='LipschitzRNN'",
             f"model={kind!r}, {_NOT_SRNN[kind]}")
    fail("net", "a Lipschitz RNN (erichson/LipschitzRNN's RnnModels with "
         "model='LipschitzRNN') or a noisy RNN (erichson/NoisyRNN's NoisyRNN, solver 'base' "
         "or 'noisy'), or a module with the same attributes", type(net).__name__, TypeError,
         hint=_variant_hint(net, solver))
    raise AssertionError  # pragma: no cover - fail raises


def _variant_hint(net: Any, solver: Any) -> str | None:
    """What tells the two reference networks apart, and what ``net`` lacks of it."""
    import torch

    if isinstance(net, (torch.nn.RNNBase, torch.nn.RNNCellBase)):
        return ("An Elman torch.nn.RNN or RNNCell is converted by srnnkit.nn.from_torch_rnn; "
                "an LSTM or GRU is not an SRNN.")
    if hasattr(net, "gamma_A"):
        return f"It has gamma_A (a noisy RNN) and solver={solver!r}."
    if all(hasattr(net, k) for k in ("B", "C", "E", "D")):
        return ("It has the weights B, C, E and D but neither model='LipschitzRNN' nor "
                "gamma_A with a solver: set net.model = 'LipschitzRNN' (with gamma, beta, "
                "eps, alpha) if it steps h + eps [alpha h A + tanh(h W + E x)].")
    return None


def _skew_sym(M: np.ndarray, beta: float, shift: float) -> np.ndarray:
    r""":math:`\beta (M - M^\top) + (1 - \beta)(M + M^\top) - \text{shift}\, I`."""
    return beta * (M - M.T) + (1.0 - beta) * (M + M.T) - shift * np.eye(M.shape[0])


def from_lipschitz_rnn(net: Any, *, sigma: ArrayLike | None = None) -> SRNN:
    r"""The SRNN of a Lipschitz or noisy RNN trained with the authors' code, at ``dt = net.eps``.

    The networks of Erichson et al. (2021) and Lim et al. (2021) step a row-vector state

    .. math::

        h_{k+1} = h_k + s \odot [\alpha\, h_k A + \tanh(h_k W + E x_k + e)] + \nu\, \xi_k,

    with :math:`A, W` built from the trained :math:`B, C` by the skew weight :math:`\beta` and
    the shifts :math:`\gamma_A, \gamma_W`, the step :math:`s = \varepsilon` (``eps``; the
    trained vector ``d`` for the noisy RNN's ``solver="noisy"``) and a readout
    :math:`y = D h + \delta`. With :math:`G = \mathrm{diag}(s)/\varepsilon` and
    :math:`x = G^{-1} h` this is the Euler-Maruyama step :math:`\Delta = \varepsilon` of

    .. math::

        dx = [-\Gamma x + \tanh(W' x + E u + e)]\,dt + \Sigma\, dB_t, \qquad y = D G x + \delta,

    with :math:`\Gamma = -\alpha A^\top G`, :math:`W' = W^\top G` and
    :math:`\Sigma = G^{-1}\nu/\sqrt{\varepsilon}`. :math:`G = I` unless the steps were trained,
    so the SRNN's state is then the network's own; a trained step may be negative (nothing in
    the reference code keeps it positive), and only a zero step is refused. With ``sigma = 0``,
    ``srnnkit.simulate(model, x, dt=net.eps, h0="zeros")`` is the network's forward pass in
    evaluation mode (the noisy RNN's ``forward(x, mode="test")``, its default: the reference
    code draws its training noise when called with ``mode="train"``, whatever ``.train()``
    or ``.eval()`` says); the multiplicative noise of training (``mult_noise``) is not part
    of it.

    Parameters
    ----------
    net : torch.nn.Module
        A trained ``RnnModels(model="LipschitzRNN")`` (``rnn_models`` in earlier versions)
        of erichson/LipschitzRNN or a
        ``NoisyRNN`` of erichson/NoisyRNN (solver ``"base"`` or ``"noisy"``), as saved by
        their drivers with ``torch.save(model, ...)``, or any module with the same attributes:
        ``E`` and ``D`` (``torch.nn.Linear``), ``B`` and ``C`` (n x n), ``beta``, ``alpha``,
        ``eps`` and ``gamma`` (or ``gamma_A``, ``gamma_W``, ``solver``, ``d``,
        ``add_noise``; numbers or 0-d tensors). Weights are copied as float64.
    sigma : float, array-like of shape (n,) or (n, r), optional
        Noise added to :math:`h` per step, :math:`\nu` (a scalar means :math:`\nu I`), at which
        to read the network. ``None`` takes the level it was trained with (``add_noise`` of a
        noisy RNN with ``solver="noisy"``), and 0 when it was trained without noise.

    Returns
    -------
    model : SRNN
        tanh activation, ``input_mode="activation"``, a full leak matrix and readout
        ``Linear(D G, delta)``; to be read with ``dt = net.eps``, recorded as ``model.dt``.

    Raises
    ------
    TypeError
        If ``net`` is not one of these networks.
    ValueError
        If a hyperparameter is not a finite number, ``eps`` is not positive, a trained step
        is 0 (the unit never moves) or not finite, or a shape does not match.

    See Also
    --------
    srnnkit.nn.from_torch_rnn : a PyTorch Elman RNN as an SRNN.
    srnnkit.nn.NoisyRNN : the same network form, trained with srnnkit.

    Examples
    --------
    A stand-in with the reference code's attributes (the real module is loaded with
    ``torch.load(path, weights_only=False)`` where its class is importable):

    >>> import torch
    >>> from srnnkit.nn import from_lipschitz_rnn
    >>> class Net(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.E, self.D = torch.nn.Linear(2, 8), torch.nn.Linear(8, 3)
    ...         self.B = torch.nn.Parameter(0.1 * torch.randn(8, 8))
    ...         self.C = torch.nn.Parameter(0.1 * torch.randn(8, 8))
    ...         self.model, self.beta, self.gamma, self.alpha, self.eps = (
    ...             "LipschitzRNN", 0.75, 0.01, 1.0, 0.1)
    >>> model = from_lipschitz_rnn(Net(), sigma=0.02)
    >>> model.n_hidden, model.n_inputs, model.n_outputs, model.input_mode
    (8, 2, 3, 'activation')
    """
    from ..model import SRNN, Linear

    gamma_a, gamma_w, step, noise = _variant(net)
    eps = _number(net, "eps", positive=True)
    beta = _number(net, "beta")
    alpha = _number(net, "alpha") if hasattr(net, "alpha") else 1.0
    B, Cw, (E, e), (D, delta) = _weights(net)
    n = B.shape[0]
    g = np.ones(n) if step is None else step.reshape(-1) / eps
    if g.shape != (n,) or not np.all(np.isfinite(g)) or np.any(g == 0):
        fail("net", f"a noisy RNN whose trained steps d are {n} finite nonzero numbers",
             np.array2string(step, threshold=8) if step is not None else None)
    nu = _sigma_matrix(noise if sigma is None else sigma, n)
    A = _skew_sym(B, beta, gamma_a)
    W = _skew_sym(Cw, beta, gamma_w)
    return SRNN(W=W.T * g, C=E, b=e, gamma=-alpha * A.T * g, sigma=nu / g[:, None] / np.sqrt(eps),
                activation="tanh", readout=Linear(D * g, delta), input_mode="activation",
                dt=eps)


def _linear(net: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(weight, bias or zeros) of the ``torch.nn.Linear`` ``net.<name>``, as float64."""
    import torch

    layer = getattr(net, name, None)
    if not isinstance(layer, torch.nn.Linear):
        fail("net", f"a network whose {name!r} is a torch.nn.Linear", type(layer).__name__,
             TypeError)
    weight = float64_copy(layer.weight)
    bias = float64_copy(layer.bias) if layer.bias is not None else np.zeros(weight.shape[0])
    return weight, bias


def _weights(net: Any) -> tuple:
    """B, C (n x n), (E.weight, E.bias) and (D.weight, D.bias) with one n, as float64."""
    B, Cw = _matrix(net, "B"), _matrix(net, "C")
    (E, e), (D, delta) = _linear(net, "E"), _linear(net, "D")
    n = B.shape[0] if B.ndim else 0
    if B.shape != (n, n) or Cw.shape != (n, n) or E.shape[0] != n or D.shape[1] != n:
        fail("net", "B, C of shape (n, n), E.weight (n, m) and D.weight (p, n) with one n",
             f"B {B.shape}, C {Cw.shape}, E.weight {E.shape}, D.weight {D.shape}")
    return B, Cw, (E, e), (D, delta)
