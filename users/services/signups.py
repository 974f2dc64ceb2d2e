"""Who may become a new viewer: ``SIGNUPS`` (open | invite | closed) and invite codes.

Only the browser flow (/connect/trakt) is gated: the terminal device flow (``connect_trakt``) is
run by the operator. A Trakt account we already know reconnects in every mode (tokens expire and
are revoked; a viewer must be able to come back). A code is checked twice: when the flow starts,
so a bad code is refused before the person visits Trakt, and again, locked, when the new viewer is
stored, where the use is counted in the same transaction (two people racing for a single-use code:
one wins).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from rest_framework import status

from reclio.exceptions import ApplicationError
from reclio.settings.trakt import Signups
from users.models import InviteCode

logger = logging.getLogger(__name__)

MAX_INVITE_LENGTH = 64


class SignupRefusedError(ApplicationError):
    """A new viewer may not connect here (closed, no invite, or a code that admits nobody)."""

    status_code = status.HTTP_403_FORBIDDEN


def _invite_find(code: str, *, lock: bool = False) -> InviteCode | None:
    code = code.strip()
    # An oversized or odd code (NUL, non-ASCII) is just an unknown code, never a lookup error.
    if not code or len(code) > MAX_INVITE_LENGTH or not (code.isascii() and code.isprintable()):
        return None
    invites = InviteCode.objects.select_for_update() if lock else InviteCode.objects
    return invites.filter(code=code).first()


def signup_check(*, invite_code: str | None) -> None:
    """Refuse early a code that cannot admit anyone (the flow start); no code is not refused here,
    since a known viewer reconnects without one. Raises ``SignupRefusedError``."""
    if settings.SIGNUPS is not Signups.INVITE or not invite_code:
        return
    _refuse_unless_usable(_invite_find(invite_code))


def signup_admit(*, invite_code: str | None) -> InviteCode | None:
    """Admit one new viewer, counting the invite's use; call inside the transaction that stores them.

    Raises ``SignupRefusedError`` when ``SIGNUPS`` does not let this person in.
    """
    if settings.SIGNUPS is Signups.OPEN:
        return None
    if settings.SIGNUPS is Signups.CLOSED:
        raise SignupRefusedError("This Reclio server is not taking new viewers.")
    if not invite_code:
        raise SignupRefusedError("This Reclio server takes new viewers by invite: ask its operator for an invite link.")
    invite = _refuse_unless_usable(_invite_find(invite_code, lock=True))
    now = timezone.now()
    InviteCode.objects.filter(pk=invite.pk).update(uses=invite.uses + 1, last_used_at=now)
    logger.info("invite_used invite_id=%s uses=%s of=%s", invite.pk, invite.uses + 1, invite.uses_allowed)
    return invite


def _refuse_unless_usable(invite: InviteCode | None) -> InviteCode:
    if invite is None:
        raise SignupRefusedError("This invite code is not valid on this server.")
    if (reason := invite.refusal(now=timezone.now())) is not None:
        raise SignupRefusedError(f"{reason} Ask the operator for a new invite link.")
    return invite


def invites_revoke(*, invite_ids: list[int]) -> int:
    """Revoke invite codes (admin action); returns how many were still active."""
    return InviteCode.objects.filter(pk__in=invite_ids, revoked=False).update(revoked=True)
