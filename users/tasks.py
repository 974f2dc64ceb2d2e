from __future__ import annotations

import logging

from celery import shared_task

from reclio.queues import Queue

logger = logging.getLogger(__name__)


@shared_task(name="users.user_sync_sweep", queue=Queue.SYNC.value)
def user_sync_sweep_task() -> None:
    """Queue a history sync for every user who is due. Hourly. (Replaced by the Trakt feature.)"""
    logger.info("user_sync_sweep_skipped reason=not_configured_yet")


@shared_task(name="users.token_refresh_sweep", queue=Queue.SYNC.value)
def token_refresh_sweep_task() -> None:
    """Refresh Trakt tokens that expire soon. Every 6 h. (Replaced by the Trakt feature.)"""
    logger.info("token_refresh_sweep_skipped reason=not_configured_yet")
