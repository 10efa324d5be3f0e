"""Response theory: closed forms, response-kernel estimators and Volterra series.

THEORY.md sections 2, 3 and 7: first- and second-order response kernels four ways
(analytic closed forms, common-random-number perturbation, fluctuation-dissipation,
Girsanov likelihood ratios), a grid-exact transfer operator for one-dimensional SRNNs
(an independent oracle), and the Volterra series they define.
"""

from ..model._linear import stationary_covariance
from ._api import linear_response, second_order_response
from ._grid import GridChain
from ._result import ResponseFunction
from ._volterra import (
    VolterraConvergence,
    VolterraSeries,
    VolterraTerms,
    volterra_convergence,
    volterra_terms,
)

__all__ = [
    "GridChain",
    "ResponseFunction",
    "VolterraConvergence",
    "VolterraSeries",
    "VolterraTerms",
    "linear_response",
    "second_order_response",
    "stationary_covariance",
    "volterra_convergence",
    "volterra_terms",
]
