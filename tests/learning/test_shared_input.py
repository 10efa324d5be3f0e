"""The input helpers shared by the estimators of srnnkit.learning (one copy of each check)."""

import warnings

import numpy as np
import pytest
from sklearn.preprocessing import LabelBinarizer

import srnnkit.learning as learning
from srnnkit.learning import (
    LinearSRNNClassifier,
    LinearSRNNFeatures,
    LinearSRNNRegressor,
    NoisyRNNClassifier,
    ResponseFeatures,
    ResponseKernelClassifier,
    ResponseKernelRidge,
    ShortSeriesWarning,
    SRNNReservoir,
)
from srnnkit.learning._input import (
    SeriesInputMixin,
    SeriesScoreMixin,
    channel_scaling,
    check_labels,
    check_two_classes,
    scaled,
    sign_targets,
    standardization,
    standardize_columns,
)


class _Holder:
    pass


def test_sign_targets_match_label_binarizer_and_set_classes():
    y = np.array(["b", "a", "c", "a", "b"])
    est = _Holder()
    Y = sign_targets(est, y, 5)
    expected = LabelBinarizer(neg_label=-1, pos_label=1).fit_transform(y).astype(float)
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, expected)
    np.testing.assert_array_equal(est.classes_, ["a", "b", "c"])
    two = sign_targets(est, [0, 1, 1, 0], 4)
    np.testing.assert_array_equal(two, [[-1.0], [1.0], [1.0], [-1.0]])


def test_sign_targets_set_classes_before_refusing_one_class():
    est = _Holder()
    with pytest.raises(ValueError, match=r"at least two classes; got one class: \[7\]"):
        sign_targets(est, np.full(4, 7), 4)
    np.testing.assert_array_equal(est.classes_, [7])


def test_check_labels_words_for_several_columns():
    y = np.zeros((6, 2), int)
    with pytest.raises(ValueError, match=r"1-D array of class labels; got shape \(6, 2\)"):
        check_labels(y, 6, own_shape_text=True)
    with pytest.raises(ValueError, match="y should be a 1d array"):      # scikit-learn's
        check_labels(y, 6)
    with pytest.raises(ValueError, match="Unknown label type"):
        check_labels(np.linspace(0, 1, 6), 6)
    np.testing.assert_array_equal(check_labels(np.arange(6)[:, None] % 2, 6), [0, 1] * 3)


def test_check_two_classes():
    check_two_classes(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"got one class: \['a'\]"):
        check_two_classes(np.array(["a"]))


@pytest.mark.parametrize("make", [lambda: LinearSRNNClassifier(n_oscillators=5),
                                  lambda: ResponseKernelClassifier(alphas=[1.0])])
def test_classifiers_refuse_one_class_alike(make):
    X = np.random.default_rng(0).standard_normal((6, 10, 1))
    est = make()
    with pytest.raises(ValueError, match=r"at least two classes; got one class: \[1\]"):
        est.fit(X, np.ones(6, int))
    np.testing.assert_array_equal(est.classes_, [1])


def test_channel_scaling_standardises_over_every_step_or_keeps_a_fixed_scale():
    rng = np.random.default_rng(1)
    series = [rng.standard_normal((5, 2)) * [1.0, 3.0] + 2.0, rng.standard_normal((3, 2))]
    shift, scale = channel_scaling(series)
    ref_shift, ref_scale = standardization(np.concatenate(series, axis=0))
    np.testing.assert_array_equal(shift, ref_shift)
    np.testing.assert_array_equal(scale, ref_scale)
    shift, scale = channel_scaling(series, False)
    np.testing.assert_array_equal(shift, [0.0, 0.0])
    np.testing.assert_array_equal(scale, [1.0, 1.0])
    np.testing.assert_array_equal(channel_scaling(series, False, 2.5)[1], [2.5, 2.5])


