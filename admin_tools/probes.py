"""Core probes (database, Redis, Celery workers, beat) and the set the hourly check runs.

Each app declares its dependency probes (TMDB, Trakt, Recombee, embeddings…) with
``reclio.health.probe_register`` in its ``AppConfig.ready()``; admin_tools imports none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.core.cache import cache
from django.db import connection

from reclio.beat import BEAT_LAST_TICK_CACHE_KEY
from reclio.health import ProbeResult, probes_registered
from reclio.queues import ALL_QUEUES

if TYPE_CHECKING:
    from kombu.transport.redis import Channel as RedisChannel

# Beat ticks at least every 5 minutes (max_interval); a tick older than this means beat is down.
BEAT_STALE_AFTER_SECONDS = 600
WORKER_PING_TIMEOUT_SECONDS = 1.0


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def database_probe() -> ProbeResult:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
    except Exception as exc:  # noqa: BLE001
        return ProbeResult("database", False, f"database unreachable: {type(exc).__name__}", _elapsed_ms(started))
    facts = {"vendor": connection.vendor, "pgvector": row[0] if row else None}
    if row is None:
        return ProbeResult("database", False, "pgvector extension missing: run migrate", _elapsed_ms(started), facts)
    return ProbeResult("database", True, "ok", _elapsed_ms(started), facts)


def redis_probe() -> ProbeResult:
    from celery import current_app

    started = time.perf_counter()
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
            # The broker is always Redis (reclio/settings/celery.py); its channel holds the redis client.
            client = cast("RedisChannel", conn.default_channel).client
            client.ping()
    except Exception as exc:  # noqa: BLE001
        return ProbeResult("redis", False, f"broker unreachable: {type(exc).__name__}: {exc}", _elapsed_ms(started))
    return ProbeResult("redis", True, "ok", _elapsed_ms(started))


def workers_probe() -> ProbeResult:
    """Which queues have a live consumer. Every queue needs one, or its tasks pile up unseen."""
    from celery import current_app

    started = time.perf_counter()
    try:
        replies = current_app.control.inspect(timeout=WORKER_PING_TIMEOUT_SECONDS).active_queues() or {}
    except Exception as exc:  # noqa: BLE001
        return ProbeResult("workers", False, f"cannot reach workers: {type(exc).__name__}", _elapsed_ms(started))
    consumed = {queue["name"] for queues in replies.values() for queue in queues}
    missing = sorted(set(ALL_QUEUES) - consumed)
    consumers = {
        name: sorted(w for w, qs in replies.items() if any(q["name"] == name for q in qs)) for name in ALL_QUEUES
    }
    # consumers: the Operations page shows workers seen per queue from the stored snapshot.
    facts = {"workers": sorted(replies), "queues_without_worker": missing, "consumers": consumers}
    if not replies:
        return ProbeResult("workers", False, "no Celery worker answered", _elapsed_ms(started), facts)
    if missing:
        return ProbeResult("workers", False, f"no worker consumes: {', '.join(missing)}", _elapsed_ms(started), facts)
    return ProbeResult("workers", True, f"{len(replies)} worker(s), every queue consumed", _elapsed_ms(started), facts)


def beat_probe() -> ProbeResult:
    started = time.perf_counter()
    try:
        last_tick = cache.get(BEAT_LAST_TICK_CACHE_KEY)
    except Exception as exc:  # noqa: BLE001
        return ProbeResult("beat", False, f"cannot read beat heartbeat: {type(exc).__name__}", _elapsed_ms(started))
    if last_tick is None:
        return ProbeResult("beat", False, "beat has never ticked", _elapsed_ms(started))
    age = time.time() - float(last_tick)
    facts = {"last_tick_age_seconds": round(age, 1)}
    if age > BEAT_STALE_AFTER_SECONDS:
        return ProbeResult("beat", False, f"beat last ticked {age:.0f}s ago", _elapsed_ms(started), facts)
    return ProbeResult("beat", True, "ok", _elapsed_ms(started), facts)


# What GET /health runs: cheap, local, no external API.
LIVENESS_PROBES: dict[str, Callable[[], ProbeResult]] = {
    "database": database_probe,
    "redis": redis_probe,
    "workers": workers_probe,
    "beat": beat_probe,
}


def scheduled_probes() -> dict[str, Callable[[], ProbeResult]]:
    """What the hourly health check runs: the liveness probes plus every app's registered probes."""
    return {**LIVENESS_PROBES, **probes_registered()}
