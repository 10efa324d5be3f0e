r"""Trained networks: noise-injected RNNs in PyTorch that are SRNNs (the optional torch extra).

- :class:`NoisyRNN` -- a ``torch.nn.Module``: the Euler-Maruyama discretisation of the SRNN
  with the input inside the activation (docs/theory.md §11),
  :math:`h_{k+1} = h_k + \Delta[-\Gamma h_k + a(W h_k + C u_k + b)] + \sigma\sqrt{\Delta}\,\xi_k`,
  trained with its noise switched on; ``to_srnn()`` / ``NoisyRNN.from_srnn`` convert to and
  from :class:`srnnkit.SRNN` exactly.
- :func:`from_torch_rnn` -- a trained ``torch.nn.RNN`` / ``RNNCell`` (Elman, tanh or ReLU)
  and its ``torch.nn.Linear`` head as the SRNN it discretises (step 1, leak :math:`I`, the
  input inside the activation), ready for :func:`srnnkit.analysis.analyze_network`.
- :func:`from_lipschitz_rnn` -- a Lipschitz RNN or noisy RNN trained with the authors' own
  code (erichson/LipschitzRNN, erichson/NoisyRNN) as the SRNN it discretises (step ``eps``).

This subpackage needs PyTorch: ``pip install "srnnkit[torch]"``. ``import srnnkit`` never
imports it; the scikit-learn shells :class:`srnnkit.learning.NoisyRNNClassifier` and
:class:`srnnkit.learning.NoisyRNNRegressor` import it when they fit.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as err:  # pragma: no cover - exercised in a subprocess by tests/nn
    raise ImportError(
        'srnnkit.nn needs PyTorch, which is not installed: pip install "srnnkit[torch]" '
        "(or install torch yourself first, e.g. the CPU wheel, then the extra).") from err

from ._lipschitz import from_lipschitz_rnn
from ._noisy_rnn import PARAMETERIZATIONS, NoisyRNN
from ._torch_rnn import from_torch_rnn

__all__ = ["PARAMETERIZATIONS", "NoisyRNN", "from_lipschitz_rnn", "from_torch_rnn"]
