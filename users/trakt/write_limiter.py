"""One Trakt write per second per account, across every worker process.

Reference: https://trakt.docs.apiary.io/#introduction/rate-limiting ("POST, PUT, DELETE: 1 call per
second"). Time is cut into slots of ``TRAKT_WRITE_INTERVAL_SECONDS``; a writer reserves the first
free slot that has not started yet with an atomic ``cache.add`` (Redis ``SET NX``) and sleeps until it
starts. Two writes of one account therefore start at least one interval apart whichever process
makes them, and no process ever busy-waits on the cache.

Slots alone are not enough: a writer that wakes late in its slot (a busy machine, a thread waiting
for the GIL) and a next writer that wakes on time are less than an interval apart, and Trakt answers
429 (bench/fanout.py measured about one per viewer with 48 threads). So the time each write was let
through is remembered per account too, and a write also waits until an interval after it.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from reclio import http

# A writer looks this many slots ahead before giving up (a queue of ~10 minutes of writes).
MAX_SLOTS_AHEAD = 600


class WriteSlotUnavailable(Exception):
    pass


def account_write_wait(*, account: str) -> float:
    """Block until this account may write; returns the seconds waited."""
    interval = settings.TRAKT_WRITE_INTERVAL_SECONDS
    if interval <= 0:
        return 0.0
    now = time.time()
    first = math.ceil(now / interval)
    timeout = int(interval * MAX_SLOTS_AHEAD) + 60
    for slot in range(first, first + MAX_SLOTS_AHEAD):
        # Keys outlive their slot so a late reader still sees it taken; they expire on their own.
        if cache.add(f"users:trakt_write:{account}:{slot}", 1, timeout=timeout):
            wait = max(0.0, slot * interval - now)
            if wait:
                http.sleep(wait)
            return wait + _after_last_write(account=account, interval=interval, timeout=timeout)
    raise WriteSlotUnavailable(f"no Trakt write slot free for {account!r} in the next {MAX_SLOTS_AHEAD} slots")


def _after_last_write(*, account: str, interval: float, timeout: int) -> float:
    """Wait until an interval after the account's previous write was let through; record this one."""
    key = f"users:trakt_write_last:{account}"
    last = cache.get(key)
    extra = 0.0
    if last is not None:
        extra = max(0.0, float(last) + interval - time.time())
        if extra:
            http.sleep(extra)
    cache.set(key, time.time(), timeout=timeout)
    return extra
