r"""``from_torch_rnn``: a PyTorch Elman RNN (``torch.nn.RNN`` / ``RNNCell``) as an SRNN.

An Elman layer updates :math:`h_{k+1} = a(W_{hh} h_k + b_{hh} + W_{ih} x_k + b_{ih})`. That is
the Euler-Maruyama step of the SRNN with the input inside the activation (docs/theory.md §11),
:math:`h_{k+1} = h_k + \Delta[-\Gamma h_k + a(W h_k + C x_k + b)] + \sigma\sqrt{\Delta}\,\xi_k`,
at :math:`\Delta = 1` and :math:`\Gamma = I`: the leak cancels the carried state exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import fail
from ..dynamics._activations import ACTIVATIONS
from ._noisy_rnn import float64_copy

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..model import SRNN

__all__ = ["from_torch_rnn"]

#: torch's nonlinearity names -> SRNN activations
_NONLINEARITIES = {"tanh": "tanh", "relu": "relu"}
#: ``torch.nn.RNN.mode`` (what its forward pass runs) -> SRNN activations
_MODES = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}


def _check_layer(rnn: Any) -> str:
    """The activation of a one-layer, one-direction Elman RNN; refuses anything else."""
    import torch

    if isinstance(rnn, torch.nn.RNN):
        if rnn.num_layers != 1:
            fail("rnn", "a torch.nn.RNN with num_layers=1 (stack the layers' SRNNs yourself: "
                 "an SRNN has one hidden layer)", f"num_layers={rnn.num_layers}")
        if rnn.bidirectional:
            fail("rnn", "a torch.nn.RNN with bidirectional=False (a backward pass over the "
                 "series is not a causal dynamical system)", "bidirectional=True")
        if getattr(rnn, "proj_size", 0):
            fail("rnn", "a torch.nn.RNN without projections", f"proj_size={rnn.proj_size}")
        if rnn.mode not in _MODES:    # the forward pass runs mode, not the nonlinearity text
            fail("rnn", "a torch.nn.RNN with nonlinearity 'tanh' or 'relu'",
                 f"mode={rnn.mode!r} (nonlinearity={rnn.nonlinearity!r})")
        return _MODES[rnn.mode]
    if isinstance(rnn, torch.nn.RNNCell):
        if rnn.nonlinearity not in _NONLINEARITIES:    # was a KeyError
            fail("rnn", "a torch.nn.RNNCell with nonlinearity 'tanh' or 'relu'",
                 f"nonlinearity={rnn.nonlinearity!r}")
        return _NONLINEARITIES[rnn.nonlinearity]
    layers = ([f"{k} ({type(v).__name__})" for k, v in rnn.named_modules()
               if isinstance(v, (torch.nn.RNNBase, torch.nn.RNNCellBase)) and k]
              if isinstance(rnn, torch.nn.Module) else [])
    hint = (f"It holds {', '.join(layers[:3])}: pass the Elman layer itself, and its "
            "torch.nn.Linear head as readout." if layers else
            "A state dict is not a module: build the module, load_state_dict() into it and "
            "pass the module." if isinstance(rnn, dict) else None)
    fail("rnn", "a torch.nn.RNN or torch.nn.RNNCell (Elman; an LSTM or GRU is not an "
         "SRNN)", type(rnn).__name__, TypeError, hint=hint)
    raise AssertionError  # pragma: no cover - fail raises


def _rnn_weights(rnn: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(W_hh, W_ih, b_hh + b_ih, activation) of a one-layer, one-direction Elman RNN, as its
    forward pass in evaluation mode uses them.

    The module runs once, in evaluation mode, on a short probe before the weights are read:
    hooks that recompute a weight in the forward pass (``torch.nn.utils.weight_norm``,
    ``spectral_norm``, ``prune``) left the attribute at its value before the last optimiser
    step, and a parametrised weight read in training mode ran a power iteration. The probe's
    output is then checked against the recurrence of the weights read.
    """
    import torch

    activation = _check_layer(rnn)
    cell = isinstance(rnn, torch.nn.RNNCell)
    suffix = "" if cell else "_l0"
    was_training = rnn.training
    try:
        rnn.eval()
        with torch.no_grad():
            u, H, eps = _probe(rnn, cell)
            W_hh, W_ih = (float64_copy(getattr(rnn, f"weight_{k}{suffix}")) for k in ("hh", "ih"))
            biases = ([float64_copy(getattr(rnn, f"bias_{k}{suffix}")) for k in ("hh", "ih")]
                      if rnn.bias else [])
    finally:
        rnn.train(was_training)
    b = sum(biases, np.zeros(W_hh.shape[0]))
    _check_probe(u, H, eps, W_hh, W_ih, b, activation)
    return W_hh, W_ih, b, activation


