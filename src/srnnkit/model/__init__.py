"""SRNN models: parameters, activations and readouts."""

from ._readouts import Linear, Quadratic
from ._srnn import SRNN, DissipativityWarning

__all__ = ["SRNN", "DissipativityWarning", "Linear", "Quadratic"]
