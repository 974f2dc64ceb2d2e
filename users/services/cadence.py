"""Adaptive sync cadence: who is polled how often, and the /feeds hit counters that drive it.

Buckets (defaults; every interval is a setting, see docs/design/trakt.md):

| bucket   | who                                                                 | poll every |
|----------|---------------------------------------------------------------------|------------|
| heavy    | ≥ TRAKT_SYNC_HEAVY_FEED_HITS_PER_DAY /feeds hits a day, one in 24 h  | 1 h        |
| dormant  | no Trakt activity for TRAKT_SYNC_DORMANT_DAYS (and not heavy)         | 7 days     |
| regular  | a /feeds hit in the last 7 days                                      | 6 h        |
| quiet    | everyone else                                                         | 24 h       |

A poll is one cheap ``GET /sync/last_activities`` when nothing changed. The hourly sweep picks users
whose ``next_sync_at`` falls before the half-way point to the next sweep (``SWEEP_TOLERANCE``) and
moves ``next_sync_at`` forward from its own clock *before* queueing, so a quiet user is not re-queued
every hour even when a sync fails; the sync keeps that slot (``user_sync_reschedule``), so a heavy
viewer is polled by every sweep and a regular one by every sixth. A viewer whose sync message could
not be sent is due again at once (``reclio.enqueue``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils import timezone

from reclio.background import ProcessThread, at_process_exit
from reclio.enqueue import enqueue_each_on_commit
from reclio.throttled_log import ThrottledLog
from users.contracts import ConnectionState, SyncBucket
from users.models import User

logger = logging.getLogger(__name__)

REGULAR_WINDOW = dt.timedelta(days=7)
HEAVY_WINDOW = dt.timedelta(hours=24)
# Counters outlive a few missed sweeps; the last-hit timestamp outlives the regular window.
HIT_COUNTER_TTL = 7 * 24 * 3600
LAST_HIT_TTL = 8 * 24 * 3600
# The sweep runs hourly (reclio/settings/celery.py, "hourly-user-sync-sweep"). A viewer due before
# the next sweep's half-way point is synced by this one: the sweeps' own clocks drift by a few
# seconds or minutes (beat, a busy queue), and "due at 10:05:03" must not wait for 11:05 because
# this sweep's clock read 10:05:01. Rounding to the nearest sweep keeps each bucket's average period.
SWEEP_TOLERANCE = dt.timedelta(minutes=30)
# /feeds requests add to an in-process buffer; it goes to the cache in one pipeline at most this often.
HIT_BUFFER_SECONDS = 10.0
# Distinct viewers one buffer holds between writes; more are counted as dropped (a runaway client).
HIT_BUFFER_MAX_USERS = 50_000
# After a cache failure, this process drops (and counts) its hits for this long instead of retrying.
HIT_RECORDING_PAUSE_SECONDS = 60.0


def _hits_key(user_id: str) -> str:
    return f"users:feed_hits:{user_id}"


def _last_hit_key(user_id: str) -> str:
    return f"users:feed_hit_at:{user_id}"


class _HitBuffer:
    """/feeds hits counted in process memory and written to the cache in batches.

    Counting a hit costs a dict update under a lock; every ``HIT_BUFFER_SECONDS`` the request that
    finds the buffer due wakes a background thread (reclio/background.py) that writes it in one
    pipeline (one round trip for all the viewers of the period, instead of one per request, and none
    on a request thread). A cache failure drops that batch, pauses writing for
    ``HIT_RECORDING_PAUSE_SECONDS`` (so a frozen Redis costs one request its socket timeout per pause,
    not every request), and is logged once per minute with how many hits were dropped. The counts
    only steer the sync cadence: losing some is harmless, slowing /feeds is not. Hits still buffered
    when the process exits are written by an exit hook (``at_process_exit``: granian workers skip ``atexit``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, list[float]] = {}  # user id -> [count, last hit unix time]
        self._due = 0.0
        self._paused_until = 0.0
        self.dropped = ThrottledLog(logger, "feed_hits_dropped")

    def add(self, user_id: str, at: float) -> None:
        now = time.monotonic()
        with self._lock:
            entry = self._hits.get(user_id)
            if entry is not None:
                entry[0] += 1
                entry[1] = at
            elif len(self._hits) < HIT_BUFFER_MAX_USERS:
                self._hits[user_id] = [1, at]
            else:
                entry = None
                self.dropped.failure("buffer_full")
            due = now >= self._due
            if due:
                self._due = now + HIT_BUFFER_SECONDS
        if due:
            hits_thread.wake()

    def flush(self) -> int:
        """Write what is buffered; returns how many viewers' hits were written. Never raises."""
        with self._lock:
            batch, self._hits = self._hits, {}
        if not batch:
            return 0
        if time.monotonic() < self._paused_until:
            self.dropped.failure(f"paused hits={sum(int(c) for c, _ in batch.values())}")
            return 0
        try:
            _hits_write(batch)
        except Exception as exc:  # noqa: BLE001 - statistics must never break /feeds
            self._paused_until = time.monotonic() + HIT_RECORDING_PAUSE_SECONDS
            self.dropped.failure(f"{type(exc).__name__} hits={sum(int(c) for c, _ in batch.values())}")
            return 0
        self.dropped.recovered()
        return len(batch)

    def reset(self) -> None:
        with self._lock:
            self._hits, self._due, self._paused_until = {}, 0.0, 0.0


