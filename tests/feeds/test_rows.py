from __future__ import annotations

import pytest

from catalog.contracts import item_id_parse
from feeds import rows
from tests.feeds.conftest import DEFAULT_FEED_IDS, assert_feeds_document


def test_default_feeds_is_a_valid_ten_row_document():
    # when
    feeds = assert_feeds_document({"feeds": rows.default_feeds()})

    # then
    assert [feed["id"] for feed in feeds] == DEFAULT_FEED_IDS
    assert all(feed["source"] == "tmdb_query" for feed in feeds)


@pytest.mark.parametrize(
    ("feed", "path", "parameters"),
    [
        (rows.popular_feed(media_type="movie"), "/movie/popular", ""),
        (rows.popular_feed(media_type="tv"), "/tv/popular", ""),
        (rows.trending_feed(media_type="movie"), "/trending/movie/week", ""),
        (rows.trending_feed(media_type="tv"), "/trending/tv/week", ""),
        (
            rows.recommended_fallback_feed(media_type="movie", genre_ids=[878, 18]),
            "/discover/movie",
            "with_genres=878%7C18&sort_by=popularity.desc&vote_count.gte=100",
        ),
        (
            rows.because_watched_fallback_feed(media_type="movie", tmdb_id=157336, anchor_title="Interstellar"),
            "/movie/157336/recommendations",
            "",
        ),
        (
            rows.because_watched_fallback_feed(media_type="tv", tmdb_id=1399, anchor_title="Game of Thrones"),
            "/tv/1399/recommendations",
            "",
        ),
        (
            rows.more_to_discover_feed(media_type="movie"),
            "/discover/movie",
            "sort_by=popularity.desc&vote_average.gte=7&vote_count.gte=500",
        ),
        (
            rows.top_genre_feed(media_type="movie", genre_id=878),
            "/discover/movie",
            "with_genres=878&sort_by=vote_average.desc&vote_count.gte=1000",
        ),
        (
            rows.top_genre_feed(media_type="tv", genre_id=18),
            "/discover/tv",
            "with_genres=18&sort_by=vote_average.desc&vote_count.gte=300",
        ),
        (rows.top_genre_feed(media_type="movie", genre_id=None), "/movie/top_rated", ""),
        (
            rows.hidden_gems_feed(media_type="movie", genre_ids=[53]),
            "/discover/movie",
            "with_genres=53&sort_by=vote_average.desc&vote_average.gte=7.2&vote_count.gte=200&vote_count.lte=2000",
        ),
        (
            rows.hidden_gems_feed(media_type="tv"),
            "/discover/tv",
            "sort_by=vote_average.desc&vote_average.gte=7.5&vote_count.gte=100&vote_count.lte=1000",
        ),
    ],
)
def test_tmdb_rows_carry_exact_path_and_parameters(feed, path, parameters):
    assert feed["source"] == "tmdb_query"
    assert feed["source_metadata"] == {"path": path, "parameters": parameters}


@pytest.mark.parametrize(
    ("feed", "feed_id", "title"),
    [
        (
            rows.recommended_fallback_feed(media_type="tv", genre_ids=[18, 80]),
            "recommended_shows_genres_18-80",
            "Recommended Shows for You",
        ),
        (rows.recommended_fallback_feed(media_type="movie", genre_ids=[]), "popular_movies", "Popular Movies"),
        (
            rows.because_watched_fallback_feed(media_type="movie", tmdb_id=157336, anchor_title="Interstellar"),
            "because_watched_movie_tmdb_157336_recommendations",
            "Because You Watched Interstellar",
        ),
        (
            rows.because_watched_fallback_feed(media_type="tv", tmdb_id=1399, anchor_title="Game of Thrones"),
            "because_watched_show_tmdb_1399_recommendations",
            "Because You Watched Game of Thrones",
        ),
        (
            rows.top_genre_feed(media_type="movie", genre_id=878),
            "top_genre_movies_878",
            "Top Science Fiction Movies for You",
        ),
        (
            rows.top_genre_feed(media_type="tv", genre_id=10765),
            "top_genre_shows_10765",
            "Top Sci-Fi & Fantasy Shows for You",
        ),
        (rows.top_genre_feed(media_type="movie", genre_id=999999), "top_rated_movies", "Top Rated Movies"),
        (
            rows.hidden_gems_feed(media_type="movie", genre_ids=[18, 878]),
            "hidden_gems_movies_18-878",
            "Hidden Gem Movies",
        ),
    ],
)
def test_feed_ids_and_titles_follow_the_rows_meaning(feed, feed_id, title):
    assert (feed["id"], feed["title"]) == (feed_id, title)


def test_trakt_feed_shape():
    feed = rows.trakt_feed(
        feed_id="recommended_movies",
        title="Recommended Movies for You",
        media_type="movie",
        list_id=123,
        blurb="Based on 3 titles",
    )

    assert feed == {
        "id": "recommended_movies",
        "title": "Recommended Movies for You",
        "source": "trakt_list",
        "source_metadata": {"id": 123},
        "content_type": "movies",
        "blurb": "Based on 3 titles",
    }


@pytest.mark.parametrize(
    ("feed", "valid"),
    [
        (rows.trending_feed(media_type="movie"), True),
        (rows.trakt_feed(feed_id="x", title="X", media_type="tv", list_id=5), True),
        (None, False),
        ([], False),
        ({"id": "x"}, False),
        ({**rows.trending_feed(media_type="movie"), "content_type": "films"}, False),
        ({**rows.trending_feed(media_type="movie"), "title": ""}, False),
        ({**rows.trending_feed(media_type="movie"), "source": "rss"}, False),
        (
            {**rows.trending_feed(media_type="movie"), "source_metadata": {"path": "movie/popular", "parameters": ""}},
            False,
        ),
        ({**rows.trending_feed(media_type="movie"), "source_metadata": {"path": "/movie/popular"}}, False),
        (
            {**rows.trakt_feed(feed_id="x", title="X", media_type="tv", list_id=5), "source_metadata": {"id": "5"}},
            False,
        ),
        (
            {**rows.trakt_feed(feed_id="x", title="X", media_type="tv", list_id=5), "source_metadata": {"id": True}},
            False,
        ),
        ({**rows.trakt_feed(feed_id="x", title="X", media_type="tv", list_id=5), "source_metadata": {"id": 0}}, False),
    ],
)
def test_feed_is_valid(feed, valid):
    assert rows.feed_is_valid(feed) is valid


@pytest.mark.parametrize(
    ("item_id", "parsed"),
    [
        ("movie_157336", ("movie", 157336)),
        ("tv_1399", ("tv", 1399)),
        ("show_1399", None),
        ("movie_0", None),
        ("movie_", None),
        ("", None),
        ("movie_12a", None),
    ],
)
def test_item_id_parse(item_id, parsed):
    assert item_id_parse(item_id) == parsed
