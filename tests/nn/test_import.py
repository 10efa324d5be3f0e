"""torch is optional: ``import srnnkit`` (and every other subpackage) never imports it, and
``srnnkit.nn`` without torch says how to install it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import srnnkit

SRC = str(Path(srnnkit.__file__).resolve().parents[1])     # this checkout's src/

# a meta-path finder that makes "import torch" fail, as if torch were not installed
# (sys.modules["torch"] = None would confuse scipy's array-API helpers)
NO_TORCH = """
import importlib.abc
import sys


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


sys.meta_path.insert(0, _NoTorch())
"""


def _run(code: str, *, no_torch: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = (NO_TORCH if no_torch else "") + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)


def test_import_srnnkit_never_imports_torch():
    res = _run("""
        import sys
        import numpy as np
        import srnnkit as sk
        assert "torch" not in sys.modules, "import srnnkit"
        import srnnkit.learning, srnnkit.model, srnnkit.simulate, srnnkit.response
        import srnnkit.features, srnnkit.kernels, srnnkit.signatures, srnnkit.datasets
        import srnnkit.readouts, srnnkit.plotting, srnnkit.cli
        assert "torch" not in sys.modules, "subpackages"
        clf = sk.learning.NoisyRNNClassifier(n_hidden=4)
        sk.learning.NoisyRNNRegressor().get_params()
        sk.SRNN.random(3, 1, seed=0)
        assert "torch" not in sys.modules, "estimator construction"
        print("ok")
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_without_torch(tmp_path):
    """The errors say how to install torch; a saved model loads and predicts without it."""
    pytest.importorskip("torch")
    import numpy as np

    import srnnkit as sk
    from srnnkit.learning import NoisyRNNClassifier

    X = np.random.default_rng(0).standard_normal((12, 6, 2))
    y = np.arange(12) % 3
    clf = NoisyRNNClassifier(n_hidden=4, max_updates=5, random_state=0).fit(X, y)
    sk.save(clf, tmp_path / "clf.npz")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "p.npy", clf.predict_proba(X))
    res = _run(f"""
        import sys
        import numpy as np
        import srnnkit as sk
        try:
            import srnnkit.nn
        except ImportError as err:
            print("nn:", err)
        try:
            sk.nn
        except ImportError as err:
            print("sk.nn:", err)
        try:
            sk.learning.NoisyRNNClassifier().fit(np.arange(20.0).reshape(4, 5), [0, 1, 0, 1])
        except ImportError as err:
            print("fit:", err)
        clf = sk.load({str(tmp_path / "clf.npz")!r})
        p = clf.predict_proba(np.load({str(tmp_path / "X.npy")!r}))
        assert np.array_equal(p, np.load({str(tmp_path / "p.npy")!r}))
        assert "torch" not in sys.modules
        print("loaded: ok")
    """, no_torch=True)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["nn", "sk.nn", "fit", "loaded"]
    assert all('pip install "srnnkit[torch]"' in line for line in lines[:3])
