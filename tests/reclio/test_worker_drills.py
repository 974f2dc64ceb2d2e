"""Worker drills on real processes: a real Celery worker (prefork, one child, as in production) on
the embedded Redis, killed or stopped mid-task the way production kills it.

- SIGKILL mid-task, then a new worker: the redelivered task takes its own lock over and completes.
- A task that SIGKILLs its worker on every delivery: parked after 3 deliveries; the queue moves on.
- A deploy (SIGTERM, remapped to the soft shutdown) mid long task: the message is back on the queue
  at once and the next worker completes it, long before the visibility timeout.
- A message sent at the fan-out's bulk priority waits behind an ordinary one sent after it.

The worker runs ``tests.reclio.drill_settings`` (short restore sweeps, the test database) and loads
``tests.reclio.drill_tasks``. Every wait polls with a deadline.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connection

from reclio.celery import app
from reclio.events import Event, send_on_commit
from reclio.models import ParkedTask
from reclio.queues import Queue
from reclio.services import celery_worker_argv

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
_names = itertools.count(1)


def poll(what: str, probe: Callable[[], T | None], *, seconds: float, every: float = 0.2) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


class Worker:
    """One ``celery worker`` process group, its log in a file."""

    def __init__(self, tmp_path: Path, *, visibility_timeout: int, soft_shutdown_seconds: float = 1.0) -> None:
        self.visibility_timeout = visibility_timeout
        self.log = tmp_path / f"worker-{next(_names)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reclio.drill_settings",
            "DRILL_DATABASE_NAME": str(connection.settings_dict["NAME"]),
            "DRILL_VISIBILITY_TIMEOUT": str(visibility_timeout),
            "CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT": str(soft_shutdown_seconds),
            # As in docker-compose.yml: a deploy's SIGTERM starts the soft shutdown.
            "REMAP_SIGTERM": "SIGQUIT",
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                celery_worker_argv(
                    [Queue.DEFAULT.value],
                    hostname=f"drill-{os.getpid()}-{self.log.stem}@%h",
                    loglevel="INFO",
                    extra=[
                        *("--include", "tests.reclio.drill_tasks"),
                        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                    ],
                ),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: SIGKILL reaches the pool child too
            )
        poll(f"worker ready ({self.log})", self._ready, seconds=90)

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{self.log.read_text()}")
        return " ready." in self.log.read_text()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Workers:
    """The drill workers of this module, at most one alive at a time (so no second worker's restore
    sweep can hand out a message that is still running). A live worker is reused by the next drill
    when it has the visibility timeout that drill needs: each worker start costs seconds."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.live: Worker | None = None

    def start(self, *, visibility_timeout: int) -> Worker:
        self.stop()
        self.live = Worker(self.tmp_path, visibility_timeout=visibility_timeout)
        return self.live

    def reuse(self, *, visibility_timeout: int) -> Worker:
        live = self.live
        if live and live.process.poll() is None and live.visibility_timeout == visibility_timeout:
            return live
        return self.start(visibility_timeout=visibility_timeout)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


@pytest.fixture(scope="module")
def _drill_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    workers = Workers(tmp_path_factory.mktemp("drill-workers"))
    try:
        yield workers
    finally:
        workers.stop()


@pytest.fixture
def workers(_drill_workers: Workers) -> Iterator[Workers]:
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    # A message left on the queue by an earlier, aborted drill must not be mistaken for this one's.
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(Queue.DEFAULT.value)  # type: ignore[attr-defined]
    try:
        yield _drill_workers
    finally:
        app.conf.task_always_eager = eager


