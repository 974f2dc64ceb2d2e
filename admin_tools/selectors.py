"""Reads of admin_tools: health history and what the Operations page shows (it reads other apps only
through their selectors)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from admin_tools.models import HealthSnapshot
from catalog import selectors as catalog_selectors
from feeds import selectors as feeds_selectors
from reclio.beat import BEAT_LAST_TICK_CACHE_KEY
from reclio.queues import ALL_QUEUES
from recsys import selectors as recsys_selectors
from users import selectors as users_selectors

logger = logging.getLogger(__name__)


def health_snapshot_list(*, limit: int = 48) -> list[HealthSnapshot]:
    return list(HealthSnapshot.objects.order_by("-created_at")[:limit])


def health_history_by_day(*, days: int = 14, now: dt.datetime | None = None) -> dict[str, Any]:
    """Per probe and day: how many snapshots were ok and how many failed (the Operations page chart)."""
    now = now or timezone.now()
    start = (now - dt.timedelta(days=days - 1)).date()
    dates = [start + dt.timedelta(days=n) for n in range(days)]
    cells: dict[str, dict[dt.date, list[int]]] = defaultdict(lambda: {d: [0, 0] for d in dates})
    snapshots = HealthSnapshot.objects.filter(created_at__date__gte=start).only("created_at", "checks")
    for snapshot in snapshots.iterator():
        day = timezone.localtime(snapshot.created_at).date()
        for check in snapshot.checks or []:
            if isinstance(check, dict) and day in cells[str(check.get("name"))]:
                cells[str(check["name"])][day][0 if check.get("ok") else 1] += 1
    return {
        "dates": [d.isoformat() for d in dates],
        "probes": [
            {"name": name, "days": [{"ok": ok, "failed": failed} for ok, failed in by_day.values()]}
            for name, by_day in sorted(cells.items())
        ],
    }


def _message_summary(raw: bytes | None, *, now: float) -> dict[str, Any] | None:
    """The task name, eta and age of one queued kombu message (None when unreadable)."""
    if raw is None:
        return None
    try:
        headers = json.loads(raw).get("headers") or {}
    except (ValueError, AttributeError):
        return None
    published = headers.get("published_at")
    return {
        "task": headers.get("task"),
        "eta": headers.get("eta"),
        "age_seconds": round(now - float(published), 1) if isinstance(published, int | float) else None,
    }


def queues_overview() -> list[dict[str, Any]]:
    """Per Celery queue: messages waiting (Redis list lengths) and the oldest one (a list's tail).

    kombu's Redis transport keeps one list per priority step of a queue (``queue`` for step 0,
    ``queue<sep><step>`` for the others: the fan-outs send at ``reclio.queues.BULK_PRIORITY``),
    LPUSHes new messages and pops from the right, so each list's tail is its oldest message
    (https://github.com/celery/kombu/blob/main/kombu/transport/redis.py). Reads Redis only, with a
    one-second budget; the workers seen per queue come from the last health snapshot, never from a
    live broadcast on this request.
    """
    from celery import current_app

    consumers = _consumers_last_seen()
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
            channel = cast(Any, conn.default_channel)
            now = time.time()
            rows = []
            for name in ALL_QUEUES:
                lists = [name if not step else f"{name}{channel.sep}{step}" for step in channel.priority_steps]
                tails = [_message_summary(channel.client.lindex(key, -1), now=now) for key in lists]
                ages = [tail for tail in tails if tail is not None]
                rows.append(
                    {
                        "queue": name,
                        "depth": sum(int(channel.client.llen(key)) for key in lists),
                        "oldest": max(ages, key=lambda tail: tail["age_seconds"] or 0.0, default=None),
                        "workers": consumers.get(name),
                    }
                )
    except Exception as exc:  # noqa: BLE001 - the page shows the broker as unreachable instead
        logger.info("queues_overview_failed error=%s", type(exc).__name__)
        return [
            {"queue": name, "depth": None, "oldest": None, "workers": consumers.get(name), "error": str(exc)[:200]}
            for name in ALL_QUEUES
        ]
    return rows


def _consumers_last_seen() -> dict[str, list[str]]:
    for snapshot in HealthSnapshot.objects.order_by("-created_at")[:5]:
        for check in snapshot.checks or []:
            if isinstance(check, dict) and check.get("name") == "workers":
                consumers = (check.get("facts") or {}).get("consumers")
                if isinstance(consumers, dict):
                    return consumers
    return {}


def beat_last_tick() -> dt.datetime | None:
    try:
        value = cache.get(BEAT_LAST_TICK_CACHE_KEY)
    except Exception:  # noqa: BLE001
        return None
    return dt.datetime.fromtimestamp(float(value), tz=dt.UTC) if value is not None else None


def operations_overview(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the Operations page shows, read once (each panel degrades alone)."""
    now = now or timezone.now()
    latest = HealthSnapshot.objects.order_by("-created_at").first()
    checks = {str(c.get("name")): c for c in (latest.checks if latest else []) if isinstance(c, dict)}
    return {
        "now": now,
        "health": {"at": latest.created_at if latest else None, "checks": list(checks.values())},
        "history": health_history_by_day(days=14, now=now),
        "queues": queues_overview(),
        "beat_last_tick": beat_last_tick(),
        "catalog": catalog_selectors.catalog_overview(),
        "content_syncs": catalog_selectors.content_sync_runs_recent(limit=5),
        "users": users_selectors.users_overview(since=now - dt.timedelta(hours=24)),
        "engine": recsys_selectors.engine_state_get(),
        "recommender": settings.RECOMMENDER.value,
        "recombee": checks.get("recombee"),
        "hit_rate": feeds_selectors.hit_rate_summary(days=30, now=now),
    }
