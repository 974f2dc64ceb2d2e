"""The hit rate, served → watched: Reclio's online quality metric.

Each refresh records which titles it served in the rows whose titles Reclio chose (``trakt_list``
rows; a ``tmdb_query`` row's titles are TMDB's), and, before that, matches the viewer's watches
stored since (the refresh runs after every Trakt sync that stored something) against what was
served: a watch is a hit when the title was served at most ``FEEDS_HIT_WINDOW_DAYS`` before it and
not after it. Kept per viewer and row, bounded by age and count.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from feeds.models import ServedTitle
from users import selectors as users_selectors

logger = logging.getLogger(__name__)


def served_titles_record(*, user_id: str, row_records: Sequence[dict[str, Any]], at: dt.datetime) -> int:
    """Record the titles of the served rows Reclio chose; returns how many (row, title) pairs were recorded."""
    key = uuid.UUID(str(user_id))
    served: dict[tuple[str, str], int] = {}
    for record in row_records:
        if record.get("source") != "trakt_list":
            continue
        for index, item_id in enumerate(record.get("items") or []):
            served.setdefault((str(record["key"]), str(item_id)), index + 1)
    if not served:
        return 0
    with transaction.atomic():
        existing = {
            (row.row_key, row.item_id): row
            for row in ServedTitle.objects.select_for_update().filter(
                user_id=key, row_key__in={k for k, _ in served}, item_id__in={i for _, i in served}
            )
        }
        updated, created = [], []
        for (row_key, item_id), position in served.items():
            row = existing.get((row_key, item_id))
            if row is None:
                created.append(
                    ServedTitle(
                        user_id=key,
                        row_key=row_key,
                        item_id=item_id,
                        position=position,
                        first_served_at=at,
                        last_served_at=at,
                    )
                )
            elif row.watched_at is None:  # a hit is final; its serving history stays as it was
                row.last_served_at = max(row.last_served_at, at)
                row.position = min(row.position, position)
                updated.append(row)
        ServedTitle.objects.bulk_update(updated, ["last_served_at", "position"], batch_size=500)
        ServedTitle.objects.bulk_create(created, batch_size=500, ignore_conflicts=True)
    return len(served)


def served_hits_record(*, user_id: str, now: dt.datetime) -> int:
    """Match the viewer's watches against what was served to them; returns how many new hits were stored.

    Idempotent: a hit is stored once (``watched_at`` is set at most once per served title).
    """
    key = uuid.UUID(str(user_id))
    window = dt.timedelta(days=settings.FEEDS_HIT_WINDOW_DAYS)
    # Every kept title still open: a sync can bring in watches days late (watched offline, synced
    # later); what is kept is bounded by served_titles_prune.
    open_titles = list(ServedTitle.objects.filter(user_id=key, watched_at__isnull=True))
    if not open_titles:
        return 0
    since = min(row.first_served_at for row in open_titles)
    watches: dict[str, list[dt.datetime]] = defaultdict(list)
    for item_id, watched_at in users_selectors.user_views_since(user_id=str(key), since=since):
        watches[item_id].append(watched_at)
    hits = []
    for row in open_titles:
        # Served before the watch (a title watched first and served later is no hit) and not too long before.
        first = next(
            (
                w
                for w in watches.get(row.item_id, [])
                if row.first_served_at < w <= min(now, row.last_served_at + window)
            ),
            None,
        )
        if first is not None:
            row.watched_at = first
            hits.append(row)
    ServedTitle.objects.bulk_update(hits, ["watched_at"], batch_size=500)
    if hits:
        logger.info("feeds_hits_recorded user_id=%s hits=%s", key, len(hits))
    return len(hits)


def served_titles_prune(*, user_id: str, now: dt.datetime) -> int:
    """Drop what is older than ``FEEDS_HIT_KEEP_DAYS`` and the oldest beyond ``FEEDS_HIT_MAX_PER_ROW`` per row."""
    key = uuid.UUID(str(user_id))
    deleted, _ = ServedTitle.objects.filter(
        user_id=key, last_served_at__lt=now - dt.timedelta(days=settings.FEEDS_HIT_KEEP_DAYS)
    ).delete()
    cap = settings.FEEDS_HIT_MAX_PER_ROW
    for row_key in set(ServedTitle.objects.filter(user_id=key).values_list("row_key", flat=True)):
        surplus = list(
            ServedTitle.objects.filter(user_id=key, row_key=row_key)
            .order_by("-last_served_at", "pk")
            .values_list("pk", flat=True)[cap:]
        )
        if surplus:
            deleted += ServedTitle.objects.filter(pk__in=surplus).delete()[0]
    return deleted


def served_titles_update(*, user_id: str, row_records: Sequence[dict[str, Any]], now: dt.datetime) -> None:
    """One refresh's bookkeeping: hits first (watches against what was served before), then what is served now.

    Never raises: the metric must not cost a viewer their rows.
    """
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the caller's transaction usable
            served_hits_record(user_id=user_id, now=now)
            served_titles_record(user_id=user_id, row_records=row_records, at=now)
            served_titles_prune(user_id=user_id, now=now)
    except Exception:
        logger.warning("feeds_hits_update_failed user_id=%s", user_id, exc_info=True)
