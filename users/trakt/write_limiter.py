"""One Trakt write per second per account, across every worker process.

Reference: https://trakt.docs.apiary.io/#introduction/rate-limiting ("POST, PUT, DELETE: 1 call per
second"). Time is cut into slots of ``TRAKT_WRITE_INTERVAL_SECONDS``; a writer reserves the first
free slot that has not started yet with an atomic ``cache.add`` (Redis ``SET NX``) and sleeps until it
starts. Two writes of one account therefore start at least one interval apart whichever process
makes them, and no process ever busy-waits on the cache.
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
    for slot in range(first, first + MAX_SLOTS_AHEAD):
        # Keys outlive their slot so a late reader still sees it taken; they expire on their own.
        if cache.add(f"users:trakt_write:{account}:{slot}", 1, timeout=int(interval * MAX_SLOTS_AHEAD) + 60):
            wait = max(0.0, slot * interval - now)
            if wait:
                http.sleep(wait)
            return wait
    raise WriteSlotUnavailable(f"no Trakt write slot free for {account!r} in the next {MAX_SLOTS_AHEAD} slots")
