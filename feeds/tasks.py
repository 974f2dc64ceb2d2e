from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from reclio import events
from reclio.locks import lock_acquire, lock_release, task_lock_seconds, task_owner

logger = logging.getLogger(__name__)

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
    The lock's owner is this task's id, so a redelivery (worker died) or a retry takes its own lock over.
    """
    from feeds.services import user_feed_rows_refresh

    events.event_pending_clear(events.FEEDS_USER_ROWS_REFRESH, user_id=user_id, last_watched=last_watched)
    lock, owner = f"feeds.user_rows_refresh:{user_id}", task_owner(self)
    try:
        acquired: bool | None = lock_acquire(lock, owner=owner, ttl_seconds=task_lock_seconds(self))
    except Exception:  # noqa: BLE001 - without Redis there is no lock; the refresh is idempotent anyway
        acquired = None
    if acquired is False:
        raise self.retry(countdown=BUSY_RETRY_SECONDS)
    try:
        user_feed_rows_refresh(user_id=user_id, last_watched=last_watched)
    finally:
        if acquired:
            try:
                lock_release(lock, owner=owner)
            except Exception:
                logger.warning("feeds_refresh_lock_release_failed user_id=%s", user_id, exc_info=True)


@events.declared_task(
    events.FEEDS_USER_LISTS_WRITTEN,
    soft_time_limit=60,
    time_limit=90,
    max_retries=5,
    # A run cut by its soft limit (a stalled database, a paused machine: bench/nightly.py saw one) is
    # retried too; otherwise the viewer's rows stay on their fallbacks until the next lists write.
    autoretry_for=(OperationalError, ConnectionError, TimeoutError, SoftTimeLimitExceeded),
    retry_backoff=30,
    retry_jitter=True,
)
def user_lists_written_task(user_id: str) -> bool:
    """The users app wrote a viewer's Trakt lists: serve each written list, or its fallback. Idempotent."""
    from feeds.services import user_feed_lists_apply

    return user_feed_lists_apply(user_id=user_id)
