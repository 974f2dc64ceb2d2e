"""Whether Recombee answered lately, shared by every process through the cache.

``RecombeeBackend.available`` must be cheap (callers ask it before every row they build), so it
reads this instead of calling Recombee each time. Real calls and the diagnosis keep it fresh; when
nothing is known a single short ping decides. Cache errors count as "unknown", never as a crash.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

CACHE_KEY = "recsys:recombee:reachable"
# A success is trusted for 5 minutes; a failure is re-checked after 1 (so a blip heals quickly).
OK_TTL_SECONDS = 300
FAILED_TTL_SECONDS = 60


def recombee_reachability_get() -> bool | None:
    try:
        value = cache.get(CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage means "unknown"
        return None
    if value is None:
        return None
    return bool(value.get("ok"))


def recombee_reachability_record(*, ok: bool, reason: str = "") -> None:
    previous = recombee_reachability_get()
    try:
        cache.set(
            CACHE_KEY,
            {"ok": ok, "at": time.time(), "reason": reason[:200]},
            OK_TTL_SECONDS if ok else FAILED_TTL_SECONDS,
        )
    except Exception:  # noqa: BLE001
        return
    if previous is not False and not ok:
        logger.warning("recombee_unreachable reason=%s", reason[:200])
    elif previous is False and ok:
        logger.info("recombee_reachable_again")
