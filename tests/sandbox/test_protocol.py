"""Protocol details of the stand-ins: auth, pagination, rate limits, account limits, device codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from catalog.tmdb import tmdb_changes_page, tmdb_list_page, tmdb_session_build
from sandbox import SANDBOX_TMDB_API_KEY, SANDBOX_TRAKT_CLIENT_ID
from sandbox.tmdb import FakeTmdb, FakeTmdbServer
from users.trakt import client as trakt_client
from users.trakt.client import DevicePoll, TraktSession


def _ids(page) -> list[int]:
    return [entry.tmdb_id for entry in page.entries]


def test_tmdb_discover_sorts_and_filters_as_tmdb(sandbox):
    session = tmdb_session_build()

    best = tmdb_list_page(
        session, path="/discover/movie", page=1, params={"sort_by": "vote_average.desc", "vote_average.gte": 7.5}
    )
    newest = tmdb_list_page(session, path="/discover/movie", page=1, params={"sort_by": "primary_release_date.desc"})
    few_votes = tmdb_list_page(session, path="/discover/movie", page=1, params={"vote_count.lte": 20000})

    assert _ids(best) == [13, 603]
    assert _ids(newest) == [604, 603, 13]
    assert _ids(few_votes) == [604]


def test_tmdb_lists_recommendations_and_configuration(sandbox):
    tmdb, _ = sandbox
    session = tmdb_session_build()

    related = tmdb_list_page(session, path="/movie/603/recommendations", page=1)
    trending = tmdb_list_page(session, path="/trending/tv/week", page=1)
    top = tmdb_list_page(session, path="/movie/top_rated", page=1)
    config = requests.get(f"{tmdb.base_url}/configuration", params={"api_key": SANDBOX_TMDB_API_KEY}, timeout=5)
    genres = requests.get(f"{tmdb.base_url}/genre/tv/list", params={"api_key": SANDBOX_TMDB_API_KEY}, timeout=5)

    assert _ids(related) == [604]
    assert _ids(trending) == [1399]
    assert _ids(top) == [13, 603, 604]
    assert "w500" in config.json()["images"]["poster_sizes"]
    assert {"id": 10765, "name": "Sci-Fi & Fantasy"} in genres.json()["genres"]


def test_tmdb_changes_after_an_edit(sandbox):
    tmdb, _ = sandbox
    tmdb.fake.update("movie", 13, overview="Life is a box of chocolates.")
    today = tmdb.fake.today

    changed = tmdb_changes_page(
        tmdb_session_build(), media_type="movie", start_date=today - dt.timedelta(days=1), end_date=today, page=1
    )

    assert _ids(changed) == [13]


def test_tmdb_bearer_and_rate_limit():
    fake = FakeTmdb(api_key=None, bearer="token", requests_per_second=3)
    with FakeTmdbServer(fake) as server:
        answers = [
            requests.get(f"{server.base_url}/configuration", headers={"Authorization": "Bearer token"}, timeout=5)
            for _ in range(4)
        ]
        anonymous = requests.get(f"{server.base_url}/configuration", timeout=5)

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "1" and answers[-1].json()["status_code"] == 25
    assert anonymous.status_code in (401, 429)


def _raw(trakt, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"trakt-api-key": SANDBOX_TRAKT_CLIENT_ID, "trakt-api-version": "2"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"{trakt.url}{path}", headers=headers, timeout=5, **kwargs)


def test_trakt_needs_key_and_version_and_paginates(sandbox):
    _, trakt = sandbox
    access, _ = trakt.issue_tokens("sean")

    no_key = requests.get(f"{trakt.url}/sync/history/movies", timeout=5)
    no_token = _raw(trakt, "GET", "/sync/history/movies")
    page = _raw(trakt, "GET", "/sync/history/episodes", access, params={"page": 1, "limit": 1})

    assert (no_key.status_code, no_token.status_code) == (403, 401)
    assert {k: page.headers[k] for k in page.headers if k.startswith("X-Pagination")} == {
        "X-Pagination-Page": "1",
        "X-Pagination-Limit": "1",
        "X-Pagination-Page-Count": "1",
        "X-Pagination-Item-Count": "1",
    }
    assert page.json()[0]["show"]["title"] == "Game of Thrones"


def test_trakt_one_write_per_second_and_list_count_limit(sandbox):
    _, trakt = sandbox
    access, _ = trakt.issue_tokens("sean")

    first = _raw(trakt, "POST", "/users/me/lists", access, json={"name": "One"})
    second = _raw(trakt, "POST", "/users/me/lists", access, json={"name": "Two"})
    for name in "abcd":
        trakt.accounts["sean"].add_list(name)
    trakt._last_write.clear()  # the next write is a second later
    over = _raw(trakt, "POST", "/users/me/lists", access, json={"name": "Six"})

    assert (first.status_code, second.status_code, over.status_code) == (201, 429, 420)
    assert second.headers["Retry-After"] == "1"
    assert json.loads(second.headers["X-Ratelimit"])["name"] == "AUTHED_API_POST_LIMIT"
    assert over.headers["X-Account-Limit"] and over.headers["X-Upgrade-URL"]


@pytest.mark.parametrize("action, expected", [("deny", DevicePoll.DENIED), ("slow", DevicePoll.SLOW_DOWN)])
def test_trakt_device_codes(sandbox, action, expected):
    _, trakt = sandbox
    session = TraktSession(max_retries=0)
    code = trakt_client.device_code_request(session)
    if action == "deny":
        requests.post(
            f"{trakt.url}/_sandbox/device/deny", json={"user_code": code.user_code, "username": "sean"}, timeout=5
        )
    else:
        trakt_client.device_token_poll(session, device_code=code.device_code)

    assert trakt_client.device_token_poll(session, device_code=code.device_code).outcome is expected


def test_trakt_device_code_expires_and_unknown_is_404(sandbox):
    _, trakt = sandbox
    session = TraktSession(max_retries=0)
    code = trakt_client.device_code_request(session)
    trakt.devices[code.device_code]["expires_at"] = 0

    assert trakt_client.device_token_poll(session, device_code=code.device_code).outcome is DevicePoll.EXPIRED
    assert trakt_client.device_token_poll(session, device_code="nope").outcome is DevicePoll.INVALID


def test_trakt_read_limit_answers_429_with_x_ratelimit(sandbox):
    _, trakt = sandbox
    trakt.read_limit = 2
    access, _ = trakt.issue_tokens("sean")

    answers = [_raw(trakt, "GET", "/sync/last_activities", access) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert json.loads(answers[-1].headers["X-Ratelimit"])["name"] == "AUTHED_API_GET_LIMIT"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 300


def test_world_load_gives_accounts_their_limits_and_authorize_defaults_to_the_first(sandbox, settings):
    _, trakt = sandbox
    query = {"response_type": "code", "client_id": SANDBOX_TRAKT_CLIENT_ID, "redirect_uri": settings.TRAKT_REDIRECT_URI}

    redirect = requests.get(f"{trakt.url}/oauth/authorize", params=query, allow_redirects=False, timeout=5)
    code = redirect.headers["Location"].split("code=")[1]
    tokens = trakt_client.token_exchange_code(TraktSession(), code=code)
    limits = trakt_client.account_settings(TraktSession(access_token=tokens.access_token, account="sean"))

    assert trakt.access_tokens[tokens.access_token][0] == "sean"  # the world's first account
    assert (trakt.accounts["ana"].list_count_limit, trakt.accounts["sean"].list_count_limit) == (100, 5)
    assert (limits.username, limits.list_limit, limits.list_item_limit) == ("sean", 5, 250)
