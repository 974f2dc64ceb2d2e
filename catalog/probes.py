"""Health probes of the catalog: is TMDB reachable with our credentials, and is the catalog fresh?

Listed in ``admin_tools.probes.SCHEDULED_PROBES`` (hourly). Bounded in time, never raise.
"""

from __future__ import annotations

import time

from django.utils import timezone

from catalog.models import ContentItem, ContentSyncRun, SyncStatus
from catalog.tmdb import tmdb_configured, tmdb_ping
from reclio.health import ProbeResult
from reclio.http import UpstreamError

TMDB_PROBE_TIMEOUT_SECONDS = 3.0
# The sync runs daily at 03:00; a day and a half without a good run means it is not running.
STALE_AFTER_HOURS = 36


def tmdb_probe() -> ProbeResult:
    started = time.perf_counter()
    if not tmdb_configured():
        return ProbeResult("tmdb", False, "TMDB credentials are not set (TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN)")
    try:
        tmdb_ping(timeout=TMDB_PROBE_TIMEOUT_SECONDS)
    except UpstreamError as exc:
        return ProbeResult("tmdb", False, str(exc), (time.perf_counter() - started) * 1000, {"status": exc.status})
    except Exception as exc:  # noqa: BLE001 - a probe reports, never raises
        return ProbeResult("tmdb", False, f"{type(exc).__name__}: {exc}", (time.perf_counter() - started) * 1000)
    return ProbeResult("tmdb", True, "ok", (time.perf_counter() - started) * 1000)


def catalog_sync_probe() -> ProbeResult:
    started = time.perf_counter()
    last = ContentSyncRun.objects.filter(status__in=[SyncStatus.OK, SyncStatus.PARTIAL]).order_by("-started_at").first()
    facts: dict[str, object] = {"titles": ContentItem.objects.count()}
    elapsed = (time.perf_counter() - started) * 1000
    if last is None:
        return ProbeResult("catalog_sync", False, "the content sync has never succeeded", elapsed, facts)
    age_hours = (timezone.now() - last.started_at).total_seconds() / 3600
    facts.update(
        {"last_sync_age_hours": round(age_hours, 1), "last_sync_status": last.status, "last_sync_failed": last.failed}
    )
    if age_hours > STALE_AFTER_HOURS:
        return ProbeResult("catalog_sync", False, f"last good content sync {age_hours:.0f} h ago", elapsed, facts)
    return ProbeResult("catalog_sync", True, "ok", elapsed, facts)
