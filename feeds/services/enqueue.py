"""Queue ``feeds.user_rows_refresh`` cheaply and at most once per window.

Called on the /feeds request path (a new ``last_watched`` anchor, a user without prepared rows) and
by the operator tools. The sending itself is ``reclio.events.send_on_commit``, the same path users
and recsys use: after commit, deduplicated per (user, anchor) for ``FEEDS_REFRESH_LOCK_SECONDS``,
silently skipped when Redis is down, never raising for the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from reclio.events import FEEDS_USER_ROWS_REFRESH, send_on_commit

logger = logging.getLogger(__name__)


def feed_refresh_enqueue(*, user_id: str, last_watched: str | None = None, reason: str = "") -> bool:
    """Queue one refresh of the user's rows after commit; False when deduplicated or Redis is down."""
    queued = send_on_commit(FEEDS_USER_ROWS_REFRESH, user_id=user_id, last_watched=last_watched)
    if queued:
        logger.info("feeds_refresh_requested user_id=%s last_watched=%s reason=%s", user_id, last_watched, reason)
    return queued


def feed_refresh_enqueue_many(*, user_ids: Iterable[str], reason: str = "") -> int:
    """Queue a refresh for each user (admin action, management command); returns how many were queued."""
    return sum(feed_refresh_enqueue(user_id=str(user_id), reason=reason) for user_id in user_ids)
