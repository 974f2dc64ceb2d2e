"""reclio/background.py on a real thread (the rest of the suite runs its steps inline)."""

from __future__ import annotations

import os
import threading

import pytest

from reclio.background import ProcessThread


@pytest.fixture
def threaded(monkeypatch):
    monkeypatch.setattr(ProcessThread, "inline", False)


def test_wake_runs_the_step_on_the_thread_not_the_caller(threaded):
    ran = threading.Event()
    where: list[str] = []

    def step() -> None:
        where.append(threading.current_thread().name)
        ran.set()

    worker = ProcessThread("test-background", step, interval=60)
    worker.wake()

    assert ran.wait(5)
    assert where[0] == "test-background"


def test_a_failing_step_does_not_end_the_thread(threaded):
    calls: list[int] = []
    second = threading.Event()

    def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("odd")
        second.set()

    worker = ProcessThread("test-background-failing", step, interval=0.05)
    worker.ensure_started()

    assert second.wait(5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_starts_its_own_thread(threaded):
    # given: a thread started in this process (as gunicorn's master may, before forking workers)
    read, write = os.pipe()
    pipe = [write]  # emptied when the test ends: the daemon thread outlives it and steps again later

    def step() -> None:
        if pipe:
            os.write(pipe[0], str(os.getpid()).encode() + b"\n")

    worker = ProcessThread("test-background-fork", step, interval=60)
    worker.wake()

    # when: a forked child wakes it
    pid = os.fork()
    if pid == 0:  # the child: threads did not survive the fork
        try:
            worker.wake()
            threading.Event().wait(1)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    pipe.clear()
    os.close(write)

    # then: both processes ran a step on a thread of their own
    with os.fdopen(read) as lines:
        pids = {int(line) for line in lines.read().split()}
    assert pids == {os.getpid(), pid}
