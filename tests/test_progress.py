"""Progress bars: quiet in tests by default, on when switched on (a global setting, a block or
the environment), one bar per heavy call that counts every path-step, never changing a
result."""

import sys

import numpy as np
import pytest

import srnnkit as sk
from srnnkit import _progress
from srnnkit.features import MonomialBasis

R = sk.response


@pytest.fixture
def model():
    return sk.SRNN.random(4, 1, noise=0.3, seed=0)


def _calls(model):
    U = np.random.default_rng(0).standard_normal((30, 12, 2)) * 0.5
    return {
        "simulate": lambda: sk.simulate(model, np.zeros((20, 1)), dt=0.1, n_paths=1024,
                                        seed=0).mean,
        "Gram": lambda: sk.kernels.response_kernel(U, dt=0.1, basis=MonomialBasis(1)),
        # the case: one block of 2048 paths, so a bar over tasks would have one step
        "perturbation": lambda: R.linear_response(model, dt=0.1, n_lags=5,
                                                  method="perturbation", n_paths=2048, seed=1,
                                                  burn_in=10).values,
    }


def test_quiet_by_default_bars_when_switched_on_and_results_identical(model, capsys):
    calls = _calls(model)
    ref = {k: f() for k, f in calls.items()}
    assert capsys.readouterr().err == ""           # automatic mode: nobody watches a test
    with sk.show_progress():
        got = {k: f() for k, f in calls.items()}
    err = capsys.readouterr().err
    assert "simulate" in err and "Gram matrix" in err and "linear_response" in err
    assert "path-steps" in err
    for k in calls:
        np.testing.assert_array_equal(got[k], ref[k])


def test_switch_global_scoped_and_environment(model, capsys, monkeypatch):
    run = _calls(model)["perturbation"]
    monkeypatch.setenv("SRNNKIT_PROGRESS", "1")
    run()
    assert "linear_response" in capsys.readouterr().err          # the environment: on
    sk.show_progress(False)                                       # a global setting wins
    run()
    assert capsys.readouterr().err == ""
    with sk.show_progress(True):                                  # a block ...
        run()
    assert "linear_response" in capsys.readouterr().err
    run()                                                         # ... restores what it found
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("SRNNKIT_PROGRESS", "0")
    sk.show_progress(None)                                        # back to automatic
    assert _progress.progress_setting() is None
    run()
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="enabled"):
        sk.show_progress("yes")


def test_automatic_mode_needs_a_watcher_and_a_long_call(model, capsys, monkeypatch):
    run = _calls(model)["perturbation"]
    monkeypatch.setattr(_progress, "interactive_terminal", lambda: True)
    monkeypatch.setattr(_progress, "AUTO_SECONDS", 0.0)           # every call is "long"
    run()
    assert "linear_response" in capsys.readouterr().err
    monkeypatch.setattr(_progress, "AUTO_SECONDS", 1e9)           # this call is short
    run()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(_progress, "AUTO_SECONDS", 0.0)
    monkeypatch.setattr(_progress, "interactive_terminal", lambda: False)   # a script, a pipe
    run()
    assert capsys.readouterr().err == ""


class _Tty:
    def isatty(self):
        return True

    def write(self, s):
        return len(s)

    def flush(self):
        pass


def test_interactive_terminal_rule(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Tty())
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    assert not _progress.interactive_terminal()            # inside a test run: never
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert _progress.interactive_terminal()                # a prompt on a terminal
    monkeypatch.delattr(sys, "ps1")
    assert _progress.interactive_terminal() == bool(sys.flags.interactive)   # a script
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    monkeypatch.setattr(sys, "stderr", object())            # no isatty (replaced stream)
    assert not _progress.interactive_terminal()


def _counted(monkeypatch):
    """Record (units reported, units expected) of every call's bar."""
    seen = []
    close = _progress.Task.close

    def recording(self, finished=True):
        if self.bar is not None:
            seen.append((self.desc, self.reported, self.total))
        close(self, finished)
    monkeypatch.setattr(_progress.Task, "close", recording)
    return seen


