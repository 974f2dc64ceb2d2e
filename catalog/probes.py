"""Health probes of the catalog: is TMDB reachable with our credentials, is the catalog fresh, and
can the embedding provider serve?

Registered in ``CatalogConfig.ready`` for the hourly health check. Bounded in time, never raise.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils import timezone

from catalog.embedding import registry
from catalog.embedding.selectors import embedding_dimensions_in_use
from catalog.embedding.services import LAST_FAILURE_CACHE_KEY
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


def embedding_provider_probe() -> ProbeResult:
    """Can the configured provider serve, and did the latest embedding batch fail?

    Bounded: remote probes use a 5 s timeout and no retries; the local probe checks files only.
    """
    started = time.perf_counter()
    provider = registry.get_embedding_provider()
    result = provider.probe()
    facts = {**result.facts, "dimensions_in_use": {str(k): v for k, v in embedding_dimensions_in_use().items()}}
    if not result.ok:
        return ProbeResult("embeddings", False, result.detail, result.latency_ms, facts)
    failure = cache.get(LAST_FAILURE_CACHE_KEY)
    if failure:
        age = time.time() - float(failure.get("at", 0))
        facts["last_failure_age_seconds"] = round(age)
        return ProbeResult(
            "embeddings",
            False,
            f"embedding batches are failing: {failure.get('message')}",
            (time.perf_counter() - started) * 1000,
            facts,
        )
    return ProbeResult("embeddings", True, result.detail, (time.perf_counter() - started) * 1000, facts)
