from __future__ import annotations

from celery import shared_task

from reclio import events


@shared_task(
    name=events.ADMIN_TOOLS_HEALTH_CHECK.name,
    queue=events.ADMIN_TOOLS_HEALTH_CHECK.queue,
    soft_time_limit=120,
    time_limit=180,
)
def health_check_task() -> int:
    """Probe every dependency and store a snapshot. Hourly; safe to run any time (read-only probes)."""
    from admin_tools.services import health_check_run

    return health_check_run().pk