def _probe(rnn: Any, cell: bool) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Inputs (2, 4, m), the module's hidden states after each (both as float64; None when
    its forward pass returns something else) and the machine epsilon of its dtype.

    The call runs the forward pre-hooks that recompute weights even when the forward pass
    itself is a subclass's with other arguments or outputs, which is then not checked.
    """
    import torch

    ref = rnn.weight_ih if cell else rnn.weight_ih_l0
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(2, 4, rnn.input_size, generator=gen).to(dtype=ref.dtype, device=ref.device)
    try:
        H = _probe_states(rnn, cell, u)
    except (TypeError, ValueError, RuntimeError, IndexError):    # a forward of its own
        H = None
    if H is None or H.shape != (2, 4, rnn.hidden_size):
        return float64_copy(u), None, 0.0
    return float64_copy(u), float64_copy(H), float(torch.finfo(ref.dtype).eps)


def _probe_states(rnn: Any, cell: bool, u: Any) -> Any:
    """The hidden states (2, 4, n) of ``rnn`` on the probe ``u``, or None when its forward
    pass returns something else."""
    import torch

    if cell:
        h, states = torch.zeros((2, rnn.hidden_size), dtype=u.dtype, device=u.device), []
        for k in range(u.shape[1]):
            h = rnn(u[:, k], h)
            if not (isinstance(h, torch.Tensor) and h.shape == (2, rnn.hidden_size)):
                return None
            states.append(h)
        return torch.stack(states, 1)
    out = rnn(u if rnn.batch_first else u.transpose(0, 1))
    H = out[0] if isinstance(out, tuple) else out
    if not (isinstance(H, torch.Tensor) and H.ndim == 3):
        return None
    return H if rnn.batch_first else H.transpose(0, 1)


def _check_probe(u: np.ndarray, H: np.ndarray | None, eps: float, W_hh: np.ndarray,
                 W_ih: np.ndarray, b: np.ndarray, activation: str) -> None:
    """Refuse weights whose Elman recurrence is not the module's forward pass on the probe."""
    if H is None or not np.isfinite(H).all():
        return                  # no states to check (or the module overflowed its dtype)
    if not all(np.isfinite(a).all() for a in (W_hh, W_ih, b)):
        return                  # the SRNN's own check names the weight
    act = ACTIVATIONS[activation].fn
    # one step at a time from the module's own states, so rounding does not compound
    prev = np.concatenate([np.zeros_like(H[:, :1]), H[:, :-1]], axis=1)
    z = prev @ W_hh.T + u @ W_ih.T + b
    size = np.abs(prev) @ np.abs(W_hh).T + np.abs(u) @ np.abs(W_ih).T + np.abs(b)
    # a dot product of k terms rounds by at most about k eps times the sum of their sizes
    tol = 4.0 * (W_hh.shape[1] + W_ih.shape[1] + 2) * eps * (1.0 + size)
    gap = np.abs(act(z) - H)
    if not np.all(gap <= tol):
        worst = np.unravel_index(np.argmax(gap - tol), gap.shape)
        fail("rnn", f"a module whose forward pass is the Elman recurrence {activation}(W_hh h "
             "+ W_ih x + b_hh + b_ih) of its weights (a subclass with its own forward pass, "
             "or a nonlinearity changed after construction, is not)",
             f"a step of its forward pass {gap[worst]:.3g} away from that recurrence on a "
             f"4-step probe (rounding allows {tol[worst]:.2g})")


