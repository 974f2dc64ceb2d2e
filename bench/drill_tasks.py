"""Tasks only the drills' workers load (``celery worker --include bench.drill_tasks``), never production.

``drills.poison`` kills the worker process that runs it, every time (an OOM on one bad message);
``drills.canary`` marks that it ran. Both record each delivery as a file under ``DRILLS_MARK_DIR``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from celery import shared_task


def _mark(kind: str, key: str) -> None:
    folder = Path(os.environ["DRILLS_MARK_DIR"]) / kind
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / key).open("a") as handle:
        handle.write(f"{time.time()} {os.getpid()}\n")


@shared_task(name="drills.poison", acks_late=True)
def poison_task(key: str) -> None:
    _mark("poison", key)
    os.kill(os.getpid(), signal.SIGKILL)


@shared_task(name="drills.canary", acks_late=True)
def canary_task(key: str) -> str:
    _mark("canary", key)
    return key
