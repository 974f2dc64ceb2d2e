from __future__ import annotations

from reclio import events


@events.declared_task(
    events.ADMIN_TOOLS_HEALTH_CHECK,
    soft_time_limit=120,
    time_limit=180,
)
def health_check_task() -> int:
    """Probe every dependency and store a snapshot. Hourly; safe to run any time (read-only probes).

    First, mark content-sync runs left "running" by a killed worker as failed (the periodic reaper).
    """
    from admin_tools.services import health_check_run
    from catalog.services import content_sync_runs_reap

    content_sync_runs_reap()
    return health_check_run().pk
