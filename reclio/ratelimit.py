"""One request budget per upstream, shared by every process and host that uses the same Redis.

TMDB allows about 40 requests per second per key (https://developer.themoviedb.org/docs/rate-limiting),
whatever number of workers Reclio runs. A per-process limiter multiplies the budget by the number of
processes (four sync workers at 35/s reached ~140/s), so the budget lives in Redis:

- the key ``ratelimit:<name>`` holds the start of the next free slot (microseconds, Redis clock);
- a caller reserves a slot with one atomic Lua script (the later of "now" and the next free slot,
  then moves the next free slot on by one interval) and sleeps until its slot starts.

This is the in-process ``reclio.http.RateLimiter`` (smooth spacing, no bursts) with its one shared
variable moved into Redis, and Redis's ``TIME`` as the clock, so hosts with skewed clocks still
share one budget. A reservation is one round trip; nobody polls.

If Redis cannot be reached, each process falls back to its own in-process limiter at the same rate
(the old behaviour: the upstream's 429 + ``Retry-After`` then paces us) and says so once per outage;
it tries Redis again after ``SHARED_RETRY_SECONDS``. On a cache that is not Redis (the tests' local
memory) the in-process limiter is the shared one: there is nothing to share it with.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from reclio import http

logger = logging.getLogger(__name__)

# After a Redis failure, the in-process limiter is used for this long before Redis is tried again
# (each try costs up to the cache's socket timeout).
SHARED_RETRY_SECONDS = 30.0

# KEYS[1] = the budget's key, ARGV[1] = the interval between two calls in microseconds.
# Returns the microseconds the caller must wait before its call. Numbers are written with %.0f:
# Lua would print a microsecond timestamp as 1.7e+15 and lose the precision that matters.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local wait = slot - now
redis.call('SET', KEYS[1], string.format('%.0f', slot + tonumber(ARGV[1])), 'PX', math.floor(wait / 1000) + 1000)
return wait
"""


def _redis_client() -> Any | None:
    # The cache's own redis-py client and pool (as reclio.locks does): no second connection setting.
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


class SharedRateLimiter(http.RateLimiter):
    """At most ``per_second`` calls per second under ``name``, across every process sharing Redis."""

    def __init__(self, name: str, *, per_second: float) -> None:
        super().__init__(per_second)
        self.name = name
        self.interval_us = round(1_000_000 / per_second) if per_second > 0 else 0
        self._local_until = 0.0  # monotonic time before which Redis is not tried again
        self._state = threading.Lock()

    def wait(self) -> None:
        if not self.interval_us:
            return
        if time.monotonic() >= self._local_until:
            client = _redis_client()
            if client is not None:
                try:
                    wait_us = int(
                        client.eval(
                            _RESERVE, 1, cache.make_and_validate_key(f"ratelimit:{self.name}"), self.interval_us
                        )
                    )
                except (RedisError, OSError) as exc:
                    self._shared_lost(exc)
                else:
                    self._shared_back()
                    if wait_us > 0:
                        http.sleep(wait_us / 1_000_000)
                    return
        super().wait()

    def _shared_lost(self, exc: Exception) -> None:
        with self._state:
            first = self._local_until == 0.0
            self._local_until = time.monotonic() + SHARED_RETRY_SECONDS
        if first:  # once per outage, not once per request
            logger.warning(
                "rate_limit_shared_unavailable name=%s error=%s fallback=per_process per_second=%.1f",
                self.name,
                type(exc).__name__,
                1_000_000 / self.interval_us,
            )

    def _shared_back(self) -> None:
        if self._local_until == 0.0:
            return
        with self._state:
            self._local_until = 0.0
        logger.info("rate_limit_shared_restored name=%s", self.name)
