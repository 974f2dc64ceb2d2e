"""One Trakt write per second per account, across every worker process.

Reference: https://trakt.docs.apiary.io/#introduction/rate-limiting ("POST, PUT, DELETE: 1 call per
second"). Time is cut into slots of ``TRAKT_WRITE_INTERVAL_SECONDS``; a writer reserves the first
free slot that has not started yet with an atomic ``cache.add`` (Redis ``SET NX``) and sleeps until it
starts. Two writes of one account therefore start at least one interval apart whichever process
makes them, and no process ever busy-waits on the cache.

Slots alone are not enough: Trakt counts when a request reaches it, not when we let it go. A write
that is slow on its way (a busy machine, a thread waiting for the GIL, a slow answer) and a next one
that goes on time at its slot arrive less than an interval apart, and Trakt answers 429
(bench/fanout.py measured more than one per viewer with 16 threads). So ``account_write_done``
records when each write's answer came back, and the next write of the account also waits until an
interval after that: Trakt handled the previous write before it answered, and handles the next after
it is sent, so they are an interval apart at Trakt too.
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
            return wait + _after_last_write(account=account, interval=interval)
    raise WriteSlotUnavailable(f"no Trakt write slot free for {account!r} in the next {MAX_SLOTS_AHEAD} slots")


def _after_last_write(*, account: str, interval: float) -> float:
    """Wait until an interval after the account's previous write was answered."""
    last = cache.get(_last_key(account))
    extra = max(0.0, float(last) + interval - time.time()) if last is not None else 0.0
    if extra:
        http.sleep(extra)
    return extra


def account_write_done(*, account: str) -> None:
    """The account's write was answered (or failed): its next write waits an interval from now."""
    interval = settings.TRAKT_WRITE_INTERVAL_SECONDS
    if interval > 0:
        cache.set(_last_key(account), time.time(), timeout=int(interval * MAX_SLOTS_AHEAD) + 60)


def _last_key(account: str) -> str:
    return f"users:trakt_write_last:{account}"
