"""Signature and response kernels by the Goursat PDE (THEORY.md §6).

Public functions:

- :func:`signature_kernel` -- untruncated signature-kernel Gram matrix of
  piecewise-linear paths (linear or RBF static kernel).
- :func:`response_kernel` -- the response kernel
  :math:`\\langle S(\\int\\psi\\otimes u), S(\\int\\psi\\otimes v)\\rangle` from the basis'
  :math:`\\kappa(s, t) = \\langle\\psi(s), \\psi(t)\\rangle`, untruncated (PDE) or truncated.

Compiled loops live in ``_kernels.py`` and compile on first use.
"""

from ._response import response_kernel
from ._signature import signature_kernel

__all__ = ["response_kernel", "signature_kernel"]
