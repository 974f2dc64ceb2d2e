"""Beat scheduler that records its heartbeat, so /health can tell whether beat is alive."""

from __future__ import annotations

import contextlib
import time

from django.core.cache import cache
from django_celery_beat.schedulers import DatabaseScheduler

BEAT_LAST_TICK_CACHE_KEY = "beat:last_tick"
# Beat ticks every few seconds; writing once a minute is plenty for a liveness signal.
_RECORD_EVERY_SECONDS = 30


class TickRecordingScheduler(DatabaseScheduler):
    _last_recorded = 0.0

    def tick(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        now = time.time()
        if now - self._last_recorded >= _RECORD_EVERY_SECONDS:
            # A cache outage must never stop the scheduler.
            with contextlib.suppress(Exception):
                cache.set(BEAT_LAST_TICK_CACHE_KEY, now, timeout=None)
                self._last_recorded = now
        return super().tick(*args, **kwargs)


# --- what the Django admin shows per periodic task: its last result ---------------------------------
TASK_RESULT_CACHE_KEY = "beat:last_result:{name}"


def _scheduled_task_names() -> frozenset[str]:
    from django.conf import settings

    return frozenset(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())


def task_result_record(*, name: str, state: str, result: object) -> None:
    """Remember the last outcome of a scheduled task (any worker; read by the PeriodicTask admin).

    Celery's result backend keys results by task id, which beat's rows do not keep; this keeps one
    short line per scheduled task name instead. Never raises: a cache outage must not fail a task.
    """
    if name not in _scheduled_task_names():
        return
    with contextlib.suppress(Exception):
        cache.set(
            TASK_RESULT_CACHE_KEY.format(name=name),
            {"state": state, "at": time.time(), "result": repr(result)[:300]},
            timeout=7 * 24 * 3600,
        )


def task_result_get(*, name: str) -> dict[str, object] | None:
    try:
        value = cache.get(TASK_RESULT_CACHE_KEY.format(name=name))
    except Exception:  # noqa: BLE001 - the admin page shows "unknown" instead
        return None
    return value if isinstance(value, dict) else None
