from __future__ import annotations

import sys

import pytest
import responses

from reclio.settings.vendors import RecombeeRegion
from recsys.contracts import RecombeeVerdict
from recsys.recombee.client import RecombeeCallError, RecombeeSetupError, recombee_api_build
from tests.fakes.recombee import FakeRecombee, FakeRecombeeServer
from tests.recsys.recombee.conftest import DATABASE_ID, TOKEN


@pytest.mark.parametrize(
    ("region", "host"),
    [
        (RecombeeRegion.EU_WEST, "rapi-eu-west.recombee.com"),
        (RecombeeRegion.US_WEST, "rapi-us-west.recombee.com"),
        (RecombeeRegion.CA_EAST, "rapi-ca-east.recombee.com"),
        (RecombeeRegion.AP_SE, "rapi-ap-se.recombee.com"),
    ],
)
def test_client_signs_requests_for_the_region_host(fake, settings, region, host):
    # given
    settings.RECOMBEE_REGION = region
    database = fake.database(region=host, database_id=DATABASE_ID, token=TOKEN)
    database.items["movie_1"] = {}
    api = recombee_api_build()

    # when
    answer = api.send(api.requests.ListItems(count=10))

    # then: the fake checked the HMAC signature and answered from that region's database
    assert answer == ["movie_1"]
    assert api.host == host
    assert [(call.host, call.status) for call in fake.calls] == [(host, 200)]


def test_client_with_wrong_token_gets_401_without_retrying(fake, remote, settings, no_sleep):
    # given
    settings.RECOMBEE_PRIVATE_TOKEN = "not-the-token"
    api = recombee_api_build()

    # when
    with pytest.raises(RecombeeCallError) as excinfo:
        api.send(api.requests.ListItems(count=1))

    # then
    assert excinfo.value.status == 401
    assert excinfo.value.permanent is True
    assert excinfo.value.rejected is True
    assert len(fake.calls) == 1
    assert no_sleep == []


def test_client_retries_429_honouring_retry_after_and_signs_each_attempt(no_sleep):
    # given
    url = "https://rapi-eu-west.recombee.com/reclio-test/items/list/"
    with responses.RequestsMock() as rsps:
        rsps.add("GET", url, status=429, headers={"Retry-After": "2"}, json={"message": "slow down"})
        rsps.add("GET", url, status=200, json=["movie_1"])
        api = recombee_api_build()

        # when
        answer = api.send(api.requests.ListItems(count=1))

        # then
        assert answer == ["movie_1"]
        assert no_sleep == [2.0]
        assert all("hmac_sign=" in str(call.request.url) for call in rsps.calls)
        assert rsps.calls[0].request.headers["User-Agent"].startswith("Reclio/")


def test_client_reports_unreachable_after_its_retries(fake, no_sleep):
    # given
    fake.region("eu-west").down = True
    api = recombee_api_build(max_retries=2)

    # when
    with pytest.raises(RecombeeCallError) as excinfo:
        api.send(api.requests.ListItems(count=1))

    # then
    assert excinfo.value.unreachable is True
    assert excinfo.value.permanent is False
    assert len(no_sleep) == 2


def test_client_reports_5xx_as_transient(fake, remote, no_sleep):
    # given
    remote.status_override = 503
    api = recombee_api_build(max_retries=1)

    # when
    with pytest.raises(RecombeeCallError) as excinfo:
        api.send(api.requests.ListItems(count=1))

    # then
    assert excinfo.value.status == 503
    assert excinfo.value.permanent is False
    assert len(fake.calls) == 2


@pytest.mark.parametrize("missing", ["RECOMBEE_DATABASE_ID", "RECOMBEE_PRIVATE_TOKEN"])
def test_build_without_credentials_is_no_credentials(settings, missing):
    # given
    setattr(settings, missing, None)

    # when
    with pytest.raises(RecombeeSetupError) as excinfo:
        recombee_api_build()

    # then
    assert excinfo.value.verdict == RecombeeVerdict.NO_CREDENTIALS
    assert missing in str(excinfo.value)


def test_build_without_the_sdk_is_sdk_missing(monkeypatch):
    # given: the package cannot be imported (None in sys.modules makes `import` raise ImportError)
    monkeypatch.setitem(sys.modules, "recombee_api_client", None)
    monkeypatch.delitem(sys.modules, "recsys.recombee.sdk", raising=False)

    # when
    with pytest.raises(RecombeeSetupError) as excinfo:
        recombee_api_build()

    # then
    assert excinfo.value.verdict == RecombeeVerdict.SDK_MISSING


def test_build_refused_by_the_sdk_is_client_init_failed(monkeypatch):
    # given: the SDK refuses RAPI_URI together with a region (ValueError in RecombeeClient.__init__)
    monkeypatch.setenv("RAPI_URI", "proxy.example.com")

    # when
    with pytest.raises(RecombeeSetupError) as excinfo:
        recombee_api_build()

    # then
    assert excinfo.value.verdict == RecombeeVerdict.CLIENT_INIT_FAILED
    assert "base_uri and region cannot be specified" in str(excinfo.value)


def test_base_uri_with_http_reaches_a_loopback_fake_for_every_call(settings):
    # given: a real HTTP server on 127.0.0.1 (batches are https-only in the SDK; http:// is honoured)
    fake = FakeRecombee()
    with FakeRecombeeServer(fake) as server:
        remote = fake.database(region=server.host, database_id=DATABASE_ID, token=TOKEN)
        settings.RECOMBEE_BASE_URI = server.base_uri
        api = recombee_api_build()

        # when
        answer = api.send(api.requests.Batch([api.requests.AddItemProperty("title", "string")]))

        # then
        assert answer == [{"code": 201, "json": "ok"}]
        assert remote.properties == {"title": "string"}
        assert api.region is None
        assert api.host == server.host
