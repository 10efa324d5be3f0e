"""Plots as Display objects; matplotlib is imported lazily inside ``plot``.

Every display takes the library's results as they are returned (``Trajectory``,
``ResponseFunction`` of order 1 or 2, ``VolterraSeries`` and its predictions,
``VolterraConvergence``, Gram matrices) and draws on a constrained-layout figure, so saved
PNGs keep their labels. See the plotting guide (docs/plotting.md).
"""

from ._displays import GramDisplay, ResponseDisplay, TrajectoryDisplay, VolterraDisplay
from ._second_order import SecondOrderDisplay

__all__ = ["GramDisplay", "ResponseDisplay", "SecondOrderDisplay", "TrajectoryDisplay",
           "VolterraDisplay"]
