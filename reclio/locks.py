"""The one lock helper: a named lock whose owner is the task that holds it.

Every "one at a time" rule in Reclio (one sync per viewer, one training, one content sync…) is a
lock in Redis. A lock belongs to an *owner*, normally the Celery task id, so that:

- a redelivery of the same task (its worker was killed, the broker handed the message out again)
  finds its own lock and takes it over, instead of being dropped as "already running";
- a release only deletes the lock if it still belongs to the releaser (a slow run whose lock expired
  and was taken by another run must not free the other run's lock);
- the time-to-live is stated by the caller and must outlive the task's hard time limit, so a lock
  left behind by a dead process expires on its own.

Keys are spelled ``lock:<name>`` by this module only (in Redis ``reclio:1:lock:<name>``: Django's
cache prefix and version); names read ``<app>.<what>[:<id>]``. On Redis the take-over, the
compare-and-delete and the extend are single Lua scripts (atomic); on another cache backend (the unit
tests' local memory) the same rules apply with the cache API, without the atomicity nobody there needs.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# SET NX EX, or take over a lock we already own (refreshing its TTL). Returns 1 when held.
_ACQUIRE = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('expire', KEYS[1], ARGV[2]) return 1 end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""


def lock_key(name: str) -> str:
    """The cache key of a lock (without the cache's own prefix)."""
    return f"lock:{name}"


def _redis_client() -> Any | None:
    # Django's RedisCache keeps a redis-py client per server; reuse its pool (no second connection).
    # ``cache`` is a proxy: ask the backend it stands for (a type check on the proxy never matches).
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def _full_key(name: str) -> str:
    return cache.make_and_validate_key(lock_key(name))


def lock_acquire(name: str, *, owner: str, ttl_seconds: int) -> bool:
    """Take the lock ``name`` for ``owner`` for ``ttl_seconds``; True if it is now held by ``owner``.

    True also when ``owner`` already held it (a redelivered task taking its own lock over).
    """
    client = _redis_client()
    if client is not None:
        return bool(client.eval(_ACQUIRE, 1, _full_key(name), owner, int(ttl_seconds)))
    if cache.add(lock_key(name), owner, timeout=ttl_seconds):
        return True
    if cache.get(lock_key(name)) == owner:
        cache.touch(lock_key(name), timeout=ttl_seconds)
        return True
    return False


def lock_release(name: str, *, owner: str) -> bool:
    """Release ``name`` if ``owner`` still holds it; True if it was released by this call."""
    client = _redis_client()
    if client is not None:
        return bool(client.eval(_RELEASE, 1, _full_key(name), owner))
    if cache.get(lock_key(name)) == owner:
        cache.delete(lock_key(name))
        return True
    return False


def lock_extend(name: str, *, owner: str, ttl_seconds: int) -> bool:
    """Give a held lock another ``ttl_seconds`` (a long run that reports progress); False if lost."""
    client = _redis_client()
    if client is not None:
        return bool(client.eval(_EXTEND, 1, _full_key(name), owner, int(ttl_seconds)))
    if cache.get(lock_key(name)) == owner:
        return bool(cache.touch(lock_key(name), timeout=ttl_seconds))
    return False


def lock_owner(name: str) -> str | None:
    """Who holds ``name`` now (None when free). For diagnostics and the operations page."""
    client = _redis_client()
    if client is not None:
        value = client.get(_full_key(name))
        return value.decode() if isinstance(value, bytes) else value
    value = cache.get(lock_key(name))
    return None if value is None else str(value)


def task_owner(task: Any | None) -> str:
    """The owner id for a lock taken inside a Celery task: its task id, so a redelivery is the same owner.

    Called outside a worker (a management command, a direct call in a test) there is no task id and
    each call is its own owner.
    """
    request = getattr(task, "request", None)
    task_id = getattr(request, "id", None) if request is not None else None
    if task_id and not getattr(request, "called_directly", False):
        return str(task_id)
    return f"direct-{uuid.uuid4()}"


# What a lock outlives its task's hard time limit by: the finally-release of a task killed at its hard
# limit never runs, and the next run must not find the dead run's lock for longer than this.
LOCK_MARGIN_SECONDS = 60


def task_lock_seconds(task: Any) -> int:
    """A lock TTL for a lock held by ``task``: its hard time limit (or the global one) plus a margin.

    Read from the task itself so the TTL can never fall behind a time limit someone raised later.
    """
    from django.conf import settings

    limit = getattr(task, "time_limit", None) or settings.CELERY_TASK_TIME_LIMIT
    return int(limit) + LOCK_MARGIN_SECONDS


@contextlib.contextmanager
def held(name: str, *, owner: str, ttl_seconds: int) -> Iterator[bool]:
    """``with held(name, owner=..., ttl_seconds=...) as acquired:`` — released on exit if acquired.

    Yields False (and releases nothing) when someone else holds the lock; the caller decides whether
    that means skip, retry later or wait.
    """
    acquired = lock_acquire(name, owner=owner, ttl_seconds=ttl_seconds)
    try:
        yield acquired
    finally:
        if acquired:
            try:
                lock_release(name, owner=owner)
            except Exception:  # the TTL frees it; a failed release must not mask the task's own result
                logger.warning("lock_release_failed name=%s owner=%s", name, owner, exc_info=True)