def from_torch_rnn(rnn: Any, readout: Any = None, *, sigma: ArrayLike = 0.0) -> SRNN:
    r"""The SRNN of a trained PyTorch Elman RNN, to be read with step ``dt = 1``.

    A one-layer ``torch.nn.RNN`` (or ``RNNCell``) updates
    :math:`h_{k+1} = a(W_{hh} h_k + W_{ih} x_k + b_{hh} + b_{ih})`, :math:`a` = tanh or ReLU.
    This is the Euler-Maruyama step with :math:`\Delta = 1` of

    .. math:: dh = [-h + a(W_{hh} h + W_{ih} x + b_{hh} + b_{ih})]\,dt + \sigma\,dB_t,
              \qquad y = Q h + q,

    the SRNN with :math:`\Gamma = I` and the input inside the activation: with ``sigma = 0``,
    ``srnnkit.simulate(model, x, dt=1.0, h0="zeros")`` is the module's forward pass in
    evaluation mode (the weights are read as that pass uses them: one pass runs, in
    evaluation mode, on a 4-step probe first, so that weights recomputed by a forward hook
    such as ``torch.nn.utils.weight_norm`` or ``spectral_norm`` are current; the module is
    left in its mode and state, and its output on the probe is checked). The
    noise ``sigma`` (added once per step) is what makes it an SRNN with a stationary law and
    response kernels: the level the network was trained with, or the level at which to read it.
    The step's linear part :math:`I - \Delta\Gamma` is 0, so with a bounded activation the
    chain is always dissipative.

    Parameters
    ----------
    rnn : torch.nn.RNN or torch.nn.RNNCell
        One layer, one direction, ``nonlinearity`` "tanh" or "relu"; ``batch_first`` does not
        matter to the conversion, but srnnkit takes inputs as (n_series, n_steps, m): a
        ``batch_first=False`` batch (n_steps, batch, m) is transposed first, or its time
        steps are read as series. Its weights are copied as float64. Pass the layer itself,
        not a module that holds it, and its head as ``readout``.
    readout : torch.nn.Linear, optional
        The head that maps the hidden state to the outputs, :math:`y = Q h + q`; ``None``
        reads the hidden state itself.
    sigma : float, array-like or tensor of shape (n,) or (n, r), default=0.0
        Noise amplitude per step (a scalar means :math:`\sigma I`); a tensor is copied
        (detached) as float64.

    Returns
    -------
    model : SRNN
        ``SRNN(W=W_hh, C=W_ih, b=b_hh + b_ih, gamma=1.0, sigma=sigma, activation,
        readout=Linear(Q, q), input_mode="activation", dt=1.0)``: its step, one time unit
        per input, is recorded as ``model.dt``.

    Raises
    ------
    TypeError
        If ``rnn`` is not a ``torch.nn.RNN`` or ``RNNCell`` (an LSTM, a GRU, a module that
        holds the layer, a state dict) or ``readout`` is not a ``torch.nn.Linear``.
    ValueError
        If ``rnn`` has several layers, two directions or another nonlinearity, if its
        forward pass is not the Elman recurrence of its weights (a subclass with its own
        forward pass), or if the shapes do not match.

    Examples
    --------
    >>> import torch
    >>> import srnnkit as sk
    >>> from srnnkit.nn import from_torch_rnn
    >>> rnn = torch.nn.RNN(2, 8, batch_first=True)
    >>> head = torch.nn.Linear(8, 3)
    >>> model = from_torch_rnn(rnn, head, sigma=0.1)
    >>> model.n_hidden, model.n_inputs, model.n_outputs, model.input_mode
    (8, 2, 3, 'activation')
    """
    import torch

    from ..model import SRNN, Linear

    W, C, b, activation = _rnn_weights(rnn)
    n = W.shape[0]
    if readout is None:
        ro: Any = None
    else:
        if not isinstance(readout, torch.nn.Linear):
            fail("readout", "None or a torch.nn.Linear head", type(readout).__name__,
                 TypeError)
        if readout.in_features != n:
            fail("readout", f"a torch.nn.Linear with in_features = {n} (the hidden size)",
                 f"in_features={readout.in_features}")
        Q = float64_copy(readout.weight)
        q = float64_copy(readout.bias) if readout.bias is not None else np.zeros(Q.shape[0])
        ro = Linear(Q, q)
    if isinstance(sigma, torch.Tensor):       # a learned level (requires_grad) was refused
        sigma = float64_copy(sigma)
    return SRNN(W=W, C=C, b=b, gamma=1.0, sigma=sigma, activation=activation, readout=ro,
                input_mode="activation", dt=1.0)
