"""Response theory: closed forms, response-kernel estimators and Volterra series."""

from ._linear import stationary_covariance

__all__ = ["stationary_covariance"]
