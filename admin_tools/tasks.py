from __future__ import annotations

from celery import shared_task

from reclio.queues import Queue


@shared_task(name="admin_tools.health_check", queue=Queue.DEFAULT.value, soft_time_limit=120, time_limit=180)
def health_check_task() -> int:
    """Probe every dependency and store a snapshot. Hourly; safe to run any time (read-only probes)."""
    from admin_tools.services import health_check_run

    return health_check_run().pk
