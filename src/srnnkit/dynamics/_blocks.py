"""Fixed-size blocks of Monte Carlo paths: the unit of seed addressing.

Every block owns one ``SeedSequence`` child, addressed by its index, so a result never
depends on how blocks are grouped into tasks, threads or workers. Two block sizes exist
because each is part of seeded results that must stay reproducible:

- :data:`PATH_BLOCK` = 256 paths: :func:`srnnkit.simulate`, whose compiled loop draws the
  noise of a block in-loop from the block's xoshiro256++ stream (child ``(series, block)``);
- :data:`ENSEMBLE_BLOCK` = 2048 paths: the ensembles of the Monte Carlo response estimators
  (perturbation, Volterra terms, stationary means), which draw with NumPy's generator
  (child ``block``); the long stationary runs of FDT and Girsanov have one child per run,
  run in groups of :data:`CHAIN_GROUP`.
"""

from __future__ import annotations

__all__ = ["CHAIN_GROUP", "ENSEMBLE_BLOCK", "PATH_BLOCK", "ROWS_MAX", "block_sizes"]

#: paths per random-number block of ``simulate``
PATH_BLOCK = 256
#: paths per ensemble block of the response estimators
ENSEMBLE_BLOCK = 2048
#: stationary runs per task (FDT, Girsanov); fixed, so that sums are folded identically
CHAIN_GROUP = 4
#: up to this many units, several paths run faster in the compiled loops stored unit-major
#: (``run_rows``, ``advance_rows``: the paths in the innermost loops, as vectors). One thread,
#: ns per path-step over 160 paths, path by path / unit-major: 1 unit 15 / 4, 8 units
#: 140 / 39, 16 units 205 / 95, 24 units 291 / 175, 32 units 352 / 283, 48 units 560 / 607,
#: 64 units 780 / 810-960 (measured)
ROWS_MAX = 32


def block_sizes(n_paths: int, block: int) -> list[int]:
    """Sizes of the blocks of ``n_paths`` paths (all ``block`` but the last).

    Parameters
    ----------
    n_paths : int
        Number of paths.
    block : int
        Paths per block.

    Returns
    -------
    list of int
        ``ceil(n_paths / block)`` sizes that sum to ``n_paths``.

    Examples
    --------
    >>> from srnnkit.dynamics import PATH_BLOCK, block_sizes
    >>> block_sizes(600, PATH_BLOCK)
    [256, 256, 88]
    """
    n_blocks = -(-n_paths // block)
    return [min(block, n_paths - b * block) for b in range(n_blocks)]
