from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from unittest import mock

import pytest

from feeds import sources
from tests.feeds.conftest import USER_ID, FakeManagedListSpec


def test_managed_lists_are_normalised_from_the_users_app_state(world):
    # given
    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    state = {
        "recommended_movies": SimpleNamespace(trakt_list_id=77, item_count=50, last_written_at=at, state="ok"),
        "because_watched_show": SimpleNamespace(trakt_list_id=None, item_count=0, last_written_at=None,
                                                state="limit_reached"),
        "recommended_shows": {"trakt_list_id": "88", "item_count": 3, "last_written_at": "yesterday", "state": "ok"},
    }

    with mock.patch("users.selectors.user_managed_lists", return_value=state, create=True) as call:
        # when
        statuses = sources.managed_lists(user_id=USER_ID)

    # then
    call.assert_called_once_with(user_id=USER_ID)
    assert statuses == {
        "recommended_movies": sources.ListStatus(trakt_id=77, item_count=50, written_at=at, state="ok"),
        "because_watched_show": sources.ListStatus(trakt_id=None, item_count=0, written_at=None, state="limit_reached"),
        "recommended_shows": sources.ListStatus(trakt_id=None, item_count=3, written_at=None, state="ok"),
    }


def test_lists_write_hands_managed_list_specs_to_the_writer(world):
    # when
    sources.lists_write(
        user_id=USER_ID,
        specs=[sources.ListSpec(key="recommended_movies", name="Reclio • X", description="d", item_ids=("movie_1",))],
    )

    # then
    assert world.writes == [[FakeManagedListSpec("recommended_movies", "Reclio • X", "d", ("movie_1",))]]


def test_feed_hit_record_swallows_errors():
    with mock.patch("users.services.user_feed_hit_record", side_effect=RuntimeError("x"), create=True) as call:
        sources.feed_hit_record(user_id=USER_ID)

    call.assert_called_once_with(user_id=USER_ID)


@pytest.mark.parametrize(
    ("user", "username"),
    [
        (SimpleNamespace(trakt_username="Sean"), "sean"),
        (SimpleNamespace(username="Ada"), "ada"),
        (SimpleNamespace(), ""),
    ],
)
def test_user_trakt_username(user, username):
    assert sources.user_trakt_username(user) == username


def test_rating_of_takes_the_latest_rating_of_that_title(world):
    from tests.feeds.conftest import FakeInteraction, days_ago

    world.interactions = [
        FakeInteraction("movie_949", "rating", 7, days_ago(10)),
        FakeInteraction("movie_949", "rating", 9, days_ago(1)),
        FakeInteraction("movie_949", "view", None, days_ago(0)),
        FakeInteraction("movie_1", "rating", 2, days_ago(0)),
    ]

    assert sources.rating_of(user_id=USER_ID, item_id="movie_949") == 9
    assert sources.rating_of(user_id=USER_ID, item_id="movie_2") is None


def test_rating_of_understands_an_enum_kind(world):
    import enum

    from tests.feeds.conftest import FakeInteraction, days_ago

    class Kind(enum.Enum):
        RATING = "rating"
        VIEW = "view"

    world.interactions = [FakeInteraction("movie_949", Kind.RATING, 8, days_ago(1)),  # type: ignore[arg-type]
                          FakeInteraction("movie_949", Kind.VIEW, 10, days_ago(0))]  # type: ignore[arg-type]

    assert sources.rating_of(user_id=USER_ID, item_id="movie_949") == 8
