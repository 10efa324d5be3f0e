"""SRNN models: parameters, activations and readouts."""

from ._linear import stationary_covariance
from ._readouts import Linear, Quadratic
from ._srnn import SRNN, DissipativityWarning

__all__ = ["SRNN", "DissipativityWarning", "Linear", "Quadratic", "stationary_covariance"]
