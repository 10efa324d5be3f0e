r"""Response theory: closed forms, response-kernel estimators and Volterra series.

First- and second-order response kernels four ways (analytic closed forms,
common-random-number perturbation, fluctuation-dissipation, Girsanov likelihood ratios), a
grid-exact transfer operator for one-dimensional SRNNs (an independent oracle), and the
Volterra series they define (the theory page, sections 2, 3 and 7).

Estimators of the first-order kernel (``linear_response``; the theory page, sections 3
and 7):

- ``"analytic"`` -- linear SRNNs (``activation="identity"``) with a linear or Quadratic
  readout: :math:`E[\nabla f]\,e^{-A\tau}C` (scipy ``expm``), or with ``discrete=True`` the
  Euler–Maruyama chain's :math:`E[\nabla f]\,(I-\Delta A)^k C`.
- ``"perturbation"`` -- kicks :math:`h\to h\pm\varepsilon c_a` of a stationary ensemble,
  central differences with common random numbers (bias :math:`O(\varepsilon^2)`, variance
  bounded as :math:`\varepsilon\to0`; exact up to rounding for linear SRNNs). With the input
  inside the activation (``input_mode="activation"``) the kick is one Euler–Maruyama step
  with :math:`u = \pm\varepsilon e_a` (the drift itself kicks), divided by :math:`\Delta`.
- ``"pathwise"`` -- the :math:`\varepsilon\to0` limit of the same differences along
  ``n_chains`` stationary runs (tangent propagation, kicks every few steps).
- ``"fdt"`` -- fluctuation-dissipation: :math:`E_{stat}[(f(h_{i+k}) - \bar f)\,v(h_i)]`
  along ``n_chains`` independent stationary runs of ``n_steps`` steps, all lags at once by
  FFT. The conjugate variable needs the stationary score :math:`\nabla\log p_\infty`:
  exact for linear SRNNs (EM-chain covariance :math:`\Sigma_\Delta`), learned from the
  same runs by score matching for nonlinear ones (``score="auto"``), or quasi-Gaussian
  (``score="gaussian"``, biased on nonlinear SRNNs: `GaussianScoreWarning`; the learned score
  is too coarse for ReLU networks of two or more units with the input inside the activation:
  `LearnedScoreWarning`). With the input
  inside the activation it carries the divergence term and the chain's first-order
  correction in :math:`\Delta`, and checks its :math:`O(\Delta^2)` remainder on its own runs
  (``info["fdt_step_check"]``; `FDTStepWarning` when the step is too large). A callable
  ``score(h) -> v(h)`` of shape (..., m) may be passed instead.
- ``"girsanov"`` -- likelihood-ratio weights: :math:`r_1(k) = E_0[(f(h_{j+1+k})-\bar f)\,
  \omega_j]`, :math:`\omega_j = G^\top\xi_j/\sqrt\Delta`, :math:`G = \sigma^+C`, along
  stationary runs (FFT).  Unbiased for the EM chain at any ``dt``; needs
  :math:`\mathrm{range}\,C\subseteq\mathrm{range}\,\sigma`, and warns
  (`GirsanovConditioningWarning`) when an input enters a direction the noise barely drives.
- ``"grid"`` -- one-dimensional SRNNs: exact EM-chain kernel from the grid transfer operator
  (:class:`GridChain`), no sampling noise.

All Monte Carlo methods and ``"grid"`` estimate the Euler–Maruyama chain's kernel ``r1(k)``
(``discrete=True`` in the result), which differs from :math:`R^{(1)}(k\Delta)` by
:math:`O(\Delta)`.  Standard errors: across independent starts (perturbation, with the
correlation of starts taken along one chain) or independent stationary runs (pathwise, fdt,
girsanov); the latter also check that their runs sample one law (``info["runs"]``,
`RunsDisagreeWarning`).
"""

from ..dynamics._agreement import RunsDisagreeWarning
from ..model._linear import stationary_covariance
from ._api import linear_response, second_order_response
from ._grid import GridChain
from ._result import ResponseFunction
from ._score import FDTStepWarning, GaussianScoreWarning, LearnedScoreWarning
from ._volterra import (
    UnresolvedSlopeWarning,
    VolterraConvergence,
    VolterraSeries,
    VolterraTerms,
    volterra_convergence,
    volterra_terms,
)
from ._weights import GirsanovConditioningWarning

__all__ = [
    "FDTStepWarning",
    "GaussianScoreWarning",
    "GirsanovConditioningWarning",
    "GridChain",
    "LearnedScoreWarning",
    "ResponseFunction",
    "RunsDisagreeWarning",
    "UnresolvedSlopeWarning",
    "VolterraConvergence",
    "VolterraSeries",
    "VolterraTerms",
    "linear_response",
    "second_order_response",
    "stationary_covariance",
    "volterra_convergence",
    "volterra_terms",
]
