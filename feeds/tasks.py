from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import OperationalError

from reclio import events

logger = logging.getLogger(__name__)

# One refresh per user at a time; longer than the task's hard limit so a killed task's lock expires.
RUNNING_LOCK_SECONDS = 15 * 60
BUSY_RETRY_SECONDS = 30


@events.declared_task(
    events.FEEDS_USER_ROWS_REFRESH,
    bind=True,
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
    max_retries=5,
    autoretry_for=(OperationalError, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_jitter=True,
)
def user_rows_refresh_task(self, user_id: str, last_watched: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Recompute a user's ten rows and ask for their Trakt lists. After each sync/training, or a new anchor.

    Idempotent (same inputs, same rows); never runs twice at once for one user: a second run waits.
    """
    from feeds.services import user_feed_rows_refresh

    events.event_pending_clear(events.FEEDS_USER_ROWS_REFRESH, user_id=user_id, last_watched=last_watched)
    lock = f"feeds:refresh-running:{user_id}"
    try:
        acquired = cache.add(lock, 1, RUNNING_LOCK_SECONDS)
    except Exception:  # noqa: BLE001 - without Redis there is no lock; the refresh is idempotent anyway
        acquired = None
    if acquired is False:
        raise self.retry(countdown=BUSY_RETRY_SECONDS)
    try:
        user_feed_rows_refresh(user_id=user_id, last_watched=last_watched)
    finally:
        if acquired:
            cache.delete(lock)


@events.declared_task(
    events.FEEDS_USER_LISTS_WRITTEN,
    soft_time_limit=60,
    time_limit=90,
    max_retries=5,
    autoretry_for=(OperationalError, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_jitter=True,
)
def user_lists_written_task(user_id: str) -> bool:
    """The users app wrote a viewer's Trakt lists: serve each written list, or its fallback. Idempotent."""
    from feeds.services import user_feed_lists_apply

    return user_feed_lists_apply(user_id=user_id)
