"""Trakt OAuth tokens: store (encrypted), refresh with rotation, re-encrypt on key rotation."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from reclio.http import MAX_IN_PROCESS_WAIT_SECONDS, UpstreamError
from reclio.locks import held
from users.contracts import ConnectionState
from users.crypto import TokenDecryptionError, token_decrypt, token_encrypt, token_reencrypt
from users.models import User
from users.trakt import client
from users.trakt.client import TraktAuthError, TraktSession
from users.trakt.types import TokenSet

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Refresh before a call when the access token has less than this left (clock skew, long syncs).
ACCESS_TOKEN_MARGIN = dt.timedelta(minutes=10)
# A token set Trakt handed us is kept (encrypted) in the cache until the database holds it: a process
# killed, or a database that fails, between Trakt's answer and our commit must not lose the only
# valid refresh token. Long enough for the 6-hourly refresh sweep to come round again.
PENDING_TOKENS_SECONDS = 7 * 24 * 3600
# How often key rotation looks again at a viewer whose token lock a refresh holds.
ROTATION_POLL_SECONDS = 0.2


class TokenRefreshBusy(UpstreamError):
    """Another process is refreshing this viewer's tokens right now; try again shortly."""

    def __init__(self, user_id: uuid.UUID | str) -> None:
        super().__init__(f"a token refresh for viewer {user_id} is in progress", service="trakt", retry_after=30.0)


def token_lock_name(user_id: uuid.UUID | str) -> str:
    """The one lock per viewer over their stored tokens: refresh and key rotation both take it."""
    return f"users:trakt_tokens:{user_id}"


def token_lock_seconds() -> int:
    """The token lock's time-to-live: above the longest a refresh can take.

    Every attempt may run into the timeout and every retry may wait the longest in-process
    ``Retry-After`` (``reclio.http``): if the lock expired while a refresh still waited on a 429 storm,
    a second process would spend the same refresh token and one of the two would read
    ``invalid_grant``. One more minute covers the database write.
    """
    retries = settings.HTTP_MAX_RETRIES
    worst = (retries + 1) * settings.HTTP_TIMEOUT_SECONDS + retries * MAX_IN_PROCESS_WAIT_SECONDS
    return math.ceil(worst) + 60


def user_tokens_assign(*, user: User, tokens: TokenSet) -> None:
    """Put a token set on an unsaved/locked user row (encrypted). The caller saves."""
    user.access_token_encrypted = token_encrypt(tokens.access_token)
    user.refresh_token_encrypted = token_encrypt(tokens.refresh_token)
    user.token_expires_at = tokens.expires_at


def user_mark_needs_reauth(*, user_id: uuid.UUID | str, detail: str) -> None:
    User.objects.filter(pk=user_id).update(
        connection_state=ConnectionState.NEEDS_REAUTH,
        connection_detail=detail[:300],
        next_sync_at=None,
        updated_at=timezone.now(),
    )
    logger.warning("trakt_needs_reauth user_id=%s detail=%s", user_id, detail)


def user_token_refresh(
    *, user_id: uuid.UUID | str, expiring_within: dt.timedelta | None = None, owner: str | None = None
) -> bool:
    """Refresh the user's tokens; True when the user holds a usable token afterwards.

    ``expiring_within=None`` forces a refresh; otherwise a token valid longer than that is kept.
    Refresh tokens rotate (single use at Trakt): the per-viewer token lock keeps two processes from
    spending the same one, and from key rotation writing back a token a refresh just spent.
    ``owner`` is the lock owner (the task id: a redelivered refresh takes its own lock over).
    401/``invalid_grant`` → "needs re-auth", unless the database or the pending copy holds a newer
    token (see ``_refresh_locked``); a timeout or a 5xx raises ``UpstreamError`` and never does.
    Returns False at once when another process holds the lock (it is doing the refresh).
    """
    name = token_lock_name(user_id)
    with held(name, owner=owner or f"refresh-{uuid.uuid4()}", ttl_seconds=token_lock_seconds()) as acquired:
        if not acquired:
            logger.info("trakt_token_refresh_busy user_id=%s", user_id)
            return False
        return _refresh_locked(user_id=user_id, expiring_within=expiring_within)


