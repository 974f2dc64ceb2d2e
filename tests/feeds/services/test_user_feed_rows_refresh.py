from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from feeds.models import PreparedFeeds
from feeds.services import compose as compose_module
from feeds.services import user_feed_lists_apply, user_feed_rows_refresh
from feeds.services.anchors import anchor_choose
from tests.feeds.conftest import DEFAULT_FEED_IDS, USER_ID, FakeWorld, assert_feeds_document, days_ago

pytestmark = pytest.mark.django_db

MOVIE_PICKS = [f"movie_{n}" for n in range(100, 112)]
SHOW_PICKS = [f"tv_{n}" for n in range(200, 212)]


def viewer(world: FakeWorld) -> FakeWorld:
    """A viewer with history: two watched movies (Heat rated 9), picks, anchors and neighbours."""
    world.add_titles("movie_949", title="Heat", genre=80)
    world.add_titles("movie_157336", title="Interstellar", genre=878)
    world.add_titles("movie_27205", title="Inception", genre=878)
    world.add_titles("tv_1399", title="Game of Thrones", genre=10765)
    world.add_titles(*MOVIE_PICKS, *SHOW_PICKS)
    world.add_titles(*[f"movie_{n}" for n in range(300, 330)], *[f"movie_{n}" for n in range(400, 430)])
    world.add_titles(*[f"tv_{n}" for n in range(300, 330)], *[f"tv_{n}" for n in range(400, 430)])
    world.seen = {"movie_949", "movie_157336", "tv_1399"}
    world.picks = {"movie": list(MOVIE_PICKS), "tv": list(SHOW_PICKS)}
    world.last_watched = {"movie": "movie_157336", "tv": "tv_1399"}
    world.top_rated = {"movie": ["movie_949"], None: ["movie_949"]}
    world.ratings = {"movie_949": 9}
    world.top_genres = {"movie": [878, 80], "tv": [10765]}
    world.similar = {
        "movie_157336": [f"movie_{n}" for n in range(300, 320)],
        "tv_1399": [f"tv_{n}" for n in range(300, 320)],
        "movie_27205": [f"movie_{n}" for n in range(320, 330)],
    }
    world.neighbours = {
        "movie_157336": [f"movie_{n}" for n in range(400, 420)],
        "tv_1399": [f"tv_{n}" for n in range(400, 420)],
        "movie_949": [f"movie_{n}" for n in range(420, 430)],
        "movie_27205": [f"movie_{n}" for n in range(410, 420)],
    }
    return world


def stored() -> PreparedFeeds:
    return PreparedFeeds.objects.get(user_id=USER_ID)


def test_refresh_materialises_four_rows_and_serves_them_as_trakt_lists(world):
    # given
    viewer(world)

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    prepared = stored()
    feeds = assert_feeds_document({"feeds": prepared.feeds})
    assert [(f["id"], f["source"], f["source_metadata"]) for f in feeds[:4]] == [
        ("recommended_movies", "trakt_list", {"id": 9001}),
        ("recommended_shows", "trakt_list", {"id": 9002}),
        ("because_watched_movie_tmdb_157336", "trakt_list", {"id": 9003}),
        ("because_watched_show_tmdb_1399", "trakt_list", {"id": 9004}),
    ]
    assert [f["title"] for f in feeds[:4]] == [
        "Recommended Movies for You",
        "Recommended Shows for You",
        "Because You Watched Interstellar",
        "Because You Watched Game of Thrones",
    ]
    assert [f["id"] for f in feeds[4:]] == [
        "trending_movies",
        "trending_shows",
        "top_genre_movies_878",
        "top_genre_shows_10765",
        "hidden_gems_movies_878-80",
        "hidden_gems_shows_10765",
    ]
    [written] = world.writes
    assert [(spec.key, spec.name, len(spec.item_ids)) for spec in written] == [
        ("recommended_movies", "Reclio • Recommended Movies", 10),
        ("recommended_shows", "Reclio • Recommended Shows", 10),
        ("because_watched_movie", "Reclio • Because You Watched Interstellar", 10),
        ("because_watched_show", "Reclio • Because You Watched Game of Thrones", 10),
    ]
    assert prepared.anchors == {"movie": "movie_157336", "tv": "tv_1399"}
    assert prepared.trakt_username == "viewer"
    assert prepared.problems == {}


