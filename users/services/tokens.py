"""Trakt OAuth tokens: store (encrypted), refresh with rotation, re-encrypt on key rotation."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from users.contracts import ConnectionState
from users.crypto import token_decrypt, token_encrypt, token_reencrypt
from users.models import User
from users.trakt import client
from users.trakt.client import TraktAuthError, TraktSession
from users.trakt.types import TokenSet

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Refresh before a call when the access token has less than this left (clock skew, long syncs).
ACCESS_TOKEN_MARGIN = dt.timedelta(minutes=10)
REFRESH_LOCK_SECONDS = 120


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


def user_token_refresh(*, user_id: uuid.UUID | str, expiring_within: dt.timedelta | None = None) -> bool:
    """Refresh the user's tokens; True when the user holds a usable token afterwards.

    ``expiring_within=None`` forces a refresh; otherwise a token valid longer than that is kept.
    Refresh tokens rotate: the new one replaces the old in the same row update. A cache lock keeps
    two processes from spending the same refresh token (the loser would see ``invalid_grant`` and
    wrongly mark the user for re-auth). 401/``invalid_grant`` → "needs re-auth", never retried.
    """
    lock = f"users:token_refresh:{user_id}"
    if not cache.add(lock, 1, timeout=REFRESH_LOCK_SECONDS):
        logger.info("trakt_token_refresh_busy user_id=%s", user_id)
        return False
    try:
        user = User.objects.filter(pk=user_id).first()
        if user is None or user.connection_state != ConnectionState.CONNECTED:
            return False
        now = timezone.now()
        if (
            expiring_within is not None
            and user.token_expires_at is not None
            and user.token_expires_at > now + expiring_within
        ):
            return True
        session = TraktSession()
        try:
            tokens = client.token_refresh(session, refresh_token=token_decrypt(user.refresh_token_encrypted))
        except TraktAuthError as exc:
            user_mark_needs_reauth(user_id=user.pk, detail=f"refresh refused: {exc}")
            return False
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            user_tokens_assign(user=locked, tokens=tokens)
            locked.save(
                update_fields=["access_token_encrypted", "refresh_token_encrypted", "token_expires_at", "updated_at"]
            )
        logger.info("trakt_token_refreshed user_id=%s expires_at=%s", user.pk, tokens.expires_at.isoformat())
        return True
    finally:
        cache.delete(lock)


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
            raise
        user.refresh_from_db()
        session = user_trakt_session(user=user)
        sessions.append(session)
        try:
            return work(session)
        except TraktAuthError as exc:
            user_mark_needs_reauth(user_id=user.pk, detail=f"access token refused after refresh: {exc}")
            raise


def user_tokens_reencrypt_all() -> int:
    """Re-encrypt every stored token with the newest key (after prepending a key). Idempotent."""
    changed = 0
    for user in User.objects.exclude(access_token_encrypted="", refresh_token_encrypted="").iterator():
        user.access_token_encrypted = token_reencrypt(user.access_token_encrypted)
        user.refresh_token_encrypted = token_reencrypt(user.refresh_token_encrypted)
        user.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "updated_at"])
        changed += 1
    return changed


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