hit_buffer = _HitBuffer()
at_process_exit(hit_buffer.flush)


def _hits_flush_step() -> None:
    hit_buffer.flush()


# Woken when a period is due; the interval only writes the tail of a burst that no request follows.
hits_thread = ProcessThread("users-feed-hits", _hits_flush_step, interval=5 * HIT_BUFFER_SECONDS)


def user_feed_hit_record(*, user_id: uuid.UUID | str) -> None:
    """Count one /feeds request in process memory: no I/O on the request path, never raises.

    The buffer reaches the cache every ``HIT_BUFFER_SECONDS`` (``_HitBuffer``), where
    ``users_feed_hits_flush`` folds it into each user's statistics.
    """
    try:
        key = str(uuid.UUID(str(user_id)))
    except ValueError:
        return
    hit_buffer.add(key, time.time())


def _hits_write(batch: dict[str, list[float]]) -> None:
    """Create-if-missing and bump each hit counter, and stamp the last hit: what the flush reads."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # Django's RedisCache has no pipeline API, and add + incr + set through it cost four round
        # trips per viewer (its incr() checks EXISTS first). One MULTI/EXEC pipeline sends them all at
        # once: SET NX EX (= cache.add), INCRBY, SET EX, with Django's own key prefixing and value
        # serializer, so cache.get_many()/decr() in users_feed_hits_flush read them unchanged.
        # Reference: https://redis.io/docs/latest/develop/interact/transactions/ ,
        # https://redis-py.readthedocs.io/en/stable/advanced_features.html#pipelines
        client = backend._cache  # RedisCacheClient: the documented get_client() hook
        # RedisCacheClient.__init__ sets _serializer; django-stubs leave it out.
        serializer = client._serializer  # type: ignore[attr-defined]
        pipe = None
        for user_id, (count, at) in batch.items():
            full_hits = backend.make_and_validate_key(_hits_key(user_id))
            full_last = backend.make_and_validate_key(_last_hit_key(user_id))
            if pipe is None:
                pipe = client.get_client(full_hits, write=True).pipeline(transaction=True)
            pipe.set(full_hits, serializer.dumps(0), ex=HIT_COUNTER_TTL, nx=True)
            pipe.incrby(full_hits, int(count))
            pipe.set(full_last, serializer.dumps(at), ex=LAST_HIT_TTL)
        if pipe is not None:
            pipe.execute()
        return
    # Any other cache (locmem in tests, a custom backend): the plain API, same keys and values.
    for user_id, (count, at) in batch.items():
        backend.add(_hits_key(user_id), 0, timeout=HIT_COUNTER_TTL)
        backend.incr(_hits_key(user_id), int(count))
        backend.set(_last_hit_key(user_id), at, timeout=LAST_HIT_TTL)


def users_feed_hits_flush(*, now: dt.datetime | None = None) -> int:
    """Fold the cache counters into each user's decayed hits-per-day (24 h half-life). Returns users touched."""
    now = now or timezone.now()
    hit_buffer.flush()  # this process's own buffered hits first (tests; the worker's buffer is empty)
    users = list(
        User.objects.filter(connection_state=ConnectionState.CONNECTED).only(
            "pk",
            "feed_hits_total",
            "feed_hits_per_day",
            "last_feed_hit_at",
            "feed_hits_flushed_at",
            "sync_bucket",
            "next_sync_at",
            "last_history_sync",
            "last_trakt_activity_at",
        )
    )
    if not users:
        return 0
    ids = [str(user.pk) for user in users]
    try:
        counts = cache.get_many([_hits_key(i) for i in ids])
        last_hits = cache.get_many([_last_hit_key(i) for i in ids])
    except Exception as exc:  # noqa: BLE001 - cadence falls back to the stored statistics
        logger.warning("feed_hits_flush_cache_failed error=%s", type(exc).__name__)
        return 0
    touched = []
    for user, user_id in zip(users, ids, strict=True):
        hits = int(counts.get(_hits_key(user_id)) or 0)
        if hits:
            cache.decr(_hits_key(user_id), hits)  # atomic: hits arriving meanwhile stay counted
        elapsed_days = (now - user.feed_hits_flushed_at).total_seconds() / 86400 if user.feed_hits_flushed_at else 1.0
        decay = 0.5 ** max(0.0, elapsed_days)
        # EWMA with a one-day half-life: a steady r hits/day converges to r.
        user.feed_hits_per_day = user.feed_hits_per_day * decay + hits * math.log(2)
        user.feed_hits_total += hits
        last = last_hits.get(_last_hit_key(user_id))
        if last is not None:
            user.last_feed_hit_at = dt.datetime.fromtimestamp(float(last), tz=dt.UTC)
        user.feed_hits_flushed_at = now
        _pull_forward(user, now)
        touched.append(user)
    User.objects.bulk_update(
        touched,
        [
            "feed_hits_per_day",
            "feed_hits_total",
            "last_feed_hit_at",
            "feed_hits_flushed_at",
            "sync_bucket",
            "next_sync_at",
        ],
        batch_size=500,
    )
    return len(touched)


