"""Truncated signatures of piecewise-linear paths, word indexing and tensor-algebra helpers.

Layout: levels 1..depth concatenated (level 0 first with ``scalar_term=True``), words in
lexicographic order with the earliest letter first (iisignature's layout); letters are
0-based channel numbers.
"""

from ._algebra import signature_combine, signature_inverse
from ._signature import DEFAULT_MAX_BYTES, signature
from ._transforms import add_basepoint, lead_lag, time_augment
from ._words import index_to_word, level_slices, signature_dim, word_to_index, words

__all__ = [
    "DEFAULT_MAX_BYTES",
    "add_basepoint",
    "index_to_word",
    "lead_lag",
    "level_slices",
    "signature",
    "signature_combine",
    "signature_dim",
    "signature_inverse",
    "time_augment",
    "word_to_index",
    "words",
]