def test_because_you_watched_is_a_60_40_blend_of_recommender_and_vectors(world):
    # given: known co-watch results (one already watched, one also a vector neighbour) and neighbours
    viewer(world)
    world.similar["movie_157336"] = [
        "movie_300",
        "movie_949",
        "movie_301",
        "movie_302",
        "movie_400",
        "movie_303",
        "movie_304",
        "movie_305",
        "movie_306",
    ]
    world.neighbours["movie_157336"] = ["movie_400", "movie_401", "movie_402", "movie_403", "movie_404"]

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then: R R V R V | R R V R V; watched Heat dropped; movie_400 keeps its recommender slot
    row = stored().rows[2]
    assert row["items"] == [
        "movie_300",
        "movie_301",
        "movie_401",
        "movie_302",
        "movie_402",
        "movie_400",
        "movie_303",
        "movie_403",
        "movie_304",
        "movie_404",
    ]
    assert row["origins"] == ["recommender", "recommender", "vectors", "recommender", "vectors"] * 2
    assert ("item_similar", {"item_id": "movie_157336", "count": 20, "media_type": "movie"}) in world.calls
    assert stored().feeds[2]["blurb"] == "Watched by fans of Interstellar, plus titles like it"


def test_cold_start_seeds_recommended_from_the_highest_rated_title(world):
    # given: the recommender has only three movie picks
    viewer(world)
    world.picks["movie"] = ["movie_100", "movie_101", "movie_102"]

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then: Heat's neighbours lead, the three picks follow, the row is full
    prepared = stored()
    row = prepared.rows[0]
    assert row["items"][:10] == [f"movie_{n}" for n in range(420, 427)] + ["movie_100", "movie_101", "movie_102"]
    assert row["origins"] == ["cold_start"] * 7 + ["picks"] * 3
    assert row["note"] == "cold start: 3 recommender picks; seeded from movie_949"
    assert prepared.feeds[0]["blurb"] == "Because you rated Heat 9/10"
    assert ("item_neighbours", {"item_id": "movie_949", "k": 20, "media_type": "movie"}) in world.calls


def test_cold_start_without_ratings_seeds_from_the_most_recent_watch(world):
    # given
    viewer(world)
    world.picks["movie"] = []
    world.top_rated = {}
    world.ratings = {}

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    prepared = stored()
    assert prepared.rows[0]["items"] == [f"movie_{n}" for n in range(400, 410)]
    assert prepared.feeds[0]["blurb"] == "Because you watched Interstellar"


def test_watched_titles_are_excluded_and_the_row_is_refilled_to_full_size(world):
    # given: half of the stored picks have been watched since they were computed
    viewer(world)
    world.picks["movie"] = [
        "movie_100",
        "movie_101",
        "movie_102",
        "movie_103",
        "movie_104",
        "movie_105",
        "movie_106",
        "movie_107",
        "movie_108",
        "movie_109",
    ]
    world.seen |= {"movie_101", "movie_103", "movie_105", "movie_107", "movie_109"}
    world.profile = ["movie_101", "movie_500", "movie_501", "movie_502", "movie_503", "movie_504", "movie_505"]
    world.add_titles(*[f"movie_{n}" for n in range(500, 506)])

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    row = stored().rows[0]
    assert len(row["items"]) == 10
    assert not set(row["items"]) & world.seen
    assert sorted(row["items"]) == [
        "movie_100",
        "movie_102",
        "movie_104",
        "movie_106",
        "movie_108",
        "movie_500",
        "movie_501",
        "movie_502",
        "movie_503",
        "movie_504",
    ]
    assert row["origins"].count("refill") == 5
    for prepared_row in stored().rows[:4]:
        assert not set(prepared_row["items"]) & world.seen


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"list_state": "limit_reached"}, "list not ready"),
        ({"list_written_at": days_ago(4)}, "list stale"),
        ({"lists_error": RuntimeError("trakt down")}, "write failed"),
    ],
)
def test_rows_fall_back_to_tmdb_queries_when_lists_are_not_ready_and_fresh(world, change, reason):
    # given
    viewer(world)
    for name, value in change.items():
        setattr(world, name, value)

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    feeds = assert_feeds_document({"feeds": stored().feeds})
    assert [(f["id"], f["source_metadata"]) for f in feeds[:4]] == [
        (
            "recommended_movies_genres_878-80",
            {
                "path": "/discover/movie",
                "parameters": "with_genres=878%7C80&sort_by=popularity.desc&vote_count.gte=100",
            },
        ),
        (
            "recommended_shows_genres_10765",
            {"path": "/discover/tv", "parameters": "with_genres=10765&sort_by=popularity.desc&vote_count.gte=50"},
        ),
        (
            "because_watched_movie_tmdb_157336_recommendations",
            {"path": "/movie/157336/recommendations", "parameters": ""},
        ),
        ("because_watched_show_tmdb_1399_recommendations", {"path": "/tv/1399/recommendations", "parameters": ""}),
    ], reason