def test_scaled_checks_the_channels_of_fit():
    est = _Holder()
    est.n_features_in_, est.shift_, est.scale_ = 2, np.array([1.0, 2.0]), np.array([2.0, 4.0])
    out = scaled(est, [np.array([[3.0, 6.0]]), np.array([[1.0, 2.0], [5.0, 10.0]])])
    np.testing.assert_array_equal(out[0], [[1.0, 1.0]])
    np.testing.assert_array_equal(out[1], [[0.0, 0.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match=r"X\[1\] must be series with 2 channel"):
        scaled(est, [np.zeros((3, 2)), np.zeros((3, 1))])


@pytest.mark.parametrize("make", [
    lambda std: LinearSRNNFeatures(n_oscillators=4, n_thresholds=1, standardize=std),
    lambda std: SRNNReservoir(n_hidden=4, n_paths=1, standardize=std),
    lambda std: ResponseFeatures(depth=1, scaling="standard" if std else None)])
def test_transformers_share_the_channel_scaling(make):
    X = np.random.default_rng(2).standard_normal((4, 9, 2)) * [1.0, 5.0] + 3.0
    for std in (True, False):
        est = make(std).fit(X)
        ref = channel_scaling(list(X), std)
        np.testing.assert_array_equal(est.shift_, ref[0])
        np.testing.assert_array_equal(est.scale_, ref[1])


def test_every_estimator_takes_3d_series_through_one_mixin():
    estimators = [c for c in vars(learning).values()
                  if isinstance(c, type) and hasattr(c, "get_params")]
    assert len(estimators) >= 11
    for cls in estimators:
        tags = cls().__sklearn_tags__()
        series = issubclass(cls, SeriesInputMixin)
        assert tags.input_tags.three_d_array == series, cls
        assert series or cls is learning.ReservoirForecaster       # one series, not a batch
        if tags.estimator_type == "regressor":
            assert tags.target_tags.multi_output and tags.target_tags.single_output, cls
    tags = learning.SignatureTransformer().__sklearn_tags__()
    assert not tags.requires_fit
    assert learning.ResponseKernelRidge(kernel="precomputed").__sklearn_tags__(
    ).input_tags.pairwise


def test_standardize_columns_in_place():
    F = np.random.default_rng(3).standard_normal((7, 3)) * [1.0, 10.0, 0.0] + 4.0
    ref_mean, ref_scale = standardization(F)
    expected = (F - ref_mean) / ref_scale
    mean, scale = standardize_columns(F)
    np.testing.assert_array_equal(mean, ref_mean)
    np.testing.assert_array_equal(scale, ref_scale)
    np.testing.assert_array_equal(F, expected)                   # in place, same rounding
    assert scale[2] == 1.0 and np.all(F[:, 2] == 0.0)             # a constant column


def _length_estimators():
    def noisy():
        pytest.importorskip("torch")
        return NoisyRNNClassifier(n_hidden=4, max_updates=2, random_state=0)
    return [lambda: LinearSRNNClassifier(n_oscillators=5, random_state=0),
            lambda: LinearSRNNRegressor(n_oscillators=5, random_state=0),
            lambda: ResponseKernelClassifier(alphas=[1.0]),
            lambda: ResponseKernelRidge(alphas=[1.0]),
            lambda: SRNNReservoir(n_hidden=4, n_paths=1, random_state=0),
            lambda: LinearSRNNFeatures(n_oscillators=4, random_state=0),
            lambda: ResponseFeatures(depth=1),
            noisy]


@pytest.mark.parametrize("make", _length_estimators())
def test_new_series_lengths_follow_one_rule(make):
    """Shortest training series: 10 steps. At predict/transform a series of 1 step is
    refused (fit refuses a batch of them), one under half of 10 steps (4) warns once,
    naming its index and both lengths, and one of 5 steps (half) passes silently."""
    rng = np.random.default_rng(0)
    X = [rng.standard_normal((10 + 2 * (i % 3), 2)) for i in range(8)]
    y = np.arange(8) % 2
    est = make().fit(X, y)
    run = est.transform if hasattr(est, "transform") else est.predict
    new = [rng.standard_normal((n, 2)) for n in (12, 5, 4, 3)]
    with pytest.warns(ShortSeriesWarning) as caught:
        run(new)
    assert len(caught) == 1
    assert str(caught[0].message).startswith(
        "X[2] has 4 steps, fewer than half of the shortest training series (10 steps) "
        "(2 of the 4 series are)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(new[:2])
    with pytest.raises(ValueError, match=r"^X\[1\] must be a series of at least 2 steps "
                       r"\(the shortest training series had 10\); got 'a series of 1 step'"):
        run([new[0], new[0][:1]])


def test_a_one_step_training_series_allows_one_step_series():
    """A one-step series among the training series: the same length at predict is valid
    (the rule refuses only what fit did not see)."""
    rng = np.random.default_rng(1)
    X = [rng.standard_normal((1 if i == 0 else 6, 1)) for i in range(6)]
    est = LinearSRNNClassifier(n_oscillators=5, random_state=0).fit(X, np.arange(6) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert est.predict(X[:1]).shape == (1,)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("make", [lambda: LinearSRNNClassifier(n_oscillators=5),
                                  lambda: ResponseKernelClassifier(alphas=[1.0])])
def test_non_finite_labels_are_refused_before_any_warning(make, bad):
    """A NaN label gave numpy's RuntimeWarning "invalid value encountered in cast" (in
    scikit-learn's target check) ahead of the ValueError."""
    X = np.random.default_rng(0).standard_normal((6, 10, 1))
    y = np.array([0.0, 1.0, 0.0, bad, 1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^y must be class labels without NaN or "
                           r"infinity; got '(NaN|infinity) at index 3 \(1 of 6 labels"):
            make().fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        check_labels(np.array(["a", np.nan, "b"], dtype=object), 3)


@pytest.mark.parametrize("make", [lambda: LinearSRNNClassifier(n_oscillators=5),
                                  lambda: ResponseKernelRidge(alphas=[1.0])])
def test_score_names_y_and_both_counts(make):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 10, 1)), np.arange(6) % 2
    est = make().fit(X, y)
    with pytest.raises(ValueError, match=r"^y must have one entry per series \(inconsistent "
                       r"numbers of samples\): X has 6 series; got .* \(4 entries\)\.$"):
        est.score(X, y[:4])
    assert est.score(X, y) == super(SeriesScoreMixin, est).score(X, y)   # scikit-learn's