def _refresh_locked(*, user_id: uuid.UUID | str, expiring_within: dt.timedelta | None) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None or user.connection_state != ConnectionState.CONNECTED:
        return False
    if _pending_tokens_recover(user=user):
        return True
    now = timezone.now()
    if (
        expiring_within is not None
        and user.token_expires_at is not None
        and user.token_expires_at > now + expiring_within
    ):
        return True
    sent = token_decrypt(user.refresh_token_encrypted)
    try:
        tokens = client.token_refresh(TraktSession(), refresh_token=sent)
    except TraktAuthError as exc:
        # The token we sent is spent or revoked. Spent by whom? If another process refreshed and
        # stored the answer (a lock lost with Redis, a reconnect), the viewer is fine.
        stored = User.objects.filter(pk=user_id).values_list("refresh_token_encrypted", "connection_state").first()
        if stored is not None and stored[1] == ConnectionState.CONNECTED and token_decrypt(stored[0]) != sent:
            logger.info("trakt_token_refresh_superseded user_id=%s", user_id)
            return True
        user_mark_needs_reauth(user_id=user_id, detail=f"refresh refused: {exc}")
        return False
    # Write-ahead: from Trakt's answer on, the old refresh token is spent and this set is the only
    # valid one. Keep it outside the database until the database holds it.
    _pending_tokens_put(user_id=user_id, spent=sent, tokens=tokens)
    _tokens_store(user_id=user_id, tokens=tokens)
    _pending_tokens_clear(user_id=user_id)
    logger.info("trakt_token_refreshed user_id=%s expires_at=%s", user_id, tokens.expires_at.isoformat())
    return True


def _tokens_store(*, user_id: uuid.UUID | str, tokens: TokenSet) -> None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user_id)
        user_tokens_assign(user=locked, tokens=tokens)
        locked.save(
            update_fields=["access_token_encrypted", "refresh_token_encrypted", "token_expires_at", "updated_at"]
        )


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pending_key(user_id: uuid.UUID | str) -> str:
    return f"users:trakt_tokens_pending:{user_id}"


def _pending_tokens_put(*, user_id: uuid.UUID | str, spent: str, tokens: TokenSet) -> None:
    value = {
        "spent": _token_digest(spent),  # which stored token this set replaces (a digest: no token in clear)
        "access": token_encrypt(tokens.access_token),
        "refresh": token_encrypt(tokens.refresh_token),
        "expires_at": tokens.expires_at.isoformat(),
    }
    try:
        cache.set(_pending_key(user_id), value, timeout=PENDING_TOKENS_SECONDS)
    except Exception:  # best effort: the database write below is what counts
        logger.warning("trakt_tokens_pending_unavailable user_id=%s", user_id, exc_info=True)


def _pending_tokens_clear(*, user_id: uuid.UUID | str) -> None:
    try:
        cache.delete(_pending_key(user_id))
    except Exception:  # a leftover copy is recognised as stale by its digest
        logger.warning("trakt_tokens_pending_clear_failed user_id=%s", user_id, exc_info=True)


def _pending_tokens_recover(*, user: User) -> bool:
    """Store a token set Trakt gave an earlier refresh that died before the database held it.

    Only when the database still holds the very refresh token that refresh spent: otherwise the copy
    is stale (stored since, or superseded by a reconnect) and is dropped.
    """
    try:
        value = cache.get(_pending_key(user.pk))
    except Exception:  # noqa: BLE001 - no cache, no copy: refresh normally
        return False
    if not isinstance(value, dict):
        return False
    try:
        stored_refresh = token_decrypt(user.refresh_token_encrypted)
        tokens = TokenSet(
            access_token=token_decrypt(value["access"]),
            refresh_token=token_decrypt(value["refresh"]),
            expires_at=dt.datetime.fromisoformat(value["expires_at"]),
        )
    except (KeyError, TypeError, ValueError, TokenDecryptionError):
        tokens = None
    if tokens is None or value.get("spent") != _token_digest(stored_refresh):
        _pending_tokens_clear(user_id=user.pk)
        return False
    _tokens_store(user_id=user.pk, tokens=tokens)
    _pending_tokens_clear(user_id=user.pk)
    logger.warning("trakt_tokens_recovered user_id=%s expires_at=%s", user.pk, tokens.expires_at.isoformat())
    return True


def users_token_refresh_due(*, within: dt.timedelta, now: dt.datetime | None = None) -> list[str]:
    """Connected users whose access token expires within ``within`` (or has no known expiry)."""
    now = now or timezone.now()
    rows = User.objects.filter(connection_state=ConnectionState.CONNECTED).exclude(refresh_token_encrypted="")
    due = rows.filter(token_expires_at__lte=now + within) | rows.filter(token_expires_at__isnull=True)
    return [str(pk) for pk in due.values_list("pk", flat=True)]


