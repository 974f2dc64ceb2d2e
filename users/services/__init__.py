"""Writes of the users app. Split by sub-domain; the public names are re-exported here.

| module   | what                                                                     |
|----------|--------------------------------------------------------------------------|
| connect  | OAuth redirect and device flows → ``user_connect``                        |
| tokens   | encrypted token storage, refresh with rotation, key rotation              |
| sync     | ``user_sync_run``: last_activities → history / ratings / watchlist        |
| interactions | storing what a sync fetched (views, states, pending titles)           |
| cadence  | /feeds hit counters, adaptive buckets, the hourly due-user sweep          |
| lists    | ``user_lists_request`` (feeds asks) and ``user_lists_write`` (the task writes) |
| signups  | ``SIGNUPS`` (open / invite / closed) and invite codes                      |
"""

from __future__ import annotations

from reclio.events import FEEDS_USER_ROWS_REFRESH, send_on_commit
from users.services.cadence import (
    user_feed_hit_record,
    users_feed_hits_flush,
    users_sync_due_enqueue,
    users_sync_enqueue,
)
from users.services.connect import (
    TraktConnectError,
    trakt_authorize_complete,
    trakt_authorize_start,
    trakt_configured,
    trakt_device_start,
    trakt_device_wait,
    user_connect,
)
from users.services.lists import user_lists_request, user_lists_write, user_lists_write_queue
from users.services.signups import SignupRefusedError, invites_revoke, signup_admit, signup_check
from users.services.sync import user_sync_failed_record, user_sync_run
from users.services.tokens import (
    user_disconnect,
    user_mark_needs_reauth,
    user_token_refresh,
    user_tokens_reencrypt_all,
    users_token_refresh_due,
)

__all__ = [
    "SignupRefusedError",
    "TraktConnectError",
    "invites_revoke",
    "signup_admit",
    "signup_check",
    "trakt_authorize_complete",
    "trakt_authorize_start",
    "trakt_configured",
    "trakt_device_start",
    "trakt_device_wait",
    "user_connect",
    "user_disconnect",
    "user_feed_hit_record",
    "user_lists_request",
    "user_lists_rewrite_request",
    "user_lists_write",
    "user_lists_write_queue",
    "user_mark_needs_reauth",
    "user_sync_failed_record",
    "user_sync_run",
    "user_token_refresh",
    "user_tokens_reencrypt_all",
    "users_feed_hits_flush",
    "users_sync_due_enqueue",
    "users_sync_enqueue",
    "users_token_refresh_due",
]


def user_lists_rewrite_request(*, user_ids: list[str]) -> int:
    """ "Rewrite lists now": feeds owns the rows, so ask it to rebuild and write them; returns how many were queued."""
    return sum(send_on_commit(FEEDS_USER_ROWS_REFRESH, user_id=user_id, last_watched=None) for user_id in user_ids)
