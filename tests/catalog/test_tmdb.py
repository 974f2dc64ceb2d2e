from __future__ import annotations

import datetime as dt

import pytest
import responses

from catalog.tmdb import (
    TmdbNotFound,
    TmdbParseError,
    tmdb_changes_page,
    tmdb_session_build,
    tmdb_title_fetch,
    tmdb_title_parse,
)
from sandbox.tmdb import movie_details, tv_details

BASE = "https://api.themoviedb.org/3"


def test_movie_details_parse_into_our_dataclass():
    # given
    body = movie_details(
        603,
        "The Matrix",
        release_date="1999-03-30",
        credits={
            "cast": [{"name": f"Actor {i}", "order": 6 - i} for i in range(7)],
            "crew": [
                {"name": "Lana Wachowski", "job": "Director"},
                {"name": "Someone", "job": "Producer"},
                {"name": "Lilly Wachowski", "job": "Director"},
            ],
        },
        keywords={"keywords": [{"id": 1, "name": "dystopia"}, {"id": 2, "name": "hacker"}]},
    )

    # when
    title = tmdb_title_parse(body, media_type="movie")

    # then
    assert title.item_id == "movie_603"
    assert (title.year, title.release_date) == (1999, dt.date(1999, 3, 30))
    assert title.cast == ("Actor 6", "Actor 5", "Actor 4", "Actor 3", "Actor 2")  # top 5 by credit order
    assert title.director == "Lana Wachowski, Lilly Wachowski"
    assert title.keywords == ("dystopia", "hacker")


def test_tv_details_use_name_first_air_date_creators_and_results_keywords():
    # given
    body = tv_details(
        1399,
        "Game of Thrones",
        first_air_date="2011-04-17",
        created_by=[{"name": "David Benioff"}, {"name": "D. B. Weiss"}],
        keywords={"results": [{"id": 1, "name": "dragon"}]},
    )

    # when
    title = tmdb_title_parse(body, media_type="tv")

    # then
    assert (title.item_id, title.title, title.year) == ("tv_1399", "Game of Thrones", 2011)
    assert title.director == "David Benioff, D. B. Weiss"
    assert title.keywords == ("dragon",)


def test_nulls_and_empty_dates_become_defaults():
    title = tmdb_title_parse(
        {"id": 1, "title": "X", "release_date": "", "tagline": None, "poster_path": None, "vote_average": None},
        media_type="movie",
    )
    assert (title.release_date, title.year, title.tagline, title.poster_path, title.vote_average) == (
        None,
        None,
        "",
        "",
        0.0,
    )


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"title": "no id"},
        {"id": "603", "title": "string id"},
        {"id": 603, "title": ""},
        {"id": 603, "title": "X", "adult": "no"},
        {"id": 603, "title": "X", "vote_count": 1.5},
        {"id": 603, "title": "X", "genres": {"id": 1}},
        {"id": 603, "title": "X", "credits": {"cast": ["name"]}},
    ],
)
def test_strict_parsing_rejects_shapes_tmdb_does_not_send(body):
    with pytest.raises(TmdbParseError):
        tmdb_title_parse(body, media_type="movie")


@responses.activate
def test_api_key_goes_in_the_query_and_404_means_gone(settings):
    # given
    settings.TMDB_READ_ACCESS_TOKEN = None
    responses.get(f"{BASE}/movie/1", status=404, json={"status_code": 34, "success": False})

    # when / then
    with pytest.raises(TmdbNotFound):
        tmdb_title_fetch(tmdb_session_build(), media_type="movie", tmdb_id=1)
    assert "api_key=test-tmdb-key" in responses.calls[0].request.url
    assert "append_to_response=credits%2Ckeywords" in responses.calls[0].request.url


@responses.activate
def test_read_access_token_is_sent_as_bearer_and_not_in_the_url(settings):
    # given
    settings.TMDB_READ_ACCESS_TOKEN = "v4-token"
    responses.get(f"{BASE}/movie/603", json=movie_details(603, "The Matrix"))

    # when
    title = tmdb_title_fetch(tmdb_session_build(), media_type="movie", tmdb_id=603)

    # then
    assert title.title == "The Matrix"
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Bearer v4-token" and "api_key" not in request.url


def test_changes_span_is_at_most_14_days(settings):
    with pytest.raises(ValueError, match="14 days"):
        tmdb_changes_page(
            tmdb_session_build(),
            media_type="movie",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 1, 20),
            page=1,
        )


def test_shared_rate_limiter_spaces_requests(settings, no_sleep):
    # given
    from catalog.services.fetch import TmdbPool

    settings.TMDB_MAX_REQUESTS_PER_SECOND = 40
    pool = TmdbPool(concurrency=1)

    # when
    for _ in range(4):
        pool.rate_limiter.wait()

    # then four calls at 40/s wait 25 ms apart
    assert len(no_sleep) == 3 and all(0 < wait <= 0.075 + 1e-6 for wait in no_sleep)
