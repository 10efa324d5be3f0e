"""examples/quickstart.py is a real, runnable quick start: it runs and its numbers hold."""

import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


@pytest.fixture(scope="module")
def quickstart():
    spec = importlib.util.spec_from_file_location("quickstart", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_runs_and_its_checks_hold(quickstart, tmp_path, capsys):
    metrics = quickstart.main(["--out", str(tmp_path), "--paths", "500", "--seed", "1"])
    for name in ("simulation.png", "response.png", "prediction.png"):
        assert (tmp_path / name).stat().st_size > 5000, name
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    # two independent estimators of R(τ) agree within their standard errors
    assert metrics["median |z| kicks vs Girsanov"] < 2.0
    # the order-1 prediction matches Monte Carlo up to its noise and the order-2 remainder
    assert metrics["max prediction error"] < 5 * metrics["max Monte Carlo SE"] + 0.01
    out = capsys.readouterr().out
    assert "order-1 prediction" in out and "stand-in" not in EXAMPLE.read_text()
