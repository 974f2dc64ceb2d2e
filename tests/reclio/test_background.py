"""reclio/background.py on a real thread (the rest of the suite runs its steps inline)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from reclio.background import ProcessThread
from reclio.services import web_server_argv

ROOT = Path(__file__).resolve().parents[2]


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
    # given: a thread started in this process (as a Celery prefork parent may, before forking its children)
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_exit_hooks_run_when_granian_stops_its_worker(tmp_path, stop):
    # given: a real granian worker (a multiprocessing child, which skips atexit) serving an app that
    # registered an exit hook, as the hit buffer does
    mark = tmp_path / "exited"
    port = _free_port()
    server = subprocess.Popen(
        [
            *web_server_argv("tests.reclio.exit_hook_app:app", host="127.0.0.1", port=port),
            *("--workers", "1"),
        ],
        cwd=ROOT,
        env={**os.environ, "EXIT_HOOK_MARK": str(mark)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.read() == b"ok"
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("granian did not start")
                time.sleep(0.2)
        assert not mark.exists()

        # when
        server.send_signal(stop)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    # then: the worker (not the main process) ran the hook
    assert mark.exists()
    assert int(mark.read_text()) != server.pid
