"""Celery entry points of recsys (queue ``recsys``): thin — take ids, call one service, own retries."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

from celery import Task, shared_task
from django.db import OperationalError

from reclio import events
from reclio.http import UpstreamError
from reclio.locks import held, task_lock_seconds, task_owner
from reclio.queues import Queue
from recsys import services
from recsys.backends.base import RecommenderError

logger = logging.getLogger(__name__)
_P = ParamSpec("_P")
_R = TypeVar("_R")

# Lock names (reclio.locks spells the keys). Each lock's TTL is its task's hard limit plus a margin.
TRAIN_LOCK = "recsys.engine_train"
PUSH_LOCK = "recsys.recommender_push"

# Failures worth another try: the network, the broker, a database blip, a backend batch that failed.
# Errors marked permanent (bad credentials, a refused schema) are re-raised by ``_permanent_is_final``
# as a logged result instead, so they are not retried for nothing.
TRANSIENT_ERRORS = (OSError, OperationalError, UpstreamError, RecommenderError)


def _permanent_is_final(exc: Exception, *, task: str) -> str:
    if getattr(exc, "permanent", False):
        logger.warning("%s_failed_permanently error=%s", task, exc)
        return f"failed: {exc}"
    raise exc


def _scheduled_task(ref: events.TaskRef, *, time_limit: int) -> Callable[[Callable[_P, _R]], Task[_P, _R]]:
    """``@shared_task`` for a long job beat runs by name: the soft limit leaves it 5 minutes to release its lock."""
    return events.declared_task(ref, acks_late=True, soft_time_limit=time_limit - 5 * 60, time_limit=time_limit)


@_scheduled_task(events.RECSYS_ENGINE_TRAIN, time_limit=55 * 60)
def engine_train_task() -> dict:
    """Train the local engine (when the backend needs it), then rescore every user in chunks. Daily; singleton.

    A redelivery of this task (its worker died mid-training) takes its own lock over and trains.
    """
    task = engine_train_task
    with held(TRAIN_LOCK, owner=task_owner(task), ttl_seconds=task_lock_seconds(task)) as acquired:
        if not acquired:
            logger.info("engine_train_skipped reason=already_running")
            return {"skipped": True}
        summary = services.recommender_nightly_run()
        chunks = services.users_recommendations_refresh_enqueue(user_ids=summary.user_ids)
    return {
        "version": summary.version,
        "users": summary.users,
        "items": summary.items,
        "interactions": summary.interactions,
        "seconds": summary.seconds,
        "chunks": chunks,
    }


@shared_task(
    name="recsys.user_recommendations_refresh",
    queue=Queue.RECSYS.value,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
    # Scoring one viewer takes well under a second; the limit bounds the per-user lock below.
    soft_time_limit=8 * 60,
    time_limit=10 * 60,
)
def user_recommendations_refresh_task(*, user_id: str) -> int:
    """Score and store one user's picks. Idempotent (replaces the rows); one run per user at a time."""
    task = user_recommendations_refresh_task
    lock = f"recsys.user_recommendations_refresh:{user_id}"
    with held(lock, owner=task_owner(task), ttl_seconds=task_lock_seconds(task)) as acquired:
        if not acquired:
            return 0
        return services.user_recommendations_refresh(user_id=user_id)


@shared_task(name="recsys.users_recommendations_refresh", queue=Queue.RECSYS.value, acks_late=True)
def users_recommendations_refresh_task(*, user_ids: Sequence[str]) -> int:
    """Rescore a chunk of users (fan-out after training). Idempotent; a failing user does not stop the chunk."""
    stored = 0
    for user_id in user_ids:
        try:
            stored += services.user_recommendations_refresh(user_id=user_id, bulk=True)
        except Exception:  # one bad user must not block the others; it is logged
            logger.exception("user_recommendations_refresh_failed user_id=%s", user_id)
    return stored


def _event_task(event: events.Event) -> Callable[[Callable[_P, _R]], Task[_P, _R]]:
    """``@shared_task`` for an event a lower app sends by name: acked late, transient errors retried with backoff."""
    return events.declared_task(
        event,
        acks_late=True,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=True,
        max_retries=5,
    )


@_event_task(events.RECSYS_USER_INTERACTIONS_CHANGED)
def user_interactions_changed_task(*, user_id: str) -> str:
    """Sent by the users app (by name) after a sync stored new interactions. Idempotent."""
    try:
        return services.user_interactions_process(user_id=user_id)
    except (UpstreamError, RecommenderError) as exc:
        return _permanent_is_final(exc, task="user_interactions_changed")


@_event_task(events.RECSYS_CATALOG_CHANGED)
def catalog_changed_task(*, item_ids: Sequence[str]) -> int | str:
    """Sent by the catalog app (by name) after a content sync changed rows; pushes when the backend needs it."""
    try:
        return services.catalog_changed(item_ids=list(item_ids))
    except (UpstreamError, RecommenderError) as exc:
        return _permanent_is_final(exc, task="catalog_changed")


@_scheduled_task(events.RECSYS_RECOMMENDER_PUSH, time_limit=30 * 60)
def recommender_push_task() -> dict[str, int] | str:
    """Push what changed since the backend's cursors. Every 10 min; a no-op for the local engine; singleton."""
    task = recommender_push_task
    with held(PUSH_LOCK, owner=task_owner(task), ttl_seconds=task_lock_seconds(task)) as acquired:
        if not acquired:
            return "skipped: already running"
        try:
            return services.recommender_push_run()
        except (UpstreamError, RecommenderError) as exc:
            # The next run resumes from the cursors, which a failed batch did not advance.
            logger.warning("recommender_push_failed error=%s permanent=%s", exc, getattr(exc, "permanent", False))
            return f"failed: {exc}"
