"""Celery tasks of the users app: thin, by id, idempotent. Names are stable (beat rows store them)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from reclio import events
from reclio.enqueue import enqueue_each
from reclio.http import UpstreamError, task_max_retries, task_retry_countdown
from reclio.locks import held, task_lock_seconds, task_owner
from reclio.queues import Queue
from users.trakt.client import TraktAuthError

logger = logging.getLogger(__name__)


# The sweep only reads due ids and queues messages: minutes at most. The limit keeps its lock (which
# outlives the limit, reclio.locks) well inside the hour, so the next hourly sweep is never locked out.
@events.declared_task(events.USERS_USER_SYNC_SWEEP, bind=True, soft_time_limit=9 * 60, time_limit=10 * 60)
def user_sync_sweep_task(self: Any) -> int:
    """Queue a history sync for every user who is due (adaptive cadence). Hourly; idempotent; singleton."""
    from users.services import users_sync_due_enqueue

    with held("users.user_sync_sweep", owner=task_owner(self), ttl_seconds=task_lock_seconds(self)) as acquired:
        if not acquired:
            logger.info("user_sync_sweep_skipped reason=already_running")
            return 0
        return len(users_sync_due_enqueue())


@events.declared_task(events.USERS_TOKEN_REFRESH_SWEEP)
def token_refresh_sweep_task() -> int:
    """Queue a refresh for every token expiring within the window. Every 6 h; idempotent."""
    from users.services import users_token_refresh_due

    user_ids = users_token_refresh_due(within=dt.timedelta(hours=settings.TRAKT_TOKEN_REFRESH_WINDOW_HOURS))
    # One failed send must not drop the rest; a token left out is still expiring at the next sweep.
    enqueue_each(token_refresh_task.delay, user_ids, what="token_refresh")
    return len(user_ids)


@shared_task(bind=True, name="users.token_refresh", queue=Queue.SYNC.value, max_retries=5)
def token_refresh_task(self: Any, user_id: str) -> bool:
    """Refresh one user's Trakt tokens if they expire within the window. Revoked → needs re-auth."""
    from users.services import user_token_refresh

    try:
        return user_token_refresh(
            user_id=user_id,
            expiring_within=dt.timedelta(hours=settings.TRAKT_TOKEN_REFRESH_WINDOW_HOURS),
            owner=task_owner(self),
        )
    except UpstreamError as exc:
        if exc.permanent:  # bad client id/secret: retrying will not help; the probe and checks say so
            logger.warning("token_refresh_failed user_id=%s error=%s", user_id, exc)
            return False
        raise self.retry(
            exc=exc,
            countdown=task_retry_countdown(retries=self.request.retries, retry_after=exc.retry_after),
            max_retries=task_max_retries(exc=exc, default=self.max_retries),
        ) from exc


# A first full sync of a heavy viewer (every area, a catalog ensure from TMDB) is the slowest case.
@shared_task(
    bind=True,
    name="users.user_sync",
    queue=Queue.SYNC.value,
    max_retries=5,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
)
def user_sync_task(self: Any, user_id: str, full: bool = False) -> dict[str, Any]:
    """Sync one user from Trakt (one request when nothing changed). Idempotent; one at a time per user.

    A redelivery of this task (its worker died) takes its own lock over and syncs (reclio.locks).
    """
    from users.services import user_sync_failed_record, user_sync_run

    lock = f"users.user_sync:{user_id}"
    with held(lock, owner=task_owner(self), ttl_seconds=task_lock_seconds(self)) as acquired:
        if not acquired:
            return {"user_id": user_id, "skipped_reason": "already running"}
        try:
            summary = user_sync_run(user_id=user_id, full=full)
        except UpstreamError as exc:
            user_sync_failed_record(user_id=user_id, error=str(exc))
            if exc.permanent:
                logger.warning("user_sync_failed user_id=%s error=%s", user_id, exc)
                return {"user_id": user_id, "error": str(exc)}
            countdown = task_retry_countdown(retries=self.request.retries, retry_after=exc.retry_after)
            budget = task_max_retries(exc=exc, default=self.max_retries)
            raise self.retry(exc=exc, countdown=countdown, max_retries=budget) from exc
    return {"user_id": summary.user_id, "changed": summary.changed, "requests": summary.requests}


# Transient Trakt failures (5xx, timeouts) are retried with backoff (1, 2, 4, 8, 16, 32 min) and then
# left "error": the rows keep serving their TMDB fallback and the next refresh asks again.
LISTS_WRITE_MAX_RETRIES = 6
LISTS_WRITE_BUSY_RETRY_SECONDS = 30


@shared_task(
    bind=True,
    name="users.user_lists_write",
    queue=Queue.TRAKT_LISTS.value,
    max_retries=LISTS_WRITE_MAX_RETRIES,
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
)
def user_lists_write_task(self: Any, user_id: str) -> dict[str, Any]:
    """Write one viewer's managed Trakt lists as last requested (after each rows refresh). Idempotent, diff-based."""
    from users.services import user_lists_write
    from users.services.lists import WRITE_BUSY

    try:
        report = user_lists_write(user_id=user_id, owner=task_owner(self))
    except TraktAuthError as exc:  # refused even after a token refresh: the viewer is marked needs re-auth
        logger.warning("user_lists_write_failed user_id=%s error=%s", user_id, exc)
        return {"user_id": user_id, "error": str(exc)}
    except UpstreamError as exc:  # before any list (account limits): same policy as a list's failure
        if exc.permanent or self.request.retries >= self.max_retries:
            logger.warning("user_lists_write_failed user_id=%s error=%s", user_id, exc)
            return {"user_id": user_id, "error": str(exc)}
        countdown = task_retry_countdown(retries=self.request.retries, retry_after=exc.retry_after)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if report.skipped_reason == WRITE_BUSY:
        # The running write may predate this request; run once more after it (what is asked is stored).
        raise self.retry(countdown=LISTS_WRITE_BUSY_RETRY_SECONDS)
    if report.retryable:
        if self.request.retries >= self.max_retries:
            logger.warning("user_lists_write_gave_up user_id=%s retries=%s", user_id, self.request.retries)
        else:
            countdown = task_retry_countdown(retries=self.request.retries, retry_after=report.retry_after)
            raise self.retry(countdown=countdown)
    return {
        "user_id": user_id,
        "states": {result.key: result.state for result in report.lists},
        "writes": report.writes,
        "skipped_reason": report.skipped_reason,
    }
