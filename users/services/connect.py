"""Connecting a viewer's Trakt account: the redirect flow and the device-code flow.

Reference: https://trakt.docs.apiary.io/#reference/authentication-oauth and
https://trakt.docs.apiary.io/#reference/authentication-devices. Both flows end in
``user_connect``: identify the account (/users/settings), store the tokens encrypted, queue the
first sync after commit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reclio import http
from reclio.enqueue import enqueue_each_on_commit
from reclio.exceptions import ApplicationError, ServiceUnavailableError
from reclio.http import UpstreamError
from users.contracts import ConnectionState
from users.models import User
from users.services.signups import SignupRefusedError, signup_admit
from users.services.tokens import user_tokens_assign
from users.trakt import client
from users.trakt.client import DevicePoll, TraktAuthError, TraktSession
from users.trakt.types import DeviceCode, TokenSet

logger = logging.getLogger(__name__)

# RFC 8628 §3.5: on "slow_down" the client adds 5 seconds to its polling interval.
SLOW_DOWN_STEP_SECONDS = 5


class TraktConnectError(ApplicationError):
    """The viewer did not end up connected (denied, expired code, refused code)."""


def trakt_configured() -> bool:
    return bool(settings.TRAKT_CLIENT_ID and settings.TRAKT_CLIENT_SECRET)


def _require_configured() -> None:
    if not trakt_configured():
        raise ServiceUnavailableError("Trakt is not configured: set TRAKT_CLIENT_ID and TRAKT_CLIENT_SECRET")


def user_connect(*, tokens: TokenSet, invite_code: str | None = None, by_operator: bool = False) -> User:
    """Identify the account behind ``tokens`` and store them; the same Trakt account → same User.

    A new account must be admitted by ``SIGNUPS`` (``signup_admit``, raises ``SignupRefusedError``)
    unless the operator connects it (the terminal device flow).
    """
    session = TraktSession(access_token=tokens.access_token)
    account = client.account_settings(session)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(trakt_slug=account.slug).first()
        if user is None:
            if not by_operator:
                signup_admit(invite_code=invite_code)
            user = User(trakt_slug=account.slug)
        user.trakt_username = account.username
        user.display_name = account.name or account.username
        user.timezone = account.timezone
        user.trakt_vip = account.vip
        user.list_limit = account.list_limit
        user.list_item_limit = account.list_item_limit
        user.limits_checked_at = timezone.now()
        user.connection_state = ConnectionState.CONNECTED
        user.connection_detail = ""
        user.next_sync_at = None
        user_tokens_assign(user=user, tokens=tokens)
        user.save()
        user_id = str(user.pk)

        from users.tasks import user_sync_task

        # The tokens are stored: a broker error now must not turn the connection into an error
        # page. next_sync_at is empty, so the next hourly sweep runs the first sync instead.
        enqueue_each_on_commit(user_sync_task.delay, [user_id], what="user_sync_first")
    logger.info("trakt_connected user_id=%s trakt=%s", user.pk, account.slug)
    return user


# --- Redirect flow ---------------------------------------------------------------------------


def trakt_authorize_start() -> tuple[str, str]:
    """The Trakt authorize URL and the ``state`` the caller must keep (session) and check later."""
    _require_configured()
    state = secrets.token_urlsafe(24)
    return client.authorize_url(state=state), state


def trakt_authorize_complete(*, code: str, invite_code: str | None = None) -> User:
    """Finish the browser flow; ``invite_code`` is the one the flow was started with (``SIGNUPS=invite``)."""
    _require_configured()
    try:
        tokens = client.token_exchange_code(TraktSession(), code=code)
    except TraktAuthError as exc:
        raise TraktConnectError("Trakt did not accept this authorization code; please connect again.") from exc
    try:
        return user_connect(tokens=tokens, invite_code=invite_code)
    except SignupRefusedError:
        # Nothing was stored: hand the token back, so no usable grant for this server is left behind.
        try:
            client.token_revoke(TraktSession(), access_token=tokens.access_token)
        except Exception as exc:  # noqa: BLE001 - best effort; the person is refused either way
            logger.info("trakt_revoke_failed reason=signup_refused error=%s", type(exc).__name__)
        raise


# --- Device flow (headless servers) ------------------------------------------------------------


def trakt_device_start() -> DeviceCode:
    _require_configured()
    return client.device_code_request(TraktSession())


_DEVICE_FAILURES = {
    DevicePoll.INVALID: "Trakt does not know this device code.",
    DevicePoll.ALREADY_USED: "This device code was already used; start again.",
    DevicePoll.EXPIRED: "The code expired before it was entered; start again.",
    DevicePoll.DENIED: "The connection was denied on Trakt.",
}


def trakt_device_wait(*, device: DeviceCode, on_poll: Callable[[DevicePoll], None] | None = None) -> User:
    """Poll politely (every ``interval`` s, slower when told) until approved, denied or expired.

    The operator runs this flow (``connect_trakt``), so ``SIGNUPS`` does not apply to it."""
    session = TraktSession(max_retries=0)  # 429 here means "slow down", not "retry now"
    interval = device.interval
    waited = 0
    while waited < device.expires_in:
        http.sleep(interval)
        waited += interval
        try:
            result = client.device_token_poll(session, device_code=device.device_code)
        except UpstreamError as exc:
            if exc.permanent:
                raise TraktConnectError(f"Trakt refused the device poll: {exc}") from exc
            logger.info("trakt_device_poll_transient error=%s", exc)  # 5xx/timeouts: keep polling
            continue
        if on_poll is not None:
            on_poll(result.outcome)
        if result.outcome is DevicePoll.APPROVED and result.tokens is not None:
            return user_connect(tokens=result.tokens, by_operator=True)
        if result.outcome is DevicePoll.SLOW_DOWN:
            interval += SLOW_DOWN_STEP_SECONDS
        elif result.outcome in _DEVICE_FAILURES:
            raise TraktConnectError(_DEVICE_FAILURES[result.outcome])
    raise TraktConnectError(_DEVICE_FAILURES[DevicePoll.EXPIRED])
