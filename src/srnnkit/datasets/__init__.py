"""Datasets: a reader for the UCR/UEA ``.ts`` format and synthetic tasks. Nothing downloads.

- :func:`load_ts` -- ``.ts`` files (univariate/multivariate, equal/unequal lengths, class
  labels or regression targets, missing values).
- :func:`narma10`, :func:`mackey_glass` -- standard reservoir-computing benchmarks.
- :func:`srnn_teacher` -- targets that are a known SRNN's mean output.
"""

from ._synthetic import mackey_glass, narma10, srnn_teacher
from ._ts import load_ts

__all__ = ["load_ts", "mackey_glass", "narma10", "srnn_teacher"]
