"""Queue ``feeds.user_rows_refresh`` cheaply and at most once per window.

Called on the /feeds request path (a new ``last_watched`` anchor, a user without prepared rows) and
by the operator tools. A viewer's request goes through ``feed_refresh_request``: only a known,
connected viewer may cause background work, at most ``FEEDS_VIEWER_REFRESHES_PER_HOUR`` times an
hour (a random or disconnected ``user_id`` costs nothing). The sending itself is
``reclio.events.send_on_commit``, the same path users and recsys use: after commit, deduplicated
per (user, anchor) for ``FEEDS_REFRESH_LOCK_SECONDS``, silently skipped when Redis is down, never
raising for the broker.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from reclio.background import ProcessThread
from reclio.events import FEEDS_USER_ROWS_REFRESH, send_on_commit
from reclio.throttled_log import ThrottledLog
from users import selectors as users_selectors

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


VIEWER_BUDGET_SECONDS = 3600


def _budget_key(user_id: str) -> str:
    return f"feeds:viewer_refreshes:{user_id}"


def feed_refresh_request(*, user_id: str, last_watched: str | None, reason: str) -> bool:
    """A refresh asked for by a viewer's /feeds request; False when refused, deduplicated or Redis is down.

    Refused for an id that is not a connected viewer, and once the viewer spent this hour's budget:
    the addon URL can be shared or guessed at, and each refresh recomputes rows and may rewrite the
    viewer's Trakt lists. The budget counts queued refreshes only, so a deduplicated burst costs one.
    Never raises (the request path must not fail).
    """
    return bool(_requests_send({(user_id, last_watched): reason}))


def _requests_send(requests: dict[tuple[str, str | None], str]) -> int:
    """``feed_refresh_request`` for many (viewer, anchor) pairs: one Redis read of the budgets and one
    query for who is connected, then one send each. Returns how many were queued; never raises."""
    user_ids = {user_id for user_id, _ in requests}
    try:
        spent = cache.get_many([_budget_key(user_id) for user_id in user_ids])
        connected = users_selectors.users_connected(user_ids=user_ids)
    except Exception:  # cache or database trouble: refuse quietly, the requests were served
        logger.warning("feeds_refresh_request_failed viewers=%d", len(user_ids), exc_info=True)
        with contextlib.suppress(Exception):
            # On the background thread nothing else closes a broken connection: the next batch reconnects.
            connection.close()
        return 0
    queued = 0
    for (user_id, last_watched), reason in requests.items():
        key = _budget_key(user_id)
        if int(spent.get(key) or 0) >= settings.FEEDS_VIEWER_REFRESHES_PER_HOUR:
            logger.info("feeds_refresh_refused user_id=%s reason=viewer_budget_spent", user_id)
            continue
        if user_id not in connected:
            logger.info("feeds_refresh_refused user_id=%s reason=not_a_connected_viewer", user_id)
            continue
        try:
            if not feed_refresh_enqueue(user_id=user_id, last_watched=last_watched, reason=reason):
                continue
        except Exception:
            logger.warning("feeds_refresh_request_failed user_id=%s", user_id, exc_info=True)
            continue
        queued += 1
        spent[key] = int(spent.get(key) or 0) + 1  # a later anchor of the same viewer in this batch counts it
        try:
            # add-then-incr: the window starts at the first refresh of the hour (a fixed window, not
            # sliding; good enough to bound the queue). A race between the two costs one extra refresh.
            cache.add(key, 0, VIEWER_BUDGET_SECONDS)
            cache.incr(key)
        except Exception:  # noqa: BLE001 - e.g. the key expired in between (RedisCache.incr: ValueError)
            logger.info("feeds_refresh_budget_not_counted user_id=%s", user_id)
    return queued


# --- from the /feeds request thread ---------------------------------------------------------------

# Requests one process holds before it drops new ones (a runaway client; each costs a Redis read).
SOON_MAX_PENDING = 10_000
_soon: dict[tuple[str, str | None], str] = {}  # (user id, last_watched) -> reason, waiting to be sent
_soon_sent: dict[tuple[str, str | None], float] = {}  # sent lately -> monotonic time it may be sent again
_soon_lock = threading.Lock()
_soon_dropped = ThrottledLog(logger, "feeds_refresh_requests_dropped")


def feed_refresh_request_soon(*, user_id: str, last_watched: str | None, reason: str) -> None:
    """``feed_refresh_request`` from a background thread: the /feeds request neither waits for it (it
    reads the database and Redis) nor fails by it. The same (viewer, anchor) is sent once per
    ``FEEDS_REFRESH_LOCK_SECONDS`` from one process, the same window ``send_on_commit`` dedupes on."""
    key = (user_id, last_watched)
    with _soon_lock:
        if key in _soon or _soon_sent.get(key, 0.0) > time.monotonic():
            return
        if len(_soon) >= SOON_MAX_PENDING:
            _soon_dropped.failure("too_many_pending")
            return
        _soon[key] = reason
    # Sent within ``SOON_SECONDS``, together with the others of that time (one budget read, one query).
    refresh_requests_thread.soon()


def refresh_requests_send() -> int:
    """Send what ``feed_refresh_request_soon`` collected; returns how many were queued."""
    global _soon
    now = time.monotonic()
    with _soon_lock:
        batch, _soon = _soon, {}
        for key in [key for key, until in _soon_sent.items() if until <= now]:
            del _soon_sent[key]
        for key in batch:
            if len(_soon_sent) < SOON_MAX_PENDING:
                _soon_sent[key] = now + settings.FEEDS_REFRESH_LOCK_SECONDS
    _soon_dropped.recovered()
    return _requests_send(batch) if batch else 0


def refresh_requests_reset() -> None:
    """Forget pending and lately sent requests (tests)."""
    with _soon_lock:
        _soon.clear()
        _soon_sent.clear()


SOON_SECONDS = 0.5
refresh_requests_thread = ProcessThread("feeds-refresh-requests", refresh_requests_send, interval=SOON_SECONDS)
