"""Monte Carlo simulation of SRNN ensembles."""

from ..dynamics._rng import standard_normal
from ._simulate import BLOCK_SIZE, default_burn_in, simulate
from ._trajectory import DivergenceError, Trajectory

__all__ = ["BLOCK_SIZE", "DivergenceError", "Trajectory", "default_burn_in", "simulate",
           "standard_normal"]


def _make_callable() -> None:
    # ``srnnkit.simulate`` is both this subpackage and the function ``simulate``. Importing a
    # submodule rebinds the package attribute to the module, so the module itself is made
    # callable: ``srnnkit.simulate(model, ...)`` always runs :func:`simulate`.
    import sys
    import types

    class _CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return simulate(*args, **kwargs)

    sys.modules[__name__].__class__ = _CallableModule


_make_callable()