def user_trakt_session(*, user: User) -> TraktSession:
    """An authenticated session, refreshing first when the access token is about to expire."""
    if user.token_expires_at is None or user.token_expires_at <= timezone.now() + ACCESS_TOKEN_MARGIN:
        if user_token_refresh(user_id=user.pk, expiring_within=ACCESS_TOKEN_MARGIN):
            user.refresh_from_db()
    return TraktSession(
        access_token=token_decrypt(user.access_token_encrypted), account=user.trakt_slug or str(user.pk)
    )


def with_user_session(*, user: User, work: Callable[[TraktSession], T], sessions: list[TraktSession]) -> T:
    """Run ``work`` with a session; on a 401 refresh once and run it again (then give up).

    Every session used is appended to ``sessions`` so callers can count requests.
    """
    session = user_trakt_session(user=user)
    sessions.append(session)
    try:
        return work(session)
    except TraktAuthError:
        if not user_token_refresh(user_id=user.pk):
            user.refresh_from_db()
            if user.connection_state == ConnectionState.CONNECTED:
                # Another process holds the token lock: it is refreshing; the task tries again later.
                raise TokenRefreshBusy(user.pk) from None
            raise
        user.refresh_from_db()
        session = user_trakt_session(user=user)
        sessions.append(session)
        try:
            return work(session)
        except TraktAuthError as exc:
            user_mark_needs_reauth(user_id=user.pk, detail=f"access token refused after refresh: {exc}")
            raise


@dataclass(frozen=True)
class TokensReencrypted:
    reencrypted: int
    busy: tuple[str, ...]  # viewers whose token lock a refresh held until the deadline: run again


def user_tokens_reencrypt_all(*, wait_seconds: float | None = None) -> TokensReencrypted:
    """Re-encrypt every stored token with the newest key (after prepending a key). Idempotent.

    Each viewer's row is re-read and rewritten under their token lock: a refresh that stored a new
    token between an unlocked read and write would otherwise be overwritten with the spent one.
    A viewer whose lock is held is retried until ``wait_seconds`` (default: the lock's TTL) pass.
    """
    owner = f"rotate-{uuid.uuid4()}"
    ttl = token_lock_seconds()
    deadline = time.monotonic() + (ttl if wait_seconds is None else wait_seconds)
    pending = [
        str(pk)
        for pk in User.objects.exclude(access_token_encrypted="", refresh_token_encrypted="").values_list(
            "pk", flat=True
        )
    ]
    changed = 0
    while True:
        busy: list[str] = []
        for user_id in pending:
            with held(token_lock_name(user_id), owner=owner, ttl_seconds=ttl) as acquired:
                if not acquired:
                    busy.append(user_id)
                    continue
                changed += _tokens_reencrypt_one(user_id=user_id)
        pending = busy
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(ROTATION_POLL_SECONDS)
    if pending:
        logger.warning("trakt_tokens_reencrypt_incomplete busy=%d", len(pending))
    return TokensReencrypted(reencrypted=changed, busy=tuple(pending))


def _tokens_reencrypt_one(*, user_id: str) -> int:
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or not (user.access_token_encrypted or user.refresh_token_encrypted):
            return 0
        user.access_token_encrypted = token_reencrypt(user.access_token_encrypted)
        user.refresh_token_encrypted = token_reencrypt(user.refresh_token_encrypted)
        user.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "updated_at"])
    return 1


def user_disconnect(*, user_id: uuid.UUID | str) -> bool:
    """Forget the tokens (revoking them at Trakt, best effort) and stop syncing. History is kept."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    if user.access_token_encrypted:
        try:
            client.token_revoke(TraktSession(), access_token=token_decrypt(user.access_token_encrypted))
        except Exception as exc:  # noqa: BLE001 - we forget the tokens whatever Trakt says
            logger.info("trakt_revoke_failed user_id=%s error=%s", user.pk, type(exc).__name__)
    User.objects.filter(pk=user.pk).update(
        access_token_encrypted="",
        refresh_token_encrypted="",
        token_expires_at=None,
        connection_state=ConnectionState.DISCONNECTED,
        connection_detail="disconnected by an operator",
        next_sync_at=None,
        updated_at=timezone.now(),
    )
    return True
