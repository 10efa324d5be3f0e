"""Support bases, the tensor path ``X = ∫ψ ⊗ u`` and response features (its signature).

Channel layout of ``X``: channel ``p * m + k`` holds ``∫ ψ_p u^k ds`` (basis function ``p``,
input channel ``k``; ``m`` input channels).
"""

from ._bases import (
    ExponentialBasis,
    LegendreBasis,
    MonomialBasis,
    SupportBasis,
    WeightedMonomialBasis,
)
from ._tensor_path import response_features, tensor_path

__all__ = [
    "ExponentialBasis",
    "LegendreBasis",
    "MonomialBasis",
    "SupportBasis",
    "WeightedMonomialBasis",
    "response_features",
    "tensor_path",
]