def _pull_forward(user: User, now: dt.datetime) -> None:
    """A user who just became busier (quiet → heavy) is due by the new bucket's interval, not the old one."""
    bucket = user_sync_bucket(user=user, now=now)
    if bucket == user.sync_bucket or user.next_sync_at is None:
        return
    since = user.last_history_sync or now
    sooner = since + bucket_interval(bucket)
    if sooner < user.next_sync_at:
        user.next_sync_at = sooner
        user.sync_bucket = bucket


def user_sync_bucket(*, user: User, now: dt.datetime) -> str:
    recent_hit = user.last_feed_hit_at is not None and user.last_feed_hit_at >= now - HEAVY_WINDOW
    if recent_hit and user.feed_hits_per_day >= settings.TRAKT_SYNC_HEAVY_FEED_HITS_PER_DAY:
        return SyncBucket.HEAVY
    dormant_since = now - dt.timedelta(days=settings.TRAKT_SYNC_DORMANT_DAYS)
    if user.last_trakt_activity_at is not None and user.last_trakt_activity_at < dormant_since:
        return SyncBucket.DORMANT
    if user.last_feed_hit_at is not None and user.last_feed_hit_at >= now - REGULAR_WINDOW:
        return SyncBucket.REGULAR
    return SyncBucket.QUIET


def bucket_interval(bucket: str) -> dt.timedelta:
    minutes: dict[str, int] = {
        SyncBucket.HEAVY: settings.TRAKT_SYNC_HEAVY_MINUTES,
        SyncBucket.REGULAR: settings.TRAKT_SYNC_REGULAR_MINUTES,
        SyncBucket.QUIET: settings.TRAKT_SYNC_QUIET_MINUTES,
        SyncBucket.DORMANT: settings.TRAKT_SYNC_DORMANT_MINUTES,
    }
    return dt.timedelta(minutes=minutes[bucket])


def user_sync_schedule_next(*, user: User, now: dt.datetime) -> None:
    """Set ``sync_bucket`` and ``next_sync_at`` on the instance (the caller saves)."""
    user.sync_bucket = user_sync_bucket(user=user, now=now)
    user.next_sync_at = now + bucket_interval(user.sync_bucket)


def user_sync_reschedule(*, user: User, now: dt.datetime) -> None:
    """After a sync (done or failed) at ``now``: re-bucket, and keep the slot the sweep already set.

    The sweep that queued this sync moved ``next_sync_at`` to *its* clock + the interval. Setting
    it again from the sync's own start (seconds or minutes later) would put the next poll just after
    the next sweep, which then skips the viewer: every period would run one sweep late (heavy every
    2 h, regular every 7 h). So a sooner slot that is still ahead stays; the sync only moves it
    closer, when what it learned makes the viewer busier. A sync nobody scheduled (first sync, admin)
    sets it from its own clock.
    """
    scheduled = user.next_sync_at
    user_sync_schedule_next(user=user, now=now)
    if scheduled is not None and now < scheduled < (user.next_sync_at or scheduled):
        user.next_sync_at = scheduled


def users_sync_due_enqueue(*, now: dt.datetime | None = None) -> list[str]:
    """The hourly sweep: refresh hit statistics, pick due users, advance their schedule, queue syncs.

    A viewer whose sync could not be queued (broker error) is made due again, so the next sweep
    picks them up instead of waiting a whole period (a week for a dormant viewer).
    """
    now = now or timezone.now()
    users_feed_hits_flush(now=now)
    with transaction.atomic():
        due = list(
            User.objects.select_for_update(skip_locked=True)
            .filter(connection_state=ConnectionState.CONNECTED)
            .exclude(next_sync_at__gt=now + SWEEP_TOLERANCE)
            .order_by("next_sync_at")
        )
        for user in due:
            user_sync_schedule_next(user=user, now=now)
        User.objects.bulk_update(due, ["sync_bucket", "next_sync_at"], batch_size=500)
        ids = [str(user.pk) for user in due]
        _sync_tasks_enqueue(user_ids=ids, full=False, on_failed=partial(_due_again, now=now))
    logger.info("user_sync_sweep due=%s", len(ids))
    return ids


def _due_again(user_ids: list[str], *, now: dt.datetime) -> None:
    User.objects.filter(pk__in=user_ids).update(next_sync_at=now)


def users_sync_enqueue(*, user_ids: list[str], full: bool = False) -> int:
    """Queue one sync task per user after commit (admin action, API, sweep)."""
    return _sync_tasks_enqueue(user_ids=user_ids, full=full)


def _sync_tasks_enqueue(
    *, user_ids: list[str], full: bool, on_failed: Callable[[list[str]], None] | None = None
) -> int:
    from users.tasks import user_sync_task

    return enqueue_each_on_commit(
        lambda user_id: user_sync_task.delay(user_id, full=full), user_ids, what="user_sync", on_failed=on_failed
    )
