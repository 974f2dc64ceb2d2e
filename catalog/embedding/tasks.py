"""Celery tasks of the embeddings queue: thin wrappers that own retry policy.

Reference: https://docs.celeryq.dev/en/stable/userguide/tasks.html#retrying
"""

from __future__ import annotations

import logging
import math
import random
from typing import Any

from celery import shared_task

from catalog.embedding.providers.base import ProviderError
from reclio import events
from reclio.locks import held, task_lock_seconds, task_owner
from reclio.queues import Queue

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
MAX_BACKOFF_SECONDS = 15 * 60
STALE_SWEEP_LOCK = "catalog.embeddings_refresh_stale"
# One sweep queues at most this many rows; the next sweep takes the next slice. Bounded so a provider
# outage or switch on a large catalog does not flood the queue.
STALE_SWEEP_LIMIT = 20_000


def embeddings_queue_backlog() -> int | None:
    """Messages waiting on the ``embeddings`` queue; None when the broker cannot say."""
    from celery import current_app
    from kombu.transport.redis import Channel as RedisChannel

    try:
        with current_app.connection_for_read() as connection:
            # The broker is Redis, where a queue is a list (a passive AMQP-style declare would fail
            # until a worker has declared the queue); any other transport cannot say.
            channel = connection.default_channel
            if not isinstance(channel, RedisChannel):
                return None
            return int(channel.client.llen(Queue.EMBEDDINGS.value))
    except Exception:  # noqa: BLE001 - unknown backlog: the bounded sweep still runs
        return None


def _backoff_seconds(retries: int, retry_after: float | None) -> float:
    # A usable Retry-After wins, capped; "inf"/"nan" is no advice (Celery cannot count down infinity).
    if retry_after is not None and math.isfinite(retry_after):
        return min(MAX_BACKOFF_SECONDS, max(0.0, retry_after))
    base = min(MAX_BACKOFF_SECONDS, 30 * 2**retries)
    return base * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography


@shared_task(
    bind=True,
    name="catalog.item_embeddings_refresh",
    queue=Queue.EMBEDDINGS.value,
    acks_late=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=20 * 60,
    time_limit=25 * 60,
)
def item_embeddings_refresh_task(self: Any, item_ids: list[str]) -> dict[str, Any]:
    """Embed the stale rows among these ids. Idempotent: current rows cost no provider call."""
    from catalog.embedding.services import item_embeddings_refresh

    try:
        report = item_embeddings_refresh(item_ids=item_ids)
    except ProviderError as exc:
        if exc.permanent:
            # Retrying cannot fix a bad key or a missing model; the health probe surfaces it.
            logger.error("embedding_task_failed_permanently rows=%s error=%s", len(item_ids), exc.message)
            return {"embedded": 0, "error": exc.message}
        raise self.retry(exc=exc, countdown=_backoff_seconds(self.request.retries, exc.retry_after)) from exc
    return {"embedded": report.embedded, "current": report.current, "raced": report.raced, "skipped": report.skipped}


@events.declared_task(
    events.CATALOG_EMBEDDINGS_REFRESH_STALE,
    soft_time_limit=300,
    time_limit=360,
)
def embeddings_refresh_stale_task() -> int:
    """Queue embedding of every stale row. Every 30 min (safety net); singleton via a cache lock."""
    from catalog.embedding.services import catalog_embeddings_enqueue_stale

    task = embeddings_refresh_stale_task
    with held(STALE_SWEEP_LOCK, owner=task_owner(task), ttl_seconds=task_lock_seconds(task)) as acquired:
        if not acquired:
            logger.info("embeddings_refresh_stale_skipped reason=locked")
            return 0
        backlog = embeddings_queue_backlog()
        if backlog:
            # Earlier batches are still queued: queueing the same rows again would only duplicate them.
            logger.info("embeddings_refresh_stale_skipped reason=backlog messages=%s", backlog)
            return 0
        return catalog_embeddings_enqueue_stale(limit=STALE_SWEEP_LIMIT)
