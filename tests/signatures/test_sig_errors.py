"""Bad input to signatures raises clear TypeError/ValueError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import srnnkit as sk
from srnnkit.signatures import index_to_word, signature_combine, word_to_index


def test_ragged_paths():
    with pytest.raises(ValueError, match="paths"):
        sk.signature([np.zeros((3, 2)), np.zeros((4, 2))], 2)
    with pytest.raises(ValueError, match="paths"):
        sk.signature([[0.0, 1.0], [1.0]], 2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite(bad):
    x = np.zeros((4, 2))
    x[2, 1] = bad
    with pytest.raises(ValueError, match="paths must contain only finite values"):
        sk.signature(x, 2)


@pytest.mark.parametrize("depth", [0, -1])
def test_depth_below_one(depth):
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        sk.signature(np.zeros((3, 2)), depth)


@pytest.mark.parametrize("depth", [2.0, "2", None])
def test_depth_wrong_type(depth):
    with pytest.raises(TypeError, match="depth"):
        sk.signature(np.zeros((3, 2)), depth)


def test_fewer_than_two_points():
    with pytest.raises(ValueError, match="at least 2 points"):
        sk.signature(np.zeros((1, 3)), 2)


def test_wrong_ndim():
    with pytest.raises(ValueError, match=r"paths must be .*at least 2-D"):
        sk.signature(np.zeros(5), 2)
    with pytest.raises(ValueError, match="non-empty"):
        sk.signature(np.zeros((4, 0)), 2)


def test_non_numeric():
    with pytest.raises(TypeError, match="paths"):
        sk.signature("abc", 2)
    with pytest.raises(TypeError, match="paths"):
        sk.signature(np.array([["a", "b"], ["c", "d"]]), 2)


def test_memory_guard_message():
    x = np.zeros((1000, 3, 10))
    with pytest.raises(ValueError, match=r"would need .*GiB.*max_bytes.*Reduce depth") as err:
        sk.signature(x, 6)
    assert "(1000, 1111110)" in str(err.value)
    # a tighter explicit limit
    with pytest.raises(ValueError, match="max_bytes"):
        sk.signature(np.zeros((3, 2)), 3, max_bytes=10)
    assert sk.signature(np.zeros((3, 2)), 3, max_bytes=1000).shape == (14,)
    with pytest.raises(ValueError, match="max_bytes"):
        sk.signature(np.zeros((3, 2)), 3, max_bytes=-1)


def test_n_jobs_invalid():
    with pytest.raises(ValueError, match="n_jobs"):
        sk.signature(np.zeros((3, 2)), 2, n_jobs=0)
    with pytest.raises(TypeError, match="n_jobs"):
        sk.signature(np.zeros((3, 2)), 2, n_jobs=1.5)


def test_word_helpers_errors():
    with pytest.raises(ValueError, match="word"):
        word_to_index((0, 2), 2)
    with pytest.raises(ValueError, match="word"):
        word_to_index((), 2)
    with pytest.raises(TypeError, match="word"):
        word_to_index("01", 2)
    with pytest.raises(ValueError, match="index"):
        index_to_word(-1, 2)


def test_combine_shape_mismatch():
    with pytest.raises(ValueError, match=r"sig2 must be an array of shape \(\.\.\., 6\)"):
        signature_combine(np.zeros(6), np.zeros(5), 2, 2)
