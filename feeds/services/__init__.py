"""Feeds writes: composing and storing a user's ten rows, and enqueueing their refresh."""

from __future__ import annotations

from feeds.services.enqueue import (
    feed_refresh_enqueue,
    feed_refresh_enqueue_many,
    feed_refresh_request,
    feed_refresh_request_soon,
)
from feeds.services.refresh import user_feed_lists_apply, user_feed_rows_refresh

__all__ = [
    "feed_refresh_enqueue",
    "feed_refresh_enqueue_many",
    "feed_refresh_request",
    "feed_refresh_request_soon",
    "user_feed_lists_apply",
    "user_feed_rows_refresh",
]
