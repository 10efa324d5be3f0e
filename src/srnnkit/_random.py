"""Seeds: ``int | np.random.Generator | SeedSequence | None`` to independent streams.

The library never touches NumPy's global random state. A user seed becomes a
:class:`numpy.random.SeedSequence`; components that need randomness get their
own children through ``SeedSequence.spawn`` (or ``spawn_key`` look-ups), so
that, for example, changing the noise never changes a network's weights, and a
Monte Carlo ensemble split into fixed-size blocks gives the same numbers however
the blocks are scheduled.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

SeedLike = int | np.random.Generator | np.random.RandomState | np.random.SeedSequence | None

__all__ = ["SeedLike", "as_generator", "as_seed_sequence", "child_sequences"]


def as_seed_sequence(seed: SeedLike, name: str = "seed") -> np.random.SeedSequence:
    """Turn a user seed into a :class:`numpy.random.SeedSequence`.

    An integer or a sequence of non-negative integers (entropy; ``None``: fresh entropy)
    seeds a new sequence; a Generator (or a legacy
    ``RandomState``, as scikit-learn accepts) contributes 128 bits drawn from it (advancing
    it, as any use of a generator does); a SeedSequence is used as it is.
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**32, size=4, dtype=np.uint64).tolist())
    if isinstance(seed, np.random.RandomState):       # scikit-learn's legacy convention
        return np.random.SeedSequence(seed.randint(0, 2**32, size=4, dtype=np.uint64).tolist())
    if isinstance(seed, Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"{name} must be a non-negative integer, a numpy Generator or None; "
                             f"got {seed}.")
        return np.random.SeedSequence(int(seed))
    words = (np.asarray(seed, dtype=object).ravel()
             if isinstance(seed, (list, tuple, np.ndarray)) else ())
    if len(words) and all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 0
                          for v in words):
        # entropy as NumPy writes it (a Trajectory's seed_entropy after a Generator seed)
        return np.random.SeedSequence([int(v) for v in words])
    raise TypeError(f"{name} must be an int, a sequence of non-negative ints (entropy), a "
                    f"numpy.random.Generator (or RandomState), a SeedSequence or None; got "
                    f"{type(seed).__name__}.")


def child_sequences(seed: SeedLike, n: int, name: str = "seed") -> list[np.random.SeedSequence]:
    """``n`` independent children of ``seed`` (deterministic for a fixed int seed).

    Children are addressed by index (``spawn_key``), not by the sequence's spawn
    counter, so asking twice gives the same children.
    """
    ss = as_seed_sequence(seed, name)
    return [np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, i),
                                   pool_size=ss.pool_size) for i in range(n)]


def as_generator(seed: SeedLike, name: str = "seed") -> np.random.Generator:
    """A :class:`numpy.random.Generator` for ``seed`` (a Generator is used as it is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(as_seed_sequence(seed, name))
