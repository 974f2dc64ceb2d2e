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
from django.db import connection, transaction
from django.db.models import F, Min, Q, Window
from django.db.models.functions import RowNumber

from feeds.models import ServedTitle
from users import selectors as users_selectors

logger = logging.getLogger(__name__)
_TABLE = connection.ops.quote_name(ServedTitle._meta.db_table)


def served_titles_record(*, user_id: str, row_records: Sequence[dict[str, Any]], at: dt.datetime) -> int:
    """Record the titles of the served rows Reclio chose; returns how many (row, title) pairs were recorded."""
    served: dict[tuple[str, str], int] = {}
    for record in row_records:
        if record.get("source") != "trakt_list":
            continue
        for index, item_id in enumerate(record.get("items") or []):
            served.setdefault((str(record["key"]), str(item_id)), index + 1)
    if not served:
        return 0
    row_keys, item_ids = zip(*served, strict=True)
    # One upsert for the whole refresh (a viewer's rows serve ~400 titles each night): a new title
    # is inserted, one served before keeps its first serving and best position, and a hit is final,
    # its serving history left as it was.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} AS served "  # noqa: S608
            "(user_id, row_key, item_id, position, first_served_at, last_served_at) "
            "SELECT %s, row_key, item_id, position, %s, %s "
            "FROM unnest(%s::varchar[], %s::varchar[], %s::integer[]) AS new (row_key, item_id, position) "
            "ON CONFLICT (user_id, row_key, item_id) DO UPDATE SET "
            "last_served_at = GREATEST(served.last_served_at, EXCLUDED.last_served_at), "
            "position = LEAST(served.position, EXCLUDED.position) "
            "WHERE served.watched_at IS NULL",
            [uuid.UUID(str(user_id)), at, at, list(row_keys), list(item_ids), list(served.values())],
        )
    return len(served)


def served_hits_record(*, user_id: str, now: dt.datetime) -> int:
    """Match the viewer's watches against what was served to them; returns how many new hits were stored.

    Idempotent: a hit is stored once (``watched_at`` is set at most once per served title).
    """
    key = uuid.UUID(str(user_id))
    window = dt.timedelta(days=settings.FEEDS_HIT_WINDOW_DAYS)
    still_open = ServedTitle.objects.filter(user_id=key, watched_at__isnull=True)
    # Since the oldest title still open: a sync can bring in watches days late (watched offline,
    # synced later); what is kept is bounded by served_titles_prune.
    since = still_open.aggregate(oldest=Min("first_served_at"))["oldest"]
    if since is None:
        return 0
    watches: dict[str, list[dt.datetime]] = defaultdict(list)
    for item_id, watched_at in users_selectors.user_views_since(user_id=str(key), since=since):
        watches[item_id].append(watched_at)
    if not watches:
        return 0
    hits = []
    # Only the open titles the viewer watched: a viewer keeps up to a few thousand open, and a
    # refresh runs after every sync.
    for row in still_open.filter(item_id__in=list(watches)):
        # Served before the watch (a title watched first and served later is no hit) and not too long before.
        first = next(
            (w for w in watches[row.item_id] if row.first_served_at < w <= min(now, row.last_served_at + window)),
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
    newest_first = Window(RowNumber(), partition_by=F("row_key"), order_by=[F("last_served_at").desc(), F("pk")])
    beyond = (
        ServedTitle.objects.filter(user_id=uuid.UUID(str(user_id)))
        .annotate(place=newest_first)
        .filter(
            Q(place__gt=settings.FEEDS_HIT_MAX_PER_ROW)
            | Q(last_served_at__lt=now - dt.timedelta(days=settings.FEEDS_HIT_KEEP_DAYS))
        )
    )
    deleted, _ = ServedTitle.objects.filter(pk__in=beyond.values("pk")).delete()
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
