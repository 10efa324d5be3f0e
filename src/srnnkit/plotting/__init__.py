"""Plots as Display objects; matplotlib is imported lazily inside ``plot``."""

from ._displays import GramDisplay, ResponseDisplay, TrajectoryDisplay, VolterraDisplay

__all__ = ["GramDisplay", "ResponseDisplay", "TrajectoryDisplay", "VolterraDisplay"]