def test_viewer_without_any_history_gets_popular_and_discovery_rows(world):
    # given: a connected user with nothing watched yet
    world.picks = {}

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    feeds = assert_feeds_document({"feeds": stored().feeds})
    assert [f["id"] for f in feeds] == DEFAULT_FEED_IDS
    assert world.writes == []


def test_last_watched_hint_wins_over_history_and_is_remembered(world):
    # given
    viewer(world)

    # when
    user_feed_rows_refresh(user_id=USER_ID, last_watched="movie:27205")

    # then
    prepared = stored()
    assert prepared.feeds[2]["id"] == "because_watched_movie_tmdb_27205"
    assert prepared.feeds[2]["title"] == "Because You Watched Inception"
    assert prepared.feeds[3]["id"] == "because_watched_show_tmdb_1399"  # a movie hint leaves shows alone
    assert prepared.anchors == {"movie": "movie_27205", "tv": "tv_1399"}
    assert (prepared.last_hint, prepared.rows[2]["note"]) == (
        "movie:27205",
        "anchor movie_27205 from last_watched hint",
    )

    # when: a later refresh (after a sync) without a hint keeps the recent hint's anchor
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    assert stored().feeds[2]["id"] == "because_watched_movie_tmdb_27205"


def test_an_expired_hint_gives_way_to_history(world, settings):
    # given
    viewer(world)
    user_feed_rows_refresh(user_id=USER_ID, last_watched="movie:27205")
    PreparedFeeds.objects.filter(user_id=USER_ID).update(
        last_hint_at=timezone.now() - timedelta(hours=settings.FEEDS_HINT_TTL_HOURS + 1)
    )

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    assert stored().feeds[2]["id"] == "because_watched_movie_tmdb_157336"
    assert stored().last_hint == ""


def test_hint_for_a_title_missing_from_the_catalog_is_fetched_then_history_is_used(world):
    # given
    viewer(world)

    # when
    user_feed_rows_refresh(user_id=USER_ID, last_watched="show:99999")

    # then: the catalog was asked to fetch it; it stayed unknown, so Game of Thrones anchors
    assert world.ensured == [("tv", 99999)]
    assert stored().feeds[3]["id"] == "because_watched_show_tmdb_1399"
    assert stored().last_hint == "show:99999"


def test_a_failing_recommender_leaves_because_watched_on_vectors_only(world):
    # given
    viewer(world)

    def broken(**kwargs):
        raise ConnectionError("recombee unreachable")

    world.item_similar = broken
    from unittest import mock

    with mock.patch("recsys.services.item_similar", broken):
        # when
        user_feed_rows_refresh(user_id=USER_ID)

    # then
    prepared = stored()
    assert prepared.rows[2]["items"] == [f"movie_{n}" for n in range(400, 410)]
    assert set(prepared.rows[2]["origins"]) == {"vectors"}
    assert prepared.feeds[2]["blurb"] == "Similar in story and style to Interstellar"
    assert prepared.problems["similar:movie_157336"] == "ConnectionError: recombee unreachable"


def test_a_bug_in_one_row_serves_that_rows_generic_fallback(world, monkeypatch):
    # given
    viewer(world)

    def broken(**kwargs):
        raise KeyError("bug")

    monkeypatch.setitem(compose_module.ROW_PLANNERS, "top_genre", broken)

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    prepared = stored()
    feeds = assert_feeds_document({"feeds": prepared.feeds})
    assert [f["id"] for f in feeds[6:8]] == ["top_rated_movies", "top_rated_shows"]
    assert feeds[0]["source"] == "trakt_list"
    assert prepared.problems["top_genre_movies"] == "KeyError: 'bug'"


