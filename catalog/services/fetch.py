"""Fetching from TMDB with bounded concurrency, and the fetch → upsert → notify core.

Threads, not asyncio: ``requests`` is what every vendor module uses, and a detail call is I/O-bound.
Each thread gets its own ``TmdbSession`` (a ``requests.Session`` is not thread-safe) and all share
one rate limiter, itself shared through Redis with every other process (``reclio.ratelimit``), so
``CATALOG_SYNC_CONCURRENCY`` and the number of workers hide latency while
``TMDB_MAX_REQUESTS_PER_SECOND`` alone bounds the rate TMDB sees.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from catalog.services.notify import catalog_changed_notify, items_reembed_enqueue
from catalog.services.upsert import UpsertResult, content_items_mark_gone, content_items_upsert
from catalog.tmdb import (
    TmdbNotFound,
    TmdbParseError,
    TmdbSession,
    TmdbTitle,
    tmdb_rate_limiter,
    tmdb_session_build,
    tmdb_title_fetch,
)
from reclio.http import RateLimiter, UpstreamError

logger = logging.getLogger(__name__)

Key = tuple[str, int]  # (media_type, tmdb_id)
T = TypeVar("T")
R = TypeVar("R")

# Keep the stored failure list readable; the counts are exact regardless.
MAX_FAILURES_KEPT = 100


class TmdbCredentialsRejected(Exception):
    """TMDB answered 401: every further call would fail the same way, so the run stops."""


class TmdbPool:
    """A thread pool whose threads each own a TmdbSession; all sessions share one rate limiter."""

    def __init__(self, *, concurrency: int | None = None, rate_limiter: RateLimiter | None = None) -> None:
        self.concurrency = concurrency or settings.CATALOG_SYNC_CONCURRENCY
        self.rate_limiter = rate_limiter or tmdb_rate_limiter()
        self._local = threading.local()
        self._sessions: list[TmdbSession] = []
        self._lock = threading.Lock()
        self.rejected = threading.Event()
        tmdb_session_build(rate_limiter=self.rate_limiter).close()  # fail fast when not configured

    def session(self) -> TmdbSession:
        session = getattr(self._local, "session", None)
        if session is None:
            session = tmdb_session_build(rate_limiter=self.rate_limiter)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(session.request_count for session in self._sessions)

    def map(self, fn: Callable[[TmdbSession, T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn(session, item)`` for every item, results in input order, at most ``concurrency`` at once."""
        items = list(items)
        if not items:
            return iter(())
        if self.concurrency == 1 or len(items) == 1:
            return (fn(self.session(), item) for item in items)
        executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="tmdb")

        def run(item: T) -> R:
            return fn(self.session(), item)

        def results() -> Iterator[R]:
            try:
                yield from executor.map(run, items)
            finally:
                executor.shutdown(wait=True, cancel_futures=True)

        return results()

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()


@dataclass(frozen=True)
class FetchOutcome:
    key: Key
    title: TmdbTitle | None = None
    gone: bool = False
    error: str = ""


def _fetch_one(pool: TmdbPool, session: TmdbSession, key: Key) -> FetchOutcome:
    if pool.rejected.is_set():
        return FetchOutcome(key, error="skipped: TMDB rejected the credentials")
    media_type, tmdb_id = key
    try:
        return FetchOutcome(key, title=tmdb_title_fetch(session, media_type=media_type, tmdb_id=tmdb_id))
    except TmdbNotFound:
        return FetchOutcome(key, gone=True)
    except TmdbParseError as exc:
        return FetchOutcome(key, error=f"malformed TMDB response: {exc}")
    except UpstreamError as exc:
        if exc.status == 401:
            pool.rejected.set()
        return FetchOutcome(key, error=str(exc))
    except Exception as exc:  # one bad title never sinks the run; it is reported
        logger.exception("tmdb_fetch_crashed key=%s_%s", media_type, tmdb_id)
        return FetchOutcome(key, error=f"{type(exc).__name__}: {exc}")


@dataclass
class TitlesSyncTally:
    fetched: int = 0
    gone_ids: list[str] = field(default_factory=list)
    gone_missing: int = 0  # 404 for a title we never had: nothing to mark
    failures: list[dict[str, str]] = field(default_factory=list)
    failed: int = 0
    failed_keys: list[Key] = field(default_factory=list)  # detail fetches that failed (retried next run)
    upserted: UpsertResult = field(default_factory=UpsertResult)
    reembed_queued: int = 0

    def failure(self, key: str, error: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append({"key": key, "error": error[:500]})

    @property
    def gone(self) -> int:
        return len(self.gone_ids) + self.gone_missing


def titles_sync(*, pool: TmdbPool, keys: Sequence[Key], tally: TitlesSyncTally | None = None) -> TitlesSyncTally:
    """Fetch details for ``keys`` and upsert them in batches as they arrive, then hand on the changes.

    Batches are committed as they fill, so a run killed halfway keeps what it finished (each row
    whole) and the next run continues from there.
    """
    tally = tally or TitlesSyncTally()
    batch_size = settings.CATALOG_UPSERT_BATCH_SIZE
    batch: list[TmdbTitle] = []
    gone_keys: list[str] = []

    def flush() -> None:
        if batch:
            result = content_items_upsert(titles=batch, confirmed_at=timezone.now())
            tally.upserted.merge(result)
            # A title the database refused is reported and fetched again by the next run (TMDB may
            # have corrected it by then); the rest of its batch has landed.
            keys = {title.item_id: (title.media_type, title.tmdb_id) for title in batch}
            for item_id, reason in result.refused:
                tally.failure(item_id, reason)
                tally.failed_keys.append(keys[item_id])
            batch.clear()

    # Worker threads only talk HTTP; this thread alone touches the database.
    for outcome in pool.map(lambda session, key: _fetch_one(pool, session, key), keys):
        item_id = f"{outcome.key[0]}_{outcome.key[1]}"
        if outcome.title is not None:
            tally.fetched += 1
            batch.append(outcome.title)
            if len(batch) >= batch_size:
                flush()
        elif outcome.gone:
            gone_keys.append(item_id)
        else:
            tally.failure(item_id, outcome.error)
            tally.failed_keys.append(outcome.key)
    flush()
    newly_gone = content_items_mark_gone(item_ids=gone_keys)
    tally.gone_ids.extend(newly_gone)
    tally.gone_missing += len(gone_keys) - len(newly_gone)
    if pool.rejected.is_set():
        raise TmdbCredentialsRejected("TMDB answered 401: check TMDB_API_KEY / TMDB_READ_ACCESS_TOKEN")
    return tally


def titles_changes_announce(*, tally: TitlesSyncTally, extra_changed: Sequence[str] = ()) -> None:
    tally.reembed_queued += items_reembed_enqueue(item_ids=tally.upserted.reembed)
    changed = [*tally.upserted.changed, *tally.gone_ids, *extra_changed]
    if changed:
        catalog_changed_notify(item_ids=changed)
