"""The /feeds document as ready-to-send bytes, and its copies outside the database.

``document_body`` turns stored rows into the exact bytes /feeds sends (any corrupt or missing row
replaced by that position's fallback), once, when the rows are written; the hot path then sends them
without parsing or re-serialising.

Two copies keep a viewer's personal rows available when the database is not (issue 12):
- ``local_copies``: an in-process LRU of the bodies this web worker read from the database. It
  answers /feeds for the viewers it holds without any I/O, whatever the database is doing; each
  copy is checked against the database again in the background once it is ``RECHECK_SECONDS`` old
  (feeds/selectors.py), so a refresh stored by another process is served within about that;
- the Redis copy (``feeds:copy:<user_id>``), shared by every worker and host: written when rows are
  stored, and for rows this process read from the database that Redis may not hold yet (bodies
  written before the copy existed), in one batch every ``COPY_FLUSH_SECONDS`` from the background
  thread. It answers a viewer this process has not seen yet while the database is unavailable.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

from feeds import rows
from reclio.throttled_log import ThrottledLog

logger = logging.getLogger(__name__)

COPY_KEY_PREFIX = "feeds:copy:"
# Rows are rewritten at least nightly; a copy older than this is for a viewer long gone.
COPY_TTL_SECONDS = 30 * 24 * 3600
COPY_FLUSH_SECONDS = 2.0
# After a Redis failure, the hot path leaves Redis alone in this process for this long.
COPY_PAUSE_SECONDS = 10.0


def document_body(stored: Any, *, user_id: Any = None) -> bytes:
    """The /feeds response body for stored rows: ten valid rows, compact JSON, UTF-8."""
    defaults = rows.default_feeds()
    if not isinstance(stored, list):
        stored = []
    feeds: list[dict[str, Any]] = []
    ids: set[str] = set()
    for index, default in enumerate(defaults):
        feed = stored[index] if index < len(stored) else None
        if not rows.feed_is_valid(feed) or feed["id"] in ids:
            logger.warning("feeds_row_replaced user_id=%s row=%s", user_id, rows.ROW_KEYS[index])
            feed = default
        ids.add(feed["id"])
        feeds.append(feed)
    return json.dumps({"feeds": feeds}, separators=(",", ":"), ensure_ascii=False).encode()


# The default document, serialised once at import: serving it needs no code that could fail later.
DEFAULT_BODY = document_body(rows.default_feeds())


@dataclass(frozen=True)
class Copy:
    body: bytes
    last_hint: str


class LocalCopies:
    """A bounded, thread-safe LRU of ``user_id -> Copy`` (plus Trakt username -> user_id).

    Each copy carries when it was last known to match the database (``time.monotonic()``), so the
    reader can tell when to check it again; 0 means "check before long" (a copy taken from Redis).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._copies: OrderedDict[str, tuple[Copy, float]] = OrderedDict()
        self._usernames: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def entry(self, user_id: str) -> tuple[Copy, float] | None:
        """(copy, when it was last known to match the database), or None."""
        with self._lock:
            entry = self._copies.get(user_id)
            if entry is not None:
                self._copies.move_to_end(user_id)
            return entry

    def get(self, user_id: str) -> Copy | None:
        entry = self.entry(user_id)
        return entry[0] if entry is not None else None

    def user_for(self, username: str) -> str | None:
        return self._usernames.get(username)

    def put(self, user_id: str, copy: Copy, *, username: str | None = None, checked: float | None = None) -> bool:
        """Keep ``copy``; True when it differs from what was kept (new or changed rows)."""
        checked = time.monotonic() if checked is None else checked
        with self._lock:
            previous = self._copies.get(user_id)
            self._copies[user_id] = (copy, checked)
            self._copies.move_to_end(user_id)
            if len(self._copies) > self.capacity:
                self._copies.popitem(last=False)
            if username:
                self._usernames[username] = user_id
                if len(self._usernames) > self.capacity:
                    self._usernames.popitem(last=False)
        return previous is None or previous[0] != copy

    def drop(self, user_id: str) -> None:
        with self._lock:
            self._copies.pop(user_id, None)

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()
            self._usernames.clear()


local_copies = LocalCopies(settings.FEEDS_LOCAL_COPIES)
_redis_log = ThrottledLog(logger, "feeds_copy_redis_unavailable")
_pending: dict[str, Copy] = {}  # copies to write to Redis at the next flush
_pending_lock = threading.Lock()
_state = {"flush_due": 0.0, "paused_until": 0.0}


@dataclass(frozen=True)
class _CopiesCache:
    config: object  # the CACHES entry it was built from
    backend: BaseCache
    redis: Any  # the backend's redis-py client, when it is Redis; None otherwise (tests)


_shared_cache: _CopiesCache | None = None


def _copies_cache() -> _CopiesCache:
    """One cache backend and one redis-py client for the whole process, reused by every thread.

    Django's ``cache`` is per thread, each with its own connection pool; granian's request threads
    come and go (they end when idle), so the first Redis read of each new thread (a viewer this
    process does not hold) also opened a connection. And Django's Redis backend builds a new redis-py
    client for every call, which cost more CPU than the read itself (docs/perf/feeds.md). Rebuilt
    when the cache settings change (tests)."""
    global _shared_cache
    config = settings.CACHES[DEFAULT_CACHE_ALIAS]
    shared = _shared_cache
    if shared is None or shared.config is not config:
        backend = caches.create_connection(DEFAULT_CACHE_ALIAS)
        client = backend._cache.get_client(write=False) if isinstance(backend, RedisCache) else None
        shared = _shared_cache = _CopiesCache(config=config, backend=backend, redis=client)
    return shared


