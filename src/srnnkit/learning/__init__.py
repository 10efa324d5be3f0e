"""scikit-learn estimators over the functional core (thin shells).

- :class:`SRNNReservoir` -- noise-averaged hidden states of a fixed random SRNN
  (:class:`SeriesOffsetWarning` when the series' levels spread far more than they vary).
- :class:`LinearSRNNFeatures` -- exact noise-averaged threshold readouts of a random linear
  SRNN (damped oscillators); :class:`LinearSRNNClassifier` / :class:`LinearSRNNRegressor`
  add a cross-validated ridge readout.
- :class:`ResponseFeatures` -- signatures of :math:`\\int\\psi\\otimes u` (response features).
- :class:`SignatureTransformer` -- signatures of the series as paths (stateless).
- :class:`ResponseKernelRidge`, :class:`ResponseKernelClassifier` -- kernel ridge with the
  response (or signature) kernel; amplitude, refinement and penalty set from the data and
  by efficient leave-one-out / GCV; :class:`NearConstantGramWarning` when the Gram matrix
  cannot tell the series apart.
- :class:`ReservoirForecaster` -- one- and multi-step-ahead forecasting
  (:class:`ForecastDivergenceWarning` when a closed-loop forecast leaves the data's range).
- :class:`NoisyRNNClassifier`, :class:`NoisyRNNRegressor` -- noise-injected RNNs trained by
  gradient (PyTorch, the optional ``srnnkit[torch]`` extra, imported only when they fit);
  the fitted ``srnn_`` is the trained network as an SRNN.
- :func:`kernel_ridge_cv` -- the closed-form cross-validation behind ``alphas=``.
- :func:`sliding_windows` -- (window, target) pairs from one long series, for forecasting
  with any of the above.

``X`` is ``(n_series, n_steps, n_channels)``, ``(n_series, n_steps)`` (univariate) or a list
of ``(n_steps_i, n_channels)`` arrays of unequal lengths. ``predict``/``transform`` refuse
a one-step series when every training series had two steps or more, and warn
(:class:`ShortSeriesWarning`) for a series shorter than half the shortest training series.
"""

from ._features import ResponseFeatures, SignatureTransformer
from ._input import ShortSeriesWarning
from ._kernel_ridge import (
    NearConstantGramWarning,
    ResponseKernelClassifier,
    ResponseKernelRidge,
    kernel_ridge_cv,
)
from ._noisy_rnn import NoisyRNNClassifier, NoisyRNNRegressor
from ._oscillator import LinearSRNNClassifier, LinearSRNNFeatures, LinearSRNNRegressor
from ._reservoir import (
    ForecastDivergenceWarning,
    ReservoirForecaster,
    SeriesOffsetWarning,
    SRNNReservoir,
)
from ._windows import sliding_windows

__all__ = [
    "ForecastDivergenceWarning",
    "LinearSRNNClassifier",
    "LinearSRNNFeatures",
    "LinearSRNNRegressor",
    "NearConstantGramWarning",
    "NoisyRNNClassifier",
    "NoisyRNNRegressor",
    "ReservoirForecaster",
    "ResponseFeatures",
    "ResponseKernelClassifier",
    "ResponseKernelRidge",
    "SRNNReservoir",
    "SeriesOffsetWarning",
    "ShortSeriesWarning",
    "SignatureTransformer",
    "kernel_ridge_cv",
    "sliding_windows",
]
