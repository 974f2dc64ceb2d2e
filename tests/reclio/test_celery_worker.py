"""A real Celery worker process (not eager mode) consumes every queue on the embedded Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from reclio.celery import app
from reclio.queues import ALL_QUEUES
from reclio.services import celery_worker_argv
from reclio.tasks import echo_task

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_worker():
    hostname = f"test-worker-{os.getpid()}@%h"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reclio.settings.base"}
    process = subprocess.Popen(
        celery_worker_argv(ALL_QUEUES, hostname=hostname, extra=["--without-gossip", "--without-mingle"]),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            replies = app.control.inspect(timeout=1).active_queues() or {}
            if any(name.startswith(f"test-worker-{os.getpid()}@") for name in replies):
                break
            if process.poll() is not None:
                pytest.fail(f"worker exited early:\n{process.stdout.read() if process.stdout else ''}")
        else:
            pytest.fail("worker did not come up within 90 s")
        yield process
    finally:
        app.conf.task_always_eager = eager
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("queue", ALL_QUEUES)
def test_a_task_sent_to_each_queue_is_executed_by_the_worker(real_worker, queue):
    result = echo_task.apply_async(args=(f"hello {queue}",), queue=queue)
    reply = result.get(timeout=60)
    assert reply["payload"] == f"hello {queue}"
    assert reply["queue"] == queue


@pytest.mark.django_db
def test_health_sees_the_worker_on_every_queue(real_worker, admin_api_client):
    body = admin_api_client.get("/admin/health").json()
    workers = body["checks"]["workers"]
    assert any(name.startswith("test-worker-") for name in workers["facts"]["workers"])