def _starts(marker: Path) -> int:
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def test_a_task_that_kills_its_worker_every_time_is_parked_after_three_deliveries(workers, tmp_path):
    # given
    marker = tmp_path / "poison.txt"
    workers.reuse(visibility_timeout=600)

    # when: a poison message is queued, then an ordinary task behind it
    poison = app.send_task("drill.kill_worker", args=(str(marker),), queue=Queue.DEFAULT.value)
    after = app.send_task("reclio.echo", args=("after the poison",), queue=Queue.DEFAULT.value)

    # then: it ran (and killed its worker) three times, was parked on the fourth, and the queue moved on
    assert after.get(timeout=60)["payload"] == "after the poison"
    parked = poll("the parked row", lambda: ParkedTask.objects.filter(task_id=poison.id).first(), seconds=30)
    assert (parked.name, parked.deliveries, parked.queue) == ("drill.kill_worker", 4, Queue.DEFAULT.value)
    assert _starts(marker) == 3


def test_a_deploy_requeues_a_long_task_at_once_and_the_next_worker_completes_it(workers, tmp_path):
    # given: a worker running a long task (the visibility timeout is 10 minutes)
    marker = tmp_path / "long.txt"
    first = workers.reuse(visibility_timeout=600)  # soft shutdown timeout: 1 s
    result = app.send_task("drill.locked_sleep", args=(str(marker), 600, 0.2), queue=Queue.DEFAULT.value)
    poll("the long task to start", lambda: _starts(marker) == 1, seconds=30)

    # when: the deploy stops the worker (SIGTERM) and starts the new version
    stopped_at = time.monotonic()
    first.process.send_signal(signal.SIGTERM)
    first.process.wait(timeout=30)
    exited = time.monotonic() - stopped_at
    workers.start(visibility_timeout=600)

    # then: the old worker left within its soft shutdown, and the task was requeued at once and completed;
    # the cancelled delivery did not count toward parking (it did not kill its worker)
    assert result.get(timeout=60) == "done deliveries=1"
    recovered = time.monotonic() - stopped_at
    assert exited < 15 and recovered < 120  # not after the 600 s visibility timeout
    assert _starts(marker) == 2
    print(f"worker exited {exited:.1f} s after SIGTERM; done {recovered:.1f} s after it")  # noqa: T201 - drill figure


def test_a_redelivered_task_takes_its_own_lock_over_and_completes(workers, tmp_path):
    # given: a worker running a task that holds a lock (owner = its task id; TTL over an hour)
    marker = tmp_path / "locked.txt"
    first = workers.reuse(visibility_timeout=600)
    result = app.send_task("drill.locked_sleep", args=(str(marker), 60, 0.2), queue=Queue.DEFAULT.value)
    poll("the first delivery to start", lambda: _starts(marker) == 1, seconds=30)

    # when: the worker is SIGKILLed mid-task (OOM, a node lost) and a new worker comes up
    first.kill()
    killed_at = time.monotonic()
    workers.start(visibility_timeout=3)  # swept every second: back within seconds

    # then: the message is delivered again, and the same task takes its own lock over and completes
    # (its second counted delivery: the first killed its worker)
    assert result.get(timeout=60) == "done deliveries=2"
    assert _starts(marker) == 2
    print(f"recovered {time.monotonic() - killed_at:.1f} s after SIGKILL")  # noqa: T201 - the drill figure (-s)


def test_a_viewer_s_own_message_overtakes_a_fan_out_backlog_on_the_same_queue(workers, tmp_path):
    # given: no worker, and a fan-out's backlog waiting (sent first, at bulk priority)
    marker = tmp_path / "order.txt"
    workers.stop()
    drill_note = Event("drill.note", Queue.DEFAULT.value, args=("marker", "label"))
    for n in range(4):
        send_on_commit(drill_note, bulk=True, marker=str(marker), label=f"bulk-{n}")

    # when: one ordinary message arrives behind it (a viewer who just watched; a list-write switch)
    send_on_commit(drill_note, marker=str(marker), label="urgent")
    workers.start(visibility_timeout=600)

    # then: the worker (one child, prefetch 1, as in production) takes it first, then the backlog in order
    lines = poll("all five notes", lambda: _starts(marker) == 5 and marker.read_text().splitlines(), seconds=60)
    assert [line.split()[0] for line in lines] == ["urgent", "bulk-0", "bulk-1", "bulk-2", "bulk-3"]
