from __future__ import annotations

import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest

from feeds import sources
from tests.feeds.conftest import USER_ID, days_ago
from users.contracts import InteractionRecord, ListWriteReport, ManagedListSpec, ManagedListState
from users.models import User


def test_managed_lists_are_the_users_app_states_by_key(world):
    # given
    at = datetime(2026, 11, 1, tzinfo=UTC)
    state = {
        "recommended_movies": ManagedListState(
            key="recommended_movies",
            name="Reclio • Recommended Movies for You",
            trakt_list_id=77,
            item_count=50,
            last_written_at=at,
            state="ok",
        ),
        "because_watched_show": ManagedListState(
            key="because_watched_show",
            name="Reclio • Because You Watched Dark",
            trakt_list_id=None,
            item_count=0,
            last_written_at=None,
            state="limit_reached",
        ),
    }

    with mock.patch("users.selectors.user_managed_lists", return_value=state) as call:
        # when
        statuses = sources.managed_lists(user_id=USER_ID)

    # then
    call.assert_called_once_with(user_id=USER_ID)
    assert statuses == state


def test_lists_write_hands_managed_list_specs_to_the_writer(world):
    # given
    spec = sources.ManagedListSpec(key="recommended_movies", name="Reclio • X", description="d", item_ids=("movie_1",))

    # when
    report = sources.lists_write(user_id=USER_ID, specs=[spec])

    # then
    assert sources.ManagedListSpec is ManagedListSpec
    assert world.writes == [[ManagedListSpec("recommended_movies", "Reclio • X", "d", ("movie_1",))]]
    assert isinstance(report, ListWriteReport)
    assert [(r.key, r.trakt_list_id, r.state) for r in report.lists] == [("recommended_movies", 9001, "ok")]


def test_feed_hit_record_swallows_errors():
    with mock.patch("users.services.user_feed_hit_record", side_effect=RuntimeError("x")) as call:
        sources.feed_hit_record(user_id=USER_ID)

    call.assert_called_once_with(user_id=USER_ID)


@pytest.mark.parametrize(("username", "expected"), [("Sean", "sean"), ("", ""), ("x" * 120, "x" * 100)])
def test_user_trakt_username(username, expected):
    user = User(id=uuid.UUID(USER_ID), trakt_username=username)

    assert sources.user_trakt_username(user) == expected


def test_rating_of_takes_the_latest_rating_of_that_title(world):
    world.interactions = [
        InteractionRecord(item_id="movie_949", kind="rating", value=7, occurred_at=days_ago(10)),
        InteractionRecord(item_id="movie_949", kind="rating", value=9, occurred_at=days_ago(1)),
        InteractionRecord(item_id="movie_949", kind="view", value=None, occurred_at=days_ago(0)),
        InteractionRecord(item_id="movie_1", kind="rating", value=2, occurred_at=days_ago(0)),
    ]

    assert sources.rating_of(user_id=USER_ID, item_id="movie_949") == 9
    assert sources.rating_of(user_id=USER_ID, item_id="movie_2") is None


@pytest.mark.django_db
def test_rating_of_reads_the_real_users_selector():
    # given: a stored viewer who rated Heat and watched it since
    from tests.catalog.factories import ContentItemFactory
    from tests.users.factories import InteractionFactory, UserFactory

    user, heat = UserFactory(), ContentItemFactory(item_id="movie_949", tmdb_id=949, media_type="movie")
    InteractionFactory(user=user, item=heat, kind="rating", value=8, occurred_at=days_ago(5))
    InteractionFactory(user=user, item=heat, kind="view", occurred_at=days_ago(1))

    # when / then
    assert sources.rating_of(user_id=str(user.pk), item_id="movie_949") == 8
