from __future__ import annotations

import logging

from celery import shared_task

from reclio.queues import Queue

logger = logging.getLogger(__name__)


@shared_task(name="catalog.content_sync", queue=Queue.SYNC.value)
def content_sync_task() -> None:
    """Sync the catalog from TMDB. Daily 03:00. (Replaced by the catalog feature.)"""
    logger.info("content_sync_skipped reason=not_configured_yet")
