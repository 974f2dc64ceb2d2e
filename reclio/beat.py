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
