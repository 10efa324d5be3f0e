"""Readouts ``y = f(h)``: :class:`Linear` (``Qh + q``) and :class:`Quadratic` (``½ hᵀMh``)."""

from .model._readouts import Linear, Quadratic

__all__ = ["Linear", "Quadratic"]
