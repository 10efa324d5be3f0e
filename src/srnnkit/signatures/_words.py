"""Words, flat indices and level offsets of the signature layout.

Layout (DESIGN.md): levels ``1..depth`` concatenated (level 0, the constant 1,
first when ``scalar_term=True``); inside level ``k`` the words ``(w_1, ..., w_k)``
are in lexicographic order, earliest letter first, so the word sits at
``sum_i w_i * d**(k-i)`` inside its level (the iisignature layout).  Letters are
0-based channel numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral

import numpy as np

from .._validation import check_int, fail

__all__ = [
    "index_to_word",
    "level_slices",
    "signature_dim",
    "word_to_index",
    "words",
]


def _check_addressable(d: int, n: int, what: str, limit_bits: int = 62) -> None:
    """Refuse layouts whose size cannot be indexed (or, for lists, held) at all."""
    bits = n * math.log2(d) if d > 1 else math.log2(n)
    if bits > limit_bits:
        raise ValueError(f"depth={n} with n_channels={d} is too large: {what} would have about "
                         f"2^{bits:.0f} entries (limit 2^{limit_bits}). Reduce depth or the "
                         "number of channels.")


def signature_dim(n_channels: int, depth: int, scalar_term: bool = False) -> int:
    r"""Number of coordinates of a depth-``depth`` signature of a ``n_channels``-path.

    .. math:: \dim = \sum_{k=1}^{N} d^k \;(+1 \text{ with the scalar term}).

    Parameters
    ----------
    n_channels : int
        Number of channels ``d`` of the path (>= 1).
    depth : int
        Truncation depth ``N`` (>= 1).
    scalar_term : bool, default=False
        Count the level-0 term.

    Returns
    -------
    int
        The number of signature coordinates.

    Examples
    --------
    >>> from srnnkit.signatures import signature_dim
    >>> signature_dim(2, 3), signature_dim(2, 3, scalar_term=True)
    (14, 15)
    """
    d = check_int("n_channels", n_channels, low=1)
    n = check_int("depth", depth, low=1)
    total = n if d == 1 else (d ** (n + 1) - d) // (d - 1)
    return total + (1 if scalar_term else 0)


def level_slices(n_channels: int, depth: int, scalar_term: bool = False) -> list[slice]:
    """Slices of each level ``0..depth`` in the flat layout.

    Parameters
    ----------
    n_channels, depth : int
        Alphabet size ``d`` and truncation depth.
    scalar_term : bool, default=False
        Whether the layout starts with the level-0 term.

    Returns
    -------
    list of slice
        Entry ``k`` selects level ``k`` (``d**k`` coordinates); entry 0 is ``slice(0, 1)``
        with ``scalar_term=True`` and the empty ``slice(0, 0)`` without it.

    Examples
    --------
    >>> from srnnkit.signatures import level_slices
    >>> level_slices(2, 2)
    [slice(0, 0, None), slice(0, 2, None), slice(2, 6, None)]
    """
    d = check_int("n_channels", n_channels, low=1)
    n = check_int("depth", depth, low=1)
    _check_addressable(d, n, "the signature layout")
    start = 1 if scalar_term else 0
    out = [slice(0, start)]
    for k in range(1, n + 1):
        out.append(slice(start, start + d**k))
        start += d**k
    return out


def word_to_index(word: Sequence[int], n_channels: int, *, scalar_term: bool = False) -> int:
    """Flat index of ``word`` (0-based letters) in the signature layout.

    Parameters
    ----------
    word : sequence of int
        Letters in time order (earliest first), each in ``[0, n_channels)``.
        The empty word is level 0 and needs ``scalar_term=True``.
    n_channels : int
        Alphabet size ``d``.
    scalar_term : bool, default=False
        Whether the layout starts with the level-0 term.

    Returns
    -------
    int
        The position of ``word`` in the flat signature.

    Examples
    --------
    >>> from srnnkit.signatures import word_to_index
    >>> word_to_index((0, 1), 2)    # level 1 has 2 entries; (0, 1) is the 2nd word of level 2
    3
    """
    d = check_int("n_channels", n_channels, low=1)
    if isinstance(word, (str, bytes)) or not isinstance(word, (Sequence, np.ndarray)):
        fail("word", "a sequence of integer letters", word, TypeError)
    letters = list(word)
    for a in letters:
        if isinstance(a, bool) or not isinstance(a, Integral):
            fail("word", "a sequence of integer letters", word, TypeError)
        if not 0 <= int(a) < d:
            fail("word", f"letters in [0, {d - 1}] (0-based channels)", word)
    k = len(letters)
    if k == 0:
        if not scalar_term:
            fail("word", "non-empty (the empty word exists only with scalar_term=True)", word)
        return 0
    offset = (1 if scalar_term else 0) + (k - 1 if d == 1 else (d**k - d) // (d - 1))
    inner = 0
    for a in letters:
        inner = inner * d + int(a)
    return offset + inner


def index_to_word(index: int, n_channels: int, *, scalar_term: bool = False) -> tuple[int, ...]:
    """Word (0-based letters, earliest first) at flat ``index``; inverse of `word_to_index`.

    Parameters
    ----------
    index : int
        Flat position (>= 0) in the signature layout.
    n_channels : int
        Alphabet size ``d``.
    scalar_term : bool, default=False
        Whether the layout starts with the level-0 term (index 0 is then the empty word).

    Returns
    -------
    tuple of int
        The word's letters, earliest first.

    Examples
    --------
    >>> from srnnkit.signatures import index_to_word
    >>> index_to_word(3, 2)
    (0, 1)
    """
    d = check_int("n_channels", n_channels, low=1)
    i = check_int("index", index, low=0)
    if scalar_term:
        if i == 0:
            return ()
        i -= 1
    k = 1
    while i >= d**k:
        i -= d**k
        k += 1
    letters = []
    for _ in range(k):
        letters.append(i % d)
        i //= d
    return tuple(reversed(letters))


def words(n_channels: int, depth: int, *, scalar_term: bool = False) -> list[tuple[int, ...]]:
    """All words of the layout, in order (so ``words(...)[i] == index_to_word(i, ...)``).

    Parameters
    ----------
    n_channels, depth : int
        Alphabet size ``d`` and truncation depth.
    scalar_term : bool, default=False
        Start with the empty word (level 0).

    Returns
    -------
    list of tuple of int
        One word per signature coordinate.

    Examples
    --------
    >>> from srnnkit.signatures import words
    >>> words(2, 2)
    [(0,), (1,), (0, 0), (0, 1), (1, 0), (1, 1)]
    """
    d = check_int("n_channels", n_channels, low=1)
    n = check_int("depth", depth, low=1)
    _check_addressable(d, n, "the list of words", limit_bits=27)
    out: list[tuple[int, ...]] = [()] if scalar_term else []
    for k in range(1, n + 1):
        out.extend(tuple(int(v) for v in w) for w in np.ndindex(*([d] * k)))
    return out


def reversed_layout_perm(d: int, depth: int) -> np.ndarray:
    """perm[lex] = position of the same word in the kernels' reversed layout."""
    parts = []
    off = 0
    for k in range(1, depth + 1):
        idx = np.arange(d**k, dtype=np.int64).reshape((d,) * k)
        parts.append(off + idx.transpose(tuple(range(k - 1, -1, -1))).ravel())
        off += d**k
    return np.concatenate(parts)


def level_offsets(d: int, depth: int) -> np.ndarray:
    """offs[k] = start of level k (k = 1..depth+1) in the flat layout without level 0."""
    offs = np.zeros(depth + 2, dtype=np.int64)
    for k in range(1, depth + 1):
        offs[k + 1] = offs[k] + d**k
    return offs