def test_unknown_user_gets_no_rows_and_stale_rows_are_removed(world):
    # given: rows of a user who has since been deleted
    PreparedFeeds.objects.create(user_id=USER_ID, computed_at=timezone.now())
    world.users = set()

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    assert not PreparedFeeds.objects.exists()
    assert world.writes == []


def test_list_writing_can_be_turned_off(world, settings):
    # given
    settings.FEEDS_WRITE_TRAKT_LISTS = False
    viewer(world)

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    assert world.writes == []
    assert [f["source"] for f in stored().feeds] == ["tmdb_query"] * 10


def test_rows_whose_list_is_being_rewritten_serve_their_fallback_meanwhile(world):
    # given: the first refresh's four lists were written
    viewer(world)
    user_feed_rows_refresh(user_id=USER_ID)
    world.writer_runs_at_once = False
    world.picks["movie"] = list(reversed(MOVIE_PICKS))  # new picks for movies only

    # when the rows are recomposed: the changed list is pending in the users app
    user_feed_rows_refresh(user_id=USER_ID)

    # then only the changed list is off Trakt until its writer has run; then all four are back
    assert [f["source"] for f in stored().feeds[:4]] == ["tmdb_query", "trakt_list", "trakt_list", "trakt_list"]
    world.lists_written()
    assert user_feed_lists_apply(user_id=USER_ID) is True
    assert [f["source"] for f in stored().feeds[:4]] == ["trakt_list"] * 4
    assert stored().rows[0]["source"] == "trakt_list"
    assert user_feed_lists_apply(user_id=USER_ID) is False  # nothing left to switch


def test_a_failed_list_write_serves_the_fallback_and_is_reported(world):
    # given: lists served from Trakt
    viewer(world)
    user_feed_rows_refresh(user_id=USER_ID)
    # when a later write run leaves them in error (Trakt 5xx after the task's retries)
    world.list_state = "error"
    world.lists_written()
    user_feed_lists_apply(user_id=USER_ID)
    # then every list row serves its TMDB query, and the admin sees why
    assert [f["source"] for f in stored().feeds[:4]] == ["tmdb_query"] * 4
    assert "recommended_movies: error" in stored().problems["lists_write"]


def test_refresh_is_idempotent(world):
    # given
    viewer(world)
    user_feed_rows_refresh(user_id=USER_ID)
    first = stored()

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    second = stored()
    assert (second.feeds, second.rows, second.anchors) == (first.feeds, first.rows, first.anchors)
    assert world.writes[0] == world.writes[1]


def test_blurbs_can_be_turned_off(world, settings):
    # given
    settings.FEEDS_BLURBS = False
    viewer(world)

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    assert not any("blurb" in feed for feed in stored().feeds)


def test_without_the_watched_list_the_refresh_aborts_and_previous_rows_stay(world):
    # given: good rows from an earlier refresh
    viewer(world)
    user_feed_rows_refresh(user_id=USER_ID)
    before = stored().feeds
    from unittest import mock

    from django.db import OperationalError

    with mock.patch("users.selectors.user_seen_item_ids", side_effect=OperationalError("gone")):
        # when / then: the task's autoretry takes it from here
        with pytest.raises(OperationalError):
            user_feed_rows_refresh(user_id=USER_ID)

    assert stored().feeds == before
    assert len(world.writes) == 1


def test_retired_or_unknown_genres_are_skipped_for_genre_rows(world):
    # given: the user's top movie genre is TMDB's retired "Foreign"
    viewer(world)
    world.top_genres = {"movie": [10769, 878, 999999, 80], "tv": []}

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    feeds = stored().feeds
    assert [feeds[6]["id"], feeds[7]["id"], feeds[8]["id"], feeds[9]["id"]] == [
        "top_genre_movies_878",
        "top_rated_shows",
        "hidden_gems_movies_878-80",
        "hidden_gems_shows",
    ]


