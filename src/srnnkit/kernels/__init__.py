"""Signature and response kernels by the Goursat PDE (docs/theory.md §6).

Public functions:

- :func:`signature_kernel` -- untruncated signature-kernel Gram matrix of
  piecewise-linear paths (linear or RBF static kernel).
- :func:`response_kernel` -- the response kernel
  :math:`\\langle S(\\int\\psi\\otimes u), S(\\int\\psi\\otimes v)\\rangle` from the basis'
  :math:`\\kappa(s, t) = \\langle\\psi(s), \\psi(t)\\rangle`, untruncated (PDE) or truncated.
- :func:`pooled_response_kernel` -- response kernels of fading-memory modes (a linear SRNN's
  units) averaged over all pairs of readout times: tolerant to shifts, linear in the length.

Compiled loops live in ``_pde_loops.py`` and compile on first use.
"""

from ._common import CoarseGridWarning
from ._pooled import pooled_response_kernel
from ._response import response_kernel
from ._signature import signature_kernel

__all__ = ["CoarseGridWarning", "pooled_response_kernel", "response_kernel", "signature_kernel"]
