"""Dask executors: bit-identical results, worker failure, remote exceptions."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import srnnkit as sk

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _problem():
    model = sk.SRNN.random(6, 2, noise=0.4, seed=0)
    u = np.random.default_rng(0).standard_normal((40, 2))
    return model, u


@pytest.mark.parametrize("save", ["mean", "paths", "states"])
def test_simulate_on_cluster_is_bit_identical(client, save):
    model, u = _problem()
    ref = sk.simulate(model, u, dt=0.02, n_paths=1100, seed=9, save=save)
    tr = sk.simulate(model, u, dt=0.02, n_paths=1100, seed=9, save=save, executor=client)
    np.testing.assert_array_equal(ref.mean, tr.mean)
    np.testing.assert_array_equal(ref.stderr, tr.stderr)
    if save == "paths":
        np.testing.assert_array_equal(ref.outputs, tr.outputs)
    if save == "states":
        np.testing.assert_array_equal(ref.states, tr.states)


def test_batch_on_cluster(client):
    model, u = _problem()
    U = np.stack([u, -u, 0.5 * u])
    ref = sk.simulate(model, U, dt=0.02, n_paths=600, seed=3)
    tr = sk.simulate(model, U, dt=0.02, n_paths=600, seed=3, executor=client, chunk_size=512)
    np.testing.assert_array_equal(ref.mean, tr.mean)


def test_remote_exception_keeps_its_message(client):
    model = sk.SRNN(W=np.zeros((1, 1)), C=[[1.0]], sigma=0.1, gamma=50.0)
    with pytest.raises(sk.DivergenceError, match=r"diverged at step \d+ .* of path \d+"):
        sk.simulate(model, None, n_steps=2000, dt=0.5, n_paths=4, seed=0, h0=[1.0],
                    executor=client)


def test_killed_worker_does_not_change_result(client):
    model = sk.SRNN.random(16, 2, noise=0.3, seed=1)
    u = np.random.default_rng(1).standard_normal((3000, 2)) * 0.3
    ref = sk.simulate(model, u, dt=0.01, n_paths=256 * 12, seed=5)
    result = {}

    def run():
        result["traj"] = sk.simulate(model, u, dt=0.01, n_paths=256 * 12, seed=5,
                                     executor=client)

    th = threading.Thread(target=run)
    th.start()
    deadline = time.time() + 30
    while time.time() < deadline and not any(client.processing().values()):
        time.sleep(0.05)
    time.sleep(0.3)
    victim = next(iter(client.scheduler_info()["workers"]))
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)  # hard kill of a worker process mid-run; its nanny restarts it
    th.join(timeout=240)
    assert not th.is_alive()
    np.testing.assert_array_equal(result["traj"].mean, ref.mean)
    np.testing.assert_array_equal(result["traj"].stderr, ref.stderr)


def test_bad_executor():
    model, u = _problem()
    with pytest.raises(TypeError, match=r"executor must be a dask\.distributed\.Client"):
        sk.simulate(model, u, dt=0.02, n_paths=10, executor="cluster")


@pytest.mark.parametrize("symmetric", [True, False])
def test_gram_matrices_on_cluster_are_bit_identical(client, symmetric):
    from srnnkit.features import LegendreBasis

    rng = np.random.default_rng(4)
    X = rng.standard_normal((23, 15, 3)) * 0.3
    Y = None if symmetric else rng.standard_normal((9, 12, 3)) * 0.3
    ref = sk.kernels.signature_kernel(X, Y, dyadic_order=1)
    K = sk.kernels.signature_kernel(X, Y, dyadic_order=1, executor=client, tile=5)
    np.testing.assert_array_equal(K, ref)
    basis = LegendreBasis(2, 1.5)
    refr = sk.kernels.response_kernel(X, Y, dt=0.1, basis=basis)
    Kr = sk.kernels.response_kernel(X, Y, dt=0.1, basis=basis, executor=client, tile=4)
    np.testing.assert_array_equal(Kr, refr)


def test_linear_response_on_cluster_is_bit_identical(client):
    model = sk.SRNN.random(4, 1, noise=0.3, seed=2)
    kw = dict(dt=0.05, n_lags=10, method="perturbation", n_paths=5000, seed=3, burn_in=20)
    ref = sk.response.linear_response(model, **kw)
    rf = sk.response.linear_response(model, executor=client, **kw)
    np.testing.assert_array_equal(rf.values, ref.values)
    np.testing.assert_array_equal(rf.stderr, ref.stderr)


def test_cli_workers_gives_the_same_numbers(tmp_path):
    import json

    from srnnkit.cli import main

    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["simulate", "--quick", "--quiet", "--out", str(a)]) == 0
    assert main(["simulate", "--quick", "--quiet", "--workers", "2", "--out", str(b)]) == 0
    ma = json.loads((a / "metrics.json").read_text())["simulate"]
    mb = json.loads((b / "metrics.json").read_text())["simulate"]
    assert ma["final_mean"] == mb["final_mean"] and ma["max_stderr"] == mb["max_stderr"]


@pytest.mark.slow          # 10 s: the connection attempt times out
def test_cli_bad_scheduler_is_reported(tmp_path, capsys):
    from srnnkit.cli import main

    assert main(["simulate", "--quick", "--scheduler", "tcp://127.0.0.1:9",
                 "--out", str(tmp_path)]) == 2
    assert "cannot reach the Dask cluster" in capsys.readouterr().err
