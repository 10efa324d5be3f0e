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
from ._noisy_rnn import float64_copy

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..model import SRNN

__all__ = ["from_torch_rnn"]

#: torch's nonlinearity names -> SRNN activations
_NONLINEARITIES = {"tanh": "tanh", "relu": "relu"}


def _rnn_weights(rnn: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(W_hh, W_ih, b_hh + b_ih, activation) of a one-layer, one-direction Elman RNN."""
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
        W_hh, W_ih = rnn.weight_hh_l0, rnn.weight_ih_l0
        biases = (rnn.bias_hh_l0, rnn.bias_ih_l0) if rnn.bias else ()
    elif isinstance(rnn, torch.nn.RNNCell):
        W_hh, W_ih = rnn.weight_hh, rnn.weight_ih
        biases = (rnn.bias_hh, rnn.bias_ih) if rnn.bias else ()
    else:
        fail("rnn", "a torch.nn.RNN or torch.nn.RNNCell (Elman; an LSTM or GRU is not an "
             "SRNN)", type(rnn).__name__, TypeError)
    b = sum((float64_copy(x) for x in biases), np.zeros(W_hh.shape[0]))
    return float64_copy(W_hh), float64_copy(W_ih), b, _NONLINEARITIES[rnn.nonlinearity]


def from_torch_rnn(rnn: Any, readout: Any = None, *, sigma: ArrayLike = 0.0) -> SRNN:
    r"""The SRNN of a trained PyTorch Elman RNN, to be read with step ``dt = 1``.

    A one-layer ``torch.nn.RNN`` (or ``RNNCell``) updates
    :math:`h_{k+1} = a(W_{hh} h_k + W_{ih} x_k + b_{hh} + b_{ih})`, :math:`a` = tanh or ReLU.
    This is the Euler-Maruyama step with :math:`\Delta = 1` of

    .. math:: dh = [-h + a(W_{hh} h + W_{ih} x + b_{hh} + b_{ih})]\,dt + \sigma\,dB_t,
              \qquad y = Q h + q,

    the SRNN with :math:`\Gamma = I` and the input inside the activation: with ``sigma = 0``,
    ``srnnkit.simulate(model, x, dt=1.0, h0="zeros")`` is the module's forward pass. The
    noise ``sigma`` (added once per step) is what makes it an SRNN with a stationary law and
    response kernels: the level the network was trained with, or the level at which to read it.
    The step's linear part :math:`I - \Delta\Gamma` is 0, so with a bounded activation the
    chain is always dissipative.

    Parameters
    ----------
    rnn : torch.nn.RNN or torch.nn.RNNCell
        One layer, one direction, ``nonlinearity`` "tanh" or "relu"; ``batch_first`` does not
        matter. Its weights are copied as float64.
    readout : torch.nn.Linear, optional
        The head that maps the hidden state to the outputs, :math:`y = Q h + q`; ``None``
        reads the hidden state itself.
    sigma : float, array-like of shape (n,) or (n, r), default=0.0
        Noise amplitude per step (a scalar means :math:`\sigma I`).

    Returns
    -------
    model : SRNN
        ``SRNN(W=W_hh, C=W_ih, b=b_hh + b_ih, gamma=1.0, sigma=sigma, activation,
        readout=Linear(Q, q), input_mode="activation")``.

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
    from ..model import SRNN, Linear

    W, C, b, activation = _rnn_weights(rnn)
    n = W.shape[0]
    if readout is None:
        ro: Any = None
    else:
        import torch

        if not isinstance(readout, torch.nn.Linear):
            fail("readout", "None or a torch.nn.Linear head", type(readout).__name__,
                 TypeError)
        if readout.in_features != n:
            fail("readout", f"a torch.nn.Linear with in_features = {n} (the hidden size)",
                 f"in_features={readout.in_features}")
        Q = float64_copy(readout.weight)
        q = float64_copy(readout.bias) if readout.bias is not None else np.zeros(Q.shape[0])
        ro = Linear(Q, q)
    return SRNN(W=W, C=C, b=b, gamma=1.0, sigma=sigma, activation=activation, readout=ro,
                input_mode="activation")
