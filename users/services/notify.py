"""Telling higher apps that something changed: by Celery task name, after commit (contracts.md)."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

from reclio.queues import Queue

logger = logging.getLogger(__name__)

RECSYS_INTERACTIONS_CHANGED = "recsys.user_interactions_changed"
FEEDS_ROWS_REFRESH = "feeds.user_rows_refresh"


def send_task(name: str, *, kwargs: dict[str, Any], queue: str) -> None:
    """One indirection so tests can record what would be sent (send_task ignores eager mode)."""
    current_app.send_task(name, kwargs=kwargs, queue=queue)


def recsys_interactions_changed_notify(*, user_id: str) -> None:
    transaction.on_commit(
        lambda: send_task(RECSYS_INTERACTIONS_CHANGED, kwargs={"user_id": user_id}, queue=Queue.RECSYS.value)
    )


def feeds_rows_refresh_request(*, user_id: str) -> None:
    """Ask feeds to recompute the rows and rewrite the lists (feeds decides the titles, not us)."""
    transaction.on_commit(
        lambda: send_task(
            FEEDS_ROWS_REFRESH, kwargs={"user_id": user_id, "last_watched": None}, queue=Queue.TRAKT_LISTS.value
        )
    )
