"""Enqueue ``feeds.user_rows_refresh`` cheaply and at most once per window.

Called on the /feeds request path (a new ``last_watched`` anchor, a user without prepared rows),
so it must never raise and never block: a short ``cache.add`` lock makes a burst of identical
requests enqueue once, the send happens after commit, and a Redis outage skips the refresh silently
(the previous rows keep being served; the next request tries again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from reclio.queues import Queue

logger = logging.getLogger(__name__)

TASK_NAME = "feeds.user_rows_refresh"


def _lock_key(*, user_id: str, last_watched: str | None) -> str:
    return f"feeds:refresh-enqueued:{user_id}:{last_watched or '-'}"


def feed_refresh_enqueue(*, user_id: str, last_watched: str | None = None, reason: str = "") -> bool:
    """Queue one refresh of the user's rows after commit; False when deduplicated or Redis is down."""
    try:
        if not cache.add(_lock_key(user_id=user_id, last_watched=last_watched), 1, settings.FEEDS_REFRESH_LOCK_SECONDS):
            return False
    except Exception:  # noqa: BLE001 - Redis down: skip; the previous rows stay served
        logger.info("feeds_refresh_enqueue_skipped user_id=%s reason=cache_unavailable", user_id)
        return False
    transaction.on_commit(lambda: _send(user_id=user_id, last_watched=last_watched, reason=reason))
    return True


def feed_refresh_enqueue_many(*, user_ids: Iterable[str], reason: str = "") -> int:
    """Queue a refresh for each user (admin action, management command); returns how many were queued."""
    return sum(1 for user_id in user_ids if feed_refresh_enqueue(user_id=str(user_id), reason=reason))


def _send(*, user_id: str, last_watched: str | None, reason: str) -> None:
    from feeds.tasks import user_rows_refresh_task

    try:
        # retry=False: with the broker down, publishing must fail at once instead of holding a
        # /feeds request through kombu's publish retries.
        user_rows_refresh_task.apply_async(
            kwargs={"user_id": user_id, "last_watched": last_watched}, queue=Queue.TRAKT_LISTS.value, retry=False
        )
    except Exception:  # noqa: BLE001
        logger.warning("feeds_refresh_enqueue_failed user_id=%s reason=%s", user_id, reason, exc_info=True)
        return
    logger.info("feeds_refresh_enqueued user_id=%s last_watched=%s reason=%s", user_id, last_watched, reason)
