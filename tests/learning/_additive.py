"""Pin the forecaster's input placing in tests of its other choices."""

from __future__ import annotations

import pytest

from srnnkit.learning import ReservoirForecaster


@pytest.fixture(autouse=True)
def additive_forecaster(monkeypatch):
    """The penalty, lag, washout and difference choices are made per placing of the input
    (``input_mode``); their tests were written for the additive one. The default ``"auto"``
    fits both placings, which doubles these tests' time without testing anything more: the
    choice between the placings has its own tests (test_forecaster_stability.py)."""
    monkeypatch.setitem(ReservoirForecaster.__init__.__kwdefaults__, "input_mode", "additive")
