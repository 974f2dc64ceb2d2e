"""SIGNUPS (open | invite | closed) and invite codes on the browser connect flow (issue 13)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from reclio.settings.trakt import Signups
from tests.users.factories import UserFactory
from users.models import InviteCode, User
from users.services import trakt_device_start, trakt_device_wait

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_first_sync(monkeypatch):
    monkeypatch.setattr("users.tasks.user_sync_task.delay", lambda user_id, **kw: None)


def _start(client, **params: str):
    return client.get("/connect/trakt", params)


def _connect(client, fake_trakt, slug: str, **params: str):
    started = _start(client, **params)
    assert started.status_code == 302, started.content
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    return client.get("/connect/trakt/callback", {"code": fake_trakt.authorize(slug), "state": state})


def test_open_signups_let_anyone_connect(client, settings, fake_trakt, trakt_account):
    settings.SIGNUPS = Signups.OPEN

    response = _connect(client, fake_trakt, "sean")

    assert response.status_code == 302
    assert User.objects.get().trakt_slug == "sean"


def test_the_production_default_is_invite():
    from reclio.settings import trakt

    assert trakt.SIGNUPS is Signups.INVITE


@pytest.mark.parametrize("mode", [Signups.INVITE, Signups.CLOSED])
def test_without_an_invite_a_new_viewer_is_refused_and_the_grant_handed_back(client, settings, fake_trakt, mode):
    # given
    settings.SIGNUPS = mode
    fake_trakt.add_account("stranger", name="Stranger")

    # when
    response = _connect(client, fake_trakt, "stranger")

    # then: a clear page, nobody stored, and the token Trakt issued is revoked
    assert response.status_code == 403
    assert b"Trakt not connected" in response.content
    assert (b"invite" if mode is Signups.INVITE else b"not taking new viewers") in response.content
    assert not User.objects.exists()
    assert not any(slug == "stranger" for slug, _ in fake_trakt.access_tokens.values())


@pytest.mark.parametrize("mode", [Signups.INVITE, Signups.CLOSED])
def test_a_known_viewer_reconnects_without_an_invite(client, settings, fake_trakt, trakt_account, mode):
    settings.SIGNUPS = mode
    known = UserFactory.create(trakt_username="sean", trakt_slug="sean", connection_state="needs_reauth")

    response = _connect(client, fake_trakt, "sean")

    assert response.status_code == 302
    assert User.objects.get().pk == known.pk
    assert User.objects.get().connection_state == "connected"


def test_a_single_use_invite_admits_one_new_viewer(client, settings, fake_trakt):
    # given
    settings.SIGNUPS = Signups.INVITE
    invite = InviteCode.objects.create(note="for Ana")
    fake_trakt.add_account("ana", name="Ana")
    fake_trakt.add_account("bob", name="Bob")

    # when
    first = _connect(client, fake_trakt, "ana", invite=invite.code)
    second = _start(client, invite=invite.code)

    # then
    assert first.status_code == 302
    assert list(User.objects.values_list("trakt_slug", flat=True)) == ["ana"]
    invite.refresh_from_db()
    assert (invite.uses, invite.last_used_at is not None) == (1, True)
    assert second.status_code == 403
    assert b"already used" in second.content


def test_an_n_use_invite_admits_n_new_viewers(client, settings, fake_trakt):
    settings.SIGNUPS = Signups.INVITE
    invite = InviteCode.objects.create(uses_allowed=2)
    for slug in ("ana", "bob", "cy"):
        fake_trakt.add_account(slug, name=slug)

    answers = [_connect(client, fake_trakt, slug, invite=invite.code).status_code for slug in ("ana", "bob")]
    third = _start(client, invite=invite.code)

    assert answers == [302, 302]
    assert third.status_code == 403
    assert User.objects.count() == 2


def test_an_invite_used_up_during_the_flow_is_refused_at_the_callback(client, settings, fake_trakt):
    # given: two people started with the same single-use code; the other one finished first
    settings.SIGNUPS = Signups.INVITE
    invite = InviteCode.objects.create()
    fake_trakt.add_account("ana", name="Ana")
    started = _start(client, invite=invite.code)
    InviteCode.objects.filter(pk=invite.pk).update(uses=1)

    # when
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    response = client.get("/connect/trakt/callback", {"code": fake_trakt.authorize("ana"), "state": state})

    # then
    assert response.status_code == 403
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("invite", "message"),
    [
        ({"revoked": True}, b"revoked"),
        ({"expires_at": timezone.now() - dt.timedelta(minutes=1)}, b"expired"),
        ({"uses": 1}, b"already used"),
    ],
    ids=["revoked", "expired", "used"],
)
def test_an_unusable_invite_is_refused_before_visiting_trakt(client, settings, invite, message):
    settings.SIGNUPS = Signups.INVITE
    code = InviteCode.objects.create(**invite).code

    response = _start(client, invite=code)

    assert response.status_code == 403
    assert message in response.content


@pytest.mark.parametrize("code", ["nope", "²", "\x00", "x" * 5000, "' OR 1=1 --", "☃" * 10])
def test_an_unknown_or_odd_invite_code_gets_a_clear_page(client, settings, code):
    settings.SIGNUPS = Signups.INVITE

    response = _start(client, invite=code)

    assert response.status_code == 403
    assert b"not valid on this server" in response.content


def test_a_refusal_answers_json_to_a_client_that_asks_for_it(client, settings):
    settings.SIGNUPS = Signups.INVITE

    response = client.get("/connect/trakt", {"invite": "nope"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 403
    assert response.json() == {"detail": "This invite code is not valid on this server."}


def test_the_operators_device_flow_is_not_gated(settings, fake_trakt, trakt_account):
    settings.SIGNUPS = Signups.CLOSED
    fake_trakt.device_script("sean", [200])

    user = trakt_device_wait(device=trakt_device_start())

    assert user.trakt_slug == "sean"


@pytest.mark.parametrize("state", ["é", "☃" * 40, "\U0001d518", "a\x00b"])
def test_a_non_ascii_oauth_state_gets_a_clear_answer(client, fake_trakt, trakt_account, state):
    # given: a flow was started (so there is an expected state to compare with)
    _start(client)

    # when
    response = client.get("/connect/trakt/callback", {"code": "x", "state": state})

    # then
    assert response.status_code == 400
    assert b"stale or was not started here" in response.content


def test_invites_are_made_and_revoked_in_the_admin(admin_client, settings):
    # when: an operator adds an invite for three people
    response = admin_client.post(
        "/staff/users/invitecode/add/", {"note": "book club", "uses_allowed": 3, "expires_at_0": "", "expires_at_1": ""}
    )

    # then
    assert response.status_code == 302, response.content
    invite = InviteCode.objects.get()
    assert (invite.note, invite.uses_allowed, invite.uses, len(invite.code) >= 20) == ("book club", 3, 0, True)
    page = admin_client.get(f"/staff/users/invitecode/{invite.pk}/change/")
    assert f"{settings.BASE_URL}/connect/trakt?invite={invite.code}".encode() in page.content
    assert admin_client.get("/staff/users/invitecode/", {"q": "book"}).status_code == 200

    # when: revoked
    admin_client.post("/staff/users/invitecode/", {"action": "revoke", "_selected_action": [invite.pk]}, follow=True)

    # then
    invite.refresh_from_db()
    assert invite.revoked is True
