"""Poison messages: count deliveries, park a task that keeps killing its worker.

With ``acks_late`` and ``task_reject_on_worker_lost`` a message whose task gets its worker killed
(out of memory, a segfault in a native library) goes back to the queue and is delivered again —
forever, pinning its queue. Every task of the app derives from ``ReclioTask`` (``Celery(task_cls=…)``
in ``reclio/celery.py``), which counts deliveries per (task id, retry number) in Redis before the task
runs and forgets the count when the run ends in this process (success, failure or retry: the worker
survived). A delivery that finds ``TASK_MAX_DELIVERIES`` earlier ones that never ended is not run: the
task is parked (a ``ParkedTask`` row, one ERROR log line, the ``parked_tasks`` health probe) and its
message acknowledged, so the queue moves on. The admin re-queues a parked task.

Only broker deliveries count (never eager or direct calls). A delivery cancelled by a graceful
shutdown (``on_cold_shutdown`` terminates the child with SIGTERM and requeues the message) is not a
poison: the child un-counts it before it exits (``_child_cancel_signals_watch``).
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from billiard.common import TERM_SIGNAL
from billiard.process import current_process
from celery import Task
from celery.exceptions import Reject
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

# Long enough to span the redeliveries of one message (each waits up to the visibility timeout).
DELIVERY_COUNT_SECONDS = 24 * 3600

# The delivery this (prefork child) process is running, for the SIGTERM un-count.
_current_delivery: str | None = None


def _delivery_key(task_id: str, retries: int) -> str:
    return f"deliveries:{task_id}:{retries}"


def _broker_delivery(request: Any) -> bool:
    # Eager (apply/always-eager) and direct calls have no delivery_info; only a worker consuming a
    # broker message has one.
    return bool(request.id and not request.is_eager and not request.called_directly and request.delivery_info)


def delivery_count(*, task_id: str, retries: int) -> int | None:
    """Count one more delivery of (task id, retries); the count so far, or None when Redis cannot say."""
    key = _delivery_key(task_id, retries)
    try:
        cache.add(key, 0, timeout=DELIVERY_COUNT_SECONDS)
        return int(cache.incr(key))
    except Exception:
        logger.warning("delivery_count_failed task_id=%s", task_id, exc_info=True)
        return None


def delivery_forget(*, task_id: str, retries: int) -> None:
    """The delivery ended in its worker (it did not kill it): drop its count."""
    try:
        cache.delete(_delivery_key(task_id, retries))
    except Exception:
        logger.warning("delivery_forget_failed task_id=%s", task_id, exc_info=True)


def _delivery_uncount(key: str) -> None:
    try:
        cache.decr(key)
    except Exception:  # noqa: BLE001 - best effort from a signal handler; the count expires on its own
        logger.warning("delivery_uncount_failed key=%s", key)


def parked_task_record(
    *, name: str, task_id: str, args: Any, kwargs: Any, queue: str, retries: int, deliveries: int
) -> None:
    """Set a poison task aside: one row for the admin, one ERROR line for the logs."""
    from reclio.models import ParkedTask

    logger.error(
        "task_parked name=%s task_id=%s queue=%s retries=%s deliveries=%s "
        "reason=the_previous_deliveries_never_finished (worker killed?); re-queue it from the admin",
        name,
        task_id,
        queue,
        retries,
        deliveries,
    )
    try:
        ParkedTask.objects.create(
            name=name,
            task_id=task_id,
            args=list(args or []),
            kwargs=dict(kwargs or {}),
            queue=queue,
            retries=retries,
            deliveries=deliveries,
            parked_at=timezone.now(),
        )
    except Exception:  # the ERROR line above still has everything needed to re-send it by hand
        logger.exception("task_park_record_failed name=%s task_id=%s", name, task_id)


def parked_tasks_requeue(*, parked_ids: list[int]) -> int:
    """Send each parked task again (a new message and task id, same arguments and queue); how many."""
    from reclio.celery import app
    from reclio.models import ParkedTask

    sent = 0
    for parked in ParkedTask.objects.filter(pk__in=parked_ids, requeued_at__isnull=True):
        result = app.send_task(parked.name, args=parked.args, kwargs=parked.kwargs, queue=parked.queue or None)
        parked.requeued_at, parked.requeued_task_id = timezone.now(), str(result.id)
        parked.save(update_fields=["requeued_at", "requeued_task_id"])
        logger.info("parked_task_requeued name=%s old_task_id=%s task_id=%s", parked.name, parked.task_id, result.id)
        sent += 1
    return sent


class ReclioTask(Task):
    """The base of every Reclio task: counts broker deliveries and parks a poison message."""

    def before_start(self, task_id: str, args: Any, kwargs: Any) -> None:
        global _current_delivery
        request = self.request
        if not _broker_delivery(request):
            return
        retries = int(request.retries or 0)
        count = delivery_count(task_id=task_id, retries=retries)
        if count is not None and count > settings.TASK_MAX_DELIVERIES:
            parked_task_record(
                name=self.name,
                task_id=task_id,
                args=args,
                kwargs=kwargs,
                queue=(request.delivery_info or {}).get("routing_key") or "",
                retries=retries,
                deliveries=count,
            )
            delivery_forget(task_id=task_id, retries=retries)
            # Acknowledged, not requeued: the queue moves on (REJECTED in the result backend).
            raise Reject(f"parked after {count - 1} deliveries that never finished", requeue=False)
        _current_delivery = _delivery_key(task_id, retries)
        _child_cancel_signals_watch()

    def after_return(self, status: str, retval: Any, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        global _current_delivery
        if _broker_delivery(self.request):
            delivery_forget(task_id=task_id, retries=int(self.request.retries or 0))
        _current_delivery = None
        super().after_return(status, retval, task_id, args, kwargs, einfo)


def _uncount_then(previous: Any) -> Any:
    def handler(signum: int, frame: Any) -> None:
        # The pool cancels the running task with this signal (a graceful shutdown's cold phase, a
        # revoke with terminate) and the message goes back to the queue at once: that delivery did
        # not kill its worker, so it must not count toward parking. Then do what the signal did.
        if _current_delivery is not None:
            _delivery_uncount(_current_delivery)
        if callable(previous):
            previous(signum, frame)
        else:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    handler.reclio_uncount = True  # type: ignore[attr-defined]
    return handler


def _child_cancel_signals_watch() -> None:
    """In a prefork child, count a cancelled delivery out before the child exits (once per child).

    Installed from the first delivery, because billiard resets the child's signals after Celery's
    ``worker_process_init``. Its cancel signal is billiard's TERM_SIGNAL (SIGTERM, or SIGQUIT under
    ``REMAP_SIGTERM=SIGQUIT`` as in docker-compose.yml), which raises SystemExit in the task.
    """
    if current_process().name == "MainProcess":  # solo pool or eager: the worker's own handlers stay
        return
    for signum in {signal.SIGTERM, TERM_SIGNAL}:
        previous = signal.getsignal(signum)
        if previous is signal.SIG_IGN or getattr(previous, "reclio_uncount", False):
            continue
        signal.signal(signum, _uncount_then(previous))
