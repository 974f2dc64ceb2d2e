"""Feeds reads: the ChillLink manifest and the /feeds document.

``feed_document_for_user`` is the hot path Chillio calls, often. It costs one primary-key query
(the user's prepared document) and nothing else: no external HTTP, no model inference, no
recommender call. Anything that goes wrong — malformed parameters, an unknown user, missing tables,
a database or Redis outage, one corrupt row — degrades to fallback rows, never to an error.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection

from catalog import selectors as catalog_selectors
from feeds import documents, rows
from feeds.contracts import hint_parse
from feeds.dbguard import DatabaseGuard
from feeds.models import PreparedFeeds
from feeds.services import feed_refresh_request_soon
from reclio.background import ProcessThread
from reclio.throttled_log import ThrottledLog
from users import services as users_services

logger = logging.getLogger(__name__)

# One WARNING when /feeds starts answering without the database, then one a minute with a count.


def _database_probe() -> None:
    """After a trip, in the guard's probe thread: one ``SELECT 1`` on that thread's own connection
    (Django's are per thread), closed afterwards so a frozen server holds no request thread."""
    try:
        with connection.cursor() as cursor:
            database_guard.socket_known(_socket_of(connection))
            cursor.execute("SELECT 1")
    finally:
        with contextlib.suppress(Exception):
            connection.close()


database_guard = DatabaseGuard(
    wait_seconds=settings.FEEDS_DATABASE_WAIT_MS / 1000,
    retry_seconds=settings.FEEDS_DATABASE_RETRY_SECONDS,
    log=ThrottledLog(logger, "feeds_database_unavailable"),
    probe=_database_probe,
)
_served_copy = ThrottledLog(logger, "feeds_served_copy")
_served_default = ThrottledLog(logger, "feeds_served_default_without_database")

MANIFEST_ID = "reclio"
PROTOCOL_VERSION = "1.0.0"  # the ChillLink protocol version, not Reclio's
# Longest query value we look at; anything longer is ignored (a UUID is 36, a hint at most 15).
MAX_PARAM_LENGTH = 64
MAX_USERNAME_LENGTH = 100


def manifest() -> dict[str, Any]:
    return {
        "id": MANIFEST_ID,
        "version": PROTOCOL_VERSION,
        "name": "Reclio",
        "description": (
            "Personal rows from your Trakt history: picks for you, because you watched, trending, "
            "your top genre and hidden gems. This product uses the TMDB API but is not endorsed or "
            "certified by TMDB."
        ),
        "supported_endpoints": {"feeds": "/feeds", "streams": None},
    }


@lru_cache(maxsize=1)
def _default_feeds() -> tuple[dict[str, Any], ...]:
    return tuple(rows.default_feeds())


def feed_default_document() -> dict[str, Any]:
    """Ten fallback rows for a viewer we know nothing about; built once per process (copied per call)."""
    return {"feeds": [_feed_copy(feed) for feed in _default_feeds()]}


def _feed_copy(feed: dict[str, Any]) -> dict[str, Any]:
    # Two levels deep is the whole shape; copy.deepcopy costs ~20x more on this hot fallback path.
    return {**feed, "source_metadata": dict(feed["source_metadata"])}


@dataclass(frozen=True)
class FeedRequest:
    user_id: uuid.UUID | None
    username: str | None
    last_watched: str | None


def feed_request_parse(params: Any) -> FeedRequest:
    """Tolerant parsing of the /feeds query: anything malformed or oversized is ignored."""

    def value(name: str, limit: int = MAX_PARAM_LENGTH) -> str | None:
        try:
            raw = params.get(name)
        except Exception:  # noqa: BLE001 - e.g. too many fields: treat as absent
            return None
        if not isinstance(raw, str):
            return None
        raw = raw.strip()
        return raw if 0 < len(raw) <= limit else None

    user_id = None
    if (raw_user := value("user_id")) is not None:
        try:
            user_id = uuid.UUID(raw_user)
        except ValueError:
            user_id = None
    username = value("username", MAX_USERNAME_LENGTH)
    if username is not None and not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        username = None
    last_watched = value("last_watched")
    return FeedRequest(
        user_id=user_id,
        username=username.lower() if username else None,
        last_watched=last_watched if hint_parse(last_watched) else None,
    )


def feed_document_for_user(
    *, user_id: Any, last_watched: str | None = None, username: str | None = None
) -> dict[str, Any]:
    """The ChillLink document for one request, parsed (admin, tests); never raises. See ``feed_body``."""
    try:
        raw = {"user_id": user_id, "username": username, "last_watched": last_watched}
        request = feed_request_parse({name: str(value) for name, value in raw.items() if value is not None})
    except Exception:  # Chillio cannot show an error: serve fallbacks, log why
        logger.exception("feeds_default_served reason=unexpected_error")
        return feed_default_document()
    document: dict[str, Any] = json.loads(feed_body(request))
    return document


def feed_body(request: FeedRequest) -> bytes:
    """The /feeds response body for one request (contract: docs/design/contracts.md); never raises.

    The hot path: this process's copy of the viewer's ready-to-send bytes, with no I/O; for a viewer
    it does not hold yet, one primary-key read (no parsing, no serialising), or, when the database
    fails or is slow, the Redis copy (feeds/documents.py, feeds/dbguard.py). Side effects, handed to
    background threads so they cannot delay or fail the response, and only for a ``user_id`` (the
    credential in the addon URL): a new valid ``last_watched`` (or a connected viewer without
    prepared rows) asks for one deduplicated, per-viewer rate-limited refresh, and the users app
    records the hit. The ``username`` fallback (off unless ``FEEDS_USERNAME_FALLBACK``) only reads.
    """
    try:
        return _body(request)
    except Exception:  # Chillio cannot show an error: serve fallbacks, log why
        logger.exception("feeds_default_served reason=unexpected_error")
        return documents.DEFAULT_BODY


def _body(request: FeedRequest) -> bytes:
    if request.user_id is None and (request.username is None or not settings.FEEDS_USERNAME_FALLBACK):
        return documents.DEFAULT_BODY
    if request.user_id is not None:
        user_key: str | None = str(request.user_id)
    else:
        user_key = documents.local_copies.user_for(request.username or "")
    entry = documents.local_copies.entry(user_key) if user_key else None
    if entry is None and request.user_id is not None:
        # A viewer this process does not hold yet (it just started, or the viewer is new to it): the
        # Redis copy, one round trip, before the database, which a request thread may have to wait
        # for (a new connection to a frozen server cannot be cut short). Kept as "not confirmed", so
        # the background check reads the database at its next step.
        documents.copy_get(user_id=str(request.user_id))
        entry = documents.local_copies.entry(str(request.user_id))
    if entry is not None and user_key is not None:
        # The common case: this process holds the viewer's document. No I/O at all, so a database that
        # is slow, frozen or gone cannot delay the answer; the copy is checked in the background.
        copy, checked = entry
        if time.monotonic() - checked > RECHECK_SECONDS:
            _recheck_ask(user_key)
        return _served(request, user_key, copy)
    try:
        database_guard.check()
        with database_guard.reading():
            row = _prepared_row_read(request)
    except Exception as exc:  # noqa: BLE001 - database down, frozen, tables missing, …
        return _copy_body(request, error=exc)
    if row is None:
        if request.user_id is not None:
            # Rows are normally prepared after each recommender run; a viewer Chillio asks about before
            # that gets fallbacks now and personal rows on a later call. A random id queues nothing.
            feed_refresh_request_soon(user_id=str(request.user_id), last_watched=request.last_watched, reason="no_rows")
        return documents.DEFAULT_BODY
    user_key, body, last_hint, username = row
    _served_copy.recovered()
    _served_default.recovered()
    copy = documents.copy_remember(user_id=user_key, body=body, last_hint=last_hint, username=username)
    copies_thread.ensure_started()  # writes the Redis copy of what was just read
    return _served(request, user_key, copy)


def _served(request: FeedRequest, user_key: str, copy: documents.Copy) -> bytes:
    """Send ``copy``, after the request's cheap side effects (none for the username fallback)."""
    if request.user_id is None:
        # The username fallback: a Trakt username is public, so whoever knows it may at most read.
        return copy.body
    if request.last_watched and request.last_watched != copy.last_hint:
        feed_refresh_request_soon(user_id=user_key, last_watched=request.last_watched, reason="new_anchor")
        # The refresh stores the new hint with the new rows: until a check sees them, each request
        # with this hint asks for one (at most one read per viewer per background step).
        _recheck_ask(user_key)
    _hit_record(user_id=user_key)
    return copy.body


def _copy_body(request: FeedRequest, *, error: Exception) -> bytes:
    """The viewer's copy while the database is unavailable; the fallback rows when there is none."""
    user_key = str(request.user_id) if request.user_id is not None else None
    if user_key is None and request.username is not None:
        user_key = documents.local_copies.user_for(request.username)
    copy = documents.copy_get(user_id=user_key) if user_key else None
    if copy is None or user_key is None:
        _served_default.failure(type(error).__name__)
        return documents.DEFAULT_BODY
    _served_copy.failure(type(error).__name__)
    return _served(request, user_key, copy)


# --- checking the copies in the background --------------------------------------------------------

# A copy this old is checked against the database (in the background) when it is next served: a
# refresh stored by another process reaches this one's viewers within about this.
RECHECK_SECONDS = 30.0
RECHECK_BATCH = 500
_recheck_due: dict[str, None] = {}  # user ids, oldest first
_recheck_lock = threading.Lock()
_recheck_log = ThrottledLog(logger, "feeds_copy_check_failed")


def _recheck_ask(user_key: str) -> None:
    with _recheck_lock:
        if len(_recheck_due) < documents.local_copies.capacity:
            _recheck_due[user_key] = None
    copies_thread.ensure_started()


def copies_check_step() -> int:
    """One step of the feeds background thread: write pending copies to Redis, then check up to
    ``RECHECK_BATCH`` due copies against the database in one query. Returns how many were checked.

    A copy whose row is gone (viewer disconnected or deleted) is dropped; a changed row replaces it.
    When the database fails, the copies stay as they are and are asked for again by their next request.
    """
    documents.copies_flush()
    with _recheck_lock:
        batch = list(itertools.islice(_recheck_due, RECHECK_BATCH))
        for user_key in batch:
            del _recheck_due[user_key]
    if not batch:
        return 0
    try:
        found = _prepared_rows_read_many(batch)
    except Exception as exc:  # noqa: BLE001 - database down or frozen: the copies keep answering
        _recheck_log.failure(f"{type(exc).__name__}: {exc}".replace("\n", " ")[:200])
        with contextlib.suppress(Exception):
            connection.close()  # a broken connection is not reused; the next step connects anew
        return 0
    _recheck_log.recovered()
    for user_key in batch:
        if user_key in found:
            body, last_hint, username = found[user_key]
            documents.copy_remember(user_id=user_key, body=body, last_hint=last_hint, username=username)
        else:
            documents.copy_forget(user_id=user_key)
    return len(batch)


copies_thread = ProcessThread("feeds-copies", copies_check_step, interval=1.0)


def copies_check_reset() -> None:
    """Forget due checks (tests)."""
    with _recheck_lock:
        _recheck_due.clear()


def _hit_record(*, user_id: str) -> None:
    """Tell the users app Chillio asked for this user's feeds (adaptive sync); never costs the response."""
    try:
        users_services.user_feed_hit_record(user_id=user_id)
    except Exception:
        logger.warning("feed_hit_record_failed user_id=%s", user_id, exc_info=True)


@lru_cache(maxsize=2)
def _prepared_row_sql(column: str) -> str:
    table = connection.ops.quote_name(PreparedFeeds._meta.db_table)
    # A username can outlive a reconnect (a new user row, same Trakt account): the newest rows win.
    order = " ORDER BY computed_at DESC" if column == "trakt_username" else ""
    # ``feeds`` travels only for rows without a ready body (written before it existed, or by hand).
    return (
        f"SELECT user_id, body, CASE WHEN octet_length(body) = 0 THEN feeds END, last_hint, trakt_username "  # noqa: S608
        f"FROM {table} WHERE {column} = %s{order} LIMIT 1"
    )


def _prepared_row_read(request: FeedRequest) -> tuple[str, bytes, str, str] | None:
    """One indexed read of the user's prepared document: (user id, ready-to-send body, last hint, username).

    Raw SQL on purpose: this is the only query of the hottest endpoint, and compiling the equivalent
    queryset costs more CPU than the query itself (profiled: ~0.6 ms of ~2 ms per request).
    """
    column, value = (
        ("user_id", request.user_id) if request.user_id is not None else ("trakt_username", request.username)
    )
    if connection.connection is not None:
        # Skip Django's per-request ``SELECT 1`` (CONN_HEALTH_CHECKS) on this path only: a broken
        # connection fails this one read instead, which serves a copy, and Django closes it at the
        # end of the request. Elsewhere the check stays (docs/perf/feeds.md).
        connection.health_check_done = True  # type: ignore[attr-defined]  # set in BaseDatabaseWrapper.__init__
    with connection.cursor() as cursor:
        database_guard.socket_known(_socket_of(connection))
        cursor.execute(_prepared_row_sql(column), [value])
        row = cursor.fetchone()
    if row is None:
        return None
    user_key, body, stored, last_hint, username = row
    return str(user_key), _body_of(body, stored, user_key), last_hint or "", username or ""


def _prepared_rows_read_many(user_keys: list[str]) -> dict[str, tuple[bytes, str, str]]:
    """user id -> (ready-to-send body, last hint, username) of the users that have prepared rows."""
    table = connection.ops.quote_name(PreparedFeeds._meta.db_table)
    found: dict[str, tuple[bytes, str, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT user_id, body, CASE WHEN octet_length(body) = 0 THEN feeds END, last_hint, trakt_username "  # noqa: S608
            f"FROM {table} WHERE user_id = ANY(%s)",
            [[uuid.UUID(key) for key in user_keys]],
        )
        for user_key, body, stored, last_hint, username in cursor.fetchall():
            found[str(user_key)] = (_body_of(body, stored, user_key), last_hint or "", username or "")
    return found


def _body_of(body: Any, stored: Any, user_key: Any) -> bytes:
    body = bytes(body) if body else b""
    if not body:
        # Django's psycopg setup hands jsonb over as text; JSONField would json.loads it the same way.
        body = documents.document_body(json.loads(stored) if isinstance(stored, str) else stored, user_id=user_key)
    return body


def _socket_of(wrapper: Any) -> int | None:
    try:
        return int(wrapper.connection.fileno())
    except Exception:  # noqa: BLE001 - no socket to cut: the guard still sees the read as stuck
        return None


def prepared_feeds_get(*, user_id: str) -> PreparedFeeds | None:
    """The stored rows of one user with their explanation (admin, diagnostics)."""
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        return None
    return PreparedFeeds.objects.filter(user_id=key).first()


@dataclass(frozen=True)
class RowView:
    """One served row as a viewer would meet it in Chillio, for the admin (no upstream call)."""

    title: str
    source: str  # trakt_list / tmdb_query
    content_type: str
    blurb: str
    titles: tuple[tuple[str, str], ...]  # (title, where it came from) of the titles we chose, in order
    query: str  # a tmdb_query row's TMDB request; Chillio runs it and shows TMDB's answer


def feed_rows_view(*, prepared: PreparedFeeds, limit: int = 10) -> list[RowView]:
    """The served document of ``prepared``, row by row, with the first ``limit`` titles of our rows.

    Titles come from the catalog; a tmdb_query row shows its query, since its titles are TMDB's.
    """
    records = {record.get("feed_id"): record for record in prepared.rows or []}
    chosen = [item for record in records.values() for item in (record.get("items") or [])[:limit]]
    titles = {item_id: item.title for item_id, item in catalog_selectors.items_by_ids(item_ids=chosen).items()}
    views = []
    for feed in prepared.feeds or []:
        record = records.get(feed.get("id"), {})
        items = (record.get("items") or [])[:limit]
        origins = list(record.get("origins") or []) + [""] * len(items)
        metadata = feed.get("source_metadata") or {}
        query = ""
        if feed.get("source") == "tmdb_query":
            query = f"{metadata.get('path', '')}?{metadata.get('parameters', '')}".rstrip("?")
        views.append(
            RowView(
                title=str(feed.get("title", "")),
                source=str(feed.get("source", "")),
                content_type=str(feed.get("content_type", "")),
                blurb=str(feed.get("blurb", "")),
                titles=tuple((titles.get(item_id, item_id), origins[n]) for n, item_id in enumerate(items)),
                query=query,
            )
        )
    return views


def _rate(hits: int, served: int) -> float | None:
    return round(hits / served, 4) if served else None


def hit_rate_summary(*, days: int = 30, now: Any = None) -> dict[str, Any]:
    """Served → watched over the titles first served in the last ``days`` days: per row, top 10, by week.

    A title served in the last ``FEEDS_HIT_WINDOW_DAYS`` may still become a hit, so the newest week
    reads low until its window has passed.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Count, Q
    from django.db.models.functions import TruncWeek
    from django.utils import timezone

    from feeds.models import ServedTitle

    now = now or timezone.now()
    recent = ServedTitle.objects.filter(first_served_at__gte=now - timedelta(days=days))
    counts = {
        "served": Count("pk"),
        "hits": Count("pk", filter=Q(watched_at__isnull=False)),
        "served_top10": Count("pk", filter=Q(position__lte=10)),
        "hits_top10": Count("pk", filter=Q(position__lte=10, watched_at__isnull=False)),
    }

    def described(row: dict[str, Any]) -> dict[str, Any]:
        return {
            **row,
            "rate": _rate(row["hits"], row["served"]),
            "rate_top10": _rate(row["hits_top10"], row["served_top10"]),
        }

    per_row = [described(dict(row)) for row in recent.values("row_key").annotate(**counts).order_by("row_key")]
    total = described(recent.aggregate(**counts))
    weeks = [
        {"week": row["week"].date().isoformat(), **described({k: v for k, v in row.items() if k != "week"})}
        for row in recent.annotate(week=TruncWeek("first_served_at")).values("week").annotate(**counts).order_by("week")
    ]
    return {
        "window_days": settings.FEEDS_HIT_WINDOW_DAYS,
        "days": days,
        "total": total,
        "rows": per_row,
        "weeks": weeks,
    }


def feed_document_selftest() -> tuple[bool, str]:
    """Build /feeds for the viewer whose rows were prepared last, exactly as the endpoint reads them, but
    without the request's side effects (no hit recorded, no refresh queued): (ok, what happened)."""
    latest = PreparedFeeds.objects.order_by("-computed_at").values_list("user_id", flat=True).first()
    if latest is None:
        document = feed_default_document()
        ok = len(document["feeds"]) == 10
        return ok, "no viewer has prepared rows yet; the default document " + ("builds" if ok else "is invalid")
    row = _prepared_row_read(FeedRequest(user_id=latest, username=None, last_watched=None))
    if row is None:
        return False, f"rows of {latest} vanished while reading"
    feeds = json.loads(row[1]).get("feeds") or []  # the very bytes /feeds would send
    stored = PreparedFeeds.objects.filter(user_id=latest).values_list("feeds", flat=True).first()
    stored = stored if isinstance(stored, list) else []
    kept = sum(1 for index, feed in enumerate(feeds) if index < len(stored) and stored[index] == feed)
    return len(feeds) == 10 and kept == 10, f"viewer {latest}: {kept} of 10 stored rows served as stored"