tanh2 = sk.SRNN(W=[[0.5, -0.4], [0.6, 0.2]], C=[[1.0, 0.0], [0.3, 0.7]],
                sigma=[[0.6, 0.1], [0.0, 0.5]], gamma=[1.0, 1.2], b=[0.2, -0.1],
                readout=[[1.0, 0.0], [0.5, -1.0]])
ou = sk.SRNN(W=[[0, .5], [-.3, 0]], C=[[1], [.5]], sigma=[[.6, 0], [.2, .5]],
             gamma=[1, .8], activation="identity", readout=[[1, .5]])
U8 = 0.5 * np.random.default_rng(1).standard_normal((8, 2))
CALLS = {
    "simulate, burn-in, threads": lambda: sk.simulate(
        tanh2, U8, dt=0.05, n_paths=600, seed=0, n_jobs=2),
    "simulate, batch": lambda: sk.simulate(tanh2, np.stack([U8, U8]), dt=0.05, n_paths=300,
                                           seed=0, burn_in=7),
    "perturbation, two block widths": lambda: R.linear_response(
        tanh2, dt=0.05, n_lags=4, method="perturbation", n_paths=2100, seed=0, burn_in=40),
    "perturbation, activation mode": lambda: R.linear_response(
        sk.SRNN.random(3, 2, seed=0, input_mode="activation", bias_scale=0.3), dt=0.05,
        n_lags=3, method="perturbation", n_paths=300, seed=0, burn_in=20),
    "perturbation, linear": lambda: R.linear_response(ou, dt=0.05, n_lags=5,
                                                      method="perturbation", n_paths=500),
    "second order, perturbation": lambda: R.second_order_response(
        tanh2, dt=0.05, n_lags=3, method="perturbation", n_paths=300, seed=0, burn_in=30),
    "girsanov, pilot, threads": lambda: R.linear_response(
        tanh2, dt=0.05, n_lags=5, method="girsanov", n_chains=5, n_steps=400, seed=0,
        burn_in=50, n_jobs=2),
    "fdt": lambda: R.linear_response(tanh2, dt=0.05, n_lags=5, method="fdt", n_chains=3,
                                     n_steps=300, seed=0, burn_in=50),
    "second order, girsanov": lambda: R.second_order_response(
        tanh2, dt=0.05, n_lags=3, method="girsanov", n_chains=2, n_steps=300, seed=0,
        burn_in=50),
    "from_model, default mean": lambda: R.VolterraSeries.from_model(
        tanh2, order=1, dt=0.05, n_lags=4, method="girsanov", n_chains=3, n_steps=300,
        seed=0, burn_in=50),
    "from_model, mean_paths": lambda: R.VolterraSeries.from_model(
        tanh2, order=2, dt=0.05, n_lags=3, method="perturbation", n_paths=200, seed=0,
        burn_in=20, mean_paths=300),
    "volterra_terms": lambda: R.volterra_terms(tanh2, U8, dt=0.05, n_paths=300, seed=0,
                                               burn_in=30),
    "volterra_convergence": lambda: R.volterra_convergence(
        tanh2, U8, dt=0.05, n_paths=300, seed=0, burn_in=30),
    "SRNNReservoir.transform, threads": lambda: RESERVOIR.transform(np.stack([U8, 2 * U8])),
}
RESERVOIR = sk.learning.SRNNReservoir(n_hidden=6, n_paths=300, n_jobs=2).fit(U8[None])


@pytest.mark.parametrize("name", list(CALLS))
def test_one_bar_per_call_counts_every_path_step(name, monkeypatch):
    seen = _counted(monkeypatch)
    with sk.show_progress():
        CALLS[name]()
    assert len(seen) == 1, seen                   # nested estimators draw no second bar
    _desc, reported, total = seen[0]
    assert total > 0 and reported == total, seen[0]


def test_bars_never_reach_dask_style_executors(model):
    """An executor's tasks run without the bar (it cannot travel); results stay the same."""
    from concurrent.futures import ThreadPoolExecutor

    kw = dict(dt=0.1, n_lags=3, method="perturbation", n_paths=3000, seed=2, burn_in=5)
    ref = R.linear_response(model, **kw).values
    with ThreadPoolExecutor(2) as ex, sk.show_progress():
        got = R.linear_response(model, executor=ex, **kw).values
    np.testing.assert_array_equal(got, ref)
