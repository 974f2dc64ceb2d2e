"""Composition is pure: these tests have no database (any read would fail them)."""

from __future__ import annotations

from feeds import rows
from feeds.services.candidates import BecauseWatchedPicks, ColdStart, Picks, RecommendedPicks
from feeds.services.compose import Preferences, rows_compose
from feeds.services.viewer import Viewer
from tests.feeds.conftest import USER_ID

PREFERENCES = Preferences(size=5, blurbs=True, cold_start_min_picks=3)


def viewer(**changes) -> Viewer:
    fields = {
        "user_id": USER_ID,
        "seen": frozenset({"movie_157336"}),
        "hint": None,
        "top_genres": {"movie": (878,), "tv": ()},
        "top_rated": {"movie": ("movie_949",), "tv": (), None: ("movie_949",)},
        "last_watched": {"movie": "movie_157336", "tv": None},
        "titles": {"movie_157336": "Interstellar", "movie_949": "Heat"},
    }
    return Viewer(**{**fields, **changes})


def picks(*, movies: tuple[str, ...], cold_start: ColdStart | None = None, refill: tuple[str, ...] = ()) -> Picks:
    return Picks(
        recommended={
            "movie": RecommendedPicks(picks=movies, cold_start=cold_start, refill=refill),
            "tv": RecommendedPicks(picks=(), cold_start=None, refill=()),
        },
        because_watched={
            "movie": BecauseWatchedPicks(
                anchor="movie_157336", co_watched=("movie_300", "movie_301", "movie_302"), semantic=("movie_400",)
            ),
            "tv": BecauseWatchedPicks(anchor=None, co_watched=(), semantic=()),
        },
        genre_of={},
    )


def test_rows_compose_plans_ten_rows_from_what_was_read():
    # when
    plans = rows_compose(
        viewer=viewer(), picks=picks(movies=("movie_1", "movie_2", "movie_3", "movie_4")), preferences=PREFERENCES
    )

    # then
    assert [plan.key for plan in plans] == list(rows.ROW_KEYS)
    assert (plans[0].items, plans[0].blurb) == (
        ["movie_1", "movie_2", "movie_3", "movie_4"],
        "Based on the 1 titles you have watched and rated",
    )
    assert (plans[2].feed_id, plans[2].items, plans[2].origins) == (
        "because_watched_movie_tmdb_157336",
        ["movie_300", "movie_301", "movie_400", "movie_302"],
        ["recommender", "recommender", "vectors", "recommender"],
    )
    assert (plans[3].fallback["id"], plans[3].note) == ("more_to_discover_shows", "no anchor")
    assert [plan.materialised for plan in plans[:4]] == [False, False, False, False]  # fewer than five titles


def test_cold_start_neighbours_lead_then_picks_then_refill():
    # given
    cold = ColdStart(seed="movie_949", rated=True, rating=9, neighbours=("movie_420", "movie_421"))

    # when
    [plan, *_] = rows_compose(
        viewer=viewer(),
        picks=picks(movies=("movie_1",), cold_start=cold, refill=("movie_157336", "movie_500", "movie_501")),
        preferences=PREFERENCES,
    )

    # then: the watched Interstellar is not refilled
    assert plan.items == ["movie_420", "movie_421", "movie_1", "movie_500", "movie_501"]
    assert plan.origins == ["cold_start", "cold_start", "picks", "refill", "refill"]
    assert (plan.blurb, plan.note) == (
        "Because you rated Heat 9/10",
        "cold start: 1 recommender picks; seeded from movie_949",
    )
    assert plan.materialised
