"""The Celery application. Settings come from Django settings with the CELERY_ prefix."""

from __future__ import annotations

import os
import time
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reclio.settings.base")

# Every task derives from ReclioTask: it counts broker deliveries and parks a message that keeps
# killing its worker (reclio/deliveries.py).
app = Celery("reclio", task_cls="reclio.deliveries:ReclioTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Sub-packages with their own tasks module (autodiscovery only looks at <app>.tasks by default).
app.autodiscover_tasks(["catalog.embedding"])


# Celery signals (not Django's: the house rule against signals is about model side effects).
@before_task_publish.connect
def _published_at_stamp(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    # Celery's message protocol carries no publish time; the Operations page reads this header off the
    # oldest message waiting in a queue to tell how long that queue has been stuck.
    if headers is not None:
        headers.setdefault("published_at", time.time())


@task_postrun.connect
def _scheduled_result_record(task: Any = None, retval: Any = None, state: str | None = None, **kwargs: Any) -> None:
    from reclio.beat import task_result_record

    if task is not None:
        task_result_record(name=task.name, state=str(state), result=retval)
