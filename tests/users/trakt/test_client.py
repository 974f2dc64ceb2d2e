"""Client behaviour at the HTTP layer, with `responses` (our code runs; the network does not)."""

from __future__ import annotations

import json

import pytest
import responses

from reclio.http import UpstreamError
from users.trakt import client
from users.trakt.client import TraktAccountLimitError, TraktAuthError, TraktSession

API = "https://api.trakt.tv"


@pytest.fixture(autouse=True)
def _no_sleep(no_sleep):
    return no_sleep


@responses.activate
def test_sends_trakt_headers_and_bearer_token():
    responses.get(
        f"{API}/sync/last_activities",
        json={"all": "2026-01-01T00:00:00.000Z", "movies": {"watched_at": "2026-01-01T00:00:00.000Z"}},
    )
    activities = client.last_activities(TraktSession(access_token="tok"))
    sent = responses.calls[0].request.headers
    assert (sent["trakt-api-version"], sent["trakt-api-key"], sent["Authorization"]) == (
        "2",
        "test-trakt-client-id",
        "Bearer tok",
    )
    assert activities.get("movies", "watched_at") == "2026-01-01T00:00:00.000Z"


@responses.activate
def test_5xx_then_success(no_sleep):
    responses.get(f"{API}/sync/history/movies", status=503)
    responses.get(f"{API}/sync/history/movies", json=[], headers={"X-Pagination-Page-Count": "1"})
    assert client.history(TraktSession(access_token="t"), kind="movies").rows == []
    assert len(no_sleep) == 1


@responses.activate
def test_history_follows_page_count():
    row = {
        "id": 1,
        "watched_at": "2026-01-01T00:00:00.000Z",
        "action": "watch",
        "type": "movie",
        "movie": {"ids": {"tmdb": 603}},
    }
    for page in (1, 2):
        responses.get(
            f"{API}/sync/history/movies",
            json=[{**row, "id": page}],
            headers={"X-Pagination-Page-Count": "2"},
            match=[responses.matchers.query_param_matcher({"page": str(page), "limit": "250"})],
        )
    fetched = client.history(TraktSession(access_token="t"), kind="movies")
    assert [r.history_id for r in fetched.rows] == [1, 2]


@responses.activate
def test_429_on_a_write_honours_retry_after(no_sleep, settings):
    settings.TRAKT_WRITE_INTERVAL_SECONDS = 0
    responses.post(f"{API}/users/me/lists/7/items", status=429, headers={"Retry-After": "2"})
    responses.post(
        f"{API}/users/me/lists/7/items", status=201, json={"added": {"movies": 1}, "not_found": {"movies": []}}
    )
    change = client.list_items_add(TraktSession(access_token="t", account="sean"), list_id=7, item_ids=["movie_603"])
    assert change.count == 1
    assert no_sleep == [2.0]
    body = responses.calls[1].request.body
    assert body is not None
    assert json.loads(body) == {"movies": [{"ids": {"tmdb": 603}}]}


@responses.activate
def test_420_is_a_typed_account_limit_error(settings):
    settings.TRAKT_WRITE_INTERVAL_SECONDS = 0
    responses.post(
        f"{API}/users/me/lists",
        status=420,
        headers={"X-Account-Limit": "list count 5", "X-Upgrade-URL": "https://trakt.tv/vip"},
    )
    with pytest.raises(TraktAccountLimitError) as excinfo:
        client.list_create(TraktSession(access_token="t", account="sean"), name="x", description="")
    assert (excinfo.value.limit, excinfo.value.upgrade_url, excinfo.value.permanent) == (
        "list count 5",
        "https://trakt.tv/vip",
        True,
    )


@responses.activate
@pytest.mark.parametrize(("status", "body"), [(401, {"error": "invalid_grant"}), (400, {"error": "invalid_grant"})])
def test_refused_refresh_is_an_auth_error(status, body):
    responses.post(f"{API}/oauth/token", status=status, json=body)
    with pytest.raises(TraktAuthError):
        client.token_refresh(TraktSession(), refresh_token="r")


@responses.activate
def test_malformed_token_answer_is_an_upstream_error():
    responses.post(f"{API}/oauth/token", json={"access_token": "a"})
    with pytest.raises(UpstreamError, match="unexpected shape"):
        client.token_refresh(TraktSession(), refresh_token="r")
