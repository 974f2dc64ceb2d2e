"""Celery tasks of the users app: thin, by id, idempotent. Names are stable (beat rows store them)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from reclio import events
from reclio.enqueue import enqueue_each_on_commit
from reclio.http import UpstreamError, task_retry_countdown
from reclio.queues import Queue

logger = logging.getLogger(__name__)

SYNC_LOCK_SECONDS = 30 * 60


@events.declared_task(events.USERS_USER_SYNC_SWEEP)
def user_sync_sweep_task() -> int:
    """Queue a history sync for every user who is due (adaptive cadence). Hourly; idempotent."""
    from users.services import users_sync_due_enqueue

    if not cache.add("users:lock:user_sync_sweep", 1, timeout=50 * 60):
        return 0
    try:
        return len(users_sync_due_enqueue())
    finally:
        cache.delete("users:lock:user_sync_sweep")


@events.declared_task(events.USERS_TOKEN_REFRESH_SWEEP)
def token_refresh_sweep_task() -> int:
    """Queue a refresh for every token expiring within the window. Every 6 h; idempotent."""
    from users.services import users_token_refresh_due

    user_ids = users_token_refresh_due(within=dt.timedelta(hours=settings.TRAKT_TOKEN_REFRESH_WINDOW_HOURS))
    # One failed send must not drop the rest; a token left out is still expiring at the next sweep.
    return enqueue_each_on_commit(token_refresh_task.delay, user_ids, what="token_refresh")


@shared_task(bind=True, name="users.token_refresh", queue=Queue.SYNC.value, max_retries=5)
def token_refresh_task(self: Any, user_id: str) -> bool:
    """Refresh one user's Trakt tokens if they expire within the window. Revoked → needs re-auth."""
    from users.services import user_token_refresh

    try:
        return user_token_refresh(
            user_id=user_id, expiring_within=dt.timedelta(hours=settings.TRAKT_TOKEN_REFRESH_WINDOW_HOURS)
        )
    except UpstreamError as exc:
        if exc.permanent:  # bad client id/secret: retrying will not help; the probe and checks say so
            logger.warning("token_refresh_failed user_id=%s error=%s", user_id, exc)
            return False
        raise self.retry(
            exc=exc, countdown=task_retry_countdown(retries=self.request.retries, retry_after=exc.retry_after)
        ) from exc


@shared_task(bind=True, name="users.user_sync", queue=Queue.SYNC.value, max_retries=5)
def user_sync_task(self: Any, user_id: str, full: bool = False) -> dict[str, Any]:
    """Sync one user from Trakt (one request when nothing changed). Idempotent; one at a time per user."""
    from users.services import user_sync_failed_record, user_sync_run

    lock = f"users:lock:user_sync:{user_id}"
    if not cache.add(lock, 1, timeout=SYNC_LOCK_SECONDS):
        return {"user_id": user_id, "skipped_reason": "already running"}
    try:
        summary = user_sync_run(user_id=user_id, full=full)
    except UpstreamError as exc:
        user_sync_failed_record(user_id=user_id, error=str(exc))
        if exc.permanent:
            logger.warning("user_sync_failed user_id=%s error=%s", user_id, exc)
            return {"user_id": user_id, "error": str(exc)}
        countdown = task_retry_countdown(retries=self.request.retries, retry_after=exc.retry_after)
        raise self.retry(exc=exc, countdown=countdown) from exc
    finally:
        cache.delete(lock)
    return {"user_id": summary.user_id, "changed": summary.changed, "requests": summary.requests}
