from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from users.contracts import ConnectionState
from users.models import User
from users.services import TraktConnectError, trakt_device_start, trakt_device_wait
from users.trakt.client import DevicePoll

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_syncs(monkeypatch) -> list[str]:
    queued: list[str] = []
    monkeypatch.setattr("users.tasks.user_sync_task.delay", lambda user_id, **kw: queued.append(user_id))
    return queued


def _start(client) -> str:
    response = client.get("/connect/trakt")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert response["Location"].startswith("https://trakt.tv/oauth/authorize?")
    assert query["response_type"] == ["code"] and query["client_id"] == ["test-trakt-client-id"]
    assert query["redirect_uri"] == ["http://localhost:8000/connect/trakt/callback"]
    return query["state"][0]


def test_redirect_flow_connects_stores_tokens_and_queues_the_first_sync(
    client, fake_trakt, trakt_account, queued_syncs, django_capture_on_commit_callbacks
):
    # given
    state = _start(client)
    code = fake_trakt.authorize("sean")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/connect/trakt/callback", {"code": code, "state": state})
    # then
    assert response.status_code == 302 and response["Location"] == "/connect/trakt/done"
    user = User.objects.get()
    assert (user.trakt_slug, user.display_name, user.timezone, user.list_limit) == ("sean", "Sean", "Europe/Berlin", 5)
    assert user.connection_state == ConnectionState.CONNECTED
    assert user.access_token_encrypted and user.refresh_token_encrypted
    assert queued_syncs == [str(user.pk)]
    page = client.get("/connect/trakt/done")
    assert page.status_code == 200
    assert f"http://localhost:8000/?user_id={user.pk}" in page.content.decode()
    assert b"navigator.clipboard.writeText" in page.content


def test_reconnecting_the_same_account_keeps_the_same_user(client, fake_trakt, trakt_account, queued_syncs):
    for _ in range(2):
        state = _start(client)
        client.get("/connect/trakt/callback", {"code": fake_trakt.authorize("sean"), "state": state})
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"code": "abc", "state": "forged"}, "stale or was not started here"),
        ({"error": "access_denied", "state": None}, "was not granted"),
        ({"code": "not-a-real-code", "state": None}, "did not accept this authorization code"),
    ],
    ids=["state-mismatch", "denied", "bad-code"],
)
def test_callback_failures_connect_nobody(client, fake_trakt, trakt_account, params, message):
    state = _start(client)
    params = {k: (state if v is None else v) for k, v in params.items()}
    response = client.get("/connect/trakt/callback", params)
    assert response.status_code in (400,)
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_callback_without_a_started_flow_is_refused(client, fake_trakt):
    assert client.get("/connect/trakt/callback", {"code": "x", "state": "y"}).status_code == 400


def test_connect_page_says_when_trakt_is_not_configured(client, settings):
    settings.TRAKT_CLIENT_ID = None
    response = client.get("/connect/trakt")
    assert response.status_code == 503


def test_done_page_without_a_connection_sends_to_connect(client):
    assert client.get("/connect/trakt/done")["Location"] == "/connect/trakt"


def test_device_flow_polls_politely_and_slows_down_when_told(fake_trakt, trakt_account, queued_syncs, waits):
    # given the viewer enters the code after two pending polls and one "slow down"
    fake_trakt.device_script("sean", [400, 429, 400, 200])
    device = trakt_device_start()
    seen: list[DevicePoll] = []
    # when
    user = trakt_device_wait(device=device, on_poll=seen.append)
    # then
    assert user.trakt_slug == "sean"
    assert seen == [DevicePoll.PENDING, DevicePoll.SLOW_DOWN, DevicePoll.PENDING, DevicePoll.APPROVED]
    assert waits == [5, 5, 10, 10]  # interval 5 s, +5 s after 429 (RFC 8628 §3.5)
    assert len(fake_trakt.calls("POST", "/oauth/device/token")) == 4


@pytest.mark.parametrize(
    ("status", "message"),
    [(410, "expired"), (418, "denied"), (404, "does not know"), (409, "already used")],
)
def test_device_flow_failures(fake_trakt, trakt_account, status, message):
    fake_trakt.device_script("sean", [400, status])
    with pytest.raises(TraktConnectError, match=message):
        trakt_device_wait(device=trakt_device_start())
    assert not User.objects.exists()


def test_device_flow_gives_up_when_the_code_lifetime_is_over(fake_trakt, trakt_account, waits):
    fake_trakt.device_script("sean", [])  # pending forever
    with pytest.raises(TraktConnectError, match="expired"):
        trakt_device_wait(device=trakt_device_start())
    assert sum(waits) == 600


def test_device_flow_keeps_polling_through_a_5xx(fake_trakt, trakt_account, queued_syncs):
    fake_trakt.device_script("sean", [400, 200])
    fake_trakt.fail("POST", "/oauth/device/token", 502, times=1)
    assert trakt_device_wait(device=trakt_device_start()).trakt_slug == "sean"


def test_connect_trakt_command_prints_code_and_url(fake_trakt, trakt_account, queued_syncs, capsys):
    fake_trakt.device_script("sean", [200])
    call_command("connect_trakt")
    out = capsys.readouterr().out
    assert "Open https://trakt.tv/activate and enter the code: 5055CC52" in out
    assert f"?user_id={User.objects.get().pk}" in out


def test_connect_trakt_command_reports_denial(fake_trakt, trakt_account):
    fake_trakt.device_script("sean", [418])
    with pytest.raises(CommandError, match="denied"):
        call_command("connect_trakt")


def test_a_broker_error_after_the_tokens_are_stored_still_connects_the_viewer(
    client, fake_trakt, trakt_account, monkeypatch, django_capture_on_commit_callbacks
):
    # given a broker that refuses the first sync's message
    from kombu.exceptions import OperationalError

    from users.services import users_sync_due_enqueue

    def refused(user_id, **kw):
        raise OperationalError("Connection refused")

    monkeypatch.setattr("users.tasks.user_sync_task.delay", refused)
    state = _start(client)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/connect/trakt/callback", {"code": fake_trakt.authorize("sean"), "state": state})
    # then the viewer is connected (no error page), and the next sweep runs their first sync
    assert response.status_code == 302 and response["Location"] == "/connect/trakt/done"
    user = User.objects.get()
    assert user.connection_state == ConnectionState.CONNECTED and user.next_sync_at is None
    queued: list[str] = []
    monkeypatch.setattr("users.tasks.user_sync_task.delay", lambda user_id, **kw: queued.append(user_id))
    with django_capture_on_commit_callbacks(execute=True):
        users_sync_due_enqueue()
    assert queued == [str(user.pk)]