def _copy_read(user_id: str) -> Any:
    """The Redis copy as stored (None when there is none), read with the process's one client."""
    shared = _copies_cache()
    key = COPY_KEY_PREFIX + user_id
    if shared.redis is None:
        return shared.backend.get(key)
    assert isinstance(shared.backend, RedisCache)  # noqa: S101 - a client is only made for one
    # What RedisCache.get does, without building a client per call.
    raw = shared.redis.get(shared.backend.make_and_validate_key(key))
    return None if raw is None else shared.backend._cache._serializer.loads(raw)  # type: ignore[attr-defined]


def _redis_allowed() -> bool:
    return time.monotonic() >= _state["paused_until"]


def _redis_failed(reason: str) -> None:
    _state["paused_until"] = time.monotonic() + COPY_PAUSE_SECONDS
    _redis_log.failure(reason)


def copy_remember(*, user_id: str, body: bytes, last_hint: str, username: str | None = None) -> Copy:
    """Keep a body just read from the database; no I/O (the Redis copy is written by ``copies_flush``)."""
    copy = Copy(body=body, last_hint=last_hint)
    if local_copies.put(user_id, copy, username=username):
        with _pending_lock:
            if len(_pending) < local_copies.capacity:
                _pending[user_id] = copy
    return copy


def copies_flush() -> int:
    """Write the pending copies to Redis in one batch, at most every ``COPY_FLUSH_SECONDS``; returns
    how many were written. Never raises. Runs on the feeds background thread, not on a request."""
    if time.monotonic() < _state["flush_due"]:
        return 0
    _state["flush_due"] = time.monotonic() + COPY_FLUSH_SECONDS
    with _pending_lock:
        if not _pending:
            return 0
        batch = dict(_pending)
        _pending.clear()
    if not _redis_allowed():
        _redis_log.failure(f"paused dropped={len(batch)}")
        return 0
    try:
        _copies_cache().backend.set_many(
            {COPY_KEY_PREFIX + user_id: (copy.body, copy.last_hint) for user_id, copy in batch.items()},
            timeout=COPY_TTL_SECONDS,
        )
    except Exception as exc:  # noqa: BLE001 - a missing copy only matters during a database outage
        _redis_failed(f"{type(exc).__name__} dropped={len(batch)}")
        return 0
    _redis_log.recovered()
    return len(batch)


def copy_forget(*, user_id: str) -> None:
    """The viewer has no prepared rows any more (gone, or disconnected): drop both copies. Never raises."""
    local_copies.drop(user_id)
    with _pending_lock:
        _pending.pop(user_id, None)
    try:
        _copies_cache().backend.delete(COPY_KEY_PREFIX + user_id)
    except Exception as exc:  # noqa: BLE001 - the copy expires; until then it is only read in an outage
        _redis_failed(type(exc).__name__)


def copy_store(*, user_id: str) -> None:
    """Write one viewer's copy to Redis (and this process's), as their rows stand in the database now:
    called after a refresh or a lists update committed. Read again rather than handed the body, so
    two updates whose commit callbacks run out of order (the list writer can finish inside the
    refresh's own callbacks) leave the newer document. Never raises."""
    from feeds.models import PreparedFeeds  # the models load after the apps; this module loads before

    try:
        row = PreparedFeeds.objects.filter(user_id=user_id).values_list("body", "feeds", "last_hint").first()
    except Exception as exc:  # noqa: BLE001 - web processes write it when they next check their copy
        logger.warning("feeds_copy_store_failed user_id=%s error=%s", user_id, type(exc).__name__)
        return
    if row is None:
        copy_forget(user_id=user_id)
        return
    stored, feeds, last_hint = row
    body = bytes(stored) if stored else document_body(feeds, user_id=user_id)
    last_hint = last_hint or ""
    local_copies.put(user_id, Copy(body=body, last_hint=last_hint))
    try:
        _copies_cache().backend.set(COPY_KEY_PREFIX + user_id, (body, last_hint), timeout=COPY_TTL_SECONDS)
    except Exception as exc:  # noqa: BLE001 - web processes write it when they next check their copy
        logger.warning("feeds_copy_store_failed user_id=%s error=%s", user_id, type(exc).__name__)


def copy_get(*, user_id: str) -> Copy | None:
    """The second copy of a viewer's document, for when the database fails: this process's, else Redis's."""
    copy = local_copies.get(user_id)
    if copy is not None or not _redis_allowed():
        return copy
    try:
        stored = _copy_read(user_id)
    except Exception as exc:  # noqa: BLE001 - Redis down too: the caller serves the fallback rows
        _redis_failed(type(exc).__name__)
        return None
    if not (isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], bytes)):
        return None
    copy = Copy(body=stored[0], last_hint=str(stored[1]))
    local_copies.put(user_id, copy, checked=0.0)  # not known to match the database: checked when it answers
    return copy


def copies_reset() -> None:
    """Forget pending copies and any Redis pause (tests)."""
    with _pending_lock:
        _pending.clear()
    _state["flush_due"] = _state["paused_until"] = 0.0
