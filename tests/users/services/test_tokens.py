from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.users.factories import UserFactory
from users.contracts import ConnectionState
from users.crypto import token_decrypt
from users.models import User
from users.services import user_sync_run, user_token_refresh, users_token_refresh_due
from users.tasks import token_refresh_sweep_task

pytestmark = pytest.mark.django_db


def test_refresh_stores_the_rotated_refresh_token(trakt_user, fake_trakt):
    # given
    old_refresh = token_decrypt(trakt_user.refresh_token_encrypted)
    # when
    assert user_token_refresh(user_id=trakt_user.pk) is True
    # then
    user = User.objects.get(pk=trakt_user.pk)
    new_refresh = token_decrypt(user.refresh_token_encrypted)
    assert new_refresh != old_refresh and new_refresh in fake_trakt.refresh_tokens
    assert old_refresh not in fake_trakt.refresh_tokens  # single use on Trakt's side
    assert user.token_expires_at is not None
    assert user.token_expires_at > timezone.now() + dt.timedelta(hours=23)
    body = fake_trakt.calls("POST", "/oauth/token")[0].body
    assert body["grant_type"] == "refresh_token" and body["refresh_token"] == old_refresh
    # and the rotated token works for the next refresh
    assert user_token_refresh(user_id=trakt_user.pk) is True


def test_revoked_refresh_token_marks_needs_reauth_and_stops_syncing(trakt_user, fake_trakt):
    # given the viewer revoked Reclio on trakt.tv
    fake_trakt.revoke("sean")
    # when
    assert user_token_refresh(user_id=trakt_user.pk) is False
    # then
    user = User.objects.get(pk=trakt_user.pk)
    assert user.connection_state == ConnectionState.NEEDS_REAUTH
    assert "invalid_grant" in user.connection_detail
    fake_trakt.reset_log()
    assert user_sync_run(user_id=trakt_user.pk).skipped_reason == "not connected (needs_reauth)"
    assert user_token_refresh(user_id=trakt_user.pk) is False
    assert fake_trakt.requests == []  # never retried forever


def test_401_during_sync_refreshes_once_then_gives_up(trakt_user, fake_trakt, catalog_ensure, sent_tasks):
    # given Trakt refuses the access token and the refresh token was revoked
    fake_trakt.revoke("sean")
    # when
    with pytest.raises(Exception, match="401"):
        user_sync_run(user_id=trakt_user.pk)
    # then
    assert User.objects.get(pk=trakt_user.pk).connection_state == ConnectionState.NEEDS_REAUTH


def test_a_fresh_token_is_kept(trakt_user, fake_trakt):
    assert user_token_refresh(user_id=trakt_user.pk, expiring_within=dt.timedelta(hours=12)) is True
    assert fake_trakt.requests == []


def test_sweep_refreshes_only_tokens_expiring_within_twelve_hours(fake_trakt, trakt_account, settings):
    # given
    now = timezone.now()
    soon = UserFactory.create(token_expires_at=now + dt.timedelta(hours=3), trakt_slug="sean")
    UserFactory.create(token_expires_at=now + dt.timedelta(hours=20))
    UserFactory.create(token_expires_at=now + dt.timedelta(hours=1), connection_state=ConnectionState.NEEDS_REAUTH)
    _, refresh = fake_trakt.issue_tokens("sean")
    from users.crypto import token_encrypt

    User.objects.filter(pk=soon.pk).update(refresh_token_encrypted=token_encrypt(refresh))
    # when
    assert users_token_refresh_due(within=dt.timedelta(hours=12)) == [str(soon.pk)]
    assert token_refresh_sweep_task.delay().get() == 1
    # then
    expires_at = User.objects.get(pk=soon.pk).token_expires_at
    assert expires_at is not None
    assert expires_at > now + dt.timedelta(hours=23)


def test_disconnect_revokes_and_forgets_tokens_but_keeps_history(trakt_user, fake_trakt):
    from users.services import user_disconnect

    assert user_disconnect(user_id=trakt_user.pk) is True
    user = User.objects.get(pk=trakt_user.pk)
    assert (user.connection_state, user.access_token_encrypted, user.refresh_token_encrypted) == (
        "disconnected",
        "",
        "",
    )
    assert [r.path for r in fake_trakt.requests] == ["/oauth/revoke"]
    assert not any(owner == "sean" for owner, _ in fake_trakt.access_tokens.values())
