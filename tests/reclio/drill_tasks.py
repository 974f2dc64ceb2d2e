"""Tasks for the worker drills (tests/reclio/test_worker_drills.py), loaded only by the drill worker
(``celery worker --include tests.reclio.drill_tasks``); never part of the app."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from celery import shared_task
from django.core.cache import cache

from reclio.locks import held, task_lock_seconds, task_owner
from reclio.queues import Queue

DRILL_LOCK = "drill.locked_sleep"


def _deliveries(marker: str) -> int:
    path = Path(marker)
    return len(path.read_text().splitlines()) if path.exists() else 0


def _note(marker: str, text: str) -> None:
    with Path(marker).open("a") as out:
        out.write(f"{text} pid={os.getpid()}\n")
        out.flush()
        os.fsync(out.fileno())


@shared_task(bind=True, name="drill.locked_sleep", queue=Queue.DEFAULT.value, acks_late=True)
def locked_sleep_task(self: Any, marker: str, first_seconds: float, then_seconds: float) -> str:
    """Hold a singleton lock (owner = task id) while sleeping: long on the first delivery, short after."""
    with held(DRILL_LOCK, owner=task_owner(self), ttl_seconds=task_lock_seconds(self)) as acquired:
        if not acquired:
            return "skipped: already running"
        seconds = first_seconds if _deliveries(marker) == 0 else then_seconds
        _note(marker, f"start id={self.request.id}")
        time.sleep(seconds)
        # How many deliveries of this message reclio.deliveries has counted so far (this one included).
        return f"done deliveries={cache.get(f'deliveries:{self.request.id}:{self.request.retries}')}"


@shared_task(bind=True, name="drill.kill_worker", queue=Queue.DEFAULT.value, acks_late=True)
def kill_worker_task(self: Any, marker: str) -> str:
    """A poison message: every delivery kills the process running it (like the OOM killer would)."""
    _note(marker, f"start id={self.request.id}")
    os.kill(os.getpid(), signal.SIGKILL)
    return "unreachable"


@shared_task(bind=True, name="drill.note", queue=Queue.DEFAULT.value, acks_late=True)
def note_task(self: Any, marker: str, label: str) -> str:
    """Append ``label`` to ``marker``: the order a worker took its messages in."""
    _note(marker, label)
    return label
