"""Every Celery task known outside the module that defines it, declared once, and the one way to send upward.

Two kinds of reference live here, and nowhere else spells a task name:

- ``TaskRef``: a task the beat schedule (reclio/settings/celery.py) runs by name. The owning
  ``@shared_task(name=REF.name, queue=REF.queue, ...)`` and the beat entry read the same declaration,
  so a rename cannot strand django-celery-beat rows or in-flight messages on a name nobody registers.
- ``Event``: a task a *lower* app asks a *higher* one to run (catalog → recsys, users → recsys,
  users/recsys → feeds). A lower app never imports a higher one, so it cannot call ``task.delay``;
  it calls ``send_on_commit(EVENT, **kwargs)`` instead, which publishes by name after commit.

This module is the lowest layer: it imports no app (docs/design/contracts.md, "Notifying a higher app").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from celery import current_app, shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from reclio.queues import BULK_PRIORITY, Queue
from reclio.throttled_log import ThrottledLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskRef:
    """A task by its stable name (beat rows and queued messages store it) and the queue it runs on."""

    name: str
    queue: str


@dataclass(frozen=True)
class Event(TaskRef):
    """A task a lower app sends to a higher one: its keyword arguments, and an optional de-duplication window.

    ``dedupe_seconds_setting`` names the Django setting holding the window (read at send time, so
    tests and deployments can change it): within it, a second send with the same arguments is dropped.
    """

    args: tuple[str, ...]
    dedupe_seconds_setting: str | None = None


# --- upward events (sent with send_on_commit) ----------------------------------------------------
RECSYS_CATALOG_CHANGED = Event("recsys.catalog_changed", Queue.RECSYS.value, args=("item_ids",))
RECSYS_USER_INTERACTIONS_CHANGED = Event("recsys.user_interactions_changed", Queue.RECSYS.value, args=("user_id",))
# Deduplicated: /feeds sends it on the request path for every new anchor, so a burst of identical
# requests must enqueue one refresh (the refresh reads the latest picks when it runs). Composing is
# fast (no Trakt writes: those are users.user_lists_write on trakt_lists), so it has its own queue.
FEEDS_USER_ROWS_REFRESH = Event(
    "feeds.user_rows_refresh",
    Queue.FEEDS.value,
    args=("user_id", "last_watched"),
    dedupe_seconds_setting="FEEDS_REFRESH_LOCK_SECONDS",
)
# The users app's list writer finished a run: feeds serves each written list, or its fallback.
FEEDS_USER_LISTS_WRITTEN = Event("feeds.user_lists_written", Queue.FEEDS.value, args=("user_id",))

# --- beat-scheduled tasks (reclio/settings/celery.py) --------------------------------------------
CATALOG_CONTENT_SYNC: TaskRef = TaskRef("catalog.content_sync", Queue.SYNC.value)
CATALOG_EMBEDDINGS_REFRESH_STALE: TaskRef = TaskRef("catalog.embeddings_refresh_stale", Queue.EMBEDDINGS.value)
USERS_USER_SYNC_SWEEP: TaskRef = TaskRef("users.user_sync_sweep", Queue.SYNC.value)
USERS_TOKEN_REFRESH_SWEEP: TaskRef = TaskRef("users.token_refresh_sweep", Queue.SYNC.value)
RECSYS_ENGINE_TRAIN: TaskRef = TaskRef("recsys.engine_train", Queue.RECSYS.value)
RECSYS_RECOMMENDER_PUSH: TaskRef = TaskRef("recsys.recommender_push", Queue.RECSYS.value)
ADMIN_TOOLS_HEALTH_CHECK: TaskRef = TaskRef("admin_tools.health_check", Queue.DEFAULT.value)


def declared_task(ref: TaskRef, /, **options: Any) -> Any:
    """The owning task's decorator: Celery's ``shared_task`` under the declared name and queue, so a
    sender and the task can never disagree on either. (Typed ``Any``: celery-types' overloads for
    ``bind=True`` cannot pass through a wrapper.)"""
    return shared_task(name=ref.name, queue=ref.queue, **options)


def send_on_commit(event: Event, /, *, bulk: bool = False, **kwargs: Any) -> bool:
    """Publish ``event`` with these keyword arguments once the current transaction commits.

    ``bulk``: one of a fan-out's sends for every viewer (the nightly rescoring's compose requests).
    It goes at ``BULK_PRIORITY``, behind every other message on the event's queue, and is
    de-duplicated apart from ordinary sends, so a pending bulk send never swallows an urgent one.

    Returns False when an identical send inside the event's de-duplication window already queued it,
    or when the cache cannot say (Redis down: skipped silently, because /feeds calls this on its
    request path and must not fail or wait; the next send tries again). Never raises for the cache
    or the broker; raises TypeError for arguments the event does not declare (a programming error).
    """
    if set(kwargs) != set(event.args):
        raise TypeError(f"{event.name} takes keyword arguments {list(event.args)}, got {sorted(kwargs)}")
    if event.dedupe_seconds_setting is not None and not _first_in_window(event, kwargs, bulk=bulk):
        return False
    transaction.on_commit(lambda: _publish(event, kwargs, bulk=bulk))
    return True


def event_pending_clear(event: Event, /, **kwargs: Any) -> None:
    """The owning task calls this when it starts: the de-duplication window covers a message that is
    still waiting, not one already running, so a change that arrives during the run (new picks while
    the rows are being composed) queues one more run instead of being dropped."""
    if event.dedupe_seconds_setting is None:
        return
    try:
        cache.delete_many([_dedupe_key(event, kwargs, bulk=False), _dedupe_key(event, kwargs, bulk=True)])
    except Exception:  # noqa: BLE001 - Redis down: the key expires by itself
        logger.info("event_pending_clear_skipped name=%s reason=cache_unavailable", event.name)


def _dedupe_key(event: Event, kwargs: dict[str, Any], *, bulk: bool) -> str:
    values = ("-" if kwargs[a] is None else str(kwargs[a]) for a in event.args)
    return "events:sent:" + ":".join([event.name, *values, *(["bulk"] if bulk else [])])


# Redis down: every /feeds request with a new hint would fail here. Count them, log once a minute.
_sends_skipped = ThrottledLog(logger, "event_sends_skipped_cache_unavailable")


def _first_in_window(event: Event, kwargs: dict[str, Any], *, bulk: bool) -> bool:
    try:
        window = getattr(settings, str(event.dedupe_seconds_setting))
        first = bool(cache.add(_dedupe_key(event, kwargs, bulk=bulk), 1, window))
    except Exception as exc:  # noqa: BLE001 - Redis down: skip; whatever the event would refresh stays as it is
        _sends_skipped.failure(f"{event.name} {type(exc).__name__}")
        return False
    _sends_skipped.recovered()
    return first


def _publish(event: Event, kwargs: dict[str, Any], *, bulk: bool) -> None:
    # retry=False: with the broker down, publishing fails at once instead of holding the caller (a
    # /feeds request, a commit hook) through kombu's publish retries. Each message is caught apart,
    # so one broker error does not drop the other sends of a fan-out.
    try:
        options: dict[str, Any] = {"priority": BULK_PRIORITY} if bulk else {}
        current_app.send_task(event.name, kwargs=kwargs, queue=event.queue, retry=False, **options)
    except Exception:
        logger.warning("event_send_failed name=%s %s", event.name, _described(kwargs), exc_info=True)
        event_pending_clear(event, **kwargs)  # nothing is pending: let the next send try again
        return
    logger.info("event_sent name=%s %s%s", event.name, _described(kwargs), " bulk" if bulk else "")


def _described(kwargs: dict[str, Any]) -> str:
    # Lists of ids (a catalog change can carry a thousand) are logged by count.
    return " ".join(
        f"{key}_count={len(value)}" if isinstance(value, list | tuple) else f"{key}={value}"
        for key, value in kwargs.items()
    )
