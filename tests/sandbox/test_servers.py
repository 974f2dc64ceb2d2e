"""The real clients (catalog.tmdb, users.trakt.client) against the stand-ins over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from catalog.tmdb import tmdb_list_page, tmdb_session_build, tmdb_title_fetch
from users.trakt import client as trakt_client
from users.trakt.client import DevicePoll, TraktSession


def test_tmdb_details_with_credits_and_keywords(sandbox):
    session = tmdb_session_build()

    title = tmdb_title_fetch(session, media_type="movie", tmdb_id=603)
    show = tmdb_title_fetch(session, media_type="tv", tmdb_id=1399)

    assert title.title == "The Matrix" and "simulation" in title.keywords
    assert "Keanu Reeves" in title.cast and title.director == "Lana Wachowski"
    assert show.title == "Game of Thrones" and "dragon" in show.keywords


def test_tmdb_lists_and_discover(sandbox):
    session = tmdb_session_build()

    popular = tmdb_list_page(session, path="/movie/popular", page=1)
    dramas = tmdb_list_page(session, path="/discover/movie", page=1, params={"with_genres": "18"})

    assert [row.tmdb_id for row in popular.entries][:2] == [603, 13]
    assert [row.tmdb_id for row in dramas.entries] == [13]


def test_tmdb_refuses_a_wrong_key(sandbox):
    tmdb, _ = sandbox
    response = requests.get(f"{tmdb.base_url}/movie/603", params={"api_key": "nope"}, timeout=5)
    assert response.status_code == 401 and response.json()["status_code"] == 7


def test_trakt_redirect_flow_auto_approves_and_history_carries_real_titles(sandbox, settings):
    _, trakt = sandbox
    authorize = trakt_client.authorize_url(state="xyz") + "&as=sean"
    redirect = requests.get(authorize, allow_redirects=False, timeout=5)
    back = parse_qs(urlsplit(redirect.headers["Location"]).query)
    assert redirect.status_code == 302 and back["state"] == ["xyz"]
    assert redirect.headers["Location"].startswith(settings.TRAKT_REDIRECT_URI)

    tokens = trakt_client.token_exchange_code(TraktSession(), code=back["code"][0])
    session = TraktSession(access_token=tokens.access_token, account="sean")
    movies = trakt_client.history(session, kind="movies")
    episodes = trakt_client.history(session, kind="episodes")
    raw = requests.get(
        f"{trakt.url}/sync/history/movies",
        headers={
            "trakt-api-key": settings.TRAKT_CLIENT_ID,
            "trakt-api-version": "2",
            "Authorization": f"Bearer {tokens.access_token}",
        },
        timeout=5,
    ).json()

    assert [row.tmdb_id for row in movies.rows] == [603] and len(episodes.rows) == 1
    assert (raw[0]["movie"]["title"], raw[0]["movie"]["year"]) == ("The Matrix", 1999)
    assert [r.tmdb_id for r in trakt_client.ratings(session, kind="movies").rows] == [603]
    assert [w.tmdb_id for w in trakt_client.watchlist(session, kind="movies").rows] == [13]


def test_trakt_refresh_rotates(sandbox):
    _, trakt = sandbox
    _, refresh = trakt.issue_tokens("sean")

    fresh = trakt_client.token_refresh(TraktSession(), refresh_token=refresh)

    with pytest.raises(trakt_client.TraktAuthError):
        trakt_client.token_refresh(TraktSession(), refresh_token=refresh)
    assert fresh.refresh_token != refresh


def test_device_flow_pending_until_approved(sandbox):
    _, trakt = sandbox
    session = TraktSession(max_retries=0)
    code = trakt_client.device_code_request(session)

    pending = trakt_client.device_token_poll(session, device_code=code.device_code)
    approved = requests.get(f"{trakt.url}/activate", params={"code": code.user_code, "as": "ana"}, timeout=5)
    done = trakt_client.device_token_poll(session, device_code=code.device_code)
    again = trakt_client.device_token_poll(session, device_code=code.device_code)

    assert pending.outcome is DevicePoll.PENDING and approved.status_code == 200
    assert done.outcome is DevicePoll.APPROVED and again.outcome is DevicePoll.ALREADY_USED
    assert done.tokens is not None
    owner = trakt.access_tokens[done.tokens.access_token][0]
    assert owner == "ana"
