"""Tensor-algebra helpers on flat signatures: Chen products and inverses."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_array, check_finite_result, check_int, fail
from ._words import signature_dim

__all__ = ["signature_combine", "signature_inverse"]


def _split(name: str, sig: ArrayLike, d: int, depth: int, scalar_term: bool) -> tuple[np.ndarray,
                                                                                list[np.ndarray]]:
    arr = check_array(name, sig, dtype=None, shape_text="(..., dim)")
    dim = signature_dim(d, depth, scalar_term)
    if arr.shape[-1] != dim:
        fail(name, f"an array of shape (..., {dim}) (signature_dim({d}, {depth}, "
             f"scalar_term={scalar_term}))", arr)
    levels = []
    start = 1 if scalar_term else 0
    for k in range(1, depth + 1):
        levels.append(arr[..., start:start + d**k])
        start += d**k
    return arr, levels


def signature_combine(sig1: ArrayLike, sig2: ArrayLike, n_channels: int, depth: int, *,
                      scalar_term: bool = False) -> np.ndarray:
    r"""Truncated tensor product of two signatures (Chen's identity).

    If ``sig1`` is the signature of :math:`x` and ``sig2`` that of :math:`y` (with
    :math:`y` starting where :math:`x` ends, or translated there), the result is the
    signature of the concatenation :math:`x * y`:

    .. math:: S(x*y)_n = \sum_{k=0}^{n} S(x)_k \otimes S(y)_{n-k}, \qquad n = 1..N.

    Parameters
    ----------
    sig1, sig2 : array-like of shape (..., dim)
        Signatures in the layout of `signature` (batch axes broadcast).
    n_channels, depth : int
        Alphabet size and truncation depth of both signatures.
    scalar_term : bool, default=False
        Whether the inputs carry (and the output gets) the level-0 term; any element of the
        truncated tensor algebra is then multiplied, level 0 included (1 for a signature).

    Returns
    -------
    ndarray of shape (..., dim)
        The signature of the concatenated path (batch axes broadcast).

    Raises
    ------
    ValueError
        For batch axes that do not broadcast, or when the product overflows (finite factors
        whose levels are too large), instead of returning infinity.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.signatures import signature_combine
    >>> x = np.array([[0., 0.], [1., 2.], [3., -1.], [2.5, .5]])
    >>> s = signature_combine(sk.signature(x[:3], 3), sk.signature(x[2:], 3), 2, 3)
    >>> bool(np.allclose(s, sk.signature(x, 3)))
    True
    """
    d = check_int("n_channels", n_channels, low=1)
    depth = check_int("depth", depth, low=1)
    a, la = _split("sig1", sig1, d, depth, scalar_term)
    b, lb = _split("sig2", sig2, d, depth, scalar_term)
    dtype = np.result_type(a, b)
    try:
        batch = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        fail("sig2", f"an array whose batch axes broadcast against sig1's {a.shape[:-1]} "
             "(NumPy broadcasting)", b)
    out = np.empty((*batch, a.shape[-1]), dtype=dtype)
    a0, b0 = (a[..., :1], b[..., :1]) if scalar_term else (1, 1)   # level 0 (1: a signature)
    if scalar_term:
        out[..., :1] = a0 * b0
    start = 1 if scalar_term else 0
    with np.errstate(over="ignore", invalid="ignore"):     # overflow: the check below
        for n in range(1, depth + 1):
            level = a0 * lb[n - 1] + la[n - 1] * b0
            for k in range(1, n):
                level = level + (la[k - 1][..., :, None] * lb[n - k - 1][..., None, :]).reshape(
                    *np.broadcast_shapes(la[k - 1].shape[:-1], lb[n - k - 1].shape[:-1]), d**n)
            out[..., start:start + d**n] = level
            start += d**n
    return check_finite_result("signature_combine", out, "Level n of a product grows like the "
                               "product of the factors' levels: rescale the paths, or lower "
                               "the depth.")


def signature_inverse(sig: ArrayLike, n_channels: int, depth: int, *,
                      scalar_term: bool = False) -> np.ndarray:
    r"""Inverse of a signature in the truncated tensor algebra.

    For a group-like element (any signature) the inverse is the antipode
    :math:`S^{-1}_{w_1\cdots w_k} = (-1)^k S_{w_k\cdots w_1}`, the signature of the
    time-reversed path.

    Parameters
    ----------
    sig : array-like of shape (..., dim)
        Signatures in the layout of `signature`.
    n_channels, depth : int
        Alphabet size and truncation depth.
    scalar_term : bool, default=False
        Whether ``sig`` carries (and the output gets) the level-0 term.

    Returns
    -------
    ndarray of shape (..., dim)
        The inverse: the signature of the time-reversed path.

    Examples
    --------
    >>> import numpy as np
    >>> import srnnkit as sk
    >>> from srnnkit.signatures import signature_inverse
    >>> x = np.array([[0., 0.], [1., 2.], [3., -1.]])
    >>> bool(np.allclose(signature_inverse(sk.signature(x, 3), 2, 3), sk.signature(x[::-1], 3)))
    True
    """
    d = check_int("n_channels", n_channels, low=1)
    depth = check_int("depth", depth, low=1)
    arr, levels = _split("sig", sig, d, depth, scalar_term)
    if scalar_term and not np.allclose(arr[..., 0], 1.0, rtol=0, atol=1e-12):
        fail("sig", "signatures (group-like elements: level 0 equal to 1, whose inverse is "
             "the antipode)", f"level-0 entries from {np.min(arr[..., 0]):.6g} to "
             f"{np.max(arr[..., 0]):.6g}")
    out = np.empty_like(arr)
    if scalar_term:
        out[..., 0] = 1
    start = 1 if scalar_term else 0
    batch = arr.shape[:-1]
    nb = len(batch)
    for k, level in enumerate(levels, start=1):
        t = level.reshape(*batch, *([d] * k))
        t = t.transpose(*range(nb), *range(nb + k - 1, nb - 1, -1))
        out[..., start:start + d**k] = (-1) ** k * t.reshape(*batch, d**k)
        start += d**k
    return out
