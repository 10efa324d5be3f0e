"""The execution layer's thread fan-out (srnnkit._parallel.Runner): results in task order
whatever the finishing order, a bounded number of tasks in flight, errors surface."""

import threading
import time

import pytest

from srnnkit._parallel import Runner


def test_results_in_task_order_whatever_finishes_first():
    delays = [0.03, 0.0, 0.02, 0.0, 0.01, 0.0, 0.025, 0.0, 0.0, 0.015]

    def task(i):
        time.sleep(delays[i])
        return i * i

    assert list(Runner(2).map(task, range(len(delays)))) == [i * i for i in range(10)]
    assert list(Runner(1).map(task, range(len(delays)))) == [i * i for i in range(10)]


def test_at_most_a_window_of_tasks_started_ahead_of_the_consumer():
    started = []
    lock = threading.Lock()

    def task(i):
        with lock:
            started.append(i)
        return i

    runner = Runner(2)
    seen = []
    for res in runner.map(task, range(40)):
        time.sleep(0.002)
        with lock:
            ahead = len(started) - len(seen)
        assert ahead <= 2 * runner.n_threads + 1, (res, ahead)
        seen.append(res)
    assert seen == list(range(40))


def test_a_failing_task_raises_in_the_caller():
    def task(i):
        if i == 5:
            raise ValueError("task 5 failed")
        return i

    with pytest.raises(ValueError, match="task 5 failed"):
        list(Runner(2).map(task, range(20)))


def test_each_runs_every_item_for_its_effect():
    out = [0] * 30

    def write(i):
        out[i] = i + 1

    assert Runner(2).each(write, range(30)) is None
    assert out == list(range(1, 31))
    with pytest.raises(ValueError, match="task 5 failed"):
        Runner(2).each(lambda i: (_ for _ in ()).throw(ValueError("task 5 failed"))
                       if i == 5 else None, range(10))
