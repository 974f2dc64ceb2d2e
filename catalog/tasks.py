"""Catalog tasks: thin wrappers that call one service each (queue ``sync``)."""

from __future__ import annotations

import logging

from celery import shared_task

from reclio import events
from reclio.locks import task_owner
from reclio.queues import Queue

logger = logging.getLogger(__name__)


@events.declared_task(
    events.CATALOG_CONTENT_SYNC,
    acks_late=True,
    # The service records failures in ContentSyncRun and never raises for upstream trouble; a crash
    # here is a bug or an outage of our own database, which the next daily run retries.
    max_retries=0,
)
def content_sync_task(full: bool = False) -> dict:
    """Sync the catalog from TMDB. Daily 03:00 and on demand; idempotent, never overlaps (a lock whose
    owner is this task's id, so a redelivery after a killed worker takes it over and runs)."""
    from catalog.services import content_sync_run

    return content_sync_run(full=full, owner=task_owner(content_sync_task)).as_dict()


@shared_task(bind=True, name="catalog.item_refresh", queue=Queue.SYNC.value, acks_late=True, max_retries=3)
def item_refresh_task(self, item_id: str) -> dict:  # type: ignore[no-untyped-def]
    """Re-fetch one title from TMDB (admin "refresh from TMDB"). Idempotent; retried on TMDB trouble."""
    from catalog.services import catalog_items_refresh

    summary = catalog_items_refresh(item_ids=[item_id])
    if summary.failed or summary.status == "failed":
        logger.warning("item_refresh_failed item_id=%s detail=%s", item_id, summary.failures or summary.detail)
        if not self.request.called_directly and self.request.retries < self.max_retries:
            raise self.retry(countdown=60 * 2**self.request.retries)
    return summary.as_dict()
