"""Token refresh against the failures of the real world: lost answers, 429 storms, key rotation.

Trakt refresh tokens are single use (the loopback fake Trakt pops a refresh token when it is spent).
Every test ends by checking what matters to the viewer: still connected, and the stored refresh
token is the one Trakt will accept next time.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import types
import uuid

import pytest
from django.db import OperationalError, connections

from sandbox.http import FakeReply
from users.contracts import ConnectionState
from users.crypto import token_decrypt
from users.models import User
from users.services import user_token_refresh, user_tokens_reencrypt_all
from users.services.tokens import token_lock_seconds


def _stored_refresh(user_id) -> str:
    return token_decrypt(User.objects.get(pk=user_id).refresh_token_encrypted)


def _assert_connected_with_a_live_token(user_id, fake_trakt) -> None:
    user = User.objects.get(pk=user_id)
    assert user.connection_state == ConnectionState.CONNECTED, user.connection_detail
    assert token_decrypt(user.refresh_token_encrypted) in fake_trakt.refresh_tokens


@pytest.mark.django_db
def test_tokens_trakt_answered_but_the_database_never_stored_are_recovered_by_the_retry(
    trakt_user, fake_trakt, monkeypatch
):
    # given Trakt rotates the refresh token and answers, but the database write fails (an outage;
    # a worker killed between the answer and the commit looks the same)
    spent = _stored_refresh(trakt_user.pk)
    original_save = User.save
    failures = [OperationalError("server closed the connection unexpectedly")]

    def save(self, *args, **kwargs):
        if failures and "refresh_token_encrypted" in (kwargs.get("update_fields") or ()):
            raise failures.pop()
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(User, "save", save)
    with pytest.raises(OperationalError):
        user_token_refresh(user_id=trakt_user.pk)
    assert spent not in fake_trakt.refresh_tokens  # Trakt has spent it: only the lost answer is valid

    # when the refresh runs again (the task's retry, or the next sweep)
    assert user_token_refresh(user_id=trakt_user.pk) is True

    # then the answer Trakt gave the first time is stored, without asking Trakt again
    assert len(fake_trakt.calls("POST", "/oauth/token")) == 1
    _assert_connected_with_a_live_token(trakt_user.pk, fake_trakt)
    assert user_token_refresh(user_id=trakt_user.pk) is True  # and the next rotation works
    _assert_connected_with_a_live_token(trakt_user.pk, fake_trakt)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reply",
    [FakeReply(drop=True), FakeReply(503, {"error": "unavailable"}), FakeReply(502, "<html>bad gateway</html>")],
    ids=["connection-dropped", "503", "502-html"],
)
def test_a_lost_answer_or_a_5xx_never_marks_needs_reauth_and_the_retry_refreshes(trakt_user, fake_trakt, reply):
    # given the token endpoint fails before Trakt processed the refresh
    fake_trakt.inject("POST", "/oauth/token", reply)

    # when
    from reclio.http import UpstreamError

    with pytest.raises(UpstreamError) as raised:
        user_token_refresh(user_id=trakt_user.pk)

    # then the viewer is untouched and the task's retry refreshes
    assert raised.value.permanent is False
    assert User.objects.get(pk=trakt_user.pk).connection_state == ConnectionState.CONNECTED
    assert user_token_refresh(user_id=trakt_user.pk) is True
    _assert_connected_with_a_live_token(trakt_user.pk, fake_trakt)


@pytest.mark.django_db
def test_invalid_grant_after_another_process_stored_fresh_tokens_is_not_a_reauth(trakt_user, fake_trakt, monkeypatch):
    # given another process refreshes and stores while ours is in flight (a lock lost with Redis):
    # ours then sends the token that process spent
    from users.services import tokens

    original = tokens.client.token_refresh

    def token_refresh(session, *, refresh_token):
        monkeypatch.setattr(tokens.client, "token_refresh", original)
        tokens._tokens_store(user_id=trakt_user.pk, tokens=original(session, refresh_token=refresh_token))
        return original(session, refresh_token=refresh_token)  # the same, now spent, token

    monkeypatch.setattr(tokens.client, "token_refresh", token_refresh)

    # when
    assert user_token_refresh(user_id=trakt_user.pk) is True

    # then the viewer keeps the tokens the other process stored
    _assert_connected_with_a_live_token(trakt_user.pk, fake_trakt)


@pytest.mark.django_db
def test_a_429_storm_longer_than_the_old_two_minute_lock_does_not_let_a_second_refresh_in(
    trakt_user, fake_trakt, settings, monkeypatch
):
    # given a moving clock (the lock's TTL runs on it) and Trakt answering 429 "retry in 50 s" three times
    settings.HTTP_MAX_RETRIES = 4
    clock = types.SimpleNamespace(offset=0.0)
    fake_time = types.SimpleNamespace(time=lambda: time.time() + clock.offset)
    monkeypatch.setattr("django.core.cache.backends.base.time", fake_time)
    monkeypatch.setattr("django.core.cache.backends.locmem.time", fake_time)
    fake_trakt.fail("POST", "/oauth/token", 429, times=3, headers={"Retry-After": "50"})
    competitor: list[bool] = []

    def sleep(seconds: float) -> None:
        clock.offset += seconds
        if clock.offset > 120 and not competitor:
            # another worker's refresh (the sweep, or a sync about to call Trakt) arrives mid-storm
            competitor.append(user_token_refresh(user_id=trakt_user.pk, owner=f"other-{uuid.uuid4()}"))

    monkeypatch.setattr("reclio.http.sleep", sleep)

    # when
    assert user_token_refresh(user_id=trakt_user.pk) is True

    # then the competitor found the lock still held (it outlives the storm) and spent nothing
    assert clock.offset == 150 and competitor == [False]
    assert token_lock_seconds() > clock.offset
    assert [r.status for r in fake_trakt.calls("POST", "/oauth/token")] == [429, 429, 429, 200]
    _assert_connected_with_a_live_token(trakt_user.pk, fake_trakt)


def _refresh_in_another_process(user_id: str, results) -> None:
    try:
        results.put(user_token_refresh(user_id=user_id))
    except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
        results.put(repr(exc))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_key_rotation_during_a_refresh_never_writes_back_the_spent_token(
    trakt_user, fake_trakt, redis_cache, monkeypatch
):
    # given a refresh, in another process, in flight at Trakt (held there until key rotation has read
    # the row, or 1 s); the two processes share only Redis (the lock) and PostgreSQL
    in_flight, rotation_read = threading.Event(), threading.Event()
    respond = fake_trakt.respond

    def slow_token_endpoint(request):
        if request.path == "/oauth/token":
            in_flight.set()
            rotation_read.wait(timeout=1.0)
        return respond(request)

    monkeypatch.setattr(fake_trakt, "respond", slow_token_endpoint)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connections.close_all()  # the child opens its own database connection
    refresher = context.Process(target=_refresh_in_another_process, args=(str(trakt_user.pk), results))
    refresher.start()
    assert in_flight.wait(timeout=10)
    # and key rotation, here, that reads a row, then (slowly) writes it back re-encrypted
    from users.services import tokens

    reencrypt = tokens.token_reencrypt

    def slow_reencrypt(ciphertext: str) -> str:
        rotation_read.set()
        refresher.join(timeout=3)
        return reencrypt(ciphertext)

    monkeypatch.setattr(tokens, "token_reencrypt", slow_reencrypt)

    # when
    rotated = user_tokens_reencrypt_all(wait_seconds=10)
    refresher.join(timeout=5)

    # then rotation waited for the refresh and re-encrypted the fresh token, not the spent one
    assert results.get(timeout=5) is True
    assert (rotated.reencrypted, rotated.busy) == (1, ())
    _assert_connected_with_a_live_token(trakt_user.pk, fake_trakt)
    assert user_token_refresh(user_id=trakt_user.pk) is True
    _assert_connected_with_a_live_token(trakt_user.pk, fake_trakt)


@pytest.mark.django_db
def test_key_rotation_reports_viewers_whose_lock_stays_held(trakt_user, fake_trakt):
    # given a refresh holding the viewer's token lock (another worker)
    from reclio.locks import lock_acquire
    from users.services.tokens import token_lock_name

    assert lock_acquire(token_lock_name(trakt_user.pk), owner="another-worker", ttl_seconds=60)

    # when
    rotated = user_tokens_reencrypt_all(wait_seconds=0.3)

    # then nothing is claimed for that viewer: the operator must not drop the old key yet
    assert (rotated.reencrypted, rotated.busy) == (0, (str(trakt_user.pk),))


@pytest.mark.django_db
def test_a_401_while_another_process_refreshes_is_retried_later_not_a_permanent_failure(
    trakt_user, fake_trakt, catalog_ensure
):
    # given Trakt refuses the access token, and another worker holds the viewer's token lock
    from reclio.http import UpstreamError
    from reclio.locks import lock_acquire
    from users.services import user_sync_run
    from users.services.tokens import TokenRefreshBusy, token_lock_name

    fake_trakt.access_tokens.clear()
    assert lock_acquire(token_lock_name(trakt_user.pk), owner="another-worker", ttl_seconds=60)

    # when
    with pytest.raises(UpstreamError) as raised:
        user_sync_run(user_id=trakt_user.pk)

    # then the sync task retries later (a transient error), and the viewer stays connected
    assert isinstance(raised.value, TokenRefreshBusy) and raised.value.permanent is False
    assert User.objects.get(pk=trakt_user.pk).connection_state == ConnectionState.CONNECTED
