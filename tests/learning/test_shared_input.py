"""The input helpers shared by the estimators of srnnkit.learning (one copy of each check)."""

import numpy as np
import pytest
from sklearn.preprocessing import LabelBinarizer

from srnnkit.learning import LinearSRNNClassifier, ResponseKernelClassifier
from srnnkit.learning._input import check_labels, check_two_classes, sign_targets


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