def test_a_row_with_too_few_titles_serves_its_fallback(world):
    # given: two picks, nothing to seed or refill from, and a co-watch list of three
    viewer(world)
    world.picks["movie"] = ["movie_100", "movie_101"]
    world.top_rated = {}
    world.last_watched = {"movie": "movie_157336"}
    world.neighbours = {}
    world.similar["movie_157336"] = ["movie_300", "movie_301", "movie_302"]
    world.profile = []

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    prepared = stored()
    assert [f["id"] for f in prepared.feeds[:3]] == [
        "recommended_movies_genres_878-80",
        "recommended_shows",
        "because_watched_movie_tmdb_157336_recommendations",  # not the list's id: other titles
    ]
    assert prepared.feeds[2]["source_metadata"] == {"path": "/movie/157336/recommendations", "parameters": ""}
    assert [spec.key for spec in world.writes[0]] == ["recommended_shows"]  # no show anchor either


def test_cold_start_of_shows_from_a_rated_movie_asks_for_show_neighbours(world):
    # given: no picks at all and no rated show; the highest-rated title overall is a movie
    viewer(world)
    world.picks = {"movie": [], "tv": []}
    world.top_rated = {"movie": ["movie_949"], None: ["movie_949"]}
    world.neighbours["movie_949"] = [f"movie_{n}" for n in range(420, 430)] + [f"tv_{n}" for n in range(420, 430)]
    world.add_titles(*[f"tv_{n}" for n in range(420, 430)])

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then: both rows were seeded from Heat, each with neighbours of its own media type
    prepared = stored()
    assert prepared.rows[0]["items"] == [f"movie_{n}" for n in range(420, 430)]
    assert prepared.rows[1]["items"] == [f"tv_{n}" for n in range(420, 430)]
    assert prepared.feeds[1]["blurb"] == "Because you rated Heat 9/10"


def test_a_netflix_only_show_never_anchors_nor_enters_a_list_nor_a_tmdb_query(world):
    # given: the last watched show and some picks/neighbours are Netflix-only (negative TMDB ids,
    # docs/design/catalog.md); the fake answers them even though users' selector passes them over
    viewer(world)
    world.add_titles("tv_-123", "tv_-124", "tv_-125", title="Netflix Only")
    world.last_watched["tv"] = "tv_-123"
    world.picks["tv"] = ["tv_-124", *SHOW_PICKS]
    world.neighbours["tv_-123"] = ["tv_-125", *[f"tv_{n}" for n in range(400, 420)]]

    # when
    user_feed_rows_refresh(user_id=USER_ID, last_watched="show:-123")

    # then: no anchor for shows (its fallback is the generic discovery row, no TMDB id in it) …
    prepared = stored()
    feeds = assert_feeds_document({"feeds": prepared.feeds})
    assert feeds[3]["id"] == "more_to_discover_shows"
    assert prepared.anchors["tv"] is None
    assert prepared.last_hint == ""  # "show:-123" is not a hint
    # … no negative id anywhere in a TMDB query or a feed id …
    for feed in feeds:
        assert "tmdb_-" not in feed["id"]
        if feed["source"] == "tmdb_query":
            assert "/-" not in feed["source_metadata"]["path"]
    # … and no negative id handed to the list writer; the shows row is still full
    [written] = world.writes
    handed = {item_id for spec in written for item_id in spec.item_ids}
    assert not {item_id for item_id in handed if item_id.startswith("tv_-")}
    shows = next(spec for spec in written if spec.key == "recommended_shows")
    assert len(shows.item_ids) == 10


def test_a_hinted_netflix_only_id_in_the_catalog_is_not_an_anchor():
    # given: the anchor candidates come straight from a stored hint of a Netflix-only title
    titles = {"tv_-123": "Netflix Only", "tv_1399": "Game of Thrones"}

    # when
    anchor = anchor_choose(media_type="tv", hint=("tv", -123), last_watched="tv_1399", titles=titles)

    # then: the hinted title is skipped; history (Game of Thrones) anchors instead
    assert anchor == "tv_1399"


@pytest.mark.parametrize(("username", "expected"), [("Sean", "sean"), ("", ""), ("x" * 120, "x" * 100)])
def test_the_trakt_username_is_stored_lower_cased_for_the_username_fallback(world, username, expected):
    # given
    world.username = username

    # when
    user_feed_rows_refresh(user_id=USER_ID)

    # then
    assert stored().trakt_username == expected
