"""scikit-learn's estimator checks on every estimator of srnnkit.learning.

The estimators take batches of time series: ``(n_series, n_steps, n_channels)``, a list of
series of unequal lengths, or a 2-D array ``(n_series, n_steps)`` read as univariate series
(which is how scikit-learn's tabular check data are interpreted). A series' length is not a
fixed "number of features", so three checks that assume a fixed column count are expected to
fail; they are listed below with the reason. ``n_features_in_`` is the number of channels.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from srnnkit.learning import (
    LinearSRNNClassifier,
    LinearSRNNFeatures,
    LinearSRNNRegressor,
    ResponseFeatures,
    ResponseKernelClassifier,
    ResponseKernelRidge,
    SignatureTransformer,
    SRNNReservoir,
)

ESTIMATORS = [
    LinearSRNNFeatures(n_oscillators=5, n_thresholds=2, random_state=0),
    LinearSRNNFeatures(n_oscillators=5, noise=0.1, readout="relu", random_state=0),
    LinearSRNNClassifier(n_oscillators=10, random_state=0),
    LinearSRNNRegressor(n_oscillators=10, random_state=0),
    SRNNReservoir(n_hidden=6, n_paths=2, random_state=0),
    ResponseFeatures(depth=2),
    SignatureTransformer(depth=2),
    ResponseKernelRidge(),
    ResponseKernelRidge(alphas=[0.1, 1.0], kernel="signature"),
    ResponseKernelClassifier(alphas=[0.1, 1.0]),
]

_LENGTH_FREE = ("a 2-D X is a batch of univariate series; a different number of columns is a "
                "different series length, which is valid input, not a feature mismatch")
_N_FEATURES = ("n_features_in_ is the number of channels (1 for 2-D X), not X.shape[1] (the "
               "series length, which may vary)")


def expected_failures(est):
    failures = {
        "check_n_features_in": _N_FEATURES,
        "check_n_features_in_after_fitting": _LENGTH_FREE,
    }
    if isinstance(est, (SRNNReservoir, ResponseFeatures, LinearSRNNFeatures)):
        # transform(X[:, :-1]) must raise in the check; shorter series are valid here
        failures["check_transformer_general"] = _LENGTH_FREE
        failures["check_transformer_general(readonly_memmap=True)"] = _LENGTH_FREE
    if isinstance(est, (ResponseKernelClassifier, LinearSRNNClassifier)):
        # predict(X[:, :-1]) must raise in the check; shorter series are valid here
        for variant in ("", "(readonly_memmap=True)", "(readonly_memmap=True,X_dtype=float32)"):
            failures["check_classifiers_train" + variant] = _LENGTH_FREE
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
